"""The submission gate's suite run without Great Expectations, for dry runs (``gnbv validate``).

GX stays the gate of record: every file taken in is validated by it and its result stored. A dry
run records nothing, and a new process pays ~1–2 s of CPU (several seconds of wall time on a
loaded machine) to import GX before its first verdict. So a dry run evaluates the suite itself:
the rules are read from ``expectations/gx/expectations/submission_gate.json`` — the same file
GX reads, never a second copy of them — and each expectation type the suite uses is evaluated
over the gate's frame as GX's pandas engine does (empty values are not checked; a pair of
columns is checked only where both hold a value). A suite holding any other type, or a rule
that cannot be evaluated, goes to GX. ``tests/test_gate_dry_run.py`` proves the same verdicts
and problems as GX on every fixture.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class _Config:
    """What ``ingest.gate`` reads of an expectation's configuration."""

    type: str
    kwargs: dict[str, Any]
    meta: dict[str, Any]
    severity: str


@dataclass(frozen=True)
class _Outcome:
    """What ``ingest.gate`` reads of one expectation's result."""

    expectation_config: _Config
    success: bool
    result: dict[str, Any]
    exception_info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SuiteResult:
    success: bool
    results: list[_Outcome]


def _present(frame: Any, column: str) -> Any:
    values = frame[column]
    return values[values.notna()]


def _pair(frame: Any, kwargs: dict[str, Any]) -> tuple[Any, Any]:
    if kwargs.get("ignore_row_if") != "either_value_is_missing":
        raise NotImplementedError(f"ignore_row_if={kwargs.get('ignore_row_if')!r}")
    a, b = frame[kwargs["column_A"]], frame[kwargs["column_B"]]
    both = (a.notna() & b.notna()).to_numpy(dtype=bool)
    return a[both], b[both]


def _in_set(frame: Any, kwargs: dict[str, Any]) -> Any:
    values = _present(frame, kwargs["column"])
    return values.index[~values.isin(kwargs["value_set"]).to_numpy(dtype=bool)]


def _between(frame: Any, kwargs: dict[str, Any]) -> Any:
    if kwargs.get("strict_min") or kwargs.get("strict_max") or kwargs.get("parse_strings_as_datetimes"):
        raise NotImplementedError("strict or datetime bounds")
    values = _present(frame, kwargs["column"])
    outside = values != values  # all False, of the column's index
    if kwargs.get("min_value") is not None:
        outside = outside | (values < kwargs["min_value"])
    if kwargs.get("max_value") is not None:
        outside = outside | (values > kwargs["max_value"])
    return values.index[outside.to_numpy(dtype=bool)]


def _unique(frame: Any, kwargs: dict[str, Any]) -> Any:
    values = _present(frame, kwargs["column"])
    return values.index[values.duplicated(keep=False).to_numpy(dtype=bool)]


def _a_greater_than_b(frame: Any, kwargs: dict[str, Any]) -> Any:
    a, b = _pair(frame, kwargs)
    holds = (a >= b) if kwargs.get("or_equal") else (a > b)
    return a.index[~holds.to_numpy(dtype=bool)]


def _pair_equal(frame: Any, kwargs: dict[str, Any]) -> Any:
    a, b = _pair(frame, kwargs)
    return a.index[(a != b).to_numpy(dtype=bool)]


# The expectation types the suite uses, each evaluated to the index of its unexpected rows.
_EVALUATORS: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "expect_column_values_to_be_in_set": _in_set,
    "expect_column_values_to_be_between": _between,
    "expect_column_values_to_be_unique": _unique,
    "expect_column_pair_values_a_to_be_greater_than_b": _a_greater_than_b,
    "expect_column_pair_values_to_be_equal": _pair_equal,
}
# Keyword arguments that change nothing in how the types above are evaluated here.
_NEUTRAL_KWARGS = {"column", "column_A", "column_B", "value_set", "min_value", "max_value", "or_equal", "ignore_row_if"}


@functools.cache
def suite(path: Path) -> tuple[_Config, ...] | None:
    """The suite's expectations, or None when any is beyond this evaluator (GX then runs)."""
    stored = json.loads(path.read_text(encoding="utf-8"))
    configs = []
    for expectation in stored["expectations"]:
        kwargs = dict(expectation.get("kwargs") or {})
        if expectation["type"] not in _EVALUATORS or set(kwargs) - _NEUTRAL_KWARGS - {"mostly"}:
            return None
        mostly = kwargs.pop("mostly", 1)
        if mostly != 1:
            return None
        configs.append(
            _Config(expectation["type"], kwargs, dict(expectation.get("meta") or {}), str(expectation.get("severity")))
        )
    return tuple(configs)


def rule_columns(configs: tuple[_Config, ...]) -> list[str]:
    """The frame's columns the rules read, in the order the suite first names them."""
    columns: dict[str, None] = {}
    for config in configs:
        named = (config.kwargs.get("column"), config.kwargs.get("column_A"), config.kwargs.get("column_B"))
        columns.update((name, None) for name in named if name)
    return list(columns)


def _in_gx_order(configs: tuple[_Config, ...]) -> list[_Config]:
    """The order GX evaluates and reports a suite in (``Validator.process_expectations_for_
    validation``): grouped by column, the groups in the order their column first appears, the
    rules on column pairs one group where the first of them stands. The gate attaches problems
    in this order."""
    groups: dict[str, list[_Config]] = {}
    for config in configs:
        column = config.kwargs.get("column")
        groups.setdefault(column if isinstance(column, str) else "", []).append(config)
    return [config for group in groups.values() for config in group]


def validate(frame: Any, configs: tuple[_Config, ...]) -> SuiteResult:
    """Each rule over ``frame`` (which has a ``row_id`` column), as GX's COMPLETE result gives
    the gate its unexpected rows."""
    row_ids = frame["row_id"]
    outcomes = []
    for config in _in_gx_order(configs):
        unexpected = _EVALUATORS[config.type](frame, config.kwargs)
        indexes = [{"row_id": int(row_id)} for row_id in row_ids.loc[unexpected].tolist()]
        outcomes.append(_Outcome(config, not indexes, {"unexpected_index_list": indexes}))
    return SuiteResult(all(o.success for o in outcomes), outcomes)
