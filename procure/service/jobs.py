"""Analysis jobs: a queue kept in the database, analyses run in worker processes, never in the web server.

The app asks for an analysis with `Jobs.enqueue`; the state lives in the tender's row (columns `analysis_*`
of migration 0011): `queued` (with its position in the queue), `running` (the step, e.g. « Lecture de
CCTP.pdf, page 3/40 », and its fraction), `done` (reservations, if a step after the reading failed alone),
`failed` (the French reason). F5, another browser or a restarted server read the same state.

**Why one `subprocess.Popen` per job** (`python -m procure.service.jobs run <tender id>`), not a
multiprocessing pool: a PDF library that segfaults, aborts or loops forever takes down the process it runs in.
A fresh process per job puts that process outside the server, with its own memory that the system takes back
at once when it ends (PDF libraries keep caches; a 966-page PDF grows a process by hundreds of MB). Its exit
code says how it ended (-11: segfault), and it can be killed without killing anyone else. A
`multiprocessing` pool would fork from the Streamlit server (threads, open connections: unsafe), or spawn and
then share long-lived workers whose crash breaks the pool for the jobs queued behind; startup of a fresh
process (imports, about 2 s) is small beside a DCE's reading.

**The dispatcher** is a daemon thread, one per process and database (`start_dispatcher`), started by the app
(unless PROCURE_ANALYSIS_IN_APP=0), or the main loop of a `procure worker` process (`run_worker`). Every second it:
1. reaps the workers that ended: a worker that ended without writing its outcome (crash, exit code ≠ 0) gets
   its job failed with the French reason (exit code included); its lease is released, the previous stored
   analysis is kept (a new version is only written at the very end, in one transaction);
2. kills the workers whose heartbeat (written by the worker at every page and step) is older than
   `PROCURE_ANALYSIS_HEARTBEAT_SECONDS`, or that run longer than `PROCURE_ANALYSIS_LEASE_MINUTES`;
3. takes back the running jobs nobody beats for anymore (their server or `procure worker` died with its
   worker, a machine stopped): silent for longer than twice the heartbeat timeout, so that their own
   dispatcher, if alive, has judged them first and their worker, if alive, has ended itself (see below);
   such a job is queued again once, at the head of the queue (`RESUMED_FR` kept in `analysis_error` while it
   waits and runs), and failed with the French reason if it is left again;
4. starts the oldest queued jobs while fewer than `PROCURE_ANALYSIS_WORKERS` (default: the number of cores)
   run from this dispatcher, jobs queued before a restart included. The limit is per process: two
   `procure worker` machines of 4 cores run 8 analyses at once.
Claims are atomic conditional updates (`UPDATE … WHERE id = :id AND analysis_state = 'queued'`, rowcount 1
for one claimer only: on PostgreSQL a second claimer waits for the first's row lock and then sees the row no
longer queued), so several app servers and workers on one PostgreSQL database share the queue without running
a job twice; SQLite serialises the same update. A worker also watches itself: with no progress for twice the
heartbeat timeout it exits, so that even a worker whose server died does not run forever.

A worker started by a dispatcher lives in its own session: when its dispatcher's process stops (a redeploy),
it goes on and writes its outcome itself.

The synchronous path stays: `Workspace.analyse` (command line, tests) runs `Pipeline.analyse` in the calling
process, with the same lease and heartbeat.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from procure import settings
from procure.db.models import TenderRow, User
from procure.errors import ProcureError
from procure.service import access
from procure.service.access import SYSTEM, AccessDenied, Actor
from procure.service.accounts import info, now
from procure.service.tenders import tender_for

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0
ORPHAN_MARGIN_SECONDS = 5  # beyond twice the heartbeat timeout: a live worker's watchdog has ended it by then
QUEUED_STEP_FR = "En attente d'un programme de lecture libre…"
# Kept in analysis_error (not shown while queued or running) to queue a job left by a dead worker once only.
RESUMED_FR = ("Analyse reprise : le programme de lecture qui la menait s'est arrêté avec son serveur "
              "(redémarrage ou panne).")
STARTING_STEP_FR = "Démarrage du programme de lecture…"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


LABELS_FR = {JobStatus.QUEUED: "en attente", JobStatus.RUNNING: "en cours", JobStatus.DONE: "terminée",
             JobStatus.FAILED: "échouée"}


@dataclass(frozen=True)
class JobState:
    """What the page shows of a tender's analysis."""

    state: str | None  # a JobStatus value; None: never analysed
    step: str | None = None  # French, e.g. « Lecture de CCTP.pdf, page 3/40 »
    fraction: float | None = None
    error: str | None = None  # French: the reason of a failure, or the reservations of a finished analysis
    position: int | None = None  # 1 for the next job to start, while queued
    since: datetime | None = None  # queued at / started at / finished at, in UTC

    @property
    def label_fr(self) -> str:
        return LABELS_FR.get(self.state, "jamais analysée") if self.state else "jamais analysée"

    @property
    def active(self) -> bool:
        return self.state in (JobStatus.QUEUED, JobStatus.RUNNING)


def workers() -> int:
    configured = settings.get("PROCURE_ANALYSIS_WORKERS")
    return max(1, int(configured)) if configured else max(1, os.cpu_count() or 1)


def heartbeat_seconds() -> int:
    return settings.get_int("PROCURE_ANALYSIS_HEARTBEAT_SECONDS")


def orphan_seconds() -> int:
    """Silence after which a running job is taken back by any dispatcher (its own judges it at heartbeat_seconds)."""
    return 2 * heartbeat_seconds() + ORPHAN_MARGIN_SECONDS


def runs_in_app() -> bool:
    """False (PROCURE_ANALYSIS_IN_APP=0) when `procure worker` processes run the analyses, not the app servers."""
    return (settings.get("PROCURE_ANALYSIS_IN_APP") or "1").strip().lower() not in ("0", "non", "no", "false")


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value  # SQLite: naive UTC


def crash_reason(code: int) -> str:
    """The French reason of a worker that ended without writing its outcome."""
    return (f"La lecture a été interrompue : le programme de lecture des PDF s'est arrêté (code {code}). "
            "Retirez ou remplacez la pièce en cause puis relancez l'analyse.")


def hang_reason(seconds: int, step: str | None) -> str:
    where = f" (dernière étape : {step})" if step else ""
    return (f"La lecture a été interrompue : le programme de lecture ne donnait plus signe de vie depuis {seconds} s"
            f"{where}, il a été arrêté. Retirez ou remplacez la pièce en cause puis relancez l'analyse.")


def too_long_reason(minutes: int, step: str | None) -> str:
    where = f" (dernière étape : {step})" if step else ""
    return (f"L'analyse a dépassé la durée permise ({minutes} min){where} : elle a été arrêtée. "
            "Retirez la pièce la plus volumineuse ou découpez-la, puis relancez l'analyse.")


def orphan_reason(seconds: int, step: str | None) -> str:
    where = f" (dernière étape : {step})" if step else ""
    return (f"L'analyse s'est interrompue : aucune nouvelle de son programme de lecture depuis plus de {seconds} s"
            f"{where} (serveur redémarré ou programme arrêté). Relancez l'analyse.")


class Jobs:
    """The queue as the app sees it: ask for an analysis, read its state."""

    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def enqueue(self, actor: Actor, tender_id: int) -> JobState:
        """Queue an analysis of the tender (who may analyse it only). A tender already queued or running is
        not queued twice: its current state is returned. A running job whose heartbeat stopped is queued anew."""
        cutoff = now() - timedelta(seconds=heartbeat_seconds())
        with self.sessions.begin() as session:
            actor, _ = tender_for(session, actor, tender_id, access.can_analyse)
            session.execute(
                update(TenderRow)
                .where(TenderRow.id == tender_id)
                .where(or_(TenderRow.analysis_state.is_(None),
                           TenderRow.analysis_state.in_([JobStatus.DONE.value, JobStatus.FAILED.value]),
                           and_(TenderRow.analysis_state == JobStatus.RUNNING.value,
                                or_(TenderRow.analysis_heartbeat.is_(None), TenderRow.analysis_heartbeat < cutoff))))
                .values(analysis_state=JobStatus.QUEUED.value, analysis_queued_at=now(), analysis_step=QUEUED_STEP_FR,
                        analysis_fraction=None, analysis_error=None, analysis_heartbeat=None,
                        analysis_requested_by=actor.id,
                        # A silent running job's lease is its dead run's: freed, or the next run would find it
                        # held (the claim refreshes the heartbeat). Any other lease (a command-line run) is kept.
                        analysing_since=case((TenderRow.analysis_state == JobStatus.RUNNING.value, None),
                                             else_=TenderRow.analysing_since))
                .execution_options(synchronize_session=False)
            )
        dispatcher = start_dispatcher(self.sessions)
        if dispatcher is not None:  # else a `procure worker` sees it at its next poll (POLL_SECONDS)
            dispatcher.wake()
        return self.state(actor, tender_id)

    def state(self, actor: Actor, tender_id: int) -> JobState:
        """The tender's analysis state, for whoever may see the tender."""
        with self.sessions() as session:
            _, row = tender_for(session, actor, tender_id)
            state = row.analysis_state
            if state is None:
                return JobState(JobStatus.DONE.value, since=_utc(row.analysed_at)) if row.analysis_version else JobState(None)
            position = None
            if state == JobStatus.QUEUED:
                ahead = session.scalar(select(func.count()).select_from(TenderRow).where(
                    TenderRow.analysis_state == JobStatus.QUEUED.value,
                    or_(TenderRow.analysis_queued_at < row.analysis_queued_at,
                        and_(TenderRow.analysis_queued_at == row.analysis_queued_at, TenderRow.id < row.id))))
                position = int(ahead or 0) + 1
            since = {JobStatus.QUEUED: row.analysis_queued_at, JobStatus.RUNNING: row.analysing_since or row.analysis_heartbeat,
                     JobStatus.DONE: row.analysed_at}.get(state, row.analysis_heartbeat)
            return JobState(state, row.analysis_step, row.analysis_fraction, row.analysis_error, position, _utc(since))


# ---------------------------------------------------------------------------------------------- dispatcher


@dataclass
class _Child:
    tender_id: int
    process: subprocess.Popen
    started: float
    log: Path
    lease: datetime | None = None  # the lease its run took (analysing_since), once seen: its job is that run's


def _url(sessions: sessionmaker[Session]) -> str:
    return sessions.kw["bind"].url.render_as_string(hide_password=False)


class Dispatcher(threading.Thread):
    """Starts queued analyses in worker processes, at most `limit` at a time, and judges how they end."""

    def __init__(self, sessions: sessionmaker[Session], limit: int | None = None):
        super().__init__(name="procure-analysis-dispatcher", daemon=True)
        self.sessions = sessions
        self.limit = limit
        self.children: dict[int, _Child] = {}
        self._wake = threading.Event()
        self._halt = threading.Event()
        self._draining = threading.Event()  # `procure worker` asked to stop: no new job, the running ones end

    def drain(self) -> None:
        self._draining.set()
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, kill: bool = True) -> None:
        """Stop dispatching (tests); running workers are killed unless `kill` is False."""
        self._halt.set()
        self._wake.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout=10)
        if kill:
            for child in list(self.children.values()):
                _kill(child.process)
                self._ended(child, child.process.returncode, crash_reason(child.process.returncode or -9))
            self.children.clear()

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - a database outage must not end the dispatcher: it tries again
                logger.warning("analysis dispatcher: tick failed", exc_info=True)
            if self._draining.is_set() and not self.children:
                return
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()

    def tick(self) -> None:
        self._reap()
        self._kill_hung()
        self._take_back_orphans()
        self._start_queued()

    # ------------------------------------------------------------------ the steps of a tick

    def _reap(self) -> None:
        for tender_id, child in list(self.children.items()):
            code = child.process.poll()
            if code is None:
                continue
            del self.children[tender_id]
            self._ended(child, code, crash_reason(code) if code != 0 else
                        "L'analyse s'est arrêtée sans donner son résultat. Relancez l'analyse.")

    def _kill_hung(self) -> None:
        silence = heartbeat_seconds()
        longest = settings.get_int("PROCURE_ANALYSIS_LEASE_MINUTES")
        cutoff = now() - timedelta(seconds=silence)
        if not self.children:
            return
        with self.sessions() as session:
            rows = {row.id: row for row in session.scalars(select(TenderRow).where(TenderRow.id.in_(list(self.children))))}
            stale = set(session.scalars(select(TenderRow.id).where(
                TenderRow.id.in_(list(self.children)), TenderRow.analysis_state == JobStatus.RUNNING.value,
                TenderRow.analysis_heartbeat < cutoff)))
        for tender_id, child in list(self.children.items()):
            row = rows.get(tender_id)
            if child.lease is None and row is not None:
                child.lease = row.analysing_since
            step = row.analysis_step if row is not None else None
            if tender_id in stale:
                reason = hang_reason(silence, step)
            elif time.monotonic() - child.started > longest * 60:
                reason = too_long_reason(longest, step)
            else:
                continue
            logger.warning("analysis of tender %s: worker %s killed (%s)", tender_id, child.process.pid, reason)
            _kill(child.process)
            del self.children[tender_id]
            self._ended(child, child.process.returncode, reason)

    def _take_back_orphans(self) -> None:
        """Running jobs of no live worker here, silent for `orphan_seconds()` (their server or worker died): queued
        again once, at the head of the queue, with their lease freed; failed if they were left a second time."""
        silence = orphan_seconds()
        cutoff = now() - timedelta(seconds=silence)
        with self.sessions() as session:
            orphans = session.execute(select(TenderRow.id, TenderRow.analysis_step, TenderRow.analysis_error).where(
                TenderRow.analysis_state == JobStatus.RUNNING.value,
                or_(TenderRow.analysis_heartbeat.is_(None), TenderRow.analysis_heartbeat < cutoff),
                TenderRow.id.not_in(list(self.children) or [0]))).all()
        for tender_id, step, note in orphans:
            if note == RESUMED_FR:
                logger.warning("analysis of tender %s left a second time (%s): failed", tender_id, step)
                self._fail(tender_id, orphan_reason(silence, step), cutoff=cutoff)
            else:
                self._requeue(tender_id, cutoff)

    def _requeue(self, tender_id: int, cutoff: datetime) -> None:
        with self.sessions.begin() as session:
            taken = session.execute(
                update(TenderRow)
                .where(TenderRow.id == tender_id, TenderRow.analysis_state == JobStatus.RUNNING.value,
                       or_(TenderRow.analysis_heartbeat.is_(None), TenderRow.analysis_heartbeat < cutoff))
                .values(analysis_state=JobStatus.QUEUED.value, analysis_step=QUEUED_STEP_FR, analysis_fraction=None,
                        analysis_error=RESUMED_FR, analysis_heartbeat=None, analysing_since=None)
                .execution_options(synchronize_session=False)  # analysis_queued_at kept: it goes first
            ).rowcount
        if taken:
            logger.warning("analysis of tender %s left by a dead worker: queued again", tender_id)
            self._wake.set()

    def _start_queued(self) -> None:
        limit = self.limit or workers()
        while not self._halt.is_set() and not self._draining.is_set():
            if len(self.children) >= limit:
                return
            with self.sessions() as session:
                queued = session.scalar(select(TenderRow.id).where(TenderRow.analysis_state == JobStatus.QUEUED.value)
                                        .order_by(TenderRow.analysis_queued_at, TenderRow.id).limit(1))
            if queued is None:
                return
            with self.sessions.begin() as session:
                claimed = session.execute(
                    update(TenderRow)
                    .where(TenderRow.id == queued, TenderRow.analysis_state == JobStatus.QUEUED.value)
                    .values(analysis_state=JobStatus.RUNNING.value, analysis_heartbeat=now(),
                            analysis_step=STARTING_STEP_FR, analysis_fraction=0.0)  # analysis_error: RESUMED_FR kept
                    .execution_options(synchronize_session=False)
                ).rowcount
            if claimed == 1:  # 0: another dispatcher claimed it first; the next one is tried
                self._spawn(queued)

    # ------------------------------------------------------------------ workers

    def _spawn(self, tender_id: int) -> None:
        folder = settings.data_home() / "analysis-logs"
        folder.mkdir(parents=True, exist_ok=True)
        log = folder / f"tender-{tender_id}.log"
        environment = dict(os.environ, PROCURE_DATABASE_URL=_url(self.sessions), PYTHONUNBUFFERED="1")
        try:
            with open(log, "wb") as out:
                process = subprocess.Popen(
                    [sys.executable, "-m", "procure.service.jobs", "run", str(tender_id)],
                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=environment,
                    start_new_session=True,  # a Ctrl-C or a signal to the server's group does not reach it
                )
        except OSError as error:
            self._fail(tender_id, f"Le programme de lecture n'a pas pu être lancé ({error.strerror}). "
                                  "Relancez l'analyse ; si cela se reproduit, prévenez l'administrateur.")
            return
        self.children[tender_id] = _Child(tender_id, process, time.monotonic(), log)
        logger.info("analysis of tender %s started in worker process %s", tender_id, process.pid)

    def _ended(self, child: _Child, code: int | None, reason: str) -> None:
        """A worker is gone: its job, if the worker did not write its outcome, is failed with `reason` — unless
        another dispatcher took the job back meanwhile and another run holds it now (its lease is not ours)."""
        self._fail(child.tender_id, reason, release=True, lease=child.lease)

    def _fail(self, tender_id: int, reason: str, release: bool = True, cutoff: datetime | None = None,
              lease: datetime | None = None) -> None:
        with self.sessions.begin() as session:
            query = update(TenderRow).where(TenderRow.id == tender_id,
                                            TenderRow.analysis_state == JobStatus.RUNNING.value)
            if lease is not None:
                query = query.where(or_(TenderRow.analysing_since.is_(None), TenderRow.analysing_since == lease))
            if cutoff is not None:  # an orphan that beats again meanwhile is not one
                query = query.where(or_(TenderRow.analysis_heartbeat.is_(None), TenderRow.analysis_heartbeat < cutoff))
            values = dict(analysis_state=JobStatus.FAILED.value, analysis_error=reason, analysis_heartbeat=now(),
                          analysis_step=None, analysis_fraction=None)
            if release:
                values["analysing_since"] = None  # its worker is dead: the lease is nobody's
            session.execute(query.values(**values).execution_options(synchronize_session=False))


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # the worker and its tesseract, in their own session
        except (ProcessLookupError, PermissionError):
            process.kill()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        logger.warning("worker %s did not end after SIGKILL", process.pid)


_dispatchers: dict[str, Dispatcher] = {}
_lock = threading.Lock()


def start_dispatcher(sessions: sessionmaker[Session], limit: int | None = None) -> Dispatcher | None:
    """The dispatcher of this process for this database, started on the first call; None when the analyses are
    left to `procure worker` processes (PROCURE_ANALYSIS_IN_APP=0)."""
    if not runs_in_app():
        return None
    key = _url(sessions)
    with _lock:
        dispatcher = _dispatchers.get(key)
        if dispatcher is None or not dispatcher.is_alive():
            dispatcher = Dispatcher(sessions, limit)
            _dispatchers[key] = dispatcher
            dispatcher.start()
        return dispatcher


def stop_dispatchers(kill: bool = True) -> None:
    """Stop every dispatcher of this process (tests)."""
    with _lock:
        dispatchers = list(_dispatchers.values())
        _dispatchers.clear()
    for dispatcher in dispatchers:
        dispatcher.stop(kill)


def run_worker(sessions: sessionmaker[Session], limit: int | None = None) -> int:
    """`procure worker`: the dispatcher loop alone, in the foreground, so that a deployment runs its analyses on
    machines apart from the app servers (which then set PROCURE_ANALYSIS_IN_APP=0).

    SIGTERM or Ctrl-C: no new job is claimed and the running analyses are waited for; a second signal leaves at
    once (the workers, in their own sessions, go on and write their outcome; if they die too, any dispatcher
    takes their jobs back after twice the heartbeat timeout)."""
    dispatcher = Dispatcher(sessions, limit)
    received: list[int] = []

    def on_signal(number: int, _frame) -> None:
        received.append(number)
        if len(received) == 1:
            logger.info("signal %s: no new analysis, waiting for the %s running", number, len(dispatcher.children))
            dispatcher.drain()
        else:
            dispatcher.stop(kill=False)

    previous = {number: signal.signal(number, on_signal) for number in (signal.SIGTERM, signal.SIGINT)}
    logger.info("procure worker: up to %s analyses at a time on %s", limit or workers(),
                sessions.kw["bind"].url.render_as_string(hide_password=True))
    try:
        dispatcher.run()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return 0


def worker_main(limit: int | None = None, migrate_only: bool = False) -> int:
    """The `procure worker` command: the schema brought up to date, then `run_worker` (or nothing more). Its log
    goes to standard error (procure.cli configures it), the journal of the service."""
    from procure.db import get_engine, session_factory

    engine = get_engine()  # migrated on opening, as the app does
    if migrate_only:
        print(f"Base à jour : {engine.url.render_as_string(hide_password=True)}")
        return 0
    return run_worker(session_factory(engine), limit)


# ---------------------------------------------------------------------------------------------- the worker


def run_job(sessions: sessionmaker[Session], tender_id: int) -> int:
    """Run one claimed job in this (worker) process: the analysis, then its outcome written. Exit code 0 once
    the outcome is written, failure included; a crash leaves the job running for the dispatcher to judge."""
    from procure.service.pipeline import AnalysisConflict, Pipeline

    with sessions() as session:
        row = session.get(TenderRow, tender_id)
        if row is None or row.analysis_state != JobStatus.RUNNING:
            return 0  # not ours any more (failed by the dispatcher, re-queued)
        user = session.get(User, row.analysis_requested_by) if row.analysis_requested_by else None
        actor = info(session, user) if user is not None else SYSTEM
    watchdog = _Watchdog(2 * heartbeat_seconds())
    owner = _Ownership(sessions, tender_id)
    fault = settings.get("PROCURE_WORKER_TEST_FAULT")

    def progress(fraction: float, text: str) -> None:
        watchdog.alive()
        if fraction < 1.0:  # « Analyse terminée. » comes once the outcome is written and the lease freed
            owner.check()
        if fault and text.startswith("Lecture de "):
            _test_fault(fault)

    try:
        Pipeline(sessions).analyse(actor, tender_id, progress)
    except (AnalysisConflict, AccessDenied) as refused:
        _write_failure(sessions, tender_id, str(refused))
    except ProcureError as error:
        _write_failure(sessions, tender_id, f"L'analyse a échoué : {error.message_fr}")
    except Exception as error:  # noqa: BLE001 - said in French, the traceback kept in the worker's log
        logger.exception("analysis of tender %s failed", tender_id)
        _write_failure(sessions, tender_id, f"L'analyse a échoué sur une erreur interne ({type(error).__name__}) : "
                                            "relancez-la ; si cela se reproduit, signalez-le avec le nom des pièces.")
    finally:
        watchdog.cancel()
    return 0


def _write_failure(sessions: sessionmaker[Session], tender_id: int, reason: str) -> None:
    with sessions.begin() as session:
        session.execute(
            update(TenderRow)
            .where(TenderRow.id == tender_id, TenderRow.analysis_state == JobStatus.RUNNING.value)
            .values(analysis_state=JobStatus.FAILED.value, analysis_error=reason, analysis_step=None,
                    analysis_fraction=None, analysis_heartbeat=now())
            .execution_options(synchronize_session=False)
        )


class _Ownership:
    """Ends this worker when its job is no longer its own: queued again or failed by another dispatcher that
    took it for dead (a worker silent too long), or its lease taken by another run. Checked at most every
    EVERY seconds of progress; the first check, at the first progress, sees the lease this run has just taken."""

    EVERY = 5.0

    def __init__(self, sessions: sessionmaker[Session], tender_id: int):
        self.sessions, self.tender_id = sessions, tender_id
        self.lease: datetime | None = None
        self.checked: float | None = None

    def check(self) -> None:
        moment = time.monotonic()
        if self.checked is not None and moment - self.checked < self.EVERY:
            return
        self.checked = moment
        try:
            with self.sessions() as session:
                state, lease = session.execute(select(TenderRow.analysis_state, TenderRow.analysing_since)
                                               .where(TenderRow.id == self.tender_id)).one()
        except SQLAlchemyError:  # a busy database: the next progress checks again
            return
        if self.lease is None:
            self.lease = lease
        if state in (JobStatus.QUEUED, JobStatus.FAILED) or (lease is not None and lease != self.lease):
            logger.error("analysis of tender %s is not this worker's any more (%s): the worker ends", self.tender_id,
                         state)
            os._exit(75)


class _Watchdog:
    """Ends this worker when its analysis has made no progress for `seconds` (a read stuck in a library)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.last = time.monotonic()
        self._done = threading.Event()
        threading.Thread(target=self._watch, name="procure-worker-watchdog", daemon=True).start()

    def alive(self) -> None:
        self.last = time.monotonic()

    def cancel(self) -> None:
        self._done.set()

    def _watch(self) -> None:
        while not self._done.wait(1.0):
            if time.monotonic() - self.last > self.seconds:
                logger.error("no progress for %.0f s: the worker ends itself", self.seconds)
                os._exit(70)


def _test_fault(fault: str) -> None:
    """PROCURE_WORKER_TEST_FAULT, for the tests only: the worker dies or hangs as a PDF library might."""
    if fault == "segv":
        os.kill(os.getpid(), signal.SIGSEGV)
    elif fault == "abort":
        os.abort()
    elif fault == "exit":
        os._exit(3)
    elif fault == "hang":
        while True:
            time.sleep(3600)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] != "run" or not args[1].isdigit():
        print("usage : python -m procure.service.jobs run <numéro de consultation>", file=sys.stderr)
        return 2
    from procure.db import make_engine, session_factory
    from procure.logs import configure_logging

    configure_logging()  # the worker's own process: PROCURE_LOG_LEVEL / PROCURE_LOG_FILE, to standard error

    engine = make_engine()  # PROCURE_DATABASE_URL, set by the dispatcher; the server has migrated it already
    try:
        return run_job(session_factory(engine), int(args[1]))
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
