"""Working-group review: decisions on suggestions and matches, optimistic locking, audit trail.

A decision carries the version the user saw: two reviewers never overwrite each other silently. A decision
is taken only on the current analysis: on an item of an older version it is refused with a French message
(it would otherwise be stored and never shown again).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from procure.db.models import LotRow, MatchRow, ReviewEvent, SuggestionRow, SupplierRow, TenderRow, User
from procure.errors import ProcureError
from procure.service import access
from procure.service.access import AccessDenied, Actor
from procure.service.accounts import now, resolve
from procure.service.lot_matching import outcome_view
from procure.service.schema import (
    Action,
    Decision,
    Keyed,
    Role,
    StoredAnalysis,
    StoredSuggestion,
    SuggestionStatus,
    TargetType,
    read_analysis,
)
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


# ---------------------------------------------------------------------------------------------- the views

@dataclass(frozen=True)
class CommentView(Keyed):
    """A working-group comment on an item: who, when, with which action."""

    who: str | None
    when: datetime | None
    action: str
    comment: str


@dataclass(frozen=True)
class SuggestionView(Keyed):
    """A stored suggestion with its decision; its stored content is `payload` (service.schema.StoredSuggestion)."""

    id: int
    lever_id: str
    score: float
    status: str  # SuggestionStatus code
    status_label: str
    decision: str  # Decision code
    decision_label: str
    version: int
    decided_by: str | None
    decided_at: datetime | None
    payload: StoredSuggestion
    comments: list[CommentView] = field(default_factory=list)

    def __getitem__(self, key: str):
        if key in self.__dataclass_fields__ and key != "payload":
            return getattr(self, key)
        if key in StoredSuggestion.__dataclass_fields__:  # the stored content, as its JSON form reads
            return asdict(self.payload)[key]
        raise KeyError(key)

    def as_dict(self) -> dict:
        """The suggestion as one flat dict (decision fields and stored content), as the annex renders payloads."""
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__ if name not in ("payload", "comments")}
        return {**fields, **asdict(self.payload), "comments": list(self.comments)}


@dataclass(frozen=True)
class SupplierView(Keyed):
    siret: str
    name: str
    kinds: str | None
    demo: bool
    commune: str | None
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class MatchView(Keyed):
    """A structure ranked for a lot, with its decision."""

    id: int
    rank: int
    score: float
    confidence: str
    distance_km: float | None
    explanation: str
    lever_id: str | None
    decision: str
    decision_label: str
    version: int
    decided_by: str | None
    decided_at: datetime | None
    supplier: SupplierView
    comments: list[CommentView] = field(default_factory=list)


@dataclass(frozen=True)
class LotView(Keyed):
    id: int
    number: int
    title: str | None
    cpv: str | None
    amount_ht: float | None
    suggestions: list[SuggestionView]
    matches: list[MatchView]
    matching: dict  # outcome, message, place used and where it came from, levers left (lot_matching.outcome_view)


@dataclass(frozen=True)
class TenderView(Keyed):
    id: int
    title: str
    reference: str | None
    version: int
    shared: bool
    analysis: StoredAnalysis | None  # None: never analysed


@dataclass(frozen=True)
class ReviewItems(Keyed):
    """The latest analysis of a tender as the review shows it: the tender and its lots with their decisions."""

    tender: TenderView
    lots: list[LotView]

    def suggestions(self) -> list[SuggestionView]:
        return [s for lot in self.lots for s in lot.suggestions]

    def matches(self) -> list[MatchView]:
        return [m for lot in self.lots for m in lot.matches]


@dataclass(frozen=True)
class HistoryRow(Keyed):
    """One event of the audit trail (review_events)."""

    when: datetime
    who: str
    action: str
    action_label: str
    target_type: str
    target_id: int
    comment: str | None
    version: int
    analysis_version: int | None


NOT_ANALYSED_FR = "La consultation n'a pas encore été analysée : lancez l'analyse avant de produire ce document."


def stored_analysis_of(items: ReviewItems) -> StoredAnalysis:
    """The stored analysis of the items, or a French refusal when the tender was never analysed."""
    if items.tender.analysis is None:
        raise ProcureError(NOT_ANALYSED_FR)
    return items.tender.analysis


class Review:
    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def review_items(self, actor: Actor, tender_id: int) -> ReviewItems:
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
            view = TenderView(tender.id, tender.title, tender.reference, tender.analysis_version,
                              tender.shared_with_group, read_analysis(tender.analysis_json))
            return ReviewItems(view, [_lot_items(session, lot, names, comments) for lot in lots])

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

    def history(self, actor: Actor, tender_id: int) -> list[HistoryRow]:
        with self.sessions() as session:
            _, tender = tender_for(session, actor, tender_id)
            query = (
                select(ReviewEvent, User.display_name)
                .join(User, User.id == ReviewEvent.user_id)
                .where(ReviewEvent.tender_id == tender.id)
                .order_by(ReviewEvent.created_at, ReviewEvent.id)
            )
            return [
                HistoryRow(e.created_at, name, e.action, Action(e.action).label, e.target_type, e.target_id, e.comment,
                           e.target_version, e.analysis_version)
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


def _comments(session: Session, tender_id: int, names: dict) -> dict[tuple[str, int], list[CommentView]]:
    """The working group's comments on each item, oldest first: who, when, with which action (for the annex)."""
    events = session.scalars(
        select(ReviewEvent)
        .where(ReviewEvent.tender_id == tender_id, ReviewEvent.comment.is_not(None))
        .order_by(ReviewEvent.created_at, ReviewEvent.id)
    )
    comments: dict[tuple[str, int], list[CommentView]] = {}
    for event in events:
        comments.setdefault((event.target_type, event.target_id), []).append(
            CommentView(names.get(event.user_id), event.created_at, event.action, event.comment))
    return comments


def _lot_items(session: Session, lot: LotRow, names: dict, comments: dict | None = None) -> LotView:
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
    comments = comments or {}
    return LotView(
        lot.id, lot.number, lot.title, lot.cpv, lot.amount_ht,
        [_suggestion_item(s, names, comments.get((TargetType.SUGGESTION.value, s.id), [])) for s in suggestions],
        [_match_item(m, supplier, names, comments.get((TargetType.MATCH.value, m.id), [])) for m, supplier in matches],
        outcome_view(lot),  # outcome, message, place used and where it came from, levers left
    )


def _decision_fields(row, names: dict) -> dict:
    return {
        "decision": row.decision,
        "decision_label": Decision(row.decision).label,
        "version": row.version,
        "decided_by": names.get(row.decided_by),
        "decided_at": row.decided_at,
    }


def _suggestion_item(s: SuggestionRow, names: dict, comments: list[CommentView]) -> SuggestionView:
    status = SuggestionStatus(s.status)
    return SuggestionView(id=s.id, lever_id=s.lever_id, score=s.score, status=status.value, status_label=status.label,
                          **_decision_fields(s, names), payload=StoredSuggestion.from_json(s.payload_json),
                          comments=comments)


def _match_item(m: MatchRow, supplier: SupplierRow, names: dict, comments: list[CommentView]) -> MatchView:
    return MatchView(
        id=m.id, rank=m.rank, score=m.score, confidence=m.confidence, distance_km=m.distance_km,
        explanation=m.explanation, lever_id=m.lever_id, **_decision_fields(m, names),
        supplier=SupplierView(supplier.siret, supplier.name, supplier.kinds, supplier.demo, supplier.commune_name,
                              supplier.latitude, supplier.longitude),
        comments=comments,
    )
