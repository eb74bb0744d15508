"""What a buyer reads must not contradict itself: a law not in force is not « indéterminée », a notice alone does not
make a clause « inopérante », an intellectual service's volume is indicative, a date older than the rules is said so."""
from datetime import date

from test_suggest import EV, alert_codes, levers_of, lot, tender

from procure.advice.report import advice_fr
from procure.advice.suggest import suggest
from procure.model import DocumentInfo, Evidence, Fact, ProvisionKind, SocialProvision
from procure.vocabulary import DocumentRole


def all_text(advice) -> str:
    return advice_fr(advice)


def test_an_obligation_not_in_force_is_never_called_undetermined():
    advice = suggest(tender(lot(1, amount=None), lot(2, amount=None), launch=date(2020, 8, 6)))
    text = all_text(advice)
    assert "l'obligation ne s'applique pas" in text
    assert "indéterminée" not in text and "value_unknown" not in {a.code for a in advice.alerts}
    assert not alert_codes(advice, 1) & {"lot_amount_unknown"}


def test_many_lots_without_amount_give_one_alert_when_the_obligation_is_in_force():
    lots = [lot(1, amount="100000")] + [lot(n, amount=None) for n in range(2, 8)]
    advice = suggest(tender(*lots, launch=date(2026, 10, 1)))
    grouped = [a for a in advice.alerts if a.code == "lot_amount_unknown"]
    assert len(grouped) == 1 and "6 lots (2, 3, 4, 5, 6, 7)" in grouped[0].message
    assert not any(a.code == "lot_amount_unknown" for item in advice.lots for a in item.alerts)


def test_a_clause_without_hours_read_in_a_notice_alone_points_to_the_ccap():
    clause = SocialProvision(ProvisionKind.INSERTION_CLAUSE, Evidence("avis.pdf", 1, 0, 0, 40,
                             "Le marché comporte une clause sociale d'insertion."), None, ["L2112-2"])
    notice = tender(lot(cpv="90911200", amount="300000"), provisions=[clause], launch=date(2026, 10, 1))
    notice.documents = [DocumentInfo("avis.pdf", DocumentRole.AVIS, 2, 10)]
    text = all_text(suggest(notice))
    assert "le volume figure d'ordinaire au CCAP" in text and "inopérante" not in text
    notice.documents.append(DocumentInfo("CCAP.pdf", DocumentRole.CCAP, 20, 200))
    assert "inopérante" in all_text(suggest(notice))  # the CCAP was read and has no volume: then it is


def test_an_intellectual_service_gets_an_indicative_volume_not_a_proposed_one():
    advice = suggest(tender(lot(cpv="72600000", amount="900000"), launch=date(2026, 3, 1)))
    reasons = levers_of(advice)["insertion_clause"].reasons
    assert any(reason.startswith("Volume indicatif :") for reason in reasons)
    assert not any("Volume proposé" in reason or "volume à fixer" in reason for reason in reasons)


def test_a_tender_older_than_the_rules_says_which_date_is_used():
    old = tender(lot(), launch=None)
    old.dates["pieces"] = Fact(date(2017, 9, 1), EV)
    advice = suggest(old)
    header = all_text(advice).splitlines()[0]
    assert header.startswith("Date de référence : 01/01/2020, première date des règles encodées")
    assert "date imprimée" not in header
    assert any(a.code == "date_before_rules" and "01/09/2017" in a.message for a in advice.alerts)
    assert "date_uncertain" not in {a.code for a in advice.alerts}  # said once, by the alert above


def test_social_services_reasons_owe_no_social_condition_before_it_exists():
    before = levers_of(suggest(tender(lot(cpv="85311000", amount="300000"), launch=date(2024, 3, 1))))
    after = levers_of(suggest(tender(lot(cpv="85311000", amount="300000"), launch=date(2026, 10, 1))))
    assert not any("ne dispense pas" in r for r in before["social_services_procedure"].reasons)
    assert any("ne dispense pas" in r for r in after["social_services_procedure"].reasons)


def test_a_social_services_notice_under_an_open_procedure_is_not_called_adapted():
    regime = SocialProvision(ProvisionKind.SOCIAL_SERVICES_PROCEDURE, EV)
    for procedure, said in (("Appel d'offres ouvert", True), ("MAPA", False)):
        advice = suggest(tender(lot(cpv="85311000", amount="300000"), provisions=[regime], procedure=procedure,
                                launch=date(2024, 3, 1)))
        reasons = levers_of(advice)["social_services_procedure"].reasons
        assert any("la procédure adaptée (R2123-1 3°) n'a pas été choisie" in r for r in reasons) is said


def test_each_lot_says_its_place_of_execution():
    from procure.model import Place, PlaceScope

    first, second = lot(1), lot(2)
    first.place = Fact(Place(PlaceScope.DEPARTMENT, "Code NUTS FRK11", [], ["03"]), EV)
    lines = all_text(suggest(tender(first, second, launch=date(2026, 10, 1)))).splitlines()
    assert "  Lieu d'exécution : Code NUTS FRK11 → département 03" in lines
    assert "  Lieu d'exécution : non indiqué dans les pièces lues" in lines


def test_the_declared_nature_prevails_over_the_code():
    from procure.vocabulary import ContractNature

    works = tender(lot(cpv="42512000", amount="300000"), launch=date(2026, 3, 1))
    before = levers_of(suggest(works))
    works.declared_nature = Fact(ContractNature.WORKS, EV)
    advice = suggest(works)
    clause = levers_of(advice)["insertion_clause"]
    assert advice.lots[0].nature == ContractNature.WORKS and "nature déclarée retenue" in clause.reasons[0]
    assert clause.score > (before["insertion_clause"].score if "insertion_clause" in before else 0)
    assert "travaux" in advice.obligation.nature_reason or advice.obligation.nature == ContractNature.WORKS


def test_the_whole_tenders_amount_stands_for_lots_that_state_none():
    from decimal import Decimal

    from procure.model import Amount, AmountKind

    notice = tender(*[lot(n, amount=None) for n in range(1, 6)], launch=date(2026, 10, 1))
    notice.estimated_amount = Fact(Amount(Decimal("6510000"), "HT", AmountKind.MAXIMUM), EV)
    advice = suggest(notice)
    assert advice.obligation.contract_value == Decimal("6510000") and advice.obligation.applies is True
    assert not [a for a in advice.alerts if a.code in ("lot_amount_unknown", "value_unknown")]


def test_each_lot_says_its_amount_and_the_estimate_beside_a_maximum():
    from decimal import Decimal

    from procure.model import Amount, AmountKind

    framework, other = lot(1), lot(2, amount=None)
    framework.estimated_amount = Fact(Amount(Decimal("6000000"), "HT", AmountKind.MAXIMUM, None, Decimal("1712500")), EV)
    lines = all_text(suggest(tender(framework, other, launch=date(2026, 10, 1)))).splitlines()
    assert "  Montant : 6\u202f000\u202f000,00\xa0€ HT (maximum ; montant estimé : 1\u202f712\u202f500\xa0€)" in lines
    assert "  Montant : non indiqué dans les pièces lues" in lines
