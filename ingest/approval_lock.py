"""Approved figures are locked: a file that would change them is refused, whoever sends it.

A lead agency's approval of a unit's month locks the components it approved; the province
office's approval locks the unit's whole month (``raw.approvals``, migration V008; the portal
records them). Intake asks here for every file it gates — the portal, ``gnbv ingest`` and the
intake DAG alike — so that all three refuse the same way (problem ``approved_locked``, the file
recorded as rejected with that reason, nothing of it landing) until the approver reopens.

A file *touches* a locked component when its rows of that component differ from the version in
force (amounts, plan, rows added or left out). A file that repeats the approved figures and
corrects only other components is taken: approval locks figures, not the unit's other work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import psycopg

from ingest.load import VERSION_IN_FORCE
from ingest.model import Submission
from ingest.problems import problem

PROVINCE_LEVEL = "*"  # a province approval covers every component of the unit's month

# The state of each unit × month × level × component is its latest action (dbt's
# int_approvals_latest states the same rule for the warehouse; tests/test_approvals.py keeps
# the two equal).
LATEST_APPROVALS = """
    select distinct on (a.unit_code, a.period_month, a.level, coalesce(a.component_code, ''))
        a.unit_code, a.period_month, a.level, a.component_code, a.action, a.acted_by, a.acted_at, a.comment,
        a.agency_code
    from raw.approvals as a
    inner join wanted using (unit_code, period_month)
    order by a.unit_code, a.period_month, a.level, coalesce(a.component_code, ''), a.approval_id desc
"""

_WANTED = "wanted as (select * from unnest(%(units)s::text[], %(months)s::date[]) as w (unit_code, period_month))"

_LOCKS = f"with {_WANTED} select * from ({LATEST_APPROVALS}) as latest where action = 'approve'"

_FIGURES_IN_FORCE = f"""
    with {_WANTED},
    in_force as ({VERSION_IN_FORCE.format(carries="has_funds")})
    select v.unit_code, v.period_month, f.capital_year, f.component_code, f.funding_source_code,
        f.plan_amount_vnd, f.disbursed_cumulative_vnd
    from in_force as v
    inner join raw.fund_amounts as f using (submission_id)
"""


@dataclass(frozen=True)
class Lock:
    component: str  # a component code, or PROVINCE_LEVEL
    approved_by: str
    approved_at: dt.datetime


Figures = set[tuple[int, str, str, int | None, int | None]]


def locks_of(conn: psycopg.Connection, wanted: Iterable[tuple[str, dt.date]]) -> dict[tuple[str, dt.date], list[Lock]]:
    """The approvals in force (unit, month) → locks."""
    pairs = sorted(set(wanted))
    if not pairs:
        return {}
    params = {"units": [u for u, _ in pairs], "months": [m for _, m in pairs]}
    found: dict[tuple[str, dt.date], list[Lock]] = {}
    for unit, month, level, component, _action, by, at, *_ in conn.execute(_LOCKS, params).fetchall():
        found.setdefault((unit, month), []).append(Lock(component if level == "agency" else PROVINCE_LEVEL, by, at))
    conn.commit()
    return found


def _covers(lock: Lock, component: str) -> bool:
    return lock.component in (PROVINCE_LEVEL, component) or component.startswith(lock.component + ".")


def refuse_approved(conn: psycopg.Connection, subs: list[Submission]) -> None:
    """Add ``approved_locked`` to each file that would change figures approved and not reopened."""
    wanted = {(s.unit_code, s.period_month) for s in subs if s.unit_code and s.period_month}
    locks = locks_of(conn, wanted)
    if not locks:
        return
    in_force: dict[tuple[str, dt.date], Figures] = {}
    params = {"units": [u for u, _ in locks], "months": [m for _, m in locks]}
    for unit, month, year, component, source, plan, disbursed in conn.execute(_FIGURES_IN_FORCE, params).fetchall():
        in_force.setdefault((unit, month), set()).add((int(year), component, source, _whole(plan), _whole(disbursed)))
    conn.commit()
    for sub in subs:
        held = locks.get((sub.unit_code or "", sub.period_month or dt.date.min))
        if not held or not sub.period_month:
            continue
        sent: Figures = {
            (r.capital_year, r.component_code, r.funding_source_code, r.plan_amount_vnd, r.disbursed_cumulative_vnd)
            for r in sub.fund_amounts
        }
        approved = in_force.get((sub.unit_code or "", sub.period_month), set())
        touched = [
            lock
            for lock in held
            if {f for f in sent if _covers(lock, f[1])} != {f for f in approved if _covers(lock, f[1])}
        ]
        if touched:
            names = sorted(
                {"cả tháng / the whole month" if t.component == PROVINCE_LEVEL else t.component for t in touched}
            )
            sub.problems.append(
                problem(
                    "approved_locked",
                    detail=", ".join(names),
                    period=f"{sub.period_month:%m/%Y}",
                    by=", ".join(sorted({t.approved_by for t in touched})),
                )
            )


def _whole(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]
