"""Problems found in a submission, described for the person who sent it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class CellProblem(Exception):
    """A single cell (or a whole file when no cell applies) that cannot be accepted."""

    code: str
    message_vi: str
    message_en: str
    value: str | None = None
    sheet: str | None = None
    cell: str | None = None
    severity: str = "error"
    hint_vi: str | None = None
    hint_en: str | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    def at(self, sheet: str | None, cell: str | None) -> CellProblem:
        """The same problem, located."""
        return CellProblem(
            code=self.code,
            message_vi=self.message_vi,
            message_en=self.message_en,
            value=self.value,
            sheet=sheet,
            cell=cell,
            severity=self.severity,
            hint_vi=self.hint_vi,
            hint_en=self.hint_en,
            extra=self.extra,
        )

    def __reduce__(self) -> tuple[object, ...]:
        # An exception pickles as its args, which a dataclass exception does not set: rebuild it
        # from its fields instead (problems travel from reader processes with their submission).
        return (_rebuild_problem, ({f.name: getattr(self, f.name) for f in fields(self)},))

    def __str__(self) -> str:
        where = "!".join(part for part in (self.sheet, self.cell) if part)
        prefix = f"{where}: " if where else ""
        return f"{prefix}{self.message_vi} / {self.message_en}"


def _rebuild_problem(values: dict[str, Any]) -> CellProblem:
    return CellProblem(**values)


class SubmissionRejected(Exception):
    """A file that cannot be read as a submission at all; carries its problems."""

    def __init__(self, problems: list[CellProblem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


class ProblemsBySeverity:
    """The ``errors`` and the ``warnings`` among a record's ``problems`` (a submission as read, a
    verdict as its sender reads it): an error rejects the file, a warning only tells."""

    __slots__ = ()
    problems: Sequence[CellProblem]

    @property
    def errors(self) -> list[CellProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[CellProblem]:
        return [p for p in self.problems if p.severity == "warning"]
