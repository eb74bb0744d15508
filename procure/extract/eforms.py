"""eForms notices, published by the BOAMP and TED since October 2023: numbered parts ("1. Acheteur",
"2.1. Procédure", "5.1. Lot technique ID : LOT-0001", "8. Organisations") made of "Label : value" lines.

Read by part, so that the addresses of part 8 (review body, organisations) never pass for the place of
execution, and each lot's block gives the lot its title, codes, place, duration, value and provisions.
"""
from __future__ import annotations

import re

from procure.extract import buyer as buyer_rules
from procure.extract import quantities
from procure.extract.document import DocText
from procure.extract.fields import Value, first_value
from procure.extract.places import nuts_codes, place_from_nuts, place_from_text
from procure.extract.quantities import QTY, Duration, amount_mentions, find_duration
from procure.extract.reading import AmountFound, Found, Reading, found, procedure_in, procedure_value
from procure.model import BuyerCategory, Place, PlaceScope
from procure.reference.cpv import Nomenclature, find_cpv_codes

MARK_RE = re.compile(r"lot\s+technique\s+id\s*:|identifiant\s+de\s+la\s+procedure\s*:")
LOT_RE = re.compile(r"lot\s+technique\s+id\s*:\s*lot-(\d{1,4})")
PART_RE = {  # a numbered heading, not a figure ("400 000,00") nor a date
    "buyer": re.compile(r"(?<![\d.,])1\.\s+acheteur"),
    "procedure": re.compile(r"(?<![\d.,])2\.\s+procedure"),
    "after_lots": re.compile(r"(?<![\d.,])(?:6|7|8|9|10|11)\.\s+(?:resultats|organisations|modification|informations|changement)"),
}
# Every label of the form: a value stops where the next one starts (PDF lines may have been joined).
NEXT_LABEL_RE = re.compile(
    r"\s(?:forme\s+juridique|activite\s+d|titre\s*:|description\s*:|identifiant|nature\s+du\s+marche|classification|"
    r"adresse\s+postale|ville\s*:|code\s+postal|subdivision\s+pays|pays\s*:|duree\s*:|date\s+de\s+(?:debut|fin)|valeur|"
    r"nombre\s+maximal|informations\s+complementaires|base\s+juridique|(?<![\d.,])\d{1,2}(?:\.\d{1,2})+\.\s)")
CENTRAL_FORM_RE = re.compile(r"autorite\s+(?:gouvernementale\s+)?centrale|administration\s+centrale")
LOCAL_FORM_RE = re.compile(r"autorite\s+(?:regionale|locale)|regionale\s+ou\s+locale|organisme\s+de\s+droit\s+public")
ENTITY_FORM_RE = re.compile(r"entreprise\s+publique|entite\s+adjudicatrice|droits\s+speciaux\s+ou\s+exclusifs|"
                            r"activite\s+de\s+l'entite\s+adjudicatrice\s*:")
DURATION_RE = re.compile(r"\bduree\s*:\s*" + QTY)
NATIONAL_PLACE_RE = re.compile(r"n'importe\s+ou\s+dans\s+le\s+pays|anywhere\s+in\s+the\s+given\s+country")


def is_eforms(folded: str) -> bool:
    return bool(MARK_RE.search(folded)) and "nom officiel" in folded


def read_eforms(doc: DocText, rank: float, nomenclature: Nomenclature | None) -> Reading:
    reading = Reading(doc, rank)
    folded = doc.folded
    lots = [(int(m.group(1)), m.start()) for m in LOT_RE.finditer(folded)]
    lots_end = _after(PART_RE["after_lots"], folded, lots[-1][1] if lots else 0) or len(folded)
    procedure_start = _after(PART_RE["procedure"], folded, 0) or 0
    buyer_part = ((_after(PART_RE["buyer"], folded, 0) or 0), procedure_start or (lots[0][1] if lots else lots_end))
    procedure_part = (procedure_start, lots[0][1] if lots else lots_end)
    _buyer(doc, reading, buyer_part)
    _procedure_part(doc, reading, procedure_part, nomenclature)
    for index, (identifier, start) in enumerate(lots):
        end = lots[index + 1][1] if index + 1 < len(lots) else lots_end
        _lot(doc, reading, identifier, (start, end), nomenclature)
    reading.divided = len(lots) > 1 if lots else None
    return reading


def _after(pattern: re.Pattern, folded: str, start: int) -> int | None:
    match = pattern.search(folded, start)
    return match.start() if match else None


def _value(doc: DocText, label: str, span: tuple[int, int], max_lines: int = 2) -> Value | None:
    return first_value(doc, re.compile(label), span[0], span[1], line_start=False, stop=NEXT_LABEL_RE, max_lines=max_lines)


def _buyer(doc: DocText, reading: Reading, span: tuple[int, int]) -> None:
    name = _value(doc, r"nom\s+officiel\s*:", span)
    if name:
        cleaned = buyer_rules.clean_name(name.text)
        if cleaned:
            reading.buyer = Found(cleaned, name.evidence(), reading.rank)
    form = _value(doc, r"forme\s+juridique\s+de\s+l'acheteur\s*:", span)
    category = _category(form.folded if form else "", doc.folded[span[0] : span[1]])
    if category is None and reading.buyer:
        category = buyer_rules.category(reading.buyer.value)
    if category:
        evidence = form.evidence() if form else reading.buyer.evidence if reading.buyer else None
        reading.buyer_category = Found(category, evidence, reading.rank)


def _category(form: str, part: str) -> BuyerCategory | None:
    """The legal form the buyer ticked: central government, regional or local authority, public undertaking."""
    if ENTITY_FORM_RE.search(form) or ENTITY_FORM_RE.search(part):
        return BuyerCategory.CONTRACTING_ENTITY
    if CENTRAL_FORM_RE.search(form):
        return BuyerCategory.CENTRAL
    if LOCAL_FORM_RE.search(form):
        return BuyerCategory.LOCAL
    return None


def _procedure_part(doc: DocText, reading: Reading, span: tuple[int, int], nomenclature) -> None:
    rank = reading.rank
    title = _value(doc, r"titre\s*:", span)
    if title:
        reading.object = Found(title.text.strip(" ."), title.evidence(), rank)
    internal = _value(doc, r"identifiant\s+interne\s*:", span, max_lines=1)
    if internal and internal.text.strip():
        token = internal.text.split()[0].strip(" .;")
        reading.reference = Found(token, internal.evidence(), rank)
    kind = _value(doc, r"type\s+de\s+procedure\s*:", (0, len(doc.folded)), max_lines=1)
    named = procedure_in(kind.folded) if kind else procedure_in(doc.folded[: min(len(doc.folded), 1500)])
    if named:
        offset = kind.start if kind else 0
        reading.procedure = found(doc, procedure_value(named[0]), offset + named[2], offset + named[3], rank)
    reading.cpv = _codes(doc, span, nomenclature)
    place = _place(doc, span)
    if place:
        reading.place = Found(place[0], place[1], rank)
    reading.amounts += [AmountFound(m, doc, rank + 0.5) for m in amount_mentions(doc.text, doc.folded, span[0], span[1])]


def _codes(doc: DocText, span: tuple[int, int], nomenclature):
    """Main and additional classification of a part."""
    codes = []
    for label in (r"classification\s+principale\s*(?:\(cpv\))?\s*:", r"classification\s+(?:complementaire|additionnelle)\s*(?:\(cpv\))?\s*:"):
        for match in re.finditer(label, doc.folded[span[0] : span[1]]):
            start = span[0] + match.end()
            text = doc.text[start : min(span[1], start + 30)]
            codes += [(code, doc.evidence(start + s, start + e)) for code, s, e in find_cpv_codes(text, nomenclature)[:1]]
    seen, unique = set(), []
    for code, evidence in codes:
        if code.code not in seen:
            seen.add(code.code)
            unique.append((code, evidence))
    return unique


def _place(doc: DocText, span: tuple[int, int]):
    """The "Lieu d'exécution" block of a part: postcode and town, else its NUTS subdivision, else the country."""
    head = re.search(r"(?<![\d.,])\d{1,2}\.\d{1,2}(?:\.\d{1,2})?\.?\s+lieu\s+d'execution", doc.folded[span[0] : span[1]])
    if head is None:
        return None
    block = (span[0] + head.start(), min(span[1], span[0] + head.end() + 400))
    end_of_block = re.search(r"(?<![\d.,])\d{1,2}(?:\.\d{1,2})+\.\s", doc.folded[block[0] + 20 : block[1]])
    if end_of_block:
        block = (block[0], block[0] + 20 + end_of_block.start())
    town, postcode = _value(doc, r"ville\s*:", block, 1), _value(doc, r"code\s+postal\s*:", block, 1)
    evidence = doc.evidence(block[0], block[1])
    if town or postcode:
        place = place_from_text(" ".join(v.text for v in (postcode, town) if v))
        if place:
            return Place(place.scope, place.label, place.communes, place.departments, place.region), evidence
    nuts = nuts_codes(doc.text[block[0] : block[1]])
    if nuts:
        return place_from_nuts(nuts[0]), evidence
    if NATIONAL_PLACE_RE.search(doc.folded[block[0] : block[1]]):
        return Place(PlaceScope.NATIONAL, "France entière"), evidence
    return None


def _lot(doc: DocText, reading: Reading, identifier: int, span: tuple[int, int], nomenclature) -> None:
    internal = _value(doc, r"identifiant\s+interne\s*:", span, max_lines=1)
    number = int(internal.text.strip(" .")) if internal and re.fullmatch(r"\s*\d{1,3}\s*\.?\s*", internal.text) else identifier
    lot = reading.lot(max(number, 1))
    reading.lot_spans.append((span[0], span[1], lot.number))
    title = _value(doc, r"titre\s*:", span)
    if title:
        text = re.sub(r"(?i)^\s*lot\s*(?:n\s*[°ºo]\s*)?\d{1,3}\s*[:.\-–]*\s*", "", title.text).strip(" .")
        lot.title = Found(text or title.text.strip(), title.evidence(), reading.rank)
    lot.cpv = _codes(doc, span, nomenclature)
    place = _place(doc, span)
    if place:
        lot.place = Found(place[0], place[1], reading.rank)
    lot.duration = _duration(doc, span, reading.rank)
    lot.amounts = [AmountFound(m, doc, reading.rank) for m in amount_mentions(doc.text, doc.folded, span[0], span[1])]


def _duration(doc: DocText, span: tuple[int, int], rank: float) -> Found | None:
    """"Durée : 1 Année" and "Nombre maximal de reconductions : 3": the form states no renewal length, which is
    taken as the first period's (the usual case), and said in the evidence's passage."""
    folded = doc.folded[span[0] : span[1]]
    stated = DURATION_RE.search(folded)
    duration: Duration | None
    if stated:
        months = quantities.months_of(stated.group(1), stated.group(2))
        duration = Duration(months, stated.start(), stated.end(), "initial", months)
    else:
        duration = find_duration(folded)  # "Date de début : … Date de fin de durée : …"
    if duration is None:
        return None
    renewals = re.search(r"nombre\s+maximal\s+de\s+reconductions[ \t]*:[ \t]*(\d{1,2})\b(?!\.\d)", folded)
    count = int(renewals.group(1)) if renewals else 0
    if renewals and count and duration.how == "initial":
        duration = Duration(duration.months * (1 + count), duration.start, renewals.end(), "initial+renewals", duration.months)
    return Found(duration, doc.evidence(span[0] + duration.start, span[0] + duration.end), rank)
