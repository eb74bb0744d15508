"""In a real browser (streamlit on loopback, Debian Chromium): names typed by an administrator are shown as text,
never as Markdown (an injected image is not fetched), and a published eForms notice uploaded as a piece is read
into its lots (issues #26 and #19)."""
from __future__ import annotations

import http.server
import os
import threading
from pathlib import Path

from test_e2e_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    check_page,
    open_page,
    server,  # noqa: F401 - the fixture, used by name
    sign_in,
)

from procure.service.workspace import SYSTEM

DATA = Path(os.environ.get("PROCURE_SHARED_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data")


class _Counting(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - the http.server API
        _Counting.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):  # quiet
        pass


def test_names_are_text_and_an_eforms_notice_is_read(server, tmp_path):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    base, _, workspace = server
    trap = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=trap.serve_forever, daemon=True).start()
    image = f"http://127.0.0.1:{trap.server_address[1]}/pixel.png"
    organisation = workspace.create_organisation(f"Ville **de Test** ![logo]({image})", actor=SYSTEM)
    workspace.create_user("marque@example.fr", "motdepasse-solide", f"**Acheteuse** [lien]({image})", "buyer",
                          organisation, actor=SYSTEM)
    notice = next(DATA.glob("dce-real/ted_131011-2024/*.xml"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.set_default_timeout(60_000)
            expect.set_options(timeout=60_000)
            sign_in(page, base, "marque@example.fr", "motdepasse-solide")
            sidebar = page.get_by_test_id("stSidebar")
            expect(sidebar.get_by_text("**Acheteuse**", exact=False)).to_be_visible()
            assert sidebar.locator("img").count() == 0 and sidebar.locator("strong").count() == 0
            assert sidebar.locator("a[href*='pixel.png']").count() == 0
            check_page(page, "20-noms-en-texte")
            open_page(page, "Déposer un DCE")
            page.locator("input[type=file]").set_input_files([str(notice)])
            page.get_by_role("button", name="Analyser le dossier").click()
            # the analysis opens the consultation: its lots as the notice numbers them, its facts with their BT
            expect(page.get_by_role("heading", name="Lot 2 : Location de longue durée", exact=False)).to_be_visible(timeout=120_000)
            expect(page.get_by_text("Identifiant interne (BT-22)", exact=False).first).to_be_visible()
            check_page(page, "21-avis-eforms-lots")
            browser.close()
    finally:
        trap.shutdown()
    assert not [hit for hit in _Counting.hits if "pixel" in hit], "l'image injectée a été chargée"
