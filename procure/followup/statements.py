"""Monthly statements from the facilitator: the template (CSV/XLSX) or their own export through a column mapping."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from procure.followup.model import Statement

__all__ = ["RowProblem", "ImportResult", "MergeReport", "read_statements", "merge_statements", "TEMPLATE_DIR"]

TEMPLATE_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RowProblem:
    row: int  # row number as the spreadsheet shows it (header = 1)
    message_fr: str


@dataclass
class ImportResult:
    statements: list[Statement] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    rows_read: int = 0


@dataclass
class MergeReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: list[str] = field(default_factory=list)  # French: a poorer row that did not erase a richer one


def read_statements(source: str | Path | bytes, name: str, mapping: dict[str, str] | None = None, *,
                    known_keys: Iterable[str] | None = None, today: date | None = None) -> ImportResult:
    """Statements of a CSV or XLSX file (`name` gives the format and the source label).

    `mapping` maps a template field to the column name of the facilitator's own export. `known_keys`, when
    given, rejects a row of an unknown lot; `today` rejects a month in the future. Bad rows are problems
    (row number, French message); a whole unreadable file raises `procure.errors.ProcureError`.
    """
    raise NotImplementedError


def merge_statements(existing: Iterable[Statement], incoming: Iterable[Statement]) -> tuple[list[Statement], MergeReport]:
    """Idempotent on (lot key, month): a poorer incoming row never erases a richer existing one."""
    raise NotImplementedError
