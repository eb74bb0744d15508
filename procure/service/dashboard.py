"""Figures of the tenders an actor may see: lots, amounts, levers suggested, accepted, present; hours.

Archived and deleted tenders are left out. The insertion hours are counted as the practice export counts them
(procure.market.practice.lot_facts, column « Heures d'insertion prévues »): for a clause already in the tender,
the hours its documents state (none when they state none), never the volume procure computed for it; for a
clause procure proposed and the group accepted, the computed volume. The headline figure and the export's
column are then one sum (walkthrough B23: 29 306 h shown, 0 h exported).
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from procure.db.models import LotRow, MatchRow, SuggestionRow, TenderRow
from procure.service import access
from procure.service.access import Actor
from procure.service.accounts import resolve
from procure.service.schema import Decision, StoredSuggestion, SuggestionStatus
from procure.service.tenders import live_clause

# DECP buyer names published as accounting labels or codes ("09", "01 BUDGET PRINCIPAL", "2019-BUDGET PRINCIPAL"):
# they name no buyer a user could recognise, so the dashboard sets them apart under one label.
UNUSABLE_BUYER_FR = "Nom d'acheteur inexploitable (DECP)"
_ACCOUNTING_WORDS = {"budget", "budgets", "budgetaire", "principal", "principale", "principa", "princip", "prin",
                     "annexe", "exercice", "bp", "ba", "achats", "internes", "eau"}


def buyer_name_usable(name: object) -> bool:
    """Whether a published buyer name names someone: a word of two letters or more besides accounting labels.

    >>> [buyer_name_usable(n) for n in ("09", "01 BUDGET PRINCIPAL", "13 HABITAT", "SM3A", "Budget principal")]
    [False, False, True, True, False]
    """
    if not isinstance(name, str):
        return False
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = [w for w in re.findall(r"[a-z]+", plain) if w not in _ACCOUNTING_WORDS]
    return any(len(w) >= 2 for w in words)


class Dashboard:
    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def dashboard(self, actor: Actor) -> dict:
        from procure.market.practice import lot_facts

        with self.sessions() as session:
            actor = resolve(session, actor)
            tenders = session.scalars(select(TenderRow).where(access.visible_clause(actor), live_clause())).all()
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
        accepted_hours = stated_hours = present_without_hours = 0
        for s in suggestions:
            entry = by_lever.setdefault(s.lever_id, {"suggested": 0, "accepted": 0, "rejected": 0, "present": 0})
            entry["suggested"] += 1
            present = SuggestionStatus(s.status) is SuggestionStatus.PRESENT
            entry["present"] += present
            if s.decision in (Decision.ACCEPTED, Decision.REJECTED):
                entry[s.decision] += 1
            if s.lever_id != "insertion_clause":
                continue
            stored = StoredSuggestion.from_json(s.payload_json)
            # The tender's own clause counts the hours it states, never procure's estimate for it.
            hours = (stored.existing_hours or 0) if present else (stored.hours.hours if stored.hours else 0)
            if present:
                stated_hours += hours
                present_without_hours += not stored.existing_hours
            if s.decision == Decision.ACCEPTED:
                accepted_hours += hours
        facts = lot_facts(self.sessions, list(latest)) if latest else None
        planned = int(facts["insertion_hours"].sum()) if facts is not None and not facts.empty else 0
        return {
            "tenders": len(tenders),
            "lots": len(lots),
            "amount_ht": sum(lot.amount_ht or 0 for lot in lots),
            "by_lever": by_lever,
            # The export's « Heures d'insertion prévues », summed over the same lots.
            "planned_insertion_hours": planned,
            # Clauses the group accepted: a present clause with the hours it states, a proposal with procure's volume.
            "accepted_insertion_hours": accepted_hours,
            "stated_insertion_hours": stated_hours,  # written in the tenders' own clauses
            "present_clauses_without_hours": present_without_hours,
            "accepted_matches": accepted_matches or 0,
        }
