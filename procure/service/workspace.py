"""The working space of buyers and of the responsible-purchasing working group: one facade over the service.

The work is done by one module per responsibility: `access` (who may do what, pure functions), `accounts`
(users, organisations, passwords, login throttle), `tenders` (files and sharing), `pipeline` (analysis, one at
a time per tender), `review` (decisions and audit trail), `dashboard`, and `schema` (what is stored). The UI and
the command line call this facade; every method re-reads the acting user, so that a deactivated account or a
changed role takes effect at once.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from procure.errors import ProcureError
from procure.service import access
from procure.service.access import SYSTEM, AccessDenied, Actor, Permissions, SystemActor, UserInfo, permissions
from procure.service.accounts import Accounts, LoginThrottled, hash_password, resolve
from procure.service.dashboard import Dashboard
from procure.service.pipeline import MATCHES_PER_LOT, AnalysisConflict, AnalysisResult, Pipeline, Progress
from procure.service.review import Review, ReviewConflict, StaleAnalysis
from procure.service.schema import Decision, MatchOutcome, Role
from procure.service.tenders import Tenders
from procure.service.watch import Watch

ROLES = Role.labels()
DECISIONS_FR = Decision.labels()

__all__ = [
    "DECISIONS_FR",
    "MATCHES_PER_LOT",
    "ROLES",
    "SYSTEM",
    "AccessDenied",
    "AnalysisConflict",
    "AnalysisResult",
    "LoginThrottled",
    "MatchOutcome",
    "Permissions",
    "ProcureError",
    "ReviewConflict",
    "StaleAnalysis",
    "SystemActor",
    "UserInfo",
    "Workspace",
    "hash_password",
    "permissions",
]


class Workspace:
    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions
        self.accounts = Accounts(sessions)
        self.tenders = Tenders(sessions)
        self.pipeline = Pipeline(sessions)
        self.reviews = Review(sessions)
        self.figures = Dashboard(sessions)
        self.watch = Watch(sessions)

    # ------------------------------------------------------------------ people

    def create_organisation(self, name: str, demo: bool = False, *, actor: Actor | None = None) -> int:
        return self.accounts.create_organisation(name, demo, actor=actor)

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
        return self.accounts.create_user(email, password, display_name, role, organisation_id, actor=actor)

    def set_password(self, email: str, password: str, *, actor: Actor | None = None) -> None:
        self.accounts.set_password(email, password, actor=actor)

    def set_active(self, actor: Actor, user_id: int, active: bool) -> None:
        self.accounts.set_active(actor, user_id, active)

    def set_role(self, actor: Actor, user_id: int, role: str) -> None:
        self.accounts.set_role(actor, user_id, role)

    def authenticate(self, email: str, password: str, address: str | None = None) -> UserInfo | None:
        return self.accounts.authenticate(email, password, address)

    def refresh(self, actor: UserInfo) -> UserInfo | None:
        return self.accounts.refresh(actor)

    def users(self, actor: Actor) -> list[UserInfo]:
        return self.accounts.users(actor)

    def organisations(self) -> list[tuple[int, str]]:
        return self.accounts.organisations()

    # ------------------------------------------------------------------ tenders

    def create_tender(self, actor: Actor, title: str, shared_with_group: bool = False) -> int:
        return self.tenders.create_tender(actor, title, shared_with_group)

    def add_documents(self, actor: Actor, tender_id: int, files: list[tuple[str, bytes]]) -> list[str]:
        return self.tenders.add_documents(actor, tender_id, files)

    def remove_document(self, actor: Actor, tender_id: int, document_id: int) -> str:
        return self.tenders.remove_document(actor, tender_id, document_id)

    def set_buyer_category(self, actor: Actor, tender_id: int, category: str | None) -> None:
        self.tenders.set_buyer_category(actor, tender_id, category)

    def buyer_category(self, actor: Actor, tender_id: int) -> str | None:
        return self.tenders.buyer_category(actor, tender_id)

    def set_defence_security(self, actor: Actor, tender_id: int, answer: bool | None) -> None:
        self.tenders.set_defence_security(actor, tender_id, answer)

    def defence_security(self, actor: Actor, tender_id: int) -> bool | None:
        return self.tenders.defence_security(actor, tender_id)

    def set_shared(self, actor: Actor, tender_id: int, shared: bool) -> None:
        self.tenders.set_shared(actor, tender_id, shared)

    def visible_tenders(self, actor: Actor) -> list[dict]:
        return self.tenders.visible_tenders(actor)

    def documents(self, actor: Actor, tender_id: int) -> list[dict]:
        return self.tenders.documents(actor, tender_id)

    def permissions(self, actor: Actor, tender_id: int) -> dict[str, bool]:
        """{"edit", "analyse", "review"} → bool: what the UI may offer on this tender."""
        return self.tenders.permissions(actor, tender_id)

    def can_analyse(self, actor: Actor, tender_id: int) -> bool:
        return self.permissions(actor, tender_id)["analyse"]

    # ------------------------------------------------------------------ analysis

    def load_tender(self, actor: Actor, tender_id: int):
        return self.pipeline.load_tender(actor, tender_id)

    def analyse(self, actor: Actor, tender_id: int, progress: Progress | None = None) -> AnalysisResult:
        return self.pipeline.analyse(actor, tender_id, progress)

    def set_lot_place(self, actor: Actor, tender_id: int, lot_number: int, text: str) -> MatchOutcome:
        """The place of execution of a lot typed by the user (commune, department or « national »): the lot is
        matched again from it. ProcureError (French) when the text is not recognised; AccessDenied for a role
        that may not analyse the tender."""
        return self.pipeline.set_lot_place(actor, tender_id, lot_number, text)

    # ------------------------------------------------------------------ review

    def review_items(self, actor: Actor, tender_id: int) -> dict:
        return self.reviews.review_items(actor, tender_id)

    def can_review(self, actor: Actor, tender_id: int) -> bool:
        return self.reviews.can_review(actor, tender_id)

    def review(
        self,
        actor: Actor,
        target_type: str,
        target_id: int,
        action: str,
        expected_version: int,
        comment: str | None = None,
    ) -> int:
        return self.reviews.review(actor, target_type, target_id, action, expected_version, comment)

    def history(self, actor: Actor, tender_id: int) -> list[dict]:
        return self.reviews.history(actor, tender_id)

    # ------------------------------------------------------------------ outputs

    def annex(self, actor: Actor, tender_id: int, out: Path) -> Path:
        """Word annex of the stored, reviewed suggestions of the latest analysis: who decided what, suppliers retained.

        Rendered from the stored analysis alone (service.schema.StoredAnalysis), never from the uploaded files."""
        from procure.advice.advise import TenderAnswers
        from procure.outputs.annex import reviewed_lots, write_annex
        from procure.service.review import stored_analysis_of

        items = self.review_items(actor, tender_id)  # checks access
        analysis = stored_analysis_of(items)
        # Header facts and compliance alerts as the analysis stored them; an analysis stored before the advice was
        # kept (schema 0) is advised again from its stored tender with the buyer's answers (code review D2).
        answers = TenderAnswers(category=self.buyer_category(actor, tender_id), defence=self.defence_security(actor, tender_id))
        roles, organisation = self._deciders(tender_id, items)
        return write_annex(analysis.advice_for(answers), out, reviewed=reviewed_lots(items, roles), buyer=organisation)

    def tracked_document(self, actor: Actor, tender_id: int, filename: str, out: Path):
        """The buyer's own CCAP or RC (DOCX) with the accepted clauses inserted as Word tracked changes: the stored
        analysis says which clauses go there, only that document's bytes are read."""
        from procure.outputs.tracked import clauses_from_review, insert_clauses

        items = self.review_items(actor, tender_id)  # checks access
        content = self.tenders.file(actor, tender_id, filename)
        if content is None:
            raise ValueError(f"document « {filename} » absent de la consultation")
        return insert_clauses(content, clauses_from_review(items, filename), out)

    def _deciders(self, tender_id: int, items: dict) -> tuple[dict, str | None]:
        """Role of whoever decided each suggestion (by id) and supplier (by ("match", id)), and the buyer's organisation."""
        from sqlalchemy import select

        from procure.db.models import MatchRow, Organisation, SuggestionRow, TenderRow, User

        ids = [s["id"] for lot in items["lots"] for s in lot["suggestions"]]
        with self.sessions() as session:
            roles = (
                dict(
                    session.execute(
                        select(SuggestionRow.id, User.role)
                        .join(User, User.id == SuggestionRow.decided_by)
                        .where(SuggestionRow.id.in_(ids))
                    ).all()
                )
                if ids
                else {}
            )
            match_ids = [m["id"] for lot in items["lots"] for m in lot["matches"]]
            if match_ids:  # suppliers retained or set aside: keyed ("match", id)
                query = select(MatchRow.id, User.role).join(User, User.id == MatchRow.decided_by)
                roles.update(
                    {("match", i): role for i, role in session.execute(query.where(MatchRow.id.in_(match_ids)))}
                )
            organisation = session.scalar(
                select(Organisation.name)
                .join(TenderRow, TenderRow.organisation_id == Organisation.id)
                .where(TenderRow.id == tender_id)
            )
        return roles, organisation

    def dashboard(self, actor: Actor) -> dict:
        return self.figures.dashboard(actor)

    # ------------------------------------------------------------------ supplier directory (administrators)

    def can_manage_directory(self, actor: Actor) -> bool:
        with self.sessions() as session:
            return access.can_manage_directory(resolve(session, actor))

    def import_suppliers(self, actor: Actor, path: Path, mapping, source: str, source_date=None):
        """Import a directory file (procure.directory.suppliers.import_file) on behalf of an administrator."""
        from procure.directory.suppliers import SupplierRepository, import_file

        access.require(self.can_manage_directory(actor), access.ADMIN_ONLY_FR)
        return import_file(SupplierRepository(self.sessions), path, mapping, source, source_date)

    def remove_demo_suppliers(self, actor: Actor) -> int:
        from procure.directory.suppliers import SupplierRepository

        access.require(self.can_manage_directory(actor), access.ADMIN_ONLY_FR)
        return SupplierRepository(self.sessions).delete_demo()

    # ------------------------------------------------------------------ territorial watch (issue 24)

    def can_read_notices(self, actor: Actor) -> bool:
        return self.watch.can_read_notices(actor)

    def read_notices(self, actor: Actor, files: list[tuple[str, bytes]], progress=None):
        return self.watch.read_notices(actor, files, progress)

    def watched_notices(self, actor: Actor, **filters):
        return self.watch.watched_notices(actor, **filters)

    # ------------------------------------------------------------------ analysis jobs (worker processes, issue 21)

    def enqueue_analysis(self, actor: Actor, tender_id: int):
        """Queue an analysis run by a worker process (procure.service.jobs); its JobState. The app's way to analyse."""
        from procure.service.jobs import Jobs

        return Jobs(self.sessions).enqueue(actor, tender_id)

    def analysis_state(self, actor: Actor, tender_id: int):
        """The tender's analysis state (jobs.JobState): queued with its position, running with its step, done, failed."""
        from procure.service.jobs import Jobs

        return Jobs(self.sessions).state(actor, tender_id)

    def start_analysis_dispatcher(self) -> None:
        """Start this process's dispatcher of analysis jobs (once; it picks up the jobs queued before a restart)."""
        from procure.service.jobs import start_dispatcher

        start_dispatcher(self.sessions)

    # ------------------------------------------------------------------ administration (issue 21)
    # Accounts (procure.service.accounts) and the archive or deletion of tenders (procure.service.tenders).

    def accounts_overview(self, actor: Actor):
        return self.accounts.accounts(actor)

    def reset_password(self, actor: Actor, user_id: int) -> str:
        return self.accounts.reset_password(actor, user_id)

    def change_own_password(self, actor: Actor, new_password: str, confirmation: str | None = None) -> UserInfo:
        return self.accounts.change_own_password(actor, new_password, confirmation)

    def remove_demo_accounts(self, actor: Actor):
        return self.accounts.remove_demo_accounts(actor)

    def can_import_reference_data(self, actor: Actor) -> bool:
        with self.sessions() as session:
            return access.can_import_reference_data(resolve(session, actor))

    def visible_tenders_with_archived(self, actor: Actor) -> list[dict]:
        return self.tenders.visible_tenders(actor, include_archived=True)

    def archive_state(self, actor: Actor, tender_id: int) -> dict:
        return self.tenders.archive_state(actor, tender_id)

    def archive_tender(self, actor: Actor, tender_id: int) -> None:
        self.tenders.archive(actor, tender_id)

    def restore_tender(self, actor: Actor, tender_id: int) -> None:
        self.tenders.restore(actor, tender_id)

    def delete_tender(self, actor: Actor, tender_id: int) -> str:
        return self.tenders.delete(actor, tender_id)


    # ------------------------------------------------------------------ consultation page facts (issue 21)

    def set_tender_place(self, actor: Actor, tender_id: int, text: str):
        """One place for the consultation, applied to every lot without its own place (service.tender_place)."""
        from procure.service.tender_place import set_tender_place

        return set_tender_place(self, actor, tender_id, text)

    # ------------------------------------------------------------------ clause follow-up (issue 25)

    @property
    def followup(self):
        """The clause follow-up after award: commitments, statements, alerts, yearly report (service.followup)."""
        from procure.service.followup import Followup

        return Followup(self.sessions)

    # ------------------------------------------------------------------ national scale (issue 23)
    # Directory formats and sources side by side (procure.directory): read by every user, like the directory page.

    def directory_formats(self) -> dict[str, str]:
        from procure.directory.formats import FORMAT_LABELS_FR

        return {"auto": "Reconnu d'après l'en-tête du fichier", **FORMAT_LABELS_FR}

    def supplier_sources(self, siret: str):
        from procure.directory.repository import SupplierRepository

        return SupplierRepository(self.sessions).merged(siret), SupplierRepository(self.sessions).sources(siret)

    def supplier_kind_conflicts(self) -> dict[str, str]:
        from procure.directory.repository import SupplierRepository

        return SupplierRepository(self.sessions).kind_conflicts()

    def supplier_source_counts(self):
        from procure.directory.repository import SupplierRepository

        return SupplierRepository(self.sessions).source_counts()

    # ------------------------------------------------------------------ stored analysis (issue 22)
