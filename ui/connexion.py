import streamlit as st

from procure.service.workspace import AccessDenied
from ui.common import workspace
from ui.session import client_address, sign_in

signed = st.session_state.get("user")
if signed is not None and signed.must_change_password:
    # Signed in with the temporary password an administrator gave: choosing a new one comes before anything else.
    st.title("Choisissez votre mot de passe")
    st.write("Vous vous êtes connecté avec un mot de passe provisoire. Choisissez maintenant votre propre mot de "
             "passe (8 caractères au moins) : il remplace le mot de passe provisoire, qui ne servira plus.")
    with st.form("nouveau-mot-de-passe", clear_on_submit=True):
        new_password = st.text_input("Nouveau mot de passe", type="password")
        confirmation = st.text_input("Confirmez le nouveau mot de passe", type="password")
        changed = st.form_submit_button("Enregistrer mon mot de passe", type="primary")
    if changed:
        try:
            fresh = workspace().change_own_password(signed, new_password, confirmation)
        except ValueError as problem:
            st.error(f"Mot de passe non changé : {problem}.")
        except AccessDenied as refused:
            st.error(str(refused))
        else:
            sign_in(fresh)  # the sessions on the temporary password ended: this one gets a fresh token
            st.session_state["password_changed"] = True
            st.rerun()
    st.stop()

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
st.caption("Mot de passe oublié ou compte bloqué : un administrateur peut vous donner un mot de passe provisoire.")
st.caption("Comptes de démonstration : les identifiants sont affichés dans le terminal au lancement (make run).")
