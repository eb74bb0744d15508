"""In a real browser: a clause facilitator imports a monthly statement on the page « Suivi des clauses », reads the
alerts (a lot behind, the 100 € per hour penalty at stake with its article) and downloads the yearly report (issue 25).
The lot comes from a really analysed works tender whose CCAP requires 3 000 insertion hours per year."""
from __future__ import annotations

from datetime import date

import docx
from followup_world import PASSWORD, months, statement_csv, works_tender_3000
from test_e2e_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    check_page,
    server,  # noqa: F401 - the fixture, used by name
    sign_in,
    visible_text,
    wait_idle,
)

from procure.service.workspace import SYSTEM


def _followed_lot(workspace, accounts, tmp_path) -> str:
    """The demo buyer's analysed tender, lot 1 followed with the Maison de l'emploi as facilitator."""
    buyer = workspace.authenticate(*accounts["buyer"])
    tender_id = workspace.create_tender(buyer, "Réhabilitation du groupe scolaire Joliot-Curie")
    files = works_tender_3000(tmp_path / "dce")
    workspace.add_documents(buyer, tender_id, [(p.name, p.read_bytes()) for p in files])
    workspace.analyse(buyer, tender_id)
    organisation = workspace.create_organisation("Maison de l'emploi du Val-de-Marne", actor=SYSTEM)
    workspace.create_user("facilitateur@x.fr", PASSWORD, "Fatou Facilitatrice", "facilitator", organisation,
                          actor=SYSTEM)
    (view,) = workspace.followup.commitments_from_analysis(
        buyer, tender_id, date(2026, 1, 1), holder_name="Bâtir Val-de-Marne SA", lots=[1], duration_months=48,
        facilitator_organisation_id=organisation).created
    return view.commitment.key


def test_a_facilitator_imports_reads_alerts_and_downloads_the_report(server, tmp_path):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    base, accounts, workspace = server
    key = _followed_lot(workspace, accounts, tmp_path)
    statements = tmp_path / "releve-juin-2026.csv"
    statements.write_bytes(statement_csv([{"key": key, "month": f"{m:%m/%Y}", "hours_temporary_work_etti": "100",
                                           "participants_long_term_jobseekers": "1", "contracts_temporary": "1"}
                                          for m in months(2026, 1, 6)]))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 1100}, accept_downloads=True).new_page()
        page.set_default_timeout(60_000)
        expect.set_options(timeout=60_000)
        try:
            sign_in(page, base, "facilitateur@x.fr", PASSWORD)
            expect(page.get_by_role("heading", name="Suivi des clauses")).to_be_visible()
            navigation = page.get_by_test_id("stSidebarNavItems").inner_text()
            assert "Consultations" not in navigation and "Déposer un DCE" not in navigation
            wait_idle(page)
            review_date = page.get_by_label("Date d'examen (JJ/MM/AAAA)")
            review_date.fill("15/07/2026")
            review_date.press("Enter")
            wait_idle(page)
            expect(page.get_by_text("Dues à ce jour", exact=True).first).to_be_visible()
            assert key in page.get_by_role("combobox", name="Engagement").input_value()
            assert "Modifier l'engagement" not in visible_text(page)  # the facilitator changes no commitment
            check_page(page, "suivi-01-engagements")

            page.get_by_role("tab", name="Relevés mensuels").click()
            page.locator("input[type=file]").set_input_files(str(statements))
            expect(page.get_by_text("releve-juin-2026.csv").first).to_be_visible()
            wait_idle(page)
            page.get_by_role("button", name="Importer le relevé").click()
            expect(page.get_by_text("6 relevé(s) ajouté(s)")).to_be_visible(timeout=60_000)
            check_page(page, "suivi-02-import")

            page.get_by_role("tab", name="Alertes").click()
            wait_idle(page)
            expect(page.get_by_text("Pénalités encourues").first).to_be_visible()
            text = visible_text(page)
            assert "En retard" in text and "100,00" in text and "Article 14" in text
            check_page(page, "suivi-03-alertes")

            page.get_by_role("tab", name="Bilan annuel").click()
            wait_idle(page)
            metrics = page.get_by_test_id("stMetricValue")
            expect(page.get_by_test_id("stMetricLabel").filter(has_text="Heures réalisées")).to_be_visible()
            assert "600" in visible_text(page)
            wait_idle(page)
            page.get_by_role("button", name="Préparer le bilan Word et XLSX").click()
            locator = page.get_by_role("button", name="Télécharger le bilan (Word)")
            try:
                locator.wait_for(timeout=60_000)
            finally:
                check_page(page, "suivi-04-bilan")
            with page.expect_download() as info:
                locator.click()
            report = tmp_path / "bilan.docx"
            info.value.save_as(report)
            assert metrics.count() >= 5
        finally:
            browser.close()
    cells = [cell.text for table in docx.Document(str(report)).tables for row in table.rows for cell in row.cells]
    assert "600" in cells
