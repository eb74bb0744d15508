"""Social provisions already present in the tender, found with spaCy PhraseMatcher rules on folded text."""
from __future__ import annotations

import functools
import re

from procure.extract.context import Segment, mentioned_lots
from procure.model import Evidence, ProvisionKind, SocialProvision, Tender
from procure.text.nlp import load_matcher_nlp
from procure.text.normalize import find_articles, parse_number

# Cheap pre-filter so that the tokenizer runs only on blocks that can hold a provision.
PREFILTER_RE = re.compile(
    r"insertion|clauses? sociales?|reserv|\boit\b|organisation internationale du travail|equitable|enfants|force|"
    r"l\.?\s?211[23]|r\.?\s?2152-7|r\.?\s?2123-1|handicap|esat|siae|economie sociale|fairtrade|havelaar|"
    r"article\s+(?:14|15|30|53)"
)
PHRASES: dict[ProvisionKind, list[str]] = {
    ProvisionKind.INSERTION_CLAUSE: [
        "clause d'insertion", "clause sociale d'insertion", "clauses sociales d'insertion", "action d'insertion",
        "actions d'insertion", "heures d'insertion", "heures de travail d'insertion", "clause sociale",
        "clauses sociales", "insertion professionnelle des publics", "personnes eloignees de l'emploi",
        "publics eloignes de l'emploi", "personnes rencontrant des difficultes sociales et professionnelles",
    ],
    ProvisionKind.RESERVED_DISABILITY: [
        "entreprises adaptees", "entreprise adaptee", "etablissements et services d'aide par le travail",
        "esat", "travailleurs handicapes", "personnes handicapees",
    ],
    ProvisionKind.RESERVED_SIAE: [
        "structures d'insertion par l'activite economique", "structure d'insertion par l'activite economique",
        "insertion par l'activite economique", "siae",
    ],
    ProvisionKind.RESERVED_ESS: ["economie sociale et solidaire", "entreprises de l'ess"],
    ProvisionKind.SOCIAL_CRITERION: [
        "performances en matiere d'insertion professionnelle", "critere social", "critere d'insertion",
        "performance en matiere d'insertion",
    ],
    ProvisionKind.ETHICAL_PURCHASING: [
        "organisation internationale du travail", "oit", "conventions fondamentales", "travail des enfants",
        "travail force", "pires formes de travail des enfants",
    ],
    ProvisionKind.FAIR_TRADE: ["commerce equitable", "max havelaar", "fairtrade", "label equitable"],
    ProvisionKind.SOCIAL_SERVICES_PROCEDURE: ["services sociaux et autres services specifiques", "services sociaux et services specifiques"],
}
ARTICLE_KINDS = {
    "L2113-12": ProvisionKind.RESERVED_DISABILITY,
    "L2113-13": ProvisionKind.RESERVED_SIAE,
    "L2113-15": ProvisionKind.RESERVED_ESS,
    "R2152-7": ProvisionKind.SOCIAL_CRITERION,
    "R2123-1 3°": ProvisionKind.SOCIAL_SERVICES_PROCEDURE,
    "CMP art. 15": ProvisionKind.RESERVED_DISABILITY,
    "CMP art. 14": ProvisionKind.INSERTION_CLAUSE,
    "CMP art. 30": ProvisionKind.SOCIAL_SERVICES_PROCEDURE,
}
RESERVED_KINDS = {ProvisionKind.RESERVED_DISABILITY, ProvisionKind.RESERVED_SIAE, ProvisionKind.RESERVED_ESS}
NEGATION_RE = re.compile(r"\b(?:pas|aucune?|sans|ni|non)\b[^.]{0,40}$")
CRITERION_CONTEXT_RE = re.compile(r"criteres?\b|ponderation|\bpoints?\b|performances?\s+en\s+matiere")
RESERVATION_RE = re.compile(r"\breserve|\breservation")
HOURS_RE = re.compile(r"(\d{1,3}(?:[ \u00a0\u202f.]\d{3})*|\d+)\s*(?:heures|h)\b")
WEIGHT_RE = re.compile(r"(\d{1,2}(?:[,.]\d+)?)\s*%|(\d{1,2})\s*points")


@functools.lru_cache(maxsize=1)
def _matcher():
    from spacy.matcher import PhraseMatcher

    nlp = load_matcher_nlp()
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    for kind, phrases in PHRASES.items():
        matcher.add(kind.value, [nlp.make_doc(phrase) for phrase in phrases])
    return matcher


def extract_provisions(tender: Tender, all_segments: list[Segment]) -> None:
    found: dict[tuple[ProvisionKind, int | None], SocialProvision] = {}
    for segment in all_segments:
        if not PREFILTER_RE.search(segment.folded):
            continue
        for provision in _provisions_in(segment):
            key = (provision.kind, provision.lot)
            if key not in found or _richer(provision, found[key]):
                found[key] = provision
    _attach(tender, list(found.values()))


def _provisions_in(segment: Segment) -> list[SocialProvision]:
    folded = segment.folded
    doc = load_matcher_nlp().make_doc(folded)
    articles = find_articles(segment.block.text)
    kinds: dict[ProvisionKind, tuple[int, int]] = {}
    for match_id, start, end in _matcher()(doc):
        kind = ProvisionKind(doc.vocab.strings[match_id])
        span = doc[start:end]
        if NEGATION_RE.search(folded[max(0, span.start_char - 60) : span.start_char]):
            continue
        kinds.setdefault(kind, (span.start_char, span.end_char))
    for article in articles:
        kind = ARTICLE_KINDS.get(article)
        if kind:
            position = folded.find(article[:1].lower())
            kinds.setdefault(kind, (max(position, 0), max(position, 0) + len(article)))
    kinds = _disambiguate(kinds, folded)
    lots = mentioned_lots(folded) or [segment.lot]
    provisions = []
    for kind, (start, end) in kinds.items():
        evidence = Evidence.from_block(segment.block, start, end, context=200)
        for lot in lots:
            provisions.append(
                SocialProvision(
                    kind, evidence, lot, [a for a in articles if ARTICLE_KINDS.get(a, kind) == kind],
                    hours=_hours(folded) if kind == ProvisionKind.INSERTION_CLAUSE else None,
                    weight_percent=_weight(folded) if kind == ProvisionKind.SOCIAL_CRITERION else None,
                )
            )
    return provisions


def _disambiguate(kinds: dict, folded: str) -> dict:
    """Apply the rules that tell a reservation from a mere mention, and a criterion from a clause."""
    result = dict(kinds)
    reserved = RESERVATION_RE.search(folded)
    for kind in RESERVED_KINDS:
        cited_by_article = any(a in folded.replace(" ", "").replace(".", "") for a in ("l2113-12", "l2113-13", "l2113-15"))
        if kind in result and not (reserved or cited_by_article):
            del result[kind]  # "ESAT" or "handicap" alone is not a reserved contract
    if ProvisionKind.SOCIAL_CRITERION in result or CRITERION_CONTEXT_RE.search(folded) and "insertion" in folded:
        if CRITERION_CONTEXT_RE.search(folded):
            result.pop(ProvisionKind.INSERTION_CLAUSE, None)
            if ProvisionKind.SOCIAL_CRITERION not in result:
                position = folded.find("insertion")
                result[ProvisionKind.SOCIAL_CRITERION] = (position, position + len("insertion"))
    if any(kind in result for kind in RESERVED_KINDS) and ProvisionKind.INSERTION_CLAUSE in result:
        if not HOURS_RE.search(folded) and "clause" not in folded:
            del result[ProvisionKind.INSERTION_CLAUSE]  # "insertion par l'activité économique" of a SIAE reservation
    return result


def _hours(folded: str) -> int | None:
    candidates = []
    for match in HOURS_RE.finditer(folded):
        value = parse_number(match.group(1))
        if value is not None and 10 <= value <= 1_000_000:
            candidates.append(int(value))
    return max(candidates) if candidates else None


def _weight(folded: str) -> float | None:
    match = WEIGHT_RE.search(folded)
    if not match:
        return None
    raw = match.group(1) or match.group(2)
    return float(raw.replace(",", "."))


def _richer(new: SocialProvision, old: SocialProvision) -> bool:
    def score(p: SocialProvision) -> int:
        return (p.hours is not None) * 2 + (p.weight_percent is not None) * 2 + len(p.articles)

    return score(new) > score(old)


def _attach(tender: Tender, provisions: list[SocialProvision]) -> None:
    for provision in sorted(provisions, key=lambda p: (p.lot or 0, p.kind.value)):
        lot = tender.lot(provision.lot) if provision.lot is not None else None
        if lot is not None:
            lot.provisions.append(provision)
        else:
            provision.lot = None
            tender.provisions.append(provision)
