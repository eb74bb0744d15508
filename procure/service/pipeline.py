"""The analysis of a stored tender: read its files, suggest clauses, rank suppliers, store a new version.

One analysis at a time per tender: a lease (`tenders.analysing_since`) refuses a second run while the first
is going, and the new version is written only if nobody wrote one meanwhile (version check), so that two
analyses can never both write version N+1. Decisions of the previous version carry over, and so does a place of
execution the user typed for a lot. `set_lot_place` re-matches one lot of the current version from such a place.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from procure import settings
from procure.db.models import DocumentRow, LotRow, MatchRow, SuggestionRow, SupplierRow, TenderRow
from procure.errors import ProcureError
from procure.service import access, lot_matching
from procure.service.access import Actor
from procure.service.accounts import now
from procure.service.lot_matching import MATCHES_PER_LOT, carry_over, lever_for
from procure.service.schema import Decision, MatchOutcome, PlaceSource, StoredSuggestion, SuggestionStatus, TargetType
from procure.service.tenders import Tenders, tender_for

__all__ = ["MATCHES_PER_LOT", "AnalysisConflict", "AnalysisResult", "Pipeline", "Progress", "matching_lever"]


class AnalysisConflict(Exception):
    """Another analysis of the same tender runs or has just written a new version; the message is French."""


@dataclass(frozen=True)
class AnalysisResult:
    tender_id: int
    version: int
    advice: object  # procure.advice.suggest.Advice
    lots: int
    suggestions: int
    matches: int
    problems: dict[str, str]  # file name -> French message, for the files that could not be read


Progress = Callable[[float, str], None]


class Pipeline:
    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions
        self.tenders = Tenders(sessions)

    def load_tender(self, actor: Actor, tender_id: int):
        """Re-read the stored files into a Tender (the evidence needs the text, not a summary)."""
        from procure.extract import analyze

        files = self.tenders.files(actor, tender_id)
        with tempfile.TemporaryDirectory(prefix="procure-tender-") as folder:
            paths = []
            for index, (name, content) in enumerate(files):
                path = Path(folder) / f"piece-{index}"  # the user's name may not fit a file system (NUL, 300 bytes)
                path.write_bytes(content)
                paths.append((path, name))
            return analyze(paths)

    def analyse(self, actor: Actor, tender_id: int, progress: Progress | None = None) -> AnalysisResult:
        """(Re-)analyse a tender: lots, suggestions and matches of a new version; decisions carry over."""
        notify = progress or (lambda fraction, text: None)
        claimed, lease = self._claim(actor, tender_id)
        try:
            notify(0.1, "Lecture des documents…")
            tender = self.load_tender(actor, tender_id)
            notify(0.5, "Suggestions de clauses…")
            advice = self._advise(tender, self.tenders.buyer_category(actor, tender_id),
                                  self.tenders.defence_security(actor, tender_id))
            notify(0.7, "Recherche des structures inclusives…")
            index = self._supplier_index()
            with self.sessions.begin() as session:
                result = self._store(session, actor, tender_id, claimed, tender, advice, index)
        finally:
            self._release(tender_id, lease)
        notify(1.0, "Analyse terminée.")
        return result

    # ------------------------------------------------------------------ one analysis at a time

    def _claim(self, actor: Actor, tender_id: int) -> tuple[int, datetime]:
        """The analysis version this run starts from, and its lease (the time it was taken)."""
        duration = timedelta(minutes=settings.get_int("PROCURE_ANALYSIS_LEASE_MINUTES"))
        with self.sessions.begin() as session:
            _, tender = tender_for(session, actor, tender_id, access.can_analyse)
            version = tender.analysis_version
            lease = now()
            claimed = session.execute(
                update(TenderRow)
                .where(TenderRow.id == tender_id)
                .where(or_(TenderRow.analysing_since.is_(None), TenderRow.analysing_since < lease - duration))
                .values(analysing_since=lease)
                .execution_options(synchronize_session=False)  # naive SQLite datetimes cannot be evaluated in Python
            )
            if claimed.rowcount != 1:
                raise AnalysisConflict(
                    "Une analyse de cette consultation est déjà en cours : attendez qu'elle se termine, "
                    "puis rechargez la page."
                )
            return version, lease

    def _release(self, tender_id: int, lease: datetime) -> None:
        """Free the tender, unless a later run took over an expired lease: its lease is not ours to free."""
        with self.sessions.begin() as session:
            release = (
                update(TenderRow)
                .where(TenderRow.id == tender_id, TenderRow.analysing_since == lease)
                .values(analysing_since=None)
            )
            session.execute(release.execution_options(synchronize_session=False))

    # ------------------------------------------------------------------ computing

    def _advise(self, tender, category: str | None = None, defence: bool | None = None):
        from procure.advice.advise import TenderAnswers, advise
        from procure.market.similar import ContractRepository

        # The user's answers, when given, prevail over what the documents say (one use case: advice.advise).
        return advise(tender, TenderAnswers(category=category, defence=defence), ContractRepository(self.sessions).frame())

    # ------------------------------------------------------------------ the place of one lot

    def set_lot_place(self, actor: Actor, tender_id: int, lot_number: int, text: str) -> MatchOutcome:
        """The place of execution of a lot, typed by the user (commune, department or "national"): the lot is
        matched again from it on the current analysis; decisions on structures still found are kept. A text that
        is not recognised is refused with a French message and changes nothing."""
        with self.sessions() as session:
            _, tender = tender_for(session, actor, tender_id, access.can_analyse)
            version, lot_row = tender.analysis_version, _current_lot(session, tender, lot_number)
            place = lot_matching.require_user_place(text)
            query = lot_matching.stored_query(json.loads(tender.analysis_json or "{}"), lot_row, _stored_lever(session, lot_row))
            lot_id = lot_row.id
        query.set_place(place)
        found = lot_matching.match_lot(self._supplier_index(), query, PlaceSource.USER)
        with self.sessions.begin() as session:
            _, tender = tender_for(session, actor, tender_id, access.can_analyse)
            if tender.analysis_version != version:
                raise AnalysisConflict("La consultation vient d'être analysée de nouveau : rechargez la page, "
                                       "puis indiquez le lieu.")
            lot_row = session.get(LotRow, lot_id)
            supplier_ids = dict(session.execute(select(SupplierRow.siret, SupplierRow.id)).all())
            lot_matching.replace_matches(session, lot_row, query.lever, found.credible, supplier_ids)
            lot_matching.record_outcome(lot_row, found)
        return found.outcome

    def _supplier_index(self):
        from procure.directory.suppliers import SupplierRepository
        from procure.market.similar import ContractRepository
        from procure.matching.match import SupplierIndex

        suppliers = SupplierRepository(self.sessions).all()
        if not suppliers:
            return None
        contracts = ContractRepository(self.sessions).frame()  # past awards: evidence of what a structure does
        return SupplierIndex(suppliers, contracts if not contracts.empty else None)

    # ------------------------------------------------------------------ storing

    def _store(
        self, session: Session, actor: Actor, tender_id: int, claimed: int, tender, advice, index
    ) -> AnalysisResult:
        _, row = tender_for(session, actor, tender_id, access.can_analyse)
        version = claimed + 1
        # The WHERE on the version makes the write atomic even if a lease expired under a very slow run.
        # It also locks the tender row before the decisions are read: a decision either commits before it
        # (and is carried over) or waits and is refused on the replaced version (review.Review.review).
        written = session.execute(
            update(TenderRow)
            .where(TenderRow.id == tender_id, TenderRow.analysis_version == claimed)
            .values(analysis_version=version)
        )
        if written.rowcount != 1:
            raise AnalysisConflict(
                "Une autre analyse de cette consultation vient d'être enregistrée : rechargez la page."
            )
        session.refresh(row)
        previous = _decisions(session, row.id, claimed)
        row.analysis_json = json.dumps(tender.to_dict(), ensure_ascii=False)
        row.analysed_at = now()
        if tender.reference:
            row.reference = str(tender.reference.value)[:100]
        if tender.object and row.title.startswith("Consultation"):
            row.title = str(tender.object.value)[:500]
        problems = _store_problems(session, row.id, tender)
        supplier_ids = dict(session.execute(select(SupplierRow.siret, SupplierRow.id)).all())
        user_places = _user_places(session, row.id, claimed)
        counts = [0, 0]
        for lot_advice in advice.lots:
            matching = _LotMatching(index, supplier_ids, previous, tender, user_places.get(lot_advice.lot.number))
            stored = _store_lot(session, row.id, version, lot_advice, matching)
            counts = [counts[0] + stored[0], counts[1] + stored[1]]
        return AnalysisResult(tender_id, version, advice, len(advice.lots), counts[0], counts[1], problems)


def _store_problems(session: Session, tender_id: int, tender) -> dict[str, str]:
    problems = {p.file: p.message for p in tender.problems}
    types = {d.file: d.doc_type for d in tender.documents}
    for document in session.scalars(select(DocumentRow).where(DocumentRow.tender_id == tender_id)):
        document.problem = problems.get(document.filename)
        document.doc_type = types.get(document.filename)
    return problems


def _commune_insee(lot) -> str | None:
    """The INSEE code of a lot's place: a procure.model.Place with one commune, or a legacy Commune."""
    value = lot.place.value if lot.place else None
    commune = getattr(value, "commune", None)  # Place
    if commune is None and hasattr(value, "insee"):  # Commune
        commune = value
    insee = getattr(commune, "insee", None)
    return insee if isinstance(insee, str) else None


@dataclass(frozen=True)
class _LotMatching:
    """What storing a lot's matches needs: the suppliers, the previous decisions, the tender, the user's place."""

    index: object | None  # procure.matching.match.SupplierIndex; None when no supplier is imported
    supplier_ids: dict[str, int]
    previous: dict
    tender: object | None = None
    user_place: str | None = None  # code of a place the user typed for this lot at the previous version


def _store_lot(session, tender_id, version, lot_advice, matching: _LotMatching) -> tuple[int, int]:
    lot = lot_advice.lot
    lot_row = LotRow(
        tender_id=tender_id,
        analysis_version=version,
        number=lot.number,
        title=lot.title.value if lot.title else None,
        cpv=lot_advice.cpv,
        amount_ht=float(lot_advice.amount_ht) if lot_advice.amount_ht is not None else None,
        commune_insee=_commune_insee(lot),
    )
    session.add(lot_row)
    session.flush()
    for suggestion in lot_advice.suggestions:
        row = SuggestionRow(
            lot_id=lot_row.id,
            lever_id=suggestion.lever_id,
            score=suggestion.score,
            status=SuggestionStatus.parse(suggestion.status).value,
            payload_json=StoredSuggestion.from_suggestion(suggestion).to_json(),
        )
        carry_over(row, matching.previous.get((TargetType.SUGGESTION, lot.number, suggestion.lever_id)))
        session.add(row)
    return len(lot_advice.suggestions), _store_matches(session, lot_row, lot_advice, matching)


def _store_matches(session, lot_row: LotRow, lot_advice, matching: _LotMatching) -> int:
    """Rank the suppliers for the lot (place from the lot, else the tender, else the buyer, unless the user gave
    one), keep the credible ones (forte / plausible) and record the outcome on the lot."""
    lever = matching_lever(lot_advice)
    query, source = lot_matching.analysis_query(lot_advice.lot, lever, matching.tender, matching.user_place)
    found = lot_matching.match_lot(matching.index, query, source)
    lot_matching.record_outcome(lot_row, found)
    number = lot_advice.lot.number
    decisions = {key[2]: value for key, value in matching.previous.items() if key[:2] == (TargetType.MATCH, number)}
    return lot_matching.add_matches(session, lot_row, lever, found.credible, matching.supplier_ids, decisions)


def _current_lot(session: Session, tender: TenderRow, number: int) -> LotRow:
    lot = session.scalar(select(LotRow).where(LotRow.tender_id == tender.id, LotRow.number == number,
                                              LotRow.analysis_version == tender.analysis_version))
    if lot is None:
        raise ProcureError(f"Le lot {number} n'existe pas dans l'analyse actuelle de la consultation : rechargez la page.")
    return lot


def _stored_lever(session: Session, lot_row: LotRow) -> str | None:
    return lever_for(session.execute(select(SuggestionRow.lever_id, SuggestionRow.status)
                                     .where(SuggestionRow.lot_id == lot_row.id)).all())


def _user_places(session: Session, tender_id: int, version: int) -> dict[int, str]:
    """Lot number → code of the place the user typed for it at an analysis version."""
    rows = session.execute(select(LotRow.number, LotRow.match_place_code).where(
        LotRow.tender_id == tender_id, LotRow.analysis_version == version,
        LotRow.match_place_source == PlaceSource.USER.value, LotRow.match_place_code.is_not(None)))
    return dict(rows.all())


def _decisions(session: Session, tender_id: int, version: int) -> dict:
    """Decisions taken on an analysis version, keyed by what survives a re-analysis (lot number, lever or SIRET)."""
    found = {}
    lots = {
        lot.id: lot.number
        for lot in session.scalars(
            select(LotRow).where(LotRow.tender_id == tender_id, LotRow.analysis_version == version)
        )
    }
    if not lots:
        return found
    for s in session.scalars(select(SuggestionRow).where(SuggestionRow.lot_id.in_(lots))):
        if s.decision != Decision.PENDING:
            found[(TargetType.SUGGESTION, lots[s.lot_id], s.lever_id)] = (s.decision, s.decided_by, s.decided_at)
    query = select(MatchRow, SupplierRow.siret).join(SupplierRow, SupplierRow.id == MatchRow.supplier_id)
    for m, siret in session.execute(query.where(MatchRow.lot_id.in_(lots))):
        if m.decision != Decision.PENDING:
            found[(TargetType.MATCH, lots[m.lot_id], siret)] = (m.decision, m.decided_by, m.decided_at)
    return found


def matching_lever(lot_advice) -> str | None:
    """A lot already reserved admits only its kinds; otherwise an insertion clause orients the ranking."""
    return lever_for((s.lever_id, s.status) for s in lot_advice.suggestions)
