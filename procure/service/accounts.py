"""Users and organisations: Argon2 password hashes, a login throttle, and sessions re-checked at every call.

Administrators deactivate and reactivate accounts, change roles, reset passwords (a temporary password shown
once, to be changed at the next sign-in) and remove the demonstration accounts; each of these ends the
account's open sessions (token version) and is written to the "procure.admin" log.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from procure import settings
from procure.db.models import (
    DocumentRow,
    LoginAttempts,
    MatchRow,
    Organisation,
    ReviewEvent,
    SuggestionRow,
    TenderRow,
    User,
)
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
log = logging.getLogger("procure.admin")
# The demonstration accounts (procure demo-setup) are the only ones at this domain, reserved for them.
DEMO_EMAIL_DOMAIN = "@demo.procure"
# Temporary passwords are read aloud or copied: no look-alike characters (0/O, 1/l/I).
_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PASSWORD_CHANGE_REQUIRED_FR = ("Choisissez d'abord un nouveau mot de passe : votre mot de passe provisoire ne "
                               "donne accès qu'à ce changement.")


class LoginThrottled(AccessDenied):
    """Too many failed log-ins for this account or this address: refused even with the right password."""


class PasswordChangeRequired(AccessDenied):
    """Signed in with a temporary password: nothing but choosing a new one is allowed."""


@dataclass(frozen=True)
class Account:
    """One account as the administration page lists it."""

    id: int
    email: str
    display_name: str
    role: str
    organisation_id: int
    organisation: str
    active: bool
    must_change_password: bool
    demo: bool


@dataclass
class DemoRemoval:
    """What « retirer les comptes de démonstration » did."""

    deleted: list[str] = field(default_factory=list)  # accounts with no trace: removed
    deactivated: list[str] = field(default_factory=list)  # accounts named in the audit trail: kept, deactivated
    kept: list[str] = field(default_factory=list)  # the acting administrator's own account
    organisations: list[str] = field(default_factory=list)  # demonstration organisations left empty: removed


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def now() -> datetime:
    return datetime.now(UTC)


def info(session: Session, user: User) -> UserInfo:
    organisation = session.get(Organisation, user.organisation_id)
    return UserInfo(user.id, user.email, user.display_name, user.role, user.organisation_id, organisation.name,
                    bool(user.must_change_password))


def resolve(session: Session, actor: Actor | None) -> Actor:
    """The actor as the database knows it now: a deactivated account or a changed role takes effect at once.

    PasswordChangeRequired while the account still runs on a temporary password: every service call refuses it,
    not only the pages the UI offers.
    """
    if actor is None:
        raise AccessDenied("Opération refusée : utilisateur non précisé.")
    if isinstance(actor, SystemActor):
        return actor
    user = session.get(User, actor.id)
    if user is None or not user.active:
        raise AccessDenied("Ce compte a été désactivé : reconnectez-vous ou contactez un administrateur.")
    if user.must_change_password:
        raise PasswordChangeRequired(PASSWORD_CHANGE_REQUIRED_FR)
    return info(session, user)


def _actor_name(actor: Actor) -> str:
    return f"{getattr(actor, 'email', None) or getattr(actor, 'display_name', '?')} (id {actor.id})"


def temporary_password() -> str:
    """Twelve characters from `secrets`, in three groups of four (« k7Pm-x2Rq-9Tzw »): easy to read out."""
    return "-".join("".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(4)) for _ in range(3))


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
        """Deactivate (the account can no longer sign in, its open sessions end at the next click) or reactivate."""
        with self.sessions.begin() as session:
            actor = resolve(session, actor)
            require(can_manage_accounts(actor), ADMIN_ONLY_FR)
            if actor.id == user_id and not active:
                raise ValueError("un administrateur ne peut pas désactiver son propre compte")
            user = _user(session, user_id)
            if user.active != active:  # a reactivated account never revives the cookies of before
                user.active = active
                user.token_version += 1
                log.info("account %s %s by %s", user.email, "reactivated" if active else "deactivated",
                         _actor_name(actor))

    def set_role(self, actor: Actor, user_id: int, role: str) -> None:
        """A new role; the account's open sessions end (it signs in again with its new rights)."""
        if role not in Role._value2member_map_:
            raise ValueError(f"rôle inconnu : {role}")
        with self.sessions.begin() as session:
            actor = resolve(session, actor)
            require(can_manage_accounts(actor), ADMIN_ONLY_FR)
            if actor.id == user_id and role != Role.ADMIN:
                raise ValueError("un administrateur ne peut pas retirer son propre rôle d'administrateur")
            user = _user(session, user_id)
            if user.role != role:
                log.info("account %s: role %s -> %s by %s", user.email, user.role, role, _actor_name(actor))
                user.role = role
                user.token_version += 1

    def reset_password(self, actor: Actor, user_id: int) -> str:
        """A temporary password for the account, to be shown once to the administrator and never stored in clear.

        The account must choose a new password at its next sign-in; its open sessions end and its sign-in lock
        (too many failures) is lifted.
        """
        password = temporary_password()
        with self.sessions.begin() as session:
            actor = resolve(session, actor)
            require(can_manage_accounts(actor), ADMIN_ONLY_FR)
            user = _user(session, user_id)
            user.password_hash = hash_password(password)
            user.must_change_password = True
            user.token_version += 1
            clear_attempts(session, user.email)
            log.info("account %s: password reset (temporary) by %s", user.email, _actor_name(actor))
        return password

    def change_own_password(self, actor: Actor, new_password: str, confirmation: str | None = None) -> UserInfo:
        """The signed-in user chooses a new password (required after a reset); returns the account as stored now.

        Every other session of the account ends; the caller issues a fresh token for this one.
        """
        if confirmation is not None and confirmation != new_password:
            raise ValueError("les deux mots de passe saisis sont différents")
        _check_password(new_password)
        with self.sessions.begin() as session:
            user = session.get(User, getattr(actor, "id", None))
            if user is None or not user.active:
                raise AccessDenied("Ce compte a été désactivé : reconnectez-vous ou contactez un administrateur.")
            if user.must_change_password and _verify(user.password_hash, new_password):
                raise ValueError("choisissez un mot de passe différent du mot de passe provisoire")
            user.password_hash = hash_password(new_password)
            user.must_change_password = False
            user.token_version += 1
            log.info("account %s: password changed by its owner", user.email)
            return info(session, user)

    def accounts(self, actor: Actor) -> list[Account]:
        """Every account with its state, for the administration page."""
        with self.sessions() as session:
            require(can_manage_accounts(resolve(session, actor)), ADMIN_ONLY_FR)
            rows = session.execute(select(User, Organisation.name).join(Organisation, Organisation.id == User.organisation_id)
                                   .order_by(User.email)).all()
            return [Account(u.id, u.email, u.display_name, u.role, u.organisation_id, name, bool(u.active),
                            bool(u.must_change_password), u.email.endswith(DEMO_EMAIL_DOMAIN)) for u, name in rows]

    def remove_demo_accounts(self, actor: Actor) -> DemoRemoval:
        """Remove the demonstration accounts (…@demo.procure) before going live, never the acting administrator's.

        An account named in the audit trail (a tender filed, a piece uploaded, a decision) is deactivated instead,
        so that the trail keeps who decided; a demonstration organisation left with no account and no tender goes.
        """
        done = DemoRemoval()
        with self.sessions.begin() as session:
            actor = resolve(session, actor)
            require(can_manage_accounts(actor), ADMIN_ONLY_FR)
            for user in session.scalars(select(User).where(User.email.endswith(DEMO_EMAIL_DOMAIN)).order_by(User.email)):
                if user.id == actor.id:
                    done.kept.append(user.email)
                elif _has_traces(session, user.id):
                    if user.active:
                        user.active = False
                        user.token_version += 1
                    done.deactivated.append(user.email)
                else:
                    session.delete(user)
                    done.deleted.append(user.email)
            session.flush()
            for organisation in session.scalars(select(Organisation).where(Organisation.demo.is_(True))):
                used = session.scalar(select(func.count(User.id)).where(User.organisation_id == organisation.id)) or \
                    session.scalar(select(func.count(TenderRow.id)).where(TenderRow.organisation_id == organisation.id))
                if not used:
                    session.delete(organisation)
                    done.organisations.append(organisation.name)
            log.info("demo accounts removed by %s: deleted %s, deactivated %s, kept %s, organisations %s",
                     _actor_name(actor), done.deleted, done.deactivated, done.kept, done.organisations)
        return done

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
        """The signed-in user as stored now, or None when the account was deactivated (the UI signs out).

        An account on a temporary password is returned with must_change_password set: the UI offers only the change.
        """
        with self.sessions() as session:
            try:
                return resolve(session, actor)
            except PasswordChangeRequired:
                return info(session, session.get(User, actor.id))
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


def _has_traces(session: Session, user_id: int) -> bool:
    """Whether the account is named in a tender, a piece, a decision or the audit trail."""
    checks = [
        select(TenderRow.id).where(or_(TenderRow.created_by == user_id, TenderRow.archived_by == user_id)),
        select(DocumentRow.id).where(DocumentRow.uploaded_by == user_id),
        select(ReviewEvent.id).where(ReviewEvent.user_id == user_id),
        select(SuggestionRow.id).where(SuggestionRow.decided_by == user_id),
        select(MatchRow.id).where(MatchRow.decided_by == user_id),
    ]
    return any(session.scalar(check.limit(1)) is not None for check in checks)


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
