"""Read tender files (PDF, DOCX) into text blocks that keep file, page and position.

Every failure becomes an `IngestError` carrying a French message for the user;
callers decide whether the tender can go on without that file.
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from procure.model import Block, DocumentInfo, FileProblem


class IngestError(Exception):
    """A file that cannot be read; `message_fr` is shown to the user as is."""

    def __init__(self, message_fr: str):
        super().__init__(message_fr)
        self.message_fr = message_fr


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


def _limit(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def max_file_bytes() -> int:
    return _limit("PROCURE_MAX_FILE_MB", 100) * 1024 * 1024


def max_pages() -> int:
    return _limit("PROCURE_MAX_PAGES", 2000)


DOC_TYPE_TITLES = [
    ("RC", r"r[èe]glement\s+de\s+(la\s+)?consultation"),
    ("CCAP", r"cahier\s+des\s+clauses\s+administratives\s+particuli[èe]res"),
    ("CCTP", r"cahier\s+des\s+clauses\s+techniques\s+particuli[èe]res"),
    ("AE", r"acte\s+d['’]\s*engagement"),
    ("BPU", r"bordereau\s+des\s+prix\s+unitaires"),
    ("DPGF", r"d[ée]composition\s+du\s+prix\s+global"),
    ("AAPC", r"avis\s+d['’]\s*appel\s+public"),
]
DOC_TYPE_TOKENS = {"RC", "CCAP", "CCTP", "AE", "BPU", "DPGF", "DQE", "AAPC"}


def detect_doc_type(filename: str, blocks: list[Block]) -> str:
    tokens = {t.upper() for t in re.split(r"[^A-Za-z0-9]+", Path(filename).stem)}
    for token in ("CCAP", "CCTP", "RC", "AE", "BPU", "DPGF", "DQE", "AAPC"):
        if token in tokens:
            return token
    head = " ".join(b.text for b in blocks[:15]).lower()
    for doc_type, pattern in DOC_TYPE_TITLES:
        if re.search(pattern, head):
            return doc_type
    return "AUTRE"


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


def read_document(path: str | Path, display_name: str | None = None) -> ReadDocument:
    """Read one file; raise IngestError with a French message when nothing can be read."""
    path = Path(path)
    name = display_name or path.name
    size = _checked_size(path)
    with open(path, "rb") as handle:
        head = handle.read(4096)
    kind = sniff_format(head)
    if kind == "pdf":
        from procure.ingest.pdf import read_pdf

        doc = read_pdf(path, name)
    elif kind == "zip":
        from procure.ingest.docx import read_docx

        doc = read_docx(path, name)
    elif kind == "ole":
        raise IngestError(_ole_message(path))
    else:
        suffix = path.suffix.lower()
        what = describe_unknown(head)
        if suffix in (".pdf", ".docx"):
            raise IngestError(f"Le fichier porte l'extension {suffix} mais son contenu est {what} : il n'a pas pu être lu.")
        raise IngestError(f"Format non pris en charge ({what}) : procure lit les documents PDF et Word (.docx).")
    doc.info.sha256 = _sha256(path)
    doc.info.doc_type = detect_doc_type(name, doc.blocks)
    if size and not doc.blocks:
        raise IngestError(_no_text_message(doc))
    return doc


def _checked_size(path: Path) -> int:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise IngestError(f"Fichier introuvable ou inaccessible ({exc.strerror}).") from exc
    if size == 0:
        raise IngestError("Le fichier est vide (0 octet).")
    limit = max_file_bytes()
    if size > limit:
        raise IngestError(
            f"Fichier trop volumineux ({size / 1048576:.0f} Mo) : la limite est de {limit // 1048576} Mo par fichier."
        )
    return size


def _ole_message(path: Path) -> str:
    data = path.read_bytes()
    if "EncryptionInfo".encode("utf-16-le") in data:
        return "Document Office protégé par mot de passe : retirez la protection puis déposez-le à nouveau."
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
