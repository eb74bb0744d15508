"""Tenders and their files: creation, upload, sharing with the working group, listing, archive and deletion.

Archive: `archived_at`/`archived_by` set. The tender leaves the lists, the guide's and the dashboard's figures,
and stays whole (documents, analysis, decisions): its buyer or an administrator restores it.

Delete: the review events (the audit trail: who accepted, rejected or commented what, when) reference the
tender with ON DELETE CASCADE, so removing the row would erase them. A deletion therefore purges the content —
the documents (their bytes), the lots with their suggestions and matches, the stored analysis — and keeps the
row as a tombstone: title, reference, organisation, creator, and `archived_at`/`archived_by` saying when and by
whom, marked `analysis_state = "deleted"`. A tombstone is never listed, opened nor counted; its review events
stay, with their comments.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from procure.db.models import DocumentRow, LotRow, MatchRow, Organisation, SuggestionRow, TenderRow
from procure.errors import ProcureError
from procure.ingest import safe_display_name
from procure.service import access
from procure.service.access import AccessDenied, Actor, TenderFacts
from procure.service.accounts import resolve
from procure.service.schema import Keyed


@dataclass(frozen=True)
class VisibleTender(Keyed):
    """A consultation in the list the actor sees."""

    id: int
    title: str
    reference: str | None
    organisation: str
    shared: bool
    version: int
    created_at: datetime
    archived_at: datetime | None


DELETED = "deleted"  # analysis_state of a tombstone (a deleted tender whose audit trail is kept)
_BUSY_STATES = ("queued", "running")
log = logging.getLogger("procure.admin")

_MESSAGES = {
    access.can_see: access.NOT_VISIBLE_FR,
    access.can_edit: access.NOT_EDITABLE_FR,
    access.can_analyse: access.NOT_EDITABLE_FR,
    access.can_review: access.NOT_REVIEWABLE_FR,
    access.can_archive: access.NOT_ARCHIVABLE_FR,
}


class StoredFiles(list):
    """The names stored by `add_documents` (a list, as before), with the French warnings of the upload.

    `renamed` lists (name given, name stored) for each file given under a name already used by another file of
    the tender (« RC.pdf » stored as « RC (2).pdf »).
    """

    def __init__(self, names=(), renamed: list[tuple[str, str]] | None = None, warnings: list[str] | None = None):
        super().__init__(names)
        self.renamed = renamed or []
        self.warnings = warnings or []


def is_deleted(tender: TenderRow) -> bool:
    return tender.analysis_state == DELETED


def free_name(name: str, taken: set[str]) -> str:
    """`name`, or « name (2).ext », « name (3).ext »… when another file already has it (case ignored)."""
    if name.casefold() not in taken:
        return name
    match = re.fullmatch(r"(.*?)((?:\.[A-Za-z0-9]{1,5})?)", name)
    stem, extension = match.group(1), match.group(2)
    number = 2
    while f"{stem} ({number}){extension}".casefold() in taken:
        number += 1
    return f"{stem} ({number}){extension}"


def tender_for(
    session: Session,
    actor: Actor | None,
    tender_id: int,
    need: Callable[[Actor, TenderFacts], bool] = access.can_see,
) -> tuple[Actor, TenderRow]:
    """The actor as stored now and the tender, when the actor may see it and do `need` on it."""
    actor = resolve(session, actor)
    tender = session.get(TenderRow, tender_id)
    if tender is None or is_deleted(tender) or not access.can_see(actor, tender):
        raise AccessDenied(access.NOT_VISIBLE_FR)  # the same answer whether it exists or not
    access.require(need(actor, tender), _MESSAGES[need])
    return actor, tender


class Tenders:
    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def create_tender(self, actor: Actor, title: str, shared_with_group: bool = False) -> int:
        with self.sessions.begin() as session:
            actor = resolve(session, actor)
            access.require(access.can_create_tender(actor), access.CREATE_TENDER_FR)
            tender = TenderRow(
                organisation_id=actor.organisation_id,
                title=(title or "").strip() or "Consultation sans titre",
                shared_with_group=shared_with_group,
                created_by=actor.id,
            )
            session.add(tender)
            session.flush()
            return tender.id

    def add_documents(self, actor: Actor, tender_id: int, files: list[tuple[str, bytes]]) -> StoredFiles:
        """Store files; returns the names stored (a list), with `renamed` and French `warnings`.

        A file already present, by content, is skipped. A different file under a name already used in the tender
        (two « RC.pdf ») is kept apart as « RC (2).pdf », so that every passage names the file it comes from.
        """
        stored = StoredFiles()
        with self.sessions.begin() as session:
            actor, tender = tender_for(session, actor, tender_id, access.can_edit)
            present = session.execute(select(DocumentRow.sha256, DocumentRow.filename)
                                      .where(DocumentRow.tender_id == tender.id)).all()
            known = {digest for digest, _ in present}
            names = {filename.casefold() for _, filename in present}
            for name, content in files:
                digest = hashlib.sha256(content).hexdigest()
                if digest in known:
                    continue
                known.add(digest)
                given = safe_display_name(name)  # no NUL nor control character, 200 characters at most
                filename = free_name(given, names)
                names.add(filename.casefold())
                if filename != given:
                    stored.renamed.append((given, filename))
                    stored.warnings.append(f"« {given} » : un autre fichier porte déjà ce nom dans la consultation ; "
                                           f"celui-ci est enregistré sous « {filename} » pour les distinguer.")
                session.add(
                    DocumentRow(
                        tender_id=tender.id,
                        filename=filename,
                        sha256=digest,
                        size=len(content),
                        content=content,
                        uploaded_by=actor.id,
                    )
                )
                stored.append(filename)
        return stored

    def remove_document(self, actor: Actor, tender_id: int, document_id: int) -> str:
        """Remove one stored piece (unreadable, or to be replaced by a corrected file); returns its name.

        Without this, an unreadable piece would stay in the tender for good. The next analysis reads the rest.
        """
        with self.sessions.begin() as session:
            _, tender = tender_for(session, actor, tender_id, access.can_edit)
            document = session.get(DocumentRow, document_id)
            if document is None or document.tender_id != tender.id:
                raise AccessDenied("Cette pièce n'appartient pas à la consultation (déjà retirée ?).")
            session.delete(document)
            return document.filename

    def set_buyer_category(self, actor: Actor, tender_id: int, category: str | None) -> None:
        """The buyer's category chosen by the user (central, local, contracting_entity), or None to go back to
        what the documents say; it sets the threshold of the L2112-2-1 obligation at the next analysis."""
        from procure.model import BuyerCategory

        if category is not None and category not in {c.value for c in BuyerCategory}:
            raise ProcureError(f"Catégorie d'acheteur inconnue : « {category} ».")
        with self.sessions.begin() as session:
            tender_for(session, actor, tender_id, access.can_edit)[1].buyer_category = category

    def buyer_category(self, actor: Actor, tender_id: int) -> str | None:
        with self.sessions() as session:
            return tender_for(session, actor, tender_id)[1].buyer_category

    def set_defence_security(self, actor: Actor, tender_id: int, answer: bool | None) -> None:
        """The user's answer: a defence or security contract (out of L2112-2-1) or not; None to go back to what
        the documents say. Applied at the next analysis."""
        with self.sessions.begin() as session:
            tender_for(session, actor, tender_id, access.can_edit)[1].defence_security = answer

    def defence_security(self, actor: Actor, tender_id: int) -> bool | None:
        with self.sessions() as session:
            return tender_for(session, actor, tender_id)[1].defence_security

    def set_shared(self, actor: Actor, tender_id: int, shared: bool) -> None:
        with self.sessions.begin() as session:
            tender_for(session, actor, tender_id, access.can_edit)[1].shared_with_group = shared

    def visible_tenders(self, actor: Actor, include_archived: bool = False) -> list[VisibleTender]:
        """The tenders the actor may see, newest first; archived ones only on demand, deleted ones never."""
        with self.sessions() as session:
            actor = resolve(session, actor)
            query = select(TenderRow, Organisation.name).join(
                Organisation, Organisation.id == TenderRow.organisation_id
            )
            query = query.where(access.visible_clause(actor), live_clause(include_archived))
            query = query.order_by(TenderRow.created_at.desc(), TenderRow.id.desc())
            return [VisibleTender(t.id, t.title, t.reference, org, t.shared_with_group, t.analysis_version,
                                  t.created_at, t.archived_at)
                    for t, org in session.execute(query)]

    def archive(self, actor: Actor, tender_id: int) -> None:
        """Out of the consultation list, the guide and the dashboard; everything kept, restorable."""
        with self.sessions.begin() as session:
            actor, tender = tender_for(session, actor, tender_id, access.can_archive)
            if tender.archived_at is None:
                tender.archived_at, tender.archived_by = datetime.now(UTC), actor.id
                log.info("tender %s « %s » archived by %s (id %s)", tender.id, tender.title,
                         getattr(actor, "email", "?"), actor.id)

    def restore(self, actor: Actor, tender_id: int) -> None:
        with self.sessions.begin() as session:
            actor, tender = tender_for(session, actor, tender_id, access.can_archive)
            if tender.archived_at is not None:
                tender.archived_at, tender.archived_by = None, None
                log.info("tender %s « %s » restored by %s (id %s)", tender.id, tender.title,
                         getattr(actor, "email", "?"), actor.id)

    def delete(self, actor: Actor, tender_id: int) -> str:
        """Delete the documents and the analysis; the decisions stay in the audit trail (see the module doc).

        Refused while an analysis is queued or running (it would write its lots back). Returns the title.
        """
        with self.sessions.begin() as session:
            actor, tender = tender_for(session, actor, tender_id, access.can_archive)
            if tender.analysis_state in _BUSY_STATES or tender.analysing_since is not None:
                raise ProcureError("Une analyse de cette consultation est en cours : attendez qu'elle se termine "
                                   "avant de la supprimer.")
            lots = select(LotRow.id).where(LotRow.tender_id == tender.id)
            session.execute(delete(MatchRow).where(MatchRow.lot_id.in_(lots)))
            session.execute(delete(SuggestionRow).where(SuggestionRow.lot_id.in_(lots)))
            session.execute(delete(LotRow).where(LotRow.tender_id == tender.id))
            documents = session.execute(delete(DocumentRow).where(DocumentRow.tender_id == tender.id)).rowcount
            tender.analysis_json = None
            tender.analysis_state, tender.analysis_step, tender.analysis_fraction = DELETED, None, None
            tender.analysis_error = None
            tender.shared_with_group = False
            tender.archived_at, tender.archived_by = datetime.now(UTC), actor.id
            log.info("tender %s « %s » deleted by %s (id %s): %s document(s) removed, audit trail kept", tender.id,
                     tender.title, getattr(actor, "email", "?"), actor.id, documents)
            return tender.title

    def documents(self, actor: Actor, tender_id: int) -> list[dict]:
        with self.sessions() as session:
            _, tender = tender_for(session, actor, tender_id)
            rows = session.scalars(
                select(DocumentRow).where(DocumentRow.tender_id == tender.id).order_by(DocumentRow.id)
            )
            return [
                {
                    "id": d.id,
                    "filename": d.filename,
                    "size": d.size,
                    "doc_type": d.doc_type,
                    "problem": d.problem,
                    "sha256": d.sha256,
                }
                for d in rows
            ]

    def files(self, actor: Actor, tender_id: int) -> list[tuple[str, bytes]]:
        with self.sessions() as session:
            _, tender = tender_for(session, actor, tender_id)
            rows = session.scalars(
                select(DocumentRow).where(DocumentRow.tender_id == tender.id).order_by(DocumentRow.id)
            )
            return [(d.filename, d.content) for d in rows]

    def file(self, actor: Actor, tender_id: int, filename: str) -> bytes | None:
        """The bytes of one stored document of the tender (the latest of that name); None when there is none."""
        with self.sessions() as session:
            _, tender = tender_for(session, actor, tender_id)
            return session.scalar(
                select(DocumentRow.content)
                .where(DocumentRow.tender_id == tender.id, DocumentRow.filename == filename)
                .order_by(DocumentRow.id.desc())
                .limit(1)
            )

    def permissions(self, actor: Actor, tender_id: int) -> dict[str, bool]:
        """What the UI may offer on this tender (buttons are hidden, not merely refused)."""
        with self.sessions() as session:
            actor, tender = tender_for(session, actor, tender_id)
            return {
                "edit": access.can_edit(actor, tender),
                "analyse": access.can_analyse(actor, tender),
                "review": access.can_review(actor, tender),
            }

    def archive_state(self, actor: Actor, tender_id: int) -> dict:
        """{"can_archive": may archive, restore or delete; "archived_at": when archived (None if not)}."""
        with self.sessions() as session:
            actor, tender = tender_for(session, actor, tender_id)
            return {"can_archive": access.can_archive(actor, tender), "archived_at": tender.archived_at}


def live_clause(include_archived: bool = False):
    """Tenders that count: never the deleted ones, and the archived ones only when asked for."""
    from sqlalchemy import and_, or_

    not_deleted = or_(TenderRow.analysis_state.is_(None), TenderRow.analysis_state != DELETED)
    return not_deleted if include_archived else and_(not_deleted, TenderRow.archived_at.is_(None))
