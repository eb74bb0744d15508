import pandas as pd
import streamlit as st
from sqlalchemy.exc import IntegrityError

from procure.service.workspace import ROLES, AccessDenied
from ui.common import current_user, workspace

user = current_user()
ws = workspace()
st.title("Utilisateurs")
try:
    users = ws.users(user)
except AccessDenied as denied:
    st.error(str(denied))
    st.stop()
st.dataframe(pd.DataFrame([{"E-mail": u.email, "Nom": u.display_name, "Rôle": ROLES[u.role], "Organisation": u.organisation}
                           for u in users]), hide_index=True, width="stretch")
st.header("Créer un compte")
organisations = dict(ws.organisations())
with st.form("nouvel-utilisateur", clear_on_submit=True):
    email = st.text_input("Adresse e-mail")
    name = st.text_input("Nom affiché")
    role = st.selectbox("Rôle", list(ROLES), format_func=ROLES.get)
    organisation = st.selectbox("Organisation", list(organisations), format_func=organisations.get)
    new_organisation = st.text_input("… ou nouvelle organisation")
    password = st.text_input("Mot de passe initial (8 caractères au moins)", type="password")
    submitted = st.form_submit_button("Créer", type="primary")
if submitted:
    try:
        organisation_id = (ws.create_organisation(new_organisation, actor=user) if new_organisation.strip()
                           else organisation)
        ws.create_user(email, password, name or email, role, organisation_id, actor=user)
        st.success(f"Compte {email} créé.")
    except ValueError as problem:
        st.error(f"Compte non créé : {problem}.")
    except IntegrityError:
        st.error("Compte non créé : cette adresse e-mail existe déjà.")
