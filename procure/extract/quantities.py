"""Durations with their renewals, and amounts with their kind and period, as real tenders phrase them.

A duration is read as a buyer reads it: an explicit total first ("durée maximale … 48 mois", "ne pourra excéder
3 ans", "2 + 1 + 1", a start and an end date), else the first period plus its renewals; when the length of a
renewal is not stated, the longest duration is unknown. An amount keeps what it is (estimate, maximum, minimum)
and the period it covers (a year, the first period, the whole duration), so that it can be summed over the
longest duration; amounts of advances, guarantees, penalties, subcontracting or turnover are never contract
amounts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from procure.model import AmountKind
from procure.text.normalize import find_amounts, find_dates

NUMBER_WORDS = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9,
    "dix": 10, "onze": 11, "douze": 12, "dix-huit": 18, "vingt-quatre": 24, "trente-six": 36, "quarante-huit": 48,
}
_NUM = r"(\d{1,3}(?:[.,]\d+)?|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
_PAREN = r"(?:\s*\(\s*[\w-]+\s*\))?"  # "un (1) an", "3 (TROIS) fois"
_UNIT = r"(mois|ans?|annees?|jours?|semaines?)\b"
QTY = _NUM + _PAREN + r"\s*" + _UNIT

TOTAL_PATTERNS = [
    re.compile(r"duree\s+(?:maximale|totale|globale)(?:\s+(?:du|de\s+l'|de\s+la)\s*[\w-]+)?(?:\s*,\s*toutes\s+periodes\s+confondues)?"
               r"[^.;]{0,40}?\b(?:est\s+(?:fixee\s+)?(?:a|de)\s+|de\s+|:\s*)" + QTY),
    re.compile(r"toutes\s+periodes\s+confondues[^.;\d]{0,30}" + QTY),
    re.compile(r"soit\s+(?:un\s+maximum\s+de|une\s+duree\s+(?:maximale|totale)\s+de|au\s+maximum)\s+" + QTY),
    re.compile(r"(?:ne\s+pourra|ne\s+peut|sans\s+pouvoir|sans\s+que\s+sa\s+duree(?:\s+totale)?\s+(?:ne\s+puisse\s+|n'?)?)\s*(?:donc\s+)?(?:pas\s+)?"
               r"(?:exceder|depasser|excede)\s+(?:une\s+duree\s+(?:totale\s+|maximale\s+)?de\s+)?" + QTY),
    re.compile(r"dans\s+la\s+limite\s+(?:d'une\s+duree\s+(?:totale|maximale)\s+)?de\s+" + QTY),
]
SUM_RE = re.compile(r"\(\s*(\d{1,2})\s*(?:ans?\s*)?(?:\+\s*(\d{1,2})\s*(?:ans?\s*)?){1,5}\)")
# First period as prose states it, in order of trust; "Durée en mois : N" of the EU form comes apart (STATED_RE)
# because it is the first period in some notices and the whole duration in others.
INITIAL_PATTERNS = [
    re.compile(r"(?:periode|duree)\s+initiale\s+(?:de\s+l'[\w-]+\s+|du\s+marche\s+)?(?:est\s+(?:fixee\s+)?(?:a|de)\s+|de\s+|d'|:\s*)" + QTY),
    re.compile(r"(?:conclue?|passee?|etabli[e]?)\s+pour\s+(?:une\s+(?:duree|periode)\s+(?:ferme\s+)?(?:initiale\s+)?(?:de\s+|d')?)?" + QTY),
    re.compile(r"duree\s+(?:du\s+marche|de\s+l'accord-cadre|du\s+contrat|des\s+prestations|d'execution)(?:\s+ou\s+delai\s+d'execution)?"
               r"\s*(?:est\s+(?:fixee\s+)?(?:a|de)\s+|est\s+d'|:\s*|de\s+)" + QTY),
    re.compile(r"(?:^|\n|\.\s)\s*duree\s*:\s*" + QTY),
    re.compile(r"(?:^|\n|\.\s)\s*duree\s*:[^.\n]{0,90}?" + QTY),
    # A bare "délai de 10 jours" is a deadline (to send documents, to pay), not the contract's duration.
    re.compile(r"delai\s+(?:global|d'execution|contractuel)(?:\s+(?:global|d'execution|contractuel|des\s+(?:prestations|travaux)|"
               r"du\s+marche))*\s*(?:est\s+(?:fixe\s+)?(?:a|de)\s+|de\s+|:\s*)" + QTY),
    re.compile(r"pour\s+une\s+duree\s+(?:ferme\s+)?(?:initiale\s+)?(?:de\s+|d')" + QTY),
    re.compile(r"(?:marche|accord-cadre|contrat)\s+d'une\s+duree\s+(?:ferme\s+)?(?:initiale\s+)?(?:de\s+|d')" + QTY),
]
# "d'une durée de 1 an renouvelable 3 fois": renewals that follow the first period's figure are of its length, when
# the total stays within the four years a framework may last.
RENEWED_AS_IS_RE = re.compile(r"\s*,?\s*(?:tacitement\s+)?(?:reconductible|renouvelable)\s+(?:tacitement\s+)?\S+\s*(?:\(\s*\w+\s*\)\s*)?fois")
STATED_RE = re.compile(r"duree\s+en\s+mois\s*:\s*(\d{1,3})\b(?!\s*\(\s*a\s+compter\s+de\s+la\s+date\s+limite)")
RENEWAL_COUNT_PATTERNS = [
    re.compile(r"(?:reconductible|renouvelable|reconduite?s?|renouvelee?s?)\s+(?:tacitement\s+|expressement\s+|annuellement\s+)?"
               r"(?:au\s+(?:maximum|plus)\s+)?" + _NUM + _PAREN + r"\s*fois"),
    re.compile(r"(?:reconduc\w*|renouvel\w*)[^.;]{0,40}?\ba\s+" + _NUM + _PAREN + r"\s*reprises"),
    re.compile(r"nombre\s+de\s+(?:periodes\s+de\s+)?reconductions?\s+(?:fixe\s+)?(?:a|:)\s*" + _NUM),
    re.compile(r"(?:reconductible|renouvelable)\s+(?:tacitement\s+)?(une)\s+fois"),
    re.compile(r"(?:reconduit|renouvele)e?\s+(?:tacitement\s+|expressement\s+)?" + _NUM + _PAREN + r"\s*fois"),
    # "reconduit de manière tacite pour 3 périodes successives de 1 an"
    re.compile(r"(?:reconduc\w*|reconduit\w*|renouvel\w*)[^.;]{0,60}?\b" + _NUM + _PAREN +
               r"\s*(?:nouvelles\s+)?periodes?\s+(?:successives?|supplementaires?|de\s+reconduction|identiques?|(?=de\s|d'))"),
]
RENEWAL_LENGTH_PATTERNS = [
    re.compile(r"duree\s+de\s+chaque\s+periode\s+de\s+reconduction\s+(?:de\s+|:\s*)" + QTY),
    re.compile(r"(?:reconduction|reconductible|renouvel\w*|reconduite?|reprises)[^.;]{0,60}?(?:pour\s+une\s+(?:duree|periode)\s+(?:supplementaire\s+)?"
               r"(?:de\s+|d')|par\s+periodes?\s+(?:successives?\s+)?(?:de\s+|d')|d'une\s+duree\s+de\s+|"
               r"\b\w+\s*(?:\(\s*\w+\s*\)\s*)?(?:nouvelles\s+)?periodes?\s+(?:(?:successives?|supplementaires?|identiques?)\s+)?(?:de\s+|d'))" + QTY),
]
SAME_LENGTH_RE = re.compile(r"(?:reconduction|reconductible|renouvel\w*|reconduite?)[^.;]{0,80}?(?:pour\s+la\s+meme\s+(?:periode|duree)|"
                            r"dans\s+les\s+memes\s+termes|pour\s+une\s+duree\s+identique|d'une\s+duree\s+egale)")
ANNUAL_RENEWAL_RE = re.compile(r"(?:reconductible|renouvelable|reconduite?)\s+(?:tacitement\s+)?annuellement|reconduction\s+annuelle")
NO_RENEWAL_RE = re.compile(r"(?:reconduction|reconductions?)\s*:\s*non\b|n'est\s+pas\s+(?:reconductible|renouvelable)|sans\s+reconduction")
DATE_SPAN_RE = re.compile(r"(?:debut\s*:|a\s+compter\s+du|du)\s*([^.;]{6,25}?)\s*(?:-\s*fin\s*:|jusqu'au|au)\s*([^.;]{6,25})")


@dataclass
class Duration:
    months: float
    start: int
    end: int
    how: str  # "total", "initial+renewals", "initial", "dates"
    initial: float | None = None  # months of the first period, when known


def _number(raw: str) -> float:
    raw = raw.lower()
    return float(raw.replace(",", ".")) if raw[0].isdigit() else float(NUMBER_WORDS[raw])


def months_of(number: str, unit: str | None) -> float:
    """Months of a quantity as written ("4", "année"; "trois", "ans")."""
    return _clean(_months(_number(number), unit or "mois"))


def _months(number: float, unit: str) -> float:
    unit = unit.lower()
    if unit.startswith("mois"):
        return number
    if unit.startswith(("an", "annee")):
        return number * 12
    if unit.startswith("semaine"):
        return round(number * 7 / 30, 1)
    return round(number / 30, 1)


def _clean(months: float) -> float | int:
    return int(months) if float(months).is_integer() else months


def find_duration(folded: str) -> Duration | None:
    """Longest possible duration in months stated by a passage (a lot block, a notice, a document)."""
    total = _explicit_total(folded)
    initial = _initial(folded)
    if total:
        total.initial = initial[0] if initial else None
        return total
    stated = STATED_RE.search(folded)
    if initial is None and stated:
        initial = (float(stated.group(1)), stated.start(), stated.end())
    if initial is None:
        return _date_span(folded)
    months, start, end = initial
    if NO_RENEWAL_RE.search(folded):
        return Duration(_clean(months), start, end, "initial", months)
    count = _renewal_count(folded)
    length = _renewal_length(folded, months) if count is not None else None
    if count is not None and length is None and RENEWED_AS_IS_RE.match(folded, end) and months * (count + 1) <= 48:
        length = months  # only within the 4 years of a framework (L2125-1): "3 ans reconductible une fois" stays unknown
    if count is None or length is None:
        if stated and float(stated.group(1)) > months:  # the form's figure already counts the renewals
            return Duration(_clean(float(stated.group(1))), stated.start(), stated.end(), "total", months)
        if count is None and not ANNUAL_RENEWAL_RE.search(folded):
            return Duration(_clean(months), start, end, "initial", months)
        return None  # renewed, but for how long is not stated: the longest duration is not known
    computed = months + count * length
    if stated and float(stated.group(1)) > computed:
        return Duration(_clean(float(stated.group(1))), stated.start(), stated.end(), "total", months)
    return Duration(_clean(computed), start, end, "initial+renewals", months)


def _explicit_total(folded: str) -> Duration | None:
    for pattern in TOTAL_PATTERNS:
        match = pattern.search(folded)
        if match:
            return Duration(_clean(_months(_number(match.group(1)), match.group(2))), match.start(), match.end(), "total")
    summed = SUM_RE.search(folded)
    if summed and re.search(r"reconduct|renouvel", folded[max(0, summed.start() - 200) : summed.end()]):
        numbers = [int(n) for n in re.findall(r"\d{1,2}", summed.group(0))]
        return Duration(sum(numbers) * 12, summed.start(), summed.end(), "total")
    return None


def _initial(folded: str) -> tuple[float, int, int] | None:
    for pattern in INITIAL_PATTERNS:
        for match in pattern.finditer(folded):
            before = folded[max(0, match.start() - 60) : match.start()]
            if re.search(r"validite\s+des\s+offres|delai\s+de\s+(?:livraison|validite|paiement)|garantie", before + match.group(0)):
                continue
            unit = match.group(2) or "mois"
            return _months(_number(match.group(1)), unit), match.start(), match.end()
    return None


def _renewal_count(folded: str) -> int | None:
    for pattern in RENEWAL_COUNT_PATTERNS:
        match = pattern.search(folded)
        if match:
            return int(_number(match.group(1)))
    return None


def _renewal_length(folded: str, initial_months: float) -> float | None:
    for pattern in RENEWAL_LENGTH_PATTERNS:
        match = pattern.search(folded)
        if match:
            return _months(_number(match.group(1)), match.group(2))
    if SAME_LENGTH_RE.search(folded):
        return initial_months
    if ANNUAL_RENEWAL_RE.search(folded):
        return 12
    return None


def _date_span(folded: str) -> Duration | None:
    for match in DATE_SPAN_RE.finditer(folded):
        first, last = find_dates(match.group(1)), find_dates(match.group(2))
        if first and last and last[0][0] > first[0][0]:
            return Duration(_month_span(first[0][0], last[0][0]), match.start(), match.end(), "dates")
    return None


def _month_span(first: date, last: date) -> int:
    months = (last.year - first.year) * 12 + last.month - first.month
    return months + (1 if last.day >= first.day else 0)


# Amounts ------------------------------------------------------------------------------------------------

# Words at a word's start: "prime" is a bonus, "imprimés" is not ("circuits imprimés\nMontant estimé : …").
NOT_CONTRACT_AMOUNT_RE = re.compile(
    r"\b(?:avance|sous-trait|garantie|retenue|penalit|indemnite|recouvrement|chiffre\s+d'affaires|capital\s+social|assurance|"
    r"cautionnement|seuil|inferieure?s?\s+a|superieure?s?\s+a|au-dela\s+d|en\s+deca|prime|par\s+(?:heure|jour)\s+de\s+retard|"
    r"frais|interets|dommages|astreinte|plafond\s+de\s+l'assurance|acompte|nantissement|tva\s+de|references?\s+de|"
    # the works envelope a project manager's (maîtrise d'œuvre) notice states is not the value of its contract
    r"enveloppe\s+(?:financiere\s+)?(?:previsionnelle\s+)?(?:affectee\s+aux\s+|des\s+)travaux)"
)
MAXIMUM_RE = re.compile(r"maxim|plafond|ne\s+pourra\s+(?:pas\s+)?exceder|dans\s+la\s+limite|enveloppe\s+maximale|au\s+plus")
MINIMUM_RE = re.compile(r"minim|au\s+moins")
ESTIMATE_RE = re.compile(r"estim|valeur|previsionnel|enveloppe|budget|cout")
TOTAL_RE = re.compile(r"montant\s+(?:total|global)|prix\s+global")
PER_YEAR_RE = re.compile(r"annuel|par\s+an\b|/\s*an\b|par\s+annee|chaque\s+annee|l'annee")
PER_INITIAL_RE = re.compile(r"(?:duree|periode)\s+initiale|premiere\s+periode|periode\s+ferme")
PER_TOTAL_RE = re.compile(r"duree\s+(?:totale|globale)|toutes\s+periodes|ensemble\s+de\s+la\s+duree|sur\s+\d+\s+ans|pour\s+\d+\s+ans")
PER_RENEWAL_RE = re.compile(r"(?:periode|annee|duree)s?\s+(?:de\s+|d')(?:la\s+)?(?:reconduction|renouvellement)|\breconductions?\b|"
                            r"\brenouvellements?\b")
WHOLE_TENDER_RE = re.compile(r"\bglobal|tous\s+lots\s+confondus|ensemble\s+des\s+lots|valeur\s+totale|total\s+des\s+lots")


@dataclass
class AmountMention:
    value: Decimal
    tax: str | None
    kind: AmountKind | None
    period: str | None  # "year", "initial", "renewal", "total" or None
    start: int
    end: int
    whole_tender: bool = False  # "montant global …", "tous lots confondus": not one lot's amount


def amount_mentions(text: str, folded: str, start_at: int = 0, end_at: int | None = None,
                    context_before: int = 140) -> list[AmountMention]:
    """Contract amounts in a passage, each with its kind and period, distractors left out.

    "entre 12 000 et 88 000 euros" gives its upper bound as a maximum; an item of a list ("comme suit :" /
    "Lot 1 : … Montant maximum : 30 000 euros") takes the period its introducing sentence states ("annuels")."""
    mentions = []
    end_at = len(text) if end_at is None else end_at
    for amount, start, end in find_amounts(text[start_at:end_at]):
        start, end = start + start_at, end + start_at
        before = _sentence_before(folded, start, context_before)
        after = folded[end : end + 40].split(".")[0]
        if NOT_CONTRACT_AMOUNT_RE.search(before[-90:]) or amount.value < 500:
            continue
        if re.search(r"\bentre\s*$", before):
            continue  # lower bound of a range
        kind = AmountKind.MAXIMUM if re.search(r"\bentre\s+[\d\s.,\u202f\u00a0]+(?:euros?|€)?[^.;]{0,12}\bet\s*$", before) else _kind(before, after)
        context = before[-80:] + " " + after[:12]
        introduction = _list_introduction(folded, start)
        period = (_period_beside(before, after) or _period(context, before + after) or _period(introduction, introduction))
        kind = kind or _kind(introduction)
        tax = amount.tax or ("HT" if re.match(r"\s*\(?\s*(?:h\.?t\b|hors\s+(?:tax|tva))", after) else None) or _tax_label(before)
        whole = bool(WHOLE_TENDER_RE.search(before[-120:]))
        mentions.append(AmountMention(amount.value, tax, kind, period, start, end, whole))
    return mentions


HT_LABEL_RE = re.compile(r"(?:\bh\.?t\b\.?|\bhors\s+(?:taxes?|tva)\b)")
TTC_LABEL_RE = re.compile(r"\bt\.?t\.?c\b\.?|toutes\s+taxes")


def _tax_label(before: str) -> str | None:
    """The tax its label states: "Montant HT : 500 000 €", "Valeur hors TVA : 400 000 euros", "Coût estimé (HT) :
    entre 12 000 euros et 88 000 euros". The label is the sentence before the figure, up to an earlier figure with
    its own currency (which carries its own tax); the last tax word of the label wins."""
    label = re.split(r"\d[\d\s.,\u202f\u00a0]*(?:euros?|€)\s*(?:h\.?t\.?|t\.?t\.?c\.?)\b", before[-90:])[-1]
    marks = [(m.start(), "HT") for m in HT_LABEL_RE.finditer(label)] + [(m.start(), "TTC") for m in TTC_LABEL_RE.finditer(label)]
    return max(marks)[1] if marks else None


def _period_beside(before: str, after: str) -> str | None:
    """"6 500 000 € HT pour la période initiale et 2 500 000 € HT pour la période de reconduction": the period that
    follows the figure, else the closer one before it, when a sentence prices the firm period and a renewal apart."""
    tail = re.split(r"\d[\d\s.,\u202f\u00a0]*(?:euros?|€)", after)[0][:45]
    if PER_YEAR_RE.search(tail):
        return None  # "par an" is read by _period
    if PER_RENEWAL_RE.search(tail):
        return "renewal"
    if PER_INITIAL_RE.search(tail):
        return "initial"
    head = before[-70:]
    marks = [(m.end(), "renewal") for m in PER_RENEWAL_RE.finditer(head)] + [(m.end(), "initial") for m in PER_INITIAL_RE.finditer(head)]
    return max(marks)[1] if marks and max(marks)[1] == "renewal" and not PER_YEAR_RE.search(head) else None


def _period(near: str, sentence: str) -> str | None:
    if PER_YEAR_RE.search(near):
        return "year"
    if PER_INITIAL_RE.search(sentence):
        return "initial"
    if PER_TOTAL_RE.search(sentence):
        return "total"
    return None


INTRODUCTION_END_RE = re.compile(r"(?:suit|suivants?|lots?|ci-dessous|par\s+lot(?:\s+de)?|est\s+de|sont\s+de|s'eleve\s+a|fixes?)\s*$")


def _list_introduction(folded: str, start: int, reach: int = 500) -> str:
    """The sentence that introduces the list an amount stands in ("… montants minimum et maximum annuels fixés
    comme suit :"), or "" when the amount is not in such a list."""
    window = folded[max(0, start - reach) : start]
    colon = len(window)
    while True:
        colon = window.rfind(":", 0, colon)
        if colon < 0:
            return ""
        if INTRODUCTION_END_RE.search(window[:colon]):
            sentence_start = max(window.rfind(". ", 0, colon), window.rfind(".\n", 0, colon), 0)
            return window[sentence_start:colon]


# A sentence ends at ". " or ";", but not after an abbreviation ("Montant H.T. : 50 000 €", "n°. 3", "art. 5").
SENTENCE_END_RE = re.compile(r"(?<!h\.t)(?<!t\.t\.c)(?<!\bart)(?<!\bno)(?<!\bcf)\.\s|;")


def _sentence_before(folded: str, start: int, size: int) -> str:
    window = folded[max(0, start - size) : start]
    ends = [m.end() for m in SENTENCE_END_RE.finditer(window)]
    return window[ends[-1] - 1 :] if ends else window


def _kind(before: str, after: str = "") -> AmountKind | None:
    tail = before[-110:]
    found = [(m.end(), kind) for pattern, kind in ((MAXIMUM_RE, AmountKind.MAXIMUM), (MINIMUM_RE, AmountKind.MINIMUM),
                                                   (ESTIMATE_RE, AmountKind.ESTIMATE), (TOTAL_RE, AmountKind.TOTAL))
             for m in pattern.finditer(tail)]
    kind = max(found)[1] if found else None
    return AmountKind.MAXIMUM if kind == AmountKind.ESTIMATE and _capped_envelope(tail, after) else kind


# An envelope is the buyer's budget, an estimate, unless it is said to be a maximum: « Maximum : enveloppe annuelle
# de … », « une enveloppe de 225 000 € HT maximum » (« Enveloppe maximale … » is read by MAXIMUM_RE itself).
CAPPED_BEFORE_RE = re.compile(r"(?:maxim\w*|plafond\w*)\W+(?:\w+\W+){0,3}?enveloppe[^.;\d]{0,60}$")
CAPPED_AFTER_RE = re.compile(r"^\W*(?:(?:€|euros?|h\.?t\.?|t\.?t\.?c\.?|hors\s+taxes?)\W*){0,3}(?:au\s+)?maxim")


def _capped_envelope(tail: str, after: str) -> bool:
    return bool(CAPPED_BEFORE_RE.search(tail) or ("enveloppe" in tail[-80:] and CAPPED_AFTER_RE.search(after)))


KIND_PREFERENCE = {AmountKind.MAXIMUM: 0, AmountKind.ESTIMATE: 1, AmountKind.TOTAL: 2, None: 3}


def best_amount(mentions: list[AmountMention]) -> AmountMention | None:
    """The figure a buyer would quote for a lot: HT before TTC, a maximum before an estimate; a minimum alone is
    not the lot's amount."""
    usable = [m for m in mentions if m.kind != AmountKind.MINIMUM and m.period != "renewal"]
    if not usable:
        return None
    return min(usable, key=lambda m: (m.tax == "TTC", KIND_PREFERENCE[m.kind], m.whole_tender))


def with_renewals(chosen: AmountMention, mentions: list[AmountMention]) -> tuple[Decimal, str] | None:
    """The firm period's figure plus each renewal's own figure of the same kind and tax, with the sum shown:
    « 6 500 000 € (période initiale) + 2 500 000 € (reconduction) = 9 000 000 € »."""
    from procure.text.format_fr import format_euros

    renewals = [m for m in mentions if m.period == "renewal" and m.kind == chosen.kind and m.tax == chosen.tax
                and not m.whole_tender]
    if not renewals or chosen.period not in ("initial", None):
        return None
    renewals = list({(m.start, m.value): m for m in renewals}.values())
    total = chosen.value + sum(m.value for m in renewals)
    parts = [f"{format_euros(chosen.value, cents=False)} (période initiale)"] + [f"{format_euros(m.value, cents=False)} (reconduction)" for m in renewals]
    return total, " + ".join(parts) + f" = {format_euros(total, cents=False)}"


def over_duration(mention: AmountMention, duration_months: float | None, initial_months: float | None) -> tuple[Decimal, str | None]:
    """The amount summed over the longest duration, with the computation when one was needed, in French
    (« 225 000 € par an × 4 ans », « 10 000 € par an, durée d'un an »)."""
    from procure.text.format_fr import format_euros, format_quantity, plural_fr  # the wording only

    figure = format_euros(mention.value, cents=mention.value != mention.value.to_integral_value())
    if mention.period == "year" and duration_months:
        years = Decimal(str(duration_months)) / 12
        wording = (f"{figure} par an, durée d'un an" if years == 1
                   else f"{figure} par an × {format_quantity(years, 2)} {plural_fr(years, 'an', 'ans')}")
        return (mention.value * years).quantize(Decimal("1")), wording
    if mention.period == "initial" and duration_months and initial_months and duration_months > initial_months:
        periods = Decimal(str(duration_months)) / Decimal(str(initial_months))
        return ((mention.value * periods).quantize(Decimal("1")),
                f"{figure} par période × {format_quantity(periods, 2)} {plural_fr(periods, 'période', 'périodes')}")
    return mention.value, None
