"""Analysis jobs (procure.service.jobs) on SQLite and PostgreSQL: real worker processes reading real documents.

A worker that segfaults or hangs costs its job only (failed with a French reason, previous analysis kept, lease
freed), never the dispatcher; the queue keeps its order and its limit; a job queued or left running by a server
that stopped is dealt with by the next one; a lease whose heartbeat stopped no longer blocks the tender. And the
pipeline's steps after the reading fail alone (issue 21).
"""
import os
import time
from datetime import timedelta
from pathlib import Path

import bad_corpus
import pytest
from sqlalchemy import update

import dce
from procure.db.models import TenderRow
from procure.directory.demo import demo_suppliers
from procure.directory.suppliers import SupplierRepository
from procure.service import jobs, pipeline
from procure.service.accounts import now
from procure.service.workspace import SYSTEM, AccessDenied, AnalysisConflict, Workspace

WAIT_SECONDS = 240  # a bound for a loaded machine, not a speed requirement


@pytest.fixture
def world(sessions):
    SupplierRepository(sessions).upsert(demo_suppliers())
    ws = Workspace(sessions)
    town = ws.create_organisation("Ville de Vitry-sur-Seine", actor=SYSTEM)
    group = ws.create_organisation("Groupe de travail", actor=SYSTEM)
    ws.create_user("a@vitry.fr", "motdepasse-solide", "Acheteuse", "buyer", town, actor=SYSTEM)
    ws.create_user("r@groupe.fr", "motdepasse-solide", "Membre", "reviewer", group, actor=SYSTEM)
    users = {name: ws.authenticate(email, "motdepasse-solide") for name, email in (("a", "a@vitry.fr"), ("r", "r@groupe.fr"))}
    yield ws, users
    jobs.stop_dispatchers()


def tender(ws, user, files, shared=False) -> int:
    tender_id = ws.create_tender(user, "Consultation déposée", shared)
    ws.add_documents(user, tender_id, [(Path(p).name, Path(p).read_bytes()) for p in files])
    return tender_id


def works(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return dce.works_tender(folder)


def wait_end(ws, user, tender_id, seen: list | None = None) -> jobs.JobState:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        state = ws.analysis_state(user, tender_id)
        if seen is not None:
            seen.append(state)
        if not state.active:
            return state
        time.sleep(0.2)
    raise AssertionError(f"analyse toujours {state.label_fr} : {state}")


def test_a_job_runs_in_a_worker_and_is_not_queued_twice(world, tmp_path, shared_data):
    ws, u = world
    tender_id = tender(ws, u["a"], [shared_data / "dce-real" / "justice_ppsmj_2024" / "RC 1.pdf"], shared=True)
    first = ws.enqueue_analysis(u["a"], tender_id)
    again = ws.enqueue_analysis(u["a"], tender_id)  # a second click while queued or running
    assert first.state in ("queued", "running") and again.state in ("queued", "running")
    assert again.since == first.since or first.state == "queued"  # the same job, not a new one
    with pytest.raises(AccessDenied):
        ws.enqueue_analysis(u["r"], tender_id)  # a working-group member never re-analyses
    seen: list[jobs.JobState] = []
    pids = set()
    dispatcher = jobs.start_dispatcher(ws.sessions)
    while ws.analysis_state(u["a"], tender_id).active:
        pids |= {child.process.pid for child in list(dispatcher.children.values())}
        seen.append(ws.analysis_state(u["r"], tender_id))  # the member follows it too
        time.sleep(0.1)
    state = ws.analysis_state(u["r"], tender_id)
    assert state.state == "done" and state.error is None and state.fraction == 1.0, state
    assert pids and all(pid != os.getpid() for pid in pids)  # read in another process
    steps = [s.step for s in seen if s.state == "running" and s.step]
    assert steps, seen  # followed while it ran (which steps were caught depends on the polling)
    items = ws.review_items(u["a"], tender_id)
    assert [lot["number"] for lot in items["lots"]] == [1, 2, 3]
    assert any(s["lever_id"] == "insertion_clause" for lot in items["lots"] for s in lot["suggestions"])


def test_the_analysis_reports_every_page_and_beats(world, shared_data):
    ws, u = world
    tender_id = tender(ws, u["a"], [shared_data / "dce-real" / "justice_ppsmj_2024" / "RC 1.pdf"])
    heard, beats = [], []

    def progress(fraction, text):
        heard.append((fraction, text))
        with ws.sessions() as session:
            row = session.get(TenderRow, tender_id)
            beats.append((row.analysis_heartbeat, row.analysis_step))

    ws.analyse(u["a"], tender_id, progress)
    texts = [text for _, text in heard]
    assert [t for t in texts if t.startswith("Lecture de RC 1.pdf, page")] == [
        f"Lecture de RC 1.pdf, page {n}/17" for n in range(1, 18)]
    assert texts.index("Lecture de RC 1.pdf (1/1)") < texts.index("Suggestions de clauses…") < texts.index("Analyse terminée.")
    fractions = [fraction for fraction, _ in heard]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert ("Suggestions de clauses…" in {step for _, step in beats}) and all(beat for beat, _ in beats)


def test_queue_order_positions_and_limit(world, tmp_path, monkeypatch):
    ws, u = world
    monkeypatch.setenv("PROCURE_ANALYSIS_WORKERS", "1")
    ids = [tender(ws, u["a"], works(tmp_path / f"t{i}"))
           for i in range(3)]
    for tender_id in ids:
        ws.enqueue_analysis(u["a"], tender_id)
    states = [ws.analysis_state(u["a"], t) for t in ids]
    queued = [s for s in states if s.state == "queued"]
    assert sorted(s.position for s in queued) == list(range(1, len(queued) + 1))
    assert len(queued) >= 2  # one job at a time: the first runs (or is about to), the others wait their turn
    running_at_once = 0
    while any(ws.analysis_state(u["a"], t).active for t in ids):
        states = [ws.analysis_state(u["a"], t) for t in ids]
        running_at_once = max(running_at_once, sum(s.state == "running" for s in states))
        positions = [s.position for s in states if s.state == "queued"]
        assert sorted(positions) == list(range(1, len(positions) + 1))
        time.sleep(0.1)
    assert running_at_once == 1
    assert [ws.analysis_state(u["a"], t).state for t in ids] == ["done"] * 3


def test_a_segfault_fails_its_job_only(world, tmp_path, monkeypatch):
    ws, u = world
    tender_id = tender(ws, u["a"], dce.works_tender(tmp_path))
    ws.analyse(u["a"], tender_id)  # an analysis already stored: the crash must not lose it
    before = ws.review_items(u["a"], tender_id)
    monkeypatch.setenv("PROCURE_WORKER_TEST_FAULT", "segv")
    ws.enqueue_analysis(u["a"], tender_id)
    state = wait_end(ws, u["a"], tender_id)
    assert state.state == "failed"
    assert state.error == jobs.crash_reason(-11)
    assert "(code -11)" in state.error and "relancez l'analyse" in state.error
    dispatcher = jobs.start_dispatcher(ws.sessions)
    assert dispatcher.is_alive()
    after = ws.review_items(u["a"], tender_id)
    assert after["tender"]["version"] == before["tender"]["version"] and len(after["lots"]) == len(before["lots"]) == 3
    with ws.sessions() as session:
        assert session.get(TenderRow, tender_id).analysing_since is None  # the lease is free at once
    monkeypatch.delenv("PROCURE_WORKER_TEST_FAULT")
    ws.enqueue_analysis(u["a"], tender_id)  # the same dispatcher goes on with the next job
    assert jobs.start_dispatcher(ws.sessions) is dispatcher
    assert wait_end(ws, u["a"], tender_id).state == "done"
    assert ws.review_items(u["a"], tender_id)["tender"]["version"] == before["tender"]["version"] + 1


def test_a_hung_worker_is_killed_after_the_heartbeat_timeout(world, tmp_path, monkeypatch):
    ws, u = world
    monkeypatch.setenv("PROCURE_WORKER_TEST_FAULT", "hang")
    monkeypatch.setenv("PROCURE_ANALYSIS_HEARTBEAT_SECONDS", "12")
    tender_id = tender(ws, u["a"], dce.works_tender(tmp_path))
    ws.enqueue_analysis(u["a"], tender_id)
    dispatcher = jobs.start_dispatcher(ws.sessions)
    pid = None
    while pid is None and ws.analysis_state(u["a"], tender_id).active:
        child = dispatcher.children.get(tender_id)
        pid = child.process.pid if child else None
        time.sleep(0.05)
    state = wait_end(ws, u["a"], tender_id)
    assert state.state == "failed"
    assert state.error.startswith("La lecture a été interrompue : le programme de lecture ne donnait plus signe de vie "
                                  "depuis 12 s (dernière étape : Lecture de"), state.error
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # killed and reaped, not left behind
    assert dispatcher.is_alive()


def test_jobs_left_by_a_stopped_server_are_dealt_with(world, tmp_path):
    ws, u = world
    left_running = tender(ws, u["a"], works(tmp_path / "a"))
    left_queued = tender(ws, u["a"], works(tmp_path / "b"))
    long_ago = now() - timedelta(minutes=5)
    with ws.sessions.begin() as session:  # what a server killed mid-analysis leaves in the database
        session.execute(update(TenderRow).where(TenderRow.id == left_running).values(
            analysis_state="running", analysis_heartbeat=long_ago, analysing_since=long_ago,
            analysis_step="Lecture de RC_travaux.pdf, page 1/1", analysis_requested_by=u["a"].id))
        session.execute(update(TenderRow).where(TenderRow.id == left_queued).values(
            analysis_state="queued", analysis_queued_at=long_ago, analysis_requested_by=u["a"].id))
    ws.start_analysis_dispatcher()  # the restarted server
    assert wait_end(ws, u["a"], left_queued).state == "done"
    resumed = wait_end(ws, u["a"], left_running)  # queued again once by the restarted server, then analysed
    assert resumed.state == "done" and resumed.error != jobs.RESUMED_FR
    assert ws.review_items(u["a"], left_running)["tender"]["version"] == 1
    ws.enqueue_analysis(u["a"], left_running)  # relaunched: no « déjà en cours »
    assert wait_end(ws, u["a"], left_running).state == "done"


def test_a_lease_whose_heartbeat_stopped_does_not_block(world, tmp_path):
    ws, u = world
    tender_id = tender(ws, u["a"], dce.works_tender(tmp_path))
    started = now()
    with ws.sessions.begin() as session:  # a run that took the lease and beats: it holds the tender
        session.execute(update(TenderRow).where(TenderRow.id == tender_id).values(
            analysing_since=started, analysis_heartbeat=started))
    with pytest.raises(AnalysisConflict, match="déjà en cours"):
        ws.analyse(u["a"], tender_id)
    with ws.sessions.begin() as session:  # the same run killed 2 minutes ago: its lease (30 min) is not waited for
        session.execute(update(TenderRow).where(TenderRow.id == tender_id).values(
            analysing_since=started - timedelta(minutes=2), analysis_heartbeat=started - timedelta(minutes=2)))
    result = ws.analyse(u["a"], tender_id)
    assert result.version == 1 and result.lots == 3
    assert ws.analysis_state(u["a"], tender_id).state == "done"


# ---------------------------------------------------------------------------------------------- steps fail alone


def test_a_dossier_of_unreadable_files_gives_no_lot_and_no_proposal(world, tmp_path, shared_data):
    ws, u = world
    real = (shared_data / "dce-real" / "justice_ppsmj_2024" / "RC 1.pdf").read_bytes()
    tender_id = ws.create_tender(u["a"], "Consultation déposée")
    ws.add_documents(u["a"], tender_id, [("CCAP_corrompu.pdf", real[: len(real) // 3])])
    result = ws.analyse(u["a"], tender_id)
    assert (result.lots, result.suggestions, result.matches) == (0, 0, 0)
    assert result.step_problems == [pipeline.NOTHING_READ_FR]
    assert ws.review_items(u["a"], tender_id)["lots"] == []
    state = ws.analysis_state(u["a"], tender_id)
    assert state.state == "done" and state.error == pipeline.NOTHING_READ_FR
    (document,) = ws.documents(u["a"], tender_id)
    assert document["problem"]  # the file's own reason stays beside it


def test_each_step_after_the_reading_fails_alone(world, tmp_path, monkeypatch):
    ws, u = world
    tender_id = tender(ws, u["a"], dce.works_tender(tmp_path))
    import procure.service.lot_matching as lot_matching

    real_match = lot_matching.match_lot
    calls = []

    def broken_for_lot_2(index, query, source):  # lots are matched in their order: the second call is lot 2's
        calls.append(query)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return real_match(index, query, source)

    monkeypatch.setattr(lot_matching, "match_lot", broken_for_lot_2)
    result = ws.analyse(u["a"], tender_id)
    assert result.lots == 3 and result.suggestions > 0
    assert result.step_problems == ["Lot 2 : recherche des structures inclusives impossible (erreur interne "
                                    "(RuntimeError), à signaler) ; indiquez le lieu d'exécution du lot ou relancez "
                                    "l'analyse."]
    lots = ws.review_items(u["a"], tender_id)["lots"]
    assert not lots[1]["matches"] and lots[0]["matches"] and lots[2]["matches"]
    monkeypatch.setattr(lot_matching, "match_lot", real_match)

    import procure.advice.advise as advise_module

    def no_advice(*args, **kwargs):
        raise RuntimeError("règles illisibles")

    monkeypatch.setattr(advise_module, "advise", no_advice)
    result = ws.analyse(u["a"], tender_id)
    assert result.lots == 3 and result.suggestions == 0 and result.matches > 0  # lots and structures kept
    assert result.step_problems[0].startswith("Propositions de clauses non calculées : erreur interne (RuntimeError)")
    stored = ws.review_items(u["a"], tender_id)
    assert [lot["number"] for lot in stored["lots"]] == [1, 2, 3]
    assert stored["tender"]["analysis"]["step_problems"] == result.step_problems


def test_comparable_contracts_fail_alone(world, tmp_path, monkeypatch, shared_data):
    import pandas as pd

    import procure.market.similar as similar
    from procure.market.decp import read_flat_csv

    ws, u = world
    frame = read_flat_csv(shared_data / "decp" / "decp_2018_2021_train.csv.gz")
    similar.ContractRepository(ws.sessions).import_frame(pd.DataFrame(frame).head(800))
    tender_id = tender(ws, u["a"], dce.works_tender(tmp_path))

    def broken(*args, **kwargs):
        raise KeyError("national_social_target")

    monkeypatch.setattr(similar, "add_similar_evidence", broken)
    result = ws.analyse(u["a"], tender_id)
    assert result.lots == 3 and result.suggestions > 0
    assert result.step_problems == ["Marchés comparables (DECP) non ajoutés aux propositions : erreur interne "
                                    "(KeyError), à signaler."]


# ---------------------------------------------------------------------------------------------- page progress


def test_every_pdf_page_is_reported(shared_data):
    from procure.ingest import pdf, read_document

    heard = []
    with pdf.reporting_pages(lambda text, share: heard.append((text, share))):
        document = read_document(shared_data / "dce-real" / "justice_ppsmj_2024" / "RC 1.pdf")
    pages = [text for text, _ in heard if text.startswith("Lecture de RC 1.pdf, page ")]
    assert pages == [f"Lecture de RC 1.pdf, page {n}/{document.info.pages}" for n in range(1, document.info.pages + 1)]
    shares = [share for _, share in heard]
    assert shares == sorted(shares) and 0 <= shares[0] and shares[-1] <= 1
    heard.clear()
    read_document(shared_data / "dce-real" / "justice_ppsmj_2024" / "RC 1.pdf")
    assert heard == []  # outside the block, nobody is told


def test_ocr_reports_its_pages_and_stops_with_the_page_count(tmp_path, monkeypatch):
    from procure.ingest import ocr, pdf, read_document

    if ocr.ocr_status():
        pytest.skip(ocr.ocr_status())
    path = tmp_path / "scan.pdf"
    path.write_bytes(bad_corpus.scanned_pdf(5))
    monkeypatch.setenv("PROCURE_OCR_MAX_PAGES", "2")
    heard = []
    with pdf.reporting_pages(lambda text, share: heard.append(text)):
        document = read_document(path)
    assert "OCR de scan.pdf, page 1/5 (page scannée)" in heard and "OCR de scan.pdf, page 2/5 (page scannée)" in heard
    assert "OCR de scan.pdf, page 3/5 (page scannée)" not in heard
    assert document.info.ocr_pages == [1, 2]
    (stop,) = [w.message for w in document.warnings if w.message.startswith("OCR arrêté")]
    assert stop.startswith("OCR arrêté : 2 page(s) scannée(s) lue(s), 3 non lue(s) sur les 5 pages du document "
                           "(p. 3, 4, 5) : le nombre de pages scannées lues par document est limité à 2.")
