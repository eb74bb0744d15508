"""PDF reading: pypdfium2 for the text of every page, pdfplumber only on pages whose tables matter.

Whoever waits for a long read hears of every page: `reporting_pages(callback)` makes every PDF read in its
block call `callback(text, share)` with a French step ("Lecture de CCTP.pdf, page 3/40", "OCR de scan.pdf,
page 2/40 (page scannée)") and the share of the file done, between 0 and 1. The service writes it as the
analysis's heartbeat (procure.service.jobs); the CLI passes nothing.
"""
from __future__ import annotations

import contextlib
import contextvars
import re
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from procure.ingest import IngestError, ReadDocument, Table, max_pages, ocr, split_paragraphs
from procure.ingest.ocr import OcrUnavailable, ocr_image
from procure.model import Block, DocumentInfo, FileProblem
from procure.vocabulary import DocumentRole

# A page with fewer visible characters than this and an image on it is treated as scanned.
SCANNED_TEXT_THRESHOLD = 20
# pdfplumber costs about a second per page: it runs only on pages with a lot-table header, i.e. one line
# naming the lot column and another column (lists of lots in sentences are read from the text stream).
TABLE_HINT = re.compile(r"^.*\blots?\b.*$", re.I | re.M)
TABLE_COLUMN_HINT = re.compile(r"\bcpv\b|montant|d[ée]signation|intitul[ée]", re.I)


# Reading stops (with a warning) past this many seconds of text extraction for one document.
TEXT_DOCUMENT_SECONDS = 300
# A page's content stream is drawing instructions: 1 MiB is already dense. Past this bound pdfium needs minutes
# and gigabytes to parse it (a 165 MiB stream: 16 s and 2.3 GB for one page), so the document is refused first.
MAX_CONTENT_STREAM_BYTES = 32 * 1024 * 1024
MAX_STREAMS_CHECKED_BYTES = 512 * 1024 * 1024

PageProgress = Callable[[str, float], None]
_PAGE_PROGRESS: contextvars.ContextVar[PageProgress | None] = contextvars.ContextVar("pdf_page_progress", default=None)


@contextlib.contextmanager
def reporting_pages(callback: PageProgress | None) -> Iterator[None]:
    """Within the block, every PDF page read (text, OCR, tables) is reported to `callback(text, share)`."""
    token = _PAGE_PROGRESS.set(callback)
    try:
        yield
    finally:
        _PAGE_PROGRESS.reset(token)


def _report(text: str, share: float) -> None:
    callback = _PAGE_PROGRESS.get()
    if callback is not None:
        callback(text, min(max(share, 0.0), 1.0))


def read_pdf(path: Path, name: str) -> ReadDocument:
    _check_streams(path)
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
        budget = Budget()
        for page_number in range(1, page_count + 1):
            _report(f"Lecture de {name}, page {page_number}/{page_count}", (page_number - 1) / page_count * READ_SHARE)
            if budget.text_spent() > TEXT_DOCUMENT_SECONDS:
                warnings.append(FileProblem("", f"Lecture arrêtée à la page {page_number - 1} sur {page_count} : "
                                                f"le document dépasse le temps de lecture permis ({TEXT_DOCUMENT_SECONDS} s).", fatal=False))
                break
            text, from_ocr = _read_page(pdf, page_number, warnings, budget, (name, page_count))
            if from_ocr:
                ocr_pages.append(page_number)
            for paragraph in split_paragraphs(text):
                blocks.append(Block(name, page_number, len(blocks), "line", paragraph, from_ocr))
            if not from_ocr and any(TABLE_COLUMN_HINT.search(line.group(0)) and len(line.group(0)) < 160
                                    for line in TABLE_HINT.finditer(text)) and _has_drawn_paths(pdf, page_number):
                table_pages.append(page_number)
        if budget.ocr_skipped:
            warnings.append(FileProblem("", budget.stop_message(page_count), fatal=False))
    finally:
        pdf.close()
    tables = _read_tables(path, name, table_pages, start_index=len(blocks), warnings=warnings, page_count=page_count)
    for table in tables:
        blocks.extend(table.blocks)
    info = DocumentInfo(name, DocumentRole.AUTRE, page_count, len(blocks), ocr_pages)
    return ReadDocument(info, blocks, tables, warnings)


READ_SHARE = 0.9  # of a file's progress; the tables read after the text take the rest


class Budget:
    """Seconds spent on text extraction and on OCR for one document, and the scanned pages read or left."""

    def __init__(self):
        self.started = time.monotonic()
        self.ocr_seconds = 0.0
        self.ocr_read = 0
        self.ocr_skipped: list[int] = []

    def text_spent(self) -> float:
        return time.monotonic() - self.started - self.ocr_seconds

    def ocr_left(self) -> float:
        return ocr.document_seconds() - self.ocr_seconds

    def ocr_allowed(self) -> bool:
        """Another scanned page may be read: time left and fewer pages than the per-document page budget."""
        return self.ocr_left() > 0 and self.ocr_read < ocr.document_pages()

    def stop_message(self, page_count: int) -> str:
        """The French stop of the OCR: how many scanned pages were read, which were not, and which budget ran out."""
        skipped = self.ocr_skipped
        pages = ", ".join(map(str, skipped[:20])) + (" …" if len(skipped) > 20 else "")
        if self.ocr_read >= ocr.document_pages():
            limit = f"le nombre de pages scannées lues par document est limité à {ocr.document_pages()}"
        else:
            limit = f"le temps d'OCR permis par document ({ocr.document_seconds()} s) est épuisé"
        return (f"OCR arrêté : {self.ocr_read} page(s) scannée(s) lue(s), {len(skipped)} non lue(s) sur les "
                f"{page_count} pages du document (p. {pages}) : {limit}. Déposez les pages utiles dans un PDF "
                "plus court, ou une version texte du document.")


def _read_page(pdf: pdfium.PdfDocument, page_number: int, warnings: list[FileProblem], budget: Budget,
               where: tuple[str, int] = ("", 0)) -> tuple[str, bool]:
    try:
        page = pdf[page_number - 1]
    except pdfium.PdfiumError:
        warnings.append(FileProblem("", f"Page {page_number} illisible : elle a été ignorée.", fatal=False))
        return "", False
    try:
        text = _page_text(page)
        if len(text.strip()) < SCANNED_TEXT_THRESHOLD and _has_image(page):
            if not budget.ocr_allowed():
                budget.ocr_skipped.append(page_number)
                return text, False
            name, page_count = where
            step = f"OCR de {name}, page {page_number}/{page_count} (page scannée)"
            share = (page_number - 1) / max(page_count, 1) * READ_SHARE
            _report(step, share)
            started = time.monotonic()
            try:
                ocr_text, done = _ocr_page(page, page_number, warnings, min(ocr.OCR_TIMEOUT_SECONDS, budget.ocr_left()),
                                           lambda: _report(step, share))
            finally:
                budget.ocr_seconds += time.monotonic() - started
            if done:
                budget.ocr_read += 1
                return ocr_text, True
        return text, False
    finally:
        page.close()


def _has_drawn_paths(pdf: pdfium.PdfDocument, page_number: int) -> bool:
    """Whether the page draws any path (line, rectangle), forms included.

    pdfplumber's default table finder builds cells from drawn rulings only: a page without a single path object
    gives no table, so it is not worth its second of parsing (BOAMP notices print their lot lists without rules).
    """
    try:
        page = pdf[page_number - 1]
    except pdfium.PdfiumError:
        return False
    try:
        return next(iter(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH])), None) is not None
    finally:
        page.close()


def _check_streams(path: Path) -> None:
    """Refuse a PDF whose drawing instructions decompress beyond any real page (images are not concerned)."""
    data = path.read_bytes()
    checked = 0
    for match in STREAM_RE.finditer(data):
        dictionary = data[max(0, match.start() - 2048):match.start()]
        dictionary = dictionary[dictionary.rfind(b"obj") + 3:]
        if b"/Image" in dictionary or b"/FlateDecode" not in dictionary:
            continue
        size = _inflated_size(data, match.end(), MAX_CONTENT_STREAM_BYTES + 1)
        checked += size
        if size > MAX_CONTENT_STREAM_BYTES:
            raise IngestError("PDF suspect refusé : une page contient des instructions de dessin anormalement "
                              f"volumineuses (plus de {MAX_CONTENT_STREAM_BYTES // 1048576} Mo une fois décompressées).")
        if checked > MAX_STREAMS_CHECKED_BYTES:
            raise IngestError("PDF suspect refusé : son contenu décompressé est anormalement volumineux.")


STREAM_RE = re.compile(rb"stream\r?\n")


def _inflated_size(data: bytes, start: int, limit: int) -> int:
    """Decompressed size of the Flate stream starting at `start`, counted up to `limit` (0 when not Flate data)."""
    inflater = zlib.decompressobj()
    size, position = 0, start
    try:
        while size < limit and position < len(data):
            chunk = data[position:position + (1 << 16)]
            position += len(chunk)
            size += len(inflater.decompress(chunk, limit - size + 1))
            while inflater.unconsumed_tail and size < limit:
                size += len(inflater.decompress(inflater.unconsumed_tail, limit - size + 1))
            if inflater.eof:
                break
    except zlib.error:
        return size  # encrypted or damaged: pdfium will judge
    return size


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


def _ocr_page(page: pdfium.PdfPage, page_number: int, warnings: list[FileProblem], timeout: float,
              waiting: Callable[[], None] | None = None) -> tuple[str, bool]:
    image = page.render(scale=render_scale(*page.get_size())).to_pil()
    try:
        return ocr_image(image, timeout=timeout, waiting=waiting), True
    except OcrUnavailable as exc:
        warnings.append(FileProblem("", f"Page {page_number} scannée (image sans texte) : {exc}", fatal=False))
        return "", False


def render_scale(width_pt: float, height_pt: float) -> float:
    """300 dpi, or less for a page so large that its image would exceed the pixel bound."""
    scale = 300 / 72
    area = max(width_pt, 1.0) * max(height_pt, 1.0) * scale * scale
    if area > ocr.MAX_RENDER_PIXELS:
        scale *= (ocr.MAX_RENDER_PIXELS / area) ** 0.5
    return scale


def _read_tables(path: Path, name: str, pages: list[int], start_index: int, warnings: list[FileProblem],
                 page_count: int = 0) -> list[Table]:
    """Tables of the pages that look like a lot table; pdfminer rejects some files pdfium reads: then text only."""
    if not pages:
        return []
    try:
        return _plumbed_tables(path, name, pages, start_index, page_count)
    except Exception:  # pdfminer's own exceptions, recursion in a looping page tree, memory...
        warnings.append(FileProblem("", "Tableaux non lus (structure du PDF non prise en charge) : le texte des pages reste analysé.",
                                    fatal=False))
        return []


def _plumbed_tables(path: Path, name: str, pages: list[int], start_index: int, page_count: int = 0) -> list[Table]:
    import pdfplumber

    tables: list[Table] = []
    index = start_index
    started = time.monotonic()
    with pdfplumber.open(str(path), pages=pages) as pdf:
        for position, page in enumerate(pdf.pages):
            _report(f"Tableaux de {name}, page {page.page_number}/{page_count or len(pages)}",
                    READ_SHARE + (1 - READ_SHARE) * position / len(pages))
            if time.monotonic() - started > TEXT_DOCUMENT_SECONDS:
                break
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
