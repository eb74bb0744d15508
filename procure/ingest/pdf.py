"""PDF reading: pypdfium2 for the text of every page, pdfplumber only on pages whose tables matter."""
from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from procure.ingest import IngestError, ReadDocument, Table, max_pages, split_paragraphs
from procure.ingest.ocr import OcrUnavailable, ocr_image
from procure.model import Block, DocumentInfo, FileProblem

# A page with fewer visible characters than this and an image on it is treated as scanned.
SCANNED_TEXT_THRESHOLD = 20
TABLE_HINT = re.compile(r"\blots?\b", re.I)
TABLE_COLUMN_HINT = re.compile(r"\bcpv\b|montant|d[ée]signation|intitul[ée]", re.I)


def read_pdf(path: Path, name: str) -> ReadDocument:
    pdf = _open(path)
    try:
        page_count = len(pdf)
        if page_count > max_pages():
            raise IngestError(
                f"Document trop long ({page_count} pages) : la limite est de {max_pages()} pages par fichier."
            )
        blocks: list[Block] = []
        warnings: list[FileProblem] = []
        ocr_pages: list[int] = []
        table_pages: list[int] = []
        for page_number in range(1, page_count + 1):
            page = pdf[page_number - 1]
            try:
                text = _page_text(page)
                ocr = False
                if len(text.strip()) < SCANNED_TEXT_THRESHOLD and _has_image(page):
                    text, ocr = _ocr_page(page, page_number, warnings)
                    if ocr:
                        ocr_pages.append(page_number)
            finally:
                page.close()
            for paragraph in split_paragraphs(text):
                blocks.append(Block(name, page_number, len(blocks), "line", paragraph, ocr))
            if not ocr and TABLE_HINT.search(text) and TABLE_COLUMN_HINT.search(text):
                table_pages.append(page_number)
    finally:
        pdf.close()
    tables = _read_tables(path, name, table_pages, start_index=len(blocks))
    for table in tables:
        blocks.extend(table.blocks)
    info = DocumentInfo(name, "AUTRE", page_count, len(blocks), ocr_pages)
    return ReadDocument(info, blocks, tables, warnings)


def _open(path: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise IngestError(
                "PDF protégé par mot de passe : procure ne peut pas l'ouvrir. Déposez une version non protégée."
            ) from exc
        raise IngestError("PDF endommagé ou illisible : le fichier est corrompu ou incomplet.") from exc


def _page_text(page: pdfium.PdfPage) -> str:
    textpage = page.get_textpage()
    try:
        return textpage.get_text_bounded()
    finally:
        textpage.close()


def _has_image(page: pdfium.PdfPage) -> bool:
    return any(True for _ in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2))


def _ocr_page(page: pdfium.PdfPage, page_number: int, warnings: list[FileProblem]) -> tuple[str, bool]:
    image = page.render(scale=300 / 72).to_pil()
    try:
        return ocr_image(image), True
    except OcrUnavailable as exc:
        warnings.append(FileProblem("", f"Page {page_number} scannée (image sans texte) : {exc}", fatal=False))
        return "", False


def _read_tables(path: Path, name: str, pages: list[int], start_index: int) -> list[Table]:
    if not pages:
        return []
    import pdfplumber

    tables: list[Table] = []
    index = start_index
    with pdfplumber.open(str(path), pages=pages) as pdf:
        for page in pdf.pages:
            try:
                for raw in page.extract_tables():
                    rows = [[" ".join((cell or "").split()) for cell in row] for row in raw]
                    rows = [row for row in rows if any(row)]
                    if len(rows) < 2:
                        continue
                    blocks = []
                    for row in rows:
                        blocks.append(Block(name, page.page_number, index, "table_row", " | ".join(row)))
                        index += 1
                    tables.append(Table(name, page.page_number, rows, blocks))
            finally:
                page.close()
    return tables
