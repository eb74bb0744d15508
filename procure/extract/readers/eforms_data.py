"""eForms notices as data (TED XML, BOAMP JSON records): the facts found by business term
(`procure/ingest/eforms_terms.yaml`) become a Reading, each with the block that shows it as evidence.

Codes say what prose would have to be read for: the buyer's legal type (BT-11) gives its category, the legal
basis (BT-01) the defence directive or the utilities one, the notice type (BT-02) the regime of social services,
and BT-06, BT-775, BT-71, BT-736 and the award criteria (BT-539 to BT-541) the social provisions. The free texts
(descriptions, notes, conditions) are read for provisions like any other piece, by the provisions reader.
"""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from procure.extract import buyer as buyer_rules
from procure.extract.places import place_from_nuts, place_from_text
from procure.extract.quantities import QTY, AmountMention, Duration, amount_mentions, find_duration, months_of
from procure.extract.readers import ReadContext, Reader
from procure.extract.reading import AmountFound, DateFound, Found, Reading, procedure_in, procedure_value
from procure.model import AmountKind, BuyerCategory, Evidence, Place, PlaceScope, ProvisionKind, SocialProvision
from procure.reference.cpv import find_cpv_codes
from procure.text.normalize import fold
from procure.vocabulary import ContractNature, DocumentRole, Layout

if TYPE_CHECKING:  # the notice reader is imported only when a notice is read
    from procure.ingest.eforms import EformsNotice, NoticeFact

PROCEDURES = {"open": "AOO", "restricted": "AOR", "neg-w-call": "PCN", "neg-wo-call": "SPAMC", "comp-dial": "DC"}
CENTRAL_TYPES = {"cga", "body-pl-cga", "org-sub-cga", "pub-undert-cga"}
ENTITY_TYPES = {"pub-undert", "pub-undert-la", "pub-undert-ra", "spec-rights-entity"}
LOCAL_TYPES = {"la", "ra", "body-pl", "body-pl-la", "body-pl-ra", "grp-p-aut", "org-sub", "org-sub-la", "org-sub-ra", "def-cont"}
UTILITIES_DIRECTIVE = "32014L0025"
DEFENCE_DIRECTIVE = "32009L0081"
NATURES = {"works": ContractNature.WORKS, "supplies": ContractNature.SUPPLIES, "services": ContractNature.SERVICES}
MONTHS_PER_UNIT = {"MONTH": 1, "YEAR": 12, "DAY": 1 / 30, "WEEK": 7 / 30}
# An internal lot identifier that is the buyer's lot number: "01", "3", "…_LOT4", "Lot 2".
LOT_NUMBER_RE = re.compile(r"^\s*(?:lot\s*(?:n\s*[°o]?\s*)?)?0*(\d{1,3})\s*$|lot[\s_-]*0*(\d{1,3})\s*$", re.I)
NATIONAL_REGION_CODES = {"anyw", "anyw-cou"}
# An amount of a lot's note stated for one period ("Montant maximum par période d'exécution : 150 000 €").
PER_PERIOD_RE = re.compile(r"par\s+periode|chaque\s+periode|relatif\s+a\s+la\s+periode\s+initiale|periode\s+initiale")
# A criterion speaks of the social when its name or description says so; the words that sound social but are
# not ("raison sociale", "insertion paysagère") are left out.
SOCIAL_CRITERION_RE = re.compile(
    r"\binsertion\b(?!\s+(?:paysagere|architecturale|urbaine|dans\s+(?:le\s+site|l'environnement|le\s+paysage)))|"
    r"\bsocia(?:l|le|les|ux)\b|\bemploi\b|handicap|\bsolidaire|\bequitable|eloignees?\s+de\s+l'emploi|"
    r"conditions\s+de\s+travail|\bapprenti|\begalite\b|non-discrimination")
NOT_SOCIAL_RE = re.compile(r"raison\s+sociale|siege\s+social|capital\s+social|objet\s+social|mandataires?\s+sociaux|"
                           r"reseaux\s+sociaux|securite\s+sociale|(?:charges|cotisations)\s+sociales")


def detects(document, doc) -> bool:
    return document.notice is not None


def read(context: ReadContext) -> Reading:
    notice: EformsNotice = context.document.notice
    reading = Reading(context.doc, context.rank)
    facts = _Facts(context, notice)
    _buyer(reading, facts)
    _procedure(reading, facts)
    reading.cpv = facts.codes("notice", None)
    place = facts.place("notice", None)
    if place:
        reading.place = place
    reading.amounts = facts.amounts("notice", None)
    numbers = _lot_numbers(facts)
    for identifier in notice.lots:
        _lot(reading, facts, identifier, numbers[identifier])
    reading.divided = len(notice.lots) > 1 if notice.lots else None
    # Places stated per lot are the tender's place when they reach beyond the procedure's own place (often the
    # buyer's address): twenty lots across a region are executed in that region, not in Orléans.
    lots_place = _lots_place(reading)
    if lots_place and (reading.place is None or not set(lots_place.value.departments) <= set(reading.place.value.departments)):
        reading.place = lots_place
    reading.lot_spans = _lot_spans(context, notice, numbers)
    _dates(reading, facts)
    legal_basis = facts.value("BT-01")
    basis = facts.first("BT-01")
    if basis is not None and legal_basis == DEFENCE_DIRECTIVE:
        reading.defence_security = facts.found(basis, True)
    reading.declared_nature = _nature(facts, "notice", None)
    reading.coded_provisions = _provisions(facts, notice, reading, numbers)
    reading.warnings = _change_warnings(facts) + _award_warnings(facts, notice)
    return reading


def _award_warnings(facts: _Facts, notice: EformsNotice) -> list[str]:
    """An award notice (BT-02 « can-… »): the contract is signed, the clauses serve the next one."""
    kind = facts.value("BT-02") or ""
    if not kind.startswith("can-") and notice.root != "ContractAwardNotice":
        return []
    from procure.extract.award import award_warning

    selected = any(f.value == "selec-w" for f in facts.of("BT-142"))
    winners = [f.value for f in facts.of("OPT-211")] if selected else []
    decided = next((day for term in ("BT-1451", "BT-145") for f in facts.of(term) if (day := _date(f.value))), None)
    return [award_warning(winners, decided if selected else None)]


def _nature(facts: _Facts, scope: str, lot: str | None) -> Found | None:
    """BT-23: works, supplies or services ("combined" says no one nature)."""
    fact = facts.first("BT-23", scope, lot)
    nature = NATURES.get(fact.value.strip().lower()) if fact else None
    return facts.found(fact, nature) if fact and nature else None


def _change_warnings(facts: _Facts) -> list[str]:
    """A change notice (efac:Changes) says what it changes: a cancelled consultation must not pass for a live one."""
    changed = facts.value("BT-758")
    reason = facts.first("BT-140")
    if changed is None and reason is None:
        return []
    from procure.ingest.eforms import CODE_LABELS_FR

    why = facts.value("BT-762") or ""
    if reason and reason.value == "cancel":
        return [f"Avis d'annulation : cette consultation est annulée ou déclarée sans suite{f' (« {why} »)' if why else ''}. "
                "Les clauses proposées ne servent que si elle est relancée."]
    label = CODE_LABELS_FR["change-corrig-justification"].get(reason.value, reason.value) if reason else "modification"
    return [f"Avis rectificatif ({label}) de l'avis {changed or 'initial'}{f' : « {why} »' if why else ''}. "
            "procure lit l'avis tel que modifié."]


class _Facts:
    """The notice's facts with their evidence in the piece's text stream."""

    def __init__(self, context: ReadContext, notice: EformsNotice):
        self.context, self.notice, self.doc, self.rank = context, notice, context.doc, context.rank

    def of(self, term: str, scope: str = "notice", lot: str | None = None) -> list[NoticeFact]:
        return self.notice.of(term, scope, lot)

    def first(self, term: str, scope: str = "notice", lot: str | None = None) -> NoticeFact | None:
        return self.notice.first(term, scope, lot)

    def value(self, term: str, scope: str = "notice", lot: str | None = None) -> str | None:
        fact = self.first(term, scope, lot)
        return fact.value if fact else None

    def evidence(self, fact: NoticeFact) -> Evidence:
        start = self.doc.starts[fact.block] + fact.value_start
        end = start + len(fact.value)
        # The passage names the business term and the element: "Titre du lot (BT-21) : … [cac:ProcurementProject/cbc:Name]".
        return replace(self.doc.evidence(start, end, context=0), passage=f"{self.doc.blocks[fact.block].text} [{fact.path}]")

    def found(self, fact: NoticeFact, value, rank_offset: float = 0.0) -> Found:
        return Found(value, self.evidence(fact), self.rank + rank_offset)

    def codes(self, scope: str, lot: str | None):
        codes, seen = [], set()
        for term in ("BT-262", "BT-263"):
            for fact in self.of(term, scope, lot):
                for code, _, _ in find_cpv_codes(fact.value, self.context.nomenclature)[:1]:
                    if code.code not in seen:
                        seen.add(code.code)
                        codes.append((code, self.evidence(fact)))
        return codes

    def amounts(self, scope: str, lot: str | None) -> list[AmountFound]:
        found = []
        for term, kind in (("BT-271", AmountKind.MAXIMUM), ("BT-27", AmountKind.ESTIMATE)):
            for fact in self.of(term, scope, lot):
                value = _decimal(fact.value)
                if value is None or value <= 0 or fact.attributes.get("currencyID") not in (None, "", "EUR"):
                    continue
                mention = AmountMention(value, "HT", kind, None, 0, len(fact.value))
                found.append(AmountFound(mention, None, self.rank, cell=self.evidence(fact)))
        return found

    def written_amounts(self, lot: str) -> list[AmountFound]:
        """Amounts a lot states only in its notes ("Le montant Ht maximum relatif à la période initiale est de :
        500 000,00 euro(s)"), read as in any text, a little less trusted than the coded values."""
        found = []
        for fact in self.of("BT-300", "lot", lot) + self.of("BT-24", "lot", lot):
            start = self.doc.starts[fact.block] + fact.value_start
            for mention in amount_mentions(self.doc.text, self.doc.folded, start, start + len(fact.value)):
                before = self.doc.folded[max(start, mention.start - 120) : mention.start]
                if mention.period is None and PER_PERIOD_RE.search(before):
                    mention.period = "initial"
                found.append(AmountFound(mention, self.doc, self.rank + 0.5))
        return found

    def texts(self, lot: str, terms: tuple[str, ...]) -> str:
        """The folded free texts of a lot and of the notice, for what the codes do not say."""
        facts = [f for term in terms for f in self.of(term, "lot", lot) + self.of(term)]
        return "\n".join(fold(f.value) for f in facts)

    def place(self, scope: str, lot: str | None) -> Found | None:
        """A town and its postcode, else the NUTS subdivisions (several: the union), else "anywhere in France"."""
        towns, postcodes = self.of("BT-5131", scope, lot), self.of("BT-5121", scope, lot)
        nuts = [f for f in self.of("BT-5071", scope, lot) if f.value.upper().startswith("FR")]
        places = [(f, p) for f in nuts if (p := place_from_nuts(f.value.lower()))]
        nuts_departments = {d for _, p in places for d in p.departments}
        region = _region_named(towns)
        if region:  # a "town" field naming a region ("Corse")
            return self.found(towns[0], region)
        if towns or postcodes:
            place = place_from_text(" ".join(f.value or "" for f in (postcodes[:1] + towns[:1])))
            # A town the NUTS code contradicts (a commune of FRM01's postcode for "Corse") is no town.
            if place and place.scope != PlaceScope.UNKNOWN and _names_the_town(place, towns) and (
                    not nuts_departments or set(place.departments or [place.department or ""]) <= nuts_departments):
                return self.found((postcodes or towns)[0], place)
        if places:
            return self.found(places[0][0], _united([p for _, p in places]))
        described = self._described_place(scope, lot)
        if described:
            return described
        national = next((f for f in self.of("BT-727", scope, lot) if f.value in NATIONAL_REGION_CODES), None)
        if national and self.value("BT-5141", scope, lot) in (None, "FRA"):
            return self.found(national, Place(PlaceScope.NATIONAL, "France entière"))
        return None

    def _described_place(self, scope: str, lot: str | None) -> Found | None:
        """No place element but "anywhere" (or none): the place the description names with its department code
        or postcode ("à URBES et FELLERING (68)")."""
        for fact in self.of("BT-24", scope, lot) + self.of("BT-728", scope, lot):
            if re.search(r"\(\s*(?:\d{2}|2[ab]|97\d)\s*\)|\b\d{5}\b", fact.value, re.I):
                place = place_from_text(fact.value)
                if place and place.scope in (PlaceScope.COMMUNE, PlaceScope.SEVERAL, PlaceScope.DEPARTMENT):
                    return self.found(fact, place, 1)
        return None


def _region_named(towns: list[NoticeFact]) -> Place | None:
    """A "town" field that names a region ("Corse"): the region and its departments."""
    from procure.reference.geo import name_key, region_names

    if not towns:
        return None
    key = name_key(towns[0].value)
    region = next((code for code, name in region_names().items() if name_key(name) == key), None)
    if region is None:
        return None
    return Place(PlaceScope.REGION, towns[0].value, [], _region_departments(region), region)


def _region_departments(region: str) -> list[str]:
    from procure.reference.geo import communes_index

    return sorted(d for d, r in communes_index()["department_region"].items() if r == region)


def _names_the_town(place: Place, towns: list[NoticeFact]) -> bool:
    """"20000 Corse": a postcode's commune is the place only when the town field names it (or is empty)."""
    if not towns or not place.communes:
        return True
    from procure.reference.geo import name_key

    town, commune = name_key(towns[0].value), name_key(place.communes[0].name)
    return bool(town) and (town in commune or commune in town or "cedex" in fold(towns[0].value))


def _lots_place(reading: Reading) -> Found | None:
    found = [lot.place for lot in reading.lots.values() if lot.place is not None]
    if not found or len(found) < len(reading.lots):
        return None
    place = _united([f.value for f in found])
    return Found(place, found[0].evidence, found[0].rank + 0.5)


def _united(places: list[Place]) -> Place:
    """Several places as one: the same department stays itself; every department of a region is the region."""
    from procure.reference.geo import communes_index, region_names

    departments = list(dict.fromkeys(d for p in places for d in p.departments))
    if len(places) == 1 or len(departments) <= 1:
        return places[0]
    label = ", ".join(dict.fromkeys(p.label for p in places))
    communes = [c for p in places for c in p.communes]
    region_of = communes_index()["department_region"]
    regions = {region_of.get(d) for d in departments}
    if len(regions) == 1 and None not in regions:
        region = regions.pop()
        if set(departments) == set(_region_departments(region)):
            name = region_names().get(region, region)
            return Place(PlaceScope.REGION, f"{name} ({label})", communes, departments, region)
        return Place(PlaceScope.SEVERAL, label, communes, departments, region)
    return Place(PlaceScope.SEVERAL, label, communes, departments)


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip().replace(",", "."))
    except (InvalidOperation, AttributeError):
        return None


def _buyer(reading: Reading, facts: _Facts) -> None:
    name = facts.first("BT-500", "buyer")
    if name:
        cleaned = buyer_rules.clean_name(name.value) or name.value
        reading.buyer = facts.found(name, cleaned)
    category = _category(facts)
    named = buyer_rules.category(reading.buyer.value) if reading.buyer else None
    if reading.buyer and category and category[0] == BuyerCategory.LOCAL and named == BuyerCategory.CENTRAL:
        # "Préfecture de région …" coded "ra" (regional authority): a State service is a central authority
        # whatever box the form ticked; the thresholds follow what the buyer is.
        reading.buyer_category = Found(named, reading.buyer.evidence, reading.rank)
    elif category:
        reading.buyer_category = Found(category[0], facts.evidence(category[1]), reading.rank)
    elif reading.buyer and named:
        reading.buyer_category = Found(named, reading.buyer.evidence, reading.rank + 1)


def _category(facts: _Facts) -> tuple[BuyerCategory, NoticeFact] | None:
    """The utilities directive or an entity's activity makes a contracting entity; else the legal type (BT-11)."""
    basis = facts.first("BT-01")
    if basis and basis.value == UTILITIES_DIRECTIVE:
        return BuyerCategory.CONTRACTING_ENTITY, basis
    activity = facts.first("BT-610")
    if activity:
        return BuyerCategory.CONTRACTING_ENTITY, activity
    legal = facts.first("BT-11")
    if legal is None:
        return None
    if legal.value in CENTRAL_TYPES:
        return BuyerCategory.CENTRAL, legal
    if legal.value in ENTITY_TYPES:
        return BuyerCategory.CONTRACTING_ENTITY, legal
    if legal.value in LOCAL_TYPES:
        return BuyerCategory.LOCAL, legal
    return None


def _procedure(reading: Reading, facts: _Facts) -> None:
    title = facts.first("BT-21")
    if title is None and len(facts.notice.lots) == 1:
        title = facts.first("BT-21", "lot", facts.notice.lots[0])
    description = facts.first("BT-24")
    if title and _is_code(title.value) and description:
        title = description  # "2024CVDLCVC4": the name is a code, the description says what is bought
    if title:
        reading.object = facts.found(title, _first_sentence(title.value))
    internal = facts.first("BT-22")
    if internal and not _is_uuid(internal.value):
        reading.reference = facts.found(internal, internal.value.strip())
    code = facts.first("BT-105")
    if code and code.value in PROCEDURES:
        reading.procedure = facts.found(code, procedure_value(PROCEDURES[code.value]))
        return
    # "oth-single", "oth-mult" or no code: the procedure the notice names in its own words, if any.
    for term in ("BT-88", "BT-24", "BT-300"):
        for fact in facts.of(term):
            named = procedure_in(fold(fact.value))
            if named:
                reading.procedure = facts.found(fact, procedure_value(named[0]), 0.5)
                return


CODE_RE = re.compile(r"^[\w./-]*\d[\w./-]*$")
MAX_TITLE_CHARS = 300


def _is_code(text: str) -> bool:
    """"2024_CVLD_CVC4_LOT1": one token with digits, no words."""
    return bool(CODE_RE.match(text.strip()))


def _first_sentence(text: str) -> str:
    """A description taken as a title: its first sentence, within a title's length."""
    text = text.strip(" .")
    if len(text) <= MAX_TITLE_CHARS:
        return text
    cut = text.find(". ", 40, MAX_TITLE_CHARS)
    return text[: cut if cut > 0 else MAX_TITLE_CHARS].strip(" .")


UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def _is_uuid(text: str) -> bool:
    return bool(UUID_RE.match(text.strip()))


def _lot(reading: Reading, facts: _Facts, identifier: str, number: int) -> None:
    lot = reading.lot(number)
    title = facts.first("BT-21", "lot", identifier)
    description = facts.first("BT-24", "lot", identifier)
    if title and _is_code(title.value) and description:
        title = description
    if title:
        text = re.sub(r"(?i)^\s*lot\s*(?:n\s*[°ºo]\s*)?\d{1,3}\s*[:.\-–]*\s*", "", title.value).strip(" .")
        lot.title = facts.found(title, _first_sentence(text or title.value))
    lot.cpv = facts.codes("lot", identifier)
    lot.declared_nature = _nature(facts, "lot", identifier)
    lot.place = facts.place("lot", identifier)
    lot.duration = _duration(facts, identifier)
    lot.amounts = facts.amounts("lot", identifier) or facts.written_amounts(identifier)
    if len(facts.notice.lots) == 1:  # the one lot is the whole notice: its coded values are the lot's too
        lot.amounts += facts.amounts("notice", None)


def _lot_numbers(facts: _Facts) -> dict[str, int]:
    """The buyer's lot numbers when the internal identifiers are ones ("01", "…_LOT4"), else the lots' places in
    the notice (LOT-0005 may be the fourth lot: technical identifiers skip numbers)."""
    lots = facts.notice.lots
    positions = {identifier: position for position, identifier in enumerate(lots, 1)}
    stated = {}
    for identifier in lots:
        match = LOT_NUMBER_RE.search(facts.value("BT-22", "lot", identifier) or "")
        number = int(match.group(1) or match.group(2)) if match else None
        if number is None or not 1 <= number <= len(lots) + 50:
            return positions
        stated[identifier] = number
    return stated if len(set(stated.values())) == len(lots) else positions


RENEWAL_TEXTS = ("BT-57", "BT-54", "BT-300", "BT-24")
# Sentences of the free texts that may state the contract's whole duration or its renewals.
DURATION_SENTENCE_RE = re.compile(r"reconduc|renouvel|toutes\s+periodes|au\s+total|duree\s+(?:maximale|globale|totale)|"
                                  r"periode\s+initiale|ne\s+pourra\s+(?:pas\s+)?exceder")
TOTAL_WRITTEN_RE = re.compile(r"soit\s+(?:au\s+total\s+)?" + QTY + r"\s+au\s+total|soit\s+(?:une\s+duree\s+de\s+)?" + QTY + r"\s+au\s+(?:total|maximum)")


def _duration(facts: _Facts, identifier: str) -> Found | None:
    """The longest duration: a total the notice writes ("soit 4 ans au total", "La durée maximale du contrat,
    toutes périodes confondues, est de 4 ans"), else BT-36 (or the text's first period) times the renewals of BT-58
    — the form gives no renewal length, taken as the first period's (the usual case). A period given by its dates
    (BT-536 to BT-537) is taken as the whole span: renewals without a written length are not added to it."""
    texts = "\n".join(s for s in re.split(r"(?<=[.;])\s+|\n", facts.texts(identifier, RENEWAL_TEXTS))
                       if DURATION_SENTENCE_RE.search(s))
    measure = facts.first("BT-36", "lot", identifier)
    base, fact, dated = _base_duration(facts, identifier, measure)
    written = find_duration(texts) if texts else None
    total = _written_total(texts, written)
    anchor = next(iter(facts.of("BT-57", "lot", identifier) + facts.of("BT-300", "lot", identifier)), measure)
    if total and anchor and (base is None or total >= base):
        return facts.found(anchor, Duration(total, 0, 0, "total", base))
    if base is None and written is not None and written.how in ("initial", "initial+renewals") and anchor:
        base, fact = (written.initial or written.months), anchor
        if written.how == "initial+renewals":
            return facts.found(anchor, Duration(written.months, 0, 0, "initial+renewals", written.initial))
    if not base or fact is None:
        return None
    renewals = facts.first("BT-58", "lot", identifier)
    count = int(_decimal(renewals.value) or 0) if renewals else 0
    if renewals and 0 < count <= 20 and not dated:
        return facts.found(renewals, Duration(_clean(base * (1 + count)), 0, 0, "initial+renewals", base))
    return facts.found(fact, Duration(base, 0, 0, "initial", base))


def _written_total(texts: str, written: Duration | None) -> float | None:
    if written is not None and written.how == "total":
        return written.months
    match = TOTAL_WRITTEN_RE.search(texts)
    if match:
        number, unit = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
        return _clean(months_of(number, unit))
    return None


def _base_duration(facts: _Facts, identifier: str, measure: NoticeFact | None):
    """BT-36 in its unit, else the span of BT-536 to BT-537 (then `dated` is True)."""
    if measure:
        number = _decimal(measure.value)
        per_unit = MONTHS_PER_UNIT.get(measure.attributes.get("unitCode", "MONTH"))
        if number is not None and per_unit and number > 0:
            return _clean(float(number) * per_unit), measure, False
    start, end = facts.first("BT-536", "lot", identifier), facts.first("BT-537", "lot", identifier)
    first_day, last_day = _date(start.value) if start else None, _date(end.value) if end else None
    if first_day and last_day and last_day > first_day:
        return _clean(round(((last_day - first_day).days + 1) / 30.44)), end, True
    return None, None, False


def _clean(months: float) -> float | int:
    months = round(months, 1)
    return int(months) if float(months).is_integer() else months


def _date(text: str) -> date | None:
    """"2024-03-04+01:00": the day of an eForms date (its time zone aside)."""
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def _dates(reading: Reading, facts: _Facts) -> None:
    published = facts.first("OPP-012") or facts.first("BT-05")
    if published and (day := _date(published.value)):
        reading.dates["publication"] = facts.found(published, day)
    deadlines = [(f, lot) for lot in facts.notice.lots for f in facts.of("BT-131", "lot", lot)]
    if deadlines and (day := _date(deadlines[0][0].value)):
        fact, lot = deadlines[0]
        hours = facts.of("BT-131-time", "lot", lot)
        found = facts.found(fact, day)
        reading.dates["offers_deadline"] = DateFound(found.value, found.evidence, found.rank,
                                                      time=_hour(hours[0].value) if hours else None)


def _hour(value: str) -> str | None:
    """eForms EndTime "12:00:00.0000000+01:00" → "12:00" (the buyer's local hour, as printed)."""
    match = re.match(r"([01]\d|2[0-3]):([0-5]\d)", value.strip())
    return f"{match.group(1)}:{match.group(2)}" if match else None


def _lot_spans(context: ReadContext, notice: EformsNotice, numbers: dict[str, int]) -> list[tuple[int, int, int]]:
    """Stream offsets of each lot's blocks, for the provisions reader: a note of lot 2 is lot 2's."""
    starts = context.doc.starts
    first_block: dict[str, int] = {}
    for fact in notice.facts:
        if fact.lot is not None:
            first_block.setdefault(fact.lot, max(0, fact.block - 1))  # the lot's heading stands just before
    ordered = [identifier for identifier in notice.lots if identifier in first_block]
    spans = []
    for index, identifier in enumerate(ordered):
        end = starts[first_block[ordered[index + 1]]] if index + 1 < len(ordered) else len(context.doc.text)
        spans.append((starts[first_block[identifier]], end, numbers[identifier]))
    return spans


def _provisions(facts: _Facts, notice: EformsNotice, reading: Reading, numbers: dict[str, int]) -> list[SocialProvision]:
    """The provisions the codes state, tender-wide (notice scope) or for a lot."""
    provisions = _coded(facts, "notice", None, None)
    for identifier in notice.lots:
        provisions += _coded(facts, "lot", identifier, numbers[identifier])
        provisions += _criteria(facts, identifier, numbers[identifier])
    social_form = facts.first("BT-02")
    if social_form and social_form.value.endswith("-social") and _social_service_codes(facts, reading):
        provisions.append(SocialProvision(ProvisionKind.SOCIAL_SERVICES_PROCEDURE, facts.evidence(social_form)))
    return _collapsed(provisions, len(notice.lots))


def _coded(facts: _Facts, scope: str, identifier: str | None, number: int | None) -> list[SocialProvision]:
    found = []
    for fact in facts.of("BT-71", scope, identifier):
        kind = {"res-ws": ProvisionKind.RESERVED_DISABILITY, "res-pub-ser": ProvisionKind.RESERVED_ESS}.get(fact.value)
        if kind:
            found.append(SocialProvision(kind, facts.evidence(fact), number))
    for fact in facts.of("BT-736", scope, identifier):
        if fact.value == "yes":
            found.append(SocialProvision(ProvisionKind.RESERVED_DISABILITY, facts.evidence(fact), number))
    objectives = facts.of("BT-775", scope, identifier)
    strategic = [f for f in facts.of("BT-06", scope, identifier) if f.value == "soc-obj"]
    employment = [f for f in objectives if f.value == "opp"]
    decent_work = [f for f in objectives if f.value in ("wor-cond", "hum-right")]
    if employment:
        found.append(SocialProvision(ProvisionKind.INSERTION_CLAUSE, facts.evidence(employment[0]), number))
    if decent_work:
        found.append(SocialProvision(ProvisionKind.ETHICAL_PURCHASING, facts.evidence(decent_work[0]), number))
    if strategic and not objectives:
        # "Objectif social" ticked without saying which: in French practice the social consideration of a notice
        # is the insertion clause unless the text says otherwise (the provisions reader reads BT-777 for that).
        found.append(SocialProvision(ProvisionKind.INSERTION_CLAUSE, facts.evidence(strategic[0]), number))
    return found


def _criteria(facts: _Facts, identifier: str, number: int) -> list[SocialProvision]:
    """An award criterion whose name or description speaks of the social, with its weight (BT-541)."""
    found = []
    criteria: dict[int | None, list[NoticeFact]] = {}
    for fact in facts.notice.facts:
        if fact.scope == "criterion" and fact.lot == identifier:
            criteria.setdefault(fact.criterion, []).append(fact)
    for own in criteria.values():
        words = [f for f in own if f.term in ("BT-734", "BT-540")]
        text = fold(" ".join(f.value for f in words))
        if not words or not SOCIAL_CRITERION_RE.search(NOT_SOCIAL_RE.sub(" ", text)):
            continue
        weight_fact = next((f for f in own if f.term == "BT-541"), None)
        weight = _decimal(weight_fact.value) if weight_fact else None
        found.append(SocialProvision(ProvisionKind.SOCIAL_CRITERION, facts.evidence(words[0]), number,
                                     weight_percent=float(weight) if weight is not None and 0 < weight <= 100 else None))
    return found


def _social_service_codes(facts: _Facts, reading: Reading) -> bool:
    """A notice of the social-services form whose codes are social or other specific services (annex XIV)."""
    from procure import law

    on = next((f.value for f in reading.dates.values()), None) or date.today()
    codes = [code for code, _ in reading.cpv] + [code for lot in reading.lots.values() for code, _ in lot.cpv]
    return any(law.is_social_service(code.code, on) for code in codes)


def _collapsed(provisions: list[SocialProvision], lot_count: int) -> list[SocialProvision]:
    """One provision per kind and lot; a kind stated for the whole notice, for its only lot or for every lot of
    it becomes one tender-wide provision (the notice-level one, else that of the lowest lot)."""
    by_kind: dict[ProvisionKind, dict[int | None, SocialProvision]] = {}
    for provision in provisions:
        by_kind.setdefault(provision.kind, {}).setdefault(provision.lot, provision)
    collapsed = []
    for per_lot in by_kind.values():
        lots = sorted(lot for lot in per_lot if lot is not None)
        if None in per_lot or lot_count <= 1 or len(lots) == lot_count:
            provision = per_lot.get(None) or per_lot[lots[0]]
            provision.lot = None
            collapsed.append(provision)
        else:
            collapsed += [per_lot[lot] for lot in lots]
    return collapsed


READER = Reader(Layout.EFORMS_DATA, "avis eForms en données (XML de TED, JSON de l'open data du BOAMP), lu par termes métier",
                detects, read, role=DocumentRole.AVIS, reads_dates=True)
