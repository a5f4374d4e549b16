"""Read the month's outlier flags with their review in force, and record a review.

The review in force is dbt's rule (intermediate.int_outlier_reviews_latest: the latest review of
the flag for the version of the figures it looked at); reading that view here, rather than the
mart's own columns, shows a review at once, before the next build copies it into the mart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.rows import dict_row

MEASURE_VI = {"disbursed_in_month": "Giải ngân trong tháng", "disbursement_rate": "Tỷ lệ giải ngân"}
METHOD_VI = {"modified_z": "điểm z hiệu chỉnh", "min_max": "min–max so với quá khứ"}


class OutlierError(Exception):
    """A request about a flag that cannot be honoured (message: Vietnamese, then English)."""


@dataclass(frozen=True)
class Flag:
    flag_id: str
    period_month: dt.date
    unit_code: str
    unit_name: str | None
    component_code: str
    funding_source_code: str
    capital_year: int
    measure: str
    value: Decimal
    score: Decimal
    method: str
    threshold: Decimal
    submission_id: str
    reviewed_at: dt.datetime | None
    reviewed_by: str | None
    review_comment: str | None

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_at is not None


_FLAGS_SQL = """
    select flags.flag_id, flags.period_month, flags.unit_code, flags.unit_name, flags.component_code,
           flags.funding_source_code, flags.capital_year, flags.measure, flags.value, flags.score,
           flags.method, flags.threshold, flags.submission_id,
           reviews.reviewed_at, reviews.reviewed_by, reviews.review_comment
    from marts.fct_outlier_flag as flags
    left join intermediate.int_outlier_reviews_latest as reviews
        on reviews.flag_id = flags.flag_id and reviews.submission_id = flags.submission_id
"""


def _mart_exists(conn: psycopg.Connection[Any]) -> None:
    [(found,)] = conn.execute("select to_regclass('marts.fct_outlier_flag') is not null").fetchall()
    if not found:
        raise OutlierError(
            "Chưa có bảng marts.fct_outlier_flag: hãy chạy `gnbv build` trước. / "
            "marts.fct_outlier_flag is not built yet: run `gnbv build` first."
        )


def list_flags(
    conn: psycopg.Connection[Any],
    period: dt.date | None = None,
    province: str | None = None,
    unit: str | None = None,
    open_only: bool = False,
) -> list[Flag]:
    """The flags, filtered, in period, unit, component, measure order."""
    _mart_exists(conn)
    where = ["true"]
    params: dict[str, Any] = {}
    if period is not None:
        where.append("flags.period_month = %(period)s")
        params["period"] = period
    if province is not None:
        where.append("flags.province_code = %(province)s")
        params["province"] = province
    if unit is not None:
        where.append("flags.unit_code = %(unit)s")
        params["unit"] = unit
    if open_only:
        where.append("reviews.reviewed_at is null")
    sql = (
        _FLAGS_SQL
        + " where "
        + " and ".join(where)
        + " order by flags.period_month, flags.unit_code, flags.component_code, flags.funding_source_code,"
        " flags.capital_year, flags.measure"
    )
    with conn.cursor(row_factory=dict_row) as cur:
        return [Flag(**row) for row in cur.execute(sql, params).fetchall()]


def review_flag(conn: psycopg.Connection[Any], flag_id: str, comment: str, reviewed_by: str) -> Flag:
    """Append a review of ``flag_id`` for the version of the figures the mart holds; returns the
    flag as reviewed. Refuses an unknown flag and an empty comment or reviewer."""
    comment = comment.strip()
    reviewed_by = reviewed_by.strip()
    if not comment:
        raise OutlierError("Cần một nhận xét rà soát (--comment). / A review needs a comment (--comment).")
    if not reviewed_by:
        raise OutlierError("Cần tên người rà soát (--by). / A review needs a reviewer (--by).")
    _mart_exists(conn)
    rows = conn.execute("select submission_id from marts.fct_outlier_flag where flag_id = %s", (flag_id,)).fetchall()
    if not rows:
        raise OutlierError(
            f"Không có cờ bất thường mã {flag_id!r} (xem `gnbv outliers list`). / No outlier flag {flag_id!r}."
        )
    [(submission_id,)] = rows
    conn.execute(
        "insert into raw.outlier_reviews (flag_id, submission_id, comment, reviewed_by) values (%s, %s, %s, %s)",
        (flag_id, submission_id, comment, reviewed_by),
    )
    conn.commit()
    [flag] = [f for f in list_flags(conn) if f.flag_id == flag_id]
    return flag
