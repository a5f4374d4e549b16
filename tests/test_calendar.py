"""The reporting calendar as data: three dates apart, validity, and Vietnamese working days.

Decree 09/2019/NĐ-CP sets the monthly data window (the 15th of the previous month to the 14th);
Cao Bằng's plan sets the units' submission deadline (the 12th) and the lead agencies'
consolidation deadline (the 15th). A rule is in force from a date, so a province's calendar from
2026 can differ, and a rule may count working days (weekends and public holidays, Tết included,
from ref_public_holidays). Other seeds are swapped in by copying the seed folder: no code changes.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pytest

from gnbv.orchestration import calendar
from gnbv.reference import SEEDS_DIR, load_reference

VN = calendar.LOCAL_TZ


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=VN)


def seeds_with_calendar(tmp_path: Path, **changes: dict[str, str]) -> Path:
    """A copy of the reference seeds whose Cao Bằng monthly rules have these columns changed
    (keyed by valid_from)."""
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, folder)
    path = folder / "ref_reporting_calendars.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["province_code"] == "04" and row["frequency"] == "monthly":
            row.update(changes.get(row["valid_from"].replace("-", "_"), {}))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return folder


def test_a_month_has_a_data_window_a_submission_and_a_consolidation_deadline() -> None:
    march = calendar.monthly_deadline("04", dt.date(2024, 3, 1))
    assert march is not None
    assert (march.data_window_start, march.data_window_end) == (dt.date(2024, 2, 15), dt.date(2024, 3, 14))
    assert march.district_due == dt.date(2024, 3, 12)  # the units submit by the 12th
    assert march.province_due == dt.date(2024, 3, 15)  # the lead agencies consolidate by the 15th
    january = calendar.monthly_deadline("04", dt.date(2024, 1, 1))
    assert january is not None and january.data_window_start == dt.date(2023, 12, 15)  # across the year


def test_the_calendar_has_validity_and_says_what_rests_on_what() -> None:
    ref = load_reference()
    rules = [c for c in ref.calendars if c.province_code == "04" and c.frequency == "monthly"]
    assert [(c.valid_from, c.valid_to, c.basis) for c in rules] == [
        (dt.date(2024, 1, 1), dt.date(2024, 12, 31), "stated"),  # seed 002 §VII.2
        (dt.date(2025, 1, 1), None, "carried_forward"),  # no later plan in the sources
    ]
    assert all("09/2019" in c.source for c in ref.calendars if c.frequency == "monthly")
    assert ref.monthly_calendar("04", dt.date(2023, 12, 1)) is None  # no 2023 rule in the sources
    assert calendar.monthly_deadline("04", dt.date(2026, 3, 1)) is not None  # communes, from the carried rule
    assert calendar.monthly_provinces(dt.date(2026, 3, 1)) == ["04"]


def test_a_new_rule_from_2026_changes_2026_and_leaves_2024_alone(tmp_path: Path) -> None:
    folder = seeds_with_calendar(
        tmp_path, **{"2025_01_01": {"valid_to": "2025-12-31"}}
    )  # the carried rule ends with 2025 ...
    path = folder / "ref_reporting_calendars.csv"
    with path.open("a", encoding="utf-8", newline="") as handle:  # ... and the province's own 2026 rule starts
        csv.writer(handle).writerow(
            ["04", "", "2026-01-01", "", "monthly_progress", "monthly", "15", "14", "10", "20", "calendar", "",
             "month", "stated", "a 2026 plan (test)"]
        )  # fmt: skip
    ref = load_reference(folder)
    new = calendar.monthly_deadline("04", dt.date(2026, 3, 1), ref)
    old = calendar.monthly_deadline("04", dt.date(2024, 3, 1), ref)
    assert new is not None and (new.district_due, new.province_due) == (dt.date(2026, 3, 10), dt.date(2026, 3, 20))
    assert old is not None and (old.district_due, old.province_due) == (dt.date(2024, 3, 12), dt.date(2024, 3, 15))


def test_timeliness_counts_calendar_days_by_default() -> None:
    feb = calendar.monthly_deadline("04", dt.date(2024, 2, 1))
    assert feb is not None and feb.district_due == dt.date(2024, 2, 12)  # in Tết, still the 12th
    assert feb.days_late(at("2024-02-19T09:00")) == 7


def test_a_working_day_rule_moves_a_deadline_out_of_tet_and_counts_working_days(tmp_path: Path) -> None:
    ref = load_reference(seeds_with_calendar(tmp_path, **{"2024_01_01": {"day_count": "working"}}))
    feb = calendar.monthly_deadline("04", dt.date(2024, 2, 1), ref)
    assert feb is not None
    # the 12th (Monday) and the 13th, 14th are Tết days off (8–14 February 2024): Thursday the 15th
    assert feb.district_due == dt.date(2024, 2, 15)
    assert feb.province_due == dt.date(2024, 2, 15)
    assert not feb.is_late(at("2024-02-15T16:00"))
    assert feb.days_late(at("2024-02-19T09:00")) == 2  # Friday 16 and Monday 19, not 4 calendar days
    october = calendar.monthly_deadline("04", dt.date(2024, 10, 1), ref)
    assert october is not None and october.district_due == dt.date(2024, 10, 14)  # Saturday 12th → Monday


def test_working_days_are_weekdays_less_holidays_plus_make_up_saturdays() -> None:
    days = calendar.WorkingDays(load_reference())
    assert not days.is_working_day(dt.date(2026, 2, 16))  # Tết 2026 (Thông báo 9441/TB-BNV)
    assert not days.is_working_day(dt.date(2024, 9, 3))  # National Day 2024, the adjacent day
    assert days.is_working_day(dt.date(2024, 5, 4))  # Saturday worked for Monday 29 April 2024
    assert not days.is_working_day(dt.date(2024, 4, 29))
    assert not days.is_working_day(dt.date(2024, 3, 16))  # a Saturday
    # (7 February, 19 February] 2024 holds three working days: Tết took 8–14, then 15, 16 and 19
    assert days.between(dt.date(2024, 2, 7), dt.date(2024, 2, 19)) == 3


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_every_holiday_says_where_it_comes_from(year: int) -> None:
    rows = [h for h in load_reference().holidays if h.holiday_date.year == year]
    assert rows, f"no holidays for {year}"
    assert all(h.status in {"verified", "law_fixed_date", "unverified"} for h in rows)
    tet = [h for h in rows if h.name_vi == "Tết Nguyên đán"]
    assert len(tet) == 5  # five weekdays off at Tết each year
