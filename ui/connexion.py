import streamlit as st

from ui.common import workspace

st.title("procure : clauses sociales dans vos marchés publics")
st.write("Connectez-vous pour déposer un dossier de consultation ou examiner les propositions du groupe de travail.")
with st.form("connexion"):
    email = st.text_input("Adresse e-mail")
    password = st.text_input("Mot de passe", type="password")
    submitted = st.form_submit_button("Se connecter", type="primary")
if submitted:
    user = workspace().authenticate(email, password)
    if user is None:
        st.error("Adresse e-mail ou mot de passe incorrect.")
    else:
        st.session_state["user"] = user
        st.rerun()
st.caption("Comptes de démonstration : les identifiants sont affichés dans le terminal au lancement (make run).")
