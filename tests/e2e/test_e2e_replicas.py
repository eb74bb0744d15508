"""Two app servers and two workers on one PostgreSQL database, as behind a proxy (issue 23, « Past one machine »).

Two real `streamlit run app.py` processes on two ports and two real `procure worker` processes, each with its own
PROCURE_HOME (nothing shared on disk) and the same PROCURE_SESSION_SECRET; the app servers run no analysis
(PROCURE_ANALYSIS_IN_APP=0). Chromium signs in on server 1: server 2 accepts the session cookie. A real DCE uploaded
on server 1 is analysed by one worker exactly once, and its result is shown by server 2. A worker killed with its
analysis mid-reading (a machine that stops): the other worker takes the analysis back after the heartbeat timeout
and finishes it. « Se déconnecter » on server 1: the page open on server 2 is signed out at its next click, and
a copy of the old cookie is refused by server 2.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from sqlalchemy import select
from test_e2e_browser import CHROMIUM, CHROMIUM_ARGS, free_port, open_page, sign_in, wait_idle

from procure.db import make_engine, migrate, session_factory
from procure.db.models import TenderRow
from procure.directory.demo import setup_demo
from procure.directory.suppliers import SupplierRepository
from procure.service import jobs
from procure.service.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("PROCURE_TEST_ARTIFACTS") or ROOT / "tests" / "artifacts") / "e2e"
DATA = Path(os.environ.get("PROCURE_SHARED_DATA") or ROOT.parent / "shared" / "data")
DOSSIER = DATA / "dce-real" / "vsgp_infogerance"
HEARTBEAT = 8  # seconds; a worker's analysis is taken back after 2 × 8 + 5 s of silence
WAIT = 180_000  # ms: a bound for a loaded 2-core machine, not a speed requirement
STARTED = re.compile(r"analysis of tender (\d+) started in worker process (\d+)")

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@dataclass
class Cluster:
    apps: list[str]  # base URLs
    workers: list[subprocess.Popen]
    logs: list[Path]  # the workers' logs
    homes: list[Path]  # the workers' PROCURE_HOME
    workspace: Workspace
    accounts: dict[str, tuple[str, str]]
    processes: list[subprocess.Popen] = field(default_factory=list)

    def starts(self, tender_id: int) -> list[tuple[int, int]]:
        """(worker index, analysis process id) of every start of the tender's analysis, from the workers' logs."""
        found = []
        for index, log in enumerate(self.logs):
            for match in STARTED.finditer(log.read_text(errors="replace")):
                if int(match.group(1)) == tender_id and (index, int(match.group(2))) not in found:
                    found.append((index, int(match.group(2))))  # once, whatever the handlers that wrote it
        return found


def healthy(base: str) -> bool:
    try:
        return urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read() == b"ok"
    except OSError:
        return False


@pytest.fixture
def cluster(database_url, tmp_path, monkeypatch):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium absent en CI : scripts/install-system-deps.sh aurait dû l'installer")
        pytest.skip("chromium absent (paquet Debian chromium)")
    if not DOSSIER.is_dir():
        pytest.skip("données réelles ../shared/data/dce-real absentes (PROCURE_SHARED_DATA)")
    monkeypatch.setenv("PROCURE_ANALYSIS_IN_APP", "0")  # this test process queues like an app server, runs nothing
    engine = make_engine(database_url)
    migrate(engine)  # once, before the servers start (docs/replicas.md)
    sessions = session_factory(engine)
    workspace = Workspace(sessions)
    accounts = {role: (email, password) for email, password, role in setup_demo(workspace, SupplierRepository(sessions))}
    common = {**os.environ, "PROCURE_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1",
              "PROCURE_SESSION_SECRET": "clé-de-test-partagée-par-les-deux-serveurs-0123456789abcdef",
              "PROCURE_ANALYSIS_IN_APP": "0", "PROCURE_ANALYSIS_HEARTBEAT_SECONDS": str(HEARTBEAT)}
    processes, apps, workers, logs, homes = [], [], [], [], []
    for number in (1, 2):
        port = free_port()
        log = tmp_path / f"app-{number}.log"
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env={**common, "PROCURE_HOME": str(tmp_path / f"home-app-{number}")},
            stdout=log.open("wb"), stderr=subprocess.STDOUT))
        apps.append(f"http://127.0.0.1:{port}")
    for number in (1, 2):
        homes.append(tmp_path / f"home-worker-{number}")
        logs.append(tmp_path / f"worker-{number}.log")
        workers.append(subprocess.Popen(
            [sys.executable, "-m", "procure.cli", "worker", "--analyses", "1"], cwd=ROOT,
            env={**common, "PROCURE_HOME": str(homes[-1])}, stdout=logs[-1].open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True))
    processes += workers
    deadline = time.monotonic() + 90
    while not all(healthy(base) for base in apps):
        if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
            for process in processes:
                process.kill()
            pytest.fail("serveurs non démarrés : " + " | ".join(
                f.read_text(errors="replace")[-1500:] for f in sorted(tmp_path.glob("*.log"))))
        time.sleep(0.5)
    cluster = Cluster(apps, workers, logs, homes, workspace, accounts, processes)
    yield cluster
    for tender_id in {int(m.group(1)) for log in logs for m in STARTED.finditer(log.read_text(errors="replace"))}:
        for _, pid in cluster.starts(tender_id):  # analyses live in their own session: not ended with their worker
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for log in tmp_path.glob("*.log"):  # kept for whoever reads a failure
        (ARTIFACTS / f"replicas-{log.name}").write_bytes(log.read_bytes())
    engine.dispose()


def large_pdf(target: Path, copies: int) -> Path:
    """The real 69-page CCTP of the dossier, repeated: a reading long enough to be interrupted."""
    source = pdfium.PdfDocument(str(DOSSIER / "CCTP.pdf"))
    out = pdfium.PdfDocument.new()
    for _ in range(copies):
        out.import_pages(source)
    out.save(str(target))
    return target


def upload(page, files: list[Path]) -> None:
    open_page(page, "Déposer un DCE")
    page.get_by_role("heading", name="Déposer un dossier de consultation").wait_for()
    wait_idle(page)
    page.locator("input[type=file]").set_input_files([str(f) for f in files])
    for f in files:
        page.get_by_text(f.name).first.wait_for()
    page.wait_for_function("document.querySelectorAll('[data-testid=\"stFileUploader\"] [role=\"progressbar\"]').length === 0")
    wait_idle(page)
    page.get_by_role("button", name="Analyser le dossier").click()


def row(cluster: Cluster, tender_id: int) -> TenderRow:
    with cluster.workspace.sessions() as session:
        return session.scalar(select(TenderRow).where(TenderRow.id == tender_id))


def session_cookie(context) -> dict | None:
    return next((c for c in context.cookies() if c["name"] == "procure_session"), None)


def test_two_app_servers_and_two_workers_on_one_postgresql(cluster, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    one, two = cluster.apps
    email, password = cluster.accounts["buyer"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        expect.set_options(timeout=WAIT)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        first, second = context.new_page(), context.new_page()
        for page in (first, second):
            page.set_default_timeout(WAIT)

        # ---- signed in on server 1: server 2 accepts the cookie (same host, other port: the browser sends it)
        sign_in(first, one, email, password)
        expect(first.get_by_role("heading", name="Consultations")).to_be_visible()
        deadline = time.monotonic() + 60
        while session_cookie(context) is None and time.monotonic() < deadline:
            first.wait_for_timeout(200)
        cookie = session_cookie(context)
        assert cookie is not None, "le cookie de session n'a pas été écrit"
        second.goto(two)
        expect(second.get_by_role("heading", name="Consultations")).to_be_visible()
        expect(second.get_by_text("Connecté : Acheteuse de démonstration")).to_be_visible()
        assert second.get_by_label("Mot de passe").count() == 0

        # ---- a real DCE uploaded on server 1, analysed by one worker, exactly once; shown by server 2
        upload(first, [DOSSIER / "RC.pdf", DOSSIER / "CCAP.pdf"])
        expect(first.get_by_role("heading", name=re.compile("^Lot 1"))).to_be_visible()  # opened once analysed
        with cluster.workspace.sessions() as session:
            tender_id = session.scalar(select(TenderRow.id).order_by(TenderRow.id.desc()).limit(1))
        second.goto(f"{two}/deposer?suivi={tender_id}")  # the address server 1 gave while following the analysis
        expect(second.get_by_text("Analyse terminée", exact=False)).to_be_visible()
        second.get_by_role("link", name="Voir la consultation").click()
        expect(second.get_by_role("heading", name=re.compile("^Lot 1"))).to_be_visible()
        second.screenshot(path=str(ARTIFACTS / "40-replique-2-resultat.png"))
        starts = cluster.starts(tender_id)
        assert len(starts) == 1, starts  # one worker, one run
        assert [(h / "analysis-logs" / f"tender-{tender_id}.log").exists() for h in cluster.homes].count(True) == 1
        done = row(cluster, tender_id)
        assert done.analysis_state == "done" and done.analysis_version == 1

        # ---- a worker killed with its analysis mid-reading: the other one takes it back after the heartbeat timeout
        buyer = cluster.workspace.authenticate(email, password)
        big = cluster.workspace.create_tender(buyer, "Consultation interrompue")
        cluster.workspace.add_documents(buyer, big, [("CCTP_long.pdf", large_pdf(tmp_path / "long.pdf", 8).read_bytes())])
        cluster.workspace.enqueue_analysis(buyer, big)
        deadline = time.monotonic() + WAIT / 1000
        while not (row(cluster, big).analysis_step or "").startswith("Lecture de CCTP_long.pdf, page"):
            assert time.monotonic() < deadline and row(cluster, big).analysis_state in ("queued", "running")
            time.sleep(0.05)
        (holder, child), = cluster.starts(big)
        for pid in (child, cluster.workers[holder].pid):  # the machine stops: its worker and the analysis with it
            os.kill(pid, signal.SIGKILL)
        cluster.workers[holder].wait(timeout=10)
        assert row(cluster, big).analysis_state == "running"  # nobody says otherwise yet

        # ---- meanwhile, « Se déconnecter » on server 1: server 2 refuses the session at once
        wait_idle(first)
        first.get_by_role("button", name="Se déconnecter").click()
        expect(first.get_by_label("Adresse e-mail")).to_be_visible()
        wait_idle(second)
        open_page(second, "Consultations")  # the page open on server 2, at its next click
        expect(second.get_by_label("Adresse e-mail")).to_be_visible()
        copied = browser.new_context()
        copied.add_cookies([{k: cookie[k] for k in ("name", "value", "domain", "path")}])  # a copy of the old cookie
        stolen = copied.new_page()
        stolen.goto(two)
        expect(stolen.get_by_label("Adresse e-mail")).to_be_visible()
        assert stolen.get_by_text("Connecté :").count() == 0
        stolen.screenshot(path=str(ARTIFACTS / "41-replique-2-cookie-revoque.png"))
        browser.close()

    deadline = time.monotonic() + WAIT / 1000
    while (state := row(cluster, big)).analysis_state != "done":
        assert state.analysis_state in ("running", "queued"), (state.analysis_state, state.analysis_error)
        assert time.monotonic() < deadline, f"analyse toujours {state.analysis_state}"
        time.sleep(0.2)
    starts = cluster.starts(big)
    # the killed start, then exactly one more, by the other worker (starts() lists them by worker, not by time)
    restarted = [start for start in starts if start != (holder, child)]
    assert (holder, child) in starts and [index for index, _ in restarted] == [1 - holder], starts
    assert state.analysis_version == 1  # one version written: the killed run wrote nothing
    assert state.analysis_error != jobs.RESUMED_FR  # the note of the take-over is gone with the outcome
    assert cluster.workers[1 - holder].poll() is None  # the other worker is still there
