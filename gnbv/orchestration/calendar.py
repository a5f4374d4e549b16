"""The reporting calendar, from the reference data (``ref_reporting_calendars.csv``), never code.

A province with a *monthly* calendar in a year (Cao Bằng 2024: districts by the 12th, the lead
agencies by the 15th) takes part in the monthly cycle that year; adding a province is adding a
row to that seed. Due days are clamped to the month's last day and a deadline ends at the end of
its day in Vietnam time, as in the dbt macros ``due_date`` / ``end_of_local_day``.

Standard library only (plus the reference module), so the DAG files can import it at parse time.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from gnbv.reference import Reference, load_reference

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# Reminders go out on each of the last REMINDER_DAYS days before the district deadline and on
# the deadline day itself.
REMINDER_DAYS = 3


class PeriodError(ValueError):
    """A period that is not YYYY-MM; the message says what was expected."""


def parse_period(text: str) -> dt.date:
    """``"2024-03"`` → ``date(2024, 3, 1)``."""
    try:
        year, month = str(text).strip().split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError
        return dt.date(int(year), int(month), 1)
    except ValueError:
        raise PeriodError(f"{text!r} is not a reporting month: use YYYY-MM, e.g. 2024-03") from None


def format_period(period: dt.date) -> str:
    return f"{period:%Y-%m}"


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def previous_month(period: dt.date) -> dt.date:
    return month_start(month_start(period) - dt.timedelta(days=1))


def to_local(moment: dt.datetime) -> dt.datetime:
    """``moment`` in Vietnam time (a naive datetime is taken as Vietnam time already)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(LOCAL_TZ)


def due_on(period: dt.date, due_day: int) -> dt.date:
    """The ``due_day`` of the period's month, clamped to the month's last day."""
    last = _calendar.monthrange(period.year, period.month)[1]
    return period.replace(day=min(due_day, last))


def end_of_local_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max, LOCAL_TZ)


@dataclass(frozen=True)
class MonthlyDeadline:
    """The monthly deadlines of one province and reporting month."""

    province_code: str
    period: dt.date
    district_due: dt.date
    province_due: dt.date | None

    @property
    def due_at(self) -> dt.datetime:
        """The last moment a district report counts as on time (end of the due day, Vietnam time)."""
        return end_of_local_day(self.district_due)

    @property
    def period_text(self) -> str:
        return format_period(self.period)

    def is_late(self, received_at: dt.datetime) -> bool:
        return to_local(received_at) > self.due_at

    def days_late(self, received_at: dt.datetime) -> int:
        return max(0, (to_local(received_at).date() - self.district_due).days) if self.is_late(received_at) else 0


def monthly_deadline(province_code: str, period: dt.date, reference: Reference | None = None) -> MonthlyDeadline | None:
    """The province's monthly deadlines for ``period``, or None when it has no monthly calendar
    that year."""
    ref = reference or load_reference()
    cal = ref.monthly_calendar(province_code, period.year)
    if cal is None or cal.district_due_day is None:
        return None
    return MonthlyDeadline(
        province_code=province_code,
        period=month_start(period),
        district_due=due_on(period, cal.district_due_day),
        province_due=due_on(period, cal.province_due_day) if cal.province_due_day else None,
    )


def monthly_provinces(year: int, reference: Reference | None = None) -> list[str]:
    """Provinces with a monthly reporting calendar in ``year`` (from the reference data)."""
    ref = reference or load_reference()
    return sorted(
        {c.province_code for c in ref.calendars if c.year == year and c.frequency == "monthly" and not c.unit_code}
    )


def deadlines_of_month(period: dt.date, reference: Reference | None = None) -> list[MonthlyDeadline]:
    """Every province's monthly deadlines for reporting month ``period``."""
    ref = reference or load_reference()
    found = (monthly_deadline(p, period, ref) for p in monthly_provinces(period.year, ref))
    return [d for d in found if d is not None]


def _around(day: dt.date, reference: Reference | None) -> list[MonthlyDeadline]:
    this = month_start(day)
    return [*deadlines_of_month(previous_month(this), reference), *deadlines_of_month(this, reference)]


def consolidation_due(day: dt.date, reference: Reference | None = None) -> list[MonthlyDeadline]:
    """Province-months whose consolidation is due on ``day``: the day after the district deadline
    (so the province report is ready before the province deadline)."""
    return [d for d in _around(day, reference) if d.district_due + dt.timedelta(days=1) == day]


def finals_due(day: dt.date, reference: Reference | None = None) -> list[MonthlyDeadline]:
    """Province-months whose *final* consolidation is due on ``day``: the province deadline
    (Cao Bằng: the 15th), when the lead agencies' report goes to the province."""
    return [d for d in _around(day, reference) if d.province_due == day]


def reminders_due(
    day: dt.date, reference: Reference | None = None, days_before: int = REMINDER_DAYS
) -> list[MonthlyDeadline]:
    """Province-months whose districts get a reminder on ``day`` (the last days before the
    deadline, and the deadline day)."""
    return [
        d for d in _around(day, reference) if d.district_due - dt.timedelta(days=days_before) <= day <= d.district_due
    ]


def open_periods(at: dt.datetime) -> list[dt.date]:
    """Reporting months whose files the inbox takes at ``at``: from the start of the month until
    the end of the gate's filing window (late files are still taken, and flagged late)."""
    from ingest.gate import filing_window

    today = to_local(at).date()
    periods = []
    period = dt.date(today.year - 2, 1, 1)
    while period <= month_start(today):
        start, end = filing_window(period)
        if start <= today <= end:
            periods.append(period)
        period = month_start(period + dt.timedelta(days=32))
    return periods
