"""DOCX reading with python-docx, after checks that keep hostile archives out.

Tables are read from their XML (`w:tbl` / `w:tr` / `w:tc`) in one pass: python-docx finds the content of a
vertically merged cell by walking up the rows one XPath at a time, which is quadratic in the height of the merge
(a 3 000-row table of merged cells took minutes, then overflowed the recursion). What is read is bounded
(rows and cells per table, cells per document) with a French note when a table is cut.
"""
from __future__ import annotations

from pathlib import Path

from procure.ingest import IngestError, ReadDocument, Table
from procure.ingest.archive import open_checked
from procure.model import Block, DocumentInfo, FileProblem
from procure.vocabulary import DocumentRole

MACRO_CONTENT_TYPE = b"macroEnabled"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# A tender's tables (lots, BPU, DQE) have tens to a few hundred rows; a BPU of a thousand lines is rare.
MAX_TABLE_ROWS = 2_000
MAX_TABLE_CELLS = 40_000  # `w:tc` elements per table (a cell spanning several columns counts once)
MAX_DOCUMENT_CELLS = 200_000  # over all the tables of the document


def read_docx(path: Path, name: str) -> ReadDocument:
    _check_archive(path)
    import docx
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
    warnings: list[FileProblem] = []
    style_names = _style_names(document)
    budget = _Budget()
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1] if isinstance(child.tag, str) else ""
        if tag == "p":
            _add_paragraph(Paragraph(child, document), name, blocks, style_names)
        elif tag == "tbl":
            budget.tables += 1
            table = _read_table(child, name, blocks, budget, warnings)
            if table:
                tables.append(table)
    info = DocumentInfo(name, DocumentRole.AUTRE, None, len(blocks))
    return ReadDocument(info, blocks, tables, warnings)


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


class _Budget:
    """Cells left to read in the document, and the number of the current table (for the notes)."""

    def __init__(self) -> None:
        self.cells = MAX_DOCUMENT_CELLS
        self.tables = 0
        self.spent_noted = False


def _read_table(tbl, name: str, blocks: list[Block], budget: _Budget, warnings: list[FileProblem]) -> Table | None:
    """One `w:tbl`, row by row, in time linear in its XML.

    Same text as python-docx's `row.cells`: a cell spanning several grid columns (gridSpan) is kept once, and a
    cell continuing a vertical merge (vMerge) repeats the text of the cell where the merge starts. That cell is
    found through the grid offsets of the row above (a dictionary), not by walking up the rows.
    """
    rows: list[list[str]] = []
    row_blocks: list[Block] = []
    above: dict[int, object] = {}  # grid offset -> the w:tc holding the content there, in the row above
    texts: dict[int, str] = {}  # id of a content w:tc -> its text (a merge 3 000 rows high is read once)
    kept = []  # the content w:tc seen, so that their ids stay theirs while this table is read
    trs = list(tbl.iterchildren(f"{W}tr"))
    limit = min(MAX_TABLE_CELLS, budget.cells)
    cells_read, note = 0, None
    for position, tr in enumerate(trs):
        if position >= MAX_TABLE_ROWS or cells_read >= limit:
            note = _cut_note(budget.tables, position, len(trs))
            break
        here: dict[int, object] = {}
        offset = _int_attribute(tr.find(f"{W}trPr/{W}gridBefore"), 0)
        cells, seen = [], set()
        for tc in tr.iterchildren(f"{W}tc"):
            if cells_read >= limit:  # a row of thousands of cells
                note = _cut_note(budget.tables, position + 1, len(trs), row_cut=True)
                break
            cells_read += 1
            properties = tc.find(f"{W}tcPr")
            span = max(1, _int_attribute(None if properties is None else properties.find(f"{W}gridSpan"), 1))
            content = tc
            if properties is not None and _continues_merge(properties.find(f"{W}vMerge")):
                content = above.get(offset, tc)  # no cell starts there above: this one stands alone
            here[offset] = content
            offset += span
            if id(content) in seen:
                continue
            seen.add(id(content))
            if id(content) not in texts:
                kept.append(content)
                texts[id(content)] = _cell_text(content)
            cells.append(texts[id(content)])
        above = here
        if any(cells):
            block = Block(name, None, len(blocks), "table_row", " | ".join(cells))
            blocks.append(block)
            rows.append(cells)
            row_blocks.append(block)
        if note:
            break
    if note and not (budget.spent_noted and not rows):
        warnings.append(FileProblem(name, note, fatal=False))
        budget.spent_noted = budget.spent_noted or not rows
    budget.cells -= cells_read
    return Table(name, None, rows, row_blocks) if rows else None


def _cut_note(number: int, read: int, total: int, row_cut: bool = False) -> str:
    if read == 0:
        return (f"Tableau {number} non lu : le document contient trop de cellules de tableau "
                f"(plus de {MAX_DOCUMENT_CELLS} en tout) ; les tableaux suivants sont ignorés.")
    if row_cut:
        return (f"Tableau {number} tronqué à la ligne {read} (sur {total}) : cette ligne compte trop de cellules ; "
                "la suite du tableau n'a pas été lue.")
    return (f"Tableau {number} tronqué après {read} lignes (il en compte {total}) : les lignes suivantes n'ont pas été "
            "lues. Si elles comptent pour l'analyse (lots, montants, clauses), déposez ce tableau à part, par exemple "
            "en classeur Excel.")


def _continues_merge(v_merge) -> bool:
    # <w:vMerge/> without a value continues the merge above; w:val="restart" starts one.
    return v_merge is not None and (v_merge.get(f"{W}val") or "continue") == "continue"


def _int_attribute(element, default: int) -> int:
    if element is None:
        return default
    try:
        return int(element.get(f"{W}val", default))
    except (TypeError, ValueError):  # a damaged or hostile value: the cell keeps its natural width
        return default


def _cell_text(tc) -> str:
    """The cell's own paragraphs, as python-docx's `cell.text` (runs and hyperlinks), spaces collapsed."""
    return " ".join(" ".join(_paragraph_text(p) for p in tc.iterchildren(f"{W}p")).split())


def _paragraph_text(p) -> str:
    from docx.oxml.text.paragraph import CT_P

    if isinstance(p, CT_P):  # python-docx's element: runs and hyperlinks, tabs and breaks translated
        return p.text
    return "".join(p.itertext())


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
