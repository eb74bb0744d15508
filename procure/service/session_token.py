"""Signed, expiring session tokens so that a reload (F5) keeps the user signed in.

The browser keeps the token in a cookie; the server trusts it only if the signature (itsdangerous, HMAC with
the instance's secret key) and the age check pass, and if the account is still active with the same password
(a password change or a deactivation ends every open session).
"""
from __future__ import annotations

import hashlib
import os
import secrets
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from procure import settings
from procure.db.models import Organisation, User
from procure.service.workspace import UserInfo

COOKIE_NAME = "procure_session"
# A working day in a town hall, with margin: the buyer signs in once in the morning.
SESSION_LIFETIME = timedelta(hours=10)
_SALT = "procure-session-v1"


def secret_key() -> str:
    """The instance's signing key: kept in PROCURE_HOME (created once, readable by its owner only)."""
    path = settings.data_home() / "session-secret"
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key(), salt=_SALT)


def _password_stamp(password_hash: str) -> str:
    # Never the hash itself in a cookie: a short digest is enough to notice that it changed.
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def issue_token(sessions: sessionmaker[Session], user: UserInfo) -> str:
    with sessions() as session:
        row = session.get(User, user.id)
        return _serializer().dumps({"uid": row.id, "pw": _password_stamp(row.password_hash)})


def user_from_token(sessions: sessionmaker[Session], token: str | None) -> UserInfo | None:
    """The signed-in user of a valid, unexpired token; None otherwise (never raises on a bad cookie)."""
    if not token:
        return None
    try:
        payload = _serializer().loads(token, max_age=int(SESSION_LIFETIME.total_seconds()))
    except BadSignature:  # also covers SignatureExpired
        return None
    if not isinstance(payload, dict):
        return None
    with sessions() as session:
        row = session.scalar(select(User).where(User.id == payload.get("uid"), User.active.is_(True)))
        if row is None or payload.get("pw") != _password_stamp(row.password_hash):
            return None
        organisation = session.get(Organisation, row.organisation_id)
        return UserInfo(row.id, row.email, row.display_name, row.role, row.organisation_id, organisation.name)
