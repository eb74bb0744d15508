"""Archived and deleted consultations, files of the same name, imports of reference data and a dashboard that
agrees with its export — on a real database (SQLite and PostgreSQL) with real documents and real DECP data."""

from pathlib import Path

import pytest

import dce
from procure.db.models import DocumentRow, LotRow, ReviewEvent, SuggestionRow, TenderRow
from procure.directory.demo import demo_suppliers
from procure.directory.suppliers import SupplierRepository
from procure.errors import ProcureError
from procure.service import app_views
from procure.service.dashboard import buyer_name_usable
from procure.service.workspace import SYSTEM, AccessDenied, Workspace

PASSWORD = "motdepasse-solide"


@pytest.fixture
def world(sessions):
    SupplierRepository(sessions).upsert(demo_suppliers())
    ws = Workspace(sessions)
    vitry = ws.create_organisation("Ville de Vitry-sur-Seine", actor=SYSTEM)
    creteil = ws.create_organisation("Ville de Créteil", actor=SYSTEM)
    group = ws.create_organisation("CAPAP", actor=SYSTEM)
    users = {}
    for email, role, organisation in [("a@vitry.fr", "buyer", vitry), ("b@creteil.fr", "buyer", creteil),
                                      ("r@capap.fr", "reviewer", group), ("admin@capap.fr", "admin", group)]:
        ws.create_user(email, PASSWORD, email.split("@")[0], role, organisation, actor=SYSTEM)
        users[email.split("@")[0]] = ws.authenticate(email, PASSWORD)
    return ws, users


def analysed(ws, user, files, shared=True):
    tender_id = ws.create_tender(user, "Consultation", shared)
    ws.add_documents(user, tender_id, [(p.name, p.read_bytes()) for p in files])
    ws.analyse(user, tender_id)
    return tender_id


def test_an_archived_consultation_leaves_the_lists_and_figures_and_comes_back(world, tmp_path):
    ws, u = world
    tender_id = analysed(ws, u["a"], dce.works_tender(tmp_path))
    assert ws.dashboard(u["a"])["tenders"] == 1 and not app_views.practice(ws, u["a"], False)[0].empty
    for outsider in (u["r"], u["b"]):  # the group reviews, another town does not even see it
        with pytest.raises(AccessDenied):
            ws.archive_tender(outsider, tender_id)
    assert not ws.archive_state(u["r"], tender_id)["can_archive"]
    ws.archive_tender(u["a"], tender_id)
    assert ws.visible_tenders(u["a"]) == [] and ws.visible_tenders(u["r"]) == []
    listed = ws.visible_tenders_with_archived(u["a"])
    assert [t["id"] for t in listed] == [tender_id] and listed[0]["archived_at"] is not None
    assert ws.dashboard(u["a"])["tenders"] == 0 and ws.dashboard(u["admin"])["lots"] == 0
    assert app_views.practice(ws, u["a"], False)[0].empty  # nor in the buying-practice table and the guide
    assert ws.review_items(u["a"], tender_id)["lots"]  # still whole, to be restored
    state = ws.archive_state(u["a"], tender_id)
    assert state["can_archive"] and state["archived_at"] is not None
    ws.restore_tender(u["admin"], tender_id)
    assert [t["id"] for t in ws.visible_tenders(u["r"])] == [tender_id]
    assert ws.dashboard(u["a"])["tenders"] == 1


def test_a_deleted_consultation_loses_its_documents_and_keeps_its_decisions(world, tmp_path):
    ws, u = world
    tender_id = analysed(ws, u["a"], dce.works_tender(tmp_path))
    clause = next(s for s in ws.review_items(u["r"], tender_id)["lots"][0]["suggestions"]
                  if s["lever_id"] == "insertion_clause")
    ws.review(u["r"], "suggestion", clause["id"], "accept", clause["version"], comment="Volume à confirmer")
    with pytest.raises(AccessDenied):
        ws.delete_tender(u["r"], tender_id)
    with ws.sessions.begin() as session:  # an analysis running: its lots would be written back
        session.get(TenderRow, tender_id).analysis_state = "running"
    with pytest.raises(ProcureError, match="en cours"):
        ws.delete_tender(u["a"], tender_id)
    with ws.sessions.begin() as session:
        session.get(TenderRow, tender_id).analysis_state = "done"
    title = ws.visible_tenders(u["a"])[0]["title"]
    assert ws.delete_tender(u["a"], tender_id) == title
    for user in (u["a"], u["admin"]):
        assert ws.visible_tenders_with_archived(user) == [] and ws.dashboard(user)["tenders"] == 0
        with pytest.raises(AccessDenied):
            ws.review_items(user, tender_id)
        with pytest.raises(AccessDenied):
            ws.documents(user, tender_id)
    with ws.sessions() as session:
        assert session.query(DocumentRow).count() == 0 and session.query(LotRow).count() == 0
        assert session.query(SuggestionRow).count() == 0
        tombstone = session.get(TenderRow, tender_id)
        assert tombstone.title == title and tombstone.analysis_json is None
        assert tombstone.archived_by == u["a"].id
        trail = session.query(ReviewEvent).filter_by(tender_id=tender_id).all()
        assert [(e.action, e.comment, e.user_id) for e in trail] == [("accept", "Volume à confirmer", u["r"].id)]


def test_two_different_files_of_the_same_name_are_kept_apart(world, shared_data):
    ws, u = world
    vsgp_rc = (shared_data / "dce-real" / "vsgp_infogerance" / "RC.pdf").read_bytes()
    justice_rc = (shared_data / "dce-real" / "justice_ppsmj_2024" / "RC 1.pdf").read_bytes()
    ccap = (shared_data / "dce-real" / "vsgp_infogerance" / "CCAP.pdf").read_bytes()
    tender_id = ws.create_tender(u["a"], "Deux RC")
    first = ws.add_documents(u["a"], tender_id, [("RC.pdf", vsgp_rc)])
    assert first == ["RC.pdf"] and first.warnings == []
    second = ws.add_documents(u["a"], tender_id, [("RC.pdf", justice_rc), ("rc.PDF", justice_rc), ("RC.pdf", ccap)])
    assert second == ["RC (2).pdf", "RC (3).pdf"]  # the same content twice is one file
    assert second.renamed == [("RC.pdf", "RC (2).pdf"), ("RC.pdf", "RC (3).pdf")]
    assert len(second.warnings) == 2 and "« RC (2).pdf »" in second.warnings[0]
    assert "un autre fichier porte déjà ce nom" in second.warnings[0]
    assert ws.add_documents(u["a"], tender_id, [("copie.pdf", vsgp_rc)]) == []
    files = {d["filename"]: d["sha256"] for d in ws.documents(u["a"], tender_id)}
    assert list(files) == ["RC.pdf", "RC (2).pdf", "RC (3).pdf"] and len(set(files.values())) == 3


def test_the_dashboard_hours_agree_with_the_export_and_it_opens_on_the_users_organisation(world, shared_data):
    """The justice RC already has an insertion clause that states no hours (walkthrough B23): the group accepts it;
    procure's own estimate for it must count neither in the headline figure nor in the export."""
    ws, u = world
    tender_id = analysed(ws, u["a"], [shared_data / "dce-real" / "justice_ppsmj_2024" / "RC 1.pdf"])
    present = [s for lot in ws.review_items(u["a"], tender_id)["lots"] for s in lot["suggestions"]
               if s["lever_id"] == "insertion_clause" and s["status"] == "present"]
    assert present and all((s["hours"] or {}).get("hours") for s in present)  # procure did compute hours for them
    for suggestion in present:
        ws.review(u["r"], "suggestion", suggestion["id"], "accept", suggestion["version"])
    seen = []
    result = app_views.import_decp_file(ws, u["admin"], shared_data / "decp" / "decp_2018_2021_train.csv.gz",
                                        progress=lambda fraction, text: seen.append((fraction, text)))
    assert result.ok and result.added > 8000 and seen[-1][0] == 1.0
    assert [f for f, _ in seen] == sorted(f for f, _ in seen) and len(seen) > 5
    again = app_views.import_decp_file(ws, u["admin"], shared_data / "decp" / "decp_2018_2021_train.csv.gz")
    assert (again.added, again.unchanged) == (0, result.added)

    stats = ws.dashboard(u["a"])
    table, _, _ = app_views.practice(ws, u["a"], include_decp=True)
    exported = int(table.loc[table["source"] == "procure", "insertion_hours"].sum())
    assert stats["planned_insertion_hours"] == exported == stats["stated_insertion_hours"]
    assert stats["accepted_insertion_hours"] == 0 and stats["present_clauses_without_hours"] == len(present)

    names = set(table["organisation"])
    assert not {"09", "01 BUDGET PRINCIPAL", "2019-BUDGET PRINCIPAL"} & names
    assert app_views.UNUSABLE_BUYER_FR in names and "13 HABITAT" in names
    assert app_views.default_buyers(table, u["a"]) == ["Ville de Vitry-sur-Seine"]
    admin_table = app_views.practice(ws, u["admin"], include_decp=True)[0]
    assert app_views.default_buyers(admin_table, u["admin"]) == ["Ville de Vitry-sur-Seine"]
    without_analyses = admin_table[admin_table["source"] != "procure"]
    chosen = app_views.default_buyers(without_analyses, u["b"])
    assert len(chosen) == 5 and all(buyer_name_usable(name) for name in chosen)


@pytest.mark.parametrize("name, usable", [("09", False), ("01 BUDGET PRINCIPAL", False), ("Budget principal", False),
                                          ("2019-BUDGET PRINCIPAL", False), ("EXERCICE BUDGETAIRE", False), ("", False),
                                          (None, False), ("21750001600019", False), ("13 HABITAT", True),
                                          ("SM3A", True), ("14BUDGET PRINCIPAL SIX FOURS", True),
                                          ("Ville de Rennes", True), ("CCAS VILLEPINTE BUDGET PRINCIP", True)])
def test_unusable_decp_buyer_names(name, usable):
    assert buyer_name_usable(name) is usable


def test_reference_imports_say_what_they_did_file_by_file(world, shared_data, tmp_path):
    ws, u = world
    from procure.reference.cpv import load_nomenclature
    from procure.settings import reference_dir

    with pytest.raises(AccessDenied):
        app_views.import_cpv_file(ws, u["a"], shared_data / "cpv" / "cpv2008_fr.csv")
    with pytest.raises(AccessDenied):
        app_views.import_decp_file(ws, u["r"], shared_data / "decp" / "decp_2018_2021_train.csv.gz")
    spreadsheet = tmp_path / "BPU.csv"  # a buyer's price list picked by mistake
    spreadsheet.write_bytes((shared_data / "dce-real" / "vsgp_infogerance" / "BPU.xlsx").read_bytes())
    wrong = app_views.import_cpv_file(ws, u["admin"], spreadsheet)
    assert not wrong.ok and ("UTF-8" in wrong.error or "code" in wrong.error)
    assert not (reference_dir() / "cpv2008_fr.csv").exists()
    decp = app_views.import_decp_file(ws, u["admin"], spreadsheet)
    assert not decp.ok and decp.error.startswith("export DECP illisible")
    cpv = app_views.import_cpv_file(ws, u["admin"], shared_data / "cpv" / "cpv2008_fr.csv", "cpv2008_fr.csv")
    assert cpv.ok and cpv.added > 9000 and cpv.note is None
    assert load_nomenclature().source == str(reference_dir() / "cpv2008_fr.csv")
    assert "45000000" in load_nomenclature()
    assert Path(reference_dir() / "cpv2008_fr.csv").read_bytes() == (shared_data / "cpv" / "cpv2008_fr.csv").read_bytes()
