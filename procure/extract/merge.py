"""Merge what each piece says into one `Tender`: for every fact, the candidate of the most trusted piece.

Lots are united by number; a lot takes its own title, CPV, amount, duration and place from the best piece
that states them, else inherits what the tender states for all lots. Amounts are summed over the longest
duration when a piece gives them per year or per period, and the computation is kept for the reader.
"""
from __future__ import annotations

import re
from typing import Any

from procure.extract.places import departments_named, place_from_nuts, place_from_text
from procure.extract.quantities import best_amount, over_duration, with_renewals
from procure.extract.reading import AmountFound, DateFound, Found, LotReading, Reading
from procure.model import Amount, AmountKind, Fact, FileProblem, Lot, Place, PlaceScope, Tender
from procure.vocabulary import ROLE_TRAITS, DocumentRole

COMMUNE_BUYER_RE = re.compile(r"^\s*(?:ville|commune|mairie)\s+(?:de\s+la\s+|de\s+l'|de\s+|du\s+|des\s+|d')(.+)$", re.I)


def _best(candidates: list[Found | None]) -> Found | None:
    present = [c for c in candidates if c is not None and c.value not in (None, "")]
    return min(present, key=lambda c: c.rank) if present else None


def _fact(candidate: Found | None, inherited: bool = False) -> Fact[Any] | None:
    return Fact(candidate.value, candidate.evidence, inherited) if candidate else None


def build_tender(tender: Tender, readings: list[Reading]) -> None:
    readings = sorted(readings, key=lambda r: r.rank)
    tender.buyer = _fact(_best([r.buyer for r in readings]))
    tender.buyer_category = _fact(_best([r.buyer_category for r in readings]))
    tender.object = _fact(_best([r.object for r in readings]))
    tender.reference = _fact(_best([r.reference for r in readings]))
    tender.procedure = _fact(_best([r.procedure for r in readings]))
    tender.defence_security = _fact(_best([r.defence_security for r in readings]))
    tender.declared_nature = _fact(_best([r.declared_nature for r in readings]))
    for key in ("offers_deadline", "publication", "launch", "pieces"):
        date_found = _best([r.dates.get(key) for r in readings])
        if date_found:
            tender.dates[key] = Fact(date_found.value, date_found.evidence)
            if isinstance(date_found, DateFound) and date_found.time:  # the hour printed with the date, same passage
                tender.times[key] = date_found.time
    lots = _merge_lots(readings)
    tender_cpv = next((r.cpv for r in readings if r.cpv), [])
    duration = _best([r.duration for r in readings])
    place = _best([r.place for r in readings])
    if place is None:  # titles speak only when the pieces state no place for the whole tender
        _places_in_titles(lots)
    place = place or _lots_place(lots)
    place = _refined(place, tender) if place else (_place_from_buyer(tender, readings) or _buyer_address(tender))
    tender.place = _fact(place)
    tender_amounts = [a for r in readings for a in r.amounts]
    # Kept for the whole tender whatever its lots say: twenty lots without a figure under one framework maximum.
    tender.estimated_amount = _amount(tender_amounts, duration, inherited=False)
    if not lots:
        lots = {1: LotReading(1)}
    single = len(lots) == 1
    for number in sorted(lots):
        tender.lots.append(_lot(number, lots[number], tender, tender_cpv, duration, place, tender_amounts if single else []))
    _warn_lone_piece(tender, readings)


# Pieces that alone cannot tell the buyer, the procedure or the amounts, with how the user names them.
LONE_PIECES: dict[str, str] = {DocumentRole.CCTP: "un CCTP", DocumentRole.BPU: "un bordereau de prix",
               DocumentRole.DPGF: "un bordereau de prix", DocumentRole.DQE: "un bordereau de prix"}


def _warn_lone_piece(tender: Tender, readings: list[Reading]) -> None:
    """Only a CCTP or only a price schedule: say which facts it cannot give rather than let a guess stand for them.

    An amount a lone CCTP prints is kept (it may be the estimate) but said to be unsure: a technical piece states
    ceilings of some services, rarely the value of the contract."""
    roles = {r.doc.role for r in readings}
    if not readings or not roles <= set(LONE_PIECES):
        return
    missing = [label for label, fact in (("l'acheteur", tender.buyer), ("l'objet", tender.object),
                                         ("la procédure", tender.procedure)) if fact is None]
    if not any(lot.estimated_amount for lot in tender.lots):
        missing.append("les montants")
    technical_amount = _amount_from_technical_piece(tender, readings)
    if not missing and not technical_amount:
        return
    pieces = sorted({LONE_PIECES[role] for role in roles})
    given = "Seul un CCTP a été fourni" if pieces == ["un CCTP"] else (
        "Seul un bordereau de prix a été fourni" if len(pieces) == 1 else "Seuls un CCTP et un bordereau de prix ont été fournis")
    said = [_cannot_read_fr(missing)] if missing else []
    if technical_amount:
        said.append("le montant repris du CCTP n'est peut-être que le plafond d'une partie des prestations, "
                    "à vérifier")
    tender.problems.append(FileProblem(readings[0].doc.name, f"{given} : {' ; '.join(said)} ; ajoutez le RC ou l'avis.",
                                       fatal=False))


def _cannot_read_fr(missing: list[str]) -> str:
    what = ", ".join(missing[:-1]) + " et " + missing[-1] if len(missing) > 1 else missing[0]
    # Several items, or one plural one (« les montants »), take the plural; « la procédure » the feminine.
    plural = len(missing) > 1 or missing[0].startswith("les ")
    verb = "ne peuvent pas être lus" if plural else "ne peut pas être lu" + ("e" if missing[0].startswith("la ") else "")
    return f"{what} {verb}"


def _amount_from_technical_piece(tender: Tender, readings: list[Reading]) -> bool:
    technical = {r.doc.name for r in readings if ROLE_TRAITS[DocumentRole(r.doc.role)].technical}
    return any(lot.estimated_amount and lot.estimated_amount.evidence
               and lot.estimated_amount.evidence.file in technical for lot in tender.lots)


def _places_in_titles(lots: dict[int, LotReading]) -> None:
    """"Lot 1 : juridictions du département de Tarn-et-Garonne": a lot with no stated place takes the department
    its title names in words (departments only: a commune's name can be a common word of a title)."""
    from procure.reference.geo import department_names

    for lot in lots.values():
        if lot.place is None and lot.title is not None:
            departments = departments_named(lot.title.value)
            if departments:
                scope = PlaceScope.DEPARTMENT if len(departments) == 1 else PlaceScope.SEVERAL
                names = " et ".join(department_names().get(code, code) for code in departments)
                label = f"{names} (d'après l'intitulé du lot)"
                lot.place = Found(Place(scope, label, [], departments), lot.title.evidence, lot.title.rank + 1)


def _lots_place(lots: dict[int, LotReading]) -> Found | None:
    """No place for the whole tender: its lots' places, united when they differ (one lot per department)."""
    found = [lot.place for lot in lots.values() if lot.place is not None]
    if not found:
        return None
    best = min(found, key=lambda f: f.rank)
    places = [f.value for f in found if isinstance(f.value, Place)]
    departments = sorted({d for p in places for d in p.departments})
    if len(departments) <= 1 or len(places) < len(found) or len({p.label for p in places}) == 1:
        return best  # one place (a region, a department) stated by every lot stays what it is
    communes = [c for p in places for c in p.communes]
    mark = " (d'après l'intitulé du lot)"
    labels = list(dict.fromkeys(p.label for p in places))
    label = (", ".join(lab.removesuffix(mark) for lab in labels) + " (d'après les intitulés des lots)"
             if all(lab.endswith(mark) for lab in labels) else " ; ".join(labels))
    return Found(Place(PlaceScope.SEVERAL, label, communes, departments), best.evidence, best.rank)


def _merge_lots(readings: list[Reading]) -> dict[int, LotReading]:
    divided = next((r.divided for r in readings if r.divided is not None), None)
    best_lots = next((r for r in readings if r.lots), None)
    if divided is False and (best_lots is None or best_lots.rank > min(r.rank for r in readings if r.divided is False)):
        merged = LotReading(1)
        for reading in readings:
            for lot in reading.lots.values():
                _absorb(merged, lot, keep_title=False)
        return {1: merged}
    merged_lots: dict[int, LotReading] = {}
    for reading in readings:
        for number, lot in reading.lots.items():
            _absorb(merged_lots.setdefault(number, LotReading(number)), lot)
    return merged_lots


def _absorb(target: LotReading, lot: LotReading, keep_title: bool = True) -> None:
    if keep_title and lot.title and (target.title is None or lot.title.rank < target.title.rank):
        target.title = lot.title
    if lot.cpv and not target.cpv:
        target.cpv = list(lot.cpv)
    target.amounts += lot.amounts
    if lot.duration and (target.duration is None or lot.duration.rank < target.duration.rank):
        target.duration = lot.duration
    if lot.place and (target.place is None or lot.place.rank < target.place.rank):
        target.place = lot.place
    if lot.declared_nature and (target.declared_nature is None or lot.declared_nature.rank < target.declared_nature.rank):
        target.declared_nature = lot.declared_nature


def _lot(number: int, reading: LotReading, tender: Tender, tender_cpv, duration: Found | None, place: Found | None,
         tender_amounts: list[AmountFound]) -> Lot:
    lot = Lot(number)
    if reading.title:
        lot.title = _fact(reading.title)
    elif tender.object is not None:
        lot.title = Fact(tender.object.value, tender.object.evidence, inherited=True)
    lot.cpv = list(reading.cpv) if reading.cpv else list(tender_cpv)
    lot_duration = reading.duration or duration
    if lot_duration:
        lot.duration_months = Fact(lot_duration.value.months, lot_duration.evidence, inherited=reading.duration is None)
    # A lot's own NUTS department is narrowed like the tender's ("Ville de Rennes" with FRH03 → Rennes).
    lot_place = _refined(reading.place, tender, use_object=False) if reading.place else place
    if lot_place:
        lot.place = Fact(lot_place.value, lot_place.evidence, inherited=reading.place is None)
    lot.estimated_amount = _amount(reading.amounts or tender_amounts, lot_duration, inherited=not reading.amounts)
    lot.declared_nature = _fact(reading.declared_nature) or _inherited(tender.declared_nature)
    return lot


def _inherited(fact: Fact | None) -> Fact | None:
    return Fact(fact.value, fact.evidence, inherited=True) if fact else None


def _amount(candidates: list[AmountFound], duration: Found | None, inherited: bool) -> Fact | None:
    """The lot's amount from the most trusted piece that states a usable one, summed over the longest duration."""
    for rank in sorted({c.rank for c in candidates}):
        pool = [c for c in candidates if c.rank == rank]
        chosen = best_amount([c.mention for c in pool])
        if chosen is None:
            continue
        found = next(c for c in pool if c.mention is chosen)
        months = duration.value.months if duration else None
        initial = duration.value.initial if duration else None
        summed = with_renewals(chosen, [c.mention for c in pool])
        value, computation = summed or over_duration(chosen, months, initial)
        if chosen.period == "year" and not months:
            computation = "montant annuel : durée inconnue, non cumulé"
        estimate = _estimate_beside(chosen, [c.mention for c in pool], months, initial)
        if estimate is not None:
            from procure.text.format_fr import format_euros

            note = f"montant estimé : {format_euros(estimate, cents=False)}"
            computation = f"{computation} ; {note}" if computation else f"maximum ; {note}"
        amount = Amount(value, chosen.tax, chosen.kind, computation, estimate)
        return Fact(amount, found.evidence(), inherited=inherited)
    return None


def _estimate_beside(chosen, mentions, months, initial):
    """A maximum chosen while the piece also prints an estimate: the estimate, over the same duration."""
    if chosen.kind != AmountKind.MAXIMUM:
        return None
    estimates = [m for m in mentions if m.kind == AmountKind.ESTIMATE and m.tax in (chosen.tax, None) and m.period != "renewal"]
    if not estimates:
        return None
    value = _summed(estimates[0], mentions, months, initial)
    # An estimate equal to the maximum over the same duration says nothing more (« budget alloué » beside the same
    # « enveloppe maximale annuelle »).
    return value if value != _summed(chosen, mentions, months, initial) else None


def _summed(mention, mentions, months, initial):
    summed = with_renewals(mention, mentions)
    return summed[0] if summed else over_duration(mention, months, initial)[0]


def _refined(place: Found, tender: Tender, use_object: bool = True) -> Found:
    """A department alone (a NUTS code, "(86)") narrowed to a commune of it that the buyer or the object names:
    "Ville de Rennes" with FRH03, "Poitiers 86 Construction de …" with FRI34."""
    value = place.value
    if isinstance(value, Place) and value.scope == PlaceScope.REGION and not value.communes and tender.object and use_object:
        return _commune_of_region(place, tender)
    if not isinstance(value, Place) or value.scope != PlaceScope.DEPARTMENT or len(value.departments) != 1:
        return place
    department = value.departments[0]
    named = COMMUNE_BUYER_RE.match(tender.buyer.value) if tender.buyer else None
    candidates = [(named.group(1), "commune de l'acheteur")] if named else []
    if tender.object and use_object:  # the tender's object may name another lot's town
        candidates += [(name, "commune citée dans l'objet") for name in
                       re.findall(r"\b[A-ZÉÈ][\w'’-]+(?:[ -](?:sur|sous|en|de|du|la|le|lès|[A-ZÉÈ][\w'’-]+))*", tender.object.value)]
    for candidate, why in candidates:
        commune_place = place_from_text(candidate, department)
        if commune_place and commune_place.scope == PlaceScope.COMMUNE and commune_place.department == department:
            # Said in the label: the notice gave the department only, the commune is procure's reading.
            label = f"{value.label} ; {why} : {commune_place.communes[0].name}"
            return Found(Place(PlaceScope.COMMUNE, label, commune_place.communes, [department]), place.evidence, place.rank)
    return place


def _commune_of_region(place: Found, tender: Tender) -> Found:
    """A region alone (NUTS "FRJ") narrowed to the one commune of it that the object names ("… ZAC Entrée Est -
    Rive Sud de Sète"); kept as a region when no name, or several, match."""
    value = place.value
    words = re.findall(r"\b[A-ZÉÈ][\w'’-]+(?:[ -](?:sur|sous|en|de|du|la|le|lès|[A-ZÉÈ][\w'’-]+))*",
                       tender.object.value if tender.object else "")
    found = {}
    for word in words:
        for department in value.departments:
            commune_place = place_from_text(word, department)
            if commune_place and commune_place.scope == PlaceScope.COMMUNE and commune_place.department == department:
                found[commune_place.communes[0].insee] = commune_place
    if len(found) != 1:
        return place
    (commune_place,) = found.values()
    label = f"{value.label} ; commune citée dans l'objet : {commune_place.communes[0].name}"
    return Found(Place(PlaceScope.COMMUNE, label, commune_place.communes, commune_place.departments), place.evidence, place.rank)


def _buyer_address(tender: Tender) -> Found | None:
    """No place stated anywhere: the buyer's own territory, as its name and address on the title page say
    ("MAIRIE DE CUZIEU 10 Route de Veauche - 42330 CUZIEU", "Vallée Sud - Grand Paris (92)", "PRÉFECTURE DE LA
    RÉGION GUYANE"). The label says it is the buyer's address, not a stated place of execution."""
    if tender.buyer is None or tender.buyer.evidence is None:
        return None
    name, passage = tender.buyer.value, tender.buyer.evidence.passage
    named = COMMUNE_BUYER_RE.match(name)
    postcode = re.search(r"\b(\d{5})\b", passage)
    hint = postcode.group(1)[:2] if postcode and not postcode.group(1).startswith("97") else (postcode.group(1)[:3] if postcode else None)
    # "École nationale d'ingénieurs de Tarbes": the commune is the name after "de", not the first word.
    candidates = [named.group(1)] if named else re.findall(r"\b(?:de|d'|du|des)\s+([A-ZÉÈÎ][\w'’-]+(?:[ -][A-ZÉÈÎ][\w'’-]+)*)", name)
    if not named and len(name.split()) <= 3:
        candidates.append(name)
    place = next((found for found in (place_from_text(c, hint) for c in candidates) if found), None)
    place = place or place_from_text(passage) or _department_named(name)
    if place is None or place.scope == PlaceScope.NATIONAL:
        return None
    label = f"{name} (adresse de l'acheteur : aucun lieu d'exécution n'est indiqué)"
    return Found(Place(place.scope, label, place.communes, place.departments, place.region, from_buyer_address=True),
                 tender.buyer.evidence, 10)


def _department_named(name: str) -> Place | None:
    """"Préfecture de la région Guyane", "Conseil départemental du Nord": a department named in the buyer's name."""
    from procure.reference.geo import department_names, name_key

    key = f" {name_key(name)} "
    for code, department in department_names().items():
        if f" {name_key(department)} " in key:
            return Place(PlaceScope.DEPARTMENT, name, [], [code])
    return None


def _place_from_buyer(tender: Tender, readings: list[Reading]) -> Found | None:
    """A notice with no place of execution: the buyer's NUTS department, narrowed to the buyer's commune when
    the buyer is a commune of that department ("Ville de Rennes", FRH03)."""
    notice = next((r for r in readings if r.doc.role == DocumentRole.AVIS), None)
    if notice is None:
        return None
    match = re.search(r"code\s+nuts\s*:\s*-?\s*(fr[a-z0-9]{1,3})", notice.doc.folded)
    region = place_from_nuts(match.group(1)) if match else None
    if region is None:
        return None
    label = f"{region.label} de l'acheteur (aucun lieu d'exécution n'est indiqué)"
    found_place = Found(Place(region.scope, label, [], region.departments, from_buyer_address=True),
                        notice.doc.evidence(match.start(1), match.end(1)) if match else None, 9)
    refined = _refined(found_place, tender)
    refined.value.from_buyer_address = True
    return refined
