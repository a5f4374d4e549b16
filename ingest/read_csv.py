"""Reading the long-format CSV that machine-made submissions use (SUBMISSION_FORM.md).

``period,unit_code,component,funding_source,capital_year,plan_amount,disbursed_cumulative,amount_unit``
for amounts, ``period,unit_code,indicator,target,actual_month,actual_cumulative`` for outcomes.
Machine-made means a plain decimal point and codes, but a component may still be given as a label.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from gnbv.reference import Reference
from ingest.cell_problem import CellProblem, SubmissionRejected
from ingest.file_guard import check_file
from ingest.labels import resolvers_for
from ingest.model import AMOUNT_UNITS, FileContent, FundAmount, OutcomeValue
from ingest.numbers import to_whole_vnd
from ingest.problems import problem
from ingest.read_workbook import no_longer_exists, require_figures

AMOUNT_COLUMNS = (
    "period",
    "unit_code",
    "component",
    "funding_source",
    "capital_year",
    "plan_amount",
    "disbursed_cumulative",
    "amount_unit",
)
OUTCOME_COLUMNS = ("period", "unit_code", "indicator", "target", "actual_month", "actual_cumulative")
_MACHINE_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")
_UNIT_ALIASES = {
    "million_vnd": "million_vnd",
    "thousand_vnd": "thousand_vnd",
    "vnd": "vnd",
    "trieu_dong": "million_vnd",
    "dong": "vnd",
}


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), or UTF-16 with its BOM; anything else is refused, not guessed
    (a Windows-1258 file decoded as something else would silently corrupt Vietnamese names)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    else:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
    raise SubmissionRejected([problem("unreadable_file", detail="CSV must be UTF-8 (Excel: 'CSV UTF-8')")]) from None


_LINE_END = re.compile(r"\r\n|\r|\n")


def _delimiter(text: str) -> str:
    """Excel in a Vietnamese locale exports ';'-separated CSV, and its "Unicode Text" tabs; the
    header tells which it is."""
    header = _LINE_END.split(text, maxsplit=1)[0]
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda sep: (counts[sep], sep == ","))


def _lines(text: str) -> io.StringIO:
    """The text as the csv module wants it (``newline=""``): records end at CR LF, LF or a lone CR
    (Excel's "CSV (Macintosh)"), and line breaks inside quoted fields stay as they are."""
    return io.StringIO(text, newline="")


def read_rows(path: Path) -> list[list[str]]:
    """The CSV's records as read (header first; blank lines skipped, as the reader skips them), so
    that record ``n`` of the reader (``column:n`` in a problem's cell) is ``rows[n - 1]``."""
    check_file(path)
    text = _decode(path.read_bytes())
    with _csv_errors():
        return [row for row in csv.reader(_lines(text), delimiter=_delimiter(text), strict=True) if row]


@contextlib.contextmanager
def _csv_errors(reader: Any = None) -> Iterator[None]:
    """The csv module's errors as this file's rejection, saying where and what (a field over
    its size limit, a quote left open at the end)."""
    try:
        yield
    except csv.Error as exc:
        line = str(getattr(reader, "line_num", "?"))
        text = str(exc)
        if "field larger than field limit" in text:
            vi, en = (
                f"một ô dài quá {csv.field_size_limit():,} ký tự",
                f"a field over {csv.field_size_limit():,} characters",
            )
        elif "unexpected end of data" in text or "expected after" in text:
            raise SubmissionRejected([problem("csv_unclosed_quote", line=line)]) from None
        else:
            vi, en = f"cấu trúc không hợp lệ ({text})", f"invalid structure ({text})"
        raise SubmissionRejected([problem("csv_malformed", line=line, detail_vi=vi, detail_en=en)]) from None


def _number(text: str, column: str, line: int, problems: list[CellProblem]) -> Decimal | None:
    text = text.strip()
    if not text:
        return None
    if not _MACHINE_NUMBER.match(text):
        problems.append(
            problem(
                "not_a_number",
                cell=f"{column}:{line}",
                value=text,
                reason_vi="không phải số (tệp CSV dùng dấu . thập phân, không phân cách hàng nghìn)",
                reason_en="not a number (the CSV uses '.' for decimals and no thousands separator)",
            )
        )
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None


def _vnd(text: str, column: str, line: int, factor: int, problems: list[CellProblem]) -> int | None:
    number = _number(text, column, line, problems)
    if number is None:
        return None
    try:
        return to_whole_vnd(number, factor)
    except CellProblem as bad:
        problems.append(bad.at(None, f"{column}:{line}"))
        return None


def read_csv(path: Path, reference: Reference) -> FileContent:
    check_file(path)
    text = _decode(path.read_bytes())
    delimiter = _delimiter(text)
    reader = csv.DictReader(_lines(text), delimiter=delimiter, strict=True)
    with _csv_errors(reader.reader):
        content = _read_records(reader, delimiter, reference)
    require_figures(content)
    return content


def _refuse_repeated_columns(header: tuple[str, ...]) -> None:
    """A column named twice would be read from its last copy, silently: the file is refused."""
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        raise SubmissionRejected([problem("duplicate_column", value=", ".join(repeated))])


def _read_records(reader: csv.DictReader, delimiter: str, reference: Reference) -> FileContent:
    header = tuple(h.strip() for h in (reader.fieldnames or ()))
    _refuse_repeated_columns(header)
    reader.fieldnames = list(header)
    content = FileContent()
    if set(AMOUNT_COLUMNS) <= set(header):
        kind = "amounts"
    elif set(OUTCOME_COLUMNS) <= set(header):
        kind = "outcomes"
    elif delimiter == "\t":  # Excel's "Unicode Text" of the form, named .csv: not the long format
        raise SubmissionRejected([problem("unicode_text_export")])
    else:
        raise SubmissionRejected(
            [problem("no_disbursement_sheet", detail="CSV header must be: " + ",".join(AMOUNT_COLUMNS))]
        )
    resolvers = resolvers_for(reference)
    indicators = resolvers.indicators
    seen: dict[tuple, int] = {}
    for line, row in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in row.items() if k}
        if not any(row.values()):
            continue
        swallowed = next((k for k, v in row.items() if "\n" in v or "\r" in v), None)
        if swallowed is not None:  # a quote left open: the next lines were read into this field
            content.problems.append(problem("csv_unclosed_quote", cell=f"{swallowed}:{line}", line=str(line)))
            continue
        if not _set_unit_and_period(row, line, content):
            continue
        if kind == "amounts":
            _amount_row(row, line, reference, resolvers, content)
        else:
            _outcome_row(row, line, indicators, content, seen)
    _check_unit_still_exists(reference, content)
    return content


def _check_unit_still_exists(reference: Reference, content: FileContent) -> None:
    """A 2026 CSV under a district's code (043): the district was abolished on 2025-07-01."""
    if not (content.unit_code and content.period_month):
        return
    match = resolvers_for(reference).units.resolve(content.unit_code, content.period_month)
    if match.unit is None and match.retired is not None:
        content.problems.append(
            no_longer_exists(content.unit_code, match.retired, content.period_month, reference, None, "unit_code:2")
        )


def _set_unit_and_period(row: dict[str, str], line: int, content: FileContent) -> bool:
    period_match = _PERIOD.match(row["period"])
    if not period_match or not 1 <= int(period_match[2]) <= 12 or int(period_match[1]) < 1:
        content.problems.append(problem("missing_period", cell=f"period:{line}", value=row["period"]))
        return False
    period = dt.date(int(period_match[1]), int(period_match[2]), 1)
    if content.unit_code is None:
        content.unit_code, content.period_month = row["unit_code"], period
    elif (row["unit_code"], period) != (content.unit_code, content.period_month):
        content.problems.append(
            problem(
                "two_units_in_file",
                cell=f"unit_code:{line}",
                value=row["unit_code"],
                first=content.unit_code,
                second=f"{row['unit_code']} {row['period']}",
            )
        )
        return False
    return True


def _amount_row(row, line, reference, resolvers, content) -> None:
    try:
        capital_year = int(row["capital_year"])
    except ValueError:
        content.problems.append(
            problem(
                "not_a_number",
                cell=f"capital_year:{line}",
                value=row["capital_year"],
                reason_vi="năm vốn không hợp lệ",
                reason_en="not a capital year",
            )
        )
        return
    # the catalog in force for the row's capital: 2025 capital in a 2026 report is QĐ 90's
    report_year = content.period_month.year if content.period_month else None
    catalog = resolvers.components_for_capital(capital_year, report_year)
    given = row["component"]
    in_catalog = reference.components.get(given)
    if in_catalog is not None and in_catalog.program_code != catalog.program_code:
        content.problems.append(
            problem("component_not_in_program", cell=f"component:{line}", value=f"{given}, vốn năm {capital_year}")
        )
        return
    code = given if in_catalog is not None else catalog.resolve(given, unit_code=content.unit_code)
    if code is None or not reference.components[code].is_leaf:
        content.problems.append(problem("unknown_component", cell=f"component:{line}", value=given))
        return
    source = row["funding_source"]
    if source not in reference.funding_sources:
        content.problems.append(problem("unknown_component", cell=f"funding_source:{line}", value=source))
        return
    unit = _UNIT_ALIASES.get(row["amount_unit"].lower())
    if unit is None:
        content.problems.append(problem("missing_amount_unit", cell=f"amount_unit:{line}", value=row["amount_unit"]))
        return
    content.amount_unit = content.amount_unit or unit
    factor = AMOUNT_UNITS[unit]
    plan = _vnd(row["plan_amount"], "plan_amount", line, factor, content.problems)
    disbursed = _vnd(row["disbursed_cumulative"], "disbursed_cumulative", line, factor, content.problems)
    content.fund_amounts.append(
        FundAmount(
            capital_year=capital_year,
            component_code=code,
            funding_source_code=source,
            plan_amount_vnd=plan,
            disbursed_cumulative_vnd=disbursed,
            sheet="",
            row=line,
            plan_cell=f"plan_amount:{line}",
            disbursed_cell=f"disbursed_cumulative:{line}",
            label=row["component"],
            label_cell=f"component:{line}",
        )
    )


def _outcome_row(row, line, indicators, content, seen) -> None:
    code = row["indicator"] if row["indicator"] in indicators.codes else indicators.resolve(row["indicator"])
    if code is None:
        content.problems.append(problem("unknown_indicator", cell=f"indicator:{line}", value=row["indicator"]))
        return
    if code in seen:
        content.problems.append(
            problem("duplicate_row", cell=f"indicator:{line}", value=row["indicator"], first_row=str(seen[code]))
        )
        return
    seen[code] = line
    content.outcomes.append(
        OutcomeValue(
            indicator_code=code,
            target_value=_number(row["target"], "target", line, content.problems),
            actual_in_month=_number(row["actual_month"], "actual_month", line, content.problems),
            actual_cumulative=_number(row["actual_cumulative"], "actual_cumulative", line, content.problems),
            sheet="",
            row=line,
            target_cell=f"target:{line}",
            actual_in_month_cell=f"actual_month:{line}",
            actual_cumulative_cell=f"actual_cumulative:{line}",
            label=row["indicator"],
        )
    )
