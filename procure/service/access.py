"""Who may do what: pure functions of an actor and a tender, the one place where the access rules are written.

- a buyer sees and edits the tenders of its own organisation (a DCE is confidential before publication);
- a working-group member (reviewer) sees and reviews the tenders a buyer shared with the group, whatever
  the reviewer's organisation, and never edits them;
- an administrator sees, edits and reviews everything, and alone manages accounts, the supplier directory and
  the reference data (DECP contracts, CPV nomenclature);
- whoever may edit a tender (its buyer, an administrator) may archive, restore or delete it.

Every entry point of procure.service calls these functions; `visible_clause` says the same as `can_see` in
SQL, and tests/service/test_access.py checks that both agree for every role and every kind of tender.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import ColumnElement, false, true

from procure.db.models import TenderRow
from procure.service.schema import Role


class AccessDenied(Exception):
    """The user may not do this; the message is French."""


class Actor(Protocol):
    id: int
    role: str
    organisation_id: int


class TenderFacts(Protocol):
    organisation_id: int
    shared_with_group: bool


@dataclass(frozen=True)
class UserInfo:
    id: int
    email: str
    display_name: str
    role: str
    organisation_id: int
    organisation: str
    # Set after an administrator's reset: the user must choose a new password before anything else.
    must_change_password: bool = False

    @property
    def role_label(self) -> str:
        return Role(self.role).label


@dataclass(frozen=True)
class SystemActor:
    """The operator at the command line (demo set-up, imports): acts as an administrator, stored as no user."""

    id: None = None
    role: str = Role.ADMIN
    organisation_id: int = 0
    display_name: str = "ligne de commande"


SYSTEM = SystemActor()


def is_admin(actor: Actor) -> bool:
    return actor.role == Role.ADMIN


def _owns(actor: Actor, tender: TenderFacts) -> bool:
    return actor.role == Role.BUYER and tender.organisation_id == actor.organisation_id


def can_see(actor: Actor, tender: TenderFacts) -> bool:
    if is_admin(actor) or _owns(actor, tender):
        return True
    return actor.role == Role.REVIEWER and bool(tender.shared_with_group)


def can_edit(actor: Actor, tender: TenderFacts) -> bool:
    """Add documents, share or unshare."""
    return is_admin(actor) or _owns(actor, tender)


def can_analyse(actor: Actor, tender: TenderFacts) -> bool:
    return can_edit(actor, tender)


def can_review(actor: Actor, tender: TenderFacts) -> bool:
    """Accept, reject or comment a suggestion or a match."""
    return can_see(actor, tender) and (actor.role in (Role.ADMIN, Role.REVIEWER) or _owns(actor, tender))


def can_archive(actor: Actor, tender: TenderFacts) -> bool:
    """Archive (out of the lists and figures, restorable), restore or delete: the tender's buyer or an admin."""
    return can_edit(actor, tender)


def can_create_tender(actor: Actor) -> bool:
    """File a DCE: buyers and administrators signed in as themselves (a working-group member reviews only)."""
    return actor.role in (Role.BUYER, Role.ADMIN) and actor.id is not None


def can_manage_accounts(actor: Actor) -> bool:
    return is_admin(actor)


def can_import_reference_data(actor: Actor) -> bool:
    """Import DECP contracts or the CPV nomenclature."""
    return is_admin(actor)


def can_manage_directory(actor: Actor) -> bool:
    """Import suppliers, remove the demonstration ones."""
    return is_admin(actor)


def visible_clause(actor: Actor) -> ColumnElement[bool]:
    """`can_see` as a WHERE clause on tenders."""
    if is_admin(actor):
        return true()
    if actor.role == Role.BUYER:
        return TenderRow.organisation_id == actor.organisation_id
    if actor.role == Role.REVIEWER:
        return TenderRow.shared_with_group.is_(True)
    return false()


NOT_VISIBLE_FR = "Consultation introuvable ou non partagée avec vous."
NOT_EDITABLE_FR = "Seul l'acheteur de la consultation (ou un administrateur) peut la modifier ou relancer son analyse."
NOT_REVIEWABLE_FR = "Vous ne pouvez pas examiner cette consultation."
ADMIN_ONLY_FR = "Accès réservé aux administrateurs."
NOT_ARCHIVABLE_FR = "Seul l'acheteur de la consultation (ou un administrateur) peut l'archiver ou la supprimer."
CREATE_TENDER_FR = "Seuls les acheteurs déposent des consultations."


def require(allowed: bool, message_fr: str) -> None:
    if not allowed:
        raise AccessDenied(message_fr)
