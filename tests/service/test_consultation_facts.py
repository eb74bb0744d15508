"""Facts that say what they are (issue 21): deadlines with their hour, maxima never called estimates, one place per
consultation that its lots inherit, decisions on a consultation just unshared refused with a French message, and the
working group's comments in the Word annex. Real development tenders (../shared/data/dce-real), real service calls
on SQLite and PostgreSQL, the real consultation page with Streamlit's AppTest.
"""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import docx
import pytest
from streamlit.testing.v1 import AppTest

from procure.db import get_engine, session_factory
from procure.directory.demo import setup_demo
from procure.directory.suppliers import SupplierRepository
from procure.errors import ProcureError
from procure.extract import analyze
from procure.extract.reading import hour_after
from procure.outputs.report import date_hour_fr, summary_fr
from procure.service.review import ITEM_NOT_VISIBLE_FR, NO_LONGER_SHARED_FR
from procure.service.workspace import SYSTEM, AccessDenied, Workspace

DCE_REAL = Path(os.environ.get("PROCURE_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data")) / "dce-real"
APP = str(Path(__file__).resolve().parents[2] / "app.py")
JUSTICE = DCE_REAL / "justice_ppsmj_2024" / "RC 1.pdf"

needs_real = pytest.mark.skipif(not JUSTICE.exists(), reason="tenders réels absents (../shared/data/dce-real)")


# ---------------------------------------------------------------- deadlines with their hour

@needs_real
@pytest.mark.parametrize(("files", "day", "hour", "shown"), [
    (["justice_ppsmj_2024/RC 1.pdf"], date(2024, 9, 2), "14:00", "02/09/2024 à 14h00"),  # "… à 14h00"
    (["vsgp_infogerance/RC.pdf"], date(2025, 4, 19), "15:00", "19/04/2025 à 15h00"),  # "Heure : 15h00" a line below
    (["boamp_20-100932/boamp-avis-20-100932.pdf"], date(2020, 9, 14), "17:00", "14/09/2020 à 17h00"),  # "- 17:00"
    (["boamp_avis_20-100260/boamp-avis-20-100260.pdf"], date(2020, 9, 1), "12:00", "01/09/2020 à 12h00"),  # "à 12 heures"
])
def test_the_offers_deadline_keeps_the_hour_the_documents_print(files, day, hour, shown):
    paths = [DCE_REAL / f for f in files]
    if not all(p.exists() for p in paths):
        pytest.skip("pièce absente")
    tender = analyze(paths)
    assert tender.dates["offers_deadline"].value == day  # still a date for the law
    assert tender.times["offers_deadline"] == hour
    assert f"Date limite des offres : {shown}" in summary_fr(tender)  # the command line's text output
    passage = tender.dates["offers_deadline"].evidence.passage.replace(" ", "").lower()
    assert hour.split(":")[0] in passage and ("h" in passage or ":" in passage)
    assert tender.to_dict()["times"]["offers_deadline"] == hour  # what the app stores


@pytest.mark.parametrize(("text", "hour"), [
    (" à 14h00 .", "14:00"), (", à 12 heures.", "12:00"), (" - 17:00 IV.2.3)", "17:00"), (" à 9 h 30", "09:30"),
    (" ....................\nHeure : 15h00 ....", "15:00"), (" Heure locale : 17:00", "17:00"), (" avant midi", "12:00"),
    (" 12 mois à compter", None), (" 1 habitant", None), (" VI.5) Date d'envoi", None), (" 24 heures", None),
    (" Lot 2 : 36 041 666 € HT", None),
])
def test_an_hour_is_read_only_right_after_the_date(text, hour):
    found = hour_after(text)
    assert (found[0] if found else None) == hour


def test_a_date_stored_without_hour_stays_a_date():
    # An analysis stored before hours were read has no "times": the page and the CLI show the date alone.
    assert date_hour_fr("2024-09-02", None, long=True) == "2 septembre 2024"
    assert date_hour_fr("2024-09-02", "14:00", long=True) == "2 septembre 2024 à 14h00"
    assert date_hour_fr(date(2024, 9, 2), "09:30") == "02/09/2024 à 9h30"


# ---------------------------------------------------------------- the working space, on SQLite and PostgreSQL

def _world(url: str):
    sessions = session_factory(get_engine(url))
    ws = Workspace(sessions)
    accounts = {role: (email, password) for email, password, role in setup_demo(ws, SupplierRepository(sessions))}
    users = {role: ws.authenticate(*credentials) for role, credentials in accounts.items()}
    tender_id = ws.create_tender(users["buyer"], "PPSMJ", True)
    ws.add_documents(users["buyer"], tender_id, [(JUSTICE.name, JUSTICE.read_bytes())])
    ws.analyse(users["buyer"], tender_id)
    return ws, users, accounts, tender_id


@needs_real
def test_a_decision_on_a_consultation_just_unshared_is_refused_with_a_message(database_url):
    ws, users, _, tender_id = _world(database_url)
    reviewer, buyer = users["reviewer"], users["buyer"]
    item = ws.review_items(reviewer, tender_id)["lots"][0]["suggestions"][0]  # the member's page is open…
    ws.set_shared(buyer, tender_id, False)  # …when the buyer stops sharing
    with pytest.raises(AccessDenied) as refused:
        ws.review(reviewer, "suggestion", item["id"], "accept", item["version"], "d'accord")
    assert str(refused.value) == NO_LONGER_SHARED_FR
    assert ws.history(buyer, tender_id) == []  # nothing recorded
    other = ws.create_organisation("Ville de Rennes", actor=SYSTEM)  # someone who never saw it learns nothing more
    ws.create_user("acheteur@rennes.test", "un mot de passe sûr", "Acheteur Rennes", "buyer", other, actor=SYSTEM)
    outsider = ws.authenticate("acheteur@rennes.test", "un mot de passe sûr")
    with pytest.raises(AccessDenied) as hidden:
        ws.review(outsider, "suggestion", item["id"], "accept", item["version"])
    assert str(hidden.value) == ITEM_NOT_VISIBLE_FR
    ws.set_shared(buyer, tender_id, True)  # shared again: the member decides
    assert ws.review(reviewer, "suggestion", item["id"], "accept", item["version"], "d'accord") == item["version"] + 1


@needs_real
def test_one_place_for_the_consultation_reaches_every_lot(database_url):
    ws, users, _, tender_id = _world(database_url)
    buyer = users["buyer"]
    lots = ws.review_items(buyer, tender_id)["lots"]
    assert len(lots) == 3 and all((lot["matching"]["place"] or {}).get("source") != "user" for lot in lots)
    with pytest.raises(ProcureError):
        ws.set_tender_place(buyer, tender_id, "Atlantide")  # refused before any lot changes
    assert [lot["matching"] for lot in ws.review_items(buyer, tender_id)["lots"]] == [lot["matching"] for lot in lots]
    with pytest.raises(AccessDenied):
        ws.set_tender_place(users["reviewer"], tender_id, "Rennes")
    result = ws.set_tender_place(buyer, tender_id, "Rennes")
    assert sorted(result.applied) == [1, 2, 3] and result.kept == []
    assert result.summary_fr() == "Lieu d'exécution appliqué aux lots 1, 2 et 3."
    places = [lot["matching"]["place"] for lot in ws.review_items(buyer, tender_id)["lots"]]
    assert all(place["source"] == "user" and "Rennes" in place["label"] for place in places)


@needs_real
def test_the_annex_gives_each_decision_with_who_when_and_the_comments(database_url, tmp_path):
    ws, users, _, tender_id = _world(database_url)
    reviewer, buyer = users["reviewer"], users["buyer"]
    lot = ws.review_items(buyer, tender_id)["lots"][0]
    clause = lot["suggestions"][0]
    version = ws.review(reviewer, "suggestion", clause["id"], "accept", clause["version"], "heures à revoir sur l'estimation")
    ws.review(buyer, "suggestion", clause["id"], "comment", version, "d'accord pour l'estimation")
    path = ws.annex(buyer, tender_id, tmp_path / "annexe.docx")
    document = docx.Document(str(path))
    paragraphs = [p.text for p in document.paragraphs]
    decision = next(i for i, text in enumerate(paragraphs) if text.startswith("Décision") and "retenue" in text)
    assert "Membre du groupe de travail" in paragraphs[decision]  # the name (typography unnests its brackets)
    comments = paragraphs[decision + 1 : decision + 3]
    assert comments[0].startswith("Commentaire de Membre du groupe de travail")
    assert "heures à revoir sur l’estimation" in comments[0]  # French apostrophe of the annex's typography
    assert comments[1].startswith(f"Commentaire de {buyer.display_name}, le ") and "d’accord" in comments[1]
    assert all(" à " in comment.split(" : ")[0] for comment in comments)  # when: the day and the hour
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert any(cell.startswith("retenue\n") and "heures à revoir" in cell for cell in cells)  # the decisions table


# ---------------------------------------------------------------- the consultation page

def _page(ws, accounts, role="buyer"):
    test = AppTest.from_file(APP, default_timeout=120)
    test.session_state["user"] = ws.authenticate(*accounts[role])
    return test


@pytest.fixture
def app_world(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    monkeypatch.setenv("PROCURE_DATABASE_URL", url)
    monkeypatch.setenv("PROCURE_HOME", str(tmp_path / "home"))
    return _world(url)


@needs_real
def test_the_page_names_the_maximum_gives_the_hour_and_one_place_for_the_lots(app_world):
    ws, users, accounts, tender_id = app_world
    test = _page(ws, accounts).run()
    assert not test.exception
    markdown = [m.value for m in test.markdown]
    assert "**Date limite des offres** : 2 septembre 2024 à 14h00" in markdown
    assert any(m.startswith("**Montant maximum** : 68") for m in markdown)
    assert not any(m.startswith("**Montant** :") for m in markdown)
    assert test.selectbox[0].placeholder == "Choisissez…"
    assert test.text_input(key=f"lieu-consultation-texte-{tender_id}").label == "Lieu d'exécution de la consultation"
    test.text_input(key=f"lieu-consultation-texte-{tender_id}").input("Rennes")
    next(b for b in test.button if b.label == "Appliquer aux lots").click().run()
    assert not test.exception and not test.error
    assert "Lieu d'exécution appliqué aux lots 1, 2 et 3." in [s.value for s in test.success]
    assert all("Rennes" in lot["matching"]["place"]["label"] for lot in ws.review_items(users["buyer"], tender_id)["lots"])


@needs_real
def test_the_page_shows_an_estimate_beside_a_maximum(tmp_path, monkeypatch):
    notice = next((DCE_REAL / "ted_134603-2024").glob("*.xml"), None)
    if notice is None:
        pytest.skip("avis eForms absent")
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    monkeypatch.setenv("PROCURE_DATABASE_URL", url)
    monkeypatch.setenv("PROCURE_HOME", str(tmp_path / "home"))
    sessions = session_factory(get_engine(url))
    ws = Workspace(sessions)
    accounts = {role: (email, password) for email, password, role in setup_demo(ws, SupplierRepository(sessions))}
    buyer = ws.authenticate(*accounts["buyer"])
    tender_id = ws.create_tender(buyer, "Avis eForms", False)
    ws.add_documents(buyer, tender_id, [(notice.name, notice.read_bytes())])
    ws.analyse(buyer, tender_id)
    stored = ws.review_items(buyer, tender_id)["tender"]["analysis"]["lots"][0]["estimated_amount"]["value"]
    assert stored["kind"] == "maximum" and stored["estimate"]  # what the notice prints (BT-27 with BT-271)
    test = _page(ws, accounts).run()
    assert not test.exception
    markdown = [m.value for m in test.markdown]
    maximum = next(i for i, m in enumerate(markdown) if m.startswith("**Montant maximum** : "))
    assert markdown[maximum + 1].startswith("**Montant estimé** : ")
    assert any(c.value.startswith("Estimation imprimée dans la même pièce que le maximum") for c in test.caption)


@needs_real
def test_a_members_click_on_a_consultation_just_unshared_gets_the_message(app_world):
    ws, users, accounts, tender_id = app_world
    test = _page(ws, accounts, "reviewer").run()
    assert not test.exception
    accept = next(b for b in test.button if b.label == "Accepter" and b.key.startswith("accept-suggestion-"))
    ws.set_shared(users["buyer"], tender_id, False)  # the buyer stops sharing while the member's page is open
    accept.click().run()
    assert not test.exception
    assert NO_LONGER_SHARED_FR in [e.value for e in test.error]
    assert ws.history(users["buyer"], tender_id) == []
