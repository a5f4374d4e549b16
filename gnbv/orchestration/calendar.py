"""The reporting calendar, from the reference data (``ref_reporting_calendars.csv``), never code.

A province with a *monthly* calendar in force for a month (Cao Bằng: units by the 12th, the lead
agencies by the 15th) takes part in the monthly cycle that month; adding a province, or a new
rule from a date, is adding a row to that seed. Three dates are kept apart: the data window
(Decree 09/2019: the 15th of the previous month to the 14th), the submission deadline and the
consolidation deadline. Due days are clamped to the month's last day; where the rule counts
working days (``day_count = working``) a deadline on a weekend or public holidays
(``ref_public_holidays.csv``, Tết included) moves to the next working day and lateness counts
working days. A deadline ends at the end of its day in Vietnam time. The dbt models compute the
same from the same seeds (``int_calendar_days``, macros ``due_date`` / ``end_of_local_day``);
tests/test_dbt_build.py binds the two (every day, every month).

Standard library only (plus the reference module), so the DAG files can import it at parse time.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from dataclasses import dataclass, field

# Vietnam time and reporting months have one home, gnbv.dates; importable from here too
from gnbv.dates import LOCAL_TZ as LOCAL_TZ
from gnbv.dates import PeriodError as PeriodError
from gnbv.dates import end_of_local_day as end_of_local_day
from gnbv.dates import format_period as format_period
from gnbv.dates import month_start as month_start
from gnbv.dates import parse_period as parse_period
from gnbv.dates import previous_month as previous_month
from gnbv.dates import to_local as to_local
from gnbv.reference import Reference, load_reference

# Reminders go out on each of the last REMINDER_DAYS days before the district deadline and on
# the deadline day itself.
REMINDER_DAYS = 3


def due_on(period: dt.date, due_day: int) -> dt.date:
    """The ``due_day`` of the period's month, clamped to the month's last day."""
    last = _calendar.monthrange(period.year, period.month)[1]
    return period.replace(day=min(due_day, last))


class WorkingDays:
    """Vietnamese working days: Monday to Friday, less the public holidays' days off, plus the
    Saturdays worked in exchange for a swapped day off (both from ``ref_public_holidays``)."""

    def __init__(self, reference: Reference):
        self._off = {h.holiday_date for h in reference.holidays if h.kind == "day_off"}
        self._worked = {h.holiday_date for h in reference.holidays if h.kind == "working_day"}

    def is_working_day(self, day: dt.date) -> bool:
        if day in self._worked:
            return True
        return day.isoweekday() <= 5 and day not in self._off

    def on_or_after(self, day: dt.date) -> dt.date:
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def between(self, after: dt.date, until: dt.date) -> int:
        """Working days in (after, until]."""
        return sum(self.is_working_day(after + dt.timedelta(days=n)) for n in range(1, (until - after).days + 1))


@dataclass(frozen=True)
class MonthlyDeadline:
    """The monthly dates of one province and reporting month: the data window, the units'
    submission deadline (``district_due``: the name predates the reform, when districts
    submitted; communes do from 2025-07-01) and the consolidation deadline (``province_due``)."""

    province_code: str
    period: dt.date
    district_due: dt.date
    province_due: dt.date | None
    data_window_start: dt.date | None = None
    data_window_end: dt.date | None = None
    # set when the rule counts working days
    working_days: WorkingDays | None = field(default=None, compare=False, repr=False)

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
        """Days after the submission deadline, in the rule's days (calendar or working)."""
        if not self.is_late(received_at):
            return 0
        received = to_local(received_at).date()
        if self.working_days is not None:
            return self.working_days.between(self.district_due, received)
        return max(0, (received - self.district_due).days)


def data_window(period: dt.date, start_day: int, end_day: int) -> tuple[dt.date, dt.date]:
    """Decree 09/2019's window of a monthly report: from ``start_day`` of the previous month to
    ``end_day`` of the reporting month (both clamped to their month's last day)."""
    return due_on(previous_month(period), start_day), due_on(period, end_day)


def monthly_deadline(province_code: str, period: dt.date, reference: Reference | None = None) -> MonthlyDeadline | None:
    """The province's monthly dates for ``period``, or None when no monthly calendar is in force
    for it that month."""
    ref = reference or load_reference()
    period = month_start(period)
    cal = ref.monthly_calendar(province_code, period)
    if cal is None or cal.submission_due_day is None:
        return None
    working = WorkingDays(ref) if cal.day_count == "working" else None

    def due(day_of_month: int) -> dt.date:
        nominal = due_on(period, day_of_month)
        return working.on_or_after(nominal) if working is not None else nominal

    window = (
        data_window(period, cal.data_window_start_day, cal.data_window_end_day)
        if cal.data_window_start_day and cal.data_window_end_day
        else (None, None)
    )
    return MonthlyDeadline(
        province_code=province_code,
        period=period,
        district_due=due(cal.submission_due_day),
        province_due=due(cal.consolidation_due_day) if cal.consolidation_due_day else None,
        data_window_start=window[0],
        data_window_end=window[1],
        working_days=working,
    )


def monthly_provinces(period: dt.date, reference: Reference | None = None) -> list[str]:
    """Provinces with a monthly reporting calendar in force for the month ``period``."""
    ref = reference or load_reference()
    day = month_start(period)
    return sorted(
        {c.province_code for c in ref.calendars if c.frequency == "monthly" and not c.unit_code and c.valid_on(day)}
    )


def deadlines_of_month(period: dt.date, reference: Reference | None = None) -> list[MonthlyDeadline]:
    """Every province's monthly deadlines for reporting month ``period``."""
    ref = reference or load_reference()
    found = (monthly_deadline(p, period, ref) for p in monthly_provinces(period, ref))
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
