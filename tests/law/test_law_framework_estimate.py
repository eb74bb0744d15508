"""A framework agreement printing both its maximum and an estimate of the orders: the insertion hours owed are
computed on the estimate, the maximum staying a ceiling (law review: 22 882 h computed on a 68.6 M€ maximum
instead of the 27.5 M€ estimate). Read from a real eForms notice (BT-271 maximum and BT-27 estimate)."""
from __future__ import annotations

from decimal import Decimal

import dce
from procure.advice.advise import advise
from procure.extract import analyze
from procure.model import AmountKind


def test_hours_of_a_framework_come_from_its_estimate_not_its_maximum(shared_data):
    tender = analyze([next(shared_data.glob("dce-real/ted_134603-2024/*.xml"))])
    amount = tender.lots[0].estimated_amount.value
    assert amount.kind == AmountKind.MAXIMUM and amount.value == Decimal("1000000") and amount.estimate == Decimal("800000")
    insertion = next(s for s in advise(tender).lots[0].suggestions if s.lever_id == "insertion_clause")
    assert insertion.hours.amount_ht == Decimal("800000") and insertion.hours.per != "invoiced"
    assert any("plafond" in step for step in insertion.hours.steps)


def test_the_estimate_of_a_lot_whose_table_row_wraps_gives_the_hours(shared_data):
    """The justice RC prints lot 1's estimate and maximum in a table row that wraps (law review: 22 882 h on the
    68.6 M€ maximum instead of the 27.5 M€ estimate)."""
    tender = analyze([next(shared_data.glob("dce-real/justice_ppsmj_2024/*.pdf"))])
    amount = tender.lots[0].estimated_amount.value
    assert (amount.value, amount.estimate) == (Decimal("68645833"), Decimal("27458333"))
    insertion = next(s for s in advise(tender).lots[0].suggestions if s.lever_id == "insertion_clause")
    assert insertion.hours.amount_ht == Decimal("27458333") and insertion.hours.per != "invoiced"


def test_a_maximum_alone_stays_a_rate_per_invoiced_euro(tmp_path):
    rc = [(dce.H, "RÈGLEMENT DE LA CONSULTATION"),
          (dce.P, "Pouvoir adjudicateur : Ville de Cognin"),
          (dce.P, "Objet de la consultation : travaux d'entretien de la voirie communale"),
          (dce.P, "Forme du marché : accord-cadre à bons de commande conclu avec un montant maximum de 900 000 € HT "
                  "sur sa durée totale."),
          (dce.P, "Durée : 4 ans."),
          (dce.P, "Code CPV : 45233141-9 Travaux d'entretien routier.")]
    tender = analyze([dce.write_pdf(tmp_path / "RC.pdf", rc)])
    amount = tender.lots[0].estimated_amount.value
    assert amount.kind == AmountKind.MAXIMUM and not amount.estimate
    insertion = next(s for s in advise(tender).lots[0].suggestions if s.lever_id == "insertion_clause")
    assert insertion.hours.per == "invoiced" and insertion.hours.euros_per_hour


def test_the_annex_calls_a_maximum_a_maximum_and_shows_the_estimate(shared_data):
    from procure.outputs.annex import annex_context

    tender = analyze([next(shared_data.glob("dce-real/ted_134603-2024/*.xml"))])
    context = annex_context(advise(tender))
    facts, summary = context["lots"][0]["facts"], context["summary"][0]["amount"]
    assert "montant maximum\xa0: 1\u202f000\u202f000,00" in facts and "montant estimé" not in facts
    assert "(estimé\xa0: 800\u202f000,00" in facts
    assert summary.startswith("1\u202f000\u202f000,00") and "(maximum\xa0; estimé\xa0: 800\u202f000,00" in summary
