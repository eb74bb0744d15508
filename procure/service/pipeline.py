"""The analysis of a stored tender: read its files, suggest clauses, rank suppliers, store a new version.

One analysis at a time per tender: a lease (`tenders.analysing_since`) refuses a second run while the first
is going, and the new version is written only if nobody wrote one meanwhile (version check), so that two
analyses can never both write version N+1. Decisions of the previous version carry over.
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
from procure.service import access
from procure.service.access import Actor
from procure.service.accounts import now
from procure.service.schema import Decision, StoredSuggestion, SuggestionStatus, TargetType
from procure.service.tenders import Tenders, tender_for

MATCHES_PER_LOT = 10


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
            advice = self._advise(tender, self.tenders.buyer_category(actor, tender_id))
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

    def _advise(self, tender, category: str | None = None):
        from procure.advice.suggest import suggest
        from procure.market.similar import ContractRepository, SimilarIndex, add_similar_evidence

        advice = suggest(tender, category=category)  # the user's choice, when made, over the extracted category
        contracts = ContractRepository(self.sessions).frame()
        if not contracts.empty:
            add_similar_evidence(advice, SimilarIndex(contracts))
        return advice

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
        previous = _decisions(session, row.id, claimed)
        version = claimed + 1
        # The WHERE on the version makes the write atomic even if a lease expired under a very slow run.
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
        row.analysis_json = json.dumps(tender.to_dict(), ensure_ascii=False)
        row.analysed_at = now()
        if tender.reference:
            row.reference = str(tender.reference.value)[:100]
        if tender.object and row.title.startswith("Consultation"):
            row.title = str(tender.object.value)[:500]
        problems = _store_problems(session, row.id, tender)
        supplier_ids = dict(session.execute(select(SupplierRow.siret, SupplierRow.id)).all())
        counts = [0, 0]
        for lot_advice in advice.lots:
            stored = _store_lot(session, row.id, version, lot_advice, index, supplier_ids, previous, tender)
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


def _store_lot(session, tender_id, version, lot_advice, index, supplier_ids, previous, tender=None) -> tuple[int, int]:
    from procure.matching.match import LotQuery

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
        _carry_over(row, previous.get((TargetType.SUGGESTION, lot.number, suggestion.lever_id)))
        session.add(row)
    if index is None:
        return len(lot_advice.suggestions), 0
    lever = matching_lever(lot_advice)
    # Place from the lot, else the tender, else the buyer; only credible structures (forte / plausible) are kept.
    result = index.match(LotQuery.from_lot(lot, lever, tender=tender), top=MATCHES_PER_LOT)
    for rank, match in enumerate(result.credible, 1):
        row = MatchRow(
            lot_id=lot_row.id,
            supplier_id=supplier_ids[match.supplier.siret],
            lever_id=lever,
            rank=rank,
            score=match.score,
            distance_km=match.distance_km,
            explanation=match.explanation_fr,
        )
        _carry_over(row, previous.get((TargetType.MATCH, lot.number, match.supplier.siret)))
        session.add(row)
    return len(lot_advice.suggestions), len(result.credible)


def _carry_over(row, decision: tuple[str, int | None, datetime | None] | None) -> None:
    row.decision, row.version = Decision.PENDING.value, 1
    if decision:
        row.decision, row.decided_by, row.decided_at = decision


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
    levers = {s.lever_id: s for s in lot_advice.suggestions}
    for lever_id, suggestion in levers.items():
        if lever_id.startswith("reserved_") and SuggestionStatus.parse(suggestion.status) is SuggestionStatus.PRESENT:
            return lever_id
    return "insertion_clause" if "insertion_clause" in levers else None
