"""End to end in a real browser: streamlit run on loopback, Debian Chromium driven by Playwright.

Logs in, uploads a generated DCE, accepts a match and downloads the Word annex.
"""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import docx
import pytest

import dce
from procure.db import get_engine, session_factory
from procure.directory.demo import setup_demo
from procure.directory.suppliers import SupplierRepository
from procure.service.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium absent en CI : scripts/install-system-deps.sh aurait dû l'installer")
        pytest.skip("chromium absent (paquet Debian chromium)")
    url_db = f"sqlite:///{tmp_path / 'e2e.sqlite'}"
    env = {**os.environ, "PROCURE_DATABASE_URL": url_db, "PROCURE_HOME": str(tmp_path / "home")}
    os.environ["PROCURE_DATABASE_URL"] = url_db
    try:
        sessions = session_factory(get_engine(url_db))
        email, password, _ = setup_demo(Workspace(sessions), SupplierRepository(sessions))[0]
    finally:
        del os.environ["PROCURE_DATABASE_URL"]
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("streamlit n'a pas démarré : " + process.stdout.read().decode(errors="replace")[-2000:])
    yield base, email, password
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def test_login_upload_accept_match_download_annex(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    base, email, password = server
    files = [str(p) for p in dce.works_tender(tmp_path)]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page.set_default_timeout(60_000)
        try:
            page.goto(base)
            page.get_by_label("Adresse e-mail").fill(email)
            page.get_by_label("Mot de passe").fill(password)
            page.get_by_role("button", name="Se connecter").click()
            expect(page.get_by_text("Aucune consultation visible")).to_be_visible()

            page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Déposer un DCE").click()
            page.locator("input[type=file]").set_input_files(files)
            expect(page.get_by_text("RC_travaux.pdf")).to_be_visible()
            page.get_by_role("button", name="Analyser le dossier").click()
            expect(page.get_by_role("heading", name="Lot 2 : Peinture intérieure")).to_be_visible(timeout=120_000)

            page.get_by_role("tab", name="Structures inclusives").first.click()
            page.locator("[class*='st-key-accept-match-']").first.get_by_role("button", name="Accepter").click()
            expect(page.get_by_text("acceptée par").first).to_be_visible()

            page.get_by_role("button", name="Préparer l'annexe Word").click()
            download_button = page.get_by_role("button", name="Télécharger l'annexe (.docx)")
            expect(download_button).to_be_visible(timeout=120_000)
            with page.expect_download() as download_info:
                download_button.click()
            annex = tmp_path / "annexe.docx"
            download_info.value.save_as(annex)
            page.screenshot(path=str(tmp_path / "consultation.png"), full_page=False)
        finally:
            browser.close()
    text = "\n".join(p.text for p in docx.Document(str(annex)).paragraphs)
    assert "Lot 1 — Gros œuvre – maçonnerie" in text
    assert "Structures inclusives retenues pour le sourcing" in text and "[fictive]" in text
