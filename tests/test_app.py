"""Streamlit pages with AppTest, against a real SQLite database prepared through the library."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import dce
from procure.db import get_engine, session_factory
from procure.directory.demo import setup_demo
from procure.directory.suppliers import SupplierRepository
from procure.service.workspace import Workspace

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def demo(tmp_path, monkeypatch):
    monkeypatch.setenv("PROCURE_DATABASE_URL", f"sqlite:///{tmp_path / 'app.sqlite'}")
    sessions = session_factory(get_engine())
    workspace = Workspace(sessions)
    credentials = {role: (email, password) for email, password, role in setup_demo(workspace, SupplierRepository(sessions))}
    return workspace, credentials


def app(timeout=60):
    return AppTest.from_file(APP, default_timeout=timeout)


def logged_in(workspace, credentials, role="buyer"):
    test = app()
    test.session_state["user"] = workspace.authenticate(*credentials[role])
    return test


def test_login_page_in_french_and_wrong_password(demo):
    workspace, credentials = demo
    test = app().run()
    assert not test.exception
    assert "clauses sociales" in test.title[0].value
    test.text_input[0].input(credentials["buyer"][0])
    test.text_input[1].input("mauvais mot de passe")
    test.button[0].click().run()
    assert test.error[0].value == "Adresse e-mail ou mot de passe incorrect."
    assert "user" not in test.session_state


def test_login_then_empty_consultations(demo):
    workspace, credentials = demo
    test = app().run()
    test.text_input[0].input(credentials["buyer"][0])
    test.text_input[1].input(credentials["buyer"][1])
    test.button[0].click().run()
    assert not test.exception
    assert test.session_state["user"].role == "buyer"
    assert test.title[0].value == "Consultations"
    assert "Aucune consultation visible" in test.info[0].value


def test_consultation_page_shows_lots_suggestions_and_review(demo, tmp_path):
    workspace, credentials = demo
    buyer = workspace.authenticate(*credentials["buyer"])
    tender_id = workspace.create_tender(buyer, "Travaux", True)
    workspace.add_documents(buyer, tender_id, [(p.name, p.read_bytes()) for p in dce.works_tender(tmp_path)])
    workspace.analyse(buyer, tender_id)
    test = logged_in(workspace, credentials, "reviewer").run(timeout=120)
    assert not test.exception
    headers = [h.value for h in test.header]
    assert "Lot 2 : Peinture intérieure" in headers and "Annexe Word" in headers
    assert any("Clause d'insertion" in s.value for s in test.subheader)
    accept = next(b for b in test.button if b.label == "Accepter" and b.key.startswith("accept-match-"))
    accept.click().run(timeout=120)
    assert not test.exception
    assert workspace.history(buyer, tender_id)[0]["action"] == "accept"
    test.switch_page("ui/tableau_de_bord.py").run(timeout=120)
    assert not test.exception
    practice = test.dataframe[0].value
    row = practice[practice["Source"] == "procure"].iloc[0]
    assert (row["Acheteur"], row["Lots ou marchés"], row["Heures d'insertion prévues"]) == (
        "Ville de démonstration (fictive)", 3, 1550)


def test_dashboard_and_directory_pages(demo):
    workspace, credentials = demo
    test = logged_in(workspace, credentials, "admin")
    test.run()
    test.switch_page("ui/tableau_de_bord.py").run()
    assert not test.exception and test.title[0].value == "Tableau de bord"
    test.switch_page("ui/guide.py").run()
    assert not test.exception
    test.button[0].click().run(timeout=120)
    assert not test.exception and "Département 94 : 10 structure(s)" in test.success[0].value
    test.switch_page("ui/annuaire.py").run()
    assert not test.exception
    assert "FICTIVES" in test.warning[0].value
    test.switch_page("ui/administration.py").run()
    assert not test.exception and test.title[0].value == "Utilisateurs"


def test_buyer_cannot_open_administration(demo):
    workspace, credentials = demo
    test = logged_in(workspace, credentials, "buyer").run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        test.switch_page("ui/administration.py")  # not even registered for a buyer
