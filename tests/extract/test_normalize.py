from datetime import date
from decimal import Decimal

import pytest

from procure.model import format_euros
from procure.text.normalize import find_amounts, find_articles, find_dates, find_duration_months


@pytest.mark.parametrize(
    "text, value, tax",
    [
        ("Montant estimé : 1 250 000,00 € HT", "1250000.00", "HT"),
        ("soit 1\u202f250\u202f000 € TTC", "1250000", "TTC"),
        ("enveloppe de 1.250.000 euros hors taxes", "1250000", "HT"),
        ("estimé à 450 k€ HT", "450000", "HT"),
        ("budget de 1,2 M€", "1200000", None),
        ("85 000 € H.T. par an", "85000", "HT"),
        ("valeur : 999,99 EUR", "999.99", None),
    ],
)
def test_french_amounts(text, value, tax):
    amounts = find_amounts(text)
    assert amounts, text
    amount, start, end = amounts[0]
    assert amount.value == Decimal(value)
    assert amount.tax == tax
    assert text[start:end].strip()[0].isdigit()


def test_no_amount_without_currency():
    assert find_amounts("le lot 3 comporte 1 200 heures") == []


def test_dates_text_and_numeric():
    found = find_dates("Envoi le 1er septembre 2026, remise le 15/10/2026 à 12h00, et le 31/02/2026 n'existe pas")
    assert [d for d, _, _ in found] == [date(2026, 9, 1), date(2026, 10, 15)]


@pytest.mark.parametrize(
    "text, months",
    [("Durée : 18 mois", 18), ("durée de 3 ans", 36), ("pour une durée de deux (2) ans", 24), ("délai de 12 semaines", 3)],
)
def test_durations(text, months):
    assert find_duration_months(text)[0] == months


def test_articles_new_and_old_code():
    text = ("réservé en application de l'article L. 2113-12 et du L2113-13, selon le R.2123-1 3° "
            "(anciennement article 15 du code des marchés publics)")
    assert find_articles(text) == ["L2113-12", "L2113-13", "R2123-1 3°", "CMP art. 15"]


def test_euros_typography():
    assert format_euros(Decimal("2450000")) == "2\u202f450\u202f000,00\u00a0€"
