"""DOCX reading with python-docx, after checks that keep hostile archives out."""
from __future__ import annotations

import zipfile
from pathlib import Path

from procure.ingest import IngestError, ReadDocument, Table
from procure.model import Block, DocumentInfo

MAX_UNCOMPRESSED_BYTES = 300 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200  # zip bombs reach thousands; real DOCX XML stays far below
MACRO_CONTENT_TYPE = b"macroEnabled"


def read_docx(path: Path, name: str) -> ReadDocument:
    _check_archive(path)
    import docx
    from docx.table import Table as DocxTable
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises many kinds on broken parts
        raise IngestError("Document Word endommagé : son contenu XML est illisible.") from exc
    blocks: list[Block] = []
    tables: list[Table] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            _add_paragraph(Paragraph(child, document), name, blocks)
        elif tag == "tbl":
            table = _read_table(DocxTable(child, document), name, blocks)
            if table:
                tables.append(table)
    info = DocumentInfo(name, "AUTRE", None, len(blocks))
    return ReadDocument(info, blocks, tables)


def _add_paragraph(paragraph, name: str, blocks: list[Block]) -> None:
    text = " ".join(paragraph.text.split())
    if not text:
        return
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    kind = "heading" if style.lower().startswith(("heading", "titre", "title")) else "paragraph"
    blocks.append(Block(name, None, len(blocks), kind, text))


def _read_table(table, name: str, blocks: list[Block]) -> Table | None:
    rows: list[list[str]] = []
    row_blocks: list[Block] = []
    for row in table.rows:
        cells = _unique_cells(row)
        if not any(cells):
            continue
        block = Block(name, None, len(blocks), "table_row", " | ".join(cells))
        blocks.append(block)
        rows.append(cells)
        row_blocks.append(block)
    return Table(name, None, rows, row_blocks) if rows else None


def _unique_cells(row) -> list[str]:
    # Merged cells repeat the same object across the span; keep one copy.
    cells, seen = [], set()
    for cell in row.cells:
        if id(cell._tc) in seen:
            continue
        seen.add(id(cell._tc))
        cells.append(" ".join(cell.text.split()))
    return cells


def _check_archive(path: Path) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise IngestError("Document Word endommagé : l'archive .docx est illisible ou tronquée.") from exc
    with archive:
        names = set(archive.namelist())
        if "word/document.xml" not in names:
            if "xl/workbook.xml" in names:
                raise IngestError("Classeur Excel non pris en charge : procure lit les documents PDF et Word (.docx).")
            raise IngestError("Ce fichier ZIP n'est pas un document Word (.docx).")
        _check_sizes(archive)
        content_types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
        if MACRO_CONTENT_TYPE in content_types or "word/vbaProject.bin" in names:
            raise IngestError(
                "Document Word avec macros refusé par sécurité : enregistrez-le au format .docx sans macros."
            )
        for member in ("[Content_Types].xml", "word/document.xml"):
            if member in names and _declares_dtd(archive, member):
                raise IngestError(
                    "Document Word suspect refusé : il contient des déclarations XML (DTD ou entités) interdites."
                )


def _check_sizes(archive: zipfile.ZipFile) -> None:
    total = 0
    for item in archive.infolist():
        total += item.file_size
        ratio = item.file_size / max(item.compress_size, 1)
        if total > MAX_UNCOMPRESSED_BYTES or (item.file_size > 10 * 1024 * 1024 and ratio > MAX_COMPRESSION_RATIO):
            raise IngestError(
                "Document Word suspect refusé : son contenu décompressé est anormalement volumineux (archive piégée)."
            )


def _declares_dtd(archive: zipfile.ZipFile, member: str) -> bool:
    with archive.open(member) as handle:
        head = handle.read(64 * 1024)
    return b"<!DOCTYPE" in head or b"<!ENTITY" in head
