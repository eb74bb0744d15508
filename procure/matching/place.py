"""Where a lot is executed, as matching needs it: a point to measure distances from, and an area.

The place comes from the lot, else the tender, else the buyer's address. A department or a region is measured
from the centre of its communes, and every structure inside it counts as local. "National" means that distance
plays no part. When nothing is known, matching asks for the place instead of ranking on unknown distances.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

COMMUNE, DEPARTMENT, REGION, NATIONAL = "commune", "department", "region", "national"
SCOPE_LABELS_FR = {COMMUNE: "commune", DEPARTMENT: "département", REGION: "région", NATIONAL: "national"}
ASK_PLACE_FR = ("lieu d'exécution inconnu : précisez une commune, un département ou « national » pour classer "
                "les structures par proximité")


@dataclass
class ResolvedPlace:
    scope: str  # commune, department, region, national
    label: str
    latitude: float | None = None
    longitude: float | None = None
    commune_insee: str | None = None
    department: str | None = None
    region: str | None = None


@functools.lru_cache(maxsize=256)
def area_centre(department: str | None = None, region: str | None = None) -> tuple[float, float] | None:
    """Mean position of the communes of a department or region."""
    from procure.reference.geo import communes_index, region_of_department

    points = [(c.latitude, c.longitude) for c in communes_index()["insee"].values() if c.latitude is not None
              and ((department and c.department == department)
                   or (region and not department and region_of_department(c.department) == region))]
    if not points:
        return None
    return float(np.mean([p[0] for p in points])), float(np.mean([p[1] for p in points]))


def normalize_department(code: str | None) -> str | None:
    """'073' → '73', '59L' → '59' (the ASP list splits the Nord), '2a' → '2A', '971' stays."""
    from procure.reference.geo import region_of_department

    text = str(code or "").strip().upper()
    if not text:
        return None
    if len(text) == 3 and text.startswith("0"):
        text = text[1:]
    if len(text) == 3 and text[:2].isdigit() and not text[2].isdigit():
        text = text[:2]
    if len(text) == 1 and text.isdigit():
        text = "0" + text
    return text if region_of_department(text) else None


def from_commune(commune) -> ResolvedPlace:
    from procure.reference.geo import region_of_department

    return ResolvedPlace(COMMUNE, commune.name, commune.latitude, commune.longitude, commune.insee, commune.department,
                         region_of_department(commune.department))


def from_department(department: str, label: str | None = None) -> ResolvedPlace | None:
    from procure.reference.geo import region_of_department

    code = normalize_department(department)
    if code is None:
        return None
    centre = area_centre(code) or (None, None)
    return ResolvedPlace(DEPARTMENT, label or f"département {code}", centre[0], centre[1], None, code,
                         region_of_department(code))


def from_region(region: str, label: str | None = None) -> ResolvedPlace | None:
    centre = area_centre(None, region)
    if centre is None:
        return None
    return ResolvedPlace(REGION, label or f"région {region}", centre[0], centre[1], None, None, region)


def national(label: str = "France entière") -> ResolvedPlace:
    return ResolvedPlace(NATIONAL, label)


def resolve(value) -> ResolvedPlace | None:
    """A procure.model.Place, a Commune or a free text, as a place matching can use (None: unknown)."""
    from procure.model import Commune, Place, PlaceScope
    from procure.reference.geo import resolve_commune

    if value is None:
        return None
    if isinstance(value, Commune):
        return from_commune(value) if value.latitude is not None else None
    if isinstance(value, Place):
        if value.scope == PlaceScope.NATIONAL:
            return national(value.label)
        if value.communes and value.scope in (PlaceScope.COMMUNE, PlaceScope.SEVERAL):
            return resolve(value.communes[0])
        if value.departments:
            return from_department(value.departments[0], value.label)
        if value.region:
            return from_region(value.region, value.label)
        return resolve(value.communes[0]) if value.communes else None
    if isinstance(value, str) and value.strip():
        commune = resolve_commune(value)
        return from_commune(commune) if commune and commune.latitude is not None else None
    return None


def from_decp(code: str, kind: str, buyer: str | None = None) -> ResolvedPlace | None:
    """The place of a DECP contract (lieu_code, lieu_typeCode), read as leniently as real exports require:
    "postal codes" that are INSEE codes, 2-digit department codes typed as postal codes, postal codes typed
    as departments."""
    from procure.reference.geo import commune_by_insee, communes_by_postcode

    code, kind = str(code or "").strip().upper(), str(kind or "").lower()
    if "pays" in kind:
        return national()
    if "gion" in kind:
        return from_region(code.zfill(2))
    if "arrondissement" in kind and len(code) >= 3:
        return from_department(code[:3] if code.startswith("97") else code[:2])
    if len(code) in (1, 2, 3) and ("partement" in kind or "postal" in kind or "commune" in kind):
        return from_department(code)
    if len(code) == 5 and code[:2].isalnum():
        located = [c for c in communes_by_postcode(code) if c.latitude is not None]
        insee = commune_by_insee(code)
        if "commune" in kind and insee is not None:
            located = [insee]
        elif not located:  # not a postal code: a CEDEX code (the buyer's commune) or an INSEE code
            department = from_department(code[:3] if code.startswith("97") else code[:2])
            cedex = buyer_commune(buyer, department) if department else None
            located = [cedex] if cedex else [insee] if insee else []
        if located and located[0].latitude is not None:
            return from_commune(located[0])
        return from_department(code[:3] if code.startswith("97") else code[:2])
    return None


BUYER_COMMUNE = re.compile(r"^\s*(?:ville|mairie|commune|cca?s)\s+(?:de\s+la\s+|de\s+l'|de\s+|d'|du\s+)?(.+)$", re.I)


def buyer_commune(buyer: str | None, within: ResolvedPlace | None = None):
    """The commune a buyer's name points to ("Ville d'Aix les Bains", "Mairie de Carvin"), if it is consistent
    with the known area of the lot; without an area only names that say "ville / mairie / commune de" count."""
    from procure.reference.geo import resolve_commune

    if not buyer:
        return None
    if within is not None and within.department:
        commune = resolve_commune(f"{buyer} ({within.department})")
        if commune is None:
            named = BUYER_COMMUNE.match(buyer)
            commune = resolve_commune(f"{named.group(1)} ({within.department})") if named else None
        return commune if commune and commune.department == within.department and commune.latitude is not None else None
    named = BUYER_COMMUNE.match(buyer)
    commune = resolve_commune(named.group(1)) if named else None
    return commune if commune and commune.latitude is not None else None


# A buyer whose remit is the whole country: a ministry, a national agency or office. State services of a region or a
# department (prefecture, DREAL, ESID, rectorat…) buy for their territory and are left out.
NATIONAL_BUYER = re.compile(r"\bminist[eè]re|\bministre\b|\bminarm\b|\bmindef\b|interminist[eé]riel|"
                            r"\b(?:agence|office|caisse|centre)\s+national|premier\s+ministre", re.I)
LOCAL_STATE_SERVICE = re.compile(r"r[eé]gional|d[eé]partemental|\bpr[eé]fect|\besid\b|\bgsbdd\b|rectorat|acad[eé]mie|"
                                 r"\bzone\s+de\s+d[eé]fense|\bbase\s+de\s+d[eé]fense|\bdreal\b|\bdreets\b|\bddt|\bdirm\b", re.I)
NATIONAL_BUYER_LABEL = "France entière (acheteur national, aucun lieu d'exécution dans le dossier)"


def national_buyer(buyer: str | None) -> bool:
    """A ministry or a national agency ("Ministère de la Justice", "MINARM/DGA"), not one of its local services."""
    return bool(buyer) and bool(NATIONAL_BUYER.search(buyer)) and not LOCAL_STATE_SERVICE.search(buyer)


def refine_with_buyer(place: ResolvedPlace | None, buyer: str | None) -> ResolvedPlace | None:
    """A department or region is large: measure distances from the buyer's commune when it lies inside it.
    With no place at all, the buyer's own commune stands for it (a buyer usually buys for its territory)."""
    if place is not None and place.scope == NATIONAL:
        return place
    if place is not None and place.scope == COMMUNE:
        return place
    commune = buyer_commune(buyer, place)
    if commune is None:
        return place
    if place is None:
        found = from_commune(commune)
        found.label = f"{commune.name} (commune de l'acheteur)"
        return found
    return ResolvedPlace(place.scope, f"{commune.name}, {place.label}", commune.latitude, commune.longitude,
                         commune.insee, place.department, place.region)


def from_user(text: str, typed: bool = False) -> ResolvedPlace | None:
    """A place typed by the user when the tender gave none: "national", a department ("94", "2A"), a postal or
    INSEE code, or a commune name. None when it cannot be recognised. Five digits are an INSEE code for a stored
    code (`typed=False`), and a postal code first for what a user types: 2,950 postal codes are the INSEE code of
    another commune ("13001" is Marseille 1er by post, Aix-en-Provence by INSEE). A typed commune is labelled with
    its department, so that a homonym shows ("Saint-Denis (11)")."""
    from procure.reference.geo import commune_by_insee, communes_by_postcode, resolve_commune

    value = str(text or "").strip()
    if not value:
        return None
    if value.lower() in ("national", "nationale", "france", "france entière"):
        return national()
    if len(value) <= 3:
        return from_department(value)
    if re.fullmatch(r"\d{5}|2[AB]\d{3}", value.upper()):
        by_post = next((c for c in communes_by_postcode(value) if c.latitude is not None), None)
        by_insee = commune_by_insee(value.upper())
        commune = (by_post or by_insee) if typed else (by_insee or by_post)
    else:
        commune = resolve_commune(value)
    if commune is None or commune.latitude is None:
        return None
    found = from_commune(commune)
    if typed:
        found.label = f"{commune.name} ({commune.department})"
    return found
