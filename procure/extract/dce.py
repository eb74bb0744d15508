"""Ordinary pieces of a DCE (RC, CCAP, CCTP, CCP, AE, price schedules): title page, labelled fields, object
sections, lot lists and lot tables, amounts and durations in their sentences."""
from __future__ import annotations

import re

from procure.extract import buyer as buyer_rules
from procure.extract.document import DocText
from procure.extract.fields import Value, find_labels, is_caps, read_value
from procure.extract.notice import _amounts, _reference_token, _strip_lot_prefix
from procure.extract.places import nuts_codes, place_from_nuts, place_from_text
from procure.extract.quantities import find_duration
from procure.extract.reading import AmountFound, Found, Reading, duration_found, found, procedure_in, procedure_value
from procure.reference.cpv import Nomenclature, find_cpv_codes
from procure.vocabulary import DocumentRole

OBJECT_LABEL_RE = re.compile(
    r"(?:\d+(?:\.\d+)*[ \t]*[-–.)]?[ \t]*|article[ \t]+\d+[ \t]*[-–.:]?[ \t]*|[ivx]+\.\d?\.?[ \t]*)?"
    r"(?:objet\s+(?:de\s+la\s+consultation|du\s+(?:present\s+)?(?:marche|contrat|accord-cadre|cahier)|de\s+l'accord-cadre|de\s+la\s+prestation|"
    r"des\s+prestations)|intitule\s+(?:de\s+la\s+consultation|du\s+marche)|operation|objet)\s*(?::|\||$|\n)"
)
OBJECT_SENTENCE_RE = re.compile(
    r"(?:la\s+presente\s+consultation|le\s+present\s+(?:marche|accord-cadre|contrat)|l'accord-cadre|le\s+marche|l'operation|"
    r"la\s+consultation|les\s+prestations)\s+(?:(?:a|ont)\s+pour\s+objet|portent?\s+sur)\s+"
)
NOT_OBJECT_RE = re.compile(r"date\s+(?:et\s+heure\s+)?limite|^\s*(?:presentation|generalites|sommaire|preambule)\b|remise\s+des\s+(?:plis|offres)|"
                           r"^\s*(?:de\s+(?:definir|fixer|preciser|decrire)|les\s+conditions|l'ensemble\s+des\s+(?:conditions|prescriptions))|"
                           r"^\s*le\s+present\s+(?:cahier|document|c\.?c\.?[atp]|reglement|dossier)")
REFERENCE_LABEL_RE = re.compile(
    r"(?:consultation|procedure|accord-cadre|marche|dossier|affaire\s+suivie)\s*(?:n\s*[°ºo]|numero)\s*:?|"
    r"(?:n\s*[°ºo]|numero)\s+(?:de\s+(?:la\s+)?)?(?:consultation|marche|procedure)\s*:?|reference\s*(?:de\s+la\s+consultation|du\s+marche)?\s*:|"
    r"^\s*consultation\s*:|^\s*procedure\s*:",
    re.M,
)
NOT_REFERENCE_CONTEXT_RE = re.compile(r"avis\s*n|annonce|affaire\s*$|siret|siren|telephone|tel\b|deliberation|emetteur")
PLACE_LABEL_RE = re.compile(
    r"lieux?\s*(?:\(x\)\s*)?(?:principal\s+)?(?:d'execution|de\s+livraison|d'intervention|des\s+travaux|de\s+realisation)"
    r"(?:\s+des\s+(?:prestations|travaux|services))?\s*:|site\s+concerne\s*:?|sites?\s+d'intervention\s*:"
)
# The place as a heading alone ("3.2 Lieu d'exécution", then a paragraph) or in a sentence ("Les prestations seront
# exécutées sur le territoire de la commune de Rennes").
PLACE_HEADING_RE = re.compile(
    r"^[ \t]*(?:\d+(?:\.\d+)*[ \t]*[-–.)]?[ \t]*|article[ \t]+\d+[ \t]*[-–.:]?[ \t]*)?lieux?\s+(?:d'execution|de\s+livraison|d'intervention|"
    r"de\s+realisation)(?:\s+des\s+(?:prestations|travaux|services))?[ \t]*$", re.M)
PLACE_SENTENCE_RE = re.compile(
    r"(?:prestations|travaux|livraisons|services|interventions)\s+(?:seront|sont)\s+(?:executee?s|realisee?s|effectuee?s|livree?s|"
    r"assuree?s)\s+(?:a\s+|au\s+|aux\s+|en\s+|sur\s+(?:le\s+territoire\s+(?:de\s+|du\s+|des\s+)?(?:la\s+(?:commune|ville)\s+(?:de\s+|d'))?|les?\s+sites?\s+(?:de\s+|du\s+)?|"
    r"la\s+commune\s+de\s+)|dans\s+(?:les\s+locaux\s+(?:de\s+|du\s+)?|le\s+departement\s+(?:de\s+|du\s+|des\s+)?)?)")
NOT_DIVIDED_RE = re.compile(
    r"(?:n'est\s+pas|ne\s+(?:fait|sera)\s+pas\s+l'objet\s+d'une?)\s+(?:prevu\s+de\s+)?(?:decompos|allot|divis)|"
    r"pas\s+(?:prevu\s+)?de\s+decomposition\s+en\s+lots|lot\s+unique|marche\s+unique|n'est\s+pas\s+alloti|"
    r"pas\s+d'allotissement|divisees?\s+en\s+lots\s*:\s*non|accord-cadre\s+unique"
)
LOT_COUNT_RE = re.compile(r"(?:compose|decompose|divise|reparti|alloti)e?s?\s+en\s+(\d{1,2}|deux|trois|quatre|cinq|six|sept|huit|neuf|dix)\s+lots")
LOT_LINE_RE = re.compile(
    r"^[ \t]*[-*•]?\s*lot\s*(?:n\s*[°ºo]\s*|numero\s*)?0*(\d{1,2})(?![\d/])\s*(?:[:\-–.)]\s*|\s+(?=[a-z]))", re.M
)
NOT_LOT_TITLE_RE = re.compile(r"^\s*(?:et\s|a\s|ou\s|,|\d|du\s+marche|concern|sera|est\s|sont\s|des\s+lots)|^\W*$")
WORD_NUMBERS = {"deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9, "dix": 10}
TITLE_END_RE = re.compile(
    r"\s*[(\[]?\s*(?:code\s+)?cpv\b|\s+\d{8}\b|\s+\d[\d \u202f\u00a0.]*(?:,\d+)?\s*(?:€|euros?)|\s[-–]\s*(?:montant|estim|duree|lieu)|"
    r"\s\d{1,2}(?:\.\d{1,2}){1,3}\s+[a-z]|\s[ivx]{1,3}\s+[a-z]{4,}|\.{4,}|\s(?:cahier|c\.c\.t\.p|dossier)\b|\s+lots?\s*n\s*[°ºo]\s*\d"
)


# Pieces that ask rather than state: a bidder's question or a form's blank is never the object, a lot or the buyer.
ASKING_ROLES = frozenset(role for role in DocumentRole if role.traits.asks)
PRICE_ROLES = frozenset(role for role in DocumentRole if role.traits.price_schedule)
# Pieces whose sentences name the places served, not the buyer: only a label or the title page name it there.
TECHNICAL_ROLES = frozenset(role for role in DocumentRole if role.traits.technical)


def read_document(doc: DocText, rank: float, nomenclature: Nomenclature | None, tables: list | None = None) -> Reading:
    reading = Reading(doc, rank)
    role = getattr(doc, "role", "")
    if role in ASKING_ROLES:
        _reference(doc, reading)
        return reading
    _buyer(doc, reading, in_sentences=role not in TECHNICAL_ROLES)
    _object(doc, reading, free_text=role not in PRICE_ROLES)
    _reference(doc, reading)
    _procedure(doc, reading)
    _place(doc, reading)
    _lots(doc, reading, nomenclature)
    for table in tables or []:
        lots_from_table(table, reading, nomenclature)
    _cpv(doc, reading, nomenclature)
    reading.amounts = [a for a in _amounts(doc, (0, len(doc.folded)), rank) if not _in_lot_line(doc, a.mention.start)]
    reading.duration = duration_found(doc, find_duration(_duration_scope(doc)), 0, rank)
    return reading


def _buyer(doc: DocText, reading: Reading, in_sentences: bool = True) -> None:
    value = buyer_rules.labelled_buyer(doc) or buyer_rules.body_on_title_page(doc)
    named = buyer_rules.body_in_text(doc) if value is None and in_sentences else None
    if value is not None:
        reading.buyer = Found(buyer_rules.clean_name(value.text), value.evidence(), reading.rank)
    elif named is not None:
        reading.buyer = Found(named.text, named.evidence(), reading.rank + 0.4)
    else:  # running headers are the title page repeated: trusted in every piece
        name = buyer_rules.body_in_furniture(doc)
        if name:
            block = doc.furniture[0]
            from procure.model import Evidence

            reading.buyer = Found(name, Evidence(block.file, block.page, block.index, 0, len(block.text), name), reading.rank + 0.5)
    if reading.buyer:
        category = buyer_rules.category(reading.buyer.value)
        if category:
            reading.buyer_category = Found(category, reading.buyer.evidence, reading.rank)


def _object(doc: DocText, reading: Reading, free_text: bool = True) -> None:
    """The object from its label, else (`free_text`: not in a price schedule, whose rows are no title) from a
    sentence or the title page."""
    for match in find_labels(doc, OBJECT_LABEL_RE):
        label = re.sub(r"^[\divx.\s)–-]*(?:article\s+\d+\s*[-–.:]?\s*)?", "", match.group(0)).strip(" :\n")
        if label in ("objet", "operation") and match.start() > 3000:
            continue  # a bare "Objet :" deep in a piece is a table cell or a sub-item, not the tender's object
        if _is_toc_line(doc, match.start()):
            continue
        value = read_value(doc, match.end(), max_lines=4, caps_blocks=True)
        if value and _good_object(value):
            reading.object = Found(_without_preamble(value.text), value.evidence(), reading.rank)
            return
    if not free_text:
        return
    for match in OBJECT_SENTENCE_RE.finditer(doc.folded):
        value = read_value(doc, match.end(), max_lines=4)
        if value and _good_object(value):
            text = re.split(r"(?<=[a-zé)])\.\s", value.text)[0]
            reading.object = Found(text, value.evidence(), reading.rank + 0.3)
            return
    title = _title_block(doc)
    if title:
        reading.object = Found(title.text, title.evidence(), reading.rank + 0.6)


PREAMBLE_RE = re.compile(r"^[^.:;]{0,70}?\b(?:a|ont)\s+pour\s+objet\s+(?:de\s+|d'|l'|la\s+|le\s+|les\s+)?", re.I)


def _without_preamble(text: str) -> str:
    """'La consultation a pour objet les prestations d'infogérance…' → 'Les prestations d'infogérance…'."""
    stripped = PREAMBLE_RE.sub("", text)
    return stripped[:1].upper() + stripped[1:] if stripped != text and len(stripped) > 8 else text


def _good_object(value: Value) -> bool:
    text = value.folded
    return len(text) > 8 and not NOT_OBJECT_RE.search(text) and not re.fullmatch(r"[\d\s./-]+", text)


def _is_toc_line(doc: DocText, offset: int) -> bool:
    line = doc.folded[doc.line_start(offset) : doc.line_end(offset)]
    return bool(re.search(r"\.{4,}|\s\d{1,3}\s*$", line))


TITLE_NOISE_RE = re.compile(
    r"\d{2}/\d{2}/\d{2,4}|@|www|https?:|cedex|architecte|economiste|maitr|bet\b|bureau\s+d'etudes|dossier|indice|phase|"
    r"\bdate\b|\bpage\b|sommaire|\btel\b|telephone|fax|mail|^\s*(?:direction|service)\b|emetteur|affaire|edition|redacteur|^\S+/\S+/\S+$|"
    r"cahier\s+des|reglement\s+de|c\.?c\.?[atp]|d\.?p\.?g\.?f|bordereau|acte\s+d'engagement|^\s*lot\b|\d{5}|:\s*$|^[a-z' ]{2,30}\s?:\s"
)


def _title_block(doc: DocText, lines: int = 45) -> Value | None:
    """The tender's name on a title page with no "Objet" label: the longest run of title lines of the first page
    (addresses, people, references, dates and the piece's own title left out)."""
    best: tuple[int, int] | None = None
    run_start, run_lines, offset = None, 0, 0
    for _ in range(lines):
        end = doc.line_end(offset)
        line = doc.folded[offset:end].strip()
        is_title = len(line) >= 6 and not TITLE_NOISE_RE.search(line) and sum(c.isdigit() for c in line) <= 2
        if is_title and run_lines < 4:
            run_start = offset if run_start is None else run_start
            run_lines += 1
            if best is None or end - run_start > best[1] - best[0]:
                best = (run_start, end)
        else:
            run_start, run_lines = None, 0
        if end >= len(doc.folded) or (doc.page_of(end + 1) or 1) > 1:
            break
        offset = end + 1
    if best is None or best[1] - best[0] < 15:
        return None
    return Value(doc, best[0], best[1])


def _reference(doc: DocText, reading: Reading) -> None:
    for match in find_labels(doc, REFERENCE_LABEL_RE, line_start=False):
        before = doc.folded[max(0, match.start() - 25) : match.start()]
        if NOT_REFERENCE_CONTEXT_RE.search(before + match.group(0)):
            continue
        value = read_value(doc, match.end(), max_lines=1)
        token = _reference_token(value.text) if value else None
        if value and token and not re.fullmatch(r"\d{1,2}", token) and not re.fullmatch(r"\d{5}", token):
            reading.reference = Found(token, value.evidence(), reading.rank)
            return
    for block in doc.furniture:
        match = re.search(r"(?:proc[ée]dure|consultation|n°)\s*:?\s*([A-Za-z0-9][A-Za-z0-9_./-]{3,30})", block.text, re.I)
        if match and re.search(r"\d", match.group(1)) and re.search(r"[A-Za-z_]", match.group(1)):
            from procure.model import Evidence

            reading.reference = Found(match.group(1).rstrip("./-"),
                                      Evidence(block.file, block.page, block.index, match.start(1), match.end(1), block.text),
                                      reading.rank + 0.5)
            return


def _procedure(doc: DocText, reading: Reading) -> None:
    sentences = re.finditer(r"(?:procedure|passation|consultation)[^.\n]{0,120}", doc.folded)
    for sentence in sentences:
        named = procedure_in(sentence.group(0))
        if named and not re.search(r"r\.?\s?2122-7|options?|similaires|avenant", sentence.group(0)):
            code, _, start, end = named
            reading.procedure = found(doc, procedure_value(code), sentence.start() + start, sentence.start() + end, reading.rank)
            return
    named = procedure_in(doc.folded[:1500])
    if named:
        reading.procedure = found(doc, procedure_value(named[0]), named[2], named[3], reading.rank + 0.5)


def _place(doc: DocText, reading: Reading) -> None:
    for match in find_labels(doc, PLACE_LABEL_RE, line_start=False):
        value = read_value(doc, match.end(), max_lines=3)
        if not value:
            continue
        nuts = nuts_codes(doc.text[value.end : value.end + 120])
        hint = place_from_nuts(nuts[0]) if nuts else None
        place = place_from_text(value.text, hint.department if hint else None)
        if place:
            reading.place = Found(place, value.evidence(), reading.rank)
            return
        if hint:
            reading.place = Found(hint, value.evidence(), reading.rank + 0.5)
            return
    _place_in_prose(doc, reading)


def _place_in_prose(doc: DocText, reading: Reading) -> None:
    """A place under its own heading or stated in a sentence, when no "Lieu d'exécution :" label gives it."""
    for match in PLACE_HEADING_RE.finditer(doc.folded):
        value = read_value(doc, match.end(), max_lines=2)
        place = place_from_text(value.text) if value else None
        if value and place:
            reading.place = Found(place, value.evidence(), reading.rank + 0.2)
            return
    for match in PLACE_SENTENCE_RE.finditer(doc.folded):
        end = re.search(r"[.;\n]|$", doc.folded[match.end() : match.end() + 120])
        value = Value(doc, match.end(), match.end() + (end.start() if end else 0))  # "$" always matches
        place = place_from_text(value.text)
        if place:
            reading.place = Found(place, value.evidence(), reading.rank + 0.3)
            return


def _lots(doc: DocText, reading: Reading, nomenclature) -> None:
    folded = doc.folded
    count = LOT_COUNT_RE.search(folded)
    if count:
        raw = count.group(1)
        reading.lot_count = int(raw) if raw.isdigit() else WORD_NUMBERS[raw]
    if NOT_DIVIDED_RE.search(folded) and not count:
        reading.divided = False
        return
    heads = [m for m in LOT_LINE_RE.finditer(folded)
             if 0 < int(m.group(1)) <= (reading.lot_count or 99) and not _is_toc_line(doc, m.start())]
    for i, match in enumerate(heads):
        number = int(match.group(1))
        value = _title_value(doc, match.end())
        lot = reading.lot(number)
        title = _strip_lot_prefix(value.text).strip(" :-–.") if value is not None and not NOT_LOT_TITLE_RE.match(value.folded) else ""
        if value is not None and len(title) > 2 and (lot.title is None or len(title) > len(lot.title.value)
                                                     and lot.title.rank >= reading.rank):
            lot.title = Found(title, value.evidence(), reading.rank)
        end = _section_end(doc, match, heads[i + 1].start() if i + 1 < len(heads) else len(folded))
        _lot_section(doc, reading, lot, match.end(), end, nomenclature)
        reading.lot_spans.append((match.start(), end, number))
    if not heads:
        _allotment_list(doc, reading)
    if reading.lots:
        reading.divided = True


# "2/ Allotissement du projet :" then "01 INSTALLATIONS DE CHANTIER - DEMOLITION", "02 CHARPENTE …": the trades of a
# works DCE listed by number without the word "lot" (00 is the general part, no lot).
ALLOTMENT_HEAD_RE = re.compile(r"(?:allotissement|decomposition\s+en\s+lots|liste\s+des\s+lots|lots\s+(?:sont\s+)?les\s+suivants)"
                               r"(?!\s+(?:et|,)\s+(?:variantes?|tranches?))[^\n\d]{0,40}")
# One item: its number, then its title up to the next number or the end of the line (PDF lines may be joined).
ALLOTMENT_ITEM_RE = re.compile(r"\s*(\d{1,2})[ \t]*[-–.:)]?[ \t]+([A-Za-zÀ-ÿ][^\d\n]{2,120}?)[ \t]*(?=\s\d{1,2}\b|\n|$)")
# Numbered paragraphs of an article are no trades: "1 – Allotissement : sans objet", "2. Tranche optionnelle : …".
NOT_TRADE_RE = re.compile(r"^(?:tranches?|variantes?|allotissement|lots?|objet|duree|delais?|prix|le|la|les|l'|un|une|chaque|"
                          r"il|elle|ils|ce|cette|en|sans)\b|:")


def _allotment_list(doc: DocText, reading: Reading) -> None:
    head = ALLOTMENT_HEAD_RE.search(doc.folded)
    if head is None:
        return
    position, expected, found = head.end(), None, []
    while (item := ALLOTMENT_ITEM_RE.match(doc.text, position)) is not None:
        number = int(item.group(1))
        if (expected is None and number > 1) or (expected is not None and number != expected):
            break  # a list of lots starts at 0 or 1 and counts up by one
        if NOT_TRADE_RE.search(doc.folded[item.start(2) : item.end(2)]) or not _trade_like(item):
            return
        found.append((number, item))
        expected, position = number + 1, item.end()
    lots = [(number, item) for number, item in found if number > 0]
    if len(lots) < 2:
        return
    for number, item in lots:
        title = item.group(2).strip(" :-–.")
        reading.lot(number).title = Found(title, doc.evidence(item.start(2), item.start(2) + len(title)), reading.rank + 0.5)


def _trade_like(item: re.Match) -> bool:
    """A trade of a works DCE is written in capitals ("02 CHARPENTE – COUVERTURE") or numbered on two digits."""
    return is_caps(item.group(2), min_letters=2) or len(item.group(1)) == 2


HEADING_LINE_RE = re.compile(r"^[ \t]*(?:article\s+\d|chapitre|titre\s+[ivx\d]|section\s|[ivx]{1,4}\s*[.-]\s|\d{1,2}(?:\.\d{1,2})*\s*[-–.)]\s)")
LOT_SECTION_MAX = 1500


WRAPPED_END_RE = re.compile(r"(?:\b(?:de|du|des|la|le|les|l'|d'|et|a|au|aux|en|sur|pour|par)|[-–,/])\s*$")


def _title_value(doc: DocText, position: int) -> Value | None:
    """A lot title: its line, and the next one only when the title is visibly wrapped ("… fonctionnel de la" /
    "détention") or the next line goes on in lower case."""
    value = read_value(doc, position, max_lines=1, stop=TITLE_END_RE)
    if value is None:
        return None
    following_start = value.end + 1
    if following_start < len(doc.folded) and doc.text[value.end : following_start] == "\n":
        following = doc.text[following_start : doc.line_end(following_start)].strip()
        if following and (WRAPPED_END_RE.search(doc.folded[value.start : value.end]) or following[0].islower()):
            longer = read_value(doc, position, max_lines=2, stop=TITLE_END_RE)
            return longer or value
    return value


def _section_end(doc: DocText, head: re.Match, next_lot: int) -> int:
    """A lot heading governs the lines below it up to the next lot or the next heading; a line of a list of
    lots governs only itself (and its wrapped continuation)."""
    first_line_end = doc.line_end(head.end())
    following = doc.line_end(first_line_end + 1) if first_line_end + 1 < len(doc.folded) else first_line_end
    if next_lot <= following + 1:
        return min(next_lot, following)
    limit = min(next_lot, head.end() + LOT_SECTION_MAX)
    heading = HEADING_LINE_RE.search(doc.folded, first_line_end + 1, limit)
    return heading.start() if heading else limit


def _lot_section(doc: DocText, reading: Reading, lot, start: int, end: int, nomenclature) -> None:
    text = doc.text[start:end]
    for code, s, e in find_cpv_codes(text, nomenclature):
        if _common_to_all_lots(doc, start + s):
            continue  # "codes CPV communs à tous les lots" printed on the first row of the lot table
        if code.code not in {c.code for c, _ in lot.cpv} and _declared_code(doc, start + s, start + e):
            lot.cpv.append((code, doc.evidence(start + s, start + e)))
    lot.amounts += _with_column_kinds(doc, _amounts(doc, (start, end), reading.rank))
    duration = find_duration(doc.folded[start:end])
    if duration and lot.duration is None:
        lot.duration = duration_found(doc, duration, start, reading.rank)
    for match in PLACE_LABEL_RE.finditer(doc.folded, start, end):
        value = read_value(doc, match.end(), end, max_lines=2)
        place = place_from_text(value.text) if value else None
        if value and place:
            lot.place = Found(place, value.evidence(), reading.rank)
            break


CODE_CONTEXT_RE = re.compile(r"cpv|nomenclature|descripteur|code")
CODE_LABEL_AFTER_RE = re.compile(r"^\s*(?:-\s?\d)?\s*[-–:]?\s*(?:services?|travaux|fournitures?|materiels?|equipements?|logiciels?|[a-z]{4,}\s+(?:de|d'|du|des)\b)")


def _common_to_all_lots(doc: DocText, offset: int) -> bool:
    return bool(re.search(r"communs?\s+a\s+tous\s+les\s+lots|pour\s+(?:tous|l'ensemble\s+des)\s+lots", doc.folded[max(0, offset - 400) : offset]))


def _declared_code(doc: DocText, start: int, end: int) -> bool:
    """An 8-digit number is a CPV code when a CPV label precedes it, a check digit or a label follows it; otherwise it is
    an amount written without spaces, a phone or a SIRET fragment."""
    return bool(CODE_CONTEXT_RE.search(doc.folded[max(0, start - 200) : start]) or CODE_LABEL_AFTER_RE.match(doc.folded[end : end + 40]))


AMOUNT_HEADER_RE = re.compile(r"(estim|previs|maxim|minim)")


def _with_column_kinds(doc: DocText, amounts: list[AmountFound]) -> list[AmountFound]:
    """Amounts on one row of a flattened table take the kinds of the header row above ("Montant estimé HT
    Montant maximum"), in order. A row is one line, or figures standing alone on consecutive lines (a cell per
    line, as a PDF flattens a row whose title wraps); a row that names a kind itself keeps its own words."""
    from procure.model import AmountKind

    kinds = {"estim": AmountKind.ESTIMATE, "previs": AmountKind.ESTIMATE, "maxim": AmountKind.MAXIMUM, "minim": AmountKind.MINIMUM}
    for row in _table_rows(doc, amounts):
        row_start = doc.line_start(row[0].mention.start)
        if len(row) < 2 or AMOUNT_HEADER_RE.search(doc.folded[row_start : row[-1].mention.end]):
            continue
        header = _header_line(doc, row_start, len(row))
        if header:
            for amount, word in zip(row, header):
                amount.mention.kind = kinds[word]
    return amounts


# Between two cells of one row split over lines: nothing but the currency and the tax of the first figure.
CELL_GAP_RE = re.compile(r"\s*(?:€|euros?)?\s*(?:h\.?t\.?|ttc)?\s*")


def _table_rows(doc: DocText, amounts: list[AmountFound]) -> list[list[AmountFound]]:
    rows: list[list[AmountFound]] = []
    for amount in sorted(amounts, key=lambda a: a.mention.start):
        if rows:
            previous = rows[-1][-1].mention
            same_line = doc.line_start(previous.start) == doc.line_start(amount.mention.start)
            gap = doc.folded[previous.end : amount.mention.start]
            next_line_cell = "\n" in gap and CELL_GAP_RE.fullmatch(gap) is not None
            if same_line or next_line_cell:
                rows[-1].append(amount)
                continue
        rows.append([amount])
    return rows


def _header_line(doc: DocText, line_start: int, columns: int, reach: int = 600) -> list[str] | None:
    start = line_start
    while start > 0 and line_start - start < reach:
        start = doc.line_start(start - 1)
        words = AMOUNT_HEADER_RE.findall(doc.folded[start : doc.line_end(start)])
        if len(words) >= columns:
            return words[:columns]
    return None


def _in_lot_line(doc: DocText, offset: int) -> bool:
    """An amount that a lot line or a lot section carries is the lot's, not the tender's."""
    start = doc.line_start(offset)
    for _ in range(12):
        line = doc.folded[start : doc.line_end(start)]
        if LOT_LINE_RE.match(line):
            return True
        if HEADING_LINE_RE.match(line) or start == 0:
            return False
        start = doc.line_start(start - 1)
    return False


def _cpv(doc: DocText, reading: Reading, nomenclature) -> None:
    """Codes declared for the whole tender: near a CPV label (8-digit numbers elsewhere are phones or SIRETs)."""
    seen: set[str] = set()
    for match in re.finditer(r"\bcpv\b|nomenclature\s+(?:europeenne|communautaire)|descripteur", doc.folded):
        if any(start <= match.start() < end for start, end, _ in reading.lot_spans) and not _common_to_all_lots(doc, match.end()):
            continue  # a lot's own code, not the tender's
        window_end = min(len(doc.folded), match.end() + 700)
        for code, s, e in find_cpv_codes(doc.text[match.end() : window_end], nomenclature):
            if code.code not in seen:
                seen.add(code.code)
                reading.cpv.append((code, doc.evidence(match.end() + s, match.end() + e)))


def _duration_scope(doc: DocText) -> str:
    """The folded text with only the passages that speak about the contract's duration kept (the rest blanked,
    so offsets stay valid): offer validity, delivery times and guarantees elsewhere are not durations."""
    folded = doc.folded
    spans: list[list[int]] = []
    for match in re.finditer(r"duree|reconduct|renouvel|conclue?\s+pour|a\s+compter\s+d", folded):
        start, end = max(0, match.start() - 150), min(len(folded), match.end() + 350)
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    parts, position = [], 0
    for start, end in spans:
        parts += [" " * (start - position), folded[start:end]]
        position = end
    parts.append(" " * (len(folded) - position))
    return "".join(parts)


# Lot tables (RC, notice annex): a header row names the columns, one row per lot. ---------------------------

COLUMN_ROLES = [
    ("lot", r"^(?:n°\s*(?:de\s+|du\s+)?)?lots?\b|^n°$|^numero"),
    ("title", r"designation|intitule|objet|libelle|description"),
    ("cpv", r"cpv"),
    ("amount", r"montant|estimation|estime|budget|valeur"),
    ("duration", r"duree"),
    ("place", r"lieu"),
]


def lots_from_table(table, reading: Reading, nomenclature) -> None:
    from procure.text.nlp import fold_aligned

    header_index, roles = _header(table, fold_aligned)
    if header_index is None:
        return
    header = fold_aligned(table.rows[header_index][roles["amount"]]) if "amount" in roles else ""
    header_tax = "HT" if re.search(r"\bht\b|hors\s+tax", header) else "TTC" if "ttc" in header else None
    header_kind = _kind_of_header(header)
    for row, block in zip(table.rows[header_index + 1 :], table.blocks[header_index + 1 :]):
        number = re.search(r"\d{1,3}", row[roles["lot"]]) if roles["lot"] < len(row) else None
        if not number or int(number.group()) == 0:
            continue
        lot = reading.lot(int(number.group()))
        for role, column in roles.items():
            if column < len(row) and row[column]:
                _fill_cell(lot, role, row[column], block, header_tax, header_kind, reading.rank, nomenclature)
    if reading.lots:
        reading.divided = True


def _header(table, fold_aligned) -> tuple[int | None, dict[str, int]]:
    for index, row in enumerate(table.rows[:3]):
        roles: dict[str, int] = {}
        for column, cell in enumerate(row):
            folded = fold_aligned(cell).strip()
            for role, pattern in COLUMN_ROLES:
                if role not in roles and re.search(pattern, folded):
                    roles[role] = column
                    break
        if "lot" in roles and len(roles) >= 2:
            return index, roles
    return None, {}


def _kind_of_header(header: str):
    from procure.model import AmountKind

    if re.search(r"maxim", header):
        return AmountKind.MAXIMUM
    if re.search(r"minim", header):
        return AmountKind.MINIMUM
    if re.search(r"estim|previs", header):
        return AmountKind.ESTIMATE
    return None


def _fill_cell(lot, role: str, cell: str, block, header_tax, header_kind, rank: float, nomenclature) -> None:
    from procure.extract.quantities import AmountMention
    from procure.model import Evidence
    from procure.text.normalize import find_amounts, find_duration_months, parse_number

    start = max(block.text.find(cell), 0)
    evidence = Evidence.from_block(block, start, start + len(cell))
    if role == "title" and (lot.title is None or lot.title.rank > rank):
        lot.title = Found(cell, evidence, rank)
    elif role == "cpv":
        known = {code.code for code, _ in lot.cpv}
        for code, _, _ in find_cpv_codes(cell, nomenclature):
            if code.code not in known:
                lot.cpv.append((code, evidence))
    elif role == "amount":
        amounts = find_amounts(cell)
        value = amounts[0][0].value if amounts else parse_number(re.sub(r"[^\d,. \u00a0\u202f]", "", cell).strip())
        tax = (amounts[0][0].tax if amounts else None) or header_tax
        if value is not None and value >= 500:
            lot.amounts.append(AmountFound(AmountMention(value, tax, header_kind, None, 0, 0), None, rank - 0.1, evidence))
    elif role == "duration" and lot.duration is None:
        found_months = find_duration_months(cell)
        if found_months:
            from procure.extract.quantities import Duration

            lot.duration = Found(Duration(found_months[0], 0, 0, "initial"), evidence, rank)
    elif role == "place" and lot.place is None:
        place = place_from_text(cell)
        if place:
            lot.place = Found(place, evidence, rank)
