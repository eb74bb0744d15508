"""Sign-in that survives a reload: a signed, expiring cookie written by a maintained component.

The server reads the cookie from the page request (st.context.cookies), so a reload shows the page at once;
writing and deleting go through extra-streamlit-components' CookieManager, which runs in the browser.
That component writes the cookie from JavaScript, so it cannot be HttpOnly: it is SameSite=Strict, Secure over
HTTPS, and the server revokes it (token version) at sign-out, so a copied cookie dies with the session.
"""
from __future__ import annotations

from datetime import datetime

import streamlit as st

from procure.service.session_token import (
    COOKIE_NAME,
    SESSION_LIFETIME,
    issue_token,
    revoke_tokens,
    user_from_token,
)
from procure.service.workspace import UserInfo
from ui.common import workspace

_TOKEN = "session_token"        # token issued in this browser session, still to be written as a cookie
_SIGNED_OUT = "signed_out"      # the cookie of the page request must not sign the user back in
_ACTIVE = "active_token"        # the token this session runs on, checked again at every run


def restore_user() -> UserInfo | None:
    """The signed-in user, from this session or from a valid cookie sent with the page request.

    The session's token is checked again at every run: signing out in another browser, a password change or a
    deactivation ends this session too, at the next click.
    """
    if st.session_state.get(_SIGNED_OUT):
        return None
    if st.session_state.get("user") is not None and not st.session_state.get(_ACTIVE):
        # Signed in by the server itself (tests, tools): no token to check, the account is re-read.
        fresh = workspace().refresh(st.session_state["user"])
        if fresh is None:
            _forget()
        else:
            st.session_state["user"] = fresh
        return fresh
    token = st.session_state.get(_ACTIVE) or st.context.cookies.get(COOKIE_NAME)
    user = user_from_token(workspace().sessions, token) if token else None
    if user is None:
        if st.session_state.get("user") is not None:
            _forget()
        return None
    st.session_state["user"], st.session_state[_ACTIVE] = user, token
    return user


def client_address() -> str:
    """The address the login throttle counts against (PROCURE_TRUSTED_PROXY_HEADER when a proxy is trusted)."""
    from procure.service.accounts import client_address as from_request

    peer = st.context.ip_address
    return from_request(peer if isinstance(peer, str) else None, dict(st.context.headers or {}))


def sign_in(user: UserInfo) -> None:
    st.session_state.pop(_SIGNED_OUT, None)
    token = issue_token(workspace().sessions, user)
    st.session_state["user"], st.session_state[_TOKEN], st.session_state[_ACTIVE] = user, token, token


def sign_out() -> None:
    """« Se déconnecter »: the server refuses every token of the user from now on, then the cookie is deleted."""
    user = st.session_state.get("user")
    if user is not None:
        revoke_tokens(workspace().sessions, user.id)
    _forget()


def _forget() -> None:
    st.session_state.clear()
    st.session_state[_SIGNED_OUT] = True


def write_cookie() -> None:
    """Render, on every run, the component that writes (or deletes) the cookie in the browser.

    Same key and arguments at each run, so the browser runs it once; it must stay rendered until it has run,
    which is why it is drawn on every page rather than only right after the sign-in.
    """
    token = st.session_state.get(_TOKEN)
    signed_out = st.session_state.get(_SIGNED_OUT)
    if not token and not signed_out:
        return
    import extra_streamlit_components as stx

    with st.sidebar:
        manager = stx.CookieManager(key="procure-cookies")
        if token:
            url = st.context.url if isinstance(st.context.url, str) else ""
            manager.set(COOKIE_NAME, token, key="procure-cookie-set", expires_at=datetime.now() + SESSION_LIFETIME,
                        same_site="strict", secure=url.startswith("https:") or None)
        elif COOKIE_NAME in (manager.cookies or {}) or COOKIE_NAME in st.context.cookies:
            try:
                manager.delete(COOKIE_NAME, key="procure-cookie-delete")
            except KeyError:  # the component forgets a cookie it has not listed yet; the browser deletes it anyway
                pass
