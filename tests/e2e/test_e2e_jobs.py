"""Analyses out of the web server, in a real browser (streamlit on loopback, Debian Chromium), issue 21.

Two buyers upload a large PDF at the same time (the real vsgp CCTP repeated to a few hundred pages): the second
waits in the queue with its position, the server keeps answering (/_stcore/health and a fresh page), F5 during
the analysis shows it still going and then finished; and the 2020 Rennes notice (boamp_20-100932) uploaded
with DECP contracts imported is analysed into its 8 lots without a crash.
"""
from __future__ import annotations

import os
import re
import urllib.request
from pathlib import Path

import pandas as pd
import pypdfium2 as pdfium
import pytest
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

from procure.market.decp import read_flat_csv
from procure.market.similar import ContractRepository

DATA = Path(os.environ.get("PROCURE_SHARED_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data")
COPIES = 4  # 4 × the 69-page CCTP: 276 pages, long enough to be seen queued and running


@pytest.fixture
def app(monkeypatch, request):
    """The server with one worker, so that two uploads at once show the queue."""
    monkeypatch.setenv("PROCURE_ANALYSIS_WORKERS", "1")
    return request.getfixturevalue("server")


def large_pdf(target: Path) -> Path:
    source = pdfium.PdfDocument(str(DATA / "dce-real" / "vsgp_infogerance" / "CCTP.pdf"))
    out = pdfium.PdfDocument.new()
    for _ in range(COPIES):
        out.import_pages(source)
    out.save(str(target))
    return target


def upload(page, files: list[Path]) -> None:
    open_page(page, "Déposer un DCE")
    page.get_by_role("heading", name="Déposer un dossier de consultation").wait_for()
    wait_idle(page)
    page.locator("input[type=file]").set_input_files([str(f) for f in files])
    for f in files:  # sent to the server before the form is submitted (a long name is shortened in the middle)
        page.get_by_text(f.name[-10:]).first.wait_for()
    page.wait_for_function("document.querySelectorAll('[data-testid=\"stFileUploader\"] [role=\"progressbar\"]').length === 0")
    wait_idle(page)
    page.get_by_role("button", name="Analyser le dossier").click()


def answers(base: str) -> bool:
    return urllib.request.urlopen(f"{base}/_stcore/health", timeout=10).read() == b"ok"


def test_two_large_uploads_f5_and_a_2020_notice_with_decp(app, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    base, accounts, workspace = app
    frame = pd.DataFrame(read_flat_csv(DATA / "decp" / "decp_2018_2021_train.csv.gz")).head(2000)
    assert ContractRepository(workspace.sessions).import_frame(frame)  # comparable contracts: the step that crashed
    big = [large_pdf(tmp_path / "CCTP_A.pdf"), large_pdf(tmp_path / "CCTP_B.pdf")]
    big[1].write_bytes(big[1].read_bytes() + b"\n%% autre copie\n")  # another file (not a duplicate)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        expect.set_options(timeout=120_000)
        first, second = (browser.new_context(viewport={"width": 1400, "height": 1000}).new_page() for _ in range(2))
        for page in (first, second):
            page.set_default_timeout(120_000)
            sign_in(page, base, *accounts["buyer"])
            expect(page.get_by_role("heading", name="Consultations")).to_be_visible()
        upload(first, [big[0]])
        upload(second, [big[1]])
        # One worker: the first runs (page by page), the second waits with its position.
        expect(first.get_by_text(re.compile(r"Lecture de CCTP_A\.pdf, page \d+/276"))).to_be_visible()
        expect(second.get_by_text("Analyse en attente : position 1 dans la file")).to_be_visible()
        check_page(second, "30-analyse-en-attente")
        check_page(first, "31-analyse-en-cours")
        # The server answers while both analyses are pending.
        assert answers(base)
        other = browser.new_context().new_page()
        other.goto(base)
        expect(other.get_by_label("Adresse e-mail")).to_be_visible()
        # F5 on the waiting one: the same analysis, still pending, then finished.
        assert "suivi=" in second.url
        second.reload()
        expect(second.get_by_text(re.compile(r"Analyse (en attente|en cours)"))).to_be_visible()
        check_page(second, "32-apres-f5")
        # A CCTP alone is read with a note (no RC): the page stays on the result, with its link.
        expect(first.get_by_text("Analyse terminée", exact=False)).to_be_visible(timeout=240_000)
        first.get_by_role("link", name="Voir la consultation").click()
        expect(first.get_by_role("heading", name=re.compile("^Lot 1"))).to_be_visible()
        assert answers(base)
        expect(second.get_by_text("Analyse terminée", exact=False)).to_be_visible(timeout=240_000)
        expect(second.get_by_text("CCTP_B.pdf (CCTP) : Seul un CCTP a été fourni", exact=False)).to_be_visible()
        check_page(second, "33-analyse-terminee-apres-f5")
        second.get_by_role("link", name="Voir la consultation").click()
        expect(second.get_by_role("heading", name=re.compile("^Lot 1"))).to_be_visible()

        # The 2020 Rennes notice, DECP imported: read into its 8 lots, the consultation opened.
        upload(first, [next((DATA / "dce-real" / "boamp_20-100932").glob("*.pdf"))])
        expect(first.get_by_role("heading", name=re.compile("^Lot 8"))).to_be_visible(timeout=240_000)
        expect(first.get_by_text("Une erreur inattendue")).to_have_count(0)
        check_page(first, "34-avis-2020-avec-decp")
        browser.close()
    assert answers(base)
