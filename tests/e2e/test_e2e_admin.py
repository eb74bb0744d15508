"""An administrator's day in a real browser (streamlit on loopback, Debian Chromium): deactivate a buyer (who can no
longer sign in, and whose open session ends), reactivate and make them a working-group member, reset their password
(the temporary password is shown once; signing in with it leads to choosing a new one before anything else),
archive a consultation, import DECP contracts, and open the dashboard on one's own organisation."""
from __future__ import annotations

import os
from pathlib import Path

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

import dce
from procure.service.workspace import SYSTEM

DATA = Path(os.environ.get("PROCURE_SHARED_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data")
PASSWORD = "motdepasse-solide"


def choose(page, key: str, text: str) -> None:
    """Pick the option of a Streamlit selectbox (by its widget key) whose label contains `text`."""
    wait_idle(page)
    box = page.locator(f".st-key-{key}").get_by_role("combobox")
    option = page.get_by_role("option").filter(has_text=text).first
    box.click()
    try:
        option.wait_for(timeout=15_000)
    except Exception:  # noqa: BLE001 - under load a redraw can close the list as it opens (seen once in CI)
        wait_idle(page)
        box.click()
    option.click()
    wait_idle(page)


def test_an_administrator_administers(server, tmp_path):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    base, accounts, workspace = server
    town = workspace.create_organisation("Ville de Vitry-sur-Seine", actor=SYSTEM)
    workspace.create_user("marie@vitry.fr", PASSWORD, "Marie Curie", "buyer", town, actor=SYSTEM)
    marie = workspace.authenticate("marie@vitry.fr", PASSWORD)
    tender_id = workspace.create_tender(marie, "Essai à archiver")
    workspace.add_documents(marie, tender_id, [(p.name, p.read_bytes()) for p in dce.works_tender(tmp_path)])
    admin_email, admin_password = accounts["admin"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        expect.set_options(timeout=60_000)
        admin = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        user = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        for page in (admin, user):
            page.set_default_timeout(60_000)
        try:
            _walk(expect, base, admin, user, marie, admin_email, admin_password)
        except Exception:  # the state of both pages, for the artefacts
            admin.screenshot(path=str(ARTIFACTS / "echec-admin.png"), full_page=True)
            user.screenshot(path=str(ARTIFACTS / "echec-utilisateur.png"), full_page=True)
            raise
        browser.close()
    assert workspace.authenticate("marie@vitry.fr", "mon-secret-a-moi").role == "reviewer"
    assert workspace.visible_tenders(workspace.authenticate(admin_email, admin_password)) == []


def _walk(expect, base, admin, user, marie, admin_email, admin_password) -> None:
    if True:
        sign_in(user, base, "marie@vitry.fr", PASSWORD)
        expect(user.get_by_role("link", name="Déposer un DCE")).to_be_visible()
        sign_in(admin, base, admin_email, admin_password)
        open_page(admin, "Gestion des comptes")
        expect(admin.get_by_role("heading", name="Gérer un compte")).to_be_visible()

        # ---- deactivate: Marie cannot sign in any more, and her open session ends at her next click
        choose(admin, "compte-choisi", "marie@vitry.fr")
        admin.get_by_role("button", name="Désactiver le compte").click()
        expect(admin.get_by_text("désactivé : il ne peut plus se connecter")).to_be_visible()
        check_page(admin, "30-admin-compte-desactive")
        wait_idle(user)
        user.get_by_role("link", name="Annuaire").click()
        expect(user.get_by_role("button", name="Se connecter")).to_be_visible()
        sign_in(user, base, "marie@vitry.fr", PASSWORD, accepted=False)
        expect(user.get_by_text("Adresse e-mail ou mot de passe incorrect.")).to_be_visible()

        # ---- reactivate, make her a working-group member, reset her password
        choose(admin, "compte-choisi", "marie@vitry.fr")
        admin.get_by_role("button", name="Réactiver le compte").click()
        expect(admin.get_by_text("vitry.fr réactivé.")).to_be_visible()
        choose(admin, "compte-choisi", "marie@vitry.fr")
        choose(admin, f"role-{marie.id}", "Membre du groupe de travail")
        admin.get_by_role("button", name="Changer le rôle").click()
        expect(admin.get_by_text("Ses sessions ouvertes sont closes")).to_be_visible()
        choose(admin, "compte-choisi", "marie@vitry.fr")
        admin.get_by_role("button", name="Réinitialiser le mot de passe").click()
        expect(admin.get_by_text("Mot de passe provisoire de marie")).to_be_visible()
        temporary = admin.locator("[data-testid='stCode'] code").first.inner_text().strip()
        assert len(temporary) == 14 and temporary.count("-") == 2, temporary
        check_page(admin, "31-admin-mot-de-passe-provisoire")
        admin.reload()  # shown once: gone after a reload
        wait_idle(admin)
        open_page(admin, "Gestion des comptes")
        expect(admin.get_by_role("heading", name="Gérer un compte")).to_be_visible()
        wait_idle(admin)
        assert temporary not in admin.content()

        # ---- Marie signs in with it and must choose her own password before anything else
        sign_in(user, base, "marie@vitry.fr", temporary)
        expect(user.get_by_role("heading", name="Choisissez votre mot de passe")).to_be_visible()
        assert user.get_by_role("link", name="Consultations").count() == 0
        check_page(user, "32-nouveau-mot-de-passe")
        user.get_by_label("Nouveau mot de passe", exact=True).fill("mon-secret-a-moi")
        user.get_by_label("Confirmez le nouveau mot de passe").fill("mon-secret-a-moi")
        user.get_by_role("button", name="Enregistrer mon mot de passe").click()
        expect(user.get_by_role("heading", name="Consultations")).to_be_visible()
        expect(user.get_by_role("link", name="Annuaire")).to_be_visible()
        assert user.get_by_role("link", name="Déposer un DCE").count() == 0  # now a working-group member
        user.reload()  # the new session survives a reload
        expect(user.get_by_role("link", name="Annuaire")).to_be_visible()

        # ---- archive the test consultation: gone from the list
        admin.get_by_text("Archiver ou supprimer la consultation").click()
        admin.get_by_role("button", name="Archiver la consultation").click()
        expect(admin.get_by_text("Consultation archivée.")).to_be_visible()
        check_page(admin, "33-admin-consultation-archivee")
        open_page(admin, "Consultations")
        expect(admin.get_by_text("Aucune consultation visible")).to_be_visible()

        # ---- import DECP contracts from the app, then the dashboard opens on one's own organisation
        open_page(admin, "Imports (DECP, CPV)")
        wait_idle(admin)
        admin.locator(".st-key-decp-files input[type=file]").set_input_files(
            [str(DATA / "decp" / "decp_2018_2021_train.csv.gz")])
        wait_idle(admin)
        admin.get_by_role("button", name="Importer les marchés").click()
        expect(admin.get_by_text("decp_2018_2021_train.csv.gz : 8").first).to_be_visible(timeout=120_000)
        wait_idle(admin)
        check_page(admin, "34-import-decp")
        open_page(admin, "Tableau de bord")
        expect(admin.get_by_text("Heures d'insertion prévues").first).to_be_visible()
        wait_idle(admin)
        check_page(admin, "35-tableau-de-bord")
        assert admin.get_by_text("01 BUDGET PRINCIPAL").count() == 0
