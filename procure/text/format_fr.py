"""French formatting of dates, numbers, percentages and euros (Babel, locale fr_FR).

One place for the app, the CSV exports and the Word outputs, so a buyer reads "15/07/2026", "2 042",
"0,83", "30 %" and "1 234 567,50 €" everywhere, never "2026-07-15", "2042", "0.83" or "None".
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.numbers import format_currency as _babel_currency
from babel.numbers import format_decimal as _babel_decimal
from babel.numbers import format_percent as _babel_percent

from procure.text.passages import passage_start, where_fr  # noqa: F401  (re-exported: one import for French wording)

if TYPE_CHECKING:
    import pandas as pd

LOCALE = "fr_FR"
MISSING = "non renseigné"


def _parse_date(value: date | datetime | str) -> date | datetime:
    if isinstance(value, str):
        return datetime.fromisoformat(value) if "T" in value or " " in value.strip() else date.fromisoformat(value)
    return value


def format_date(value: date | datetime | str | None, long: bool = False, missing: str = MISSING) -> str:
    """15/07/2026, or « 15 juillet 2026 » with long=True; ISO strings are accepted."""
    if value is None or value == "":
        return missing
    value = _parse_date(value)
    if isinstance(value, datetime):
        value = value.date()
    return _babel_date(value, format="long" if long else "dd/MM/yyyy", locale=LOCALE)


def format_datetime(value: datetime | str | None, missing: str = MISSING) -> str:
    """« 15/07/2026 à 14:03 » (local time of the value as stored)."""
    if value is None or value == "":
        return missing
    parsed = _parse_date(value)
    if not isinstance(parsed, datetime):
        return format_date(parsed)
    return f"{_babel_date(parsed.date(), format='dd/MM/yyyy', locale=LOCALE)} à " \
           f"{_babel_datetime(parsed, format='HH:mm', locale=LOCALE)}"


def format_number(value: float | int | Decimal | None, decimals: int | None = None, missing: str = MISSING) -> str:
    """2042 → « 2 042 », 0.83 → « 0,83 »; `decimals` fixes the number of decimals shown."""
    if value is None:
        return missing
    if decimals is None:
        return _babel_decimal(value, locale=LOCALE)
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return _babel_decimal(value, format=pattern, locale=LOCALE)


def format_quantity(value: float | int | Decimal | None, max_decimals: int = 1, missing: str = MISSING) -> str:
    """3.3 → « 3,3 », 4.0 → « 4 », 1.3333 → « 1,33 » with max_decimals=2: decimals only when there are some."""
    if value is None:
        return missing
    pattern = "#,##0" + ("." + "#" * max_decimals if max_decimals else "")
    return _babel_decimal(value, format=pattern, locale=LOCALE)


def plural_fr(count: float | int | Decimal, singular: str, plural: str) -> str:
    """French agreement: the plural from 2 on (« 1,5 an », « 2 ans »)."""
    return plural if abs(float(count)) >= 2 else singular


DAYS_RE = re.compile(r"(\d{1,4})\s*(?:\(\s*[\w-]+\s*\)\s*)?jours?\b", re.IGNORECASE)


def format_months(months: float | int | Decimal | None, passage: str | None = None, missing: str = MISSING) -> str:
    """48 → « 48 mois », 3.3 → « 3,3 mois »; when the passage the figure was read from gives the duration in days,
    the days first: « 100 jours (3,3 mois) »."""
    if months is None:
        return missing
    text = f"{format_quantity(months)} mois"
    for match in DAYS_RE.finditer(passage or ""):
        days = int(match.group(1))
        if days and abs(days / 30 - float(months)) < 0.06:
            return f"{format_int(days)} jour{'s' if days >= 2 else ''} ({text})"
    return text


def format_int(value: float | int | Decimal | None, missing: str = MISSING) -> str:
    """100000 → « 100 000 » (rounded)."""
    return format_number(value, decimals=0, missing=missing)


def format_percent(ratio: float | Decimal | None, decimals: int = 0, missing: str = MISSING) -> str:
    """0.3 → « 30 % »."""
    if ratio is None:
        return missing
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + "\u00a0%"
    return _babel_percent(ratio, format=pattern, locale=LOCALE)


def format_euros(value: float | int | Decimal | None, cents: bool = True, tax: str | None = None,
                 missing: str = MISSING) -> str:
    """1234567.5 → « 1 234 567,50 € » (« 1 234 568 € » with cents=False), followed by « HT »/« TTC » if given."""
    if value is None:
        return missing
    if cents:
        text = _babel_currency(value, "EUR", locale=LOCALE)
    else:
        text = _babel_currency(value, "EUR", format="#,##0\u00a0¤", locale=LOCALE, currency_digits=False)
    return f"{text} {tax}" if tax else text


def format_hours(hours: int | float | None, missing: str = MISSING) -> str:
    """2042 → « 2 042 heures », 1 → « 1 heure »."""
    if hours is None:
        return missing
    return f"{format_int(hours)} heure{'s' if abs(hours) >= 2 else ''}"


def format_distance(km: float | None, missing: str = "distance inconnue") -> str:
    """12.34 → « 12,3 km »; None (no coordinates) → « distance inconnue »."""
    if km is None:
        return missing
    return f"{format_number(km, decimals=1)}\u00a0km"


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """A pandas frame as a CSV French Excel opens in columns: `;`, decimal comma, UTF-8 with BOM."""
    path = Path(path)
    frame.to_csv(path, sep=";", decimal=",", index=False, encoding="utf-8-sig")
    return path


def format_siret(siret: str | None, missing: str = MISSING) -> str:
    """SIRET grouped as printed on a Kbis: « 123 456 789 00012 »."""
    if not siret:
        return missing
    if len(siret) != 14 or not siret.isdigit():
        return siret
    return f"{siret[:3]}\u00a0{siret[3:6]}\u00a0{siret[6:9]}\u00a0{siret[9:]}"
