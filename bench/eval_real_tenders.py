"""Evaluate extraction on the real tenders of ../shared/data/dce-real against their `expected.yaml`.

Each folder of dce-real holds the pieces of one real consultation and what a careful buyer reads in them
(schema in dce-real/README.md). This script analyses the pieces listed in `files` with
`procure.extract.analyze`, compares the result with `expected.yaml` and reports field accuracy and
social-provision precision / recall. `tests/extract/test_real_tenders.py` runs it as a ratchet: the figures must not
fall below those recorded in `bench/real_tenders_ratchet.json`.

Usage:
    PROCURE_SHARED_DATA=../shared/data python bench/eval_real_tenders.py [--json PATH] [--markdown]
                                                                         [--tender NAME ...]

SCORING RULES
=============
Text comparisons are on folded text: lower case, accents removed, typographic apostrophes made straight,
runs of white space reduced to one space.

Tender fields (each scored 0/1 for every tender):
  buyer      expected null: correct when nothing is extracted. Otherwise correct when the folded extracted
             buyer contains, or is contained in, the folded canonical name or any folded alias.
  object     correct when every `object_keywords` entry is in the folded extracted object; not scored when
             the list is empty.
  reference  expected null: correct when nothing is extracted. Otherwise folded equality once all white space
             is removed.
  procedure  codes compared after mapping the extractor's DC -> DIALOGUE and MAPA-SSS -> MAPA (the value may
             be a dict with "code", a str, or an object with `.code`). Expected null: correct when nothing is
             extracted.
  place      expected null: correct when nothing is extracted. Otherwise, on the extracted place (a Commune
             or any object with insee / department / scope, a dict, a list of those, or a free str in which
             postcodes, "(NN)" department codes and the expected communes' names are looked for):
               national    the extracted place says national (scope "national", or "France entière",
                           "territoire national", "national" in a str);
               department  (and region) an extracted department equals the expected department;
               commune     an extracted INSEE code is in the expected list (Paris, Marseille and Lyon
                           arrondissements count as their city); for a str, the name of one expected commune
                           is in it as whole words, or the str (4+ letters, postcodes aside) is whole words of
                           that name ("Briey" for Val de Briey); when the expected list is empty, an
                           extracted department equals the expected department;
               several     any overlap of INSEE codes or departments with the expected ones; when neither is
                           given, correct when the extracted place is itself several places (scope "several"
                           or "national", or two or more communes / departments).
  lot_count  correct when the number of extracted lots equals the number of expected lots.

Lot fields (each expected lot is matched to the extracted lot with the same number; when there is none,
every field of that lot scores 0):
  lot.title     every `title_keywords` entry is in the folded extracted title; not scored when empty.
  lot.cpv       the expected 8-digit codes are a subset of the extracted declared codes; expected [] is
                correct only when no code is declared (a predicted CPV is not a declared one).
  lot.division  the division of the lot's first declared code (the one the app uses for matching and
                suggestions), or the predicted division when no code is declared, equals `cpv_division`.
  lot.amount    expected null: correct when no amount is extracted; otherwise the extracted amount is within
                0.5 % of `amount_ht` (the tax and `amount_kind` are not compared).
  lot.duration  expected null: correct when no duration is extracted; otherwise equality in months.

Field accuracy = correct / scored, over all fields of all tenders; also per field name. A tender whose
analysis raises an exception scores 0 on every field it would have been scored on (reported as an error);
files the extractor reports as unreadable (fatal file problems) are listed as UNREADABLE and scored as read.

Provisions (social provisions, compared as sets of (kind, lot) where lot None = the whole tender; duplicates
collapse). "All lots" means the lot numbers of expected.yaml. Lot None covers every lot.
  - an expected (kind, lot) is FOUND when extracted items of the same kind cover its lots: expected
    (k, None) is found by an extracted (k, None) or by extracted (k, n) for every lot n; expected (k, n) is
    found by extracted (k, n) or (k, None).                       TP = expected found; FN = expected not found.
  - an extracted (kind, lot) is CORRECT by the same rule the other way round: extracted (k, n) is correct when
    expected has (k, n) or (k, None); extracted (k, None) is correct when expected has (k, None) or (k, n) for
    every lot.                                                    FP = extracted not correct.
  - precision = correct extracted / extracted, recall = TP / expected, F1 their harmonic mean; counted per
    kind and overall. Overall F1 = 1.0 when nothing is expected and nothing is extracted; a kind with neither
    has no P/R/F1.
  - absent_reported = extracted items whose kind is listed in the tender's `absent` (also counted as FP).
  - a tender whose analysis failed has every expected provision as FN.
Hours exactness: over expected provisions with `hours` not null, the fraction that are FOUND and for which
one of the extracted provisions that found them (same kind, same lot or tender-wide, or any lot when the
expected one is tender-wide) has the same hours (and the same `hours_per` when the extracted object has that
attribute); None when no expected provision states hours. Likewise weight exactness with `weight_percent`
(reported, not ratcheted). hours_invented = found expected provisions with hours null whose finders all state
hours (ratcheted as a ceiling). A provision listed under a lot without a lot number of its own belongs to that
lot.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import traceback
import unicodedata
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
TENDER_FIELDS = ["buyer", "object", "reference", "procedure", "place", "lot_count"]
LOT_FIELDS = ["lot.title", "lot.cpv", "lot.division", "lot.amount", "lot.duration"]
FIELDS = TENDER_FIELDS + LOT_FIELDS
PROCEDURE_ALIASES = {"DC": "DIALOGUE", "MAPA-SSS": "MAPA"}
AMOUNT_TOLERANCE = Decimal("0.005")
FIELD_LABELS_FR = {
    "buyer": "Acheteur", "object": "Objet", "reference": "Référence", "procedure": "Procédure",
    "place": "Lieu d'exécution", "lot_count": "Nombre de lots", "lot.title": "Intitulé du lot",
    "lot.cpv": "Codes CPV déclarés", "lot.division": "Division CPV", "lot.amount": "Montant HT",
    "lot.duration": "Durée (mois)",
}
KIND_LABELS_FR = {
    "insertion_clause": "Clause d'insertion", "reserved_siae": "Marché réservé SIAE",
    "reserved_disability": "Marché réservé EA/ESAT", "reserved_ess": "Marché réservé ESS",
    "social_criterion": "Critère social", "ethical_purchasing": "Achat éthique", "fair_trade": "Commerce équitable",
    "social_services_procedure": "Procédure SSS",
}


# ---------------------------------------------------------------- data

def shared_data_dir() -> Path:
    return Path(os.environ.get("PROCURE_SHARED_DATA") or REPO.parent / "shared" / "data").resolve()


def real_tenders_dir(shared: Path | None = None) -> Path:
    return (shared or shared_data_dir()) / "dce-real"


def tender_folders(root: Path, names: list[str] | None = None) -> list[Path]:
    folders = sorted(p for p in root.iterdir() if (p / "expected.yaml").is_file())
    if names:
        folders = [p for p in folders if p.name in names]
    return folders


def load_expected(folder: Path) -> dict:
    with open(folder / "expected.yaml", encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


# ---------------------------------------------------------------- helpers

def fold(text: Any) -> str:
    decomposed = unicodedata.normalize("NFKD", str(text).lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("\u2019", "'").replace("\u2018", "'").replace("\u02bc", "'")
    return re.sub(r"\s+", " ", stripped).strip()


def fact_value(fact: Any) -> Any:
    """The value of a Fact, or the thing itself when it is not a Fact."""
    if fact is None:
        return None
    return getattr(fact, "value", fact)


def present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def jsonable(value: Any) -> Any:
    """A readable, JSON-safe rendering of an extracted value (for debugging output)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if hasattr(value, "value") and hasattr(value, "__dataclass_fields__") and "evidence" in value.__dataclass_fields__:
        return jsonable(value.value)  # a Fact
    if hasattr(value, "__dataclass_fields__"):
        return {name: jsonable(getattr(value, name, None)) for name in value.__dataclass_fields__
                if name not in ("evidence", "latitude", "longitude")}
    if hasattr(value, "value"):  # Enum
        return jsonable(value.value)
    return str(value)


def department_of_insee(insee: str) -> str | None:
    insee = str(insee).strip().upper()
    if len(insee) != 5:
        return None
    if insee.startswith(("97", "98")):
        return insee[:3]
    return insee[:2]


def department_of_postcode(postcode: str) -> str:
    if postcode.startswith(("97", "98")):
        return postcode[:3]
    if postcode.startswith("20"):
        return "2A" if postcode < "20200" else "2B"
    return postcode[:2]


def city_of_arrondissement(insee: str) -> str:
    """Paris, Marseille and Lyon arrondissements stand for their city (75105 -> 75056)."""
    if re.fullmatch(r"751(0[1-9]|1\d|20)", insee):
        return "75056"
    if re.fullmatch(r"132(0[1-9]|1[0-6])", insee):
        return "13055"
    if re.fullmatch(r"6938[1-9]", insee):
        return "69123"
    return insee


def normalize_department(code: Any) -> str | None:
    if code is None:
        return None
    text = str(code).strip().upper()
    if not text:
        return None
    return text.zfill(2) if text.isdigit() else text


# ---------------------------------------------------------------- place

NATIONAL_RE = re.compile(r"\b(national|france entiere|territoire national|toute la france|france metropolitaine)\b")


def place_info(value: Any) -> dict | None:
    """Duck-typed view of an extracted place: scope, INSEE codes, departments and (for a str) its folded text."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    info = {"scope": None, "insee": set(), "departments": set(), "text": ""}
    _collect_place(value, info)
    if info["scope"] is None:
        if len(info["insee"]) >= 2 or len(info["departments"]) >= 2:
            info["scope"] = "several"
        elif NATIONAL_RE.search(info["text"]):
            info["scope"] = "national"
    return info


def _collect_place(value: Any, info: dict) -> None:
    if value is None:
        return
    if isinstance(value, str):
        text = fold(value)
        info["text"] = (info["text"] + " " + text).strip()
        for postcode in re.findall(r"(?<!\d)(\d{5})(?!\d)", text):
            info["departments"].add(department_of_postcode(postcode))
        for code in re.findall(r"\((\d{2,3}|2a|2b)\)", text):
            info["departments"].add(normalize_department(code))
        if NATIONAL_RE.search(text):
            info["scope"] = info["scope"] or "national"
        return
    if isinstance(value, (list, tuple, set)):
        for item in value:
            _collect_place(item, info)
        if len(value) >= 2 and info["scope"] is None:
            info["scope"] = "several"
        return
    get = (lambda key: value.get(key)) if isinstance(value, dict) else (lambda key: getattr(value, key, None))
    scope = get("scope")
    if scope is not None and fold(getattr(scope, "value", scope)) not in ("", "unknown"):
        info["scope"] = fold(getattr(scope, "value", scope))
    insee = get("insee")
    for code in ([insee] if isinstance(insee, str) else list(insee or [])):
        if code:
            info["insee"].add(city_of_arrondissement(str(code).strip().upper()))
            department = department_of_insee(code)
            if department and not get("department"):
                info["departments"].add(department)
    department = get("department")
    for code in ([department] if isinstance(department, str) else list(department or [])):
        if normalize_department(code):
            info["departments"].add(normalize_department(code))
    for key in ("departments",):
        for code in get(key) or []:
            if normalize_department(code):
                info["departments"].add(normalize_department(code))
    for key in ("communes", "places", "items"):
        nested = get(key)
        if nested:
            _collect_place(list(nested), info)
    name = get("name") or get("label")
    if isinstance(name, str) and not info["insee"] and not info["departments"]:
        _collect_place(name, info)


def commune_names(insee_codes: list[str]) -> list[str]:
    names = []
    commune_by_insee = None
    for module in ("procure.reference.geo", "procure.geo"):  # the package layout moves; scoring should not
        try:
            commune_by_insee = __import__(module, fromlist=["commune_by_insee"]).commune_by_insee
            break
        except (ImportError, AttributeError):
            continue
    if commune_by_insee is None:
        return names
    for code in insee_codes:
        try:
            commune = commune_by_insee(str(code))
        except Exception:  # noqa: BLE001
            commune = None
        if commune is not None and getattr(commune, "name", None):
            names.append(fold(commune.name))
    return names


def _words(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9]+", " ", fold(text)).strip() + " "


def _names_match(name: str, text: str) -> bool:
    """The commune's name is in the text, or the text (4+ letters, postcodes aside) is whole words of the name."""
    name, text = _words(name), _words(re.sub(r"\d{5}", " ", text))
    return name in text or (len(text.strip()) >= 4 and text in name)


def place_correct(expected: dict | None, value: Any) -> bool:
    info = place_info(value)
    if not expected:
        return info is None
    if info is None:
        return False
    scope = fold(expected.get("scope") or "")
    insee = {str(code).upper() for code in expected.get("insee") or []}
    department = normalize_department(expected.get("department"))
    if scope == "national":
        return info["scope"] == "national"
    if scope in ("department", "region"):
        if department:
            return department in info["departments"]
        return info["scope"] == scope
    if scope == "commune":
        if insee:
            if info["insee"] & insee:
                return True
            return bool(info["text"]) and not info["insee"] and any(
                _names_match(name, info["text"]) for name in commune_names(sorted(insee)))
        return department is not None and department in info["departments"]
    # several
    if insee or department:
        departments = {department} if department else set()
        departments |= {department_of_insee(code) for code in insee}
        return bool(info["insee"] & insee) or bool(info["departments"] & departments)
    return info["scope"] in ("several", "national")


# ---------------------------------------------------------------- field extraction (duck-typed)

def procedure_code(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("code")
    elif not isinstance(value, str):
        value = getattr(value, "code", None)
    if value is None:
        return None
    code = str(getattr(value, "value", value)).strip().upper()
    return PROCEDURE_ALIASES.get(code, code) or None


def declared_codes(lot: Any) -> list[str]:
    codes = []
    for item in getattr(lot, "cpv", None) or []:
        code = item[0] if isinstance(item, (tuple, list)) else item
        code = getattr(code, "code", code)
        if code is None:
            continue
        digits = re.sub(r"\D", "", str(code))[:8]
        if digits:
            codes.append(digits)
    return codes


def predicted_division(lot: Any) -> str | None:
    value = fact_value(getattr(lot, "predicted_cpv", None))
    if value is None:
        return None
    division = value.get("division") if isinstance(value, dict) else getattr(value, "division", None)
    return str(division).zfill(2) if division is not None else None


def lot_division(lot: Any) -> str | None:
    codes = declared_codes(lot)
    return codes[0][:2] if codes else predicted_division(lot)


def amount_value(lot: Any) -> Decimal | None:
    value = fact_value(getattr(lot, "estimated_amount", None))
    if value is None:
        return None
    raw = getattr(value, "value", value)
    try:
        return Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None


def duration_value(lot: Any) -> int | None:
    value = fact_value(getattr(lot, "duration_months", None))
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def kind_name(kind: Any) -> str:
    return str(getattr(kind, "value", kind))


def extracted_provisions(tender: Any) -> list[dict]:
    """Every provision of the tender as a dict (kind, lot, hours, hours_per?, weight_percent)."""
    found = []
    sources = [(None, p) for p in getattr(tender, "provisions", None) or []]
    for lot in getattr(tender, "lots", None) or []:
        sources += [(getattr(lot, "number", None), p) for p in getattr(lot, "provisions", None) or []]
    for lot_number, provision in sources:
        lot = getattr(provision, "lot", None)
        item = {"kind": kind_name(getattr(provision, "kind", None)), "lot": lot if lot is not None else lot_number,
                "hours": getattr(provision, "hours", None), "weight_percent": getattr(provision, "weight_percent", None)}
        if hasattr(provision, "hours_per"):
            item["hours_per"] = jsonable(provision.hours_per)
        found.append(item)
    return found


# ---------------------------------------------------------------- scoring

def _field(results: list, name: str, correct: bool, expected: Any, extracted: Any, lot: int | None = None) -> None:
    results.append({"field": name, "lot": lot, "correct": bool(correct), "expected": jsonable(expected),
                    "extracted": jsonable(extracted)})


def score_fields(expected: dict, tender: Any | None) -> list[dict]:
    """0/1 scores of the tender and lot fields; `tender` None (analysis failed) scores 0 everywhere."""
    results: list[dict] = []
    failed = tender is None

    # buyer
    buyer = fact_value(getattr(tender, "buyer", None))
    buyer = buyer if present(buyer) else None
    names = [fold(n) for n in [expected.get("buyer"), *(expected.get("buyer_aliases") or [])] if n]
    if expected.get("buyer") is None:
        ok = buyer is None
    else:
        folded = fold(buyer) if buyer is not None else ""
        ok = bool(folded) and any(folded in name or name in folded for name in names)
    _field(results, "buyer", ok and not failed, expected.get("buyer"), buyer)

    # object
    keywords = [fold(k) for k in expected.get("object_keywords") or []]
    if keywords:
        obj = fact_value(getattr(tender, "object", None))
        folded = fold(obj) if present(obj) else ""
        _field(results, "object", bool(folded) and all(k in folded for k in keywords) and not failed,
               expected.get("object_keywords"), obj)

    # reference
    reference = fact_value(getattr(tender, "reference", None))
    reference = reference if present(reference) else None
    if expected.get("reference") is None:
        ok = reference is None
    else:
        ok = reference is not None and fold(reference).replace(" ", "") == fold(expected["reference"]).replace(" ", "")
    _field(results, "reference", ok and not failed, expected.get("reference"), reference)

    # procedure
    code = procedure_code(fact_value(getattr(tender, "procedure", None)))
    wanted = procedure_code(expected.get("procedure"))
    _field(results, "procedure", (code == wanted) and not failed, wanted, code)

    # place
    place = fact_value(getattr(tender, "place", None))
    _field(results, "place", place_correct(expected.get("place"), place) and not failed, expected.get("place"), place)

    # lots
    expected_lots = expected.get("lots") or []
    lots = list(getattr(tender, "lots", None) or [])
    _field(results, "lot_count", len(lots) == len(expected_lots) and not failed, len(expected_lots), len(lots))
    by_number = {}
    for lot in lots:
        by_number.setdefault(getattr(lot, "number", None), lot)
    for wanted_lot in expected_lots:
        number = wanted_lot.get("number")
        lot = by_number.get(number)
        missing = lot is None or failed

        title_keywords = [fold(k) for k in wanted_lot.get("title_keywords") or []]
        if title_keywords:
            title = fact_value(getattr(lot, "title", None)) if lot is not None else None
            folded = fold(title) if present(title) else ""
            _field(results, "lot.title", not missing and bool(folded) and all(k in folded for k in title_keywords),
                   wanted_lot.get("title_keywords"), title, number)

        codes = declared_codes(lot) if lot is not None else []
        wanted_codes = {re.sub(r"\D", "", str(c))[:8] for c in wanted_lot.get("cpv") or []}
        ok = set(wanted_codes) <= set(codes) if wanted_codes else not codes
        _field(results, "lot.cpv", not missing and ok, sorted(wanted_codes), codes, number)

        if wanted_lot.get("cpv_division") is not None:
            division = lot_division(lot) if lot is not None else None
            wanted_division = str(wanted_lot["cpv_division"]).zfill(2)
            _field(results, "lot.division", not missing and division == wanted_division, wanted_division, division,
                   number)

        amount = amount_value(lot) if lot is not None else None
        wanted_amount = wanted_lot.get("amount_ht")
        if wanted_amount is None:
            ok = amount is None
        else:
            wanted_amount = Decimal(str(wanted_amount))
            ok = amount is not None and abs(amount - wanted_amount) <= AMOUNT_TOLERANCE * abs(wanted_amount)
        _field(results, "lot.amount", not missing and ok,
               {"amount_ht": jsonable(wanted_amount), "amount_kind": wanted_lot.get("amount_kind")},
               fact_value(getattr(lot, "estimated_amount", None)) if lot is not None else None, number)

        duration = duration_value(lot) if lot is not None else None
        wanted_duration = wanted_lot.get("duration_months")
        ok = duration is None if wanted_duration is None else duration == int(wanted_duration)
        _field(results, "lot.duration", not missing and ok, wanted_duration, duration, number)
    return results


def _covers(items: set[tuple[str, int | None]], kind: str, lot: int | None, all_lots: set) -> bool:
    """Do `items` of `kind` cover `lot` (None: every lot of `all_lots`)?"""
    lots = {lot for k, lot in items if k == kind}
    if None in lots:
        return True
    if lot is None:
        return bool(all_lots) and all_lots <= lots
    return lot in lots


def score_provisions(expected: dict, tender: Any | None) -> dict:
    wanted_items = [p for p in expected.get("provisions") or []]
    wanted = {(str(p["kind"]), p.get("lot")) for p in wanted_items}
    extracted_list = extracted_provisions(tender) if tender is not None else []
    extracted = {(p["kind"], p["lot"]) for p in extracted_list}
    all_lots = {lot.get("number") for lot in expected.get("lots") or []}
    absent = {str(k) for k in expected.get("absent") or []}
    kinds: dict[str, dict] = {}

    def counter(kind: str) -> dict:
        return kinds.setdefault(kind, {"tp": 0, "fn": 0, "fp": 0, "extracted": 0, "expected": 0})

    found, missed, wrong = [], [], []
    for kind, lot in sorted(wanted, key=str):
        c = counter(kind)
        c["expected"] += 1
        if _covers(extracted, kind, lot, all_lots):
            c["tp"] += 1
            found.append((kind, lot))
        else:
            c["fn"] += 1
            missed.append((kind, lot))
    for kind, lot in sorted(extracted, key=str):
        c = counter(kind)
        c["extracted"] += 1
        if not _covers(wanted, kind, lot, all_lots):
            c["fp"] += 1
            wrong.append((kind, lot))
    absent_reported = sorted(((k, lot) for k, lot in extracted if k in absent), key=str)

    # hours / weight exactness on the expected provisions that state them
    hours = {"scored": 0, "exact": 0, "details": []}
    weight = {"scored": 0, "exact": 0, "details": []}
    invented = 0
    for item in wanted_items:
        kind, lot = str(item["kind"]), item.get("lot")
        finders = [p for p in extracted_list if p["kind"] == kind and (lot is None or p["lot"] in (lot, None))]
        is_found = (kind, lot) in found
        if item.get("hours") is not None:
            exact = is_found and any(
                p["hours"] is not None and int(p["hours"]) == int(item["hours"])
                and ("hours_per" not in p or p["hours_per"] == item.get("hours_per")) for p in finders)
            hours["scored"] += 1
            hours["exact"] += int(exact)
            hours["details"].append({"kind": kind, "lot": lot, "expected": item["hours"],
                                     "expected_per": item.get("hours_per"), "exact": exact,
                                     "extracted": [(p["hours"], p.get("hours_per")) for p in finders]})
        elif is_found and finders and all(p["hours"] is not None for p in finders):
            invented += 1
        if item.get("weight_percent") is not None:
            exact = is_found and any(p["weight_percent"] is not None
                                     and abs(float(p["weight_percent"]) - float(item["weight_percent"])) < 1e-6
                                     for p in finders)
            weight["scored"] += 1
            weight["exact"] += int(exact)
            weight["details"].append({"kind": kind, "lot": lot, "expected": item["weight_percent"], "exact": exact,
                                      "extracted": [p["weight_percent"] for p in finders]})
    return {"kinds": kinds, "tp": len(found), "fn": len(missed), "fp": len(wrong),
            "expected_count": len(wanted), "extracted_count": len(extracted),
            "found": found, "missed": missed, "wrong": wrong, "absent_reported": absent_reported,
            "hours": hours, "weight": weight, "hours_invented": invented, "extracted": extracted_list}


def score_tender(expected: dict, tender: Any | None, error: str | None = None) -> dict:
    fields = score_fields(expected, tender)
    provisions = score_provisions(expected, tender)
    correct = sum(f["correct"] for f in fields)
    unread = [] if tender is None else [
        f"{getattr(problem, 'file', '?')}: {getattr(problem, 'message', problem)}"
        for problem in getattr(tender, "problems", None) or [] if getattr(problem, "fatal", False)]
    return {
        "tender": expected.get("tender"),
        "error": error,
        "unread": unread,
        "fields": fields,
        "correct": correct,
        "scored": len(fields),
        "accuracy": correct / len(fields) if fields else None,
        "failing": [f for f in fields if not f["correct"]],
        "lots_expected": len(expected.get("lots") or []),
        "lots_found": len(getattr(tender, "lots", None) or []) if tender is not None else 0,
        "provisions": provisions,
    }


def analyze_folder(folder: Path, expected: dict) -> tuple[Any | None, str | None]:
    from procure.extract import analyze

    try:
        files = [str(folder / name) for name in expected.get("files") or []]
        return analyze(files), None
    except Exception as error:  # noqa: BLE001 - one tender never stops the evaluation
        return None, "".join(traceback.format_exception_only(type(error), error)).strip()


def _prf(tp_expected: int, expected: int, correct_extracted: int, extracted: int) -> dict:
    precision = correct_extracted / extracted if extracted else None
    recall = tp_expected / expected if expected else None
    if precision is None and recall is None:
        f1 = None
    elif not precision or not recall:
        f1 = 0.0
    else:
        f1 = 2 * precision * recall / (precision + recall)
    return {"precision": precision, "recall": recall, "f1": f1}


def aggregate(results: list[dict]) -> dict:
    per_field = {name: {"correct": 0, "scored": 0} for name in FIELDS}
    for result in results:
        for f in result["fields"]:
            entry = per_field.setdefault(f["field"], {"correct": 0, "scored": 0})
            entry["scored"] += 1
            entry["correct"] += int(f["correct"])
    for entry in per_field.values():
        entry["accuracy"] = entry["correct"] / entry["scored"] if entry["scored"] else None
    correct = sum(r["correct"] for r in results)
    scored = sum(r["scored"] for r in results)

    kinds: dict[str, dict] = {}
    for result in results:
        for kind, c in result["provisions"]["kinds"].items():
            total = kinds.setdefault(kind, {"tp": 0, "fn": 0, "fp": 0, "extracted": 0, "expected": 0})
            for key in total:
                total[key] += c[key]
    for c in kinds.values():
        c.update(_prf(c["tp"], c["expected"], c["extracted"] - c["fp"], c["extracted"]))
    tp = sum(c["tp"] for c in kinds.values())
    fp = sum(c["fp"] for c in kinds.values())
    fn = sum(c["fn"] for c in kinds.values())
    n_expected = sum(c["expected"] for c in kinds.values())
    n_extracted = sum(c["extracted"] for c in kinds.values())
    overall = _prf(tp, n_expected, n_extracted - fp, n_extracted)
    if overall["f1"] is None:
        overall["f1"] = 1.0  # nothing expected, nothing extracted
    hours_scored = sum(r["provisions"]["hours"]["scored"] for r in results)
    hours_exact = sum(r["provisions"]["hours"]["exact"] for r in results)
    weight_scored = sum(r["provisions"]["weight"]["scored"] for r in results)
    weight_exact = sum(r["provisions"]["weight"]["exact"] for r in results)
    return {
        "tenders": len(results),
        "errors": [r["tender"] for r in results if r["error"]],
        "unread": [r["tender"] for r in results if r.get("unread")],
        "field_correct": correct,
        "field_scored": scored,
        "field_accuracy": correct / scored if scored else None,
        "per_field": per_field,
        "lot_count_exact": sum(r["lots_expected"] == r["lots_found"] for r in results),
        "provisions": {"tp": tp, "fp": fp, "fn": fn, "expected": n_expected, "extracted": n_extracted, **overall},
        "provision_f1": overall["f1"],
        "per_kind": dict(sorted(kinds.items())),
        "absent_reported": sum(len(r["provisions"]["absent_reported"]) for r in results),
        "hours_scored": hours_scored,
        "hours_exactness": hours_exact / hours_scored if hours_scored else None,
        "hours_invented": sum(r["provisions"]["hours_invented"] for r in results),
        "weight_scored": weight_scored,
        "weight_exactness": weight_exact / weight_scored if weight_scored else None,
    }


def evaluate(root: Path | None = None, names: list[str] | None = None, progress=None) -> dict:
    """Analyse and score every tender of `root` (dce-real); returns {"summary", "tenders", "elapsed_s"}."""
    root = root or real_tenders_dir()
    os.environ.setdefault("PROCURE_SHARED_DATA", str(root.parent))  # CPV nomenclature, as the app finds it
    start = time.perf_counter()
    results = []
    for folder in tender_folders(root, names):
        expected = load_expected(folder)
        expected.setdefault("tender", folder.name)
        began = time.perf_counter()
        tender, error = analyze_folder(folder, expected)
        result = score_tender(expected, tender, error)
        result["seconds"] = round(time.perf_counter() - began, 2)
        results.append(result)
        if progress:
            progress(result)
    return {"summary": aggregate(results), "tenders": results, "elapsed_s": round(time.perf_counter() - start, 1)}


# ---------------------------------------------------------------- output

def _pct(value: float | None, french: bool = False) -> str:
    if value is None:
        return "–"
    text = f"{100 * value:.1f}"
    return (text.replace(".", ",") + "\u202f%") if french else text + " %"


def tender_line(result: dict) -> str:
    p = result["provisions"]
    failing = sorted({f["field"] + (f"[{f['lot']}]" if f["lot"] is not None else "") for f in result["failing"]},
                     key=lambda s: (FIELDS.index(s.split("[")[0]) if s.split("[")[0] in FIELDS else 99, s))
    line = (f"{result['tender']:<28} {_pct(result['accuracy']):>8}  lots {result['lots_expected']}/"
            f"{result['lots_found']:<3} prov TP {p['tp']} FP {p['fp']} FN {p['fn']}")
    if p["absent_reported"]:
        line += f" (absent reported: {', '.join(k + ('' if lot is None else f'@{lot}') for k, lot in p['absent_reported'])})"
    if result["error"]:
        line += f"  ERROR {result['error'][:120]}"
    if result.get("unread"):
        line += f"  UNREADABLE {'; '.join(result['unread'])[:120]}"
    if failing:
        line += "  failing: " + " ".join(failing)
    return line


def text_summary(report: dict) -> str:
    s = report["summary"]
    p = s["provisions"]
    lines = [
        "",
        f"Tenders: {s['tenders']}   errors: {len(s['errors'])} {' '.join(s['errors'])}",
        f"Tenders with an unreadable file: {len(s['unread'])} {' '.join(s['unread'])}",
        f"Field accuracy: {s['field_correct']}/{s['field_scored']} = {_pct(s['field_accuracy'])}",
        f"Lot count exact: {s['lot_count_exact']}/{s['tenders']}",
        f"Provisions: expected {p['expected']} extracted {p['extracted']}  TP {p['tp']} FP {p['fp']} FN {p['fn']}  "
        f"P {_pct(p['precision'])} R {_pct(p['recall'])} F1 {_pct(p['f1'])}",
        f"Absent kinds reported: {s['absent_reported']}",
        f"Hours exactness: {_pct(s['hours_exactness'])} (of {s['hours_scored']})   hours invented: "
        f"{s['hours_invented']}   weight exactness: {_pct(s['weight_exactness'])} (of {s['weight_scored']})",
        "",
        f"{'field':<14} {'correct':>7} {'scored':>6} {'accuracy':>9}",
    ]
    for name, entry in s["per_field"].items():
        lines.append(f"{name:<14} {entry['correct']:>7} {entry['scored']:>6} {_pct(entry['accuracy']):>9}")
    lines += ["", f"{'kind':<26} {'exp':>3} {'ext':>3} {'TP':>3} {'FP':>3} {'FN':>3} {'P':>8} {'R':>8} {'F1':>8}"]
    for kind, c in s["per_kind"].items():
        lines.append(f"{kind:<26} {c['expected']:>3} {c['extracted']:>3} {c['tp']:>3} {c['fp']:>3} {c['fn']:>3} "
                     f"{_pct(c['precision']):>8} {_pct(c['recall']):>8} {_pct(c['f1']):>8}")
    lines.append(f"\nElapsed: {report['elapsed_s']} s")
    return "\n".join(lines)


def markdown_summary(report: dict) -> str:
    s = report["summary"]
    p = s["provisions"]
    lines = [
        f"Évaluation sur {s['tenders']} consultations réelles (`dce-real`), script `bench/eval_real_tenders.py`.",
        "",
        "| Champ | Justes | Évalués | Exactitude |",
        "|---|---:|---:|---:|",
    ]
    for name, entry in s["per_field"].items():
        lines.append(f"| {FIELD_LABELS_FR.get(name, name)} | {entry['correct']} | {entry['scored']} | "
                     f"{_pct(entry['accuracy'], True)} |")
    lines.append(f"| **Total** | **{s['field_correct']}** | **{s['field_scored']}** | "
                 f"**{_pct(s['field_accuracy'], True)}** |")
    lines += ["", "| Disposition sociale | Attendues | Extraites | VP | FP | FN | Précision | Rappel | F1 |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for kind, c in s["per_kind"].items():
        lines.append(f"| {KIND_LABELS_FR.get(kind, kind)} | {c['expected']} | {c['extracted']} | {c['tp']} | {c['fp']} | "
                     f"{c['fn']} | {_pct(c['precision'], True)} | {_pct(c['recall'], True)} | {_pct(c['f1'], True)} |")
    lines.append(f"| **Total** | **{p['expected']}** | **{p['extracted']}** | **{p['tp']}** | **{p['fp']}** | "
                 f"**{p['fn']}** | **{_pct(p['precision'], True)}** | **{_pct(p['recall'], True)}** | "
                 f"**{_pct(p['f1'], True)}** |")
    lines += ["", f"Dispositions signalées alors que le type est exclu (`absent`) : {s['absent_reported']}. "
              f"Heures d'insertion exactes : {_pct(s['hours_exactness'], True)} ({s['hours_scored']} attendues)."]
    return "\n".join(lines)


def json_report(report: dict) -> dict:
    def pairs(items):
        return [{"kind": k, "lot": lot} for k, lot in items]

    tenders = []
    for r in report["tenders"]:
        p = r["provisions"]
        tenders.append({
            "tender": r["tender"], "error": r["error"], "unread": r.get("unread"), "seconds": r.get("seconds"), "accuracy": r["accuracy"],
            "correct": r["correct"], "scored": r["scored"], "lots_expected": r["lots_expected"],
            "lots_found": r["lots_found"], "failing": r["failing"], "fields": r["fields"],
            "provisions": {"tp": p["tp"], "fp": p["fp"], "fn": p["fn"], "found": pairs(p["found"]),
                           "missed": pairs(p["missed"]), "wrong": pairs(p["wrong"]),
                           "absent_reported": pairs(p["absent_reported"]), "extracted": jsonable(p["extracted"]),
                           "hours": p["hours"], "weight": p["weight"], "hours_invented": p["hours_invented"]},
        })
    return {"summary": report["summary"], "elapsed_s": report["elapsed_s"], "tenders": tenders}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", metavar="PATH", help="write every detail (failing fields with both values) here")
    parser.add_argument("--markdown", action="store_true",
                        help="print the summary as French Markdown tables (the text report goes to stderr)")
    parser.add_argument("--tender", action="append", metavar="NAME", help="only this folder (repeatable)")
    parser.add_argument("--data", metavar="DIR", help="dce-real folder (default: $PROCURE_SHARED_DATA/dce-real)")
    args = parser.parse_args(argv)
    root = Path(args.data).resolve() if args.data else real_tenders_dir()
    if not root.is_dir():
        print(f"no real tenders at {root} (set PROCURE_SHARED_DATA)", file=sys.stderr)
        return 2
    out = sys.stderr if args.markdown else sys.stdout
    report = evaluate(root, args.tender, progress=lambda result: print(tender_line(result), file=out, flush=True))
    print(text_summary(report), file=out)
    if args.markdown:
        print(markdown_summary(report))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(json_report(report), handle, ensure_ascii=False, indent=1, default=str)
        print(f"details written to {args.json}", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
