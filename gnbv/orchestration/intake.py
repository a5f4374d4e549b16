"""The intake steps of the district intake DAG (and of ``gnbv inbox``): claim what is new in the
inbox, take the files in batches through ``ingest.intake.ingest_paths`` — the same path as
``gnbv ingest``: reader processes, one Great Expectations gate call and one COPY load per batch,
each file wholly or not at all, each with its own receipt time and verdict — and settle each
in ``archive/`` or ``quarantine/`` with its note.

A rejected file is a result, not a failure: its step succeeds and the note beside it in
quarantine tells the sender why, in Vietnamese and English. A step fails only when something a
person must fix is wrong (the warehouse is unreachable, the storage refuses a move); Airflow
retries it, and the claimed file waits in ``inbox/.claimed/`` until a run takes it again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from gnbv.orchestration import inbox
from gnbv.orchestration.calendar import LOCAL_TZ, format_period, open_periods, parse_period, to_local
from ingest.names import shown_name

Log = inbox.Log


def claim_new_files(
    as_of: dt.datetime,
    *,
    lay: inbox.InboxLayout | None = None,
    now: dt.datetime | None = None,
    log: Log = print,
) -> list[dict[str, str]]:
    """Claim the files that had arrived by ``as_of`` in the open period folders.

    Within one run, a province's files are taken one reporting month at a time (the oldest
    first): each month is gated against the accepted figures of the month before, so a backlog
    of February and March is taken as February in this run and March in the next. Claims left
    behind by a run that died are offered again.
    """
    lay = lay or inbox.layout()
    now = now or dt.datetime.now(dt.UTC)
    periods = {format_period(p) for p in open_periods(as_of)}
    claims = inbox.stale_claims(lay, now=now)
    for c in claims:
        log(f"offered again (left by an earlier run): {c.province}/{c.period}/{shown_name(c.name)}")
    waiting = inbox.list_new(lay, periods=periods, as_of=as_of, now=now, log=log)
    first_period: dict[str, str] = {}
    for item in waiting:
        first = first_period.setdefault(item.province, item.period)
        if item.period != first:
            log(
                f"next run: {item.province}/{item.period}/{shown_name(item.name)}"
                f" (after {item.province}/{first} is taken in)"
            )
            continue
        taken = inbox.claim(lay, item, now=now)
        if taken is None:
            log(f"taken by another run: {item.province}/{item.period}/{shown_name(item.name)}")
            continue
        claims.append(taken)
    log(f"{len(claims)} file(s) to take in (as of {to_local(as_of):%Y-%m-%d %H:%M} Vietnam time)")
    return [c.to_xcom() for c in claims]


@dataclass
class FileOutcome:
    """What became of one file (a dict in XCom)."""

    name: str
    province: str
    folder_period: str
    status: str  # accepted | rejected | duplicate | gone
    ok: bool
    unit_code: str | None = None
    period: str | None = None
    submission_id: str | None = None
    received_at: str | None = None
    late: bool = False
    days_late: int = 0
    summary: str = ""
    settled_uri: str | None = None
    report_uri: str | None = None
    problems: list[str] = field(default_factory=list)

    def to_xcom(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_xcom(cls, data: dict[str, Any]) -> FileOutcome:
        return cls(**data)

    def line(self) -> str:
        where = f"  → {inbox.local_path(self.settled_uri)}" if self.settled_uri else ""
        late = f"  LATE by {self.days_late} day(s) / nộp muộn {self.days_late} ngày" if self.late else ""
        return f"{self.summary}{late}{where}"


def _duplicate_note(result: Any) -> str | None:
    if result.status != "duplicate":
        return None
    from gnbv.orchestration.verdicts import duplicate_note

    return duplicate_note(result.path.name, result.submission_id, result.previous_status)


def in_batches(claims: list[dict[str, str]], size: int | None = None) -> list[list[dict[str, str]]]:
    """The claims in batches for ``take_in_batch``: one province and month sent for in each (the
    folder gives both to intake), at most ``size`` files (default: intake's batch size), each
    batch in order of receipt."""
    from ingest.intake import BATCH_SIZE

    size = size or BATCH_SIZE
    folders: dict[tuple[str, str], list[dict[str, str]]] = {}
    for claim in sorted(claims, key=lambda c: dt.datetime.fromisoformat(c["received_at"])):
        folders.setdefault((claim["province"], claim["period"]), []).append(claim)
    return [same[start : start + size] for _, same in sorted(folders.items()) for start in range(0, len(same), size)]


def take_in(claim_data: dict[str, str], *, lay: inbox.InboxLayout | None = None, log: Log = print) -> dict[str, Any]:
    """One claimed file through intake and the gate, then to archive/ or quarantine/."""
    (outcome,) = take_in_batch([claim_data], lay=lay, log=log)
    return outcome


def take_in_batch(
    claims: list[dict[str, str]], *, lay: inbox.InboxLayout | None = None, log: Log = print
) -> list[dict[str, Any]]:
    """Claimed files through intake and the gate together — ``ingest.intake.ingest_paths``, as
    ``gnbv ingest`` takes them: reader processes, one gate call and one load transaction per
    batch — each at its own receipt time; then each to archive/ or quarantine/ with its note.
    Each file has its own verdict (one outcome each, in the order of ``claims``)."""
    lay = lay or inbox.layout()
    items = [inbox.Claim.from_xcom(c) for c in claims]
    outcomes: dict[int, FileOutcome] = {}
    present = []
    for number, item in enumerate(items):
        if lay.path(item.uri).exists():
            present.append((number, item))
            continue
        log(
            f"{shown_name(item.name)}: no longer in {inbox.local_path(item.uri)}"
            " (settled by an earlier try or another run)"
        )
        outcomes[number] = FileOutcome(
            item.name, item.province, item.period, "gone", True, summary=f"GONE      {shown_name(item.name)}"
        )
    folders: dict[tuple[str, str], list[tuple[int, inbox.Claim]]] = {}
    for number, item in present:
        folders.setdefault((item.province, item.period), []).append((number, item))
    for (province, period), taken in folders.items():
        outcomes.update(_take_in_folder(lay, province, parse_period(period), taken, log))
    return [outcomes[number].to_xcom() for number in range(len(items))]


def _take_in_folder(
    lay: inbox.InboxLayout, province: str, period: dt.date, taken: list[tuple[int, inbox.Claim]], log: Log
) -> dict[int, FileOutcome]:
    from gnbv import db
    from ingest.intake import ingest_paths

    with contextlib.ExitStack() as files, db.connect() as conn:
        paths = {number: files.enter_context(inbox.local_file(lay, item)) for number, item in taken}
        # the folder inbox/<province>/<YYYY-MM>/ says which month the files are sent for
        results = ingest_paths(
            conn,
            [paths[number] for number, _ in taken],
            received_each={paths[number]: item.received_at for number, item in taken},
            province_hint=province,
            expected_period=period,
        )
        by_path = {result.path: result for result in results}
        return {number: _settle(conn, lay, item, by_path[paths[number]], log) for number, item in taken}


def _settle(conn: Any, lay: inbox.InboxLayout, item: inbox.Claim, result: Any, log: Log) -> FileOutcome:
    """One file's outcome: late or not, and the file to archive/ or quarantine/ with its note."""
    outcome = FileOutcome(
        name=item.name,
        province=item.province,
        folder_period=item.period,
        status=result.status,
        ok=result.ok,
        unit_code=result.unit_code,
        period=format_period(result.period_month) if result.period_month else None,
        submission_id=result.submission_id,
        received_at=to_local(item.received_at).isoformat(),
        summary=result.summary(),
        problems=[str(p) for p in result.errors][:20],
    )
    if result.status == "accepted" and result.period_month and result.unit_code:
        from gnbv.orchestration.verdicts import lateness
        from gnbv.reference import load_reference

        reference = load_reference()
        province = reference.province_of(result.unit_code, result.period_month) or item.province
        outcome.province = province
        days = lateness(
            conn, result.unit_code, result.period_month, result.submission_id, item.received_at, province, reference
        )
        if days is not None:
            outcome.late, outcome.days_late = True, days
    settled = inbox.settle(lay, item, accepted=result.ok, note=result.report_text() or _duplicate_note(result))
    outcome.settled_uri, outcome.report_uri = settled.uri, settled.report_uri
    log(outcome.line())
    if outcome.report_uri:
        log(f"          note for the sender: {inbox.local_path(outcome.report_uri)}")
    return outcome


def landed(outcomes: Iterable[dict[str, Any]]) -> list[list[str]]:
    """``[[province, period], ...]`` of the files accepted in this run (what changed)."""
    pairs = {(o["province"], o["period"]) for o in outcomes if o and o.get("status") == "accepted" and o.get("period")}
    return [list(p) for p in sorted(pairs)]


def with_portal_uploads(pairs: list[list[str]], *, log: Log = print) -> list[list[str]]:
    """``pairs`` and the province-months of reports accepted through the submission portal since
    the last run (``gnbv.portal.consolidation``), announced together. The portal's requests wait
    in the warehouse when it cannot be read now: the next run hands them over."""
    from gnbv import db
    from gnbv.portal.consolidation import take_pending

    try:
        with db.connect() as conn:
            portal = take_pending(conn)
    except Exception as err:
        log(f"portal uploads not read ({type(err).__name__}: {err}); the next run hands them over")
        return pairs
    for pair in portal:
        log(f"accepted through the portal: {pair[0]}/{pair[1]}")
    return [list(p) for p in sorted({tuple(p) for p in [*pairs, *portal]})]


def summary_lines(outcomes: Iterable[dict[str, Any]]) -> list[str]:
    items = [FileOutcome.from_xcom(o) for o in outcomes if o]
    counts: dict[str, int] = {}
    for o in items:
        counts[o.status] = counts.get(o.status, 0) + 1
    late = sum(o.late for o in items)
    tail = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing new"
    return [*(o.line() for o in items), f"{len(items)} file(s): {tail}" + (f"; {late} late" if late else "")]


def parse_pairs(value: Any) -> list[tuple[str, dt.date]]:
    """``[["04", "2024-03"], ...]`` (from XCom or an asset event) as (province, period)."""
    out = []
    for item in value or []:
        province, period = item
        out.append((str(province), parse_period(str(period))))
    return out


def local_now() -> dt.datetime:
    return dt.datetime.now(LOCAL_TZ)
