"""Working-group review in a real database (SQLite and PostgreSQL): access, audit trail, concurrent reviews."""

import docx
import pytest

import dce
from procure.directory.demo import demo_suppliers
from procure.directory.suppliers import SupplierRepository
from procure.service.workspace import SYSTEM, AccessDenied, ReviewConflict, UserInfo, Workspace


@pytest.fixture
def world(sessions):
    SupplierRepository(sessions).upsert(demo_suppliers())
    ws = Workspace(sessions)
    vitry = ws.create_organisation("Ville de Vitry-sur-Seine", actor=SYSTEM)
    creteil = ws.create_organisation("Ville de Créteil", actor=SYSTEM)
    group = ws.create_organisation("CAPAP", actor=SYSTEM)
    users = {}
    for email, role, org in [
        ("a@vitry.fr", "buyer", vitry),
        ("b@creteil.fr", "buyer", creteil),
        ("r1@capap.fr", "reviewer", group),
        ("r2@capap.fr", "reviewer", group),
        ("admin@capap.fr", "admin", group),
    ]:
        ws.create_user(email, "motdepasse-solide", email.split("@")[0], role, org, actor=SYSTEM)
        users[email.split("@")[0]] = ws.authenticate(email, "motdepasse-solide")
    return ws, users


def upload(ws, user, folder, shared=False):
    tender_id = ws.create_tender(user, "Consultation travaux", shared)
    files = [(p.name, p.read_bytes()) for p in dce.works_tender(folder)]
    ws.add_documents(user, tender_id, files)
    ws.analyse(user, tender_id)
    return tender_id


def test_passwords_are_hashed_and_checked(world):
    ws, users = world
    assert (
        ws.authenticate("a@vitry.fr", "mauvais") is None
        and ws.authenticate("inconnu@x.fr", "motdepasse-solide") is None
    )
    with ws.sessions() as session:
        from procure.db.models import User

        stored = session.query(User).filter_by(email="a@vitry.fr").one().password_hash
    assert stored.startswith("$argon2") and "motdepasse" not in stored


def test_buyer_sees_only_its_organisation_and_group_only_shared(world, tmp_path):
    ws, u = world
    private = upload(ws, u["a"], tmp_path)
    assert [t["id"] for t in ws.visible_tenders(u["a"])] == [private]
    assert ws.visible_tenders(u["b"]) == [] and ws.visible_tenders(u["r1"]) == []
    with pytest.raises(AccessDenied):
        ws.review_items(u["b"], private)
    ws.set_shared(u["a"], private, True)
    assert [t["id"] for t in ws.visible_tenders(u["r1"])] == [private]
    assert ws.visible_tenders(u["b"]) == []
    with pytest.raises(AccessDenied):
        ws.set_shared(u["r1"], private, False)  # reviewers do not edit the buyer's tender
    assert len(ws.visible_tenders(u["admin"])) == 1


def test_analysis_is_persisted_with_lots_suggestions_and_matches(world, tmp_path):
    ws, u = world
    tender_id = upload(ws, u["a"], tmp_path)
    items = ws.review_items(u["a"], tender_id)
    assert items["tender"]["reference"] == "2026-TX-014" and items["tender"]["version"] == 1
    assert [lot["number"] for lot in items["lots"]] == [1, 2, 3]
    lot2 = items["lots"][1]
    assert {s["lever_id"] for s in lot2["suggestions"]} >= {"insertion_clause", "social_criterion"}
    assert lot2["matches"][0]["supplier"]["name"] == "Peinture Solidaire du Val [fictive]"
    assert "correspond au CPV 45442100" in lot2["matches"][0]["explanation"]
    assert lot2["matching"]["outcome"] == "ranked" and lot2["matching"]["place"]["source"] == "tender"
    assert all(d["doc_type"] for d in ws.documents(u["a"], tender_id))


def test_review_trail_and_optimistic_locking(world, tmp_path):
    ws, u = world
    tender_id = upload(ws, u["a"], tmp_path, shared=True)
    match = ws.review_items(u["r1"], tender_id)["lots"][1]["matches"][0]
    # Both reviewers loaded version 1; the first decision wins, the second is told, not silently applied.
    assert ws.review(u["r1"], "match", match["id"], "accept", match["version"], "Structure connue du PLIE") == 2
    with pytest.raises(ReviewConflict):
        ws.review(u["r2"], "match", match["id"], "reject", match["version"])
    ws.review(u["r2"], "match", match["id"], "comment", 2, "Vérifier sa capacité en juillet")
    again = ws.review_items(u["r2"], tender_id)["lots"][1]["matches"][0]
    assert (again["decision"], again["version"], again["decided_by"]) == ("accepted", 2, "r1")
    trail = ws.history(u["a"], tender_id)
    assert [(e["who"], e["action"], e["version"]) for e in trail] == [("r1", "accept", 1), ("r2", "comment", 2)]
    assert trail[0]["comment"] == "Structure connue du PLIE" and trail[0]["when"] is not None
    with pytest.raises(AccessDenied):
        ws.review(u["b"], "match", match["id"], "reject", 2)


def test_reanalysis_keeps_decisions_and_history(world, tmp_path):
    ws, u = world
    tender_id = upload(ws, u["a"], tmp_path)
    lot1 = ws.review_items(u["a"], tender_id)["lots"][0]
    suggestion = next(s for s in lot1["suggestions"] if s["lever_id"] == "social_criterion")
    ws.review(u["a"], "suggestion", suggestion["id"], "reject", suggestion["version"], "Critère déjà au RC")
    ws.analyse(u["a"], tender_id)
    items = ws.review_items(u["a"], tender_id)
    assert items["tender"]["version"] == 2
    carried = next(s for s in items["lots"][0]["suggestions"] if s["lever_id"] == "social_criterion")
    assert carried["decision"] == "rejected" and carried["id"] != suggestion["id"]
    assert len(ws.history(u["a"], tender_id)) == 1


def test_bad_file_added_later_loses_nothing(world, tmp_path):
    ws, u = world
    tender_id = upload(ws, u["a"], tmp_path)
    ws.add_documents(u["a"], tender_id, [("scan.pdf", b"%PDF-1.4 garbage")])
    ws.analyse(u["a"], tender_id)
    documents = {d["filename"]: d for d in ws.documents(u["a"], tender_id)}
    assert "endommagé" in documents["scan.pdf"]["problem"] and documents["RC_travaux.pdf"]["problem"] is None
    assert len(ws.review_items(u["a"], tender_id)["lots"]) == 3
    assert ws.add_documents(u["a"], tender_id, [("copie.pdf", (tmp_path / "RC_travaux.pdf").read_bytes())]) == []


def test_annex_reflects_the_review(world, tmp_path):
    ws, u = world
    tender_id = upload(ws, u["a"], tmp_path)
    lot2 = ws.review_items(u["a"], tender_id)["lots"][1]
    match = lot2["matches"][0]
    ws.review(u["a"], "match", match["id"], "accept", match["version"])
    siae = next(s for s in lot2["suggestions"] if s["lever_id"] == "reserved_siae")
    ws.review(u["a"], "suggestion", siae["id"], "reject", siae["version"])
    clause = next(s for s in lot2["suggestions"] if s["lever_id"] == "insertion_clause")
    ws.review(u["a"], "suggestion", clause["id"], "accept", clause["version"])
    document = docx.Document(str(ws.annex(u["a"], tender_id, tmp_path / "annexe.docx")))
    text = "\n".join(p.text for p in document.paragraphs)
    lot2_text = text.split("Lot 2 — ")[1].split("Lot 3 — ")[0]
    assert "Structures inclusives retenues pour le sourcing" in lot2_text
    suppliers = [[c.text for c in row.cells] for t in document.tables for row in t.rows]
    assert any(row[0].startswith("Peinture Solidaire du Val") and "fictive" in row[0].lower() for row in suppliers)
    assert "retenue par l’acheteur" in lot2_text  # the buyer decided, not the working group
    assert "structures d’insertion par l’activité économique" not in lot2_text.split("Structures inclusives")[0]


def test_dashboard_counts(world, tmp_path):
    ws, u = world
    tender_id = upload(ws, u["a"], tmp_path)
    clause = next(
        s for s in ws.review_items(u["a"], tender_id)["lots"][0]["suggestions"] if s["lever_id"] == "insertion_clause"
    )
    ws.review(u["a"], "suggestion", clause["id"], "accept", clause["version"])
    stats = ws.dashboard(u["a"])
    assert (stats["tenders"], stats["lots"]) == (1, 3)
    assert stats["by_lever"]["insertion_clause"]["accepted"] == 1
    # The figure itself is advice's (tests/test_suggest.py); the dashboard must add up what the group accepted.
    assert stats["accepted_insertion_hours"] == clause["hours"]["hours"] > 0
    assert ws.dashboard(u["b"])["tenders"] == 0


def test_analyses_stored_before_the_schema_stay_readable(database_url):
    """Migration 0004 turns the French statuses of old rows into codes; version-0 payloads are still read."""
    import json

    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from procure.db import MIGRATIONS, make_engine, migrate, session_factory

    engine = make_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
    legacy_payload = {  # what the first releases stored: the whole suggestion, status in French inside
        "lever_id": "insertion_clause",
        "title": "Clause d'insertion",
        "lot": 1,
        "score": 0.9,
        "status": "obligatoire",
        "reasons": ["Travaux de plus de 2 M€"],
        "evidence": [],
        "legal_basis": ["L2112-2"],
        "old_articles": ["CMP art. 14"],
        "target_document": "CCAP",
        "clause_paragraphs": ["Le titulaire réalise 700 heures d'insertion."],
        "points_to_check": [],
        "hours": None,
        "existing_hours": None,
    }
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO organisations (id, name, demo) VALUES (1, 'Ville', false)"))
        connection.execute(
            text(
                "INSERT INTO users (id, email, display_name, password_hash, role, organisation_id, active) "
                "VALUES (1, 'a@x.fr', 'A', 'x', 'buyer', 1, true)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO tenders (id, organisation_id, title, shared_with_group, analysis_version, "
                "created_by) VALUES (1, 1, 'Travaux', false, 1, 1)"
            )
        )
        connection.execute(text("INSERT INTO lots (id, tender_id, analysis_version, number) VALUES (1, 1, 1, 1)"))
        for row_id, status in ((1, "obligatoire"), (2, "déjà présente")):
            connection.execute(
                text(
                    "INSERT INTO suggestions (id, lot_id, lever_id, score, status, payload_json, decision, "
                    "version) VALUES (:id, 1, :lever, 0.9, :status, :payload, 'pending', 1)"
                ),
                {
                    "id": row_id,
                    "lever": f"lever_{row_id}",
                    "status": status,
                    "payload": json.dumps(legacy_payload, ensure_ascii=False),
                },
            )
    migrate(engine)
    ws = Workspace(session_factory(engine))
    buyer = ws.refresh(UserInfo(1, "a@x.fr", "A", "buyer", 1, "Ville"))  # as a session signed in before the upgrade
    suggestions = ws.review_items(buyer, 1)["lots"][0]["suggestions"]
    assert [(s["status"], s["status_label"]) for s in suggestions] == [
        ("mandatory", "obligatoire"),
        ("present", "déjà présente"),
    ]
    assert suggestions[0]["clause_paragraphs"] == ["Le titulaire réalise 700 heures d'insertion."]
    assert ws.dashboard(buyer)["by_lever"]["lever_2"]["present"] == 1
    engine.dispose()
