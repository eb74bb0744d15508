"""In a real browser: the working group reads a BOAMP export on the page « Veille des avis », filters its territory
and the notices to report, and exports the list (issue 24)."""
from __future__ import annotations

import csv
import os
from pathlib import Path

from boamp_export import CANCEL_ID, PUTEAUX_ID, SOISY_ID, cancellation_of, make_record, real_records, write_export  # noqa: E402
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

DATA = Path(os.environ.get("PROCURE_SHARED_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data")


def test_the_working_group_watches_its_territory(server, tmp_path):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    base, accounts, _ = server
    real = real_records(DATA)
    records = [make_record(real[SOISY_ID if n % 2 else PUTEAUX_ID], n, social=n >= 4)[0] for n in range(6)]
    records.append(cancellation_of(real[CANCEL_ID], 50, make_record(real[SOISY_ID], 5)[1])[0])
    export = write_export(tmp_path / "export-boamp.json", records)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True).new_page()
        page.set_default_timeout(60_000)
        expect.set_options(timeout=60_000)
        try:
            sign_in(page, base, *accounts["reviewer"])
            open_page(page, "Veille des avis")
            expect(page.get_by_role("heading", name="Veille des avis publiés")).to_be_visible()
            expect(page.get_by_text("Aucun avis lu pour ces critères").first).to_be_visible()
            page.get_by_text("Lire de nouveaux avis").click()
            page.locator("input[type=file]").set_input_files(str(export))
            expect(page.get_by_text("export-boamp.json")).to_be_visible()
            wait_idle(page)
            page.get_by_role("button", name="Lire les avis").click()
            expect(page.get_by_text("7 avis lu(s), dont 4 à signaler")).to_be_visible(timeout=120_000)
            territory = page.get_by_label("Territoire")
            territory.fill("95")
            territory.press("Enter")
            wait_idle(page)
            expect(page.get_by_text("Cible nationale").first).to_be_visible()
            check_page(page, "veille-01-territoire")
            metrics = page.get_by_test_id("stMetricValue")
            expect(metrics.nth(0)).to_have_text("3")  # Soisy's notices 1 and 3, and the cancellation of 5
            page.get_by_text("Seulement les avis à signaler").click()
            wait_idle(page)
            expect(metrics.nth(0)).to_have_text("2")
            page.get_by_role("heading", name="Par acheteur").scroll_into_view_if_needed()
            check_page(page, "veille-02-a-signaler")
            with page.expect_download() as info:
                page.get_by_role("button", name="Exporter en CSV (Excel)").click()
            saved = tmp_path / "veille.csv"
            info.value.save_as(saved)
            buyer = page.get_by_label("Acheteur (une partie du nom)")
            buyer.fill("soisy")
            buyer.press("Enter")
            wait_idle(page)
            page.get_by_role("button", name="Préparer la note Word pour COMMUNE DE SOISY-SOUS-MONTMORENCY").click()
            with page.expect_download() as info:
                page.get_by_role("button", name="Télécharger la note (.docx)").click()
            note = tmp_path / "note.docx"
            info.value.save_as(note)
        finally:
            browser.close()
    with open(saved, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert len(rows) == 2 and {row["À signaler"] for row in rows} == {"oui"}
    assert {row["Avis"] for row in rows} == {"26-100001", "26-100003"}
    import docx

    text = "\n".join(p.text for p in docx.Document(str(note)).paragraphs)
    assert "Vos avis publiés — COMMUNE DE SOISY-SOUS-MONTMORENCY" in text and "26-100001" in text
