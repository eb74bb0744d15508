"""Figures of the tenders an actor may see: lots, amounts, levers suggested, accepted, present; hours."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from procure.db.models import LotRow, MatchRow, SuggestionRow, TenderRow
from procure.service import access
from procure.service.access import Actor
from procure.service.accounts import resolve
from procure.service.schema import Decision, StoredSuggestion, SuggestionStatus


class Dashboard:
    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def dashboard(self, actor: Actor) -> dict:
        with self.sessions() as session:
            actor = resolve(session, actor)
            tenders = session.scalars(select(TenderRow).where(access.visible_clause(actor))).all()
            latest = {t.id: t.analysis_version for t in tenders}
            lots = [
                lot
                for lot in session.scalars(select(LotRow).where(LotRow.tender_id.in_(latest)))
                if lot.analysis_version == latest[lot.tender_id]
            ]
            lot_ids = [lot.id for lot in lots]
            suggestions = session.scalars(select(SuggestionRow).where(SuggestionRow.lot_id.in_(lot_ids))).all()
            accepted_matches = session.scalar(
                select(func.count(MatchRow.id)).where(
                    MatchRow.lot_id.in_(lot_ids), MatchRow.decision == Decision.ACCEPTED.value
                )
            )
        by_lever: dict[str, dict[str, int]] = {}
        hours = 0
        for s in suggestions:
            entry = by_lever.setdefault(s.lever_id, {"suggested": 0, "accepted": 0, "rejected": 0, "present": 0})
            entry["suggested"] += 1
            entry["present"] += SuggestionStatus(s.status) is SuggestionStatus.PRESENT
            if s.decision in (Decision.ACCEPTED, Decision.REJECTED):
                entry[s.decision] += 1
            if s.lever_id == "insertion_clause" and s.decision == Decision.ACCEPTED:
                stored = StoredSuggestion.from_json(s.payload_json)
                hours += stored.hours.hours if stored.hours else 0
        return {
            "tenders": len(tenders),
            "lots": len(lots),
            "amount_ht": sum(lot.amount_ht or 0 for lot in lots),
            "by_lever": by_lever,
            "accepted_insertion_hours": hours,
            "accepted_matches": accepted_matches or 0,
        }
