"""Tender-level facts: buyer, object, reference, procedure, place of execution, dates."""
from __future__ import annotations

import re

from procure.extract.context import Segment
from procure.reference.geo import resolve_commune
from procure.model import Evidence, Fact, Tender
from procure.text.nlp import buyer_entities
from procure.text.normalize import find_dates

LABEL_SEP = r"\s*(?:[:\-–—]\s*|\s+)"
BUYER_LABEL_RE = re.compile(
    r"^\s*(?:nom\s+(?:et\s+adresse\s+)?(?:officiels?\s+)?(?:de\s+l'|du\s+)?|identification\s+(?:de\s+l'|du\s+))?"
    r"(?:pouvoir\s+adjudicateur|acheteur(?:\s+public)?|maitre\s+d'ouvrage|entite\s+adjudicatrice|organisme\s+acheteur)"
    r"\s*[:\-–—]\s*(?P<value>.+)$"
)
OBJECT_LABEL_RE = re.compile(
    r"^\s*(?:\d+(?:\.\d+)*\s*[-–.)]?\s*)?(?:article\s+\d+\s*[-–.:]\s*)?"
    r"(?:objet\s+(?:de\s+la\s+consultation|du\s+(?:present\s+)?marche|de\s+l'accord-cadre|du\s+contrat)|"
    r"intitule\s+(?:de\s+la\s+consultation|du\s+marche))\s*(?:[:\-–—]\s*(?P<value>.*))?$"
)
OBJECT_SENTENCE_RE = re.compile(
    r"(?:la\s+presente\s+consultation|le\s+present\s+(?:marche|accord-cadre|contrat))\s+(?:a\s+pour\s+objet|porte\s+sur)\s+(?P<value>.+)"
)
REFERENCE_RE = re.compile(
    r"(?:reference|n°\s*de\s+(?:la\s+)?consultation|numero\s+de\s+(?:la\s+)?consultation|marche\s+n°|consultation\s+n°)"
    r"(?:\s+de\s+la\s+consultation)?\s*[:\-–]?\s*(?P<value>[a-z0-9][a-z0-9_./-]{2,30})"
)
PLACE_LABEL_RE = re.compile(
    r"lieux?\s+(?:principal\s+)?(?:d'execution|de\s+livraison|d'intervention|des\s+travaux)(?:\s+des\s+prestations)?\s*[:\-–]\s*(?P<value>.+)$"
)
PROCEDURE_LABEL_RE = re.compile(r"(?:procedure|mode\s+de\s+passation|type\s+de\s+procedure)\s*(?:de\s+passation)?\s*[:\-–]")
PROCEDURES = [
    ("AOO", "Appel d'offres ouvert", r"appel\s+d'offres\s+ouvert"),
    ("AOR", "Appel d'offres restreint", r"appel\s+d'offres\s+restreint"),
    ("PCN", "Procédure avec négociation", r"procedure\s+(?:concurrentielle\s+)?avec\s+negociation"),
    ("DC", "Dialogue compétitif", r"dialogue\s+competitif"),
    ("SPAMC", "Marché sans publicité ni mise en concurrence", r"sans\s+publicite\s+ni\s+mise\s+en\s+concurrence"),
    ("MAPA-SSS", "Procédure adaptée (services sociaux et autres services spécifiques, R2123-1 3°)",
     r"r\.?\s?2123-1\s*,?\s*3\s*°|services\s+sociaux\s+et\s+(?:autres\s+)?services\s+specifiques"),
    ("MAPA", "Procédure adaptée", r"procedure\s+adaptee|\bmapa\b"),
]
DATE_LABELS = {
    "offers_deadline": r"date\s+(?:et\s+heure\s+)?limites?\s+de\s+(?:reception|remise|depot)\s+des\s+(?:offres|plis|candidatures)",
    "publication": r"date\s+d'envoi\s+(?:de\s+l'avis|du\s+present\s+avis|a\s+la\s+publication)|date\s+de\s+(?:publication|mise\s+en\s+ligne)",
    "launch": r"date\s+de\s+lancement|consultation\s+lancee\s+le|date\s+d'engagement\s+de\s+la\s+consultation",
}


def extract_header(tender: Tender, all_segments: list[Segment]) -> None:
    for index, segment in enumerate(all_segments):
        following = all_segments[index + 1] if index + 1 < len(all_segments) else None
        _buyer(tender, segment)
        _object(tender, segment, following)
        _reference(tender, segment)
        _place(tender, segment)
        _procedure(tender, segment)
        _dates(tender, segment, following)
    if tender.buyer is None:
        _buyer_from_entities(tender, all_segments)


def _value_fact(segment: Segment, match: re.Match, group: str = "value") -> Fact:
    start, end = match.span(group)
    value = segment.block.text[start:end].strip(" .;:–-")
    return Fact(value, Evidence.from_block(segment.block, start, end))


def _buyer(tender: Tender, segment: Segment) -> None:
    if tender.buyer is None and segment.lot is None:
        match = BUYER_LABEL_RE.match(segment.folded)
        if match:
            fact = _value_fact(segment, match)
            fact.value = re.split(r",|\s+[-–]\s+|\s+représent|\s+\d", fact.value)[0].strip()
            if fact.value:
                tender.buyer = fact


def _buyer_from_entities(tender: Tender, all_segments: list[Segment]) -> None:
    """No labelled buyer: the first public organisation named on the first blocks of the main documents."""
    for segment in all_segments[:40]:
        entities = buyer_entities(segment.block.text)
        if entities:
            text, start, end = entities[0]
            tender.buyer = Fact(text, Evidence.from_block(segment.block, start, end))
            return


def _object(tender: Tender, segment: Segment, following: Segment | None) -> None:
    if tender.object is not None:
        return
    match = OBJECT_LABEL_RE.match(segment.folded) if len(segment.folded) < 400 else None
    if match and match.group("value") and len(match.group("value").strip()) > 3:
        tender.object = _value_fact(segment, match)
    elif match and following is not None and following.lot_heading is None:
        tender.object = Fact(following.block.text.strip(), Evidence.from_block(following.block))
    else:
        sentence = OBJECT_SENTENCE_RE.search(segment.folded)
        if sentence:
            fact = _value_fact(segment, sentence)
            fact.value = re.split(r"\.\s", fact.value)[0]
            tender.object = fact


def _reference(tender: Tender, segment: Segment) -> None:
    if tender.reference is None:
        match = REFERENCE_RE.search(segment.folded)
        if match and re.search(r"\d", match.group("value")):
            tender.reference = _value_fact(segment, match)


def _place(tender: Tender, segment: Segment) -> None:
    if tender.place is None and segment.lot is None:
        match = PLACE_LABEL_RE.search(segment.folded)
        if match:
            tender.place = place_fact(segment, match)


def place_fact(segment: Segment, match: re.Match) -> Fact:
    fact = _value_fact(segment, match)
    commune = resolve_commune(fact.value)
    return Fact(commune if commune else fact.value, fact.evidence)


def _procedure(tender: Tender, segment: Segment) -> None:
    labelled = PROCEDURE_LABEL_RE.search(segment.folded)
    if tender.procedure is not None and not (labelled and not tender.procedure.value.get("labelled")):
        return
    for code, label, pattern in PROCEDURES:
        match = re.search(pattern, segment.folded)
        if match:
            value = {"code": code, "label": label, "labelled": bool(labelled)}
            tender.procedure = Fact(value, Evidence.from_block(segment.block, match.start(), match.end()))
            return


def _dates(tender: Tender, segment: Segment, following: Segment | None) -> None:
    for key, pattern in DATE_LABELS.items():
        if key in tender.dates:
            continue
        label = re.search(pattern, segment.folded)
        if not label:
            continue
        after = [d for d in find_dates(segment.block.text) if d[1] >= label.start()]
        source = segment
        if not after and following is not None:
            after, source = find_dates(following.block.text), following
        if after:
            value, start, end = after[0]
            tender.dates[key] = Fact(value, Evidence.from_block(source.block, start, end))
