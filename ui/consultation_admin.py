"""Archive, restore or delete a consultation: the buttons shown to its buyer and to administrators.

Called from the consultation page (ui/consultations.py) and from the administration page. Archive keeps
everything and takes the consultation out of the list, the guide and the dashboard; delete removes its documents
and its analysis for good, and keeps the decisions in the audit trail (procure.service.tenders).
"""
from __future__ import annotations

import streamlit as st

from procure.service.workspace import AccessDenied, ProcureError, UserInfo, Workspace
from ui.common import local_datetime, plain

_FLASH = "consultation_admin_flash"
SHOW_ARCHIVED_FR = "Afficher les consultations archivées"


def tender_list(ws: Workspace, user: UserInfo, key: str = "show-archived") -> list[dict]:
    """The consultations to choose from: archived ones only when the user asks for them (a toggle)."""
    if st.toggle(SHOW_ARCHIVED_FR, key=key):
        return ws.visible_tenders_with_archived(user)
    return ws.visible_tenders(user)


def tender_label(tender: dict) -> str:
    return (f"{tender['title']} — {tender['organisation']}" + (" (partagée)" if tender["shared"] else "")
            + (" (archivée)" if tender.get("archived_at") else ""))


def show_flash() -> None:
    """The result of the last archive, restore or deletion (the page was redrawn since)."""
    message = st.session_state.pop(_FLASH, None)
    if message:
        st.success(message)


def _done(message: str, forget: bool = False) -> None:
    st.session_state[_FLASH] = message
    if forget:
        st.session_state.pop("tender_id", None)
    st.rerun()


def consultation_actions(ws: Workspace, user: UserInfo, tender_id: int) -> None:
    """Archive or restore, and delete (after a confirmation); nothing is drawn for who may not."""
    show_flash()
    try:
        state = ws.archive_state(user, tender_id)
    except AccessDenied:
        return
    if not state["can_archive"]:
        return
    archived_at = state["archived_at"]
    with st.expander("Archiver ou supprimer la consultation", icon=":material/inventory_2:", expanded=False):
        try:
            if archived_at is not None:
                st.info(f"Consultation archivée le {local_datetime(archived_at)} : elle n'apparaît plus dans la liste "
                        "des consultations, le guide du territoire ni le tableau de bord.")
                if st.button("Restaurer la consultation", key=f"restore-{tender_id}", icon=":material/unarchive:"):
                    ws.restore_tender(user, tender_id)
                    _done("Consultation restaurée : elle revient dans la liste, le guide et le tableau de bord.")
            else:
                st.write("Archiver retire la consultation de la liste, du guide du territoire et du tableau de bord, "
                         "sans rien effacer : vous pourrez la restaurer.")
                if st.button("Archiver la consultation", key=f"archive-{tender_id}", icon=":material/archive:"):
                    ws.archive_tender(user, tender_id)
                    _done("Consultation archivée. Pour la retrouver : « " + SHOW_ARCHIVED_FR + " ».", forget=True)
            st.divider()
            st.write("Supprimer efface définitivement les pièces déposées et l'analyse. Les décisions déjà prises "
                     "(acceptations, rejets, commentaires) restent dans l'historique, avec leur auteur et leur date.")
            confirmed = st.checkbox("Je confirme la suppression définitive des pièces et de l'analyse",
                                    key=f"confirm-delete-{tender_id}")
            if st.button("Supprimer définitivement", key=f"delete-{tender_id}", type="primary", disabled=not confirmed,
                         icon=":material/delete_forever:"):
                title = ws.delete_tender(user, tender_id)
                _done(f"Consultation « {plain(title)} » supprimée : pièces et analyse effacées, décisions conservées "
                      "dans l'historique.", forget=True)
        except (AccessDenied, ProcureError) as refused:
            st.error(getattr(refused, "message_fr", None) or str(refused))
