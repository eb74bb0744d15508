"""Streamlit entry point of procure: sign-in gate and navigation by role. Pages live in ui/, logic in procure/."""
from __future__ import annotations

import logging

import streamlit as st

from procure.logs import configure_logging
from procure.service.session_token import SessionSecretUnavailable
from procure.service.workspace import permissions
from ui.common import NO_RESULT_CSS, plain, workspace
from ui.session import restore_user, sign_out, write_cookie

st.set_page_config(page_title="procure — clauses sociales", page_icon=":material/handshake:", layout="wide")
configure_logging(once=True)  # the server's standard error (and PROCURE_LOG_FILE): the operator's log, never the buyer's page
# Streamlit's uploader and menus carry built-in English the app cannot translate: hide what can be hidden.
st.html("<style>"
        "[data-testid='stFileUploaderDropzoneInstructions'] span {display: none;}"
        "[data-testid='stFileUploaderDropzoneInstructions'] > div::before "
        "{content: 'Glissez-déposez vos fichiers ici (100 Mo au plus par fichier)';}"
        "[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p {display: none;}"
        "[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer']::after {content: 'Parcourir';}"
        "[data-testid='stFileChipName'] + div {display: none;}"  # sizes written "37.0KB"
        "[data-testid='InputInstructions'] {display: none;}"  # "Press Enter to submit form"
        # Table toolbars: English tooltips and a comma-separated CSV French Excel cannot open; pages export their own.
        "[data-testid='stMainMenu'], [data-testid='stStatusWidget'], [data-testid='stAppDeployButton'],"
        "[data-testid='stElementToolbar'] {display: none;}"
        "</style>")
st.html(NO_RESULT_CSS)  # selects' "No results" in French on every page


SECRET_UNREADABLE_FR = ("La connexion est impossible pour le moment : le serveur ne peut pas lire sa clé de session. "
                        "Signalez-le à votre administrateur en indiquant l'heure.")


def _pages(user) -> list | dict:
    if user is None:
        return [st.Page("ui/connexion.py", title="Connexion", icon=":material/login:", default=True)]
    if user.must_change_password:  # a temporary password opens nothing but its change (the service refuses the rest)
        return [st.Page("ui/connexion.py", title="Nouveau mot de passe", icon=":material/password:", default=True)]
    allowed = permissions(user)
    followup = st.Page("ui/suivi.py", title="Suivi des clauses", icon=":material/fact_check:",
                       default=allowed.follows_as_facilitator)
    if not allowed.sees_tenders:  # a facilitator follows the lots it was named for: no tender, clause or decision
        return {"Suivi des clauses": [followup],
                "Structures inclusives": [st.Page("ui/annuaire.py", title="Annuaire", icon=":material/groups:")]}
    tenders = [st.Page("ui/consultations.py", title="Consultations", icon=":material/folder_open:", default=True)]
    if allowed.create_tender:  # a working-group member reviews, never files a DCE
        tenders.append(st.Page("ui/deposer.py", title="Déposer un DCE", icon=":material/upload_file:"))
    pages = {
        "Consultations": tenders,
        "Structures inclusives": [st.Page("ui/annuaire.py", title="Annuaire", icon=":material/groups:")],
        "Pilotage": [st.Page("ui/tableau_de_bord.py", title="Tableau de bord", icon=":material/monitoring:"),
                     st.Page("ui/guide.py", title="Guide du territoire", icon=":material/menu_book:"),
                     st.Page("ui/veille.py", title="Veille des avis", icon=":material/travel_explore:"),
                     followup],
    }
    administration = (
        [st.Page("ui/administration.py", title="Gestion des comptes", icon=":material/admin_panel_settings:")]
        if allowed.manage_accounts else []) + (
        [st.Page("ui/imports.py", title="Imports (DECP, CPV)", icon=":material/cloud_upload:")]
        if allowed.import_reference_data else [])
    if administration:
        pages["Administration"] = administration
    return pages


try:
    user = restore_user()
except SessionSecretUnavailable as unreadable:  # before any page: Streamlit's English error page otherwise
    logging.getLogger("procure.app").error("%s", unreadable)
    st.error(SECRET_UNREADABLE_FR)
    st.stop()
if user is not None:
    with st.sidebar:  # names typed by an administrator: shown as text, never as Markdown
        st.caption(f"Connecté : {plain(user.display_name)}")
        st.caption(plain(user.organisation))
        if st.button("Se déconnecter", icon=":material/logout:"):
            sign_out()
            st.rerun()
write_cookie()
if st.session_state.pop("password_changed", None):
    st.toast("Mot de passe enregistré : utilisez-le à votre prochaine connexion.", icon=":material/check:")
if user is not None:  # jobs queued before a restart are picked up even if nobody opens their page
    workspace().start_analysis_dispatcher()
page = st.navigation(_pages(user))
try:
    page.run()
except SessionSecretUnavailable as unreadable:  # signing in needs the key too
    logging.getLogger("procure.app").error("%s", unreadable)
    st.error(SECRET_UNREADABLE_FR)
except Exception:  # a bug must never show a traceback to a buyer; the log keeps it for the maintainers
    logging.getLogger("procure.app").exception("page %s", page.title)
    st.error("Une erreur inattendue est survenue sur cette page. Rechargez la page ; si l'erreur persiste, "
             "signalez-la à votre administrateur en indiquant l'heure.")
