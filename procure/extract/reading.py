"""What one piece of a tender says, before the pieces are merged: candidates with evidence and a rank."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from procure.extract.document import DocText
from procure.extract.quantities import AmountMention, Duration
from procure.model import CpvCode, Evidence, SocialProvision
from procure.vocabulary import DateKey, DocumentRole

# Which piece is trusted first for tender facts (lower is better): `DocumentRole.rank` in procure.vocabulary.
ROLE_RANK: dict[str, int] = {role: role.rank for role in DocumentRole}


@dataclass
class Found:
    value: Any
    evidence: Evidence | None
    rank: float = 0.0


@dataclass
class DateFound(Found):
    """A date read after its label, with the hour printed beside it ("à 14h00" → "14:00"), None without one."""

    time: str | None = None


@dataclass
class AmountFound:
    mention: AmountMention
    doc: DocText | None  # None for a table cell, whose evidence is given
    rank: float = 0.0
    cell: Evidence | None = None

    def evidence(self) -> Evidence:
        if self.cell is not None:
            return self.cell
        assert self.doc is not None, "an amount read from a text keeps its document"
        return self.doc.evidence(self.mention.start, self.mention.end)


@dataclass
class LotReading:
    number: int
    title: Found | None = None
    cpv: list[tuple[CpvCode, Evidence]] = field(default_factory=list)
    amounts: list[AmountFound] = field(default_factory=list)
    duration: Found | None = None  # value: Duration
    place: Found | None = None  # value: Place
    declared_nature: Found | None = None  # value: ContractNature, the lot's own (eForms BT-23 of the lot)


@dataclass
class Reading:
    doc: DocText
    rank: float
    buyer: Found | None = None
    buyer_category: Found | None = None
    object: Found | None = None
    reference: Found | None = None
    procedure: Found | None = None  # value: (code, label)
    place: Found | None = None
    divided: bool | None = None
    lot_count: int | None = None  # "composé de 3 lots"
    lots: dict[int, LotReading] = field(default_factory=dict)
    cpv: list[tuple[CpvCode, Evidence]] = field(default_factory=list)
    amounts: list[AmountFound] = field(default_factory=list)
    duration: Found | None = None  # value: Duration
    dates: dict[str, Found] = field(default_factory=dict)  # offers_deadline, publication, launch
    defence_security: Found | None = None  # value True: the piece says it is a defence or security contract
    declared_nature: Found | None = None  # value: ContractNature the piece declares for the whole contract
    lot_spans: list[tuple[int, int, int]] = field(default_factory=list)  # (start, end, lot) of lot sections
    # Provisions a notice states by code (eForms BT-71, BT-736, BT-775…), not by a sentence to read.
    coded_provisions: list[SocialProvision] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # French, what the reader wants the user to know

    def lot(self, number: int) -> LotReading:
        return self.lots.setdefault(number, LotReading(number))


def found(doc: DocText, value: Any, start: int, end: int, rank: float) -> Found:
    return Found(value, doc.evidence(start, end), rank)


def duration_found(doc: DocText, duration: Duration | None, offset: int, rank: float) -> Found | None:
    if duration is None:
        return None
    return Found(duration, doc.evidence(offset + duration.start, offset + duration.end), rank)


PROCEDURES = [
    ("AOR", "Appel d'offres restreint", r"appel\s+d'offres?\s+restreint|procedure\s+restreinte"),
    ("AOO", "Appel d'offres ouvert", r"appel\s+d'offres?\s+ouvert|procedure\s+ouverte"),
    ("PCN", "Procédure avec négociation", r"procedure\s+(?:concurrentielle\s+)?avec\s+negociation|procedure\s+negociee"),
    ("DC", "Dialogue compétitif", r"dialogue\s+competitif"),
    ("CONCOURS", "Concours", r"\bconcours\b"),
    ("SPAMC", "Marché sans publicité ni mise en concurrence", r"sans\s+publicite\s+ni\s+mise\s+en\s+concurrence"),
    ("MAPA", "Procédure adaptée", r"procedure\s+adaptee|\bmapa\b|marche\s+a\s+procedure\s+adaptee|l\.?\s?2123-1|r\.?\s?2123-1"),
]


def procedure_in(folded: str) -> tuple[str, str, int, int] | None:
    """The procedure a passage names (first mention wins), with its offsets."""
    best = None
    for code, label, pattern in PROCEDURES:
        match = re.search(pattern, folded)
        if match and (best is None or match.start() < best[2]):
            best = (code, label, match.start(), match.end())
    return best


def procedure_value(code: str) -> dict:
    label = next(label for c, label, _ in PROCEDURES if c == code)
    return {"code": code, "label": label}


DATE_LABELS: dict[DateKey, re.Pattern[str]] = {
    DateKey.OFFERS_DEADLINE: re.compile(r"date\s+(?:et\s+heure\s+)?limites?\s+(?:de\s+)?(?:reception|remise|depot)\s+des\s+"
                                  r"(?:offres|plis|candidatures|demandes)|iv\.2\.2\)\s*date\s+limite"),
    DateKey.PUBLICATION: re.compile(r"date\s+d'envoi\s+(?:de\s+l'avis|du\s+present\s+avis|a\s+la\s+publication)|date\s+de\s+(?:publication|mise\s+en\s+ligne)|"
                              r"^\s*publie\s+le|vi\.5\)\s*date\s+d'envoi"),
    DateKey.LAUNCH: re.compile(r"date\s+de\s+lancement|consultation\s+lancee\s+le|date\s+d'engagement\s+de\s+la\s+consultation"),
}


def read_dates(doc: DocText, rank: float) -> dict[str, Found]:
    """Dates after their label, on the same line or the next one ("IV.2.2) Date limite …" / "9 septembre 2020");
    else the date printed on the piece ("DCE B - 5 Octobre 2016", "DOSSIER PRO/DCE – MARS 2021") or the planned
    start of the work, kept apart as "pieces": the law's reference date falls back on it, flagged as such."""
    from procure.text.normalize import find_dates

    dates: dict[str, Found] = {}
    for key, pattern in DATE_LABELS.items():
        for match in pattern.finditer(doc.folded):
            window = doc.text[match.end() : match.end() + 160]
            found_dates = find_dates(window.replace("1.e.r", "1er"))
            if found_dates:
                value, start, end = found_dates[0]
                after = match.end() + end
                hour = hour_after(doc.text[after : after + HOUR_REACH])
                evidence = doc.evidence(match.end() + start, after + (hour[1] if hour else 0))
                dates[key] = DateFound(value, evidence, rank, hour[0] if hour else None)
                break
    if not dates:
        printed = piece_date(doc, rank)
        if printed:
            dates["pieces"] = printed
    return dates


# The hour printed right after a date: "à 14h00", ", à 12 heures", "- 17:00", "Heure : 15h00" (a form's next line,
# after its dotted leader), "Heure locale : 17:00", "avant midi". Nothing else may stand between the date and it.
HOUR_AFTER_RE = re.compile(
    r"^[\s.,;:\-–—…_]*(?:(?:à|a|avant|jusqu'à|jusqu’à)\s+)?(?:heure(?:\s+locale)?(?:\s*\([^)]{0,20}\))?\s*:?\s*)?"
    r"(?:(?P<hour>[01]?\d|2[0-3])\s*(?:h(?![a-zà-ÿ])|heures?\b|:(?=\s*[0-5]\d))\s*(?P<minute>[0-5]\d)?(?!\d)|(?P<noon>midi\b))",
    re.IGNORECASE,
)
HOUR_REACH = 160  # a dotted leader of a form ("Date : 19 avril 2025 ........ Heure : 15h00") is about a line long


def hour_after(text: str) -> tuple[str, int] | None:
    """("14:00", end offset) for the hour that starts `text` (right after a date), None when there is none."""
    match = HOUR_AFTER_RE.match(text)
    if match is None:
        return None
    if match.group("noon"):
        return "12:00", match.end()
    return f"{int(match.group('hour')):02d}:{match.group('minute') or '00'}", match.end()


MONTH_YEAR_RE = re.compile(r"\b(janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre)"
                           r"\s+((?:19|20)\d\d)\b")
MONTH_NUMBERS = {name: number for number, name in enumerate(
    "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre".split(), 1)}
# A date that follows these words dates a text of law or a past decision, not the consultation.
LEGAL_DATE_BEFORE_RE = re.compile(r"(?:decret|loi|ordonnance|arrete|directive|reglement|code|circulaire|modifie|"
                                  r"journal\s+officiel|n[°o]\s*[\d-]+)[^\n]{0,25}$")
# A date planned or due, not the date of the piece: "Fin des travaux : novembre 2026", "remise des offres le …".
PLANNED_BEFORE_RE = re.compile(r"(?:fin|debut|demarrage|livraison|achevement|reception|remise|limite|jusqu'au|au\s+plus\s+tard|"
                               r"avant\s+le|echeance|duree|delai|validite|ouverture)[^\n]{0,30}$")
# Words that date the piece itself: "DCE – indice B – mars 2021", "Version du 5 octobre 2016", "Date : …".
EDITION_NEAR_RE = re.compile(r"(?:dce|indice|version|edition|date|etabli|mise\s+a\s+jour|dossier)[^\n]{0,40}$")
START_RE = re.compile(r"(?:debutera|demarrera|commenceront|commencera|date\s+(?:previsionnelle\s+)?de\s+(?:debut|demarrage|"
                      r"commencement))[^\n.]{0,40}?(?=\d|1er|premier)")
TITLE_PAGE_CHARS = 2500


def piece_date(doc: DocText, rank: float) -> Found | None:
    """The latest date printed on the title page (edition of the DCE), else the planned start of the work."""
    from datetime import date

    from procure.text.normalize import find_dates

    head = doc.folded[:TITLE_PAGE_CHARS]
    candidates = [(day, start, end) for day, start, end in find_dates(doc.text[:TITLE_PAGE_CHARS])]
    candidates += [(date(int(m.group(2)), MONTH_NUMBERS[m.group(1)], 1), m.start(), m.end())
                   for m in MONTH_YEAR_RE.finditer(head)]
    today = date.today()
    printed = [c for c in candidates if date(2000, 1, 1) <= c[0] <= today
               and not LEGAL_DATE_BEFORE_RE.search(head[max(0, c[1] - 60) : c[1]])
               and not PLANNED_BEFORE_RE.search(head[max(0, c[1] - 40) : c[1]])]
    edition = [c for c in printed if EDITION_NEAR_RE.search(head[max(0, c[1] - 50) : c[1]])]
    if edition or printed:  # the edition date when the page says which one it is, else the latest date
        day, start, end = max(edition or printed, key=lambda c: (c[0], -c[1]))
        return Found(day, doc.evidence(start, end), rank + 0.5)
    for match in START_RE.finditer(doc.folded):
        found_dates = find_dates(doc.text[match.end() : match.end() + 40])
        if found_dates and found_dates[0][0] <= today:
            day, start, end = found_dates[0]
            return Found(day, doc.evidence(match.end() + start, match.end() + end), rank + 0.5)
    return None


# The procedures of the third part of the code of public procurement (L2320-1 to R2329-x) serve defence and
# security contracts only (the exclusion grounds L2341 s. are cited by every RC, so they prove nothing); or a
# sentence that says so. Articles of the same numbers exist in other codes (CSP L2324-1 for nurseries, CGCT
# L2321-2, code de la défense L2321-2-1): the article counts only when no other code is named right after it.
# The articles of the defence part read are those of its scope and procedures (L2300-1, L2311 to L2339, L2350 s.);
# its exclusion grounds (L2341 s.) are cited by every candidate form beside the ordinary ones, so they prove nothing.
DEFENCE_ARTICLE_RE = re.compile(r"\b[lr]\s?\.?\s?23(?:0\d|[1-35-9]\d)-\d+(?:-\d+)?")
OTHER_CODE_RE = re.compile(r"^[^.;\n]{0,40}?\b(?:du\s+)?(?:code\s+(?:de\s+la\s+sante|general\s+des\s+collectivites|de\s+la\s+defense|"
                           r"du\s+travail|de\s+l'action\s+sociale|civil|de\s+l'education|de\s+l'environnement|de\s+l'urbanisme)|"
                           r"csp|cgct|casf)\b")
DEFENCE_SENTENCE_RE = re.compile(
    r"(?:present|ce)\s+(?:marche|contrat|accord-cadre)[^.\n]{0,40}?(?:est|constitue|releve\s+d)[^.\n]{0,25}?"
    r"defense\s+(?:ou|et)\s+de\s+securite|"
    # the directive of defence and security procurement, the heading of its notice form
    r"\bdirective\s+(?:n[°o]\s*)?2009/81(?:/ce)?\b|avis\s+de\s+marche\s*[-–—:]?\s*(?:secteurs?\s+de\s+la\s+)?defense\s+et\s+"
    r"(?:de\s+la\s+)?securite")
# Classified information the contract needs makes it a sensitive one (L1113-1): « détention d'ISC confidentiel
# défense », « habilitation secret défense »; not when the sentence says none is needed.
CLASSIFIED_RE = re.compile(r"\b(?:isc|informations?\s+(?:ou\s+supports?\s+)?classifie(?:e|s|es)?|habilitations?)\b[^.\n]{0,40}?"
                           r"\b(?:confidentiel|secret|tres\s+secret)[\s-]+defense\b")
NOT_NEEDED_RE = re.compile(r"\b(?:aucune?|sans|ni)\s+(?:\w+\s+)?(?:habilitation|information|isc)|"
                           r"n'(?:est|sont)\s+(?:pas\s+)?(?:requise?s?|exigee?s?|necessaires?)|"
                           r"ne\s+(?:sont|est)\s+pas\s+(?:requise?s?|exigee?s?|necessaires?)")
NEGATION_RE = re.compile(r"\b(?:n'est\s+(?:pas|ni)|ne\s+(?:releve|constitue|concerne|sont|rentre|entre)\s+pas|"
                         r"n'(?:entre|constitue|appartient)\s+pas|hors\s+du?\s+champ|ni\s+un\s+marche)\b")


# The forms cite the defence article beside its ordinary twin, as the alternative for defence contracts: « articles
# R. 2191-60 et R. 2391-28 » (acte d'engagement), « L. 2141-1 à L. 2141-5 ou L. 2341-1 à L. 2341-3 » (DC1).
ORDINARY_ARTICLE_RE = re.compile(r"\b[lr]\s?\.?\s?21\d\d-\d+")
TWIN_REACH = 60


def _beside_its_twin(folded: str, match: re.Match[str]) -> bool:
    return bool(ORDINARY_ARTICLE_RE.search(folded[max(0, match.start() - TWIN_REACH) : match.end() + TWIN_REACH]))


def read_defence_security(doc: DocText, rank: float) -> Found | None:
    """"procédure adaptée conformément à l'article L2323-1 du code de la commande publique", "le présent marché est
    un marché de défense ou de sécurité": the piece puts the contract under the defence and security part of the
    code (unless the sentence denies it or the article belongs to another code)."""
    articles = [m for m in DEFENCE_ARTICLE_RE.finditer(doc.folded) if not OTHER_CODE_RE.search(doc.folded[m.end() : m.end() + 60])
                and not _beside_its_twin(doc.folded, m)]
    classified = [m for m in CLASSIFIED_RE.finditer(doc.folded) if not NOT_NEEDED_RE.search(_sentence_of(doc.folded, m))]
    for match in sorted(articles + list(DEFENCE_SENTENCE_RE.finditer(doc.folded)) + classified, key=lambda m: m.start()):
        sentence_start = max(doc.folded.rfind(".", 0, match.start()), doc.folded.rfind("\n", 0, match.start())) + 1
        if NEGATION_RE.search(doc.folded[max(sentence_start, match.start() - 80) : match.end()]):
            continue
        return Found(True, doc.evidence(match.start(), match.end()), rank)
    return None


def _sentence_of(folded: str, match: re.Match[str]) -> str:
    start = max(folded.rfind(".", 0, match.start()), folded.rfind("\n", 0, match.start())) + 1
    ends = [i for i in (folded.find(".", match.end()), folded.find("\n", match.end())) if i >= 0]
    return folded[start : min(ends) if ends else len(folded)]
