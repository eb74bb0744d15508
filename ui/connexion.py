import streamlit as st

from procure.service.workspace import AccessDenied
from ui.common import workspace
from ui.session import client_address, sign_in

st.title("procure : clauses sociales dans vos marchés publics")
st.write("Connectez-vous pour déposer un dossier de consultation ou examiner les propositions du groupe de travail.")
with st.form("connexion"):
    email = st.text_input("Adresse e-mail")
    password = st.text_input("Mot de passe", type="password")
    submitted = st.form_submit_button("Se connecter", type="primary")
if submitted:
    try:
        # The address lets the throttle count failures per client as well as per account (behind a trusted proxy,
        # the address its header gives).
        user = workspace().authenticate(email, password, address=client_address())
    except AccessDenied as refused:  # too many failures: the message says how long to wait
        st.error(str(refused))
        st.stop()
    if user is None:
        st.error("Adresse e-mail ou mot de passe incorrect.")
    else:
        sign_in(user)
        st.rerun()
st.caption("Vous restez connecté 10 heures sur ce navigateur, même en rechargeant la page ; "
           "« Se déconnecter » met fin à la session.")
st.caption("Comptes de démonstration : les identifiants sont affichés dans le terminal au lancement (make run).")
