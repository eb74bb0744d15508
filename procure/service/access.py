"""Who may do what: pure functions of an actor and a tender, the one place where the access rules are written.

- a buyer sees and edits the tenders of its own organisation (a DCE is confidential before publication);
- a working-group member (reviewer) sees and reviews the tenders a buyer shared with the group, whatever
  the reviewer's organisation, and never edits them;
- an administrator sees, edits and reviews everything, and alone manages accounts, the supplier directory and
  the reference data (DECP contracts, CPV nomenclature);
- whoever may edit a tender (its buyer, an administrator) may archive, restore or delete it;
- clause follow-up after award (issue 25): a buyer sees, creates and edits the commitments of its organisation's
  lots and may enter their statements; a clause facilitator sees the commitments of the buyers who named its
  organisation as facilitator, enters and imports their monthly statements, and never changes a commitment, a
  clause, a decision or a tender (it sees no tender); the working group sees the commitments of shared tenders;
  an administrator does everything.

Every entry point of procure.service calls these functions; `visible_clause` says the same as `can_see` in
SQL, and tests/service/test_access.py checks that both agree for every role and every kind of tender.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import ColumnElement, false, true

from procure.db.models import FollowupCommitment, TenderRow
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


class CommitmentFacts(Protocol):
    organisation_id: int  # the buyer's organisation
    facilitator_organisation_id: int | None
    tender_shared: bool  # the commitment's tender is shared with the working group (False without a tender)


def can_see_commitment(actor: Actor, commitment: CommitmentFacts) -> bool:
    if is_admin(actor):
        return True
    if actor.role == Role.BUYER:
        return commitment.organisation_id == actor.organisation_id
    if actor.role == Role.FACILITATOR:
        return commitment.facilitator_organisation_id == actor.organisation_id
    return actor.role == Role.REVIEWER and bool(commitment.tender_shared)


def can_create_commitment(actor: Actor) -> bool:
    """Follow a lot (from its analysis or typed by hand): buyers and administrators."""
    return actor.role in (Role.BUYER, Role.ADMIN)


def can_edit_commitment(actor: Actor, commitment: CommitmentFacts) -> bool:
    """Change the holder, the hours, the penalty, the facilitator: the buyer's organisation or an administrator."""
    return is_admin(actor) or (actor.role == Role.BUYER and commitment.organisation_id == actor.organisation_id)


def can_enter_statements(actor: Actor, commitment: CommitmentFacts) -> bool:
    """Import or type monthly statements: the facilitator named for the lot, the buyer, an administrator."""
    if not can_see_commitment(actor, commitment):
        return False
    return actor.role in (Role.ADMIN, Role.BUYER, Role.FACILITATOR)


def can_follow_clauses(actor: Actor) -> bool:
    """Open the follow-up at all (the page, the command line): every role."""
    return actor.role in (Role.ADMIN, Role.BUYER, Role.FACILITATOR, Role.REVIEWER)


@dataclass(frozen=True)
class Permissions:
    """What an actor may open and do outside any one tender: the app's menu and pages read this, never a role name.

    Built from the can_* rules above, so the menu cannot offer what the service would refuse.
    """

    sees_tenders: bool          # the consultations pages (a clause facilitator sees no tender)
    create_tender: bool         # « Déposer un DCE »
    follow_clauses: bool        # « Suivi des clauses »
    create_commitment: bool     # follow a lot, type a commitment
    follows_as_facilitator: bool  # the follow-up is this actor's home page and only work
    manage_accounts: bool
    import_reference_data: bool
    manage_directory: bool


def permissions(actor: Actor) -> Permissions:
    return Permissions(
        sees_tenders=actor.role in (Role.ADMIN, Role.BUYER, Role.REVIEWER),
        create_tender=can_create_tender(actor),
        follow_clauses=can_follow_clauses(actor),
        create_commitment=can_create_commitment(actor),
        follows_as_facilitator=actor.role == Role.FACILITATOR,
        manage_accounts=can_manage_accounts(actor),
        import_reference_data=can_import_reference_data(actor),
        manage_directory=can_manage_directory(actor),
    )


def commitment_visible_clause(actor: Actor) -> ColumnElement[bool]:
    """`can_see_commitment` as a WHERE clause on followup_commitments outer-joined to their tenders."""
    if is_admin(actor):
        return true()
    if actor.role == Role.BUYER:
        return FollowupCommitment.organisation_id == actor.organisation_id
    if actor.role == Role.FACILITATOR:
        return FollowupCommitment.facilitator_organisation_id == actor.organisation_id
    if actor.role == Role.REVIEWER:
        return TenderRow.shared_with_group.is_(True)
    return false()


NOT_VISIBLE_FR = "Consultation introuvable ou non partagée avec vous."
NOT_EDITABLE_FR = "Seul l'acheteur de la consultation (ou un administrateur) peut la modifier ou relancer son analyse."
NOT_REVIEWABLE_FR = "Vous ne pouvez pas examiner cette consultation."
ADMIN_ONLY_FR = "Accès réservé aux administrateurs."
NOT_ARCHIVABLE_FR = "Seul l'acheteur de la consultation (ou un administrateur) peut l'archiver ou la supprimer."
CREATE_TENDER_FR = "Seuls les acheteurs déposent des consultations."
COMMITMENT_NOT_VISIBLE_FR = "Engagement introuvable ou non suivi par votre organisation."
COMMITMENT_NOT_EDITABLE_FR = ("Seul l'acheteur du marché (ou un administrateur) peut créer ou modifier un engagement "
                              "d'insertion ; le facilitateur saisit les relevés mensuels.")
STATEMENTS_NOT_ALLOWED_FR = ("Seuls le facilitateur désigné pour ce lot, l'acheteur ou un administrateur saisissent ses "
                             "relevés.")


def require(allowed: bool, message_fr: str) -> None:
    if not allowed:
        raise AccessDenied(message_fr)
