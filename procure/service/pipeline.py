"""The analysis of a stored tender: read its files, suggest clauses, rank suppliers, store a new version.

One analysis at a time per tender: a lease (`tenders.analysing_since`) refuses a second run while the first
is going, and the new version is written only if nobody wrote one meanwhile (version check), so that two
analyses can never both write version N+1. The run beats a heartbeat (`tenders.analysis_heartbeat`, with its
step and fraction) at every page and step: a lease whose heartbeat is older than
`PROCURE_ANALYSIS_HEARTBEAT_SECONDS` belongs to a dead run and is taken over, so a killed analysis no longer
blocks its tender for the whole lease. Decisions of the previous version carry over, and so does a place of
execution the user typed for a lot. `set_lot_place` re-matches one lot of the current version from such a place.

Nothing after the reading takes the analysis down with it: the advice, the comparable contracts and the matching
of each lot fail alone, with a French message kept in the stored analysis (`step_problems`) and in
`AnalysisResult.step_problems`, the rest stored as usual. A dossier of which no piece could be read gives no lot
and no proposal. Analyses started from the app run in a worker process (`procure.service.jobs`); this module is
the synchronous path they, the command line and the tests share.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from procure import settings
from procure.db.models import DocumentRow, LotRow, MatchRow, SuggestionRow, SupplierRow, TenderRow
from procure.errors import ProcureError
from procure.service import access, lot_matching
from procure.service.access import Actor
from procure.service.accounts import now
from procure.service.lot_matching import MATCHES_PER_LOT, carry_over, lever_for
from procure.service.schema import (
    Decision,
    MatchOutcome,
    PlaceSource,
    StoredAnalysis,
    StoredSuggestion,
    SuggestionStatus,
    TargetType,
)
from procure.service.tenders import Tenders, tender_for

__all__ = ["MATCHES_PER_LOT", "AnalysisConflict", "AnalysisResult", "Pipeline", "Progress", "matching_lever"]

logger = logging.getLogger(__name__)

NOTHING_READ_FR = ("Aucune pièce lisible : aucun lot ni aucune proposition ne peut être tiré du dossier. "
                   "Remplacez les pièces signalées illisibles, puis relancez l'analyse.")
BEAT_SECONDS = 0.5  # at most two heartbeat writes a second


class AnalysisConflict(Exception):
    """Another analysis of the same tender runs or has just written a new version; the message is French."""


@dataclass(frozen=True)
class AnalysisResult:
    tender_id: int
    version: int
    advice: object  # procure.advice.suggest.Advice, or a bare stand-in (lots, alerts) when the advice failed
    lots: int
    suggestions: int
    matches: int
    problems: dict[str, str]  # file name -> French message, for the files that could not be read
    step_problems: list[str] = field(default_factory=list)  # French: a step after the reading that failed alone


Progress = Callable[[float, str], None]


def heartbeat_seconds() -> int:
    return settings.get_int("PROCURE_ANALYSIS_HEARTBEAT_SECONDS")


def _reason(error: BaseException) -> str:
    """A French reason for a step's failure: procure's own message, else the kind of error (for the maintainers)."""
    if isinstance(error, ProcureError):
        return error.message_fr
    return f"erreur interne ({type(error).__name__}), à signaler"


@dataclass
class _BareLot:
    """A lot stored without advice (the advice step failed): its number, title, CPV, no suggestion."""

    lot: object
    cpv: str | None
    amount_ht: object = None
    suggestions: list = field(default_factory=list)
    alerts: list = field(default_factory=list)


@dataclass
class _BareAdvice:
    lots: list
    alerts: list = field(default_factory=list)


class _Heartbeat:
    """The run's progress: passed on to the caller, and written (throttled) beside the lease it belongs to."""

    def __init__(self, sessions: sessionmaker[Session], tender_id: int, lease: datetime, progress: Progress | None):
        self.sessions, self.tender_id, self.lease, self.progress = sessions, tender_id, lease, progress
        self.written, self.phase = 0.0, ""

    def __call__(self, fraction: float, text: str, force: bool = False) -> None:
        if self.progress:
            self.progress(fraction, text)
        moment = time.monotonic()
        phase = text.split(", page ")[0]  # a new file or step is written at once, its pages at most every BEAT_SECONDS
        if not force and phase == self.phase and moment - self.written < BEAT_SECONDS:
            return
        self.written, self.phase = moment, phase
        try:
            with self.sessions.begin() as session:
                session.execute(
                    update(TenderRow)
                    .where(TenderRow.id == self.tender_id, TenderRow.analysing_since == self.lease)
                    .values(analysis_heartbeat=now(), analysis_step=text[:500], analysis_fraction=float(fraction))
                    .execution_options(synchronize_session=False)
                )
        except SQLAlchemyError:  # a busy database must not stop the reading: the next beat will try again
            logger.info("heartbeat of tender %s not written", self.tender_id, exc_info=True)


class Pipeline:
    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions
        self.tenders = Tenders(sessions)

    def load_tender(self, actor: Actor, tender_id: int, progress: Progress | None = None):
        """Re-read the stored files into a Tender (the evidence needs the text, not a summary).

        `progress(fraction, text)` hears of every file and every PDF page ("Lecture de CCTP.pdf, page 3/40")."""
        from procure.extract import analyze
        from procure.ingest import pdf

        files = self.tenders.files(actor, tender_id)
        notify = progress or (lambda fraction, text: None)
        current = {"position": 0, "count": max(len(files), 1)}

        def on_file(position: int, count: int, name: str) -> None:
            current.update(position=position, count=max(count, 1))
            if name:
                notify(position / current["count"], f"Lecture de {name} ({position + 1}/{count})")

        def on_page(text: str, share: float) -> None:
            notify((current["position"] + share) / current["count"], text)

        with tempfile.TemporaryDirectory(prefix="procure-tender-") as folder:
            paths = []
            for index, (name, content) in enumerate(files):
                path = Path(folder) / f"piece-{index}"  # the user's name may not fit a file system (NUL, 300 bytes)
                path.write_bytes(content)
                paths.append((path, name))
            with pdf.reporting_pages(on_page):
                return analyze(paths, on_file)

    def analyse(self, actor: Actor, tender_id: int, progress: Progress | None = None) -> AnalysisResult:
        """(Re-)analyse a tender: lots, suggestions and matches of a new version; decisions carry over."""
        claimed, lease = self._claim(actor, tender_id)
        beat = _Heartbeat(self.sessions, tender_id, lease, progress)
        try:
            beat(0.1, "Lecture des documents…", force=True)
            tender = self.load_tender(actor, tender_id, lambda share, text: beat(0.1 + 0.39 * share, text))
            steps: list[str] = []
            if not any(document.blocks for document in tender.documents):
                advice = _BareAdvice([])  # nothing read: no lot, no proposal made from nothing
                steps.append(NOTHING_READ_FR)
            else:
                beat(0.5, "Suggestions de clauses…", force=True)
                advice = self._advise(tender, self.tenders.buyer_category(actor, tender_id),
                                      self.tenders.defence_security(actor, tender_id), steps)
            beat(0.7, "Recherche des structures inclusives…", force=True)
            index = self._supplier_index(steps) if advice.lots else None
            places = self._user_places(tender_id, claimed)
            found = self._match_lots(advice, tender, index, places, steps, beat)
            beat(0.95, "Enregistrement de l'analyse…", force=True)
            with self.sessions.begin() as session:
                result = self._store(session, actor, tender_id, claimed, tender, advice, _Matching(index, found, places),
                                     steps)
        finally:
            self._release(tender_id, lease)
        if progress:
            progress(1.0, "Analyse terminée.")
        return result

    # ------------------------------------------------------------------ one analysis at a time

    def _claim(self, actor: Actor, tender_id: int) -> tuple[int, datetime]:
        """The analysis version this run starts from, and its lease (the time it was taken).

        A lease is free when nobody holds it, when it is older than PROCURE_ANALYSIS_LEASE_MINUTES, or when its
        heartbeat is older than PROCURE_ANALYSIS_HEARTBEAT_SECONDS (its run died without releasing it)."""
        duration = timedelta(minutes=settings.get_int("PROCURE_ANALYSIS_LEASE_MINUTES"))
        silence = timedelta(seconds=heartbeat_seconds())
        with self.sessions.begin() as session:
            _, tender = tender_for(session, actor, tender_id, access.can_analyse)
            version = tender.analysis_version
            lease = now()
            claimed = session.execute(
                update(TenderRow)
                .where(TenderRow.id == tender_id)
                .where(or_(TenderRow.analysing_since.is_(None), TenderRow.analysing_since < lease - duration,
                           TenderRow.analysis_heartbeat.is_(None), TenderRow.analysis_heartbeat < lease - silence))
                .values(analysing_since=lease, analysis_heartbeat=lease)
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

    def _advise(self, tender, category: str | None = None, defence: bool | None = None, steps: list[str] | None = None):
        """The advice, then what comparable real contracts did; each fails alone with a French message in `steps`."""
        from procure.advice.advise import TenderAnswers, advise
        from procure.market.similar import add_similar_evidence, comparable_index

        steps = steps if steps is not None else []
        try:
            # The user's answers, when given, prevail over what the documents say (one use case: advice.advise).
            advice = advise(tender, TenderAnswers(category=category, defence=defence))
        except Exception as error:  # noqa: BLE001 - the reading is kept: lots without proposals
            logger.warning("advice of a tender failed", exc_info=True)
            steps.append(f"Propositions de clauses non calculées : {_reason(error)}. Les faits lus et les lots "
                         "sont conservés ; relancez l'analyse plus tard ou signalez le problème.")
            return _BareAdvice([_BareLot(lot, lot.cpv_codes[0].code if lot.cpv_codes else None) for lot in tender.lots])
        try:
            index = comparable_index(self.sessions)  # built once per version of the stored contracts, then kept
            if index is not None:
                add_similar_evidence(advice, index)
        except Exception as error:  # noqa: BLE001 - the proposals stand without their comparable contracts
            logger.warning("comparable contracts of a tender failed", exc_info=True)
            steps.append(f"Marchés comparables (DECP) non ajoutés aux propositions : {_reason(error)}.")
        return advice

    def _match_lots(self, advice, tender, index, places: dict[int, str], steps: list[str], beat) -> dict:
        """Lot number → its ranked structures (lot_matching.LotMatch), computed before the storing transaction
        (which stays short); a lot whose matching fails is stored without structures, with a French message."""
        found = {}
        for position, lot_advice in enumerate(advice.lots):
            number = lot_advice.lot.number
            beat(0.7 + 0.25 * position / max(len(advice.lots), 1),
                 f"Recherche des structures inclusives, lot {number} ({position + 1}/{len(advice.lots)})")
            try:
                found[number] = _find_matches(index, tender, lot_advice, places.get(number))
            except Exception as error:  # noqa: BLE001 - the other lots and the proposals are kept
                logger.warning("matching of lot %s failed", number, exc_info=True)
                steps.append(f"Lot {number} : recherche des structures inclusives impossible ({_reason(error)}) ; "
                             "indiquez le lieu d'exécution du lot ou relancez l'analyse.")
        return found

    def _user_places(self, tender_id: int, version: int) -> dict[int, str]:
        with self.sessions() as session:
            return _user_places(session, tender_id, version)

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

    def _supplier_index(self, steps: list[str] | None = None):
        """The directory's index, built once per version of the suppliers and contracts tables and kept
        (procure.matching.store): an upload no longer reloads the directory nor the DECP."""
        from procure.matching import store

        if steps is None:
            return store.supplier_index(self.sessions)
        try:
            return store.supplier_index(self.sessions)
        except Exception as error:  # noqa: BLE001 - then ranked on their activity and place alone
            logger.warning("supplier index with past contracts failed", exc_info=True)
            steps.append(f"Marchés passés des structures (DECP) non pris en compte dans leur classement : {_reason(error)}.")
            return store.supplier_index(self.sessions, with_awards=False)

    # ------------------------------------------------------------------ storing

    def _store(
        self, session: Session, actor: Actor, tender_id: int, claimed: int, tender, advice, matching: _Matching,
        steps: list[str] | None = None,
    ) -> AnalysisResult:
        from procure.service.jobs import JobStatus

        steps = list(steps or [])
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
        # The tender as read and the advice without its suggestions, versioned (service.schema.StoredAnalysis):
        # the outputs render it later without re-reading the files.
        row.analysis_json = StoredAnalysis.of(tender, advice, steps).to_json()
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
            number = lot_advice.lot.number
            found = matching.found.get(number)
            if found is not None and user_places.get(number) != matching.places.get(number):
                # A place typed for this lot while the documents were read: rank again from it.
                try:
                    found = _find_matches(matching.index, tender, lot_advice, user_places.get(number))
                except Exception as error:  # noqa: BLE001 - the lot is stored without structures
                    steps.append(f"Lot {number} : recherche des structures inclusives impossible ({_reason(error)}).")
                    found = None
            added = _store_lot(session, row.id, version, lot_advice, _LotMatching(supplier_ids, previous, found))
            counts = [counts[0] + added[0], counts[1] + added[1]]
        if row.analysis_state != JobStatus.QUEUED:  # a request queued meanwhile stays queued
            row.analysis_state = JobStatus.DONE.value
            row.analysis_step, row.analysis_fraction = "Analyse terminée.", 1.0
            row.analysis_error = "\n".join(steps)[:4000] or None  # with a state "done": reservations, not a failure
            row.analysis_heartbeat = now()
        return AnalysisResult(tender_id, version, advice, len(advice.lots), counts[0], counts[1], problems, steps)


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
class _Matching:
    """The structures ranked before storing: the index, lot number → LotMatch, and the user places they used."""

    index: object | None  # procure.matching.match.SupplierIndex; None when no supplier is imported
    found: dict
    places: dict[int, str]


@dataclass(frozen=True)
class _LotMatching:
    """What storing a lot's matches needs: the suppliers, the previous decisions, the lot's ranked structures."""

    supplier_ids: dict[str, int]
    previous: dict
    found: object | None  # lot_matching.LotMatch; None when the matching of this lot failed


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


def _find_matches(index, tender, lot_advice, user_place: str | None):
    """Rank the suppliers for the lot (place from the lot, else the tender, else the buyer, unless the user gave
    one): a lot_matching.LotMatch."""
    lever = matching_lever(lot_advice)
    query, source = lot_matching.analysis_query(lot_advice.lot, lever, tender, user_place)
    return lot_matching.match_lot(index, query, source)


def _store_matches(session, lot_row: LotRow, lot_advice, matching: _LotMatching) -> int:
    """Keep the credible structures (forte / plausible) and record the outcome on the lot."""
    found = matching.found
    if found is None:
        return 0
    lot_matching.record_outcome(lot_row, found)
    number = lot_advice.lot.number
    decisions = {key[2]: value for key, value in matching.previous.items() if key[:2] == (TargetType.MATCH, number)}
    return lot_matching.add_matches(session, lot_row, matching_lever(lot_advice), found.credible, matching.supplier_ids,
                                    decisions)


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
