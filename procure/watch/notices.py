"""The notices of a watch run: every notice of the files and folders given, each read on its own.

A notice is known by a key before it is analysed, so that a re-run skips the notices already read: the eForms
notice identifier (BT-701), or for a PDF or Word notice the SHA-256 of its content. A change notice (eForms
efac:Changes, BT-758 "identifier-version") names the notice it modifies; its reason code "cancel" (BT-140) makes
it a cancellation.
"""
from __future__ import annotations

import hashlib
import re
import tarfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from procure.errors import ProcureError
from procure.ingest.notice_sniff import looks_like_json
from procure.model import Tender

NOTICE_DATA_SUFFIXES = {".xml", ".json", ".jsonl", ".ndjson"}
NOTICE_DOCUMENT_SUFFIXES = {".pdf", ".docx"}
PACKAGE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")  # TED daily packages: one XML notice per member
MAX_MEMBER_BYTES = 20 * 1024 * 1024  # a notice is tens of kilobytes; a bigger member is not read
VERSION_SUFFIX = re.compile(r"-\d{2}$")  # BT-758 = notice identifier + "-" + version


@dataclass
class NoticeItem:
    key: str
    name: str  # what the user reads: the file, and the BOAMP record when a file holds many
    load: Callable[[], Tender]  # the analysis, deferred: skipped when the key is already stored
    record: str | None = None  # BOAMP record identifier (idweb)
    modifies: str | None = None  # key of the notice this change notice modifies
    cancelled: bool = False
    procedure_id: str | None = None  # BT-04, shared by every notice of one procedure


@dataclass
class NoticeFailure:
    name: str
    message: str  # French


def notice_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files to read, folders walked in name order; in a folder, files that cannot hold a notice (README, YAML…)
    are left; a file named by the user is always kept, so that a format procure does not read is said, not skipped."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += [p for p in sorted(p for p in path.rglob("*") if p.is_file()) if _may_hold_notices(p)]
        else:
            found.append(path)
    return found


def _may_hold_notices(path: Path) -> bool:
    return path.suffix.lower() in NOTICE_DATA_SUFFIXES | NOTICE_DOCUMENT_SUFFIXES or path.name.lower().endswith(PACKAGE_SUFFIXES)


def notice_items(paths: Iterable[str | Path]) -> Iterator[NoticeItem | NoticeFailure]:
    for path in notice_files(paths):
        if not path.exists():
            yield NoticeFailure(path.name, "Fichier introuvable.")
        elif not _may_hold_notices(path):
            yield NoticeFailure(path.name, f"Format non pris en charge ({path.suffix or 'sans extension'}) : la veille lit les "
                                           "avis eForms (XML, JSON BOAMP), les paquets TED (.tar.gz, .zip) et les avis PDF ou DOCX.")
        elif path.suffix.lower() in NOTICE_DOCUMENT_SUFFIXES:
            yield _document_item(path)
        elif path.name.lower().endswith(PACKAGE_SUFFIXES):
            yield from _package_items(path)
        else:
            yield from _eforms_items(path)


def _document_item(path: Path) -> NoticeItem | NoticeFailure:
    from procure.extract import analyze

    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as error:
        return NoticeFailure(path.name, f"Fichier illisible ({error.strerror or error}).")
    return NoticeItem(f"fichier:{digest[:32]}", path.name, lambda: analyze([path]))


def _eforms_items(path: Path) -> Iterator[NoticeItem | NoticeFailure]:
    from procure.ingest import eforms

    try:
        head = path.open("rb").read(4096)
        if looks_like_json(head):
            trees = [(record, _record_name(path, record)) for record in eforms.json_records(path, limit=None)]
        else:
            trees = [(None, path.name)]
    except (eforms.EformsError, OSError, UnicodeError) as error:
        yield NoticeFailure(path.name, _message(error))
        return
    for record, name in trees:
        try:
            root = eforms.parse_xml(path) if record is None else eforms.record_tree(record)
            notice, blocks = eforms.read_notice(root, name, _record_id(record))
        except (eforms.EformsError, ProcureError, ValueError, RecursionError) as error:
            yield NoticeFailure(name, _message(error))
            continue
        yield _notice_item(notice, blocks, name)


def _package_items(path: Path) -> Iterator[NoticeItem | NoticeFailure]:
    """The XML notices of a TED package (tar.gz or zip), member by member, never extracted to disk."""
    from procure.ingest import eforms

    try:
        members = _zip_members(path) if path.name.lower().endswith(".zip") else _tar_members(path)
        for member, read in members:
            name = f"{path.name} ({PurePosixPath(member).name})"
            data = read()
            if data is None:
                yield NoticeFailure(name, f"Avis de plus de {MAX_MEMBER_BYTES // 2**20} Mo : non lu.")
                continue
            try:
                notice, blocks = eforms.read_notice(eforms.parse_xml(data), name)
            except (eforms.EformsError, ProcureError, ValueError, RecursionError) as error:
                yield NoticeFailure(name, _message(error))
                continue
            yield _notice_item(notice, blocks, name)
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile) as error:
        yield NoticeFailure(path.name, f"Paquet d'avis illisible ({type(error).__name__} : {str(error)[:120]}).")


def _tar_members(path: Path):
    with tarfile.open(path, mode="r:*") as package:
        for member in package:
            if member.isfile() and member.name.lower().endswith(".xml"):
                yield member.name, lambda m=member: (package.extractfile(m).read()
                                                     if m.size <= MAX_MEMBER_BYTES else None)


def _zip_members(path: Path):
    with zipfile.ZipFile(path) as package:
        for info in package.infolist():
            if not info.is_dir() and info.filename.lower().endswith(".xml"):
                yield info.filename, lambda i=info: _zip_read(package, i)


def _zip_read(package: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    if info.file_size > MAX_MEMBER_BYTES:
        return None
    with package.open(info) as handle:
        data = handle.read(MAX_MEMBER_BYTES + 1)  # the declared size can lie
    return data if len(data) <= MAX_MEMBER_BYTES else None


def _notice_item(notice, blocks, name: str) -> NoticeItem | NoticeFailure:
    from procure.extract import analyze_documents
    from procure.ingest import ReadDocument, eforms

    facts = {fact.term: fact.value for fact in notice.facts if fact.scope == "notice"}
    key = facts.get("BT-701") or notice.record
    if not key:
        return NoticeFailure(name, "Avis eForms sans identifiant d'avis (BT-701) : il ne peut pas être suivi.")
    changed = facts.get("BT-758")
    document = ReadDocument(eforms.document_info(blocks), blocks, notice=notice)
    return NoticeItem(key, name, lambda: analyze_documents([document]), record=notice.record,
                      modifies=VERSION_SUFFIX.sub("", changed) if changed else None,
                      cancelled=facts.get("BT-140") == "cancel", procedure_id=facts.get("BT-04"))


def _record_id(record: dict | None) -> str | None:
    if record is None:
        return None
    return str(record.get("idweb") or record.get("id") or "") or None


def _record_name(path: Path, record: dict) -> str:
    identifier = _record_id(record)
    return f"{path.name} (avis {identifier})" if identifier else path.name


def _message(error: Exception) -> str:
    if isinstance(error, OSError):
        return f"Fichier illisible ({error.strerror or error})."
    if isinstance(error, RecursionError):
        return "Avis trop profondément imbriqué pour être lu."
    text = str(error)
    return text if text.endswith(".") else text + "."
