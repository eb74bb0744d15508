"""In a real browser: the IT outsourcing DCE of Vallée Sud - Grand Paris, uploaded by a buyer with the real ASP list
of SIAE in the directory, shows its local IT insertion companies (issue 21: « aucune structure crédible » before,
because only the first 10 ranked structures were judged)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from test_e2e_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    check_page,
    open_page,
    server,  # noqa: F401 - the fixture, used by name
    sign_in,
    wait_idle,
)

from procure.directory.suppliers import ASP_SIAE, SupplierRepository, import_file

SHARED = Path(os.environ.get("PROCURE_SHARED_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data")
ASP_FILE = SHARED / "siae" / "siae_asp_2019_07.csv"
TENDER = SHARED / "dce-real" / "vsgp_infogerance"
pytestmark = pytest.mark.skipif(not ASP_FILE.is_file() or not TENDER.is_dir(),
                                reason="données de référence ../shared/data absentes (PROCURE_SHARED_DATA)")


def test_an_it_lot_shows_its_local_it_structures(server):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    base, accounts, workspace = server
    import_file(SupplierRepository(workspace.sessions), ASP_FILE, ASP_SIAE, "ASP 2019-07")
    files = [str(TENDER / name) for name in yaml.safe_load((TENDER / "expected.yaml").read_text(encoding="utf-8"))["files"]]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.set_default_timeout(60_000)
        expect.set_options(timeout=60_000)
        try:
            sign_in(page, base, *accounts["buyer"])
            open_page(page, "Déposer un DCE")
            page.locator("input[type=file]").set_input_files(files)
            expect(page.get_by_text("RC.pdf")).to_be_visible()
            wait_idle(page)
            page.get_by_role("button", name="Analyser le dossier").click()
            expect(page.get_by_role("tab", name="Structures inclusives").first).to_be_visible(timeout=240_000)
            wait_idle(page)
            page.get_by_role("tab", name="Structures inclusives").first.click()
            expect(page.get_by_text("structures crédibles pour ce lot").first).to_be_visible()
            it_structure = page.get_by_text("NAF 62.0").first  # « conseil en systèmes et logiciels informatiques »
            expect(it_structure).to_be_visible()
            it_structure.scroll_into_view_if_needed()
            check_page(page, "it-01-structures-informatiques")
            assert "aucune structure crédible" not in page.inner_text("[data-testid='stMain']").lower()
        finally:
            browser.close()
