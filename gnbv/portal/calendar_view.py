"""The calendar a unit's page shows: the open reporting months, their deadline, days left or late.
Dates come from the reference calendars through ``gnbv.orchestration.calendar`` (one home)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gnbv.orchestration.calendar import LOCAL_TZ, monthly_deadline, open_periods


@dataclass(frozen=True)
class PeriodDue:
    period: dt.date
    due: dt.date | None
    days_left: int | None  # positive: days to the deadline (0: today); None without a deadline
    days_late: int

    @property
    def label(self) -> str:
        return f"{self.period:%m/%Y}"


def periods_of(province_code: str | None, now: dt.datetime | None = None, *, newest: int = 3) -> list[PeriodDue]:
    """The ``newest`` months a unit of ``province_code`` can send now, newest first (the gate's
    filing window keeps a late month open much longer: older ones are still taken)."""
    now = (now or dt.datetime.now(LOCAL_TZ)).astimezone(LOCAL_TZ)
    found = []
    for period in sorted(open_periods(now), reverse=True)[:newest]:
        deadline = monthly_deadline(province_code, period) if province_code else None
        if deadline is None:
            found.append(PeriodDue(period, None, None, 0))
            continue
        late = deadline.days_late(now)
        left = None if late else (deadline.district_due - now.date()).days
        found.append(PeriodDue(period, deadline.district_due, left, late))
    return found
