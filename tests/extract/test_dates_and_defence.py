"""Reading what decides which rules apply: the date printed on the pieces when no consultation date is given,
and a defence or security contract stated in the pieces (out of the L2112-2-1 obligation)."""
from datetime import date
from decimal import Decimal

import pytest

from procure.advice.suggest import suggest
from procure.extract.document import DocText
from procure.extract.reading import piece_date, read_dates, read_defence_security
from procure.model import Amount, BuyerCategory, CpvCode, Evidence, Fact, Lot, Tender
from procure.text.nlp import fold_aligned

EV = Evidence("RC.pdf", 1, 0, 0, 10, "passage")


def doc(text: str, role: str = "RC") -> DocText:
    from procure.model import Block

    block = Block("RC.pdf", 1, 0, "paragraph", text)
    return DocText("RC.pdf", role, text, fold_aligned(text), [0], [block])


@pytest.mark.parametrize("text, expected", [
    ("CCTP LOT N°00 : GÉNÉRALITÉS\nDOSSIER PRO/DCE – MARS 2021", date(2021, 3, 1)),
    ("Construction d'une école\nPHASE/Indice DATE\nDCE B - 5 Octobre 2016", date(2016, 10, 5)),
    # A law's date on the title page dates the law, not the consultation; the latest printed date wins.
    ("Marché passé en application du décret n° 2016-360 du 25 mars 2016\nDCE – 12 janvier 2021", date(2021, 1, 12)),
    ("Vu le code de la commande publique, ordonnance du 26 novembre 2018", None),
    # A planned date is no edition date, even a later one.
    ("DCE – Juin 2026\nFin des travaux : novembre 2026", date(2026, 6, 1)),
])
def test_date_printed_on_the_title_page(text, expected):
    found = piece_date(doc(text), 1)
    assert (found.value if found else None) == expected


def test_planned_start_when_the_title_page_has_no_date():
    text = "Objet : surveillance du site\n" + "x " * 1500 + "\nLa prestation débutera à partir du 01 septembre 2017."
    assert piece_date(doc(text), 1).value == date(2017, 9, 1)


def test_a_labelled_date_prevails_over_the_printed_one():
    dates = read_dates(doc("DCE – MARS 2021\nDate limite de réception des offres : 12 avril 2021 à 12h00"), 1)
    assert set(dates) == {"offers_deadline"}


@pytest.mark.parametrize("text, defence", [
    ("Le marché est passé selon une procédure adaptée conformément aux dispositions de l'article L2323-1 du code "
     "de la commande publique.", True),
    ("Le présent marché constitue un marché de défense ou de sécurité au sens de l'article L1113-1.", True),
    # Every RC cites the exclusion grounds of the defence part, and the candidate forms mention such contracts.
    ("Conformément aux articles L.2342-1, et R.2144-1 à 7 du Code de la commande publique, l'acheteur examine…", False),
    ("qu'il n'entre dans aucun des cas mentionnés ou, pour les marchés publics de défense ou de sécurité, aux "
     "articles L2341-1 à L2341-3", False),
    ("Le présent marché n'est pas un marché de défense ou de sécurité.", False),
])
def test_defence_or_security_contract(text, defence):
    assert (read_defence_security(doc(text), 1) is not None) is defence


def tender(launch: date | None = None, defence: bool = False, printed: date | None = None) -> Tender:
    lot = Lot(1, Fact("Nettoyage des locaux", EV))
    lot.cpv = [(CpvCode("90911200", None, None, "unverified", "90911200"), EV)]
    lot.estimated_amount = Fact(Amount(Decimal("900000"), "HT"), EV)
    result = Tender(lots=[lot], buyer_category=Fact(BuyerCategory.LOCAL, EV))
    if launch:
        result.dates["launch"] = Fact(launch, EV)
    if printed:
        result.dates["pieces"] = Fact(printed, EV)
    if defence:
        result.defence_security = Fact(True, EV)
    return result


def test_defence_read_in_the_pieces_takes_the_contract_out_of_the_obligation():
    assert suggest(tender(date(2026, 9, 1))).mandatory_social_condition
    advice = suggest(tender(date(2026, 9, 1), defence=True))
    assert not advice.mandatory_social_condition
    assert any(a.code == "defence_read" and a.evidence == [EV] for a in advice.alerts)
    # The user's answer prevails over the reading.
    assert suggest(tender(date(2026, 9, 1), defence=True), defence_security=False).mandatory_social_condition


def test_printed_date_is_the_reference_when_nothing_else_dates_the_consultation():
    advice = suggest(tender(printed=date(2026, 10, 1)), today=date(2026, 12, 2))
    assert advice.reference_date == date(2026, 10, 1)
    assert any(a.code == "date_uncertain" and "imprimée sur les pièces" in a.message for a in advice.alerts)


def test_tender_older_than_the_encoded_rules_is_read_with_the_first_ones():
    advice = suggest(tender(printed=date(2017, 9, 1)))
    alert = next(a for a in advice.alerts if a.code == "date_before_rules")
    assert "01/09/2017" in alert.message and "à vérifier" in alert.message
    assert not advice.mandatory_social_condition and advice.lots[0].suggestions


@pytest.mark.parametrize("text", [
    "La structure est agréée conformément à l'article L. 2324-1 du code de la santé publique.",  # a nursery
    "conformément aux articles R. 2324-42 du CSP relatifs aux établissements d'accueil",
    "en application de l'article L. 2321-2 du CGCT, dépenses obligatoires de la commune",
    "Les exigences de l'article L. 2321-2-1 du code de la défense s'appliquent au système d'information.",
    "Le présent marché ne constitue pas un marché de défense ou de sécurité.",
    "Le présent marché n'est ni un marché de défense ou de sécurité ni une concession.",
])
def test_same_article_numbers_of_other_codes_and_denials_are_no_defence(text):
    assert read_defence_security(doc(text), 1) is None
