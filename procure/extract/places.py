"""A place of execution as written ("Paris (75)", "84350 Courthezon", "dpt 27", "France métropolitaine",
"Code NUTS : FRK24") turned into a territory: communes, departments, a region or the whole country."""
from __future__ import annotations

import functools
import re

from procure.model import Commune, Place, PlaceScope
from procure.reference.geo import communes_by_postcode, communes_named, department_names, departments_of_nuts, name_key
from procure.text.normalize import fold

NATIONAL_RE = re.compile(
    r"france\s+(?:metropolitaine|entiere|continentale)|territoire\s+(?:national|francais|metropolitain)|ensemble\s+du\s+territoire|"
    r"toute\s+la\s+france|echelle\s+nationale|niveau\s+national|\bnational\b"
)
# The thirteen metropolitan regions (2016), folded, with the NUTS 2 codes that hold their departments.
REGIONS = {
    r"ile[\s-]de[\s-]france": ["FR10"], r"centre[\s-]val[\s-]de[\s-]loire": ["FRB0"],
    r"bourgogne[\s-]franche[\s-]comte": ["FRC1", "FRC2"], r"normandie": ["FRD1", "FRD2"], r"hauts[\s-]de[\s-]france": ["FRE1", "FRE2"],
    r"grand[\s-]est": ["FRF1", "FRF2", "FRF3"], r"pays[\s-]de[\s-]la[\s-]loire": ["FRG0"], r"bretagne": ["FRH0"],
    r"nouvelle[\s-]aquitaine": ["FRI1", "FRI2", "FRI3"], r"occitanie": ["FRJ1", "FRJ2"],
    r"auvergne[\s-]rhone[\s-]alpes": ["FRK1", "FRK2"], r"provence[\s-]alpes[\s-]cote[\s-]d'azur|\bpaca\b": ["FRL0"],
    r"\bcorse\b": ["FRM0"],
}
REGION_RES = [(re.compile(r"(?:^|\bregion\s+|^\W*)(?:" + pattern + r")\W*$"), codes) for pattern, codes in REGIONS.items()]
POSTCODE_RE = re.compile(r"(?<!\d)((?:0[1-9]|[1-8]\d|9[0-5])\d{3}|97[1-6]\d{2})(?!\d)")
DEPT_IN_PARENS_RE = re.compile(r"([A-Za-zÀ-ÿ'’ -]{2,40}?)\s*\(\s*(\d{2}|2[AB]|97\d)\s*\)")
DEPT_NUMBER_RE = re.compile(r"\b(?:dpt|dept|departement|département)\.?\s*(?:n°\s*)?(\d{2}|2[AB]|97\d)\b", re.I)
NUTS_RE = re.compile(r"\b(FR[A-Z0-9]{1,3})\b")
STOP_WORDS = {"ville", "commune", "mairie", "territoire", "site", "sites", "de", "du", "des", "la", "le", "les", "l", "d", "et",
              "sur", "en", "ou", "a", "au", "aux", "cedex", "bp", "cs", "rue", "avenue", "place", "boulevard", "chemin"}


def place_from_text(text: str, department_hint: str | None = None) -> Place | None:
    """The territory a place-of-execution text names; None when it names none."""
    folded = fold(text)
    if not folded.strip(" .:-"):
        return None
    communes = _communes(text, department_hint)
    if len(communes) > 1:
        return Place(PlaceScope.SEVERAL, text, communes, sorted({c.department for c in communes}))
    if communes:
        return Place(PlaceScope.COMMUNE, text, communes, [communes[0].department])
    departments = _departments(text)
    if len(departments) == 1:
        return Place(PlaceScope.DEPARTMENT, text, [], departments)
    if departments:
        return Place(PlaceScope.SEVERAL, text, [], departments)
    region = _region(folded)
    if region:
        return Place(PlaceScope.REGION, text, [], region)
    if NATIONAL_RE.search(folded):
        return Place(PlaceScope.NATIONAL, text)
    return None


@functools.cache
def _department_keys() -> list[tuple[str, str]]:
    """(code, escaped folded name) of every department, longest names first: "Tarn-et-Garonne" before "Tarn"."""
    return [(code, re.escape(name_key(name))) for code, name in sorted(department_names().items(), key=lambda item: -len(item[1]))]


@functools.cache
def _department_patterns() -> list[tuple[str, re.Pattern]]:
    """"département du Gard", "conseil départemental de la Lozère": one compiled pattern per department, longest
    names first, built once per process (a place text is read hundreds of times in a run of notices)."""
    patterns = []
    for code, key in _department_keys():
        patterns.append((code, re.compile(rf"\b(?:departement|dept|conseil departemental)\s+{ARTICLE}{key}\b")))
    return patterns


def _region(folded: str) -> list[str]:
    """"Ile-de-France", "Région Occitanie": a place text that is a region's name alone gives its departments."""
    for pattern, codes in REGION_RES:
        if pattern.search(folded.strip(" .;:")):
            return sorted({d for code in codes for d in departments_of_nuts(code)})
    return []


def nuts_departments_of(code: str) -> list[str]:
    """Departments of a NUTS code, a first-level one too ("FRJ": Occitanie, the union of FRJ1 and FRJ2)."""
    departments = departments_of_nuts(code)
    if departments or len(code) != 3 or not code.upper().startswith("FR"):
        return departments
    return sorted({d for digit in "0123" for d in departments_of_nuts(code + digit)})


def place_from_nuts(code: str, label: str | None = None) -> Place | None:
    departments = nuts_departments_of(code)
    if not departments:
        return None
    scope = PlaceScope.DEPARTMENT if len(departments) == 1 else PlaceScope.REGION
    return Place(scope, label or f"Code NUTS {code.upper()}", [], departments)


def nuts_codes(text: str) -> list[str]:
    return [code for code in NUTS_RE.findall(text.upper().replace("-FR", " FR")) if nuts_departments_of(code)]


def _communes(text: str, department_hint: str | None) -> list[Commune]:
    found: list[Commune] = []
    for match in DEPT_IN_PARENS_RE.finditer(text):  # "Biscarrosse (40), Toulon (83)"
        commune = _by_name(match.group(1), match.group(2))
        if commune and commune not in found:
            found.append(commune)
    for match in POSTCODE_RE.finditer(text):  # "84350 Courthezon", "(93350)", "73026 Chambéry Cedex"
        commune = _by_postcode(match.group(1), text) or _cedex(match, text)
        if commune and commune not in found:
            found.append(commune)
    if found:
        return found
    commune = _by_name(_head_name(text), department_hint)
    return [commune] if commune else []


def _by_postcode(postcode: str, text: str) -> Commune | None:
    candidates = communes_by_postcode(postcode.upper())
    if len(candidates) == 1:
        return candidates[0]
    key = f" {name_key(text)} "
    named = [c for c in candidates if f" {name_key(c.name)} " in key]
    return max(named, key=lambda c: len(c.name)) if named else None


def _cedex(match: re.Match, text: str) -> Commune | None:
    """A CEDEX code is no postal code of a commune: the name written after it, in the code's department."""
    after = text[match.end() : match.end() + 60]
    if not re.search(r"\bcedex\b", fold(after)):
        return None
    code, name = match.group(1), re.split(r"(?i)\bcedex\b", after)[0]
    if code.startswith("20"):  # Corsica's postal codes start with 20, its departments are 2A and 2B
        return _by_name(name, "2A") or _by_name(name, "2B")
    return _by_name(name, code[:3] if code.startswith("97") else code[:2])


def _by_name(raw: str, department: str | None) -> Commune | None:
    words = [w for w in name_key(raw).split()]
    # Try the longest run of words first: "commune de Courthezon" → "courthezon", "Saint Médard en Jalles".
    for size in range(min(len(words), 6), 0, -1):
        begins = range(0, len(words) - size + 1)
        # One word alone: the last ones first, where names stand ("Grand Chambéry", "site de Toulon").
        for begin in (reversed(begins) if size == 1 else begins):
            chunk = words[begin : begin + size]
            if chunk[0] in STOP_WORDS or chunk[-1] in STOP_WORDS or (size == 1 and len(chunk[0]) < 3):
                continue
            if size == 1 and department is None and len(words) > 3:
                continue  # one common word of a long text ("le territoire de la Vallée Sud…", "École …") is no commune
            candidates = communes_named(" ".join(chunk))
            if department:
                candidates = [c for c in candidates if c.department == department]
            if len(candidates) == 1 or (candidates and size > 1):
                return candidates[0]
            if candidates and department is None:
                return max(candidates, key=lambda c: (c.latitude is not None, c.insee.startswith(("75", "69", "13"))))
    return None


def _head_name(text: str) -> str:
    """The part of a place text where a commune's name stands: before an address or a list separator."""
    head = re.split(r"[,;:]|\s[-–]\s|\bou\b|\d", text)[0]
    return head if head.strip() else text


ARTICLE = r"(?:de\s+la\s+|de\s+l\s+|du\s+|des\s+|de\s+|d\s+)?"


def departments_named(text: str) -> list[str]:
    """Departments a text names in words: "département de Tarn-et-Garonne", "départements de la Lozère et du
    Gard" (a figure in brackets is left out: in a title, "(02)" is more often a trade's number)."""
    folded = f" {name_key(text)} "
    names = _department_keys()
    found, ends = [], []
    for code, key in names:
        match = re.search(rf"\bdepartements?\s+{ARTICLE}{key}\b", folded)
        if match:
            found.append((match.start(), code))
            ends.append(match.end())
            folded = folded[: match.start()] + " " * (match.end() - match.start()) + folded[match.end() :]
    while ends:  # "… de la Lozère et du Gard": names joined to one already found
        end, ends = ends.pop(), ends
        for code, key in names:
            joined = re.compile(rf"\s*(?:,|\bet)\s+{ARTICLE}{key}\b").match(folded, end)
            if joined and code not in [c for _, c in found]:
                found.append((joined.start(), code))
                ends.append(joined.end())
                break
    return [code for _, code in sorted(found)]


def _departments(text: str) -> list[str]:
    found = [m.group(1).upper() for m in DEPT_NUMBER_RE.finditer(text)]
    found += [m.group(1).upper() for m in re.finditer(r"\(\s*(\d{2}|2[AB]|97\d)\s*\)", text)]
    folded = f" {name_key(text)} "
    # Longest names first, each match blanked out: "Tarn-et-Garonne" is not also "Tarn".
    for code, pattern in _department_patterns():
        if pattern.search(folded):
            found.append(code)
            folded = pattern.sub(" ", folded)
    return list(dict.fromkeys(code.zfill(2) if code.isdigit() and len(code) == 1 else code for code in found))
