"""Working-group review: decisions on suggestions and matches, optimistic locking, audit trail.

A decision carries the version the user saw: two reviewers never overwrite each other silently. A decision
is taken only on the current analysis: on an item of an older version it is refused with a French message
(it would otherwise be stored and never shown again).
"""

from __future__ import annotations

import json
from dataclasses import asdict

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from procure.db.models import LotRow, MatchRow, ReviewEvent, SuggestionRow, SupplierRow, TenderRow, User
from procure.service import access
from procure.service.access import AccessDenied, Actor
from procure.service.accounts import now, resolve
from procure.service.lot_matching import outcome_view
from procure.service.schema import Action, Decision, Role, StoredSuggestion, SuggestionStatus, TargetType
from procure.service.tenders import tender_for

_MODELS = {TargetType.SUGGESTION: SuggestionRow, TargetType.MATCH: MatchRow}


class ReviewConflict(Exception):
    """Someone else changed the decision since the user loaded it."""


class StaleAnalysis(ReviewConflict):
    """The item belongs to an older analysis of the tender."""


ITEM_NOT_VISIBLE_FR = "Élément introuvable ou non partagé avec vous."
NO_LONGER_SHARED_FR = ("Cette consultation n'est plus partagée avec le groupe de travail : votre décision n'a pas été "
                       "enregistrée. Demandez à l'acheteur de la partager de nouveau si elle doit être examinée.")
REPLACED_FR = "Une nouvelle analyse vient d'être enregistrée : rechargez la page avant de décider."


def _lock_analysis(session: Session, tender_id: int, version: int) -> None:
    """Lock the tender row while its analysis is still `version`, or refuse the decision.

    A re-analysis updates this row before reading the decisions it carries over (pipeline.Pipeline._store):
    on PostgreSQL the row lock, on SQLite the database write lock, make a decision either commit before that
    read (and be carried over) or wait for the new version and be refused here: never split between the
    history and the shown state.
    """
    locked = session.execute(
        update(TenderRow)
        .where(TenderRow.id == tender_id, TenderRow.analysis_version == version)
        .values(analysis_version=TenderRow.analysis_version)
        .execution_options(synchronize_session=False)
    )
    if locked.rowcount != 1:
        raise StaleAnalysis(REPLACED_FR)


class Review:
    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def review_items(self, actor: Actor, tender_id: int) -> dict:
        """Lots of the latest analysis with their suggestions and matches and their decisions."""
        with self.sessions() as session:
            _, tender = tender_for(session, actor, tender_id)
            names = dict(session.execute(select(User.id, User.display_name)).all())
            lots = session.scalars(
                select(LotRow)
                .where(LotRow.tender_id == tender.id, LotRow.analysis_version == tender.analysis_version)
                .order_by(LotRow.number)
            ).all()
            comments = _comments(session, tender.id, names)
            return {
                "tender": {
                    "id": tender.id,
                    "title": tender.title,
                    "reference": tender.reference,
                    "version": tender.analysis_version,
                    "shared": tender.shared_with_group,
                    "analysis": json.loads(tender.analysis_json) if tender.analysis_json else None,
                },
                "lots": [_lot_items(session, lot, names, comments) for lot in lots],
            }

    def can_review(self, actor: Actor, tender_id: int) -> bool:
        with self.sessions() as session:
            actor, tender = tender_for(session, actor, tender_id)
            return access.can_review(actor, tender)

    def review(
        self,
        actor: Actor,
        target_type: str,
        target_id: int,
        action: str,
        expected_version: int,
        comment: str | None = None,
    ) -> int:
        """Accept, reject, reset or comment; returns the new version. ReviewConflict when the version moved."""
        target_type, action = TargetType(target_type), Action(action)
        comment = (comment or "").strip() or None
        if action is Action.COMMENT and not comment:
            raise ValueError("commentaire vide")
        model = _MODELS[target_type]
        with self.sessions.begin() as session:
            actor = resolve(session, actor)  # a deactivated account keeps its own message
            target = session.get(model, target_id)
            lot = session.get(LotRow, target.lot_id) if target is not None else None
            try:
                if lot is None:
                    raise AccessDenied(ITEM_NOT_VISIBLE_FR)
                actor, tender = tender_for(session, actor, lot.tender_id)
            except AccessDenied as denied:  # the same answer whether the item is absent or another's
                if _unshared_under(session, actor, lot):  # G1: the buyer just stopped sharing it
                    raise AccessDenied(NO_LONGER_SHARED_FR) from denied
                raise AccessDenied(ITEM_NOT_VISIBLE_FR) from denied
            access.require(access.can_review(actor, tender), access.NOT_REVIEWABLE_FR)
            if lot.analysis_version != tender.analysis_version:
                raise StaleAnalysis(
                    f"Cet élément appartient à une analyse antérieure (version {lot.analysis_version}) ; la "
                    f"consultation a été réanalysée (version {tender.analysis_version}) : rechargez la page."
                )
            _lock_analysis(session, tender.id, lot.analysis_version)
            new_version = expected_version
            if action.decision is not None:
                # The WHERE on version makes the update atomic: a concurrent decision leaves rowcount at 0.
                updated = session.execute(
                    update(model)
                    .where(model.id == target_id, model.version == expected_version)
                    .values(
                        decision=action.decision.value,
                        version=expected_version + 1,
                        decided_by=actor.id,
                        decided_at=now(),
                    )
                )
                if updated.rowcount != 1:
                    raise ReviewConflict(
                        "Un autre membre du groupe a modifié cette décision entre-temps : "
                        "rechargez la page pour voir son choix avant de décider."
                    )
                new_version = expected_version + 1
            session.add(
                ReviewEvent(
                    tender_id=tender.id,
                    target_type=target_type.value,
                    target_id=target_id,
                    action=action.value,
                    comment=comment,
                    user_id=actor.id,
                    target_version=expected_version,
                    analysis_version=tender.analysis_version,
                )
            )
            return new_version

    def history(self, actor: Actor, tender_id: int) -> list[dict]:
        with self.sessions() as session:
            _, tender = tender_for(session, actor, tender_id)
            query = (
                select(ReviewEvent, User.display_name)
                .join(User, User.id == ReviewEvent.user_id)
                .where(ReviewEvent.tender_id == tender.id)
                .order_by(ReviewEvent.created_at, ReviewEvent.id)
            )
            return [
                {
                    "when": e.created_at,
                    "who": name,
                    "action": e.action,
                    "action_label": Action(e.action).label,
                    "target_type": e.target_type,
                    "target_id": e.target_id,
                    "comment": e.comment,
                    "version": e.target_version,
                    "analysis_version": e.analysis_version,
                }
                for e, name in session.execute(query)
            ]


def _unshared_under(session: Session, actor: Actor, lot: LotRow | None) -> bool:
    """A working-group member deciding on a consultation its buyer stopped sharing (and did not archive): said so,
    rather than the answer given for an absent item. Only group members ever saw shared consultations, so the
    answer tells an outsider nothing."""
    if lot is None or actor.role != Role.REVIEWER:
        return False
    tender = session.get(TenderRow, lot.tender_id)
    return tender is not None and not tender.shared_with_group and tender.archived_at is None


def _comments(session: Session, tender_id: int, names: dict) -> dict[tuple[str, int], list[dict]]:
    """The working group's comments on each item, oldest first: who, when, with which action (for the annex)."""
    events = session.scalars(
        select(ReviewEvent)
        .where(ReviewEvent.tender_id == tender_id, ReviewEvent.comment.is_not(None))
        .order_by(ReviewEvent.created_at, ReviewEvent.id)
    )
    comments: dict[tuple[str, int], list[dict]] = {}
    for event in events:
        comments.setdefault((event.target_type, event.target_id), []).append(
            {"who": names.get(event.user_id), "when": event.created_at, "action": event.action,
             "comment": event.comment})
    return comments


def _lot_items(session: Session, lot: LotRow, names: dict, comments: dict | None = None) -> dict:
    suggestions = session.scalars(
        select(SuggestionRow)
        .where(SuggestionRow.lot_id == lot.id)
        .order_by(SuggestionRow.score.desc(), SuggestionRow.id)
    ).all()
    matches = session.execute(
        select(MatchRow, SupplierRow)
        .join(SupplierRow, SupplierRow.id == MatchRow.supplier_id)
        .where(MatchRow.lot_id == lot.id)
        .order_by(MatchRow.rank)
    ).all()
    return {
        "id": lot.id,
        "number": lot.number,
        "title": lot.title,
        "cpv": lot.cpv,
        "amount_ht": lot.amount_ht,
        "suggestions": [{**_suggestion_item(s, names), "comments": (comments or {}).get((TargetType.SUGGESTION.value, s.id), [])}
                        for s in suggestions],
        "matches": [{**_match_item(m, supplier, names), "comments": (comments or {}).get((TargetType.MATCH.value, m.id), [])}
                    for m, supplier in matches],
        "matching": outcome_view(lot),  # outcome, message, place used and where it came from, levers left
    }


def _decision_fields(row, names: dict) -> dict:
    return {
        "decision": row.decision,
        "decision_label": Decision(row.decision).label,
        "version": row.version,
        "decided_by": names.get(row.decided_by),
        "decided_at": row.decided_at,
    }


def _suggestion_item(s: SuggestionRow, names: dict) -> dict:
    status = SuggestionStatus(s.status)
    payload = asdict(StoredSuggestion.from_json(s.payload_json))
    return {
        "id": s.id,
        "lever_id": s.lever_id,
        "score": s.score,
        "status": status.value,
        "status_label": status.label,
        **_decision_fields(s, names),
        **payload,
    }


def _match_item(m: MatchRow, supplier: SupplierRow, names: dict) -> dict:
    return {
        "id": m.id,
        "rank": m.rank,
        "score": m.score,
        "confidence": m.confidence,
        "distance_km": m.distance_km,
        "explanation": m.explanation,
        "lever_id": m.lever_id,
        **_decision_fields(m, names),
        "supplier": {
            "siret": supplier.siret,
            "name": supplier.name,
            "kinds": supplier.kinds,
            "demo": supplier.demo,
            "commune": supplier.commune_name,
            "latitude": supplier.latitude,
            "longitude": supplier.longitude,
        },
    }
