"""Streamlit entry point of procure: log-in gate and navigation. Pages live in ui/, logic in procure/."""
from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="procure — clauses sociales", page_icon=":material/handshake:", layout="wide")

user = st.session_state.get("user")
if user is None:
    pages = [st.Page("ui/connexion.py", title="Connexion", icon=":material/login:", default=True)]
else:
    pages = {
        "Consultations": [
            st.Page("ui/consultations.py", title="Consultations", icon=":material/folder_open:", default=True),
            st.Page("ui/deposer.py", title="Déposer un DCE", icon=":material/upload_file:"),
        ],
        "Structures inclusives": [st.Page("ui/annuaire.py", title="Annuaire", icon=":material/groups:")],
        "Pilotage": [st.Page("ui/tableau_de_bord.py", title="Tableau de bord", icon=":material/monitoring:"),
                     st.Page("ui/guide.py", title="Guide du territoire", icon=":material/menu_book:")],
    }
    if user.role == "admin":
        pages["Administration"] = [st.Page("ui/administration.py", title="Utilisateurs", icon=":material/admin_panel_settings:")]
    with st.sidebar:
        st.caption(f"Connecté : {user.display_name}")
        st.caption(user.organisation)
        if st.button("Se déconnecter", icon=":material/logout:"):
            st.session_state.clear()
            st.rerun()

st.navigation(pages).run()
