"""The consolidation gate: Great Expectations checks a province-month in the marts before its
monthly report is published.

The rules live in ``expectations/gx/expectations/consolidation_gate.json``. The figures to check
are dbt's report model ``marts.rpt_consolidation_gate`` (dbt_project/models/reports/), which
recomputes them from the facts and the register, not from the consolidation itself: each
consolidation line beside the sum of its accepted units, each unit the register expects beside
its compliance status, and the province plan beside the plan the seeds allocate. dbt's own test
of "a consolidation equals the sum of its units" reads the same model.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

import psycopg

from ingest.gate import validate_frame

CHECKPOINT = "consolidation_gate"

# The figures of each kind of row, as dbt's rpt_consolidation_gate lays them out; a row carries
# only its own kind's (the others stay missing in the frame, as the suite expects).
KIND_COLUMNS = {
    "line": (
        "component_code",
        "funding_source_code",
        "capital_year",
        "plan_amount_vnd",
        "disbursed_cumulative_vnd",
        "plan_ceiling_vnd",
        "units_plan_amount_vnd",
        "units_disbursed_cumulative_vnd",
    ),
    "unit": ("unit_code", "compliance_status"),
    "plan": ("component_code", "funding_source_code", "plan_amount_vnd", "reference_plan_vnd"),
}

# Every column the suite names, present even when the model has no row of a kind (an all-missing month).
COLUMNS = ("row_kind", *dict.fromkeys(c for columns in KIND_COLUMNS.values() for c in columns))

_READ = f"""
    select {", ".join(COLUMNS)}
    from marts.rpt_consolidation_gate
    where province_code = %(province)s and period_month = %(period)s
    order by row_kind = 'plan', row_kind = 'unit', component_code, funding_source_code, capital_year, unit_code
"""


@dataclass
class ConsolidationVerdict:
    province_code: str
    period_month: dt.date
    success: bool
    seconds: float
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    data_docs: str = ""

    def summary(self) -> str:
        head = f"consolidation {self.province_code} {self.period_month:%m/%Y}: " + (
            "đạt / passed" if self.success else "KHÔNG ĐẠT / FAILED — the report is not published"
        )
        return "\n".join([head, *(f"  ✗ {f}" for f in self.failures), *(f"  ! {w}" for w in self.warnings)])


def _frame(conn: psycopg.Connection, province: str, period: dt.date) -> Any:
    import pandas as pd

    with conn.cursor() as cur:
        cur.execute(_READ, {"province": province, "period": period})
        names = [c.name for c in cur.description or []]
        read = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    conn.commit()
    # money stays exact: numeric arrives as Decimal, kept as whole-VND Python ints
    rows = [
        {"row_kind": r["row_kind"]}
        | {
            name: int(r[name]) if name.endswith("_vnd") and r[name] is not None else r[name]
            for name in KIND_COLUMNS[r["row_kind"]]
        }
        for r in read
    ]
    frame = pd.DataFrame(rows, columns=list(COLUMNS), dtype=object)
    frame.insert(0, "row_id", range(len(frame)))
    frame["row_id"] = frame["row_id"].astype("int64")
    return frame


def _describe(row: Any) -> str:
    if row["row_kind"] == "unit":
        return f"đơn vị (unit) {row['unit_code']}"
    vintage = f" vốn năm {int(row['capital_year'])}" if row.get("capital_year") == row.get("capital_year") else ""
    return f"{row['component_code']} / {row['funding_source_code']}{vintage}"


def validate_consolidation(conn: psycopg.Connection, province: str, period: dt.date) -> ConsolidationVerdict:
    """Run the consolidation suite on one province-month of the marts."""
    started = time.perf_counter()
    frame = _frame(conn, province, period)
    verdict = ConsolidationVerdict(province, period, True, 0.0)
    if frame.empty:
        verdict.failures.append("không có dữ liệu tổng hợp / the marts hold nothing for this province-month")
        verdict.success = False
        return verdict
    result, docs = validate_frame(
        frame,
        asset_name=f"Tổng hợp tỉnh {province}, tháng {period:%m/%Y} / consolidation {province} {period:%Y-%m}",
        checkpoint_name=CHECKPOINT,
    )
    verdict.data_docs = str(docs or "")
    for outcome in result.results:
        if outcome.success:
            continue
        config = outcome.expectation_config
        if outcome.exception_info.get("raised_exception"):
            raise RuntimeError(
                f"the consolidation gate could not evaluate {config.type}: "
                f"{outcome.exception_info.get('exception_message')}"
            )
        meta = config.meta or {}
        rows = [frame.iloc[int(u["row_id"])] for u in outcome.result.get("unexpected_index_list") or []]
        where = ", ".join(_describe(r) for r in rows[:5]) + (f" … (+{len(rows) - 5})" if len(rows) > 5 else "")
        line = f"[{meta.get('check', config.type)}] {meta.get('vi', '')} / {meta.get('en', '')}: {where}"
        if str(config.severity).lower().endswith("warning"):
            verdict.warnings.append(line)
        else:
            verdict.failures.append(line)
            verdict.success = False
    verdict.seconds = time.perf_counter() - started
    return verdict
