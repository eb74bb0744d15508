"""XLSX tender pieces (BPU, DPGF, DQE): one table per sheet, one `table_row` block per non-empty row.

openpyxl reads in read-only mode (streamed XML, defusedxml refusing DTDs and entities), after the same archive
checks as DOCX; rows and columns are bounded so that a sheet declaring a million rows cannot hold the analysis.
"""
from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from io import BytesIO
from pathlib import Path

from procure.ingest import IngestError, ReadDocument, Table
from procure.ingest.archive import MAX_SHEET_PART_BYTES, open_checked
from procure.model import Block, DocumentInfo, FileProblem
from procure.vocabulary import DocumentRole

MAX_COLUMNS = 60  # a BPU has a dozen columns; beyond, cells are formatting debris
MAX_CELL_CHARS = 2000


MAX_ROWS = 20_000  # per workbook: a BPU or DQE has hundreds of rows, a few thousand at most

def read_xlsx(path: Path, name: str) -> ReadDocument:
    with open_checked(path, "Classeur Excel", MAX_SHEET_PART_BYTES) as archive:
        if "xl/workbook.xml" not in archive.namelist():
            raise IngestError("Ce fichier ZIP n'est pas un classeur Excel (.xlsx).")
        if "xl/vbaProject.bin" in archive.namelist():
            raise IngestError("Classeur Excel avec macros refusé par sécurité : enregistrez-le au format .xlsx sans macros.")
    workbook = _open_workbook(path)
    blocks: list[Block] = []
    tables: list[Table] = []
    warnings: list[FileProblem] = []
    budget = MAX_ROWS
    try:
        for sheet in workbook.worksheets:
            if budget < 0:
                break
            table, used = _read_sheet(sheet, name, blocks, budget)
            budget -= used
            if table:
                tables.append(table)
        if budget < 0:
            warnings.append(FileProblem("", f"Classeur tronqué : seules les {MAX_ROWS} premières lignes sont lues.", fatal=False))
    finally:
        workbook.close()
    info = DocumentInfo(name, DocumentRole.AUTRE, None, len(blocks))
    return ReadDocument(info, blocks, tables, warnings)


def _open_workbook(path: Path):
    import openpyxl

    try:
        # A file object, not the path: openpyxl refuses paths without an Excel extension, and the app stores
        # pieces under neutral names (piece-0, piece-1…).
        return openpyxl.load_workbook(BytesIO(Path(path).read_bytes()), read_only=True, data_only=True)
    except IngestError:
        raise
    except Exception as exc:  # openpyxl raises KeyError, ValueError, lxml or defusedxml errors on broken parts
        if type(exc).__module__.startswith("defusedxml"):
            raise IngestError("Classeur Excel suspect refusé : il contient des déclarations XML (DTD ou entités) interdites.") from exc
        raise IngestError("Classeur Excel endommagé : son contenu est illisible.") from exc


def _read_sheet(sheet, name: str, blocks: list[Block], budget: int) -> tuple[Table | None, int]:
    """Rows of one sheet (at most `budget`); the sheet's title opens it as a heading, e.g. « Lot 2 »."""
    rows: list[list[str]] = []
    row_blocks: list[Block] = []
    used = 0
    try:
        columns = min(sheet.max_column or MAX_COLUMNS, MAX_COLUMNS)  # the declared dimension, when there is one
        for values in sheet.iter_rows(values_only=True, max_col=columns):
            cells = _trimmed([_cell_text(value) for value in values[:_last_filled(values) + 1]])
            if not any(cells):
                continue
            if used >= budget:
                return _table(name, rows, row_blocks), used + 1
            if not rows:
                blocks.append(Block(name, None, len(blocks), "heading", f"Feuille « {sheet.title} »"))
            block = Block(name, None, len(blocks), "table_row", " | ".join(cells))
            blocks.append(block)
            rows.append(cells)
            row_blocks.append(block)
            used += 1
    except IngestError:
        raise
    except Exception as exc:
        if type(exc).__module__.startswith("defusedxml"):
            raise IngestError("Classeur Excel suspect refusé : il contient des déclarations XML (DTD ou entités) interdites.") from exc
        raise IngestError(f"Classeur Excel endommagé : la feuille « {sheet.title} » est illisible.") from exc
    return _table(name, rows, row_blocks), used


def _table(name: str, rows: list[list[str]], row_blocks: list[Block]) -> Table | None:
    return Table(name, None, rows, row_blocks) if rows else None


def _last_filled(values: tuple) -> int:
    for position in range(len(values) - 1, -1, -1):
        if values[position] is not None:
            return position
    return -1


def _trimmed(cells: list[str]) -> list[str]:
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        value = int(value) if value.is_integer() and abs(value) < 1e15 else Decimal(repr(value))
    if isinstance(value, (int, Decimal)):
        return str(value).replace(".", ",")  # French decimal comma, as the amounts parser expects
    if isinstance(value, datetime):
        return value.date().strftime("%d/%m/%Y") if value.time() == time(0) else value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return " ".join(str(value).split())[:MAX_CELL_CHARS]
