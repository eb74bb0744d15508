"""Reading a directory file as a stream of rows: CSV (UTF-8, cp1252 or latin-1; `,` `;` tab `|`), gzip, XLSX, JSON.

Nothing is read whole: the encoding is checked by an incremental decoder, then rows are parsed one at a time,
so a national file costs the same memory as a small one. Every refusal is a ProcureError in French.
"""
from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from procure.errors import ProcureError, input_file_size

MAX_IMPORT_ROWS = 300_000  # structures kept from one file (the FINESS extract has about 100 000 lines)
MAX_IMPORT_BYTES = 200 * 1024 * 1024
MAX_FIELD_CHARS = 100_000
MAX_JSON_BYTES = 200 * 1024 * 1024  # a JSON file is parsed whole (no streaming JSON parser in the dependencies)
CHUNK = 1 << 20
Progress = Callable[[int, str], None]


def too_long(limit: int = MAX_IMPORT_ROWS) -> ProcureError:
    return ProcureError(f"Fichier trop long : plus de {limit} lignes. Découpez-le en plusieurs fichiers ; "
                        "rien n'a été importé.")


def check_file(path: Path, max_bytes: int = MAX_IMPORT_BYTES) -> int:
    size = input_file_size(path)
    if size > max_bytes:
        raise ProcureError(f"Fichier trop volumineux ({size / 1048576:.0f} Mo) : la limite est de "
                           f"{max_bytes // 1048576} Mo ; découpez-le en plusieurs fichiers.")
    return size


def file_kind(path: Path) -> str:
    """xlsx, gzip, json or csv, from the first bytes; French error for the others (and for a missing file)."""
    input_file_size(path)
    with open(path, "rb") as handle:
        head = handle.read(64)
    is_zip = head.startswith(b"PK\x03\x04")
    if path.suffix.lower() in (".xlsx", ".xlsm") or is_zip:
        if not is_zip:
            raise ProcureError(f"Le fichier porte l'extension {path.suffix} mais ce n'est pas un classeur Excel "
                               "(texte ou CSV ?) : renommez-le en .csv ou enregistrez-le au format .xlsx.")
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ProcureError("Classeur Excel 97-2003 (.xls) non pris en charge : enregistrez-le au format .xlsx ou .csv.")
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"PAR1"):
        raise ProcureError("Fichier Parquet non pris en charge pour l'annuaire : utilisez la version CSV (.csv ou .csv.gz).")
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return "json"
    return "csv"


@contextmanager
def _binary(path: Path, kind: str):
    opener = gzip.open if kind == "gzip" else open
    try:
        with opener(path, "rb") as handle:
            yield handle
    except (gzip.BadGzipFile, EOFError, OSError) as exc:
        if isinstance(exc, (FileNotFoundError, PermissionError)):
            raise
        raise ProcureError("Archive .gz illisible ou tronquée : téléchargez de nouveau le fichier.") from exc


def detect_encoding(path: Path, kind: str = "csv") -> str:
    """utf-8-sig, else cp1252, else latin-1 (which accepts any byte), checked on the whole stream; NUL refused."""
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with _binary(path, kind) as handle:
                while chunk := handle.read(CHUNK):
                    if b"\x00" in chunk:
                        raise ProcureError("Le fichier contient des octets nuls : ce n'est pas un fichier texte (CSV). "
                                           "Enregistrez-le au format CSV ou .xlsx.")
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    return "latin-1"


def head_text(path: Path, kind: str, encoding: str, size: int = 20_000) -> str:
    with _binary(path, kind) as handle:
        return handle.read(size).decode(encoding, errors="replace")


def decode_text(path: Path) -> tuple[str, str]:
    """Text of a (small) file in UTF-8, else cp1252, else latin-1."""
    encoding = detect_encoding(path)
    return path.read_bytes().decode(encoding), encoding


def sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        return max(",;\t|", key=first.count) if any(c in first for c in ",;\t|") else ","


def open_table(path: Path, delimiter: str | None = None, header: list[str] | None = None,
               max_bytes: int = MAX_IMPORT_BYTES) -> tuple[str, Iterator[dict[str, str]]]:
    """The encoding ('xlsx' for a workbook) and a stream of rows; ProcureError (French) for a file that is not a
    readable table."""
    path = Path(path)
    check_file(path, max_bytes)
    kind = file_kind(path)
    if kind == "xlsx":
        return "xlsx", xlsx_rows(path)
    if kind == "json":
        raise ProcureError("Fichier JSON : choisissez un format qui se lit en JSON (annuaire, lemarche, data-inclusion).")
    encoding = detect_encoding(path, kind)
    if delimiter is None:
        delimiter = sniff_delimiter(head_text(path, kind, encoding))
    return encoding, csv_rows(path, kind, encoding, delimiter, header)


def csv_rows(path: Path, kind: str, encoding: str, delimiter: str, header: list[str] | None = None,
             skip_lines: int = 0) -> Iterator[dict[str, str]]:
    """Rows as dicts (the first line is the header unless one is given); stripped values."""
    previous_limit = csv.field_size_limit(MAX_FIELD_CHARS + 1)
    try:
        with _binary(path, kind) as raw:
            # newline="" lets the csv module see a bare carriage return inside a quoted field as data.
            text = io.TextIOWrapper(raw, encoding=encoding, newline="")
            for _ in range(skip_lines):
                text.readline()
            reader = csv.reader(text, delimiter=delimiter)
            columns = header
            while True:
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise ProcureError(f"Fichier CSV illisible à la ligne {reader.line_num + skip_lines} : "
                                       f"{_csv_reason(exc)}.") from exc
                if columns is None:
                    columns = [value.strip() for value in values]
                    continue
                if any(len(value) > MAX_FIELD_CHARS for value in values):
                    raise ProcureError(f"Fichier CSV refusé à la ligne {reader.line_num + skip_lines} : un champ dépasse "
                                       f"{MAX_FIELD_CHARS} caractères.")
                yield {name: value.strip() for name, value in zip(columns, values) if name}
    finally:
        csv.field_size_limit(previous_limit)


def _csv_reason(exc: csv.Error) -> str:
    message = str(exc)
    if "field larger than field limit" in message:
        return f"un champ dépasse {MAX_FIELD_CHARS} caractères"
    if "new-line character" in message:
        return "retour à la ligne dans un champ non entre guillemets"
    if "NUL" in message or "null byte" in message:
        return "caractère nul (fichier binaire ?)"
    return "structure CSV incorrecte"


def read_json(path: Path):
    """A JSON document (UTF-8), parsed whole; French errors for a broken or too large one."""
    path = Path(path)
    size = check_file(path, MAX_JSON_BYTES)
    kind = file_kind(path)
    try:
        with _binary(path, kind) as handle:
            return json.load(io.TextIOWrapper(handle, encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ProcureError("Fichier JSON refusé : il n'est pas en UTF-8.") from exc
    except json.JSONDecodeError as exc:
        raise ProcureError(f"Fichier JSON illisible ligne {exc.lineno}, colonne {exc.colno} : {exc.msg}.") from exc
    except RecursionError as exc:
        raise ProcureError(f"Fichier JSON refusé : imbrication trop profonde ({size} octets).") from exc


def xlsx_rows(path: Path) -> Iterator[dict[str, str]]:
    from procure.ingest.archive import MAX_SHEET_PART_BYTES, open_checked
    from procure.ingest.xlsx import _cell_text

    with open_checked(path, "Classeur Excel", MAX_SHEET_PART_BYTES) as archive:
        if "xl/workbook.xml" not in archive.namelist():
            raise ProcureError("Ce fichier ZIP n'est pas un classeur Excel (.xlsx).")
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl's KeyError, ValueError, lxml or defusedxml errors on broken parts
        raise ProcureError("Classeur Excel endommagé ou suspect (DTD, parties manquantes) : son contenu est illisible.") from exc
    return _sheet_rows(workbook, _cell_text)


def _sheet_rows(workbook, cell_text) -> Iterator[dict[str, str]]:
    try:
        sheet = workbook.active or (workbook.worksheets[0] if workbook.worksheets else None)
        if sheet is None:
            raise ProcureError("Classeur Excel sans feuille.")
        if (sheet.max_row or 0) > MAX_IMPORT_ROWS + 1:  # the declared dimension, when the file gives one
            raise too_long()
        header = None
        for values in sheet.iter_rows(values_only=True, max_col=200):
            cells = [cell_text(value) for value in values]
            if header is None:
                if any(cells):
                    header = cells
                continue
            yield {name: value for name, value in zip(header, cells) if name}
        if header is None:
            raise ProcureError("La feuille du classeur est vide : aucune ligne d'en-tête trouvée.")
    except ProcureError:
        raise
    except Exception as exc:
        raise ProcureError("Classeur Excel endommagé ou suspect : une feuille est illisible.") from exc
    finally:
        workbook.close()
