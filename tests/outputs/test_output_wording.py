"""What procure prints to a buyer reads right: French numbers, the kind of amount the hours rest on, passages a
buyer can find, each thing said once (review of the CLI output on the real tenders)."""
import re
from datetime import date
from decimal import Decimal

from procure import law
from procure.advice.report import advice_fr
from procure.advice.suggest import compute_hours, referred_piece, suggest
from procure.extract.quantities import AmountMention, over_duration
from procure.model import (
    Amount,
    AmountKind,
    BuyerCategory,
    CpvCode,
    DocumentInfo,
    Evidence,
    Fact,
    Lot,
    ProvisionKind,
    SocialProvision,
    Tender,
)
from procure.outputs.format_fr import format_months, format_quantity, where_fr
from procure.outputs.report import summary_fr
from procure.vocabulary import SuggestionStatus

PDF = Evidence("RC.pdf", 3, 0, 0, 10, "passage")
DOCX = Evidence("AE.docx", None, 97, 120, 140,
                "itulaire du marché. Le montant maximum pour la durée initiale de l'accord-cadre est de 500 000 € HT.")


def lot(number=1, cpv="45442100", amount="380000", kind=None, months=None, evidence=PDF, status="ok",
        provisions=()):
    result = Lot(number, Fact(f"Lot {number}", evidence))
    if cpv:
        result.cpv = [(CpvCode(cpv, "1", "Travaux de peinture", status, cpv), evidence)]
    if amount is not None:
        result.estimated_amount = Fact(Amount(Decimal(amount), "HT", kind), evidence)
    if months is not None:
        result.duration_months = Fact(months, evidence)
    result.provisions = list(provisions)
    return result


def tender(*lots, launch=date(2026, 9, 1), provisions=(), documents=("RC",)):
    result = Tender(lots=list(lots), provisions=list(provisions),
                    documents=[DocumentInfo(f"{kind}.pdf", kind, 3, 10) for kind in documents])
    result.buyer_category = Fact(BuyerCategory.LOCAL, PDF)
    result.dates["launch"] = Fact(launch, PDF)
    return result


def nesting(text: str) -> int:
    depth = deepest = 0
    for char in text:
        depth += char == "("
        depth -= char == ")"
        deepest = max(deepest, depth)
    return deepest


# ---------------------------------------------------------------- numbers and durations


def test_months_have_a_decimal_comma_and_the_days_the_tender_gave():
    assert format_quantity(3.3) == "3,3" and format_quantity(4.0) == "4"
    assert format_months(4.2) == "4,2 mois"
    assert format_months(3.3, "Durée : 100 jours à compter de la date de notification") == "100 jours (3,3 mois)"
    assert format_months(48, "reconductible 3 fois, soit 48 mois ; délai de 10 jours") == "48 mois"


def test_duration_line_of_the_summary():
    text = summary_fr(tender(lot(months=3.3, evidence=Evidence("avis.pdf", 4, 0, 0, 9, "Durée : 100 jours à compter"))))
    assert "Durée : 100 jours (3,3 mois)" in text and "3.3" not in text


def test_amount_computation_is_french_and_says_nothing_useless():
    per_year = AmountMention(Decimal("225000"), "HT", AmountKind.MAXIMUM, "year", 0, 10)
    assert over_duration(per_year, 48, None) == (Decimal("900000"), "225\u202f000\u00a0€ par an × 4 ans")
    value, wording = over_duration(AmountMention(Decimal("10000"), None, AmountKind.MAXIMUM, "year", 0, 10), 12, None)
    assert value == Decimal("10000") and "× 1" not in wording and "an(s)" not in wording
    _, wording = over_duration(AmountMention(Decimal("500000"), "HT", None, "initial", 0, 10), 48, 24)
    assert wording == "500\u202f000\u00a0€ par période × 2 périodes"


# ---------------------------------------------------------------- the analysis summary


def test_summary_says_the_check_digit_once_and_the_consultation_it_repeats():
    first, second = lot(1, status="completed"), lot(2, status="completed")
    second.duration_months = Fact(48, PDF, inherited=True)
    text = summary_fr(tender(first, second))
    assert "chiffre de contrôle" in text and text.count("chiffre de contrôle") == 1
    assert "(repris de la consultation)" in text and "repris du marché" not in text


def test_predicted_cpv_is_said_in_french_with_percentages():
    predicted = lot(cpv=None)
    predicted.predicted_cpv = Fact({"division": "79", "division_probability": 1.0, "group": "797",
                                    "group_probability": 0.88})
    text = summary_fr(tender(predicted))
    assert "PRÉDIT" not in text and "100%" not in text
    assert "prédit par le modèle : division 79 (probabilité 100\u00a0%)" in text


def test_word_evidence_shows_the_passage_not_a_paragraph_number():
    text = summary_fr(tender(lot(evidence=DOCX)))
    assert "§" not in text
    assert "[AE.docx, « Le montant maximum pour la durée initiale" in text
    assert where_fr(PDF) == "RC.pdf, p. 3"
    assert where_fr({"file": "AE.docx", "page": None, "passage": "Article 5 – Durée", "start": 0}) == "AE.docx, « Article 5 – Durée »"


# ---------------------------------------------------------------- the suggestions


def test_suggestions_say_a_point_to_check_once_and_no_raw_score():
    clause = SocialProvision(ProvisionKind.INSERTION_CLAUSE, PDF, None, ["L2112-2"], hours=2000)
    text = advice_fr(suggest(tender(lot(), provisions=[clause])))
    assert "score" not in text and not re.search(r"\d\.\d\d\b", text)
    for line in text.splitlines():
        assert line.count("à vérifier") <= 1, line
    assert "[déjà présente]" in text and "pertinence" not in text.split("[déjà présente]")[0].splitlines()[-1]
    assert "pertinence" in advice_fr(suggest(tender(lot())))


def test_sources_come_last_and_are_never_nested():
    advice = suggest(tender(lot(amount="300000")))
    assert nesting(advice.obligation.explanation) <= 1
    assert re.search(r"Sources? : [^()]*loi 2021-1104", advice.obligation.explanation)
    before = suggest(tender(lot(), launch=date(2020, 8, 13)))
    assert "(Aucune" not in before.obligation.explanation and "Source : aucune obligation" in before.obligation.explanation
    assert law.sources_fr("Pratique courante ; CE 25 mars 2013 (pondéré 15 % dans l'espèce)") == \
        "Sources : pratique courante ; CE 25 mars 2013 (pondéré 15 % dans l'espèce)."
    other_services = suggest(tender(lot(cpv="92312211", amount="300000")))  # labour family « Services (autres) »
    for line in advice_fr(advice).splitlines() + advice_fr(other_services).splitlines():
        assert nesting(line) <= 1, line


def test_hours_on_a_maximum_say_so_and_what_to_check():
    hours = compute_hours(Decimal("400000"), "50000000", "services", date(2026, 9, 1), AmountKind.MAXIMUM)
    assert hours.steps[0].startswith("Montant maximum du lot")
    clause = {s.lever_id: s for s in suggest(tender(lot(amount="400000", kind=AmountKind.MAXIMUM))).lots[0].suggestions}
    assert any("montant maximum" in point and "commandes" in point for point in clause["insertion_clause"].points_to_check)
    estimate = compute_hours(Decimal("400000"), "50000000", "services", date(2026, 9, 1), AmountKind.ESTIMATE)
    assert estimate.steps[0].startswith("Montant estimé du lot")


def test_a_tiny_volume_is_not_proposed_as_a_clause_volume():
    minimum = law.parameter("insertion_minimum_hours", date(2026, 9, 1))
    assert minimum.value["hours"] == 35 and minimum.unverified
    advice = suggest(tender(lot(cpv="92312211", amount="10000", kind=AmountKind.MAXIMUM), launch=date(2020, 8, 1)))
    clause = {s.lever_id: s for s in advice.lots[0].suggestions}["insertion_clause"]
    assert clause.hours.hours == 5 and clause.hours.below_minimum
    assert not any("Volume proposé" in reason for reason in clause.reasons)
    assert any("trop petit pour une clause d'insertion en heures" in reason and "condition sociale sans heures" in reason
               for reason in clause.reasons)
    assert not any("5 heures" in paragraph for paragraph in clause.clause_paragraphs)
    assert clause.status != SuggestionStatus.RECOMMENDED


def test_clause_referring_to_a_piece_not_read_sends_the_buyer_there():
    passage = ("Le candidat retenu devra mettre en œuvre une action d'insertion, dans les conditions précisées à "
               "l'article 1.5.1 du CCAP no2000505.")
    clause = SocialProvision(ProvisionKind.INSERTION_CLAUSE, Evidence("avis.pdf", 5, 0, 0, 10, passage))
    advice = suggest(tender(lot(), provisions=[clause], documents=("AVIS",)))
    (alert,) = [a for a in advice.lots[0].alerts if a.code == "clause_without_hours"]
    assert "CCAP" in alert.message and "vérifiez" in alert.message and "inopérante" not in alert.message
    read = suggest(tender(lot(), provisions=[clause], documents=("AVIS", "CCAP")))
    (alert,) = [a for a in read.lots[0].alerts if a.code == "clause_without_hours"]
    assert "inopérante" in alert.message
    assert referred_piece("voir le règlement de la consultation", {"AVIS"})[0] == "RC"
    # Law review C11: the justice RC puts the clause « dans le cahier des charges », which was not supplied.
    assert referred_piece("selon les modalités prévues au cahier des charges", {"RC"}) == ("CDC", "cahier des charges")
    assert referred_piece("selon les modalités prévues au cahier des charges", {"RC", "CCAP"}) is None
    assert "recommandation, non règle de droit" in alert.message


def test_a_criterion_already_weighted_shows_the_weight_found():
    criterion = SocialProvision(ProvisionKind.SOCIAL_CRITERION, PDF, None, weight_percent=5.0)
    levers = {s.lever_id: s for s in suggest(tender(lot(cpv="50100000"), provisions=[criterion])).lots[0].suggestions}
    reasons = " ".join(levers["social_criterion"].reasons)
    assert "Pondération fixée par le dossier : 5\u202f%" in reasons and "Pondération suggérée" not in reasons
    assert any("(5\u202f%)" in paragraph for paragraph in levers["social_criterion"].clause_paragraphs)


def test_an_article_of_the_code_is_no_missing_piece():
    from procure.advice.suggest import referred_piece

    assert referred_piece("conformément à l'article L2112-2 du CCP, le titulaire réalise", {"RC"}) is None
    assert referred_piece("dans les conditions de l'article 5.2 du CCP", {"RC"})[0] == "CCP"
