"""Law content of the territorial guide: what is compulsory, thresholds by buyer, the memo withheld while unconfirmed."""
from datetime import date

import docx
import pytest

from procure.market.practice import Territory
from procure.outputs.guide import GuideData, write_guide


@pytest.fixture(scope="module")
def guide_text(tmp_path_factory):
    territory = Territory("Vitry-sur-Seine", frozenset({"94081"}))
    path = write_guide(GuideData(territory, date(2026, 11, 22), [], None), tmp_path_factory.mktemp("guide") / "g.docx")
    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    return text.replace("\u00a0", " ").replace("’", "'")


def _section(text: str, title: str, next_title: str) -> str:
    start = text.rindex(title)  # the heading, not the table of contents
    return text[start:text.index(next_title, start)]


def test_what_is_compulsory_includes_environmental_terms_and_every_threshold(guide_text):
    part = _section(guide_text, "1. Ce qui est obligatoire", "2. Les leviers")
    assert "21/08/2026" in part and "considération relative au domaine social ou à l'emploi" in part
    assert "L2112-2)" in part and "L2152-7" in part  # environmental execution condition and award criterion
    for figure in ("140 000,00", "216 000,00", "432 000,00", "750 000,00", "5 404 000,00"):
        assert figure in part.replace("\u202f", " ")
    assert "défense ou de sécurité" in part


def test_memo_is_withheld_until_its_exceptions_are_confirmed(guide_text):
    part = guide_text[guide_text.rindex("7. Modèle de note"):]
    assert "Modèle non fourni (à vérifier)" in part
    assert "Fait à [lieu]" not in part  # no ready-to-sign memo


def test_hourly_cost_is_the_trades_average(guide_text):
    assert "coût horaire moyen chargé du métier" in guide_text.lower()
    assert "salarié en insertion" not in guide_text
