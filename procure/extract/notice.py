"""Published notices: the BOAMP print of the EU standard form (sections I to VI, one II.2 block per lot) and
the national BOAMP form ("Label : value." lines, "Lot(s) 1. - …" blocks, with or without a summary first)."""
from __future__ import annotations

import re
from collections.abc import Sequence

from procure.extract import buyer as buyer_rules
from procure.extract.document import DocText
from procure.extract.fields import Value, first_value, read_value
from procure.extract.places import nuts_codes, place_from_nuts, place_from_text
from procure.extract.quantities import Duration, amount_mentions, find_duration
from procure.extract.reading import (
    AmountFound,
    Found,
    LotReading,
    Reading,
    duration_found,
    found,
    procedure_in,
    procedure_value,
)
from procure.model import CpvCode, Evidence
from procure.reference.cpv import Nomenclature, find_cpv_codes
from procure.text.nlp import fold_aligned

CODE_RE = re.compile(r"^[ \t]*((?:vi|iv|v|i{1,3})\.\d{1,2}(?:\.\d{1,2})?)\s?\)", re.M)
LOT_NUMBER_RE = re.compile(r"lot\s*n?\s*[°ºo]?\s*:?\s*(\d{1,3})\b")
LOT_PREFIX_RE = re.compile(r"^\s*lot\s*n?\s*[°ºo]?\s*\.?\s*\d{1,3}\s*[:.\-–]*\s*", re.I)


class EuForm:
    """Sections of an EU standard form, addressable by code ("ii.1.1") within a range."""

    def __init__(self, doc: DocText) -> None:
        self.doc = doc
        marks = [(m.group(1), m.start()) for m in CODE_RE.finditer(doc.folded)]
        self.sections = [(code, start, marks[i + 1][1] if i + 1 < len(marks) else len(doc.folded))
                         for i, (code, start) in enumerate(marks)]

    def find(self, code: str, lo: int = 0, hi: int | None = None) -> tuple[int, int] | None:
        hi = len(self.doc.folded) if hi is None else hi
        for key, start, end in self.sections:
            if key == code and lo <= start < hi:
                return start, min(end, hi)
        return None

    def span(self, code: str, lo: int = 0, hi: int | None = None) -> tuple[int, int] | None:
        """A section with its subsections ("ii.2.7" up to the next section that is not "ii.2.7.x")."""
        found_at = self.find(code, lo, hi)
        if not found_at:
            return None
        start = found_at[0]
        hi = len(self.doc.folded) if hi is None else hi
        following = [s for key, s, _ in self.sections if s > start and not key.startswith(code + ".") and s <= hi]
        return start, (following[0] if following else hi)

    def lot_blocks(self) -> list[tuple[int, int]]:
        starts = [start for key, start, _ in self.sections if key == "ii.2"]
        ends = [start for key, start, _ in self.sections if not key.startswith("ii.2") and start > (starts[0] if starts else 0)]
        blocks = []
        for i, start in enumerate(starts):
            limit = starts[i + 1] if i + 1 < len(starts) else next((e for e in ends if e > start), len(self.doc.folded))
            blocks.append((start, limit))
        return blocks

    def text(self, span: tuple[int, int] | None) -> str:
        return self.doc.folded[span[0] : span[1]] if span else ""


def with_form_lines(doc: DocText) -> DocText:
    """A notice of one lot per page opens and closes every page with the same section lines ("II.2.6)Valeur
    estimée", "Valeur hors TVA : # euros"), which the running-header test set apart as furniture: a form's
    numbered sections are its content, so the page edges are put back in reading order."""
    if not any(CODE_RE.match(fold_aligned(b.text)) for b in doc.furniture):
        return doc
    from procure.extract.document import stream_of

    blocks = sorted(doc.blocks + doc.furniture, key=lambda b: (b.page or 0, b.index))
    return stream_of(doc.name, doc.role, blocks, [], doc.layout)


def read_eu_form(doc: DocText, rank: float, nomenclature: Nomenclature | None) -> Reading:
    doc = with_form_lines(doc)
    form, reading = EuForm(doc), Reading(doc, rank)
    _eu_buyer(form, reading)
    title = form.find("ii.1.1")
    if title:
        value = first_value(doc, re.compile(r"intitule\s*:"), title[0], title[1] + 400, line_start=False,
                            stop=re.compile(r"numero\s+de\s+reference|ii\.1\.2\)"))
        if value:
            reading.object = Found(value.text, value.evidence(), rank)
        reference = first_value(doc, re.compile(r"numero\s+de\s+reference\s*:"), title[0], title[1] + 400, line_start=False, max_lines=1)
        if reference and _reference_token(reference.text):
            reading.reference = Found(_reference_token(reference.text), reference.evidence(), rank)
    if reading.reference is None:
        _reference_in_free_text(doc, reading, rank)
    else:
        _reference_without_suffix(doc, reading, rank)
    main_cpv = form.span("ii.1.2")
    if main_cpv:
        reading.cpv = _codes(doc, main_cpv, nomenclature)
    division = form.text(form.span("ii.1.6"))
    if re.search(r"divise\s+en\s+lots\s*:\s*non", division):
        reading.divided = False
    elif re.search(r"divise\s+en\s+lots\s*:\s*oui", division):
        reading.divided = True
    _eu_procedure(form, reading)
    description = form.span("ii.1.4")
    extra = form.span("vi.3")
    for span in (description, extra, form.span("ii.1.5")):
        if span:
            reading.amounts += _amounts(doc, span, rank + 0.5)
    for index, block in enumerate(form.lot_blocks()):
        _eu_lot(form, reading, block, index, nomenclature)
    _renewals_in_additional_information(form, reading, extra)
    _renewals_as_the_other_lots(form, reading)
    if reading.divided is False and len(reading.lots) > 1:
        reading.lots = {1: next(iter(reading.lots.values()))}
    if reading.divided is False and reading.lots:
        lot = next(iter(reading.lots.values()))  # not divided: the main code of II.1.2, then those of II.2.2
        if lot.title and lot.title.rank > rank and reading.object:
            lot.title = None  # II.2.1 empty: the contract's title (II.1.1), not the first words of II.2.4
        known = {code.code for code, _ in reading.cpv}
        lot.cpv = list(reading.cpv) + [(c, e) for c, e in lot.cpv if c.code not in known]
    durations = [lot.duration for lot in reading.lots.values() if lot.duration]
    if durations:
        reading.duration = durations[0]
    return reading


def _eu_buyer(form: EuForm, reading: Reading) -> None:
    doc, section = form.doc, form.find("i.1")
    if section:
        header_end = doc.line_end(section[0])
        value = read_value(doc, header_end, section[1], max_lines=2)
        if value:
            name = buyer_rules.clean_name(value.text)
            if name:
                position = doc.text.find(name, value.start)
                reading.buyer = Found(name, doc.evidence(position, position + len(name)), reading.rank)
    category = buyer_rules.category(reading.buyer.value if reading.buyer else None,
                                    form.text(form.span("i.4")) + " " + doc.folded[:3000])
    if category:
        reading.buyer_category = Found(category, reading.buyer.evidence if reading.buyer else None, reading.rank)


RENEWAL_YES_RE = re.compile(r"reconduction\s*:\s*oui")
# Social and specific services: IV.1.1 ticks "ouverte" or "négociations" while IV.1.11 or VI.3 says the contract is
# awarded by the adapted procedure of R2123-1 3° — the article decides.
ADAPTED_RE = re.compile(
    r"selon\s+(?:une\s+|la\s+)?procedure\s+adaptee|procedure\s+adaptee[^.;]{0,60}?[lr]\.?\s?2123[\s-]?1\b|"
    r"(?:passee?|conclue?|soumise?)\s+(?:en\s+application\s+de|selon|a)\s+l'article\s+[lr]\.?\s?2123[\s-]?1\b"
)


def _eu_procedure(form: EuForm, reading: Reading) -> None:
    doc = form.doc
    adapted = ADAPTED_RE.search(doc.folded)
    if adapted:
        reading.procedure = found(doc, procedure_value("MAPA"), adapted.start(), adapted.end(), reading.rank)
        return
    for span in (form.span("iv.1.1"), (0, min(len(doc.folded), 1500))):
        if not span:
            continue
        named = procedure_in(doc.folded[span[0] : span[1]])
        if named:
            code, _, start, end = named
            reading.procedure = found(doc, procedure_value(code), span[0] + start, span[0] + end, reading.rank)
            return


def _renewals_as_the_other_lots(form: EuForm, reading: Reading) -> None:
    """A lot ticked "reconduction : oui" whose modalities box is empty or holds its title again, among lots of the
    same first period that all state the same renewals: it is renewed as they are (the notice's one pattern)."""
    renewed: dict[int | None, set[int]] = {}
    for _, _, number in reading.lot_spans:
        lot = reading.lots.get(number)
        if lot and lot.duration and lot.duration.value.how != "initial":
            renewed.setdefault(lot.duration.value.initial, set()).add(lot.duration.value.months)
    for start, end, number in reading.lot_spans:
        lot = reading.lots.get(number)
        if lot is None or lot.duration is None or lot.duration.value.how != "initial":
            continue
        months = renewed.get(lot.duration.value.months)
        if months and len(months) == 1 and RENEWAL_YES_RE.search(form.doc.folded, start, end):
            (total,) = months
            stated = lot.duration.value
            lot.duration = Found(Duration(total, stated.start, stated.end, "initial+renewals", stated.months),
                                 lot.duration.evidence, lot.duration.rank + 0.2)


def _renewals_in_additional_information(form: EuForm, reading: Reading, extra: tuple[int, int] | None) -> None:
    """"Reconduction : oui" (or no renewal box at all) in a lot while only VI.3 states the renewals ("durée maximale du contrat, toutes
    périodes confondues, de 48 mois"): the lot lasts as VI.3 says, when that is longer than its first period."""
    if not extra:
        return
    stated = find_duration(form.text(extra))
    if stated is None:
        return
    for start, end, number in reading.lot_spans:
        lot = reading.lots.get(number)
        if lot is None or lot.duration is None or lot.duration.value.how != "initial":
            continue
        block = form.doc.folded[start:end]
        silent = "reconduc" not in block and "renouvel" not in block  # the social-services form has no renewal box
        if (RENEWAL_YES_RE.search(block) or silent) and stated.how != "initial" and stated.months > lot.duration.value.months:
            lot.duration = duration_found(form.doc, stated, extra[0], lot.duration.rank)


def _eu_lot(form: EuForm, reading: Reading, block: tuple[int, int], index: int, nomenclature) -> None:
    doc, rank = form.doc, reading.rank
    number_match = LOT_NUMBER_RE.search(doc.folded, block[0], min(block[1], block[0] + 600))
    number = int(number_match.group(1)) if number_match else index + 1
    lot = reading.lot(number)
    reading.lot_spans.append((block[0], block[1], number))
    title_span = form.find("ii.2.1", *block)
    title = None
    if title_span:
        title = first_value(doc, re.compile(r"intitule\s*:"), title_span[0], title_span[1], line_start=False,
                            stop=re.compile(r"\blot\s*n\s*[°ºo]\s*:"), max_lines=3)
    title_text = _strip_lot_prefix(title.text) if title else ""
    if title and len(title_text) > 2:
        lot.title = Found(title_text, title.evidence(), rank)
    else:
        described = form.find("ii.2.4", *block)
        value = first_value(doc, re.compile(r"description\s+des\s+prestations\s*:"), described[0], described[1],
                            line_start=False, max_lines=3) if described else None
        if value:
            lot.title = Found(_first_phrase(_strip_lot_prefix(value.text)), value.evidence(), rank + 0.5)
    codes = form.span("ii.2.2", *block)
    if codes:
        lot.cpv = _codes(doc, codes, nomenclature)
    _eu_lot_place(form, lot, block, rank)
    for code in ("ii.2.6", "ii.2.4", "ii.2.14"):
        span = form.span(code, *block)
        if span:
            lot.amounts += _amounts(doc, span, rank + (0 if code == "ii.2.6" else 0.2))
    duration_span = form.span("ii.2.7", *block)
    if duration_span:
        end = form.find("ii.2.9", *block) or form.find("ii.2.10", *block)
        scope = (duration_span[0], end[0] if end else duration_span[1])
        info = form.span("ii.2.14", *block)
        text = doc.folded[scope[0] : scope[1]] + (" " + doc.folded[info[0] : info[1]] if info else "")
        lot.duration = duration_found(doc, find_duration(text), scope[0], rank)


def _eu_lot_place(form: EuForm, lot: LotReading, block: tuple[int, int], rank: float) -> None:
    doc = form.doc
    span = form.span("ii.2.3", *block)
    if not span:
        return
    nuts = nuts_codes(doc.text[span[0] : span[1]])
    hint = place_from_nuts(nuts[0]) if nuts else None
    value = first_value(doc, re.compile(r"lieu\s+principal\s+d'execution\s*:"), span[0], span[1], line_start=False, max_lines=2)
    if value:
        place = place_from_text(value.text, hint.department if hint else None)
        if place:
            lot.place = Found(place, value.evidence(), rank)
            return
    if hint:
        position = doc.text.upper().find(nuts[0], span[0], span[1])
        lot.place = Found(hint, doc.evidence(position, position + len(nuts[0])), rank + 0.5)


# National BOAMP form --------------------------------------------------------------------------------------

NATIONAL_LABELS = {
    "buyer": re.compile(r"nom\s+et\s+adresse\s+officiels?\s+de\s+l'organisme\s+acheteur\s*:|nom\s+complet\s+de\s+l'acheteur\s*:"),
    "object": re.compile(r"objet\s+du\s+marche\s*:|intitule\s+du\s+marche\s*:"),
    "reference": re.compile(r"numero\s+de\s+reference\s+attribue\s+au\s+marche[^:]{0,80}:|numero\s+de\s+la\s+consultation\s*:|"
                            r"reference\s+(?:de\s+la\s+consultation|acheteur)\s*:"),
    "cpv": re.compile(r"c\.?p\.?v\.?\s*-\s*objet\s+principal\s*:|objets?\s+supplementaires?\s*:|classification\s+cpv\s*:"),
    "place": re.compile(r"lieu\s+d'execution(?:\s+des\s+travaux[^:]{0,90})?\s*:|lieu\s+de\s+livraison\s*:|lieu\s+d'execution\s+et\s+de\s+livraison\s*:"),
    "procedure": re.compile(r"type\s+de\s+procedure\s*:|procedure\s*:"),
    "divided": re.compile(r"prestations\s+divisees\s+en\s+lots\s*:\s*(oui|non)"),
}
NATIONAL_LOT_RE = re.compile(r"^[ \t]*lots?\s*(?:\(s\))?\s*(?:n\s*[°ºo]\s*)?(\d{1,3})\s*(?:\.\s*-|\.|:|-|–)\s*", re.M)
NATIONAL_LOT_END_RE = re.compile(
    r"^[ \t]*(?:renseignements\s+complementaires|date\s+(?:limite|d'envoi)|conditions\s+de\s+participation|criteres\s+d'attribution|"
    r"instance\s+chargee|adresse\s+auprès|adresse\s+aupres|type\s+de\s+procedure)", re.M)


def read_national_form(doc: DocText, rank: float, nomenclature: Nomenclature | None) -> Reading:
    reading = Reading(doc, rank)
    folded = doc.folded
    value = first_value(doc, NATIONAL_LABELS["buyer"], line_start=False, max_lines=2)
    if value:
        name = buyer_rules.clean_name(value.text)
        if name:
            reading.buyer = Found(name, value.evidence(), rank)
    category = buyer_rules.category(reading.buyer.value if reading.buyer else None, folded[:4000])
    if category:
        reading.buyer_category = Found(category, reading.buyer.evidence if reading.buyer else None, rank)
    value = _last_complete(doc, NATIONAL_LABELS["object"])
    if value:
        text = re.sub(r"^\s*(?:num[ée]ro\s+de\s+la\s+consultation\s*:\s*)?\S*\d\S*\s+(?=[a-zA-Zéè])", "", value.text) \
            if re.match(r"^\s*(?:num[ée]ro\s+de\s+la\s+consultation|\S*\d)", value.text, re.I) else value.text
        reading.object = Found(text, value.evidence(), rank)
    value = first_value(doc, NATIONAL_LABELS["reference"], line_start=False, max_lines=2)
    if value and _reference_token(value.text):
        reading.reference = Found(_reference_token(value.text), value.evidence(), rank)
    _national_procedure(doc, reading)
    divided = NATIONAL_LABELS["divided"].search(folded)
    if divided:
        reading.divided = divided.group(1) == "oui"
    _national_place(doc, reading)
    blocks = _national_lots(doc, reading, nomenclature)
    spans = [(start, end) for start, end, _ in blocks]
    outside = _blank(folded, spans)
    reading.cpv = _labelled_codes(doc, 0, len(folded), nomenclature, skip=spans)  # codes of a lot block are the lot's
    amounts = _amounts(doc, (0, len(folded)), rank + 0.5)
    reading.amounts = _to_lots(doc, reading, amounts, blocks)
    reading.duration = duration_found(doc, find_duration(outside), 0, rank)
    if reading.divided is False:
        reading.lots = {}
    return reading


def _last_complete(doc: DocText, pattern: re.Pattern) -> Value | None:
    """The last labelled value: in a summary-then-full-text notice, the full text comes last and is cleaner."""
    values = [read_value(doc, m.end(), max_lines=4) for m in pattern.finditer(doc.folded)]
    complete = [v for v in values if v is not None and len(v.text) > 3]
    return max(complete, key=lambda v: (len(v.text) < 400, v.start)) if complete else None


def _national_procedure(doc: DocText, reading: Reading) -> None:
    for match in NATIONAL_LABELS["procedure"].finditer(doc.folded):
        value = read_value(doc, match.end(), max_lines=2)
        named = procedure_in(value.folded) if value else None
        if value and named:
            reading.procedure = Found(procedure_value(named[0]), value.evidence(), reading.rank)
            return
    named = procedure_in(doc.folded[:1500])
    if named:
        reading.procedure = found(doc, procedure_value(named[0]), named[2], named[3], reading.rank + 0.5)


def _national_place(doc: DocText, reading: Reading) -> None:
    nuts_match = re.search(r"code\s+nuts\s*:\s*-?\s*(fr[a-z0-9]{0,3})", doc.folded)
    hint = place_from_nuts(nuts_match.group(1)) if nuts_match else None
    for match in NATIONAL_LABELS["place"].finditer(doc.folded):
        value = read_value(doc, match.end(), max_lines=2)
        if value:
            place = place_from_text(value.text, hint.department if hint else None)
            if place:
                reading.place = Found(place, value.evidence(), reading.rank)
                return
    if hint and nuts_match:
        reading.place = found(doc, hint, nuts_match.start(1), nuts_match.end(1), reading.rank + 0.5)


def _blank(folded: str, spans: list[tuple[int, int]]) -> str:
    """The text with some spans blanked out (offsets kept)."""
    chars = list(folded)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


INLINE_LOT_RE = re.compile(r"lot\s*(?:n\s*[°ºo]\s*)?(\d{1,2})\s*[:\-–]")  # "…euro HTLot 2 :" is glued


def _to_lots(doc: DocText, reading: Reading, amounts: list[AmountFound],
             blocks: Sequence[tuple[int, int, int]] = ()) -> list[AmountFound]:
    """Amounts go to the lot named last before them when no other figure stands between ("- lot no1 : 35 000
    euros- lot no2 : 10 000 euros", "lot no 1 - ramassage … montant maximum : 45 000 euros"), else to the lot
    block they stand in; global amounts and the others stay with the tender."""
    remaining = []
    for amount in amounts:
        if amount.mention.whole_tender:
            remaining.append(amount)
            continue
        block = next((number for start, end, number in blocks if start <= amount.mention.start < end), None)
        before = doc.folded[max(0, amount.mention.start - 320) : amount.mention.start]
        mentions = list(INLINE_LOT_RE.finditer(before))
        match = mentions[-1] if mentions else None
        if match and int(match.group(1)) in reading.lots:
            reading.lots[int(match.group(1))].amounts.append(AmountFound(amount.mention, doc, reading.rank))
        elif block is not None and block in reading.lots:
            reading.lots[block].amounts.append(AmountFound(amount.mention, doc, reading.rank))
        else:
            remaining.append(amount)
    return remaining


# "Lot(s) VRD - Gros oeuvre -Carrelage. -" / "Selon CCTP Lot 1": a lot whose number is not in its heading.
UNNUMBERED_LOT_RE = re.compile(r"^[ \t]*lot\(s\)\s+(?=[a-z])", re.M)


def _lot_heads(folded: str) -> list[tuple[re.Match, int]]:
    """Lot headings of a national notice with their numbers: from the heading, else from a "Lot N" just below
    it, else by their order."""
    heads = [(m, int(m.group(1))) for m in NATIONAL_LOT_RE.finditer(folded)]
    unnumbered = list(UNNUMBERED_LOT_RE.finditer(folded))
    if unnumbered and not any(m.start() > unnumbered[0].start() for m, _ in heads):
        for order, match in enumerate(unnumbered, start=1):
            below = re.search(r"\blot\s*(?:n\s*[°ºo]\s*)?(\d{1,2})\b", folded[match.end() : match.end() + 160])
            heads.append((match, int(below.group(1)) if below else order))
    return sorted(heads, key=lambda pair: pair[0].start())


def _national_lots(doc: DocText, reading: Reading, nomenclature) -> list[tuple[int, int, int]]:
    folded = doc.folded
    spans: list[tuple[int, int, int]] = []
    heads = _lot_heads(folded)
    for i, (head, number) in enumerate(heads):
        end = heads[i + 1][0].start() if i + 1 < len(heads) else len(folded)
        stop = NATIONAL_LOT_END_RE.search(folded, head.end(), end)
        end = stop.start() if stop else end
        if number == 0:
            continue
        spans.append((head.start(), end, number))
        reading.lot_spans.append((head.start(), end, number))
        lot = reading.lot(number)
        value = read_value(doc, head.end(), end, max_lines=2,
                           stop=re.compile(r"\s(?:duree|cout\s+estime|c\.p\.v\.|montant|mots\s+descripteurs|selon\s+cctp)\b"))
        title = _before_restatement(_strip_lot_prefix(value.text)) if value else ""
        if value and title:  # a summary comes first: the full text that follows is cleaner and wins
            lot.title = Found(title.strip(" .-"), value.evidence(), reading.rank)
        codes = _labelled_codes(doc, head.start(), end, nomenclature)
        if codes:
            lot.cpv = codes
        duration = find_duration(folded[head.start() : end])
        if duration:
            lot.duration = duration_found(doc, duration, head.start(), reading.rank)
    return spans


def _labelled_codes(doc: DocText, start: int, end: int, nomenclature: Nomenclature | None,
                    skip: Sequence[tuple[int, int]] = ()) -> list[tuple[CpvCode, Evidence]]:
    codes: list[tuple[CpvCode, Evidence]] = []
    seen: set[str] = set()
    for match in NATIONAL_LABELS["cpv"].finditer(doc.folded, start, end):
        stop = re.search(r"[a-z]{4,}", doc.folded[match.end() : match.end() + 200])
        limit = match.end() + (stop.start() if stop else 200)
        for code, s, e in find_cpv_codes(doc.text[match.end() : limit], nomenclature):
            if code.code not in seen and not any(low <= match.end() + s < high for low, high in skip):
                seen.add(code.code)
                codes.append((code, doc.evidence(match.end() + s, match.end() + e)))
    return codes


# Shared helpers ----------------------------------------------------------------------------------------------

REFERENCE_TOKEN_RE = re.compile(r"^\s*(?:n\s*[°ºo]\s*)?([A-Za-z0-9][A-Za-z0-9_./-]{1,40})")


def _reference_token(text: str) -> str | None:
    match = REFERENCE_TOKEN_RE.match(text)
    if not match:
        return None
    token = match.group(1).rstrip("./-")
    return token if re.search(r"\d", token) and len(token) >= 3 else None


def _reference_without_suffix(doc: DocText, reading: Reading, rank: float) -> None:
    """II.1.1 "20stch06/Jo" while VI.3 says "Numéro de la consultation : 20stch06": the consultation's own number,
    without the publication suffix glued to it."""
    stated = Reading(doc, rank)
    _reference_in_free_text(doc, stated, rank)
    if stated.reference is None or reading.reference is None:
        return
    short, long = stated.reference.value, reading.reference.value
    if len(short) < len(long) and long.lower().startswith(short.lower()) and long[len(short)] in "/-_ ":
        reading.reference = Found(short, stated.reference.evidence, rank)


def _reference_in_free_text(doc: DocText, reading: Reading, rank: float) -> None:
    pattern = re.compile(r"numero\s+de\s+la\s+consultation\s*:|reference\s+de\s+la\s+consultation\s*:|sous\s+la\s+reference\s*:")
    for match in pattern.finditer(doc.folded):
        value = read_value(doc, match.end(), max_lines=1)
        token = _reference_token(value.text) if value else None
        if value and token:
            reading.reference = Found(token, value.evidence(), rank + 0.5)
            return


def _codes(doc: DocText, span: tuple[int, int], nomenclature):
    return [(code, doc.evidence(span[0] + s, span[0] + e)) for code, s, e in find_cpv_codes(doc.text[span[0] : span[1]], nomenclature)]


def _amounts(doc: DocText, span: tuple[int, int], rank: float) -> list[AmountFound]:
    mentions = amount_mentions(doc.text, doc.folded, span[0], span[1])  # the whole text: context may precede the span
    return [AmountFound(m, doc, rank) for m in mentions]


def _before_restatement(title: str) -> str:
    """"Rédaction de contenus pour le magazine rédaction de contenus pour le magazine intitulé …": the national form
    prints the lot's title, then its description, which often starts by restating it (sometimes glued to it)."""
    words = title.split()
    if len(words) < 8:
        return title
    opening = re.escape(" ".join(words[:4])).replace(r"\ ", r"\s+")
    again = re.compile(opening, re.I).search(title, len(words[0]) + 1)
    if again is None or again.start() <= 10:
        return title
    before = title[: again.start()].rstrip()
    if re.search(r"(?:\b(?:et|ou)|[,;–-])$", before, re.I):
        return title  # "… de la commune et entretien des espaces verts des écoles": one title, two parts
    return before


def _strip_lot_prefix(text: str) -> str:
    return LOT_PREFIX_RE.sub("", text).strip(" :-–.")


def _first_phrase(text: str, limit: int = 160) -> str:
    cut = re.split(r"(?<=[a-zé])\.\s|\s[-–]\s(?=[A-Z][a-z]+\s*:)", text)[0]
    return cut[:limit].strip()
