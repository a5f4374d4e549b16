"""The calendar on a unit's page is the reference calendar's (``orchestration.calendar``): the
newest open months, each with the units' deadline and the days left or late."""

from __future__ import annotations

import datetime as dt

from gnbv.orchestration.calendar import LOCAL_TZ, monthly_deadline
from gnbv.portal.calendar_view import periods_of


def test_days_left_before_the_deadline_and_days_late_after() -> None:
    before = periods_of("04", dt.datetime(2026, 3, 5, 9, 0, tzinfo=LOCAL_TZ))
    march = next(p for p in before if p.period == dt.date(2026, 3, 1))
    deadline = monthly_deadline("04", dt.date(2026, 3, 1))
    assert deadline is not None and march.due == deadline.district_due
    assert march.days_left == (deadline.district_due - dt.date(2026, 3, 5)).days and march.days_late == 0

    after = periods_of("04", dt.datetime(2026, 3, 20, 9, 0, tzinfo=LOCAL_TZ))
    march = next(p for p in after if p.period == dt.date(2026, 3, 1))
    assert march.days_left is None
    assert march.days_late == deadline.days_late(dt.datetime(2026, 3, 20, 9, 0, tzinfo=LOCAL_TZ)) > 0


def test_only_the_newest_open_months_are_shown_newest_first() -> None:
    shown = periods_of("04", dt.datetime(2026, 3, 5, 9, 0, tzinfo=LOCAL_TZ))
    assert len(shown) == 3
    assert [p.period for p in shown] == sorted((p.period for p in shown), reverse=True)
    assert shown[0].period == dt.date(2026, 3, 1)
