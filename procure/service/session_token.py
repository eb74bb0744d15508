"""Signed, expiring session tokens so that a reload (F5) keeps the user signed in.

The browser keeps the token in a cookie; the server trusts it only if the signature (itsdangerous, HMAC with
the instance's secret key) and the age check pass, and if the account is still active with the same password
(a password change or a deactivation ends every open session), and if its token version is still the
account's: signing out, a password change or reset, a role change, a deactivation or a reactivation bump it,
so every older token is refused by the server even if a copy of the cookie survives. A token of an account on a
temporary password gives a user marked must_change_password: the app offers nothing but the change.

Nothing of a session lives in one process: the token carries the user, the database says whether it still
holds, so any app server that has the same signing key accepts it (several servers behind a proxy, a restarted
one). The key is PROCURE_SESSION_SECRET when set (the same value for every server), else a file written once in
PROCURE_HOME (enough for one machine, or for servers sharing that folder).
"""
from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from procure import settings
from procure.db.models import User
from procure.errors import ProcureError
from procure.service.accounts import bump_token_version, info
from procure.service.workspace import UserInfo

COOKIE_NAME = "procure_session"
# A working day in a town hall, with margin: the buyer signs in once in the morning.
SESSION_LIFETIME = timedelta(hours=10)
_SALT = "procure-session-v1"
_SECRET_FILE = "session-secret"
_SECRET_MIN_LENGTH = 32


class SessionSecretUnavailable(ProcureError):
    """The signing key cannot be read or written: no session can be trusted until an operator fixes it."""


def secret_key() -> str:
    """The instance's signing key: PROCURE_SESSION_SECRET, else a file kept in PROCURE_HOME (owner only).

    The file is written atomically (a temporary file, then a link that fails if another process was first): a full disk or
    a crash leaves no empty key behind. A key found empty or too short (an older crash) is replaced, never used.
    """
    configured = (settings.raw("PROCURE_SESSION_SECRET") or "").strip()
    if configured:
        if len(configured) < _SECRET_MIN_LENGTH:  # a short key can be guessed offline from one cookie
            raise SessionSecretUnavailable(
                f"Le secret de session donné par PROCURE_SESSION_SECRET est trop court ({len(configured)} caractères, "
                f"{_SECRET_MIN_LENGTH} au moins) : l'administrateur doit en poser un plus long, p. ex. la sortie de "
                "« python -c 'import secrets; print(secrets.token_hex(32))' »."
            )
        return configured
    path = settings.data_home() / _SECRET_FILE
    try:
        key = _read_secret(path)
        if key is None:
            _write_secret(path, replace=path.exists())
            key = _read_secret(path)
    except OSError as error:
        raise SessionSecretUnavailable(
            f"Le secret de session ({path}) ne peut être lu ni créé ({error.strerror or error}) : "
            "l'administrateur du serveur doit le rendre lisible par procure ou le supprimer."
        ) from error
    if key is None:
        raise SessionSecretUnavailable(f"Le secret de session ({path}) est vide : l'administrateur doit le supprimer.")
    return key


def _read_secret(path) -> str | None:
    if not path.exists():
        return None
    if path.stat().st_mode & 0o077:  # readable by others: the key must stay the server user's alone
        os.chmod(path, 0o600)
    key = path.read_text().strip()
    return key if len(key) >= _SECRET_MIN_LENGTH else None


def _write_secret(path, replace: bool) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".session-secret-")
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)  # fails when another process wrote its key first: theirs is kept
            except FileExistsError:
                pass
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key(), salt=_SALT)


def _password_stamp(password_hash: str) -> str:
    # Never the hash itself in a cookie: a short digest is enough to notice that it changed.
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def issue_token(sessions: sessionmaker[Session], user: UserInfo) -> str:
    with sessions() as session:
        row = session.get(User, user.id)
        return _serializer().dumps(
            {"uid": row.id, "pw": _password_stamp(row.password_hash), "tv": row.token_version}
        )


def revoke_tokens(sessions: sessionmaker[Session], user_id: int) -> None:
    """« Se déconnecter »: every token issued so far for this user is refused from now on."""
    with sessions.begin() as session:
        bump_token_version(session, user_id)


def user_from_token(sessions: sessionmaker[Session], token: str | None) -> UserInfo | None:
    """The signed-in user of a valid, unexpired, unrevoked token; None otherwise (never raises on a bad cookie).

    SessionSecretUnavailable when the signing key cannot be read: the app shows its French error page.
    """
    if not token or not isinstance(token, str):
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
        if payload.get("tv") != row.token_version:  # signed out, password changed or reset, role changed, (de)activated
            return None
        return info(session, row)
