"""The Word annex and the tracked CCAP come from the stored, reviewed analysis, never from the uploaded files.

A real development DCE (dce-real/vsgp_infogerance, its CCAP as Word) is analysed and reviewed; then every uploaded
file but the CCAP is deleted from the database and reading a file is made to fail: the annex and the tracked CCAP
are the same as before. An analysis stored by the unversioned code (version 0, tests/support fixture) renders the
same annex. SQLite and PostgreSQL.
"""
from __future__ import annotations

import docx
import pytest
import stored_world
from docx.oxml.ns import qn
from sqlalchemy import delete, select


def _annex_text(path) -> list[str]:
    document = docx.Document(str(path))
    return [p.text for p in document.paragraphs] + [c.text for t in document.tables for row in t.rows for c in row.cells]


def _tracked(result) -> tuple:
    document = docx.Document(str(result.path))
    inserted = list(document.element.body.iter(qn("w:ins")))
    return ([p.text for p in document.paragraphs], [(p.clause.title, p.where) for p in result.placements],
            result.skipped, len(inserted))


def _no_file_reading(monkeypatch) -> None:
    """Any reading of an uploaded file fails the test (the extraction, the ingestion, the pipeline's loader)."""
    import procure.extract
    import procure.ingest
    from procure.service.pipeline import Pipeline

    def refused(*args, **kwargs):
        raise AssertionError("a file was read again to produce an output")

    monkeypatch.setattr(procure.extract, "analyze", refused)
    monkeypatch.setattr(procure.ingest, "read_document", refused)
    monkeypatch.setattr(Pipeline, "load_tender", refused)


@pytest.fixture
def reviewed(sessions, shared_data, with_cpv):
    """The DCE analysed, every suggestion aimed at the CCAP accepted by the buyer and commented by the working group,
    the others rejected, the first structure (if any is credible) retained."""
    ws, buyer, reviewer, tender_id = stored_world.analysed_world(sessions, shared_data)
    items = ws.review_items(buyer, tender_id)
    suggestions = items.suggestions()
    to_ccap = [s for s in suggestions if "CCAP" in s.payload.target_document.replace(",", " ").split()
               and s.status != "present"]
    assert to_ccap, "the real DCE gets at least one clause for its CCAP"
    for s in suggestions:
        if s in to_ccap:
            version = ws.review(buyer, "suggestion", s.id, "accept", s.version)
            ws.review(reviewer, "suggestion", s.id, "comment", version, "volume à confirmer avec le facilitateur")
        else:
            ws.review(reviewer, "suggestion", s.id, "reject", s.version, "hors du besoin de ce marché")
    if items.matches():
        match = items.matches()[0]
        ws.review(reviewer, "match", match.id, "accept", match.version, "structure connue du territoire")
    return ws, buyer, tender_id, to_ccap


def test_annex_and_tracked_ccap_without_the_uploaded_files(reviewed, sessions, tmp_path, monkeypatch):
    from procure.db.models import DocumentRow

    ws, buyer, tender_id, to_ccap = reviewed
    annex = _annex_text(ws.annex(buyer, tender_id, tmp_path / "annexe-avant.docx"))
    tracked = _tracked(ws.tracked_document(buyer, tender_id, stored_world.CCAP_DOCX, tmp_path / "ccap-avant.docx"))
    assert any("Alice Martin" in line for line in annex) and any("volume à confirmer" in line for line in annex)
    assert len(tracked[1]) == len(to_ccap) and tracked[3] > 0

    with sessions.begin() as session:  # the pieces are gone, the CCAP alone is kept for the tracked changes
        session.execute(delete(DocumentRow).where(DocumentRow.tender_id == tender_id,
                                                  DocumentRow.filename != stored_world.CCAP_DOCX))
    with sessions() as session:
        kept = session.scalars(select(DocumentRow.filename).where(DocumentRow.tender_id == tender_id)).all()
    assert kept == [stored_world.CCAP_DOCX]
    _no_file_reading(monkeypatch)
    assert _annex_text(ws.annex(buyer, tender_id, tmp_path / "annexe-apres.docx")) == annex
    after = _tracked(ws.tracked_document(buyer, tender_id, stored_world.CCAP_DOCX, tmp_path / "ccap-apres.docx"))
    assert after == tracked

    with sessions.begin() as session:  # without its CCAP the annex is unchanged; the tracked CCAP says why not
        session.execute(delete(DocumentRow).where(DocumentRow.tender_id == tender_id))
    assert _annex_text(ws.annex(buyer, tender_id, tmp_path / "annexe-sans.docx")) == annex
    with pytest.raises(ValueError, match="absent de la consultation"):
        ws.tracked_document(buyer, tender_id, stored_world.CCAP_DOCX, tmp_path / "x.docx")


def test_an_analysis_stored_by_the_unversioned_code_renders_the_same_outputs(reviewed, sessions, tmp_path,
                                                                            monkeypatch):
    from procure.db.models import TenderRow

    ws, buyer, tender_id, _ = reviewed
    annex = _annex_text(ws.annex(buyer, tender_id, tmp_path / "annexe-v1.docx"))
    tracked = _tracked(ws.tracked_document(buyer, tender_id, stored_world.CCAP_DOCX, tmp_path / "ccap-v1.docx"))
    with sessions.begin() as session:  # the same tender as the previous version of procure stored it
        session.get(TenderRow, tender_id).analysis_json = stored_world.FIXTURE_V0.read_text(encoding="utf-8")
    assert ws.review_items(buyer, tender_id).tender.analysis.advice is None
    _no_file_reading(monkeypatch)
    assert _annex_text(ws.annex(buyer, tender_id, tmp_path / "annexe-v0.docx")) == annex
    assert _tracked(ws.tracked_document(buyer, tender_id, stored_world.CCAP_DOCX, tmp_path / "ccap-v0.docx")) == tracked


def test_a_tender_never_analysed_gets_a_french_refusal(sessions):
    from procure.errors import ProcureError
    from procure.service.workspace import SYSTEM, Workspace

    ws = Workspace(sessions)
    town = ws.create_organisation("Vallée Sud - Grand Paris", actor=SYSTEM)
    ws.create_user("a@vsgp.fr", "motdepasse-solide", "Alice Martin", "buyer", town, actor=SYSTEM)
    buyer = ws.authenticate("a@vsgp.fr", "motdepasse-solide")
    tender_id = ws.create_tender(buyer, "Pas encore analysée")
    with pytest.raises(ProcureError, match="pas encore été analysée"):
        ws.annex(buyer, tender_id, "annexe.docx")
