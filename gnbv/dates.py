"""Vietnam time and reporting months: the one place that says what "local time", "a period" and
"the month before" mean. Standard library only, so every layer (intake, the DAG files at parse
time, the report) can import it.

A reporting month (a *period*) is the date of its first day; it is written ``YYYY-MM``. Local
time is Vietnam's (Asia/Ho_Chi_Minh, UTC+7, no daylight saving); the dbt project names the same
zone in its var ``local_time_zone`` (tests/test_dbt_project.py holds the two together).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LOCAL_TIME_ZONE = "Asia/Ho_Chi_Minh"
LOCAL_TZ = ZoneInfo(LOCAL_TIME_ZONE)


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
        raise PeriodError(
            f"{text!r} không phải tháng báo cáo: ghi YYYY-MM, ví dụ 2024-03"
            f" / is not a reporting month: use YYYY-MM, e.g. 2024-03"
        ) from None


def format_period(period: dt.date) -> str:
    return f"{period:%Y-%m}"


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def previous_month(period: dt.date) -> dt.date:
    """The first day of the month before ``period``'s."""
    return month_start(month_start(period) - dt.timedelta(days=1))


def next_month(period: dt.date) -> dt.date:
    """The first day of the month after ``period``'s."""
    return month_start(month_start(period) + dt.timedelta(days=31))


def to_local(moment: dt.datetime) -> dt.datetime:
    """``moment`` in Vietnam time (a naive datetime is taken as Vietnam time already)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(LOCAL_TZ)


def local_now() -> dt.datetime:
    return dt.datetime.now(LOCAL_TZ)


def end_of_local_day(day: dt.date) -> dt.datetime:
    """The last moment of ``day`` in Vietnam time (a deadline ends then)."""
    return dt.datetime.combine(day, dt.time.max, LOCAL_TZ)
