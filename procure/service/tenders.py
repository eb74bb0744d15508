"""Tenders and their files: creation, upload, sharing with the working group, listing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from procure.db.models import DocumentRow, Organisation, TenderRow
from procure.errors import ProcureError
from procure.ingest import safe_display_name
from procure.service import access
from procure.service.access import AccessDenied, Actor, TenderFacts
from procure.service.accounts import resolve
from procure.service.schema import Role

_MESSAGES = {
    access.can_see: access.NOT_VISIBLE_FR,
    access.can_edit: access.NOT_EDITABLE_FR,
    access.can_analyse: access.NOT_EDITABLE_FR,
    access.can_review: access.NOT_REVIEWABLE_FR,
}


def tender_for(
    session: Session,
    actor: Actor | None,
    tender_id: int,
    need: Callable[[Actor, TenderFacts], bool] = access.can_see,
) -> tuple[Actor, TenderRow]:
    """The actor as stored now and the tender, when the actor may see it and do `need` on it."""
    actor = resolve(session, actor)
    tender = session.get(TenderRow, tender_id)
    if tender is None or not access.can_see(actor, tender):
        raise AccessDenied(access.NOT_VISIBLE_FR)  # the same answer whether it exists or not
    access.require(need(actor, tender), _MESSAGES[need])
    return actor, tender


class Tenders:
    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def create_tender(self, actor: Actor, title: str, shared_with_group: bool = False) -> int:
        with self.sessions.begin() as session:
            actor = resolve(session, actor)
            access.require(
                actor.role in (Role.BUYER, Role.ADMIN) and actor.id is not None,
                "Seuls les acheteurs déposent des consultations.",
            )
            tender = TenderRow(
                organisation_id=actor.organisation_id,
                title=(title or "").strip() or "Consultation sans titre",
                shared_with_group=shared_with_group,
                created_by=actor.id,
            )
            session.add(tender)
            session.flush()
            return tender.id

    def add_documents(self, actor: Actor, tender_id: int, files: list[tuple[str, bytes]]) -> list[str]:
        """Store files (a file already present, by content, is skipped); returns the names stored."""
        stored = []
        with self.sessions.begin() as session:
            actor, tender = tender_for(session, actor, tender_id, access.can_edit)
            known = set(session.scalars(select(DocumentRow.sha256).where(DocumentRow.tender_id == tender.id)))
            for name, content in files:
                digest = hashlib.sha256(content).hexdigest()
                if digest in known:
                    continue
                known.add(digest)
                filename = safe_display_name(name)  # no NUL nor control character, 200 characters at most
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

    def visible_tenders(self, actor: Actor) -> list[dict]:
        with self.sessions() as session:
            actor = resolve(session, actor)
            query = select(TenderRow, Organisation.name).join(
                Organisation, Organisation.id == TenderRow.organisation_id
            )
            query = query.where(access.visible_clause(actor)).order_by(TenderRow.created_at.desc(), TenderRow.id.desc())
            return [
                {
                    "id": t.id,
                    "title": t.title,
                    "reference": t.reference,
                    "organisation": org,
                    "shared": t.shared_with_group,
                    "version": t.analysis_version,
                    "created_at": t.created_at,
                }
                for t, org in session.execute(query)
            ]

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

    def permissions(self, actor: Actor, tender_id: int) -> dict[str, bool]:
        """What the UI may offer on this tender (buttons are hidden, not merely refused)."""
        with self.sessions() as session:
            actor, tender = tender_for(session, actor, tender_id)
            return {
                "edit": access.can_edit(actor, tender),
                "analyse": access.can_analyse(actor, tender),
                "review": access.can_review(actor, tender),
            }
