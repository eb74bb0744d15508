"""A decision taken while a re-analysis is being stored (issue 26, D1) and what an item id reveals (D10).

On SQLite and PostgreSQL: the decision is either carried over to the new analysis or refused with
« une nouvelle analyse vient d'être enregistrée : rechargez »; the history never says what the page does not show.
"""

import threading
import time

import pytest
from sqlalchemy import select

import dce
from procure.db.models import LotRow, SuggestionRow
from procure.directory.demo import demo_suppliers
from procure.directory.suppliers import SupplierRepository
from procure.service import pipeline
from procure.service.workspace import SYSTEM, AccessDenied, ReviewConflict, StaleAnalysis, Workspace

PASSWORD = "motdepasse-solide"


@pytest.fixture
def world(sessions, tmp_path):
    SupplierRepository(sessions).upsert(demo_suppliers())
    ws = Workspace(sessions)
    town, group, other = (ws.create_organisation(n, actor=SYSTEM) for n in ("Ville", "Groupe", "Autre ville"))
    ws.create_user("b@x.fr", PASSWORD, "B", "buyer", town, actor=SYSTEM)
    ws.create_user("r@x.fr", PASSWORD, "R", "reviewer", group, actor=SYSTEM)
    ws.create_user("o@x.fr", PASSWORD, "O", "buyer", other, actor=SYSTEM)
    buyer, reviewer, outsider = (ws.authenticate(f"{n}@x.fr", PASSWORD) for n in "bro")
    tender_id = ws.create_tender(buyer, "Travaux", True)
    ws.add_documents(buyer, tender_id, [(p.name, p.read_bytes()) for p in dce.works_tender(tmp_path)])
    ws.analyse(buyer, tender_id)
    return ws, buyer, reviewer, outsider, tender_id


def _first(ws, reviewer, tender_id) -> dict:
    return ws.review_items(reviewer, tender_id)["lots"][0]["suggestions"][0]


def _last_decision_in_history(ws, sessions, reviewer, tender_id) -> dict:
    """(lot number, lever) -> the last accept/reject/reset the history records for it, across versions."""
    with sessions() as session:
        keys = {
            s.id: (number, s.lever_id)
            for s, number in session.execute(select(SuggestionRow, LotRow.number).join(LotRow))
        }
    last = {}
    for event in ws.history(reviewer, tender_id):
        if event["target_type"] == "suggestion" and event["action"] != "comment":
            last[keys[event["target_id"]]] = {"accept": "accepted", "reject": "rejected", "reset": "pending"}[
                event["action"]
            ]
    return last


def _shown(ws, reviewer, tender_id) -> dict:
    return {
        (lot["number"], s["lever_id"]): s["decision"]
        for lot in ws.review_items(reviewer, tender_id)["lots"]
        for s in lot["suggestions"]
    }


def test_decision_while_the_reanalysis_stores_is_refused_not_lost(world, sessions, monkeypatch):
    """The reproduction of the review: the reviewer clicks « Rejeter » while the re-analysis reads the decisions."""
    ws, buyer, reviewer, _, tender_id = world
    x = _first(ws, reviewer, tender_id)
    ws.review(reviewer, "suggestion", x["id"], "accept", x["version"])
    outcome, threads = [], []
    original = pipeline._decisions

    def click(item):
        try:
            outcome.append(ws.review(reviewer, "suggestion", item["id"], "reject", item["version"]))
        except ReviewConflict as conflict:
            outcome.append(conflict)

    def hook(*args):
        item = _first(ws, reviewer, tender_id)  # what the reviewer's page shows at that moment
        thread = threading.Thread(target=click, args=(item,))
        thread.start()
        threads.append(thread)
        time.sleep(0.5)  # the click reaches the database while the analysis transaction is open
        return original(*args)

    monkeypatch.setattr(pipeline, "_decisions", hook)
    ws.analyse(buyer, tender_id)
    monkeypatch.setattr(pipeline, "_decisions", original)
    threads[0].join(timeout=30)
    assert len(outcome) == 1
    assert isinstance(outcome[0], StaleAnalysis) and "nouvelle analyse vient d'être enregistrée" in str(outcome[0])
    assert [e["action"] for e in ws.history(reviewer, tender_id)] == ["accept"]
    assert _first(ws, reviewer, tender_id)["decision"] == "accepted"


def test_concurrent_decisions_during_reanalyses_agree_with_the_history(world, sessions):
    """Reviewers click in a loop while the buyer re-analyses: every decision shown is the last one recorded."""
    ws, buyer, reviewer, _, tender_id = world
    stop = threading.Event()
    counts = {"ok": 0, "refused": 0}
    lock = threading.Lock()

    def clicker(seed: int):
        step = seed
        while not stop.is_set():
            items = [s for lot in ws.review_items(reviewer, tender_id)["lots"] for s in lot["suggestions"]]
            item = items[step % len(items)]
            try:
                ws.review(reviewer, "suggestion", item["id"], ("accept", "reject")[step % 2], item["version"])
                key = "ok"
            except ReviewConflict:
                key = "refused"
            with lock:
                counts[key] += 1
            step += 1

    threads = [threading.Thread(target=clicker, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(4):
            ws.analyse(buyer, tender_id)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert counts["ok"] > 0
    last, shown = _last_decision_in_history(ws, sessions, reviewer, tender_id), _shown(ws, reviewer, tender_id)
    assert last and {key: shown.get(key) for key in last} == last


def test_an_absent_item_and_another_organisations_item_get_the_same_answer(world):
    ws, buyer, reviewer, outsider, tender_id = world
    x = _first(ws, reviewer, tender_id)
    messages = []
    for target_id in (x["id"], 10**9):
        with pytest.raises(AccessDenied) as denied:
            ws.review(outsider, "suggestion", target_id, "comment", x["version"], "vu")
        messages.append(str(denied.value))
    assert messages[0] == messages[1] == "Élément introuvable ou non partagé avec vous."
