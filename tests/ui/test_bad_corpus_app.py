"""Issue #11 in the app: an unreadable piece fails alone, can be taken out, and the tender is analysed again."""
from pathlib import Path

import bad_corpus as corpus
import pytest

import dce


@pytest.fixture
def people(sessions):
    from procure.service.workspace import SYSTEM, Workspace

    ws = Workspace(sessions)
    vitry = ws.create_organisation("Ville de Vitry-sur-Seine", actor=SYSTEM)
    group = ws.create_organisation("CAPAP", actor=SYSTEM)
    users = {}
    for email, role, organisation in [("a@vitry.fr", "buyer", vitry), ("r@capap.fr", "reviewer", group)]:
        ws.create_user(email, "motdepasse-solide", email.split("@")[0], role, organisation, actor=SYSTEM)
        users[role] = ws.authenticate(email, "motdepasse-solide")
    return ws, users


def test_bad_piece_with_hostile_name_fails_alone_and_can_be_removed(people, tmp_path):
    from procure.service.workspace import AccessDenied

    ws, users = people
    buyer, reviewer = users["buyer"], users["reviewer"]
    tender_id = ws.create_tender(buyer, "Travaux", shared_with_group=True)
    hostile_name = "CCTP\x00" + "é" * 300 + ".docx"  # NUL and 600 bytes: neither a database nor a disk takes it
    bad = corpus._deflate64(tmp_path)
    pieces = [(hostile_name, bad.read_bytes())] + [(p.name, p.read_bytes()) for p in dce.works_tender(tmp_path)]
    ws.add_documents(buyer, tender_id, pieces)
    ws.analyse(buyer, tender_id)
    documents = ws.documents(buyer, tender_id)
    (broken,) = [d for d in documents if d["problem"]]
    assert "\x00" not in broken["filename"] and len(broken["filename"]) <= 200 and broken["filename"].endswith(".docx")
    assert "compression non prise en charge" in broken["problem"]
    assert ws.review_items(buyer, tender_id)["lots"], "the readable pieces are analysed"
    with pytest.raises(AccessDenied):
        ws.remove_document(reviewer, tender_id, broken["id"])
    assert ws.remove_document(buyer, tender_id, broken["id"]) == broken["filename"]
    with pytest.raises(AccessDenied):
        ws.remove_document(buyer, tender_id, broken["id"])  # already gone
    ws.analyse(buyer, tender_id)
    assert not [d for d in ws.documents(buyer, tender_id) if d["problem"]]


def test_consultation_page_offers_to_remove_a_bad_piece(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from procure.db import get_engine, session_factory
    from procure.directory.demo import setup_demo
    from procure.directory.suppliers import SupplierRepository
    from procure.service.workspace import Workspace

    monkeypatch.setenv("PROCURE_DATABASE_URL", f"sqlite:///{tmp_path / 'app.sqlite'}")
    monkeypatch.setenv("PROCURE_HOME", str(tmp_path / "home"))
    sessions = session_factory(get_engine())
    ws = Workspace(sessions)
    credentials = {role: (email, password) for email, password, role in setup_demo(ws, SupplierRepository(sessions))}
    buyer = ws.authenticate(*credentials["buyer"])
    tender_id = ws.create_tender(buyer, "Services", False)
    bad = corpus._bad_crc(tmp_path)
    ws.add_documents(buyer, tender_id, [("CCAP abîmé.docx", bad.read_bytes())]
                     + [(p.name, p.read_bytes()) for p in dce.services_tender(tmp_path)])
    ws.analyse(buyer, tender_id)
    test = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=120)
    test.session_state["user"] = buyer
    test.session_state["tender_id"] = tender_id
    test.run()
    assert not test.exception
    assert any("CCAP abîmé.docx" in e.value and "endommagé" in e.value for e in test.error)
    buttons = [b for b in test.button if b.label == "Retirer cette pièce"]
    assert len(buttons) == len(ws.documents(buyer, tender_id))
    broken = next(d for d in ws.documents(buyer, tender_id) if d["problem"])
    next(b for b in buttons if b.key == f"retirer-{broken['id']}").click().run()
    assert not test.exception
    assert "CCAP abîmé.docx" not in [d["filename"] for d in ws.documents(buyer, tender_id)]
