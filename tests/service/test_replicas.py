"""Past one machine (issue 23): what several app servers and `procure worker` processes share, on SQLite and
PostgreSQL, without starting them (tests/e2e/test_e2e_replicas.py runs the real processes).

Two dispatchers on their own connections claim every queued job exactly once; the limit of analyses is per
process; a job left running by a dead worker is queued again once (after twice the heartbeat timeout, so that a
living dispatcher judges its own first), then failed if left again; a session token signed with the shared
PROCURE_SESSION_SECRET is accepted by another process with another PROCURE_HOME, and refused there once revoked.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from procure.db import make_engine, migrate, session_factory
from procure.db.models import TenderRow
from procure.service import jobs
from procure.service.accounts import now
from procure.service.session_token import SessionSecretUnavailable, issue_token, revoke_tokens, user_from_token
from procure.service.workspace import SYSTEM, Workspace

ROOT = Path(__file__).resolve().parents[2]
SECRET = "une-clé-de-session-partagée-par-tous-les-serveurs-0123456789"


class _Running:
    """Stands for a worker process that is still running."""

    pid = None

    def poll(self):
        return None


class Recording(jobs.Dispatcher):
    """A dispatcher that records the jobs it claims instead of starting a worker process for each."""

    def __init__(self, sessions, limit=None, hold=False):
        super().__init__(sessions, limit)
        self.claimed: list[int] = []
        self.hold = hold  # keep each claimed job as a running child (counts against the limit)

    def _spawn(self, tender_id: int) -> None:
        self.claimed.append(tender_id)
        if self.hold:
            self.children[tender_id] = jobs._Child(tender_id, _Running(), time.monotonic(), Path("/dev/null"))


@pytest.fixture(autouse=True)
def analyses_left_to_workers(monkeypatch):
    """As on app servers behind a proxy: queuing starts no dispatcher here, the tests drive their own."""
    monkeypatch.setenv("PROCURE_ANALYSIS_IN_APP", "0")
    yield
    jobs.stop_dispatchers()


def buyer_world(sessions):
    ws = Workspace(sessions)
    town = ws.create_organisation("Ville de Vitry-sur-Seine", actor=SYSTEM)
    ws.create_user("a@vitry.fr", "motdepasse-solide", "Acheteuse", "buyer", town, actor=SYSTEM)
    return ws, ws.authenticate("a@vitry.fr", "motdepasse-solide")


def queue(ws, buyer, count: int) -> list[int]:
    ids = [ws.create_tender(buyer, f"Consultation {n}") for n in range(count)]
    for tender_id in ids:
        ws.enqueue_analysis(buyer, tender_id)
    return ids


def test_two_dispatchers_on_their_own_connections_claim_each_job_once(database_url):
    engines = [make_engine(database_url) for _ in range(2)]  # two processes: two pools, two connections
    migrate(engines[0])
    try:
        ws, buyer = buyer_world(session_factory(engines[0]))
        ids = queue(ws, buyer, 24)
        dispatchers = [Recording(session_factory(engine), limit=100) for engine in engines]
        start = threading.Barrier(2)

        def claim(dispatcher):
            start.wait()
            dispatcher._start_queued()

        threads = [threading.Thread(target=claim, args=(d,)) for d in dispatchers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        claimed = dispatchers[0].claimed + dispatchers[1].claimed
        assert sorted(claimed) == sorted(ids)  # every job, none twice
        with ws.sessions() as session:
            states = set(session.scalars(select(TenderRow.analysis_state)))
        assert states == {"running"}
    finally:
        for engine in engines:
            engine.dispose()


def test_the_limit_is_per_process_so_workers_add_up(sessions):
    ws, buyer = buyer_world(sessions)
    ids = queue(ws, buyer, 5)
    first, second = Recording(sessions, limit=2, hold=True), Recording(sessions, limit=2, hold=True)
    first._start_queued()
    second._start_queued()
    assert first.claimed == ids[:2] and second.claimed == ids[2:4]  # oldest first, two each
    assert ws.analysis_state(buyer, ids[4]).state == "queued"


def test_a_job_left_by_a_dead_worker_is_queued_again_once_then_failed(sessions, monkeypatch):
    monkeypatch.setenv("PROCURE_ANALYSIS_HEARTBEAT_SECONDS", "10")
    assert jobs.orphan_seconds() == 2 * 10 + jobs.ORPHAN_MARGIN_SECONDS
    ws, buyer = buyer_world(sessions)
    left, judged_by_its_own, behind = queue(ws, buyer, 3)
    step = "Lecture de CCTP.pdf, page 12/40"
    with sessions.begin() as session:  # what a worker machine that stopped mid-analysis leaves behind
        session.execute(update(TenderRow).where(TenderRow.id == left).values(
            analysis_state="running", analysis_heartbeat=now() - timedelta(seconds=60),
            analysing_since=now() - timedelta(seconds=90), analysis_step=step))
        # Silent for 15 s only: beyond the heartbeat timeout, but its own dispatcher (alive elsewhere) judges it.
        session.execute(update(TenderRow).where(TenderRow.id == judged_by_its_own).values(
            analysis_state="running", analysis_heartbeat=now() - timedelta(seconds=15), analysis_step=step))
    other = Recording(sessions, limit=1, hold=True)
    other.tick()
    assert other.claimed == [left]  # queued again at the head (before `behind`), and taken
    with sessions() as session:
        row = session.get(TenderRow, left)
        assert row.analysis_state == "running" and row.analysing_since is None  # the dead run's lease is freed
        assert row.analysis_error == jobs.RESUMED_FR  # not shown while running; says it was resumed once
        assert session.get(TenderRow, judged_by_its_own).analysis_state == "running"
    assert ws.analysis_state(buyer, behind).state == "queued"

    other.children.clear()  # the second worker dies too
    with sessions.begin() as session:
        session.execute(update(TenderRow).where(TenderRow.id == left).values(
            analysis_heartbeat=now() - timedelta(seconds=60), analysis_step=step))
    Recording(sessions, limit=1, hold=True).tick()
    state = ws.analysis_state(buyer, left)
    assert state.state == "failed" and state.error == jobs.orphan_reason(jobs.orphan_seconds(), step)
    ws.enqueue_analysis(buyer, left)  # relaunched by the buyer: a fresh job, resumed once again if need be
    with sessions() as session:
        row = session.get(TenderRow, left)
        assert row.analysis_state == "queued" and row.analysis_error is None


def test_a_run_whose_job_was_taken_back_ends_and_its_dispatcher_leaves_the_new_run_alone(sessions, monkeypatch):
    ws, buyer = buyer_world(sessions)
    (tender_id,) = queue(ws, buyer, 1)
    ours, theirs = now() - timedelta(seconds=40), now()
    with sessions.begin() as session:  # our run took the lease
        session.execute(update(TenderRow).where(TenderRow.id == tender_id).values(
            analysis_state="running", analysing_since=ours, analysis_heartbeat=ours))
    owner = jobs._Ownership(sessions, tender_id)
    monkeypatch.setattr(jobs._Ownership, "EVERY", 0.0)
    monkeypatch.setattr(jobs.os, "_exit", lambda code: (_ for _ in ()).throw(SystemExit(code)))
    owner.check()  # its own lease: goes on
    holder = Recording(sessions, limit=1, hold=True)
    holder.children[tender_id] = jobs._Child(tender_id, _Running(), time.monotonic(), Path("/dev/null"))
    holder._kill_hung()  # the holder sees its run's lease
    seen = holder.children[tender_id].lease
    assert seen is not None
    with sessions.begin() as session:  # meanwhile taken back by another dispatcher, and run again elsewhere
        session.execute(update(TenderRow).where(TenderRow.id == tender_id).values(
            analysing_since=theirs, analysis_heartbeat=theirs))
    with pytest.raises(SystemExit) as ended:
        owner.check()
    assert ended.value.code == 75
    holder._ended(holder.children.pop(tender_id), 75, jobs.crash_reason(75))  # our worker's end is not theirs
    assert ws.analysis_state(buyer, tender_id).state == "running"
    with sessions.begin() as session:  # its own run still holding the lease: the end of its worker fails the job
        session.execute(update(TenderRow).where(TenderRow.id == tender_id).values(analysing_since=ours))
    holder._ended(jobs._Child(tender_id, _Running(), 0.0, Path("/dev/null"), lease=seen), 75, jobs.crash_reason(75))
    state = ws.analysis_state(buyer, tender_id)
    assert state.state == "failed" and state.error == jobs.crash_reason(75)


def test_app_servers_can_leave_the_analyses_to_workers(sessions, monkeypatch):
    ws, buyer = buyer_world(sessions)
    assert ws.enqueue_analysis(buyer, ws.create_tender(buyer, "Consultation")).state == "queued"
    assert jobs.start_dispatcher(sessions) is None
    assert not jobs._dispatchers
    ws.start_analysis_dispatcher()  # what the app calls at every page: starts nothing
    assert not jobs._dispatchers
    monkeypatch.setenv("PROCURE_ANALYSIS_IN_APP", "1")  # the default: one machine, the app runs them
    assert jobs.start_dispatcher(sessions) is jobs.start_dispatcher(sessions) is not None


VERIFY = """
import sys
from procure.db import get_engine, session_factory
from procure.service.session_token import user_from_token
user = user_from_token(session_factory(get_engine(sys.argv[1])), sys.stdin.read())
print(user.email if user else "refusé")
"""


def in_another_process(database_url: str, token: str, tmp_path: Path, secret: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PROCURE_SESSION_SECRET"}
    env["PROCURE_HOME"] = str(tmp_path / f"other-home-{abs(hash(secret))}")  # nothing shared on disk
    if secret:
        env["PROCURE_SESSION_SECRET"] = secret
    done = subprocess.run([sys.executable, "-c", VERIFY, database_url], input=token, capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_a_session_signed_here_is_accepted_by_another_server_with_the_shared_secret(database_url, tmp_path,
                                                                                   monkeypatch):
    monkeypatch.setenv("PROCURE_SESSION_SECRET", SECRET)
    engine = make_engine(database_url)
    migrate(engine)
    try:
        sessions = session_factory(engine)
        ws, buyer = buyer_world(sessions)
        token = issue_token(sessions, buyer)
        assert user_from_token(sessions, token).email == "a@vitry.fr"
        assert in_another_process(database_url, token, tmp_path, SECRET) == "a@vitry.fr"
        assert in_another_process(database_url, token, tmp_path, None) == "refusé"  # its own key: not the same
        revoke_tokens(sessions, buyer.id)  # « Se déconnecter » on this server
        assert in_another_process(database_url, token, tmp_path, SECRET) == "refusé"
    finally:
        engine.dispose()


def test_a_short_shared_secret_is_refused_in_french(monkeypatch):
    from procure.service.session_token import secret_key

    monkeypatch.setenv("PROCURE_SESSION_SECRET", "court")
    with pytest.raises(SessionSecretUnavailable, match="trop court"):
        secret_key()
    monkeypatch.setenv("PROCURE_SESSION_SECRET", f"  {SECRET}\n")  # as pasted in an environment file
    assert secret_key() == SECRET
