"""French amounts, dates, durations and legal article references as they are written in tenders."""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

from procure.model import Amount

SPACES = "\u00a0\u202f\u2009 "

# Digits are capped (and must not follow another digit) so that a run of 100 000 digits costs linear time.
_NUMBER = r"(?<![\d,.])(?:\d{1,3}(?:[ \u00a0\u202f\u2009.]\d{3}){1,5}(?:,\d{1,2})?|\d{1,12}(?:[,.]\d{1,2})?)(?!\d)"
AMOUNT_RE = re.compile(
    rf"(?P<num>{_NUMBER})\s?(?P<mult>k|K|M|millions?\s+d['’]|millions?\s+de|millions?|milliers?\s+d['’])?\s?"
    r"(?P<cur>€|euros?(?:\s?\(s\))?(?![a-z])|EUR\b)\s?(?P<tax>\(?\s?H\.?\s?T\.?\)?(?![a-z])|\(?T\.?T\.?C\.?\)?|hors\s+taxes?|"
    r"toutes\s+taxes\s+comprises)?",
    re.I,
)

MONTHS_FR = {
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12, "decembre": 12,
}
DATE_TEXT_RE = re.compile(
    r"\b(?P<day>\d{1,2})(?:er)?\s+(?P<month>" + "|".join(MONTHS_FR) + r")\s+(?P<year>\d{4})\b", re.I
)
DATE_NUMERIC_RE = re.compile(r"\b(?P<day>\d{1,2})[/.-](?P<month>\d{1,2})[/.-](?P<year>\d{4})\b")

DURATION_RE = re.compile(
    r"\b(?P<num>\d{1,3}|un|une|deux|trois|quatre|cinq|six|douze|dix-huit|vingt-quatre|trente-six|quarante-huit)"
    r"\s*(?:\(\s*\d+\s*\)\s*)?(?P<unit>mois|ans?|années?|semaines?|jours?)\b",
    re.I,
)
WORD_NUMBERS = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "douze": 12,
    "dix-huit": 18, "vingt-quatre": 24, "trente-six": 36, "quarante-huit": 48,
}

ARTICLE_RE = re.compile(r"\b(?P<letter>[LRD])\s?\.?\s?(?P<book>\d{4})\s?-\s?(?P<rest>\d+(?:-\d+)*)(?P<deg>\s*\d°)?")
OLD_CMP_RE = re.compile(
    r"\barticles?\s+(?P<num>14|15|30|53)\b[^.;]{0,40}?\bcode\s+des\s+march[ée]s\s+publics", re.I
)


def fold(text: str) -> str:
    """Lower case without accents, for matching words whatever their typography."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("’", "'")


def parse_number(text: str) -> Decimal | None:
    cleaned = "".join(ch for ch in text if ch not in SPACES)
    if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", cleaned):
        cleaned = cleaned.replace(".", "")
    cleaned = cleaned.replace(",", ".")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def find_amounts(text: str) -> list[tuple[Amount, int, int]]:
    found = []
    for match in AMOUNT_RE.finditer(text):
        value = parse_number(match.group("num"))
        if value is None:
            continue
        mult = (match.group("mult") or "").lower()
        if mult == "k" or mult.startswith("millier"):
            value *= 1000
        elif mult == "m" or mult.startswith("million"):
            value *= 1_000_000
        tax_raw = fold(match.group("tax") or "").translate(str.maketrans("", "", ". ()"))
        tax = "HT" if tax_raw in ("ht", "horstaxe", "horstaxes") else "TTC" if tax_raw in ("ttc", "toutestaxescomprises") else None
        found.append((Amount(value, tax), match.start(), match.end()))
    return found


def find_dates(text: str) -> list[tuple[date, int, int]]:
    found: list[tuple[date, int, int]] = []
    for match in DATE_TEXT_RE.finditer(text):
        month = MONTHS_FR[match.group("month").lower()]
        _append_date(found, int(match.group("year")), month, int(match.group("day")), match)
    for match in DATE_NUMERIC_RE.finditer(text):
        _append_date(found, int(match.group("year")), int(match.group("month")), int(match.group("day")), match)
    return sorted(found, key=lambda item: item[1])


def _append_date(found: list, year: int, month: int, day: int, match: re.Match) -> None:
    try:
        found.append((date(year, month, day), match.start(), match.end()))
    except ValueError:
        pass  # "31/02/2026" is a typo, not a date


def find_duration_months(text: str) -> tuple[int, int, int] | None:
    match = DURATION_RE.search(text)
    if not match:
        return None
    raw = match.group("num").lower()
    number = int(raw) if raw.isdigit() else WORD_NUMBERS[raw]
    unit = fold(match.group("unit"))
    if unit.startswith("mois"):
        months = number
    elif unit.startswith(("an", "annee")):
        months = number * 12
    elif unit.startswith("semaine"):
        months = max(1, round(number / 4.345))
    else:
        months = max(1, round(number / 30.44))
    return months, match.start(), match.end()


def find_articles(text: str) -> list[str]:
    """Code de la commande publique articles ('L. 2113-12' → 'L2113-12') and old CMP articles ('CMP art. 14')."""
    articles = []
    for match in ARTICLE_RE.finditer(text):
        article = f"{match.group('letter')}{match.group('book')}-{match.group('rest')}"
        if match.group("deg"):
            article += " " + match.group("deg").strip()
        if article not in articles:
            articles.append(article)
    for match in OLD_CMP_RE.finditer(text):
        article = f"CMP art. {match.group('num')}"
        if article not in articles:
            articles.append(article)
    return articles
