"""A buyer's day end to end in a real browser: streamlit run on loopback, Debian Chromium driven by Playwright.

A buyer uploads a DCE, reloads the page (still signed in), reviews; a working-group member decides on the same
suggestion first, so the buyer's stale click is refused with a French message that keeps the comment; the buyer
then downloads the annex, the CCAP with tracked changes and the territorial guide, and signs out. Every page
visited is checked for English and saved as a screenshot (tests/artifacts/e2e or $PROCURE_TEST_ARTIFACTS).
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import docx
import pytest

import dce
from procure.db import get_engine, session_factory
from procure.directory.demo import setup_demo
from procure.directory.suppliers import SupplierRepository
from procure.service.session_token import COOKIE_NAME
from procure.service.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(os.environ.get("PROCURE_TEST_ARTIFACTS") or ROOT / "tests" / "artifacts") / "e2e"
# Streamlit's and the library's English that a French buyer must never read.
ENGLISH = re.compile(r"\b(Upload|Browse files|Drag and drop|Choose options|Deploy|Running|Stop|rejected|warning|"
                     r"None|NaN|nan|True|False|pending|accepted|present|per file|Showing page|Press Enter)\b")


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
    sessions = session_factory(get_engine(url_db))
    workspace = Workspace(sessions)
    accounts = {role: (email, password) for email, password, role in setup_demo(workspace, SupplierRepository(sessions))}
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
    yield base, accounts, workspace
    process.terminate()
    try:
        output, _ = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "streamlit.log").write_bytes(output or b"")


def visible_text(page) -> str:
    """What a person reads: main area and sidebar, as rendered (hidden elements excluded)."""
    return "\n".join(page.locator(sel).first.inner_text() for sel in ("[data-testid='stMain']", "[data-testid='stSidebar']")
                     if page.locator(sel).count())


def check_page(page, name: str) -> None:
    """Screenshot for the artefacts, then no English on the page."""
    page.wait_for_timeout(500)
    page.wait_for_function("document.querySelectorAll('[data-stale=\"true\"]').length === 0", timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    found = sorted(set(ENGLISH.findall(visible_text(page))))
    assert not found, f"texte anglais sur la page « {name} » : {found}"


def wait_idle(page) -> None:
    """Wait until the script run is over and nothing is stale for a moment, as a person who clicks once the page is drawn.

    A click sent while a run is still drawing, or just before a component asks for a rerun, may be lost by
    Streamlit (CI runs saw both): the page must stay idle for 400 ms, so a rerun requested in between resets the wait.
    """
    page.wait_for_function(
        "(() => { const app = document.querySelector('[data-testid=\"stApp\"]');"
        " const idle = app && app.getAttribute('data-test-script-state') === 'notRunning'"
        " && document.querySelectorAll('[data-stale=\"true\"]').length === 0;"
        " if (!idle) { window.__procureIdleSince = null; return false; }"
        " window.__procureIdleSince = window.__procureIdleSince || Date.now();"
        " return Date.now() - window.__procureIdleSince >= 400; })()", timeout=60_000, polling=100)


def session_cookie(page) -> str | None:
    return next((cookie["value"] for cookie in page.context.cookies() if cookie["name"] == COOKIE_NAME), None)


def wait_session_cookie(page, before: str | None, timeout: float = 60) -> None:
    """Wait until the browser holds a new session cookie: the cookie component has run and asked for its rerun.

    Under load that component loads seconds after the page is drawn; a click sent while its rerun replaces the
    current one is lost (a working-group decision was, in CI), so a signed-in test waits for it first.
    """
    deadline = time.monotonic() + timeout
    while session_cookie(page) in (None, before):
        if time.monotonic() > deadline:
            raise AssertionError("le cookie de session n'a pas été écrit par le navigateur")
        page.wait_for_timeout(100)
    wait_idle(page)


def sign_in(page, base: str, email: str, password: str, accepted: bool = True) -> None:
    """Sign in; when the account is accepted, wait until the session cookie is written and the page is idle."""
    before = session_cookie(page)
    page.goto(base)
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    if accepted:
        wait_session_cookie(page, before)


def open_page(page, name: str) -> None:
    wait_idle(page)  # a navigation clicked while the sign-in run is still drawing can be lost (seen in CI)
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name=name).click()


def download(page, button: str, target: Path) -> Path:
    locator = page.get_by_role("button", name=button)
    locator.wait_for(timeout=120_000)
    with page.expect_download() as info:
        locator.click()
    info.value.save_as(target)
    return target


def test_a_buyers_day_with_the_working_group(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    base, accounts, workspace = server
    expect.set_options(timeout=60_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # The buyer's RC and CCAP in Word, as most buyers keep them (the tracked changes go into them).
    # An old Word 97 file slips in, as happens: it must be refused in French without stopping the others.
    old_word = tmp_path / "AE_ancien.doc"
    old_word.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4088))
    files = [str(dce.write_docx(tmp_path / "RC_travaux.docx", dce.WORKS_RC)),
             str(dce.write_docx(tmp_path / "CCAP_travaux.docx", dce.WORKS_CCAP)), str(old_word)]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        buyer_context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        reviewer_context = browser.new_context(viewport={"width": 1400, "height": 1000})
        buyer, reviewer = buyer_context.new_page(), reviewer_context.new_page()
        for page in (buyer, reviewer):
            page.set_default_timeout(60_000)
        try:
            # ---- the buyer signs in and files the DCE, shared with the working group
            sign_in(buyer, base, *accounts["buyer"])
            expect(buyer.get_by_text("Aucune consultation visible")).to_be_visible()
            check_page(buyer, "01-acheteur-accueil")
            open_page(buyer, "Déposer un DCE")
            buyer.get_by_text("Partager avec le groupe de travail achats responsables").click()
            buyer.locator("input[type=file]").set_input_files(files)
            expect(buyer.get_by_text("RC_travaux.docx")).to_be_visible()
            check_page(buyer, "02-acheteur-depot")
            buyer.get_by_role("button", name="Analyser le dossier").click()
            expect(buyer.get_by_text("AE_ancien.doc : Format Word 97-2003 (.doc)").filter(visible=True).first).to_be_visible(timeout=120_000)
            expect(buyer.get_by_text("CCAP_travaux.docx (CCAP) : lu et analysé")).to_be_visible()
            check_page(buyer, "03-acheteur-depot-resultat")
            buyer.get_by_role("link", name="Voir la consultation").click()
            expect(buyer.get_by_role("heading", name="Lot 2 : Peinture intérieure")).to_be_visible(timeout=120_000)

            # ---- a reload (F5) keeps the buyer signed in
            buyer.reload()
            expect(buyer.get_by_role("heading", name="Lot 2 : Peinture intérieure")).to_be_visible(timeout=60_000)
            assert buyer.get_by_label("Mot de passe").count() == 0
            expect(buyer.get_by_text("CCAP_travaux.docx — « ").first).to_be_visible()  # passages with their source
            check_page(buyer, "04-acheteur-consultation")
            buyer.get_by_role("tab", name="Structures inclusives").first.click()  # lot 1's ranked structures
            expect(buyer.get_by_text("Distances mesurées depuis").first).to_be_visible(timeout=30_000)
            buyer.get_by_text("Distances mesurées depuis").first.scroll_into_view_if_needed()
            check_page(buyer, "04b-acheteur-structures")
            buyer.get_by_role("tab", name="Clauses proposées").first.click()  # where the next steps decide

            # ---- the working-group member: no "Déposer un DCE", decides first on the insertion clause of lot 1
            sign_in(reviewer, base, *accounts["reviewer"])
            expect(reviewer.get_by_role("heading", name="Lot 1 : Gros œuvre – maçonnerie")).to_be_visible(timeout=60_000)
            assert reviewer.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Déposer un DCE").count() == 0
            owner = workspace.authenticate(*accounts["buyer"])
            tender_id = workspace.visible_tenders(owner)[0]["id"]
            first = workspace.review_items(owner, tender_id)["lots"][0]["suggestions"][0]
            key = f"suggestion-{first['id']}"
            wait_idle(reviewer)
            reviewer.locator(f".st-key-accept-{key} button").click()
            expect(reviewer.locator(f".st-key-accept-{key} button")).to_be_disabled()
            check_page(reviewer, "05-groupe-decision")

            # ---- the buyer, whose page still shows the old state, rejects with a comment: refused, comment kept
            comment = buyer.locator(f".st-key-comment-{key} input")
            comment.fill("Trop d'heures pour ce lot")
            assert not ENGLISH.findall(visible_text(buyer))  # no "Press Enter to apply" while typing
            wait_idle(buyer)
            buyer.locator(f".st-key-reject-{key} button").click()
            expect(buyer.get_by_text("Quelqu'un a décidé entre-temps : rechargez").first).to_be_visible()
            expect(comment).to_have_value("Trop d'heures pour ce lot")
            buyer.get_by_text("Quelqu'un a décidé entre-temps").first.scroll_into_view_if_needed()
            check_page(buyer, "06-acheteur-conflit")
            assert workspace.review_items(owner, tender_id)["lots"][0]["suggestions"][0]["decision"] == "accepted"
            buyer.locator(f".st-key-reload-{key} button").click()
            expect(buyer.get_by_text("Quelqu'un a décidé entre-temps")).to_have_count(0)

            # ---- the buyer reserves lot 1 and retains a supplier, then takes the annex and the RC with tracked changes
            lots = workspace.review_items(owner, tender_id)["lots"]
            clause = next(s for lot in lots for s in lot["suggestions"]
                          if "RC" in s["target_document"].split() and s["status"] != "present"
                          and s["decision"] == "pending")
            buyer.locator(f".st-key-accept-suggestion-{clause['id']} button").click()
            expect(buyer.locator(f".st-key-accept-suggestion-{clause['id']} button")).to_be_disabled()
            buyer.get_by_role("tab", name="Structures inclusives").first.click()
            match = workspace.review_items(owner, tender_id)["lots"][0]["matches"][0]
            buyer.locator(f".st-key-accept-match-{match['id']} button").click()
            expect(buyer.locator(f".st-key-accept-match-{match['id']} button")).to_be_disabled()
            buyer.get_by_role("button", name="Préparer l'annexe Word").click()
            annex = download(buyer, "Télécharger l'annexe (.docx)", tmp_path / "annexe.docx")
            buyer.get_by_role("button", name="Préparer le document avec les clauses en suivi des modifications").click()
            tracked = download(buyer, "Télécharger le document modifié (.docx)", tmp_path / "rc-suivi.docx")
            buyer.get_by_role("button", name="Télécharger le document modifié (.docx)").scroll_into_view_if_needed()
            check_page(buyer, "07-acheteur-annexe-et-rc")

            # ---- the guide of the buyer's territory, the dashboard and the directory
            open_page(buyer, "Guide du territoire")
            expect(buyer.get_by_role("textbox", name="Territoire")).to_have_value("94")
            buyer.get_by_role("button", name="Générer le guide").click()
            guide = download(buyer, "Télécharger le guide (.docx)", tmp_path / "guide.docx")
            check_page(buyer, "08-acheteur-guide")
            open_page(buyer, "Tableau de bord")
            expect(buyer.get_by_text("Part des lots et marchés avec une disposition sociale")).to_be_visible()
            check_page(buyer, "09-acheteur-tableau-de-bord")
            open_page(buyer, "Annuaire")
            expect(buyer.get_by_text("Structures fictives (démonstration)")).to_be_visible()
            check_page(buyer, "10-acheteur-annuaire")

            # ---- signing out ends the session, also after a reload
            buyer.get_by_role("button", name="Se déconnecter").click()
            expect(buyer.get_by_label("Mot de passe")).to_be_visible()
            buyer.wait_for_timeout(1500)  # the cookie is deleted by the browser-side component
            buyer.reload()
            expect(buyer.get_by_label("Mot de passe")).to_be_visible()
            check_page(buyer, "11-deconnexion")
        except Exception:
            # What each person saw when it failed, for the CI artefacts.
            for page, name in ((buyer, "echec-acheteur"), (reviewer, "echec-groupe")):
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
                print(f"---- page de {name} :\n{visible_text(page)[:4000]}")
            raise
        finally:
            browser.close()

    annex_text = "\n".join(p.text for p in docx.Document(str(annex)).paragraphs)
    assert "Lot 1 — Gros œuvre – maçonnerie" in annex_text
    with zipfile.ZipFile(tracked) as archive:
        body = archive.read("word/document.xml").decode("utf-8")
    assert 'w:author="procure"' in body and "<w:ins " in body
    guide_text = "\n".join(p.text for p in docx.Document(str(guide)).paragraphs)
    assert "Val-de-Marne" in guide_text
