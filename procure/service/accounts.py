"""Users and organisations: Argon2 password hashes, a login throttle, and sessions re-checked at every call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from procure import settings
from procure.db.models import LoginFailure, Organisation, User
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
        name = (name or "").strip()
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
        if "@" not in email:
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
            session.execute(delete(LoginFailure).where(LoginFailure.email == email))

    def set_active(self, actor: Actor, user_id: int, active: bool) -> None:
        with self.sessions.begin() as session:
            actor = resolve(session, actor)
            require(can_manage_accounts(actor), ADMIN_ONLY_FR)
            if actor.id == user_id and not active:
                raise ValueError("un administrateur ne peut pas désactiver son propre compte")
            _user(session, user_id).active = active

    def set_role(self, actor: Actor, user_id: int, role: str) -> None:
        if role not in Role._value2member_map_:
            raise ValueError(f"rôle inconnu : {role}")
        with self.sessions.begin() as session:
            actor = resolve(session, actor)
            require(can_manage_accounts(actor), ADMIN_ONLY_FR)
            _user(session, user_id).role = role

    def authenticate(self, email: str, password: str, address: str | None = None) -> UserInfo | None:
        """The user, or None for a wrong address or password; LoginThrottled after too many failures."""
        email = _normalise_email(email)
        with self.sessions.begin() as session:
            _check_throttle(session, email, address)
        with self.sessions.begin() as session:
            user = session.scalar(select(User).where(User.email == email, User.active.is_(True)))
            if user is None:
                _hasher.hash(password)  # same cost whether or not the address exists
            elif _verify(user.password_hash, password):
                if _hasher.check_needs_rehash(user.password_hash):
                    user.password_hash = hash_password(password)
                session.execute(delete(LoginFailure).where(LoginFailure.email == email))
                return info(session, user)
            session.add(LoginFailure(email=email[:200], address=(address or "")[:64] or None, at=now()))
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


def _check_throttle(session: Session, email: str, address: str | None) -> None:
    minutes = settings.get_int("PROCURE_LOGIN_LOCK_MINUTES")
    since = now() - timedelta(minutes=minutes)
    slid = delete(LoginFailure).where(LoginFailure.at < since).execution_options(synchronize_session=False)
    session.execute(slid)  # the window slides
    recent = select(func.count(LoginFailure.id)).where(LoginFailure.at >= since)
    by_account = session.scalar(recent.where(LoginFailure.email == email))
    by_address = session.scalar(recent.where(LoginFailure.address == address)) if address else 0
    if by_account >= settings.get_int("PROCURE_LOGIN_MAX_FAILURES") or by_address >= settings.get_int(
        "PROCURE_LOGIN_MAX_FAILURES_PER_ADDRESS"
    ):
        raise LoginThrottled(
            f"Trop de tentatives de connexion échouées : réessayez dans {minutes} minutes "
            "ou demandez à un administrateur de renouveler votre mot de passe."
        )
