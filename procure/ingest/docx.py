"""DOCX reading with python-docx, after checks that keep hostile archives out."""
from __future__ import annotations

from pathlib import Path

from procure.ingest import IngestError, ReadDocument, Table
from procure.ingest.archive import open_checked
from procure.model import Block, DocumentInfo

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
    body = getattr(document.element, "body", None)
    if body is None:
        raise IngestError("Document Word sans corps de texte : la partie principale (word/document.xml) est vide ou n'est pas un document.")
    blocks: list[Block] = []
    tables: list[Table] = []
    style_names = _style_names(document)
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1] if isinstance(child.tag, str) else ""
        if tag == "p":
            _add_paragraph(Paragraph(child, document), name, blocks, style_names)
        elif tag == "tbl":
            table = _read_table(DocxTable(child, document), name, blocks)
            if table:
                tables.append(table)
    info = DocumentInfo(name, "AUTRE", None, len(blocks))
    return ReadDocument(info, blocks, tables)


def _add_paragraph(paragraph, name: str, blocks: list[Block], style_names: dict[str, str]) -> None:
    text = " ".join(paragraph.text.split())
    if not text:
        return
    # The style id straight from the XML: python-docx's `paragraph.style` scans every style for each paragraph
    # (8 ms each on a real template, minutes on a long CCTP).
    style_id = paragraph._p.style or ""
    style = style_names.get(style_id, style_id).lower()
    kind = "heading" if style.startswith(("heading", "titre", "title")) else "paragraph"
    blocks.append(Block(name, None, len(blocks), kind, text))


def _style_names(document) -> dict[str, str]:
    try:
        return {style.style_id: style.name or "" for style in document.styles}
    except Exception:  # a broken styles part: style ids are still telling ("Heading1", "Titre1")
        return {}


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
    with open_checked(path, "Document Word") as archive:
        names = set(archive.namelist())
        if "word/document.xml" not in names:
            raise IngestError("Ce fichier ZIP n'est pas un document Word (.docx).")
        content_types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
        if MACRO_CONTENT_TYPE in content_types or "word/vbaProject.bin" in names:
            raise IngestError(
                "Document Word avec macros refusé par sécurité : enregistrez-le au format .docx sans macros."
            )
