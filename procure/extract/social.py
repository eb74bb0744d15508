"""Social provisions already in the tender, read as a careful buyer reads them.

Each lever's detection vocabulary (phrases, articles, negative context) lives in its file of `clauses/levers/`;
this module adds what a reader knows about the way tenders are written:
- a negative answer cancels the phrase it follows or precedes ("Clauses sociales : Sans", "Marché réservé :
  non", "ne comporte pas de clause sociale", "n'est pas réservée");
- candidate forms, lists of certificates to produce and declarations on honour are no provision (the L5212
  declaration on disabled workers, the DC2 boxes);
- "insertion" is also a business domain (a lot about offenders' reinsertion software) or a technical word
  (an advert's insertion, an insulation): an insertion clause needs a contract context (the holder must, an
  execution condition, hours, a facilitator, L2112-2);
- a reserved contract needs a reservation of the contract to those structures, not a mere mention;
- a social award criterion needs a criterion (weighting, points) about insertion or employment; a list of
  publics eligible to an insertion clause ("répondant à l'un des critères suivants") is part of the clause;
- hours are kept as written, per year when the tender says "par an / par année d'exécution".

These rules read the wordings the lever vocabulary names. Every other sentence that speaks of a social matter
(`candidates`) goes to a trained judge (`provision_judge`), which adds the kinds the rules did not find in the
tender, in any wording; its vetoes (a bidder's question, a negative answer, a candidate's form, a price
schedule, a coded eForms term) and a very low probability also overrule a rule hit.
"""
from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from procure.errors import ProcureError
from procure.extract import provision_judge
from procure.extract.candidates import Sentence, candidates, question_flags
from procure.extract.document import DocText
from procure.extract.reading import Reading
from procure.extract.roles import NO_PROVISION_ROLES
from procure.model import ProvisionKind, SocialProvision, Tender
from procure.text.normalize import find_articles, parse_number
from procure.vocabulary import DocumentRole, HoursPer

# Which piece is the preferred evidence of a provision: the contract's own articles first.
PROVISION_RANK: dict[str, int] = {role: role.provision_rank for role in DocumentRole}  # lower is trusted first
NEGATIVE_BEFORE_RE = re.compile(r"\b(?:pas|aucune?|sans|ni|non|neant|nulle?)\b(?:(?!\b(?:mais|et|ou)\b)[^.;:!?]){0,45}$")
NEGATIVE_AFTER_RE = re.compile(r"^[\s)]*(?:\([^)]{0,30}\)\s*)?:?\s*(?:non|sans|neant|aucune?|sans\s+objet|n/?a|-)(?:\b|$)")
NEGATIVE_SENTENCE_RE = re.compile(r"n'(?:est|sont|a|ont)\s+pas\s+(?:\w+\s+){0,2}(?:reserve|prevue?|soumis|applicable|impose)|"
                                  r"ne\s+(?:comporte|prevoit|contient|fait\s+l'objet\s+d)\w*\s+(?:pas|aucune?)")
CANDIDATE_LIST_RE = re.compile(
    r"declaration\s+sur\s+l'honneur|attestation|documents?\s+(?:a\s+produire|justificatifs?)|\bdc\s?[124]\b|\bdume\b|"
    r"certificats?\b|l\.?\s?5212-|obligation\s+d'emploi|renseignements\s+sur\s+le\s+respect|candidat\s+(?:justifiant|atteste)|"
    r"en\s+regle\s+au\s+regard|interdictions?\s+de\s+soumissionner"
)
CONTRACT_CONTEXT_RE = re.compile(
    r"clause|condition(?:s)?\s+(?:particulieres?\s+)?d'execution|titulaire|attributaire|devra|doit|s'engage|est\s+tenu|obligatoire|"
    r"integree?|incluant|prevoit|mettre\s+en\s+(?:oe|œ)uvre|realiser|heures|facilitat|l\.?\s?2112-2|article\s+14|execution\s+du\s+marche|"
    r"candidat\s+retenu|applicable|est\s+soumis|imposee?|beneficiaires?|publics?\s+(?:eloignes|en\s+difficulte)"
)
BUSINESS_INSERTION_RE = re.compile(
    r"perimetre\s+fonctionnel|agence\s+du\s+travail\s+d'interet\s+general|insertion\s+(?:sur|dans)\s+(?:le|les|la|un)\s+(?:support|journal|presse)|"
    r"insertion\s+d'une?\s+(?:isolation|piece|annonce)|insertion\s+publicitaire|reinsertion\s+des\s+(?:detenus|personnes\s+placees)"
)
RESERVATION_RE = re.compile(r"\b(?:marches?|lots?|accords?-cadres?|contrats?|prestations?)\s+(?:est\s+|sont\s+)?reserve(?:e|s|es)?\b|"
                            r"\breserve(?:e|s|es)?\s+(?:a|aux)\b|\breservation\b|\bl\.?\s?2113-1[235]\b|\barticle\s+(?:15|36)\b")
RESERVATION_NEGATIVE_RE = re.compile(r"profession\s+particuliere|marches?\s+reserves?\s*:\s*(?:non|\.|$)|reserve\s+aux\s+seuls|droits?\s+reserves?|"
                                     r"se\s+reserve|reserve\s+le\s+droit|sous\s+reserve|reserves?\s+(?:emises|formulees|techniques)")
CRITERION_RE = re.compile(r"criteres?\b|ponderation|pondere|sous-criteres?|\bnote\b|\bpoints?\b|\d\s*%")
CRITERION_SOCIAL_RE = re.compile(r"insertion|social|emploi|handicap|publics?\s+eloignes|heures\s+d'insertion|solidaire")
ELIGIBILITY_RE = re.compile(r"l'un\s+des\s+criteres|criteres?\s+(?:suivants|d'eligibilite)|eligibles?|repondant\s+a|remplissant")
ENVIRONMENT_RE = re.compile(r"environnement|developpement\s+durable|ecolog|carbone|energie|dechets")
ETHICAL_CONTEXT_RE = re.compile(r"titulaire|fournisseur|s'engage|garanti|respect|conforme|chaine\s+d'approvisionnement|production|fabrication")
HOURS_RE = re.compile(r"(\d{1,3}(?:[ \u00a0\u202f.]\d{3})+|\d{1,6})\s*(?:heures|h)\b")
PER_YEAR_HOURS_RE = re.compile(r"^[^.;]{0,25}(?:par\s+an\b|par\s+annee|annuel|chaque\s+annee|/\s*an\b)")
WEIGHT_RE = re.compile(r"ponderation\s*(?:de\s*)?:?\s*(\d{1,2}(?:[.,]\d+)?)|(\d{1,2}(?:[,.]\d+)?)\s*%|(\d{1,2})\s*points")
ALL_LOTS_RE = re.compile(r"chacun\s+des\s+lots|tous\s+les\s+lots|l'ensemble\s+des\s+lots|pour\s+chaque\s+lot|lot\s+unique")
LOT_MENTION_RE = re.compile(r"\blots?\s*(?:n\s*[°o]s?\s*\.?\s*)?((?:\d{1,3})(?:\s*(?:,|et|a|à|-)\s*\d{1,3})*)")
RESERVED_KINDS = {ProvisionKind.RESERVED_DISABILITY, ProvisionKind.RESERVED_SIAE, ProvisionKind.RESERVED_ESS}
# Below this probability of the judge, a rule hit on the words of a lever is no provision (the judge has seen the
# traps the rules fall in: a lot reserved to a profession, a CCAP template's list of eligible publics…).
RULE_VETO_PROBABILITY = 0.05


@dataclass(frozen=True)
class Vocabulary:
    kind: ProvisionKind
    phrases: re.Pattern | None
    articles: frozenset[str]
    negative: re.Pattern | None


@functools.lru_cache(maxsize=4)
def vocabularies(clauses_key: str = "") -> tuple[Vocabulary, ...]:
    """Detection vocabulary of every lever, from the lever registry of `clauses/`."""
    from procure import law

    result = []
    for lever in law.levers().values():
        detection = lever.detection
        if detection is None:
            continue
        phrases = _alternation(detection.phrases)
        negative = _alternation(detection.negative_context)
        result.append(Vocabulary(ProvisionKind(lever.provision_kind), phrases, frozenset(detection.articles), negative))
    return tuple(result)


def _alternation(phrases) -> re.Pattern | None:
    words = [re.escape(p).replace(r"\ ", r"\s+") for p in sorted(set(phrases), key=len, reverse=True) if p]
    return re.compile(r"(?<![a-z])(?:" + "|".join(words) + r")(?![a-z])") if words else None


@dataclass
class Hit:
    kind: ProvisionKind
    doc: DocText
    start: int
    end: int
    sentence: tuple[int, int]


def extract_provisions(tender: Tender, readings: list[Reading]) -> None:
    lot_numbers = [lot.number for lot in tender.lots]
    found: dict[tuple[ProvisionKind, int | None], tuple[float, SocialProvision]] = {}
    judged: dict[tuple[ProvisionKind, int | None], tuple[float, SocialProvision]] = {}
    for reading in readings:
        if reading.doc.role in NO_PROVISION_ROLES:
            continue
        try:
            judged_sentences = _judged_sentences(reading)
            provisions_read = _provisions(reading, lot_numbers, judged_sentences)
            provisions_judged = _judged_provisions(reading, lot_numbers, judged_sentences)
        except ProcureError:
            raise  # a broken clauses/ file is the whole run's French error
        except Exception:  # noqa: BLE001 - an unforeseen sentence costs this piece's provisions, not the analysis
            logging.getLogger(__name__).info("provisions of %s failed", reading.doc.name, exc_info=True)
            continue
        for provisions_of, target in ((provisions_read, found), (provisions_judged, judged)):
            for provision in provisions_of:
                rank = PROVISION_RANK.get(reading.doc.role, 4) - _richness(provision)
                key = (provision.kind, provision.lot)
                if key not in target or rank < target[key][0]:
                    target[key] = (rank, provision)
    # The judge adds the kinds the rules did not find anywhere in the tender; a kind the rules found keeps the
    # rules' lots (their scope words are read with more care than a sentence alone).
    kinds_read = {kind for kind, _ in found}
    for key, value in judged.items():
        if key[0] not in kinds_read:
            found[key] = value
    provisions = [p for _, p in found.values()]
    tender_wide = {p.kind for p in provisions if p.lot is None}
    # A lot-level mention of a tender-wide provision adds nothing, unless it states the lot's own hours or weight.
    provisions = [p for p in provisions if p.lot is None or p.kind not in tender_wide or p.hours or p.weight_percent]
    _attach(tender, provisions)


@dataclass
class JudgedSentence:
    sentence: Sentence
    vetoed: bool
    probabilities: dict[ProvisionKind, float]
    kinds: dict[ProvisionKind, float]


def _judged_sentences(reading: Reading) -> list[JudgedSentence]:
    """Every candidate sentence of the piece with the judge's verdict (none when no fitted judge is installed)."""
    doc = reading.doc
    model = provision_judge.load_model()
    found = list(candidates(doc.text, doc.folded, paragraph_lines=paragraph_blocks(doc)))
    if model is None or not found:
        return []
    flags = question_flags(doc.folded, [s.start for s in found]) if doc.role == DocumentRole.QR else [False] * len(found)
    texts = [s.folded for s in found]
    probabilities = model.probabilities(texts)
    verdicts = provision_judge.judge(texts, [doc.role] * len(found), flags, model=model, probabilities=probabilities)
    result = []
    for sentence, flag, verdict, row in zip(found, flags, verdicts, probabilities):
        vetoed = provision_judge.vetoed(sentence.folded, doc.role, flag)
        result.append(JudgedSentence(sentence, vetoed, dict(zip(model.kinds, (float(p) for p in row))), verdict))
    return result


def paragraph_blocks(doc: DocText) -> bool:
    """A Word piece's blocks are whole paragraphs (no pages, no wrapped lines); a PDF's are lines."""
    return bool(doc.blocks) and all(block.page is None and block.kind != "line" for block in doc.blocks)


def _sentence_at(judged: list[JudgedSentence], offset: int) -> JudgedSentence | None:
    return next((j for j in judged if j.sentence.start <= offset < j.sentence.end), None)


def _overruled(judged: list[JudgedSentence], hit: Hit, kind: ProvisionKind) -> bool:
    """The judge's veto or a very low probability overrules a rule hit."""
    verdict = _sentence_at(judged, hit.start)
    if verdict is None:
        return False
    return (verdict.vetoed or verdict.probabilities.get(kind, 1.0) < RULE_VETO_PROBABILITY
            or provision_judge.ruled_out(verdict.sentence.folded, kind))


def _judged_provisions(reading: Reading, lot_numbers: list[int], judged: list[JudgedSentence]) -> list[SocialProvision]:
    doc = reading.doc
    provisions = []
    for verdict in judged:
        sentence = verdict.sentence
        for kind in verdict.kinds:
            hit = Hit(kind, doc, sentence.start, sentence.end, (sentence.start, sentence.end))
            hours, per = _hours(sentence.folded) if kind == ProvisionKind.INSERTION_CLAUSE else (None, None)
            weight = _weight(doc, hit) if kind == ProvisionKind.SOCIAL_CRITERION else None
            evidence = doc.evidence(sentence.start, sentence.end, context=0)
            evidence = type(evidence)(evidence.file, evidence.page, evidence.block, evidence.start, evidence.end,
                                      _quote_text(sentence.text, 0), evidence.ocr)
            articles = find_articles(sentence.text)
            for lot in _lots(reading, sentence.folded, sentence.start, lot_numbers):
                provisions.append(SocialProvision(kind, evidence, lot, articles, hours=hours, hours_per=per, weight_percent=weight))
    return provisions


def _provisions(reading: Reading, lot_numbers: list[int], judged: list[JudgedSentence] | None = None) -> list[SocialProvision]:
    doc = reading.doc
    provisions = []
    seen_sentences: dict[tuple[int, int], set[ProvisionKind]] = {}
    for hit in _hits(reading):
        kinds = seen_sentences.setdefault(hit.sentence, set())
        kind = _judge(hit)
        if kind is None or kind in kinds or _overruled(judged or [], hit, kind):
            continue
        kinds.add(kind)
        sentence = doc.folded[hit.sentence[0] : hit.sentence[1]]
        quote_start, quote_end = _quote(doc, hit)
        articles = find_articles(doc.text[quote_start:quote_end])
        hours, per = _hours(sentence) if kind == ProvisionKind.INSERTION_CLAUSE else (None, None)
        weight = _weight(doc, hit) if kind == ProvisionKind.SOCIAL_CRITERION else None
        evidence = doc.evidence(hit.start, hit.end, context=0)
        evidence = type(evidence)(evidence.file, evidence.page, evidence.block, evidence.start, evidence.end,
                                  _quote_text(doc.text[quote_start:quote_end], hit.start - quote_start), evidence.ocr)
        # The lots a provision applies to are read in its own sentence as the candidate splitter cuts it (lines
        # of a list of lots above it are other sentences), else in the rules' wider reading sentence.
        verdict = _sentence_at(judged or [], hit.start)
        for lot in _lots(reading, verdict.sentence.folded if verdict else sentence, hit.start, lot_numbers):
            provisions.append(SocialProvision(kind, evidence, lot, articles, hours=hours, hours_per=per, weight_percent=weight))
    return provisions


def _hits(reading: Reading):
    doc = reading.doc
    for vocabulary in vocabularies():
        if vocabulary.phrases is not None:
            for match in vocabulary.phrases.finditer(doc.folded):
                yield Hit(vocabulary.kind, doc, match.start(), match.end(), _sentence(doc, match.start(), match.end()))
    article_kinds = {article: v.kind for v in vocabularies() for article in v.articles}
    for match in re.finditer(r"\b[lr]\.?\s?\d{4}\s?-\s?\d+(?:-\d+)*(?:\s*\d°)?|\barticles?\s+(?:14|15|30)\b[^.;]{0,40}?code\s+des\s+marches",
                             doc.folded):
        for article in find_articles(doc.text[match.start() : match.end()]):
            kind = article_kinds.get(article)
            if kind:
                yield Hit(kind, doc, match.start(), match.end(), _sentence(doc, match.start(), match.end()))


SENTENCE_END_RE = re.compile(r"(?<!\b[a-z])(?<!\bart)(?<!\bno)(?<!\bcf)(?<!\betc)(?<!\btel)\.(?=\s+[^\d\s])|;|\n[-•*]")


def _sentence(doc: DocText, start: int, end: int, reach: int = 350) -> tuple[int, int]:
    """The sentence around a hit: from the previous full stop (or list item) to the next one ("L. 2112-2" and
    "art. 14" do not end a sentence)."""
    folded = doc.folded
    lo = max(0, start - reach)
    stops = [m.end() for m in SENTENCE_END_RE.finditer(folded, lo, start)]
    sentence_start = stops[-1] if stops else lo
    following = SENTENCE_END_RE.search(folded, end, min(len(folded), end + reach))
    sentence_end = following.end() if following else min(len(folded), end + reach)
    return sentence_start, sentence_end


# Inside the reading sentence, where the quoted passage stops: sentences glued by the PDF text ("joint au
# dossier).clauses sociales (Lots 1, 2 et 3)en cas de groupement … solidaire.En application de l'article R. 2151-7"),
# a full stop before a capital, and the numbered headings of the EU form ("III.2.2)Conditions particulières").
QUOTE_END_RE = re.compile(r"(?<![A-Z])(?<!\b[a-z])(?<!\bart)(?<!\bno)(?<!\bcf)(?<!\betc)(?<!\btel)(?<!\bal)\.(?=\s*[A-ZÀ-Ý])|"
                          r"(?<=[a-zà-ÿ)])\.(?=[a-zà-ÿ]{3})|"
                          r"\)(?=[a-zà-ÿA-ZÀ-Ý]{2})|(?<![\w.])(?=[IVX]{1,4}\.\d{1,2}(?:\.\d{1,2})*\)\s*\S)")
QUOTE_MAX = 600


def _quote(doc: DocText, hit: Hit) -> tuple[int, int]:
    """The span of the text that a buyer reads as the provision: the sentence of the hit, narrowed to the part
    around the matched words when the reading sentence runs over glued sentences or form headings."""
    start, end = hit.sentence
    text = doc.text
    start = max(start, text.rfind("\n", 0, hit.start) + 1)  # the paragraph of the hit, not the heading above it
    for match in QUOTE_END_RE.finditer(text, start, min(len(text), hit.start + 20)):  # room for the look-ahead
        if match.end() <= hit.start and not _in_address(text, match.start()):
            start = match.end()
    following = next((m for m in QUOTE_END_RE.finditer(text, hit.end, end) if not _in_address(text, m.start())), None)
    if following:
        end = following.start() + (1 if text[following.start()] == "." else 0) + (1 if text[following.start()] == ")" else 0)
    return start, end


def _in_address(text: str, position: int) -> bool:
    """A dot inside an e-mail address or a web address ("clauses@mde-lyon.fr", "www.marches-publics.info")."""
    word_start = max(text.rfind(" ", 0, position), text.rfind("\n", 0, position)) + 1
    word_end = min((i for i in (text.find(" ", position), text.find("\n", position)) if i >= 0), default=len(text))
    word = text[word_start:word_end].lower()
    return "@" in word or word.startswith(("www.", "http"))


def _quote_text(raw: str, hit_offset: int) -> str:
    """The quoted passage on one line; a very long one is cut around the hit, at word boundaries, with « … »."""
    if len(" ".join(raw.split())) <= QUOTE_MAX:
        return " ".join(raw.split())
    lo = max(0, hit_offset - QUOTE_MAX // 3)
    hi = min(len(raw), lo + QUOTE_MAX)
    lo = raw.rfind(" ", 0, lo) + 1 if lo else 0
    cut = raw.rfind(" ", lo, hi) if hi < len(raw) else hi
    body = " ".join(raw[lo : cut if cut > lo else hi].split())
    return ("… " if lo else "") + body + (" …" if hi < len(raw) else "")


def _judge(hit: Hit) -> ProvisionKind | None:
    """The kind this hit really is, or None when the context says it is no provision."""
    doc = hit.doc
    sentence = doc.folded[hit.sentence[0] : hit.sentence[1]]
    before = doc.folded[hit.sentence[0] : hit.start]
    after = doc.folded[hit.end : min(hit.sentence[1] + 40, hit.end + 60)]
    if NEGATIVE_BEFORE_RE.search(before) or NEGATIVE_AFTER_RE.match(after) or NEGATIVE_SENTENCE_RE.search(sentence):
        return None
    if CANDIDATE_LIST_RE.search(sentence):
        return None
    vocabulary = next((v for v in vocabularies() if v.kind == hit.kind), None)
    if vocabulary and vocabulary.negative is not None and vocabulary.negative.search(sentence):
        return None
    if hit.kind in (ProvisionKind.INSERTION_CLAUSE, ProvisionKind.SOCIAL_CRITERION):
        return _insertion_or_criterion(sentence, doc, hit)
    if hit.kind in RESERVED_KINDS:
        return hit.kind if _reserved(sentence) else None
    if hit.kind == ProvisionKind.ETHICAL_PURCHASING:
        return hit.kind if ETHICAL_CONTEXT_RE.search(sentence) else None
    if hit.kind == ProvisionKind.SOCIAL_SERVICES_PROCEDURE:
        return None if re.search(r"categorie\s+de\s+services", sentence) else hit.kind
    return hit.kind


def _insertion_or_criterion(sentence: str, doc: DocText, hit: Hit) -> ProvisionKind | None:
    if BUSINESS_INSERTION_RE.search(sentence) or _in_title_line(doc, hit.start):
        return None
    context = sentence + " " + _heading_before(doc, hit.sentence[0])
    if CRITERION_RE.search(sentence) and CRITERION_SOCIAL_RE.search(sentence) and not ELIGIBILITY_RE.search(sentence) \
            and re.search(r"criteres?|ponderation|pondere|sous-criteres?", context) \
            and not (ENVIRONMENT_RE.search(sentence) and not re.search(r"insertion|emploi|handicap", sentence)):
        return ProvisionKind.SOCIAL_CRITERION
    if hit.kind == ProvisionKind.SOCIAL_CRITERION:
        return None
    return ProvisionKind.INSERTION_CLAUSE if CONTRACT_CONTEXT_RE.search(context) else None


def _reserved(sentence: str) -> bool:
    if RESERVATION_NEGATIVE_RE.search(sentence) and not re.search(r"marches?\s+reserves?\s*:\s*oui", sentence):
        return False
    return bool(RESERVATION_RE.search(sentence))


def _in_title_line(doc: DocText, offset: int) -> bool:
    """A lot title or an object line ("Lot 3 : Applications … de l'insertion") names a domain, not a clause."""
    line = doc.folded[doc.line_start(offset) : doc.line_end(offset)]
    return bool(re.match(r"\s*(?:lot\s*(?:n\s*[°ºo]\s*)?\d|objet\s*:|intitule)", line)) and not CONTRACT_CONTEXT_RE.search(line)


def _heading_before(doc: DocText, offset: int) -> str:
    """The line just before a sentence (often its heading: "II.6. CLAUSE D'INSERTION …", "Critères d'attribution")."""
    start = doc.line_start(max(0, doc.line_start(offset) - 1))
    return doc.folded[start : doc.line_start(offset)]


def _hours(sentence: str) -> tuple[int | None, HoursPer | None]:
    if "insertion" not in sentence:
        return None, None
    candidates = []
    for match in HOURS_RE.finditer(sentence):
        value = parse_number(match.group(1))
        if value is not None and 10 <= value <= 1_000_000:
            per = HoursPer.YEAR if PER_YEAR_HOURS_RE.match(sentence[match.end() :]) else HoursPer.TOTAL
            candidates.append((int(value), per))
    return max(candidates) if candidates else (None, None)


# eForms: "Catégorie du seuil de critère d'attribution : Pondération (pourcentage, exacte)" then "Critère
# d'attribution — Nombre : 10", a few lines below the criterion's name.
EFORMS_WEIGHT_RE = re.compile(r"ponderation\s*\((?:pourcentage|points)[^)]*\)[^\d]{0,80}?nombre\s*:\s*(\d{1,3}(?:[.,]\d+)?)")
NEXT_CRITERION_RE = re.compile(r"\bcritere\s*:")


def _weight(doc: DocText, hit: Hit) -> float | None:
    window = doc.folded[hit.start : min(len(doc.folded), hit.sentence[1] + 120)]
    match = WEIGHT_RE.search(window)
    if not match:
        block = doc.folded[hit.start : min(len(doc.folded), hit.start + 500)]
        following = NEXT_CRITERION_RE.search(block, 1)
        stated = EFORMS_WEIGHT_RE.search(block[: following.start()] if following else block)
        return float(stated.group(1).replace(",", ".")) if stated else None
    raw = match.group(1) or match.group(2) or match.group(3)
    return float(raw.replace(",", "."))


def _lots(reading: Reading, sentence: str, offset: int, lot_numbers: list[int]) -> list[int | None]:
    if ALL_LOTS_RE.search(sentence):
        return [None]
    named: list[int | None] = [n for n in mentioned_lots(sentence) if n in lot_numbers]
    if named:
        return [None] if set(named) >= set(lot_numbers) and len(lot_numbers) > 1 else named
    for start, end, number in reading.lot_spans:
        if start <= offset < end and number in lot_numbers and len(lot_numbers) > 1:
            return [number]
    return [None]


def _richness(provision: SocialProvision) -> float:
    return 0.5 * (provision.hours is not None) + 0.5 * (provision.weight_percent is not None) + 0.1 * len(provision.articles)


def _attach(tender: Tender, provisions: list[SocialProvision]) -> None:
    for provision in sorted(provisions, key=lambda p: (p.lot or 0, p.kind.value)):
        lot = tender.lot(provision.lot) if provision.lot is not None else None
        if lot is not None:
            lot.provisions.append(provision)
        else:
            provision.lot = None
            tender.provisions.append(provision)


def mentioned_lots(folded: str) -> list[int]:
    """Lot numbers a passage names explicitly: 'lot n° 2', 'lots 1 et 3', 'lots 2 à 4'."""
    numbers: list[int] = []
    for match in LOT_MENTION_RE.finditer(folded):
        spec = match.group(1)
        ranged = re.fullmatch(r"(\d{1,3})\s*(?:a|à|-)\s*(\d{1,3})", spec.strip())
        if ranged and int(ranged.group(1)) < int(ranged.group(2)) <= int(ranged.group(1)) + 30:
            values: Iterable[int] = range(int(ranged.group(1)), int(ranged.group(2)) + 1)
        else:
            values = [int(n) for n in re.findall(r"\d{1,3}", spec)]
        numbers.extend(n for n in values if n not in numbers)
    return numbers
