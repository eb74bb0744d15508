"""Texts bounded and cleaned before the database (issue 26, D4): the same inputs on SQLite and PostgreSQL."""

import pytest

import dce
from procure.db.models import LotRow, Organisation
from procure.db.text import clean_text
from procure.service.workspace import SYSTEM, Workspace

PASSWORD = "motdepasse-solide"
LONG_DESIGNATION = "Peinture intérieure des locaux " + "et des circulations " * 34  # 710 characters


@pytest.fixture
def buyer(sessions):
    ws = Workspace(sessions)
    organisation = ws.create_organisation("Ville", actor=SYSTEM)
    ws.create_user("b@x.fr", PASSWORD, "B\x00\u202e", "buyer", organisation, actor=SYSTEM)
    return ws, ws.authenticate("b@x.fr", PASSWORD)


def _rc(folder, designation: str):
    return dce.write_docx(folder / "RC.docx", [
        (dce.H, "RÈGLEMENT DE LA CONSULTATION"),
        (dce.P, "Objet de la consultation : Travaux"),
        (dce.H, "Article 2 – Allotissement"),
        (dce.T, [["Lot", "Désignation", "Code CPV", "Montant estimé (€ HT)"],
                 ["1", "Gros œuvre", "45262522-6", "2 450 000,00"],
                 ["2", designation, "45442100-8", "380 000,00"]]),
    ])


def test_a_lot_designation_over_500_characters_is_analysed(buyer, tmp_path, sessions):
    ws, user = buyer
    assert len(LONG_DESIGNATION) > 600
    tender_id = ws.create_tender(user, "Consultation déposée")
    rc = _rc(tmp_path, LONG_DESIGNATION)
    ws.add_documents(user, tender_id, [(rc.name, rc.read_bytes())])
    ws.analyse(user, tender_id)
    lots = ws.review_items(user, tender_id)["lots"]
    title = next(lot["title"] for lot in lots if lot["number"] == 2)
    limit = LotRow.__table__.c.title.type.length
    assert len(title) == limit and title.endswith("…")
    assert LONG_DESIGNATION.startswith(title[:-1])


@pytest.mark.parametrize("title", ["T" * 600, "Travaux\x00 de voirie\x1b[31m\u202egpj.exe"])
def test_a_typed_title_too_long_or_with_nul_is_stored_cleaned(buyer, title):
    ws, user = buyer
    tender_id = ws.create_tender(user, title)
    stored = ws.review_items(user, tender_id)["tender"]["title"]
    assert stored == clean_text(title, 500, one_line=True)
    assert "\x00" not in stored and "\x1b" not in stored and "\u202e" not in stored and len(stored) <= 500


def test_names_and_comments_lose_control_characters(buyer, tmp_path):
    ws, user = buyer
    assert user.display_name == "B"
    long_name = "Mairie " + "x" * 400
    first = ws.create_organisation(long_name, actor=SYSTEM)
    assert ws.create_organisation(long_name, actor=SYSTEM) == first  # found again under its stored, cut name
    assert len(dict(ws.organisations())[first]) == Organisation.__table__.c.name.type.length
    tender_id = ws.create_tender(user, "Travaux", True)
    ws.add_documents(user, tender_id, [(p.name, p.read_bytes()) for p in dce.works_tender(tmp_path)])
    ws.analyse(user, tender_id)
    item = ws.review_items(user, tender_id)["lots"][0]["suggestions"][0]
    ws.review(user, "suggestion", item["id"], "comment", item["version"], "ligne 1\nligne\x00 2\x07")
    assert ws.history(user, tender_id)[-1]["comment"] == "ligne 1\nligne 2"


def test_an_email_too_long_for_its_column_is_refused(buyer):
    ws, _ = buyer
    with pytest.raises(ValueError, match="adresse e-mail invalide"):
        ws.create_user("a" * 240 + "@x.fr", PASSWORD, "A", "buyer", 1, actor=SYSTEM)
