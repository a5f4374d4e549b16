"""Property of the cumulative-to-monthly arithmetic (dbt: int_fund_amounts_monthly_increments and
the incremental fct_fund_disbursement that shares its macro).

Districts report disbursement *cumulative from the start of the reporting year*, for every
capital year (capital carried over from year Y is reported on Y+1's forms, cumulative since
January of Y+1); the warehouse derives the month's own disbursement. The rule, as a Python
oracle (``expected_increments``): for one unit, component, funding source and capital year,
within one reporting year,
- the first month that reports a cumulative counts all of it (January restarts the count);
- every later such month counts its cumulative minus the previous one *reported* (a skipped
  month or an empty cell folds into the next figure), negative when it decreased;
- an empty cell has no increment (null, never 0), and the increments of a year add up to its
  last cumulative figure.

Hypothesis draws the series: months reported or skipped over 2024 and the first half of 2025,
empty cells, decreases (marked as corrections, ``Ghi chú: điều chỉnh``), carried-over capital
beside the year's own, several units and lines at once. Two tests, because a dbt build costs
seconds and a query milliseconds:
1. the model's SQL as dbt compiles it, run on PostgreSQL against the oracle for hundreds of
   drawn examples (the rows of int_fund_amounts_latest in a temporary table);
2. real incremental ``dbt build``s over raw (~30 units per example): versions superseded in the
   same build or by a late correction in the next one, months arriving late before months
   already built; after each build the fact equals the oracle row for row, and the build's tests
   (a decrease without a correction fails it) pass.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from tests.synthetic_raw import M, add_submission, at, empty_raw, own_home

pytestmark = pytest.mark.xdist_group(name="dbt")

PLAN = 10**12  # every row's plan: never the limiting figure here
LINES = [("DA1.TDA1", "NSTW_DTPT"), ("DA3.TDA1", "NSTW_SN"), ("DA5", "NSDP"), ("DA4.TDA3", "NSTW_SN")]
# 2024 and the first half of 2025: every district below is in the register all that time
MONTHS = [dt.date(2024, m, 1) for m in range(1, 13)] + [dt.date(2025, m, 1) for m in range(1, 7)]
UNITS = [  # Cao Bằng, Hà Giang (02), Hà Nội (01) districts
    *("040", "042", "043", "045", "047", "048", "049", "051", "052", "053"),
    *("024", "026", "027", "028", "029", "030", "031", "032", "033", "034", "035"),
    *("001", "002", "003", "004", "005", "006", "007", "008", "009", "016"),
]
INCREMENTS = "int_fund_amounts_monthly_increments"
LATEST = "int_fund_amounts_latest"

Key = tuple[str, dt.date, int, str, str]  # unit, month, capital year, component, funding source


@dataclass(frozen=True)
class FundFigure:
    """One fund row of a unit's version in force."""

    unit: str
    month: dt.date
    capital_year: int
    component: str
    source: str
    cumulative: int | None  # VND; None: the cell was left empty
    correction: bool = False

    @property
    def key(self) -> Key:
        return (self.unit, self.month, self.capital_year, self.component, self.source)


def expected_increments(rows: list[FundFigure]) -> dict[Key, tuple[int | None, dt.date | None]]:
    """The oracle: key → (disbursed in the month, previous reported month), by the rule above."""
    series: dict[tuple[Any, ...], list[FundFigure]] = defaultdict(list)
    for row in rows:
        series[(row.unit, row.component, row.source, row.capital_year, row.month.year)].append(row)
    out: dict[Key, tuple[int | None, dt.date | None]] = {}
    for figures in series.values():
        previous_month, previous_cumulative = None, 0  # nothing reported yet this year
        for row in sorted(figures, key=lambda r: r.month):
            if row.cumulative is None:
                out[row.key] = (None, None)
                continue
            out[row.key] = (row.cumulative - previous_cumulative, previous_month)
            previous_month, previous_cumulative = row.month, row.cumulative
    return out


# --------------------------------------------------------------------------- strategies


def _cells(draw: st.DrawFn, months: list[dt.date], lines: list[tuple[str, str, int]], unit: str) -> list[FundFigure]:
    """A unit's rows for ``months``: per line a cell absent, empty or a cumulative figure; a
    figure below an earlier one of its year is marked as a correction (sometimes an increase is
    too: a note may say so for any reason)."""
    rows = []
    for component, source, carried in lines:
        highest: dict[int, int] = {}
        for month in months:
            kind = draw(st.integers(0, 9))  # 0: no row, 1: an empty cell, else a figure
            if kind == 0:
                continue
            cumulative = None if kind == 1 else draw(st.integers(0, 400)) * M + draw(st.sampled_from([0, 1, 499_999]))
            decreased = cumulative is not None and cumulative < highest.get(month.year, 0)
            if cumulative is not None:
                highest[month.year] = max(highest.get(month.year, 0), cumulative)
            rows.append(
                FundFigure(
                    unit,
                    month,
                    month.year - carried,
                    component,
                    source,
                    cumulative,
                    correction=decreased or draw(st.integers(0, 9)) == 0,
                )
            )
    return rows


# (component, funding source, 1 when the capital is carried over from the year before)
line_strategy = st.tuples(st.sampled_from(LINES), st.sampled_from([0, 0, 1])).map(lambda t: (*t[0], t[1]))


@st.composite
def in_force_rows(draw: st.DrawFn) -> list[FundFigure]:
    """The rows of int_fund_amounts_latest for a few units."""
    rows: list[FundFigure] = []
    for unit in draw(st.lists(st.sampled_from(UNITS), min_size=1, max_size=4, unique=True)):
        months = sorted(draw(st.lists(st.sampled_from(MONTHS), min_size=1, max_size=12, unique=True)))
        lines = draw(st.lists(line_strategy, min_size=1, max_size=3, unique=True))
        rows += _cells(draw, months, lines, unit)
    return rows


@dataclass(frozen=True)
class Version:
    """One file of a unit-month: its rows, and the build it arrives before (1 or 2)."""

    unit: str
    month: dt.date
    number: int  # 1, or 2 for a corrected file sent later
    arrives: int
    rows: tuple[FundFigure, ...]

    @property
    def submission_id(self) -> str:
        content = repr((self.unit, self.month, self.number, self.rows)).encode()
        return f"prop_{self.unit}_{self.month:%Y%m}_v{self.number}_{hashlib.sha256(content).hexdigest()[:10]}"


@st.composite
def submissions(draw: st.DrawFn) -> list[Version]:
    """Versions of ~30 units' months: some corrected by a second file, in the same build or the
    next; some months arriving only before the second build, earlier months included."""
    versions = []
    for unit in UNITS:
        months = sorted(draw(st.lists(st.sampled_from(MONTHS), min_size=1, max_size=8, unique=True)))
        lines = draw(st.lists(line_strategy, min_size=1, max_size=3, unique=True))
        for number in (1, 2):
            arrivals = {m: draw(st.sampled_from([1, 1, 2])) for m in months}
            cells = _cells(draw, months, lines, unit)
            for month in months:
                rows = tuple(r for r in cells if r.month == month)
                if number == 2 and draw(st.integers(0, 3)) != 0:
                    continue  # most months have a single version
                if not rows:
                    line = lines[0]
                    rows = (FundFigure(unit, month, month.year - line[2], line[0], line[1], None),)
                versions.append(Version(unit, month, number, arrivals[month] if number == 1 else 2, rows))
    return _consistent_corrections(_no_row_dropped(versions))


def _no_row_dropped(versions: list[Version]) -> list[Version]:
    """Keep a row (its cell empty) in the next month of the same year where a version of the
    month before had disbursement to date on it: dropping it is refused (dbt's test
    assert_no_row_dropped_with_disbursement_to_date, intake's row_dropped), whichever versions
    are in force."""
    disbursed: dict[tuple[str, dt.date], set[tuple[int, str, str]]] = defaultdict(set)
    for version in versions:
        for row in version.rows:
            if row.cumulative:
                disbursed[(row.unit, row.month)].add((row.capital_year, row.component, row.source))

    def kept(version: Version) -> Version:
        if version.month.month == 1:
            return version
        previous = version.month.replace(month=version.month.month - 1)
        present = {(r.capital_year, r.component, r.source) for r in version.rows}
        missing = sorted(disbursed[(version.unit, previous)] - present)
        empty = tuple(FundFigure(version.unit, version.month, y, c, s, None) for y, c, s in missing)
        return dataclasses.replace(version, rows=version.rows + empty)

    return [kept(v) for v in versions]


def _consistent_corrections(versions: list[Version]) -> list[Version]:
    """Mark a figure as a correction when it is below any earlier month's figure of its line and
    year in any version: whichever versions are in force at a build, no decrease goes unmarked."""
    figures: dict[tuple[Any, ...], list[FundFigure]] = defaultdict(list)
    for version in versions:
        for row in version.rows:
            figures[(row.unit, row.component, row.source, row.capital_year, row.month.year)].append(row)

    def marked(row: FundFigure) -> FundFigure:
        earlier = figures[(row.unit, row.component, row.source, row.capital_year, row.month.year)]
        highest = max((r.cumulative or 0 for r in earlier if r.month < row.month), default=0)
        below = row.cumulative is not None and row.cumulative < highest
        return dataclasses.replace(row, correction=row.correction or below)

    return [Version(v.unit, v.month, v.number, v.arrives, tuple(marked(r) for r in v.rows)) for v in versions]


def in_force(versions: list[Version], build: int) -> dict[tuple[str, dt.date], Version]:
    """The version of each unit-month in force at ``build``: the latest one arrived."""
    current: dict[tuple[str, dt.date], Version] = {}
    for version in sorted(versions, key=lambda v: v.number):
        if version.arrives <= build:
            current[(version.unit, version.month)] = version
    return current


# --------------------------------------------------------------------------- 1. the SQL, many examples


@pytest.fixture(scope="module")
def isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("gnbv_home")
    with own_home(home):
        yield home


@dataclass(frozen=True)
class CompiledModel:
    conn: psycopg.Connection  # holds the temporary table latest_rows
    sql: str

    def __repr__(self) -> str:  # Hypothesis prints the arguments of a failing example
        return f"<{INCREMENTS} as compiled, reading pg_temp.latest_rows>"


@pytest.fixture(scope="module")
def increments_sql(database_url: str, isolated_home: Path) -> Iterator[CompiledModel]:
    """A connection with a temporary table shaped like int_fund_amounts_latest, and the model's
    SQL as dbt compiles it, reading that table instead."""
    import json

    from gnbv import dbt

    compiled = dbt.run_dbt(["compile", "--select", INCREMENTS], quiet=True)
    assert compiled.success, "\n".join(compiled.lines())
    target = isolated_home / ".gnbv" / "dbt" / "target"
    nodes = json.loads((target / "manifest.json").read_text(encoding="utf-8"))["nodes"]
    latest = nodes[f"model.gnbv.{LATEST}"]["relation_name"]
    (path,) = target.glob(f"compiled/gnbv/**/{INCREMENTS}.sql")
    sql = path.read_text(encoding="utf-8")
    assert sql.count(latest) == 1, f"the model reads {LATEST} once: {sql}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "create temporary table latest_rows (submission_id text, unit_code text, province_code text,"
            " period_month date, capital_year integer, component_code text, funding_source_code text,"
            " plan_amount_vnd numeric(20, 0), disbursed_cumulative_vnd numeric(20, 0), is_correction boolean,"
            " received_at timestamptz, component_resolved_by text, label_as_written text, note text)"
        )
        yield CompiledModel(conn, sql.replace(latest, "pg_temp.latest_rows"))


@settings(max_examples=500, deadline=None)
@given(rows=in_force_rows())
def test_the_models_sql_follows_the_rule_on_hundreds_of_generated_series(
    increments_sql: CompiledModel, rows: list[FundFigure]
) -> None:
    conn, sql = increments_sql.conn, increments_sql.sql
    conn.execute("truncate latest_rows")
    with conn.cursor().copy(
        "copy latest_rows (submission_id, unit_code, period_month, capital_year, component_code,"
        " funding_source_code, plan_amount_vnd, disbursed_cumulative_vnd, is_correction) from stdin"
    ) as copy:
        for r in rows:
            copy.write_row((f"s_{r.unit}_{r.month}", r.unit, r.month, r.capital_year, r.component, r.source, PLAN,
                            r.cumulative, r.correction))  # fmt: skip
    got = {
        (u, m, y, c, s): (None if v is None else int(v), p)
        for u, m, y, c, s, v, p in conn.execute(
            "select unit_code, period_month, capital_year, component_code, funding_source_code,"
            f" disbursed_in_month_vnd, previous_period_month from ({sql}) as increments"
        ).fetchall()
    }
    assert got == expected_increments(rows)
    # and, whatever the oracle says: a year's increments add up to its last cumulative figure
    last: dict[tuple[Any, ...], FundFigure] = {}
    for row in sorted((r for r in rows if r.cumulative is not None), key=lambda r: r.month):
        last[(row.unit, row.component, row.source, row.capital_year, row.month.year)] = row
    for (unit, component, source, capital_year, year), final in last.items():
        total = sum(
            v or 0
            for (u, m, y, c, s), (v, _) in got.items()
            if (u, c, s, y, m.year) == (unit, component, source, capital_year, year)
        )
        assert total == final.cumulative


# --------------------------------------------------------------------------- 2. real builds


def _land(conn: psycopg.Connection, version: Version) -> None:
    add_submission(
        conn,
        version.submission_id,
        version.unit,
        f"{version.month:%Y-%m}",
        at(f"{version.month:%Y-%m}-{10 if version.number == 1 else 20}"),
        funds=[(r.component, r.source, r.capital_year, PLAN, r.cumulative) for r in version.rows],
        notes={(r.component, r.source, r.capital_year): "Điều chỉnh số liệu" for r in version.rows if r.correction},
    )


def _facts(url: str) -> dict[Key, tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select unit_code, period_month, capital_year, component_code, funding_source_code,"
            " disbursed_cumulative_vnd, disbursed_in_month_vnd, previous_period_month, is_correction, submission_id"
            " from marts.fct_fund_disbursement"
        ).fetchall()
    return {r[:5]: (None if r[5] is None else int(r[5]), None if r[6] is None else int(r[6]), *r[7:]) for r in rows}


def _expected_facts(versions: dict[tuple[str, dt.date], Version]) -> dict[Key, tuple[Any, ...]]:
    figures = [r for v in versions.values() for r in v.rows]
    increments = expected_increments(figures)
    ids = {r.key: v.submission_id for v in versions.values() for r in v.rows}
    return {r.key: (r.cumulative, *increments[r.key], r.correction, ids[r.key]) for r in figures}


@pytest.mark.slow
@settings(max_examples=3, deadline=None, phases=[Phase.explicit, Phase.generate])
@given(versions=submissions())
def test_incremental_builds_follow_the_rule_through_late_files_and_corrections(
    database_url: str, isolated_home: Path, versions: list[Version]
) -> None:
    from gnbv import db, dbt

    with db.connect(autocommit=True) as conn:  # migrated
        empty_raw(conn)
    for build in (1, 2):
        with db.connect() as conn:
            for version in versions:
                if version.arrives == build:
                    _land(conn, version)
            conn.commit()
        result = dbt.build(docs=False, quiet=True)  # incremental: what the last example left is replaced
        assert result.success, "\n".join(result.lines(only_failed=True))
        assert _facts(database_url) == _expected_facts(in_force(versions, build)), f"after build {build}"
