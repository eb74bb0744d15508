"""Users and organisations: Argon2 password hashes, a login throttle, and sessions re-checked at every call."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import case, delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from procure import settings
from procure.db.models import LoginAttempts, Organisation, User
from procure.db.text import column_text
from procure.service.access import (
    ADMIN_ONLY_FR,
    AccessDenied,
    Actor,
    SystemActor,
    UserInfo,
    can_manage_accounts,
    require,
)
from procure.service.schema import Role

MIN_PASSWORD_LENGTH = 8
_hasher = PasswordHasher()


class LoginThrottled(AccessDenied):
    """Too many failed log-ins for this account or this address: refused even with the right password."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def now() -> datetime:
    return datetime.now(UTC)


def info(session: Session, user: User) -> UserInfo:
    organisation = session.get(Organisation, user.organisation_id)
    return UserInfo(user.id, user.email, user.display_name, user.role, user.organisation_id, organisation.name)


def resolve(session: Session, actor: Actor | None) -> Actor:
    """The actor as the database knows it now: a deactivated account or a changed role takes effect at once."""
    if actor is None:
        raise AccessDenied("Opération refusée : utilisateur non précisé.")
    if isinstance(actor, SystemActor):
        return actor
    user = session.get(User, actor.id)
    if user is None or not user.active:
        raise AccessDenied("Ce compte a été désactivé : reconnectez-vous ou contactez un administrateur.")
    return info(session, user)


def _normalise_email(email: str) -> str:
    return (email or "").strip().lower()


class Accounts:
    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def create_organisation(self, name: str, demo: bool = False, *, actor: Actor | None = None) -> int:
        name = column_text(Organisation, "name", (name or "").strip())  # as stored, so the look-up finds it
        if not name:
            raise ValueError("le nom de l'organisation est vide")
        with self.sessions.begin() as session:
            require(can_manage_accounts(resolve(session, actor)), ADMIN_ONLY_FR)
            existing = session.scalar(select(Organisation).where(Organisation.name == name))
            if existing:
                return existing.id
            organisation = Organisation(name=name, demo=demo)
            session.add(organisation)
            session.flush()
            return organisation.id

    def create_user(
        self,
        email: str,
        password: str,
        display_name: str,
        role: str,
        organisation_id: int,
        *,
        actor: Actor | None = None,
    ) -> int:
        if role not in Role._value2member_map_:
            raise ValueError(f"rôle inconnu : {role}")
        _check_password(password)
        email = _normalise_email(email)
        if "@" not in email or column_text(User, "email", email) != email:
            raise ValueError("adresse e-mail invalide")
        with self.sessions.begin() as session:
            require(can_manage_accounts(resolve(session, actor)), ADMIN_ONLY_FR)
            if session.get(Organisation, organisation_id) is None:
                raise ValueError("organisation inconnue")
            if session.scalar(select(User.id).where(User.email == email)) is not None:
                raise ValueError("cette adresse e-mail a déjà un compte")
            user = User(
                email=email,
                display_name=display_name,
                password_hash=hash_password(password),
                role=role,
                organisation_id=organisation_id,
            )
            session.add(user)
            session.flush()
            return user.id

    def set_password(self, email: str, password: str, *, actor: Actor | None = None) -> None:
        """An administrator (or the operator) resets a password; the throttle of the account is cleared."""
        _check_password(password)
        email = _normalise_email(email)
        with self.sessions.begin() as session:
            require(can_manage_accounts(resolve(session, actor)), ADMIN_ONLY_FR)
            user = session.scalar(select(User).where(User.email == email))
            if user is None:
                raise ValueError(f"aucun compte pour {email}")
            user.password_hash = hash_password(password)
            user.token_version += 1  # every open session ends
            clear_attempts(session, email)

    def set_active(self, actor: Actor, user_id: int, active: bool) -> None:
        with self.sessions.begin() as session:
            actor = resolve(session, actor)
            require(can_manage_accounts(actor), ADMIN_ONLY_FR)
            if actor.id == user_id and not active:
                raise ValueError("un administrateur ne peut pas désactiver son propre compte")
            user = _user(session, user_id)
            if user.active != active:  # a reactivated account never revives the cookies of before
                user.active = active
                user.token_version += 1

    def set_role(self, actor: Actor, user_id: int, role: str) -> None:
        if role not in Role._value2member_map_:
            raise ValueError(f"rôle inconnu : {role}")
        with self.sessions.begin() as session:
            actor = resolve(session, actor)
            require(can_manage_accounts(actor), ADMIN_ONLY_FR)
            _user(session, user_id).role = role

    def authenticate(self, email: str, password: str, address: str | None = None) -> UserInfo | None:
        """The user, or None for a wrong address or password; LoginThrottled after too many failures.

        The attempt is counted (one atomic upsert, committed) before the password is checked: of any number of
        simultaneous attempts, at most the limit are checked, the others are refused.
        """
        email = _normalise_email(email)
        keys = _throttle_keys(email, address)
        with self.sessions.begin() as session:
            _count_attempt(session, keys)
        with self.sessions.begin() as session:
            user = session.scalar(select(User).where(User.email == email, User.active.is_(True)))
            if user is None:
                _hasher.hash(password)  # same cost whether or not the address exists
            elif _verify(user.password_hash, password):
                if _hasher.check_needs_rehash(user.password_hash):
                    user.password_hash = hash_password(password)
                _forgive_attempt(session, keys)
                return info(session, user)
            return None

    def refresh(self, actor: UserInfo) -> UserInfo | None:
        """The signed-in user as stored now, or None when the account was deactivated (the UI signs out)."""
        with self.sessions() as session:
            try:
                return resolve(session, actor)
            except AccessDenied:
                return None

    def users(self, actor: Actor) -> list[UserInfo]:
        with self.sessions() as session:
            require(can_manage_accounts(resolve(session, actor)), ADMIN_ONLY_FR)
            return [info(session, u) for u in session.scalars(select(User).order_by(User.email))]

    def organisations(self) -> list[tuple[int, str]]:
        with self.sessions() as session:
            return [(o.id, o.name) for o in session.scalars(select(Organisation).order_by(Organisation.name))]


def bump_token_version(session: Session, user_id: int) -> None:
    """Refuse every session token issued so far to this user (atomic: concurrent sign-outs all count)."""
    session.execute(update(User).where(User.id == user_id).values(token_version=User.token_version + 1))


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValueError(f"le mot de passe doit comporter au moins {MIN_PASSWORD_LENGTH} caractères")


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise ValueError("compte introuvable")
    return user


LOCAL_PEER = "locale"  # a peer the server cannot name (loopback): still one address for the throttle


def client_address(peer: str | None, headers: Mapping[str, str] | None) -> str:
    """The client's address for the throttle: from the trusted proxy's header when one is configured.

    Only the last entry of a list header counts: it is the one the trusted proxy appended; anything before it
    was sent by the client and proves nothing. Without a configured header, client headers are ignored.
    """
    header = settings.get("PROCURE_TRUSTED_PROXY_HEADER")
    if header and headers:
        value = next((v for k, v in headers.items() if k.lower() == header.lower()), None)
        last = (value or "").split(",")[-1].strip()
        if last:
            return last[:64]
    return (peer or "").strip()[:64] or LOCAL_PEER


def _throttle_keys(email: str, address: str | None) -> dict[str, int]:
    """Counter key -> its limit: the account (a digest, whatever the length of the e-mail) and the address."""
    keys = {"compte:" + hashlib.sha256(email.encode()).hexdigest(): settings.get_int("PROCURE_LOGIN_MAX_FAILURES")}
    if address:
        keys["adresse:" + address[:64]] = settings.get_int("PROCURE_LOGIN_MAX_FAILURES_PER_ADDRESS")
    return keys


def _count_attempt(session: Session, keys: dict[str, int]) -> None:
    """Add the attempt to each counter in one atomic statement; LoginThrottled beyond a limit."""
    minutes = settings.get_int("PROCURE_LOGIN_LOCK_MINUTES")
    moment = now()
    expired = LoginAttempts.window_start < moment - timedelta(minutes=minutes)
    insert = _dialect_insert(session)
    counts = {}
    for key in keys:
        statement = insert(LoginAttempts).values(key=key, attempts=1, window_start=moment)
        statement = statement.on_conflict_do_update(
            index_elements=[LoginAttempts.key],
            set_={  # a window over: start a new one with this attempt
                "attempts": case((expired, 1), else_=LoginAttempts.attempts + 1),
                "window_start": case((expired, moment), else_=LoginAttempts.window_start),
            },
        )
        counts[key] = session.execute(statement.returning(LoginAttempts.attempts)).scalar_one()
    if any(counts[key] > limit for key, limit in keys.items()):
        raise LoginThrottled(
            f"Trop de tentatives de connexion échouées : réessayez dans {minutes} minutes "
            "ou demandez à un administrateur de renouveler votre mot de passe."
        )


def _forgive_attempt(session: Session, keys: dict[str, int]) -> None:
    """A successful log-in clears its account's counter and gives back its attempt to the address."""
    account, *addresses = keys
    session.execute(delete(LoginAttempts).where(LoginAttempts.key == account))
    for key in addresses:
        session.execute(
            update(LoginAttempts)
            .where(LoginAttempts.key == key, LoginAttempts.attempts > 0)
            .values(attempts=LoginAttempts.attempts - 1)
        )


def _dialect_insert(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def clear_attempts(session: Session, email: str) -> None:
    """A new password lifts the account's lock."""
    key = next(iter(_throttle_keys(email, None)))
    session.execute(delete(LoginAttempts).where(LoginAttempts.key == key))
