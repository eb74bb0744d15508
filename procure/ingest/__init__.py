"""Read tender files (PDF, DOCX) into text blocks that keep file, page and position.

Every failure becomes an `IngestError` carrying a French message for the user;
callers decide whether the tender can go on without that file.
"""
from __future__ import annotations

import errno
import hashlib
import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from procure import settings
from procure.errors import ProcureError
from procure.ingest.notice_sniff import looks_like_json, looks_like_xml_notice
from procure.model import Block, DocumentInfo, FileProblem
from procure.vocabulary import DocumentRole

logger = logging.getLogger(__name__)


class IngestError(ProcureError):
    """A file that cannot be read; `message_fr` is shown to the user as is."""


@dataclass
class Table:
    file: str
    page: int | None
    rows: list[list[str]]
    blocks: list[Block]  # one block per row, same order as rows


@dataclass
class ReadDocument:
    info: DocumentInfo
    blocks: list[Block]
    tables: list[Table] = field(default_factory=list)
    warnings: list[FileProblem] = field(default_factory=list)
    notice: Any = None  # an eforms.EformsNotice when the file is an eForms notice read as data (XML or BOAMP JSON)


def max_file_bytes() -> int:
    return settings.get_int("PROCURE_MAX_FILE_MB") * 1024 * 1024  # defaults live in procure.settings


def max_pages() -> int:
    return settings.get_int("PROCURE_MAX_PAGES")


def sniff_format(head: bytes) -> str:
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"
    return "unknown"


def describe_unknown(head: bytes) -> str:
    sample = head[:512].lstrip().lower()
    if head.startswith(b"PK\x05\x06"):
        return "une archive ZIP vide"
    if b"\0" in head[:512]:
        return "un contenu binaire inconnu"
    if sample.startswith((b"<!doctype html", b"<html")):
        return "une page HTML"
    if sample.startswith(b"{\\rtf"):
        return "un document RTF"
    if head[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xe1"):
        return "une image"
    try:
        head.decode("utf-8")
        return "du texte brut"
    except UnicodeDecodeError:
        return "un contenu binaire inconnu"


MAX_NAME_CHARS = 200


def safe_display_name(name: str) -> str:
    """A file name fit to store and show: last path part, no control character, at most 200 characters.

    Uploaded names come from the user's system: a NUL, an escape sequence or 300 bytes of name must neither
    reach the database (PostgreSQL refuses NUL and longer values) nor the file system (255 bytes per name).
    """
    base = re.split(r"[\\/]", str(name))[-1]
    cleaned = " ".join("".join(ch if ch.isprintable() else " " for ch in base).split()) or "document"
    if len(cleaned) <= MAX_NAME_CHARS:
        return cleaned
    stem, dot, suffix = cleaned.rpartition(".")
    if dot and 0 < len(suffix) <= 10:
        return f"{stem[: MAX_NAME_CHARS - len(suffix) - 2]}….{suffix}"
    return cleaned[: MAX_NAME_CHARS - 1] + "…"


def read_document(path: str | Path, display_name: str | None = None) -> ReadDocument:
    """Read one file; raise IngestError with a French message when nothing can be read.

    Whatever fails inside the readers (memory, recursion, a library's own exception) ends as an IngestError
    for this file only: the caller goes on with the other pieces of the tender.
    """
    path = Path(path)
    name = display_name or path.name
    try:
        doc = _read(path, name)
    except IngestError:
        raise
    except ProcureError as error:
        raise IngestError(error.message_fr) from error
    except MemoryError as exc:
        raise IngestError("Document trop volumineux pour la mémoire disponible : il n'a pas pu être lu.") from exc
    except RecursionError as exc:
        raise IngestError("Document illisible : sa structure est imbriquée à l'infini (fichier corrompu ou piégé).") from exc
    except Exception as exc:  # a reader library's own exception: this file only is lost, and the log says why
        logger.info("lecture de %r impossible", name, exc_info=True)
        raise IngestError("Document illisible : il est endommagé ou d'une structure non prise en charge.") from exc
    doc.info.sha256 = _sha256(path)
    doc.info.doc_type = DocumentRole.AVIS if doc.notice is not None else _role(name, doc.blocks)
    return doc


def _role(name: str, blocks: list[Block]) -> DocumentRole:
    """A first guess of the piece's role, by the one rule extraction applies (which states it again)."""
    from procure.extract.roles import classify

    return classify(name, "\n".join(block.text for block in blocks[:60])[:2500])


def _read(path: Path, name: str) -> ReadDocument:
    size = _checked_size(path)
    with open(path, "rb") as handle:
        head = handle.read(4096)
    kind = sniff_format(head)
    suffix = Path(safe_display_name(name)).suffix.lower()  # the user's name: stored copies may be renamed
    if kind == "pdf":
        from procure.ingest.pdf import read_pdf

        doc = read_pdf(path, name)
    elif kind == "zip":
        doc = _read_zip(path, name, suffix)
    elif kind == "ole":
        raise IngestError(_ole_message(path, suffix))
    elif suffix in (".xml", ".json") or looks_like_xml_notice(head) or looks_like_json(head):
        doc = _read_structured_notice(path, name, head, suffix)
    else:
        what = describe_unknown(head)
        if suffix in (".pdf", ".docx", ".xlsx"):
            raise IngestError(f"Le fichier porte l'extension {suffix} mais son contenu est {what} : il n'a pas pu être lu.")
        raise IngestError(f"Format non pris en charge ({what}) : {SUPPORTED_FR}.")
    bound_blocks(doc)
    if size and not doc.blocks:
        raise IngestError(_no_text_message(doc))
    return doc


SUPPORTED_FR = ("procure lit les documents PDF, Word (.docx), les classeurs Excel (.xlsx) et les avis eForms "
                "(XML de TED, JSON de l'open data du BOAMP)")


def _read_structured_notice(path: Path, name: str, head: bytes, suffix: str) -> ReadDocument:
    """An eForms notice as data: TED XML, or BOAMP records in JSON (the first record here; `read_notices` reads
    each record of a file as a notice of its own)."""
    from procure.ingest import eforms  # imported for notices only: YAML and lxml stay out of a PDF dossier's start

    documents = read_notices(path, name, head, suffix)
    first = documents[0]
    if len(documents) > 1:
        first.warnings.append(FileProblem(name, (
            f"Ce fichier contient {len(documents)} avis BOAMP : seul le premier "
            f"({eforms.notice_label(first.notice)}) est analysé dans cette consultation. La commande "
            "« procure analyze » analyse chacun d'eux comme une consultation à part."), fatal=False))
    return first


def read_notices(path: str | Path, name: str, head: bytes | None = None, suffix: str | None = None) -> list[ReadDocument]:
    """Every eForms notice of a file, one ReadDocument each (a TED XML holds one, a BOAMP export many)."""
    path = Path(path)
    if head is None:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    suffix = suffix if suffix is not None else path.suffix.lower()
    from procure.ingest import eforms

    try:
        if looks_like_xml_notice(head) or suffix == ".xml" and not looks_like_json(head):
            read = [eforms.read_xml_notice(path, name)]
        elif looks_like_json(head):
            read = eforms.read_json_notices(path, name)
        else:
            raise IngestError(f"Format non pris en charge ({describe_unknown(head)}) : {SUPPORTED_FR}.")
    except eforms.EformsError as error:
        raise IngestError(str(error)) from error
    documents = []
    for notice, blocks in read:
        document = ReadDocument(eforms.document_info(blocks), blocks, notice=notice)
        documents.append(document)
    return documents


def _read_zip(path: Path, name: str, suffix: str) -> ReadDocument:
    from procure.ingest.archive import member_names, opendocument_kind

    names = member_names(path)
    if "xl/workbook.xml" in names or (not names and suffix in (".xlsx", ".xlsm")):
        from procure.ingest.xlsx import read_xlsx

        return read_xlsx(path, name)
    if "word/document.xml" in names or not names:
        from procure.ingest.docx import read_docx

        return read_docx(path, name)  # an unreadable archive gets the DOCX reader's message
    opendocument = opendocument_kind(path)
    if opendocument == "ods" or suffix == ".ods":
        raise IngestError("Classeur OpenDocument (.ods) non pris en charge : enregistrez-le au format Excel (.xlsx).")
    if opendocument == "odt" or suffix == ".odt":
        raise IngestError("Document OpenDocument (.odt) non pris en charge : enregistrez-le au format Word (.docx) ou PDF.")
    raise IngestError(f"Ce fichier ZIP n'est ni un document Word (.docx) ni un classeur Excel (.xlsx) : {SUPPORTED_FR}.")


# Extraction works passage by passage: a 5 MB paragraph or a 100 000-character "word" would make spaCy refuse it
# and some regular expressions crawl. Real passages stay far below these bounds.
MAX_BLOCK_CHARS = 20_000
MAX_TOKEN_CHARS = 200
MAX_DIGIT_RUN = 40


def bound_blocks(doc: ReadDocument) -> None:
    """Split over-long passages and break over-long tokens, so that no block can stall extraction."""
    bounded: list[Block] = []
    replaced: dict[int, Block] = {}
    for block in doc.blocks:
        text = _break_long_tokens(block.text)
        if len(text) <= MAX_BLOCK_CHARS or block.kind == "table_row":
            new = replace(block, index=len(bounded), text=text[: MAX_BLOCK_CHARS * 5])
            replaced[id(block)] = new
            bounded.append(new)
            continue
        for piece in _pieces(text):
            bounded.append(replace(block, index=len(bounded), text=piece))
    doc.blocks[:] = bounded
    for table in doc.tables:
        table.blocks = [replaced.get(id(block), block) for block in table.blocks]
        table.rows = [[_break_long_tokens(cell)[:MAX_BLOCK_CHARS] for cell in row] for row in table.rows]
    doc.info.blocks = len(bounded)


def _break_long_tokens(text: str) -> str:
    if len(text) <= MAX_DIGIT_RUN:
        return text
    # Linear passes; only runs over the bounds are rebuilt. Amount patterns backtrack over digit runs
    # (quadratic), and no French number, SIRET or reference has more than a few dozen digits in a row.
    text = re.sub(rf"\d{{{MAX_DIGIT_RUN + 1},}}", lambda m: _spaced(m.group(0), MAX_DIGIT_RUN), text)
    return re.sub(rf"\S{{{MAX_TOKEN_CHARS + 1},}}", lambda m: _spaced(m.group(0), MAX_TOKEN_CHARS), text)


def _spaced(token: str, width: int) -> str:
    return " ".join(token[i:i + width] for i in range(0, len(token), width))


def _pieces(text: str) -> list[str]:
    """Cut at the last sentence end, else the last space, before each bound."""
    pieces = []
    while len(text) > MAX_BLOCK_CHARS:
        window = text[:MAX_BLOCK_CHARS]
        cut = max(window.rfind(". "), window.rfind("; "))
        if cut < MAX_BLOCK_CHARS // 2:
            cut = window.rfind(" ")
        cut = cut + 1 if cut > 0 else MAX_BLOCK_CHARS
        pieces.append(text[:cut].strip())
        text = text[cut:]
    pieces.append(text.strip())
    return [piece for piece in pieces if piece]


def _checked_size(path: Path) -> int:
    try:
        if path.is_dir():
            raise IngestError("C'est un dossier, pas un fichier : déposez les fichiers qu'il contient.")
        size = path.stat().st_size
    except ValueError as exc:  # "embedded null byte"
        raise IngestError("Nom de fichier invalide (caractère nul) : renommez le fichier.") from exc
    except OSError as exc:
        raise IngestError(_os_message(exc)) from exc
    if size == 0:
        raise IngestError("Le fichier est vide (0 octet).")
    limit = max_file_bytes()
    if size > limit:
        raise IngestError(
            f"Fichier trop volumineux ({size / 1048576:.0f} Mo) : la limite est de {limit // 1048576} Mo par fichier."
        )
    return size


def _os_message(exc: OSError) -> str:
    reasons = {
        errno.ENOENT: "fichier introuvable", errno.EACCES: "accès refusé", errno.EPERM: "accès refusé",
        errno.ENAMETOOLONG: "nom de fichier trop long", errno.EISDIR: "c'est un dossier, pas un fichier",
    }
    return f"Fichier inaccessible : {reasons.get(exc.errno, 'erreur du système de fichiers')}."


def _ole_message(path: Path, suffix: str) -> str:
    data = path.read_bytes()
    if "EncryptionInfo".encode("utf-16-le") in data:
        return "Document Office protégé par mot de passe : retirez la protection puis déposez-le à nouveau."
    if suffix == ".xls" or "Workbook".encode("utf-16-le") in data:
        return "Classeur Excel 97-2003 (.xls) non pris en charge : enregistrez-le au format .xlsx."
    return "Format Word 97-2003 (.doc) ou Excel ancien non pris en charge : enregistrez le document en .docx ou en PDF."


def _no_text_message(doc: ReadDocument) -> str:
    scanned = [w for w in doc.warnings if "scannée" in w.message]
    if scanned:
        return (
            "Document scanné : aucune page ne contient de texte et l'OCR n'a rien pu lire. "
            + scanned[0].message
        )
    return "Aucun texte n'a été trouvé dans ce document."


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def split_paragraphs(text: str) -> list[str]:
    """Rebuild paragraphs from PDF lines: a wrapped line continues when it starts in lower case or with a digit."""
    paragraphs: list[str] = []
    for raw in re.split(r"\r\n|\n|\r", text):
        line = " ".join(raw.split())
        if not line:
            if paragraphs and paragraphs[-1]:
                paragraphs.append("")
            continue
        previous = paragraphs[-1] if paragraphs else ""
        continues = previous and not previous.endswith((".", ":", ";", "!", "?")) and (
            line[0].islower() or line[0].isdigit() and not re.match(r"^\d+(\.\d+)*\s*[-–.)]\s", line)
        )
        if continues:
            paragraphs[-1] = f"{previous} {line}"
        else:
            paragraphs.append(line)
    return [p for p in paragraphs if p]
