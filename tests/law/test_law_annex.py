"""The buyer's answers count in the Word annex as in the app (code review D2): one `advise(tender, answers)`."""
import subprocess
import sys
from datetime import date

import docx
import pytest

import dce
from procure.advice.advise import TenderAnswers, advise
from procure.extract import analyze
from procure.outputs.annex import annex_context

L2112_ALERTS = ("aucune condition sociale détectée", "au titre de L2112-2-1 est à vérifier")


def _annex_text(path) -> str:
    document = docx.Document(str(path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells).replace("’", "'")


@pytest.mark.parametrize("answer, alerts_expected", [([], True), (["--defense-securite"], False)])
def test_a_defence_contract_declared_by_the_buyer_has_no_l2112_2_1_alert_in_the_annex(tmp_path, answer, alerts_expected):
    files = dce.supplies_tender(tmp_path)  # a commune's 395 000 € HT supplies: above the 216 000 € threshold
    out = tmp_path / "annexe.docx"
    result = subprocess.run([sys.executable, "-m", "procure.cli", "annex", *map(str, files), "--date", "2026-12-02",
                             "--out", str(out), *answer], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    text = _annex_text(out)
    assert any(words in text for words in L2112_ALERTS) == alerts_expected


def test_advise_uses_every_answer(tmp_path):
    tender = analyze(dce.supplies_tender(tmp_path))
    plain = advise(tender, TenderAnswers(on=date(2026, 12, 2)))
    answered = advise(tender, TenderAnswers(on=plain.reference_date, category="contracting_entity", defence=True))
    assert plain.mandatory_social_condition is True and answered.mandatory_social_condition is False
    assert answered.obligation.category == "contracting_entity" and answered.obligation.excluded
    context = annex_context(answered)
    assert not any(words in alert for alert in context["alerts"] for words in L2112_ALERTS)
    assert not any("Obligations environnementales" in alert for alert in context["alerts"])  # review C9


def test_the_annex_of_a_tender_with_answers_goes_through_advise(tmp_path):
    from procure.outputs.annex import write_annex_for

    tender = analyze(dce.supplies_tender(tmp_path))
    on = date(2026, 12, 2)
    plain = _annex_text(write_annex_for(tender, TenderAnswers(on=on), tmp_path / "a.docx"))
    defence = _annex_text(write_annex_for(tender, TenderAnswers(on=on, defence=True), tmp_path / "b.docx"))
    assert any(words in plain for words in L2112_ALERTS)
    assert not any(words in defence for words in L2112_ALERTS)
