"""The dated law answers for any date: a tender older than the first encoded value gets that value, flagged and
said, never a LawDateError or a crash (issue 21: the 2020 tender in the comparable-contracts step)."""
from datetime import date
from decimal import Decimal

import pytest

from procure import law
from procure.advice.suggest import suggest
from procure.model import Amount, BuyerCategory, CpvCode, Evidence, Fact, Lot, Tender

EV = Evidence("RC.pdf", 1, 0, 0, 10, "passage")


def cleaning_tender(launch: date) -> Tender:
    lot = Lot(1, Fact("Nettoyage des locaux scolaires", EV))
    lot.cpv = [(CpvCode("90911200", None, None, "unverified", "90911200"), EV)]
    lot.estimated_amount = Fact(Amount(Decimal("300000"), "HT"), EV)
    tender = Tender(lots=[lot], buyer_category=Fact(BuyerCategory.LOCAL, EV))
    tender.dates["launch"] = Fact(launch, EV)
    return tender


def test_a_date_before_the_first_value_gets_the_first_value_flagged():
    with pytest.raises(law.LawDateError):
        law.parameter("national_social_target", date(2020, 3, 1))
    value = law.parameter_or_earliest("national_social_target", date(2020, 3, 1))
    assert value.value == 0.30 and value.since == date(2022, 1, 1) and value.unverified
    assert "à partir du 01/01/2022, appliquée faute de règle antérieure au 01/03/2020" in value.note
    assert law.parameter_or_earliest("national_social_target", date(2024, 3, 1)) == law.parameter(
        "national_social_target", date(2024, 3, 1))


def test_the_ended_national_plan_is_flagged_from_2026():
    target = law.parameter("national_social_target", date(2026, 12, 2))
    assert target.unverified and "échu" in target.reference


def test_a_2020_tender_gets_comparable_contracts_without_crash(shared_data):
    from procure.market.decp import read_flat_csv
    from procure.market.similar import SimilarIndex, add_similar_evidence

    contracts = read_flat_csv(shared_data / "decp" / "decp_2018_2021_train.csv.gz").head(3000)
    advice = suggest(cleaning_tender(date(2020, 3, 1)))
    assert advice.reference_date == date(2020, 3, 1)
    add_similar_evidence(advice, SimilarIndex(contracts))
    notes = [r for s in advice.lots[0].suggestions for r in s.reasons if "cible nationale" in r]
    assert notes, "the DECP division 90 share and the national target are said"
    assert "à partir du 01/01/2022" in notes[0]


@pytest.mark.parametrize("launch", [date(2005, 6, 1), date(2015, 1, 1), date(2019, 12, 31)])
def test_tenders_older_than_every_rule_are_advised_with_the_earliest_rules(launch):
    advice = suggest(cleaning_tender(launch))
    alert = next(a for a in advice.alerts if a.code == "date_before_rules")
    assert f"{launch:%d/%m/%Y}" in alert.message and "à vérifier" in alert.message
    assert advice.mandatory_social_condition is False and advice.lots[0].suggestions
