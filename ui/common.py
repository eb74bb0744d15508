"""Shared helpers of the Streamlit pages: cached resources and the signed-in user."""
from __future__ import annotations

import streamlit as st

from procure.db import database_url, get_engine, session_factory
from procure.directory.suppliers import SupplierRepository
from procure.service.workspace import ROLES, UserInfo, Workspace


@st.cache_resource(show_spinner=False)
def _workspace(url: str) -> Workspace:
    return Workspace(session_factory(get_engine(url)))


def workspace() -> Workspace:
    # Keyed by URL so that a changed PROCURE_DATABASE_URL (or tests) never reuse another database.
    return _workspace(database_url())


def suppliers() -> SupplierRepository:
    return SupplierRepository(workspace().sessions)


def current_user() -> UserInfo:
    user = st.session_state.get("user")
    if user is None:
        st.warning("Veuillez vous connecter.")
        st.stop()
    return user


def role_label(user: UserInfo) -> str:
    return f"{user.display_name} — {ROLES[user.role]} ({user.organisation})"


def euros(value: float | None) -> str:
    if value is None:
        return "—"
    from decimal import Decimal

    from procure.model import format_euros

    return format_euros(Decimal(str(value))) + " HT"
