"""Checks shared by the Office Open XML readers (DOCX, XLSX): every part is read once, in chunks, before parsing.

Declared sizes in a ZIP can lie, so each part is decompressed as a stream and counted; reading it to the end also
checks its CRC, and the unsupported cases of `zipfile` (Deflate64, encryption, newer ZIP versions) surface here
with a French message instead of deep inside python-docx or openpyxl.
"""
from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from procure.ingest import IngestError

CHUNK = 1 << 20
# A 300-page tender's document.xml stays under 15 MiB; lxml needs about ten times the XML size in memory.
MAX_XML_PART_BYTES = 40 * 1024 * 1024
# openpyxl scans a whole sheet at opening when it lacks a <dimension> element (about 1 s per 1.2 MiB of XML):
# 20 MiB per part keeps that under 20 s and still holds 100 000 rows of a BPU or a directory.
MAX_SHEET_PART_BYTES = 20 * 1024 * 1024
MAX_TOTAL_BYTES = 300 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200  # zip bombs reach thousands; real Office XML stays far below
MAX_PARTS = 5000
# DTDs and entities have no place in Office XML: they are how "billion laughs" and external entities get in.
FORBIDDEN_XML = [token.encode(codec) for token in ("<!DOCTYPE", "<!ENTITY") for codec in ("utf-8", "utf-16-le", "utf-16-be")]


def open_checked(path: Path, what: str, max_xml_part: int = MAX_XML_PART_BYTES) -> zipfile.ZipFile:
    """The archive, once every part has been decompressed within limits and checked; `what` names the format in French."""
    try:
        archive = zipfile.ZipFile(path)
    except NotImplementedError as exc:  # "zip file version 8.4"
        raise IngestError(f"{what} illisible : archive d'une version ZIP non prise en charge "
                          "(réenregistrez-le depuis Word, Excel ou LibreOffice).") from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise IngestError(f"{what} endommagé : l'archive est illisible ou tronquée.") from exc
    try:
        check_parts(archive, what, max_xml_part)
    except BaseException:
        archive.close()
        raise
    return archive


def check_parts(archive: zipfile.ZipFile, what: str, max_xml_part: int = MAX_XML_PART_BYTES) -> None:
    items = archive.infolist()
    if len(items) > MAX_PARTS:
        raise IngestError(f"{what} suspect refusé : l'archive contient {len(items)} parties (limite {MAX_PARTS}).")
    total_limit = MAX_TOTAL_BYTES
    total = 0
    for item in items:
        if item.is_dir():
            continue
        if item.flag_bits & 0x1:
            raise IngestError(f"{what} chiffré (protégé par mot de passe) : retirez la protection puis déposez-le à nouveau.")
        ratio = item.file_size / max(item.compress_size, 1)
        if item.file_size > 10 * 1024 * 1024 and ratio > MAX_COMPRESSION_RATIO:
            raise _bomb(what)
        total += _checked_part(archive, item, what, total_limit - total, max_xml_part)


def _checked_part(archive: zipfile.ZipFile, item: zipfile.ZipInfo, what: str, remaining: int, max_xml_part: int) -> int:
    is_xml = item.filename.lower().endswith((".xml", ".rels"))
    limit = min(remaining, max_xml_part) if is_xml else remaining
    size = 0
    tail = b""
    try:
        with archive.open(item) as stream:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise _bomb(what)
                if is_xml:
                    window = tail + chunk
                    if any(token in window for token in FORBIDDEN_XML):
                        raise IngestError(f"{what} suspect refusé : il contient des déclarations XML (DTD ou entités) interdites.")
                    tail = chunk[-32:]
    except IngestError:
        raise
    except NotImplementedError as exc:  # Deflate64, LZMA variants, "zip file version 8.4"...
        raise IngestError(f"{what} illisible : il utilise une méthode de compression non prise en charge "
                          "(réenregistrez-le depuis Word, Excel ou LibreOffice).") from exc
    except RuntimeError as exc:  # zipfile: "File ... is encrypted, password required" (after NotImplementedError, its subclass)
        raise IngestError(f"{what} chiffré (protégé par mot de passe) : retirez la protection puis déposez-le à nouveau.") from exc
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:  # bad CRC, truncated data
        raise IngestError(f"{what} endommagé : une partie de l'archive est corrompue ({item.filename}).") from exc
    return size


def _bomb(what: str) -> IngestError:
    return IngestError(f"{what} suspect refusé : son contenu décompressé est anormalement volumineux (archive piégée).")


def member_names(path: Path) -> set[str]:
    """Names in a ZIP archive, without checks: used only to tell DOCX, XLSX and OpenDocument apart."""
    try:
        with zipfile.ZipFile(path) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, ValueError, EOFError):
        return set()


def opendocument_kind(path: Path) -> str | None:
    """'ods' / 'odt' when the archive declares an OpenDocument mimetype."""
    try:
        with zipfile.ZipFile(path) as archive:
            mimetype = archive.read("mimetype")[:100] if "mimetype" in archive.namelist() else b""
    except Exception:  # any unreadable archive is simply "not OpenDocument"
        return None
    if b"opendocument.spreadsheet" in mimetype:
        return "ods"
    if b"opendocument.text" in mimetype:
        return "odt"
    return None
