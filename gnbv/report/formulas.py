"""Evaluate the workbook's own formulas, so its derived figures can be checked without Excel.

openpyxl writes formulas without cached values (Excel and LibreOffice compute them on
opening). This evaluates the small subset the report writes — numbers, "text", same-sheet cell
references and ranges, ``+ - * /``, comparisons, ``SUM``, ``SUMIF``, ``COUNTA``, ``COUNTIF``,
``IF``, ``N``, ``ROUND`` — exactly, in Decimal, and raises on anything else, so a formula the
report starts writing cannot go unchecked by accident.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter

Value = Decimal | str | bool | None

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<range>\$?[A-Z]{1,3}\$?\d+:\$?[A-Z]{1,3}\$?\d+)
      | (?P<ref>\$?[A-Z]{1,3}\$?\d+)
      | (?P<func>[A-Z]+)\(
      | (?P<number>\d+(?:\.\d+)?)
      | (?P<string>"[^"]*")
      | (?P<op><=|>=|<>|[-+*/=<>(),])
    )""",
    re.VERBOSE,
)


class FormulaError(ValueError):
    """A formula outside the subset the report writes, or a reference cycle."""


def _tokens(formula: str) -> list[tuple[str, str]]:
    out = []
    pos = 0
    text = formula.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise FormulaError(f"cannot read formula {formula!r} at {text[pos:]!r}")
        kind = m.lastgroup
        assert kind is not None
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _num(value: Value) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, Decimal):
        return value
    raise FormulaError(f"not a number: {value!r}")


def _cells(range_text: str) -> Iterator[str]:
    a, b = range_text.replace("$", "").split(":")
    ca, ra = re.match(r"([A-Z]+)(\d+)", a).groups()  # type: ignore[union-attr]
    cb, rb = re.match(r"([A-Z]+)(\d+)", b).groups()  # type: ignore[union-attr]
    for row in range(int(ra), int(rb) + 1):
        for col in range(column_index_from_string(ca), column_index_from_string(cb) + 1):
            yield f"{get_column_letter(col)}{row}"


def _matches(value: Value, criterion: Value) -> bool:
    if isinstance(criterion, str) and criterion[:2] == "<>":
        return value not in (None, "") if criterion == "<>" else str(value) != criterion[2:]
    if isinstance(criterion, Decimal) and isinstance(value, Decimal):
        return value == criterion
    return value is not None and str(value) == str(criterion)


def _compare(op: str, left: Value, right: Value) -> bool:
    """Excel's comparison: an empty cell equals both 0 and ""; text never equals a number."""
    if isinstance(left, str) or isinstance(right, str):
        a, b = ("" if left is None else left), ("" if right is None else right)
        if isinstance(a, str) and isinstance(b, str):
            ordered = {"=": a == b, "<>": a != b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}
            return ordered[op]
        if op in ("=", "<>"):
            return op == "<>"
        raise FormulaError(f"ordering text against a number ({left!r} {op} {right!r})")
    x, y = _num(left), _num(right)
    return {"=": x == y, "<>": x != y, "<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]


class SheetEvaluator:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw  # coordinate → value as stored (numbers, text, "=formula")
        self.cache: dict[str, Value] = {}
        self.busy: set[str] = set()

    def value(self, coordinate: str) -> Value:
        coordinate = coordinate.replace("$", "")
        if coordinate in self.cache:
            return self.cache[coordinate]
        raw = self.raw.get(coordinate)
        if isinstance(raw, str) and raw.startswith("="):
            if coordinate in self.busy:
                raise FormulaError(f"reference cycle at {coordinate}")
            self.busy.add(coordinate)
            result = self.evaluate(raw)
            self.busy.discard(coordinate)
        elif isinstance(raw, bool) or raw is None or isinstance(raw, str):
            result = raw
        else:
            result = Decimal(str(raw))
        self.cache[coordinate] = result
        return result

    def evaluate(self, formula: str) -> Value:
        parser = _Parser(_tokens(formula.lstrip("=")), self)
        result = parser.expression()
        if parser.pos != len(parser.tokens):
            raise FormulaError(f"unexpected text in {formula!r}")
        return result


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], sheet: SheetEvaluator) -> None:
        self.tokens = tokens
        self.pos = 0
        self.sheet = sheet
        self.skipping = 0  # > 0 while reading the branch of an IF that is not taken

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, text: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (text is not None and token[1] != text):
            raise FormulaError(f"expected {text!r}, got {token!r}")
        self.pos += 1
        return token

    def expression(self) -> Value:
        left = self.additive()
        token = self.peek()
        if token and token[0] == "op" and token[1] in ("=", "<>", "<", ">", "<=", ">="):
            self.take()
            right = self.additive()
            return _compare(token[1], left, right)
        return left

    def additive(self) -> Value:
        value = self.term()
        while (token := self.peek()) and token[1] in ("+", "-") and token[0] == "op":
            self.take()
            right = self.term()
            value = _num(value) + _num(right) if token[1] == "+" else _num(value) - _num(right)
        return value

    def term(self) -> Value:
        value = self.unary()
        while (token := self.peek()) and token[1] in ("*", "/") and token[0] == "op":
            self.take()
            right = _num(self.unary())
            if token[1] == "*":
                value = _num(value) * right
            else:
                if right == 0 and not self.skipping:
                    raise FormulaError("#DIV/0!")
                value = _num(value) / right if right != 0 else Decimal(0)
        return value

    def unary(self) -> Value:
        token = self.peek()
        if token and token == ("op", "-"):
            self.take()
            return -_num(self.unary())
        return self.atom()

    def atom(self) -> Value:
        kind, text = self.take()
        if kind == "number":
            return Decimal(text)
        if kind == "string":
            return text[1:-1]
        if kind == "ref":
            return None if self.skipping else self.sheet.value(text)
        if kind == "op" and text == "(":
            value = self.expression()
            self.take(")")
            return value
        if kind == "func":
            return self.call(text)
        raise FormulaError(f"unexpected {text!r}")

    def args(self) -> list[Any]:
        out: list[Any] = []
        while True:
            token = self.peek()
            if token and token[0] == "range":
                self.take()
                out.append([] if self.skipping else [self.sheet.value(c) for c in _cells(token[1])])
            else:
                out.append(self.expression())
            if self.take()[1] == ")":
                return out

    def skipped(self) -> None:
        self.skipping += 1
        try:
            self.expression()
        finally:
            self.skipping -= 1

    def lazy_if(self) -> Value:
        """IF(condition, then, else): only the branch taken is evaluated (as Excel does)."""
        condition = self.expression()
        self.take(",")
        if condition:
            result = self.expression()
            if self.take()[1] == ",":
                self.skipped()
                self.take(")")
            return result
        self.skipped()
        if self.take()[1] == ")":
            return False
        result = self.expression()
        self.take(")")
        return result

    def call(self, name: str) -> Value:
        if name == "IF":
            return self.lazy_if()
        args = self.args()
        funcs: dict[str, Callable[[list[Any]], Value]] = {
            "SUM": lambda a: sum(
                (_num(v) for x in a for v in (x if isinstance(x, list) else [x]) if isinstance(v, Decimal)), Decimal(0)
            ),
            "N": lambda a: a[0] if isinstance(a[0], Decimal) else Decimal(0),
            "ROUND": lambda a: _num(a[0]).quantize(Decimal(1).scaleb(-int(_num(a[1]))), rounding=ROUND_HALF_UP),
            "COUNTA": lambda a: Decimal(sum(1 for x in a for v in x if v not in (None, ""))),
            "COUNTIF": lambda a: Decimal(sum(1 for v in a[0] if _matches(v, a[1]))),
            "SUMIF": lambda a: sum(
                (_num(s) for v, s in zip(a[0], a[2], strict=True) if _matches(v, a[1]) and isinstance(s, Decimal)),
                Decimal(0),
            ),
        }
        if name not in funcs:
            raise FormulaError(f"function {name} is not in the report's subset")
        return funcs[name](args)


def evaluate_workbook(path: Path, sheets: Sequence[str] | None = None) -> dict[str, dict[str, Value]]:
    """Every cell of every sheet (or of ``sheets``), formulas evaluated:
    ``{sheet: {"D8": Decimal(...)}}``; empty cells are absent."""
    wb = load_workbook(path)
    out: dict[str, dict[str, Value]] = {}
    for ws in wb.worksheets:
        if sheets is not None and ws.title not in sheets:
            continue
        raw = {}
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                value = cell.value
                if cell.data_type == "f":
                    value = str(value)
                elif cell.data_type == "s":
                    value = str(value)
                    if value.startswith("="):
                        value = " " + value  # stored text that merely looks like a formula
                raw[cell.coordinate] = value
        sheet = SheetEvaluator(raw)
        out[ws.title] = {coordinate: sheet.value(coordinate) for coordinate in raw}
        for coordinate in list(out[ws.title]):
            if isinstance(raw[coordinate], str) and raw[coordinate].startswith(" ="):
                out[ws.title][coordinate] = raw[coordinate][1:]
    return out
