import pandas as pd
import streamlit as st
from sqlalchemy.exc import IntegrityError

from procure.service.workspace import ROLES, AccessDenied
from ui.common import current_user, plain, workspace
from ui.consultation_admin import consultation_actions, tender_label

_FLASH = "administration_flash"  # (kind, text) of the last action, shown once after the page is redrawn
_TEMPORARY = "administration_temporary"  # (email, password): shown once, then forgotten


def _done(kind: str, text: str) -> None:
    st.session_state[_FLASH] = (kind, text)
    st.rerun()


user = current_user()
ws = workspace()
st.title("Utilisateurs")
try:
    accounts = ws.accounts_overview(user)
except AccessDenied as denied:
    st.error(str(denied))
    st.stop()

flash = st.session_state.pop(_FLASH, None)
if flash:
    getattr(st, flash[0])(flash[1])
temporary = st.session_state.pop(_TEMPORARY, None)  # popped: a reload or the next click no longer shows it
if temporary:
    email, password = temporary
    st.success(f"Mot de passe provisoire de {plain(email)} (affiché une seule fois : notez-le ou copiez-le maintenant) :")
    st.code(password, language=None)
    st.caption("Transmettez-le à la personne par un moyen sûr (de vive voix, par téléphone). À sa prochaine connexion, "
               "elle devra choisir son propre mot de passe avant toute autre action ; ses sessions ouvertes sont closes.")

st.dataframe(pd.DataFrame([{"E-mail": a.email, "Nom": a.display_name, "Rôle": ROLES[a.role],
                            "Organisation": a.organisation, "État": "actif" if a.active else "désactivé",
                            "Mot de passe": "provisoire, à changer" if a.must_change_password else "",
                            "Démonstration": "oui" if a.demo else ""} for a in accounts]),
             hide_index=True, width="stretch")

# ---------------------------------------------------------------- one account
st.header("Gérer un compte")
by_id = {a.id: a for a in accounts}
chosen_id = st.selectbox("Compte", list(by_id), key="compte-choisi",
                         format_func=lambda i: f"{by_id[i].email} — {by_id[i].display_name}"
                         + ("" if by_id[i].active else " (désactivé)"))
account = by_id[chosen_id]
own = account.id == user.id
state, role, password = st.columns(3)
try:
    with state:
        st.subheader("Accès")
        if own:
            st.caption("Votre propre compte ne peut pas être désactivé ici : un autre administrateur peut le faire.")
        elif account.active:
            st.caption("Le compte ne pourra plus se connecter ; ses sessions ouvertes se ferment au prochain clic.")
            if st.button("Désactiver le compte", icon=":material/person_off:"):
                ws.set_active(user, account.id, False)
                _done("success", f"Compte {plain(account.email)} désactivé : il ne peut plus se connecter.")
        else:
            st.caption("Le compte pourra se connecter de nouveau, avec son mot de passe.")
            if st.button("Réactiver le compte", icon=":material/person_check:"):
                ws.set_active(user, account.id, True)
                _done("success", f"Compte {plain(account.email)} réactivé.")
    with role:
        st.subheader("Rôle")
        roles = list(ROLES)
        new_role = st.selectbox("Nouveau rôle", roles, index=roles.index(account.role), format_func=ROLES.get,
                                key=f"role-{account.id}", disabled=own)
        if own:
            st.caption("Vous ne pouvez pas retirer votre propre rôle d'administrateur.")
        elif st.button("Changer le rôle", icon=":material/manage_accounts:", disabled=new_role == account.role):
            ws.set_role(user, account.id, new_role)
            _done("success", f"Rôle de {plain(account.email)} : {ROLES[new_role]}. Ses sessions ouvertes sont closes ; "
                             "le nouveau rôle vaut dès sa prochaine connexion.")
    with password:
        st.subheader("Mot de passe")
        st.caption("Un mot de passe provisoire est créé et affiché une seule fois ; la personne devra le changer à sa "
                   "prochaine connexion. Le blocage après trop d'échecs est levé.")
        if st.button("Réinitialiser le mot de passe", icon=":material/lock_reset:"):
            st.session_state[_TEMPORARY] = (account.email, ws.reset_password(user, account.id))
            st.rerun()
except ValueError as problem:
    st.error(f"Action refusée : {problem}.")
except AccessDenied as refused:
    st.error(str(refused))

# ---------------------------------------------------------------- new account
st.header("Créer un compte")
organisations = dict(ws.organisations())
with st.form("nouvel-utilisateur", clear_on_submit=True):
    email = st.text_input("Adresse e-mail")
    name = st.text_input("Nom affiché")
    new_role = st.selectbox("Rôle", list(ROLES), format_func=ROLES.get)
    organisation = st.selectbox("Organisation", list(organisations), format_func=organisations.get)
    new_organisation = st.text_input("… ou nouvelle organisation")
    initial = st.text_input("Mot de passe initial (8 caractères au moins)", type="password")
    submitted = st.form_submit_button("Créer", type="primary")
if submitted:
    try:
        organisation_id = (ws.create_organisation(new_organisation, actor=user) if new_organisation.strip()
                           else organisation)
        ws.create_user(email, initial, name or email, new_role, organisation_id, actor=user)
        _done("success", f"Compte {plain(email)} créé.")
    except ValueError as problem:
        st.error(f"Compte non créé : {problem}.")
    except IntegrityError:
        st.error("Compte non créé : cette adresse e-mail existe déjà.")

# ---------------------------------------------------------------- demonstration accounts
demo = [a for a in accounts if a.demo]
st.header("Comptes de démonstration")
if not demo:
    st.write("Aucun compte de démonstration.")
else:
    st.write("Avant la mise en service, retirez les comptes de démonstration (leurs mots de passe ont été affichés dans "
             "le terminal du serveur) : " + ", ".join(plain(a.email) for a in demo) + ".")
    st.caption("Un compte qui a déposé une consultation ou pris une décision est désactivé plutôt qu'effacé, pour que "
               "l'historique garde son auteur ; votre propre compte est conservé. L'organisation fictive de "
               "démonstration est retirée quand plus rien ne s'y rattache.")
    confirmed = st.checkbox("Je confirme le retrait des comptes de démonstration", key="confirmer-demo")
    if st.button("Retirer les comptes de démonstration", disabled=not confirmed, icon=":material/group_remove:"):
        done = ws.remove_demo_accounts(user)
        parts = []
        if done.deleted:
            parts.append(f"{len(done.deleted)} compte(s) retiré(s) ({', '.join(done.deleted)})")
        if done.deactivated:
            parts.append(f"{len(done.deactivated)} désactivé(s), car cité(s) dans l'historique "
                         f"({', '.join(done.deactivated)})")
        if done.kept:
            parts.append(f"votre compte {', '.join(done.kept)} conservé : créez votre propre compte administrateur, "
                         "connectez-vous avec, puis retirez-le")
        if done.organisations:
            parts.append(f"organisation(s) retirée(s) : {', '.join(done.organisations)}")
        _done("success", plain("Comptes de démonstration : " + " ; ".join(parts) + "."))

# ---------------------------------------------------------------- consultations (archive, delete)
st.header("Consultations")
st.write("Les consultations d'essai ou en échec peuvent être archivées (retirées de la liste, du guide et du tableau "
         "de bord, restaurables) ou supprimées (pièces et analyse effacées, décisions conservées dans l'historique).")
tenders = ws.visible_tenders_with_archived(user)
if not tenders:
    st.write("Aucune consultation.")
else:
    labels = {t["id"]: tender_label(t) for t in tenders}
    tender_id = st.selectbox("Consultation", list(labels), format_func=labels.get, key="consultation-admin")
    consultation_actions(ws, user, tender_id)
