"""The yearly consolidation as Word and XLSX, in French formats."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from procure.followup.consolidation import ConsolidationRow

__all__ = ["write_consolidation_docx", "write_consolidation_xlsx"]


def write_consolidation_docx(rows: Sequence[ConsolidationRow], year: int, territory_label: str, path: str | Path) -> Path:
    raise NotImplementedError


def write_consolidation_xlsx(rows: Sequence[ConsolidationRow], year: int, path: str | Path) -> Path:
    raise NotImplementedError
