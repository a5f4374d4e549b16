"""Landing gated submissions in raw: one transaction, COPY for the rows, all or nothing.

A batch of files lands in one transaction — four COPYs, whatever the number of files, instead
of a transaction of six statements per file (each mostly the server's round trips). If
the batch fails, it is rolled back and its files land one at a time, each in a transaction of
its own: the others land, and the file at fault lands as rejected with the reason. Either way a
file lands wholly or not at all.

Serialised per unit and period with advisory locks (taken in key order, so two batches cannot
deadlock), so two intake processes loading versions of the same report queue rather than
interleave. The same bytes loaded twice change nothing once accepted; a file rejected before is
judged again (``_Judged``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import psycopg
from psycopg import sql

from gnbv.dates import previous_month
from ingest.bounds import storable_text
from ingest.gate import FiguresOfTheYear, YearFigures
from ingest.gate_frame import AmountKey
from ingest.model import Submission, amount_key
from ingest.names import shown_name
from ingest.problems import problem
from ingest.read_file import NOT_FOR_THE_MONTH_SENT

READER_VERSION = "1"
log = logging.getLogger(__name__)

# The version in force of a unit's report for a month, for what it carries (funds, outcomes):
# the latest accepted submission by receipt time, then load order (a later run loaded it later) —
# except a file received at the very time a different file for the same unit and month was
# rejected as a tie (``several_files_at_once``: two files taken in separate intake calls, as the
# intake DAG takes each file, with one receipt time): nothing orders the two, so neither counts
# and the version before stays in force. The same rule as dbt's int_submissions_ranked
# (tests/test_dbt_build.py binds the two); needed here because the gate and the load run before
# dbt does. ``{carries}`` is has_funds or has_outcomes.
VERSION_IN_FORCE = """
    select distinct on (s.unit_code, s.period_month) s.submission_id, s.unit_code, s.period_month, s.content_sha256
    from raw.submissions as s
    inner join wanted using (unit_code, period_month)
    where s.status = 'accepted' and s.{carries}
        and not exists (
            select from raw.submissions as tie
            inner join raw.submission_problems as p using (submission_id)
            where tie.unit_code = s.unit_code and tie.period_month = s.period_month
                and tie.received_at = s.received_at and tie.status = 'rejected'
                and p.check_code = 'several_files_at_once'
        )
    order by s.unit_code, s.period_month, s.received_at desc, s.ingest_seq desc
"""

_WANTED = "wanted as (select * from unnest(%(units)s::text[], %(months)s::date[]) as w (unit_code, period_month))"

# Around each month being loaded, per unit: the versions in force of the other months of the same
# reporting year, before it and after it. dbt puts each row beside the latest earlier month that
# reported it (``monthly_increments_ctes``), so ``figures_of_the_year`` reads the nearest month on
# each side whole and a month further away only for the rows the nearer ones did not report:
# reading every month of the year whole made a December's intake read eleven months of rows.
# The other months (``wanted``) are listed by ``_other_months``, not by generate_series in SQL:
# the planner takes a series of months for a thousand rows, and then reads every submission.
_OTHER_MONTHS_OF_THE_YEAR = """
    with targets as (
        select * from unnest(%(units)s::text[], %(months)s::date[]) as t (unit_code, period_month)
    ),
    wanted as (
        select * from unnest(%(other_units)s::text[], %(other_months)s::date[]) as w (unit_code, period_month)
    ),
    latest as ({version_in_force})
    select
        targets.unit_code, targets.period_month, latest.submission_id, latest.period_month as reported_month,
        latest.period_month < targets.period_month as is_earlier
    from targets
    inner join latest
        on latest.unit_code = targets.unit_code
        and date_trunc('year', latest.period_month) = date_trunc('year', targets.period_month)
        and latest.period_month <> targets.period_month
""".format(version_in_force=VERSION_IN_FORCE.format(carries="has_funds"))

# The rows with a cumulative of the given submissions; of the given rows of given submissions.
# Each is looked up by raw.fund_amounts' primary key, one submission (or row) at a time: a lateral
# subquery that the planner may not merge into a join (``offset 0``), read with sequential scans
# off (``_BY_KEY``). The table grows by a national month's 180,000 rows every month and its
# statistics lag behind the loads: a join of the few hundred submissions (or few thousand rows)
# wanted with it was planned as a scan of the whole table — with no statistics right after a
# load, with statistics taken when raw was smaller, for many wanted rows even with fresh ones —
# and its time grew with every month landed.
_BY_KEY = "set local enable_seqscan = off"
_REPORTED_ROWS = """
    select f.submission_id, f.capital_year, f.component_code, f.funding_source_code, f.disbursed_cumulative_vnd, f.note
    from unnest(%(ids)s::text[]) as given (submission_id)
    cross join lateral (
        select * from raw.fund_amounts as f
        where f.submission_id = given.submission_id and f.disbursed_cumulative_vnd is not null
        offset 0
    ) as f
"""
# The given rows' arrays (thousands of values) are sent in binary (``%(…)b``): psycopg's text
# format quotes each value of an array with a pattern search in Python, its binary one does not.
_REPORTED_GIVEN_ROWS = """
    select f.submission_id, f.capital_year, f.component_code, f.funding_source_code, f.disbursed_cumulative_vnd, f.note
    from unnest(%(ids)b::text[], %(years)b::int[], %(components)b::text[], %(sources)b::text[])
        as given (submission_id, capital_year, component_code, funding_source_code)
    cross join lateral (
        select * from raw.fund_amounts as f
        where (f.submission_id, f.capital_year, f.component_code, f.funding_source_code)
            = (given.submission_id, given.capital_year, given.component_code, given.funding_source_code)
            and f.disbursed_cumulative_vnd is not null
        offset 0
    ) as f
"""

# The content of the versions in force (funds and outcomes) of the units and months being loaded.
_CONTENT_IN_FORCE = f"""
    with {_WANTED}
    select 'funds', submission_id, unit_code, period_month, content_sha256
    from ({VERSION_IN_FORCE.format(carries="has_funds")}) as funds
    union all
    select 'outcomes', submission_id, unit_code, period_month, content_sha256
    from ({VERSION_IN_FORCE.format(carries="has_outcomes")}) as outcomes
"""

# Files of the units and months being loaded received at the very time a file of this load was:
# accepted ones carrying the same part with other content, or a tie rejected already, make that
# file a tie (``_Judged._tie``).
_RECEIVED_AT_THE_SAME_TIME = """
    with wanted as (
        select * from unnest(%(units)s::text[], %(months)s::date[], %(times)s::timestamptz[])
            as w (unit_code, period_month, received_at)
    )
    select distinct
        s.unit_code, s.period_month, s.received_at, s.status, s.has_funds, s.has_outcomes, s.content_sha256,
        s.file_name, s.file_sha256
    from raw.submissions as s
    inner join wanted using (unit_code, period_month, received_at)
    left join raw.submission_problems as p
        on p.submission_id = s.submission_id and p.check_code = 'several_files_at_once'
    where s.status = 'accepted' or p.submission_id is not null
"""

# The latest judging of each content (of a known unit and month), for a rejected file: the same
# content rejected for the same reasons before is that judging again.
_LATEST_JUDGING_OF_CONTENT = """
    select distinct on (content_sha256) content_sha256, submission_id, status
    from raw.submissions
    where content_sha256 = any(%s) and unit_code is not null and period_month is not null
    order by content_sha256, ingest_seq desc
"""

# Earlier judgings of the same bytes: whether any was accepted, and the latest one.
_EARLIER_JUDGINGS = """
    select distinct on (file_sha256)
        file_sha256, submission_id, status, count(*) over (partition by file_sha256),
        bool_or(status = 'accepted') over (partition by file_sha256),
        (array_agg(submission_id) filter (where status = 'accepted') over (partition by file_sha256))[1]
    from raw.submissions
    where file_sha256 = any(%s)
    order by file_sha256, ingest_seq desc
"""


@dataclass(frozen=True)
class LoadResult:
    submission_id: str
    status: str  # accepted | rejected | duplicate
    previous_status: str | None = None


def figures_of_the_year(
    conn: psycopg.Connection, subs: list[Submission], is_correction: Callable[[str | None], bool]
) -> FiguresOfTheYear:
    """What each submission's unit has already reported, in its accepted versions in force, for the
    other months of the same reporting year (``YearFigures``), keyed by unit and period: the month
    right before whole, and for each row of the submission the nearest month on each side that
    reported it. ``is_correction``: whether a row's note marks it as a correction
    (``ref_correction_phrases``)."""
    wanted = {(s.unit_code, s.period_month) for s in subs if s.unit_code and s.period_month}
    if not wanted:
        return {}
    units, months = zip(*wanted, strict=True)
    other_units, other_months = zip(*_other_months(wanted), strict=True)
    # each side (unit, period, earlier or not) -> its months' versions in force, nearest first
    sides: dict[_Side, list[tuple[str, dt.date]]] = {}
    with conn.cursor() as cur:
        cur.execute(
            _OTHER_MONTHS_OF_THE_YEAR,
            {
                "units": list(units),
                "months": list(months),
                "other_units": list(other_units),
                "other_months": list(other_months),
            },
        )
        for unit, period, submission_id, reported_month, is_earlier in cur.fetchall():
            sides.setdefault((unit, period, is_earlier), []).append((submission_id, reported_month))
        for side, versions in sides.items():
            versions.sort(key=lambda version: abs(version[1] - side[1]))
        cur.execute(_BY_KEY)  # until the commit below
        found = _reported_rows(cur, {versions[0][0] for versions in sides.values()})
        nearest = {side: found.get(versions[0][0], {}) for side, versions in sides.items()}
        beyond = _beyond_the_nearest(cur, subs, sides, nearest)
    conn.commit()
    last_month: dict[tuple[str, dt.date], dict[AmountKey, Decimal]] = {}
    earlier: dict[tuple[str, dt.date], dict[AmountKey, Decimal]] = {}
    later: dict[tuple[str, dt.date], dict[AmountKey, Decimal]] = {}
    for side, versions in sides.items():
        at, is_earlier = side[:2], side[2]
        rows = {**beyond.get(side, {}), **nearest[side]}  # a nearer month's row first
        if is_earlier:
            earlier[at] = {key: amount for key, (amount, _note) in rows.items()}
            if versions[0][1] == previous_month(at[1]):
                last_month[at] = {key: amount for key, (amount, _note) in nearest[side].items()}
        else:  # a row marked as a correction may fall: nothing to exceed
            later[at] = {key: amount for key, (amount, note) in rows.items() if not is_correction(note)}
    return {
        at: YearFigures(last_month.get(at, {}), earlier.get(at, {}), later.get(at, {}))
        for at in earlier.keys() | later.keys()
    }


def _other_months(wanted: set[tuple[str, dt.date]]) -> set[tuple[str, dt.date]]:
    """Each unit's other months of the reporting year of each of its months in ``wanted``."""
    return {
        (unit, month.replace(month=other)) for unit, month in wanted for other in range(1, 13) if other != month.month
    }


_Side = tuple[str, dt.date, bool]  # a unit, a period, and the months before it (True) or after
_Reported = dict[AmountKey, tuple[Decimal, str | None]]  # a row's cumulative and note


def _reported_rows(cur: psycopg.Cursor, ids: set[str]) -> dict[str, _Reported]:
    """The rows with a cumulative of the submissions ``ids``, by submission."""
    if not ids:
        return {}
    cur.execute(_REPORTED_ROWS, {"ids": list(ids)})
    return _by_submission(cur.fetchall())


def _reported_given_rows(cur: psycopg.Cursor, given: Sequence[tuple[str, AmountKey]]) -> dict[str, _Reported]:
    """Of the ``given`` rows (a submission and a row's key), those reported with a cumulative."""
    ids, keys = zip(*given, strict=True)
    years, components, sources = zip(*keys, strict=True)
    params = {"ids": list(ids), "years": list(years), "components": list(components), "sources": list(sources)}
    cur.execute(_REPORTED_GIVEN_ROWS, params)
    return _by_submission(cur.fetchall())


def _by_submission(rows: Iterable[tuple]) -> dict[str, _Reported]:
    found: dict[str, _Reported] = {}
    for submission_id, year, component, source, amount, note in rows:
        found.setdefault(submission_id, {})[(year, component, source)] = (amount, note)
    return found


def _beyond_the_nearest(
    cur: psycopg.Cursor,
    subs: list[Submission],
    sides: dict[_Side, list[tuple[str, dt.date]]],
    nearest: dict[_Side, _Reported],
) -> dict[_Side, _Reported]:
    """For each side, the rows of the submissions that its nearest month did not report, from the
    nearest of the months further away that did (the rows a unit dropped for a month and took
    up again). Usually there are none, and nothing is read."""
    looked_for: list[tuple[_Side, AmountKey]] = []
    for sub in subs:
        keys: set[AmountKey] | None = None  # the file's rows' keys, taken once (in C) for both sides
        for is_earlier in (True, False):
            side = (sub.unit_code or "", sub.period_month or dt.date.min, is_earlier)
            if len(sides.get(side, ())) > 1:
                if keys is None:
                    keys = set(map(amount_key, sub.fund_amounts))
                looked_for += [(side, key) for key in keys.difference(nearest[side])]
    if not looked_for:
        return {}
    given = [(submission_id, key) for side, key in looked_for for submission_id, _month in sides[side][1:]]
    found = _reported_given_rows(cur, given)
    beyond: dict[_Side, _Reported] = {}
    for side, key in looked_for:
        for submission_id, _month in sides[side][1:]:  # the nearest month that reported the row
            if (row := found.get(submission_id, {}).get(key)) is not None:
                beyond.setdefault(side, {})[key] = row
                break
    return beyond


def load_submission(conn: psycopg.Connection, sub: Submission, received_at: dt.datetime) -> LoadResult:
    """Insert one submission (accepted or rejected) with its rows and problems, atomically."""
    (result,) = _land(conn, [sub], [received_at])
    return result


ReceivedAt = dt.datetime | Sequence[dt.datetime]


def _each(subs: list[Submission], received_at: ReceivedAt) -> list[dt.datetime]:
    """The receipt time of each submission: one for all, or one each (in the order of ``subs``)."""
    if isinstance(received_at, dt.datetime):
        return [received_at] * len(subs)
    if len(received_at) != len(subs):
        raise ValueError(f"{len(subs)} submissions, {len(received_at)} receipt times")
    return list(received_at)


def load_batch(conn: psycopg.Connection, subs: list[Submission], received_at: ReceivedAt) -> list[LoadResult]:
    """Insert gated submissions, each wholly or not at all; results in the order of ``subs``.

    ``received_at``: when the files were received — one time for all, or one for each file (the
    inbox's files each arrive at their own time), in the order of ``subs``.

    One transaction for the batch; if it fails (a constraint the gate did not foresee, a
    deadlock), it is rolled back and each file lands on its own: the one at fault lands as
    rejected, with a ``cannot_store`` reason in place of its rows (``_land_or_reject``).
    """
    times = _each(subs, received_at)
    if len(subs) > 1:
        try:
            return _land(conn, subs, times)
        except psycopg.Error as exc:
            conn.rollback()
            log.warning("loading %d files together failed (%s); loading them one by one", len(subs), exc)
    return [_land_or_reject(conn, sub, at) for sub, at in zip(subs, times, strict=True)]


def _land_or_reject(conn: psycopg.Connection, sub: Submission, received_at: dt.datetime) -> LoadResult:
    """One file; if the database refuses one of its values (no check foresaw it), the file lands
    as rejected with that reason instead — its rows and its own problems left out — and the run
    goes on. Errors of the database itself (a lost connection) are the run's, and raise."""
    try:
        return load_submission(conn, sub, received_at)
    except (psycopg.DataError, psycopg.IntegrityError, UnicodeEncodeError) as exc:
        conn.rollback()
        log.warning("file %s could not be stored (%s); recorded as rejected", sub.submission_id, exc)
        reason = problem("cannot_store", detail=type(exc).__name__)
    sub.fund_amounts, sub.outcomes, sub.narrative, sub.problems = [], [], None, [reason]
    return load_submission(conn, sub, received_at)


def _lock_key(sub: Submission) -> str:
    return f"gnbv:{sub.unit_code}:{sub.period_month}" if sub.unit_code else f"gnbv:{sub.file_sha256}"


def _land(conn: psycopg.Connection, subs: list[Submission], received_at: list[dt.datetime]) -> list[LoadResult]:
    with conn.transaction(), conn.cursor() as cur:
        for key in sorted({_lock_key(sub) for sub in subs}):
            cur.execute("select pg_advisory_xact_lock(hashtext(%s))", (key,))
        judged = _Judged(cur, subs, received_at)
        results, new = [], []
        for sub, at in zip(subs, received_at, strict=True):
            result = judged.verdict(sub, at)
            results.append(result)
            if result.status != "duplicate" and result.submission_id not in judged.recorded:
                new.append((sub, result))
        if new:
            when = {id(sub): at for sub, at in zip(subs, received_at, strict=True)}
            _copy_submissions(cur, [(sub, result, when[id(sub)]) for sub, result in new])
            accepted = [(sub, r.submission_id) for sub, r in new if r.status == "accepted"]
            if accepted:
                _copy_rows(cur, accepted)
            _copy_problems(cur, [(sub, r.submission_id) for sub, r in new])
    return results


class _Judged:
    """What the warehouse already knows of a batch's files, and the verdict on each.

    * The same bytes as a file accepted before (even one superseded since): ``duplicate`` —
      unless sent for a month they do not report (then judged, and rejected, as sent).
    * The same bytes as a file only ever rejected: judged again — its context may have changed
      (the province given, last month corrected). A verdict that is the same as the last judging
      (same status, same problems) is that judging again: nothing new is recorded (intake stays
      idempotent); a different one is recorded as a new judging, with an id of its own. Other
      bytes with the same content (a rejected workbook saved again) are treated alike.
    * Other bytes with the same content as the version in force of everything they carry (a
      workbook opened and saved again): ``duplicate`` of that version; nothing changes.
    * A file that would become a version in force while an accepted file of the same unit and
      month, carrying the same part, was received at the very same time with other content (the
      intake DAG takes each file on its own, with its modification time as receipt time; files
      unpacked from one ZIP share it): a tie, as ``ingest.intake.refuse_ties`` finds within one
      call. Nothing orders the two, so this one is rejected (``several_files_at_once``, naming
      both) and ``VERSION_IN_FORCE`` no longer counts the other: the version before stays. Decided
      here, under the unit's and month's advisory lock, so that two loads cannot both miss it.
    """

    def __init__(self, cur: psycopg.Cursor, subs: list[Submission], received_at: list[dt.datetime]):
        self.cur = cur
        cur.execute(_EARLIER_JUDGINGS, ([sub.file_sha256 for sub in subs],))
        # sha → (latest submission_id, its status, judgings, an accepted submission_id or None)
        self.earlier = {
            sha: (latest, status, count, accepted_id if ever_accepted else None)
            for sha, latest, status, count, ever_accepted, accepted_id in cur.fetchall()
        }
        self.in_force = self._content_in_force(subs)
        self.same_time = self._received_at_the_same_time(subs, received_at)
        rejected = [s.content_sha256 for s in subs if s.errors and s.unit_code and s.period_month]
        self.content_judged: dict[str, tuple[str, str]] = {}
        if rejected:  # most batches: none
            cur.execute(_LATEST_JUDGING_OF_CONTENT, (rejected,))
            self.content_judged = {content: (sid, status) for content, sid, status in cur.fetchall()}
        self.seen: dict[str, LoadResult] = {}  # sha → its verdict earlier in this batch
        self.recorded: set[str] = set()  # judgings that exist already (a verdict repeated)

    def _content_in_force(self, subs: list[Submission]) -> dict[tuple[str, str, dt.date], tuple[str, str | None]]:
        wanted = {(s.unit_code, s.period_month) for s in subs if s.unit_code and s.period_month and not s.errors}
        if not wanted:
            return {}
        units, months = zip(*wanted, strict=True)
        self.cur.execute(_CONTENT_IN_FORCE, {"units": list(units), "months": list(months)})
        return {(part, unit, month): (sid, content) for part, sid, unit, month, content in self.cur.fetchall()}

    def _received_at_the_same_time(
        self, subs: list[Submission], received_at: list[dt.datetime]
    ) -> dict[tuple[str, dt.date, dt.datetime], list[tuple[str, bool, bool, str | None, str, str]]]:
        wanted = {
            (s.unit_code, s.period_month, at)
            for s, at in zip(subs, received_at, strict=True)
            if s.unit_code and s.period_month and not s.errors
        }
        if not wanted:
            return {}
        units, months, times = zip(*wanted, strict=True)
        self.cur.execute(
            _RECEIVED_AT_THE_SAME_TIME, {"units": list(units), "months": list(months), "times": list(times)}
        )
        same_time: dict[tuple[str, dt.date, dt.datetime], list[tuple[str, bool, bool, str | None, str, str]]] = {}
        for unit, month, at, *rest in self.cur.fetchall():
            same_time.setdefault((unit, month, at), []).append(tuple(rest))  # type: ignore[arg-type]
        return same_time

    def _tie(self, sub: Submission, received_at: dt.datetime) -> list[str]:
        """The names of the files received at the same time that this one ties with (none: no tie)."""
        parts = set(_parts(sub))
        tied = []
        same_time = self.same_time.get((sub.unit_code, sub.period_month, received_at), [])  # type: ignore[arg-type]
        for status, funds, outcomes, content, name, file_sha256 in same_time:
            if file_sha256 == sub.file_sha256:  # the same file judged again is no tie with itself
                continue
            carried = {part for part, carries in (("funds", funds), ("outcomes", outcomes)) if carries}
            # a rejected one is a tie found before at this time, which stands for whatever comes
            if status == "rejected" or (content != sub.content_sha256 and parts & carried):
                tied.append(name)
        return tied

    def verdict(self, sub: Submission, received_at: dt.datetime) -> LoadResult:
        if sub.file_sha256 in self.seen:  # the same bytes twice in one batch
            first = self.seen[sub.file_sha256]
            return LoadResult(first.submission_id, "duplicate", previous_status=_settled(first))
        latest, latest_status, count, accepted_id = self.earlier.get(sub.file_sha256, (None, None, 0, None))
        if accepted_id is not None and not any(p.code in NOT_FOR_THE_MONTH_SENT for p in sub.errors):
            result = LoadResult(accepted_id, "duplicate", previous_status="accepted")
        elif sub.errors:
            if latest is None and sub.unit_code and sub.period_month:  # other bytes, the same content?
                latest, latest_status = self.content_judged.get(sub.content_sha256, (None, None))
            if latest is not None and latest_status == "rejected" and self._same_problems(latest, sub):
                self.recorded.add(latest)
                result = LoadResult(latest, "rejected")
            else:
                result = LoadResult(_judging_id(sub, count), "rejected")
        elif (same := self._same_content(sub)) is not None:
            result = same
        elif tied := self._tie(sub, received_at):
            names = sorted(shown_name(name) for name in (sub.file_name, *tied))  # two files may share a name
            sub.problems.append(problem("several_files_at_once", count=str(len(names)), detail=", ".join(names)))
            if latest is not None and latest_status == "rejected" and self._same_problems(latest, sub):
                self.recorded.add(latest)  # the same tie judged again: nothing new
                result = LoadResult(latest, "rejected")
            else:
                result = LoadResult(_judging_id(sub, count), "rejected")
        else:
            result = LoadResult(_judging_id(sub, count), "accepted")
            for part in _parts(sub):
                self.in_force[(part, sub.unit_code, sub.period_month)] = (  # type: ignore[index]
                    result.submission_id,
                    sub.content_sha256,
                )
        self.seen[sub.file_sha256] = result
        return result

    def _same_content(self, sub: Submission) -> LoadResult | None:
        parts = _parts(sub)
        forces = [self.in_force.get((part, sub.unit_code, sub.period_month)) for part in parts]  # type: ignore[misc,arg-type]
        content = sub.content_sha256
        if parts and all(force is not None and force[1] == content for force in forces):
            return LoadResult(forces[0][0], "duplicate", previous_status="accepted")  # type: ignore[index]
        return None

    def _same_problems(self, submission_id: str, sub: Submission) -> bool:
        self.cur.execute(
            "select check_code, severity, sheet_name, cell, value_as_written, message_vi, message_en"
            " from raw.submission_problems where submission_id = %s order by problem_no",
            (submission_id,),
        )
        before = [tuple(row) for row in self.cur.fetchall()]
        now = [(p.code, p.severity, p.sheet, p.cell, p.value, p.message_vi, p.message_en) for p in sub.problems]
        return before == now


def _parts(sub: Submission) -> list[str]:
    return [part for part, rows in (("funds", sub.fund_amounts), ("outcomes", sub.outcomes)) if rows]


def _settled(result: LoadResult) -> str:
    return result.previous_status if result.status == "duplicate" and result.previous_status else result.status


def _judging_id(sub: Submission, earlier_judgings: int) -> str:
    """The first judging of a file keeps its content-addressed id; the n-th is ``<sha[:16]>-<n>``."""
    if earlier_judgings == 0:
        return sub.submission_id
    return f"{sub.file_sha256[:16]}-{earlier_judgings + 1:03d}"


# Each COPY's columns, with their types in raw (V002, V005): given to psycopg, which then dumps
# every value of a column with that type's dumper, chosen once for the COPY rather than looked up
# for each value from its Python type. Text format: the values reach PostgreSQL as they did
# without the types (numeric from the exact int or Decimal, text as is).
_SUBMISSION_COLUMNS = (
    ("submission_id", "text"),
    ("file_sha256", "text"),
    ("file_name", "text"),
    ("file_format", "text"),
    ("file_size_bytes", "int8"),
    ("unit_code", "text"),
    ("period_month", "date"),
    ("amount_unit", "text"),
    ("status", "text"),
    ("has_funds", "bool"),
    ("has_outcomes", "bool"),
    ("narrative", "text"),
    ("received_at", "timestamptz"),
    ("reader_version", "text"),
    ("content_sha256", "text"),
)
_FUND_AMOUNT_COLUMNS = (
    ("submission_id", "text"),
    ("capital_year", "int2"),
    ("component_code", "text"),
    ("funding_source_code", "text"),
    ("plan_amount_vnd", "numeric"),
    ("disbursed_cumulative_vnd", "numeric"),
    ("sheet_name", "text"),
    ("row_number", "int4"),
    ("plan_cell", "text"),
    ("disbursed_cell", "text"),
    ("label_as_written", "text"),
    ("note", "text"),
)
_OUTCOME_VALUE_COLUMNS = (
    ("submission_id", "text"),
    ("indicator_code", "text"),
    ("target_value", "numeric"),
    ("actual_in_month", "numeric"),
    ("actual_cumulative", "numeric"),
    ("sheet_name", "text"),
    ("row_number", "int4"),
    ("target_cell", "text"),
    ("actual_in_month_cell", "text"),
    ("actual_cumulative_cell", "text"),
    ("label_as_written", "text"),
    ("note", "text"),
)
_PROBLEM_COLUMNS = (
    ("submission_id", "text"),
    ("problem_no", "int4"),
    ("check_code", "text"),
    ("severity", "text"),
    ("sheet_name", "text"),
    ("cell", "text"),
    ("value_as_written", "text"),
    ("message_vi", "text"),
    ("message_en", "text"),
    ("hint_vi", "text"),
    ("hint_en", "text"),
)


def _copy(
    cur: psycopg.Cursor, table: str, columns: Sequence[tuple[str, str]], rows: Iterable[tuple[object, ...]]
) -> None:
    """COPY ``rows`` (values in the order of ``columns``) into ``raw.<table>``."""
    statement = sql.SQL("copy {} ({}) from stdin").format(
        sql.Identifier("raw", table), sql.SQL(", ").join(sql.Identifier(name) for name, _ in columns)
    )
    with cur.copy(statement) as copy:
        copy.set_types([type_name for _, type_name in columns])
        for row in rows:
            copy.write_row(row)


def _copy_submissions(cur: psycopg.Cursor, subs: list[tuple[Submission, LoadResult, dt.datetime]]) -> None:
    _copy(
        cur,
        "submissions",
        _SUBMISSION_COLUMNS,
        (
            (
                result.submission_id,
                sub.file_sha256,
                sub.file_name,
                sub.file_format,
                sub.file_size,
                sub.unit_code,
                sub.period_month,
                sub.amount_unit,
                result.status,
                result.status == "accepted" and bool(sub.fund_amounts),
                result.status == "accepted" and bool(sub.outcomes),
                sub.narrative,
                received_at,
                READER_VERSION,
                sub.content_sha256 if sub.unit_code and sub.period_month else None,
            )
            for sub, result, received_at in subs
        ),
    )


def _copy_rows(cur: psycopg.Cursor, subs: list[tuple[Submission, str]]) -> None:
    _copy(
        cur,
        "fund_amounts",
        _FUND_AMOUNT_COLUMNS,
        (
            (
                submission_id,
                r.capital_year,
                r.component_code,
                r.funding_source_code,
                r.plan_amount_vnd,
                r.disbursed_cumulative_vnd,
                r.sheet or None,
                r.row,
                r.plan_cell,
                r.disbursed_cell,
                r.label,
                r.note or None,
            )
            for sub, submission_id in subs
            for r in sub.fund_amounts
        ),
    )
    _copy(
        cur,
        "outcome_values",
        _OUTCOME_VALUE_COLUMNS,
        (
            (
                submission_id,
                o.indicator_code,
                o.target_value,
                o.actual_in_month,
                o.actual_cumulative,
                o.sheet or None,
                o.row,
                o.target_cell,
                o.actual_in_month_cell,
                o.actual_cumulative_cell,
                o.label,
                o.note or None,
            )
            for sub, submission_id in subs
            for o in sub.outcomes
        ),
    )


def _copy_problems(cur: psycopg.Cursor, subs: list[tuple[Submission, str]]) -> None:
    _copy(
        cur,
        "submission_problems",
        _PROBLEM_COLUMNS,
        (
            (
                submission_id,
                number,
                p.code,
                p.severity,
                storable_text(p.sheet),
                storable_text(p.cell),
                storable_text(p.value),
                storable_text(p.message_vi),
                storable_text(p.message_en),
                p.hint_vi,
                p.hint_en,
            )
            for sub, submission_id in subs
            for number, p in enumerate(sub.problems, start=1)
        ),
    )
