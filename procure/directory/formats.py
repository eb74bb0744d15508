"""The file layouts the directory reads, each turned into a stream of `Candidate` structures.

- `asp-siae`: the ASP list of SIAE (one line per SIRET and measure);
- `annuaire`: the Annuaire des entreprises — API answers (JSON), the dump of legal units (`est_siae`, `type_siae`,
  `est_ess`, `liste_finess_juridique`), the dump of establishments (completes the location of known structures)
  and flat CSV exports of them;
- `finess`: the FINESS establishment extraction (`finess;etalab;…` first line, latin-1): category 246 = ESAT,
  247 = entreprise adaptée, every other category is left aside;
- `lemarche`: le marché de l'inclusion — its CSV export, its API answers (`/api/siae/`, sectors as activities) or
  its Django fixtures. Format only: that repository has no licence, procure ships none of its data;
- `data-inclusion`: structures of the data·inclusion schema v1 (JSON list, `items` page, workbook or CSV);
  the carrying networks (`reseaux_porteurs`) name the kind, the services' names and topics are the activities;
- `mapping`: any CSV or XLSX with a column mapping.

`detect_format` recognises each of them from the header (or the JSON keys).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from procure.directory.files import (
    MAX_IMPORT_BYTES,
    csv_rows,
    detect_encoding,
    file_kind,
    head_text,
    open_table,
    read_json,
)
from procure.directory.identifiers import normalize_kind
from procure.directory.kinds import KINDS
from procure.errors import ProcureError
from procure.errors import shown as _shown


@dataclass(slots=True)
class Candidate:
    """One structure as a file gives it, before validation. `ignored` says why a row is not an inclusive structure
    (counted, not an error); `complete_only` rows only complete a structure already in the directory."""

    line: int
    siret: str = ""
    name: str = ""
    kinds: list[str] = field(default_factory=list)
    raw_kind: str | None = None  # the kind as written, when the file names one (its error message quotes it)
    naf: str = ""
    address: str = ""
    postcode: str = ""
    commune: str = ""
    insee: str = ""
    latitude: str = ""
    longitude: str = ""
    activities: str = ""
    headcount: str = ""
    details: dict = field(default_factory=dict)
    ignored: str | None = None
    complete_only: bool = False


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
# Marché de l'inclusion CSV export (its admin export writes the fields' French names; header matched loosely).
INCLUSION_MARKET = Mapping(siret="Siret", name="Raison sociale", kind="Type", address=["Adresse"], postcode="Code postal",
                           commune="Ville", activities="Secteurs d'activité", headcount="Effectif")
# FINESS establishment extraction: ESAT are category 246 (kept for callers that pass it; the finess format reads 247 too).
FINESS_ESAT = Mapping(siret="siret", name="rs", fixed_kind="ESAT", naf="codeape", address=["numvoie", "typvoie", "voie"],
                      postcode="ligneacheminement", commune="ligneacheminement", row_filter=("categetab", "246"))
FINESS_COLUMNS = ["section", "nofinesset", "nofinessej", "rs", "rslongue", "complrs", "compldistrib", "numvoie", "typvoie",
                  "voie", "compvoie", "lieuditbp", "commune", "departement", "libdepartement", "ligneacheminement",
                  "telephone", "telecopie", "categetab", "libcategetab", "categagretab", "libcategagretab", "siret",
                  "codeape", "codemft", "libmft", "codesph", "libsph", "dateouv", "dateautor", "maj", "numuai"]
FINESS_KINDS = {"246": "ESAT", "247": "EA"}
MAPPING_FIELDS = ["siret", "name", "kind", "fixed_kind", "naf", "address", "postcode", "commune", "insee", "activities", "headcount"]


@dataclass(frozen=True)
class Format:
    code: str
    label_fr: str
    read: Callable[[Path], Iterator[Candidate]]
    filtered: bool = False  # most rows of a national file are not inclusive structures: the row limit counts kept ones
    max_bytes: int = MAX_IMPORT_BYTES
    source_date: Callable[[Path], date | None] | None = None


# ---------------------------------------------------------------- column mappings (ASP, exports, any CSV)


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


def mapped(rows: Iterator[dict[str, str]], mapping: Mapping, first_line: int = 2) -> Iterator[Candidate]:
    for line, row in enumerate(rows, start=first_line):
        if mapping.row_filter and row.get(mapping.row_filter[0], "").strip() != mapping.row_filter[1]:
            yield Candidate(line, ignored="ligne hors du filtre du format")
            continue
        raw_kind = row.get(mapping.kind, "") if mapping.kind else None
        yield Candidate(
            line, siret=row.get(mapping.siret, ""), name=row.get(mapping.name, ""),
            kinds=[mapping.fixed_kind] if mapping.fixed_kind else [raw_kind or ""], raw_kind=raw_kind,
            naf=row.get(mapping.naf or "", ""), address=" ".join(row.get(c, "") for c in mapping.address),
            postcode=row.get(mapping.postcode or "", ""), commune=row.get(mapping.commune or "", ""),
            insee=row.get(mapping.insee or "", ""), activities=row.get(mapping.activities or "", ""),
            headcount=row.get(mapping.headcount or "", ""))


def read_mapped(mapping: Mapping) -> Callable[[Path], Iterator[Candidate]]:
    def read(path: Path) -> Iterator[Candidate]:
        _, rows = open_table(path)
        yield from mapped(rows, mapping)
    return read


# ---------------------------------------------------------------- le marché de l'inclusion


LEMARCHE_COLUMNS = {  # field -> accepted column names (folded); the export writes verbose names
    "siret": ["siret"], "name": ["raison sociale", "name", "nom"], "brand": ["enseigne", "brand"],
    "kind": ["type", "type de structure", "kind"], "address": ["adresse", "address"],
    "postcode": ["code postal", "post_code"], "commune": ["ville", "city"],
    "activities": ["secteurs d'activite", "secteurs d'activité", "sectors", "secteurs"],
    "headcount": ["effectif", "employees_insertion_count"], "active": ["active", "is_active"],
}


def _fold(text: str) -> str:
    from procure.text.normalize import fold

    return " ".join(fold(str(text)).casefold().split())


def _pick(row: dict[str, str], names: list[str]) -> str:
    for name in names:
        if name in row:
            return row[name]
    return ""


def read_lemarche(path: Path) -> Iterator[Candidate]:
    if file_kind(path) == "json":
        yield from _lemarche_json(read_json(path))
        return
    _, rows = open_table(path)
    folded_names = {key: [_fold(n) for n in names] for key, names in LEMARCHE_COLUMNS.items()}
    for line, raw in enumerate(rows, start=2):
        row = {_fold(k): v for k, v in raw.items()}
        value = {key: _pick(row, names) for key, names in folded_names.items()}
        if _fold(value["active"]) in ("non", "false", "0", "faux"):
            yield Candidate(line, ignored="structure inactive sur le marché de l'inclusion")
            continue
        yield Candidate(line, siret=value["siret"], name=value["name"], kinds=[value["kind"]], raw_kind=value["kind"],
                        address=value["address"], postcode=value["postcode"], commune=value["commune"],
                        activities=value["activities"], headcount=value["headcount"],
                        details={"enseigne": value["brand"]} if value["brand"] else {})


def _lemarche_json(data) -> Iterator[Candidate]:
    if isinstance(data, dict):
        data = data.get("results", data.get("items", data.get("data")))
    if not isinstance(data, list):
        raise ProcureError("Fichier JSON du marché de l'inclusion non reconnu : une liste de structures (réponse de "
                           "/api/siae/, champ « results ») ou une sauvegarde Django (« model », « fields ») est attendue.")
    if data and isinstance(data[0], dict) and "model" in data[0] and "fields" in data[0]:
        yield from _lemarche_fixture(data)
        return
    for line, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            yield Candidate(line, name="?", siret="", raw_kind="")
            continue
        if item.get("is_active") is False:
            yield Candidate(line, ignored="structure inactive sur le marché de l'inclusion")
            continue
        sectors = [s.get("name", "") for s in item.get("sectors") or [] if isinstance(s, dict)]
        kind = str(item.get("kind") or "")
        yield Candidate(line, siret=str(item.get("siret") or ""), name=str(item.get("name") or ""), kinds=[kind], raw_kind=kind,
                        address=str(item.get("address") or ""), postcode=str(item.get("post_code") or ""),
                        commune=str(item.get("city") or ""), naf=str(item.get("naf") or ""),
                        activities=", ".join(s for s in sectors if s),
                        details=_present({"enseigne": item.get("brand"), "secteurs": [s.get("slug") for s in item.get("sectors") or []
                                                                                      if isinstance(s, dict)],
                                          "prestations": item.get("presta_types")}))


def _lemarche_fixture(records: list) -> Iterator[Candidate]:
    """A Django dump: siaes.siae rows, with their sectors when the dump also holds activities and sectors."""
    sectors = {r.get("pk"): (r.get("fields") or {}).get("name", "") for r in records if r.get("model") == "sectors.sector"}
    by_siae: dict = {}
    for r in records:
        if r.get("model") == "siaes.siaeactivity":
            fields = r.get("fields") or {}
            by_siae.setdefault(fields.get("siae"), []).append(sectors.get(fields.get("sector"), ""))
    for line, record in enumerate(records, start=1):
        if record.get("model") != "siaes.siae":
            continue
        f = record.get("fields") or {}
        latitude = longitude = ""
        point = re.search(r"POINT\s*\(\s*(-?[\d.]+)\s+(-?[\d.]+)", str(f.get("coords") or ""))
        if point:
            longitude, latitude = point.groups()
        kind = str(f.get("kind") or "")
        yield Candidate(line, siret=str(f.get("siret") or ""), name=str(f.get("name") or ""), kinds=[kind], raw_kind=kind,
                        naf=str(f.get("naf") or ""), address=str(f.get("address") or ""),
                        postcode=str(f.get("post_code") or ""), commune=str(f.get("city") or ""),
                        latitude=latitude, longitude=longitude,
                        activities=", ".join(s for s in by_siae.get(record.get("pk"), []) if s),
                        details=_present({"enseigne": f.get("brand"), "source_marche": f.get("source")}))


def _present(values: dict) -> dict:
    return {key: value for key, value in values.items() if value not in (None, "", [], {})}


# ---------------------------------------------------------------- Annuaire des entreprises


def _true(value) -> bool:
    return value is True or str(value).strip().casefold() in ("true", "1", "oui", "t", "vrai", "o")


def _listed(value) -> list[str]:
    """The dump writes lists as strings ("['010000024', '…']"); the API as JSON lists; our flat CSV with '|'."""
    if value in (None, ""):
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v not in (None, "")]
    return re.findall(r"[0-9A-Za-z]{9,}", str(value))


def _annuaire_kinds(est_siae, type_siae, est_ess) -> tuple[list[str], str | None]:
    """Kinds and the raw SIAE type when it names no known kind."""
    kinds, unknown = [], None
    if _true(est_siae) or type_siae:
        kind = normalize_kind(str(type_siae or ""))
        if kind:
            kinds.append(kind)
        else:
            unknown = str(type_siae or "")
    if _true(est_ess):
        kinds.append("ESS")
    return kinds, unknown


def _annuaire_unit(line: int, siret: str, name: str, est_siae, type_siae, est_ess, *, naf="", address="", postcode="",
                   commune="", insee="", latitude="", longitude="", state="", finess=(), finess_sites=()) -> Candidate:
    if state and str(state).upper() in ("C", "F"):
        return Candidate(line, ignored="entreprise cessée")
    kinds, unknown = _annuaire_kinds(est_siae, type_siae, est_ess)
    details = _present({"siren": siret[:9] or None, "est_siae": _true(est_siae) or None, "type_siae": type_siae or None, "est_ess": _true(est_ess) or None,
                        "finess_juridique": list(finess), "finess_geographique": list(finess_sites)})
    if not kinds and unknown is None:
        return Candidate(line, ignored="ni SIAE ni ESS selon l'Annuaire", details=details)
    return Candidate(line, siret=siret, name=name, kinds=kinds or [unknown or ""], raw_kind=unknown if not kinds else None,
                     naf=naf, address=address, postcode=postcode, commune=commune, insee=insee,
                     latitude=latitude, longitude=longitude, details=details)


def _annuaire_results(data) -> list:
    if isinstance(data, dict):
        if isinstance(data.get("result"), dict):
            data = data["result"]
        data = data.get("results", data.get("items"))
    if not isinstance(data, list):
        raise ProcureError("Fichier JSON de l'Annuaire des entreprises non reconnu : une réponse de l'API Recherche "
                           "d'entreprises (« results ») ou une liste d'entreprises est attendue.")
    return data


def read_annuaire(path: Path) -> Iterator[Candidate]:
    if file_kind(path) == "json":
        for line, unit in enumerate(_annuaire_results(read_json(path)), start=1):
            if not isinstance(unit, dict):
                yield Candidate(line, name="?", raw_kind="")
                continue
            siege = unit.get("siege") if isinstance(unit.get("siege"), dict) else {}
            complements = unit.get("complements") if isinstance(unit.get("complements"), dict) else {}
            yield _annuaire_unit(
                line, str(siege.get("siret") or ""), str(unit.get("nom_complet") or unit.get("nom_raison_sociale") or ""),
                complements.get("est_siae"), complements.get("type_siae"), complements.get("est_ess"),
                naf=str(siege.get("activite_principale") or unit.get("activite_principale") or ""),
                address=str(siege.get("adresse") or ""), postcode=str(siege.get("code_postal") or ""),
                commune=str(siege.get("libelle_commune") or ""), insee=str(siege.get("commune") or ""),
                latitude=str(siege.get("latitude") or ""), longitude=str(siege.get("longitude") or ""),
                state=str(unit.get("etat_administratif") or ""), finess=_listed(complements.get("liste_finess_juridique")),
                finess_sites=_listed(siege.get("liste_finess")))
        return
    _, rows = open_table(path, max_bytes=ANNUAIRE_MAX_BYTES)
    first = next(rows, None)
    if first is None:
        return
    establishments = "est_siege" in first and "est_siae" not in first
    for line, row in enumerate(_chain(first, rows), start=2):
        if establishments:
            yield _annuaire_establishment(line, row)
            continue
        yield _annuaire_unit(
            line, row.get("siret_siege", ""), row.get("nom_complet", "") or row.get("nom_raison_sociale", ""),
            row.get("est_siae"), row.get("type_siae", ""), row.get("est_ess"),
            naf=row.get("activite_principale", ""), address=row.get("adresse", "") or row.get("siege_adresse", ""),
            postcode=row.get("siege_code_postal", "") or row.get("code_postal", ""),
            commune=row.get("siege_libelle_commune", "") or row.get("libelle_commune", ""),
            insee=row.get("siege_commune", "") or row.get("commune", ""),
            latitude=row.get("siege_latitude", ""), longitude=row.get("siege_longitude", ""),
            state=row.get("etat_administratif", ""), finess=_listed(row.get("liste_finess_juridique")),
            finess_sites=_listed(row.get("siege_liste_finess")))


def _annuaire_establishment(line: int, row: dict[str, str]) -> Candidate:
    """A line of the establishments dump: it only completes (address, commune) a structure already imported."""
    if row.get("etat_administratif", "").upper() == "F":
        return Candidate(line, ignored="établissement fermé")
    address = row.get("adresse", "")
    postcode = row.get("code_postal", "") or address
    commune = row.get("libelle_commune", "")
    if not commune:
        found = re.search(r"\b\d{5}\s+(.+)$", address)
        commune = found.group(1) if found else ""
    return Candidate(line, siret=row.get("siret", ""), address=address, postcode=postcode, commune=commune,
                     insee=row.get("commune", ""), latitude=row.get("latitude", ""), longitude=row.get("longitude", ""),
                     complete_only=True, details=_present({"finess_geographique": _listed(row.get("liste_finess_geographique"))}))


ANNUAIRE_MAX_BYTES = 8 * 1024 ** 3  # the national dumps, read as a stream (gzip accepted)


def _chain(first, rest):
    yield first
    yield from rest


# ---------------------------------------------------------------- FINESS


def _finess_first_line(path: Path) -> tuple[str, str, str]:
    kind = file_kind(path)
    encoding = detect_encoding(path, kind)
    return kind, encoding, head_text(path, kind, encoding, 4000).split("\n", 1)[0].strip()


def finess_date(path: Path) -> date | None:
    """The extraction date of the `finess;etalab;<version>;<date>` first line."""
    try:
        _, _, first = _finess_first_line(path)
    except ProcureError:
        return None
    found = re.match(r"finess;etalab;[^;]*;(\d{4})-(\d{2})-(\d{2})", first)
    try:
        return date(*map(int, found.groups())) if found else None
    except ValueError:
        return None


FINESS_OVERSEAS = {"9A": "971", "9B": "972", "9C": "973", "9D": "974", "9E": "975", "9F": "976"}


def read_finess(path: Path) -> Iterator[Candidate]:
    kind, encoding, first = _finess_first_line(path)
    if kind == "xlsx" or first.lower().startswith(("categetab", "nofinesset")) or "categetab" in first.split(";"):
        _, rows = open_table(path)  # a FINESS table with its own header
        start, header_rows = 2, rows
    else:
        skip = 1 if first.lower().startswith("finess;") else 0
        header_rows = csv_rows(path, kind, encoding, ";", FINESS_COLUMNS, skip_lines=skip)
        start = 1 + skip
    for line, row in enumerate(header_rows, start=start):
        section = row.get("section", "structureet")
        if section and section != "structureet":
            yield Candidate(line, ignored="ligne de géolocalisation ou d'un autre bloc (coordonnées prises de la commune)")
            continue
        category = row.get("categetab", "").strip()
        kind_code = FINESS_KINDS.get(category)
        if kind_code is None:
            yield Candidate(line, ignored="catégorie FINESS hors travail protégé (ni ESAT 246 ni EA 247)")
            continue
        department, commune = row.get("departement", "").strip().upper(), row.get("commune", "").strip()
        insee = ""
        if department and re.fullmatch(r"\d{3}", commune):
            insee = FINESS_OVERSEAS.get(department, department)[:3] + commune[-2:] if department in FINESS_OVERSEAS \
                else department.zfill(2) + commune
        yield Candidate(line, siret=row.get("siret", ""), name=row.get("rslongue", "") or row.get("rs", ""), kinds=[kind_code],
                        naf=row.get("codeape", ""),
                        address=" ".join(row.get(c, "") for c in ("numvoie", "typvoie", "voie", "compvoie")),
                        postcode=row.get("ligneacheminement", ""), commune=row.get("ligneacheminement", ""), insee=insee,
                        details=_present({"finess": row.get("nofinesset"), "finess_juridique": row.get("nofinessej"),
                                          "categorie_finess": f"{category} {row.get('libcategetab', '')}".strip()}))


# ---------------------------------------------------------------- data·inclusion


DATA_INCLUSION_KINDS = {"ei": "EI", "aci": "ACI", "ai": "AI", "etti": "ETTI", "eiti": "EITI", "ea": "EA", "eatt": "EATT",
                        "esat": "ESAT", "geiq": "GEIQ"}


def _networks(value) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip().casefold() for v in value]
    return [part.strip().casefold() for part in re.split(r"[,;|]", str(value or "")) if part.strip()]


def read_data_inclusion(path: Path) -> Iterator[Candidate]:
    services: dict[str, list[str]] = {}
    if file_kind(path) == "json":
        data = read_json(path)
        structures = data
        if isinstance(data, dict):
            structures = data.get("items", data.get("structures", data.get("Structures")))
            for service in data.get("services", data.get("Services")) or []:
                if isinstance(service, dict):
                    topics = _networks(service.get("thematiques"))
                    parts = [str(service.get("nom") or "")] + [t.split("--")[-1].replace("-", " ") for t in topics]
                    services.setdefault(str(service.get("structure_id")), []).extend(p for p in parts if p)
        if not isinstance(structures, list):
            raise ProcureError("Fichier JSON data·inclusion non reconnu : une liste de structures (schéma v1), une page "
                               "de l'API (« items ») ou un objet « structures » est attendu.")
        rows = ((line, item) for line, item in enumerate(structures, start=1))
    else:
        _, table = open_table(path)
        rows = ((line, item) for line, item in enumerate(table, start=2))
    for line, item in rows:
        if not isinstance(item, dict):
            yield Candidate(line, name="?", raw_kind="")
            continue
        networks = _networks(item.get("reseaux_porteurs"))
        kinds = sorted({DATA_INCLUSION_KINDS[n] for n in networks if n in DATA_INCLUSION_KINDS})
        details = _present({"id": item.get("id"), "source_data_inclusion": item.get("source"), "reseaux_porteurs": networks})
        if not kinds:
            yield Candidate(line, ignored="aucun réseau porteur d'employeur inclusif (SIAE, EA, ESAT, GEIQ)", details=details)
            continue
        activities = ", ".join(dict.fromkeys(services.get(str(item.get("id")), []))) or str(item.get("description") or "")[:1000]
        yield Candidate(line, siret=str(item.get("siret") or ""), name=str(item.get("nom") or ""), kinds=kinds,
                        address=str(item.get("adresse") or ""), postcode=str(item.get("code_postal") or ""),
                        commune=str(item.get("commune") or ""), insee=str(item.get("code_insee") or ""),
                        latitude=str(item.get("latitude") or ""), longitude=str(item.get("longitude") or ""),
                        activities=activities, details=details)


# ---------------------------------------------------------------- registry and detection


FORMATS_BY_CODE: dict[str, Format] = {f.code: f for f in [
    Format("annuaire", "Annuaire des entreprises (API, export des unités légales ou des établissements)", read_annuaire,
           filtered=True, max_bytes=ANNUAIRE_MAX_BYTES),
    Format("finess", "Extraction FINESS des établissements (ESAT 246, entreprises adaptées 247)", read_finess, filtered=True,
           source_date=finess_date),
    Format("lemarche", "Le marché de l'inclusion (export CSV, API ou sauvegarde)", read_lemarche),
    Format("data-inclusion", "Structures data·inclusion (schéma v1)", read_data_inclusion, filtered=True),
    Format("asp-siae", "Liste officielle des SIAE (ASP)", read_mapped(ASP_SIAE)),
]}
FORMAT_ALIASES = {"marche-inclusion": "lemarche"}
FORMAT_LABELS_FR = {code: f.label_fr for code, f in FORMATS_BY_CODE.items()} | {"mapping": "Colonnes choisies (--map)"}


def format_named(code: str) -> Format:
    code = FORMAT_ALIASES.get(code, code)
    if code not in FORMATS_BY_CODE:
        raise ProcureError(f"Format d'annuaire inconnu « {_shown(code)} » (formats : {', '.join(FORMATS_BY_CODE)}).")
    return FORMATS_BY_CODE[code]


def mapping_format(mapping: Mapping) -> Format:
    """A format for a column mapping (FINESS_ESAT keeps its own reader, which knows the headerless extraction)."""
    if mapping is FINESS_ESAT:
        return FORMATS_BY_CODE["finess"]
    if mapping is INCLUSION_MARKET:
        return FORMATS_BY_CODE["lemarche"]
    if mapping is ASP_SIAE:
        return FORMATS_BY_CODE["asp-siae"]
    return Format("mapping", FORMAT_LABELS_FR["mapping"], read_mapped(mapping))


def detect_format(path: Path) -> Format:
    """The format of a file, from its header (CSV, XLSX) or its keys (JSON); French error when none fits."""
    path = Path(path)
    kind = file_kind(path)
    if kind == "json":
        text = head_text(path, kind, "utf-8", 200_000)
        if re.search(r'"(complements|nom_complet|siret_siege)"', text):
            return FORMATS_BY_CODE["annuaire"]
        if re.search(r'"(reseaux_porteurs|structure_id|thematiques)"', text) or re.search(r'"(Structures|items)"\s*:', text) \
                and '"nom"' in text:
            return FORMATS_BY_CODE["data-inclusion"]
        if re.search(r'"(siaes\.siae|kind|presta_types|post_code)"', text):
            return FORMATS_BY_CODE["lemarche"]
        raise ProcureError("Fichier JSON non reconnu : ni réponse de l'Annuaire des entreprises, ni structures "
                           "data·inclusion, ni structures du marché de l'inclusion. Indiquez le format.")
    if kind == "xlsx":
        _, rows = open_table(path)
        first = next(rows, None) or {}
        header = list(first)
    else:
        encoding = detect_encoding(path, kind)
        first_lines = head_text(path, kind, encoding).split("\n", 2)
        if first_lines[0].lower().startswith("finess;") or first_lines[0].startswith("structureet;"):
            return FORMATS_BY_CODE["finess"]
        from procure.directory.files import sniff_delimiter

        header = [h.strip().strip('"') for h in first_lines[0].rstrip("\r").split(sniff_delimiter("\n".join(first_lines[:2])))]
    folded = {_fold(h) for h in header}
    if {"mesure", "siret", "denomination_sociale"} <= folded:
        return FORMATS_BY_CODE["asp-siae"]
    if "categetab" in folded:
        return FORMATS_BY_CODE["finess"]
    if folded & {"est_siae", "type_siae", "est_ess", "siret_siege"} or {"siret", "est_siege"} <= folded:
        return FORMATS_BY_CODE["annuaire"]
    if "reseaux_porteurs" in folded or {"nom", "date_maj", "id"} <= folded:
        return FORMATS_BY_CODE["data-inclusion"]
    if "raison sociale" in folded and folded & {"type", "type de structure", "secteurs d'activite"}:
        return FORMATS_BY_CODE["lemarche"]
    raise ProcureError("Format du fichier non reconnu d'après son en-tête (colonnes : "
                       f"{', '.join(_shown(h, 20) for h in header[:8]) or 'aucune'}). Indiquez le format "
                       "(annuaire, finess, lemarche, data-inclusion, asp-siae) ou une correspondance de colonnes (--map).")
