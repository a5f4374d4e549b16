"""SYNTHETIC months in the warehouse for BI demonstrations and tests: the sample reports of a
province's units taken in through the real intake and gate, some of them late or missing, then
the marts built with dbt as of a given day.

Never for real data: every file comes from ``gnbv.dev.samples.province`` (marked SYNTHETIC).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

from gnbv.bi.superset import BiError

ON_TIME_DAY = 10  # the districts' deadline is the 12th
LATE_DAY = 14


def load_sample_months(
    province: str,
    months: Sequence[dt.date],
    inbox: Path,
    *,
    late: Mapping[dt.date, set[str]] | None = None,
    missing: Mapping[dt.date, set[str]] | None = None,
    as_of: dt.date | None = None,
) -> None:
    """Take in the sample reports of ``months`` (a unit of ``late[month]`` sends on the 14th, a
    unit of ``missing[month]`` sends nothing) and build the marts as of ``as_of`` (default: the
    20th of the last month). Every file must be accepted."""
    from gnbv import db, dbt
    from gnbv.dev.samples.province import write_sample_inbox
    from ingest.intake import LOCAL_TZ, ingest_paths

    late = late or {}
    missing = missing or {}
    with db.connect() as conn:
        for month in months:
            arrivals: dict[int, list[Path]] = {}
            for sample in write_sample_inbox(province, month, inbox):
                if sample.unit_code in missing.get(month, set()):
                    continue
                day = LATE_DAY if sample.unit_code in late.get(month, set()) else ON_TIME_DAY
                arrivals.setdefault(day, []).append(sample.path)
            for day, paths in sorted(arrivals.items()):
                received = dt.datetime.combine(month.replace(day=day), dt.time(9), LOCAL_TZ)
                refused = [r for r in ingest_paths(conn, paths, received_at=received) if r.status != "accepted"]
                if refused:
                    raise BiError("A sample report was not accepted: " + "; ".join(r.summary() for r in refused))
    as_of = as_of or max(months).replace(day=20)
    result = dbt.build(full_refresh=True, docs=False, quiet=True, vars={"as_of_date": as_of.isoformat()})
    if not result.success:
        raise BiError("dbt build of the sample months failed:\n" + "\n".join(result.lines()))
