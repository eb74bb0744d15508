"""Clause follow-up after award in the working space: commitments, monthly statements, alerts, yearly report.

The ledger's computations are `procure.followup` (pure domain); this module stores commitments and statements
(`followup_commitments`, `followup_statements`), checks who may do what (`service.access`: buyers their
organisation's lots, the facilitator the lots it was named for, the working group those of shared tenders) and
writes every commitment change and every statement added or corrected in the audit trail (`followup_events`,
with the figures before and after). `review_events` is the trail of decisions on an analysis: it needs a
tender and a signed-in user, which a commitment typed by hand or an import at the command line do not have.

A commitment taken from an analysis reads the insertion hours the tender states (per year or in total) or the
volume the working group accepted, the duration, the place (department, EPCI) and the trade; the penalty per
hour not done is searched in the tender's own documents, with the article and the passage as evidence.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path

from sqlalchemy import insert, outerjoin, select, update
from sqlalchemy.orm import Session, sessionmaker

from procure.db.models import (
    FollowupCommitment,
    FollowupEvent,
    FollowupStatement,
    LotRow,
    Organisation,
    SuggestionRow,
    TenderRow,
    User,
)
from procure.errors import ProcureError, shown
from procure.followup.model import Commitment, ContractType, PublicCategory, Route, Statement, first_of_month
from procure.service import access
from procure.service.access import AccessDenied, Actor
from procure.service.accounts import resolve
from procure.service.schema import Decision, Role, StoredSuggestion, SuggestionStatus
from procure.service.tenders import tender_for

MANUAL_SOURCE_FR = "saisie dans l'application"
_CHUNK = 500


class FollowupAction(StrEnum):
    COMMITMENT_CREATED = "commitment_created"
    COMMITMENT_CHANGED = "commitment_changed"
    STATEMENT_ADDED = "statement_added"
    STATEMENT_CORRECTED = "statement_corrected"

    @property
    def label(self) -> str:
        return {
            FollowupAction.COMMITMENT_CREATED: "a créé l'engagement",
            FollowupAction.COMMITMENT_CHANGED: "a modifié l'engagement",
            FollowupAction.STATEMENT_ADDED: "a ajouté le relevé",
            FollowupAction.STATEMENT_CORRECTED: "a corrigé le relevé",
        }[self]


# statement columns of the database, one per code of the domain enums
HOURS_COLUMNS = {route: f"hours_{route.value}" for route in Route}
PARTICIPANT_COLUMNS = {category: f"participants_{category.value}" for category in PublicCategory}
CONTRACT_COLUMNS = {kind: f"contracts_{kind.value}" for kind in ContractType}
for _column in (*HOURS_COLUMNS.values(), *PARTICIPANT_COLUMNS.values(), *CONTRACT_COLUMNS.values()):
    assert hasattr(FollowupStatement, _column), _column  # a new code of the domain needs its column (migration)

EDITABLE_FIELDS = ("key", "buyer_name", "lot_title", "holder_siret", "holder_name", "facilitator_organisation_id",
                   "start", "duration_months", "hours_total", "hours_per_year", "penalty_per_hour", "renewals_months",
                   "evidence", "department", "epci", "trade")


class CommitmentConflict(Exception):
    """Someone changed the commitment since the user loaded it (French message)."""


@dataclass(frozen=True)
class CommitmentView:
    """A stored commitment as the domain sees it, with what the service knows around it."""

    id: int
    commitment: Commitment
    organisation_id: int
    tender_id: int | None
    lot_number: int | None
    facilitator_organisation_id: int | None
    facilitator_name: str | None
    source: str
    version: int
    can_edit: bool
    can_enter_statements: bool


@dataclass
class AnalysisCommitments:
    """What `commitments_from_analysis` did: commitments created, lots left out (French reasons)."""

    created: list[CommitmentView] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@dataclass
class StatementImport:
    """An import or a typed statement: rows read, bad rows (French), statements added, corrected, unchanged."""

    name: str
    rows_read: int = 0
    problems: list = field(default_factory=list)  # procure.followup.statements.RowProblem
    added: int = 0
    corrected: int = 0
    unchanged: int = 0
    kept: list[str] = field(default_factory=list)

    def summary_fr(self) -> str:
        text = (f"« {self.name} » : {self.rows_read} ligne(s) lue(s) ; {self.added} relevé(s) ajouté(s), "
                f"{self.corrected} corrigé(s), {self.unchanged} inchangé(s)")
        if self.kept:
            text += f" ; {len(self.kept)} relevé(s) dont des chiffres déjà enregistrés sont conservés"
        if self.problems:
            text += f" ; {len(self.problems)} ligne(s) écartée(s)"
        return text + "."


@dataclass(frozen=True)
class _Facts:  # access.CommitmentFacts of a row
    organisation_id: int
    facilitator_organisation_id: int | None
    tender_shared: bool


def _now() -> datetime:
    return datetime.now(UTC)


def _user_id(actor: Actor) -> int | None:
    return actor.id  # None for the command line (SystemActor)


def _clean(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    value = " ".join(str(text).replace("\x00", "").split())
    return value[:limit] or None


# ---------------------------------------------------------------- conversions


def _renewals(row: FollowupCommitment) -> tuple[int, ...]:
    try:
        return tuple(int(m) for m in json.loads(row.renewals_json or "[]"))
    except (ValueError, TypeError):
        return ()


def to_commitment(row: FollowupCommitment) -> Commitment:
    return Commitment(
        key=row.key, buyer=row.buyer_name, lot_title=row.lot_title, holder_siret=row.holder_siret,
        holder_name=row.holder_name or "", facilitator=None, start=row.start, duration_months=row.duration_months,
        hours_total=row.hours_total, hours_per_year=row.hours_per_year,
        penalty_per_hour=Decimal(str(row.penalty_per_hour)).quantize(Decimal("0.01"))
        if row.penalty_per_hour is not None else None,
        renewals_months=_renewals(row), evidence=row.evidence, department=row.department, epci=row.epci,
        trade=row.trade)


def _statement_values(statement: Statement) -> dict:
    values: dict = {column: None for column in (*HOURS_COLUMNS.values(), *PARTICIPANT_COLUMNS.values(),
                                                  *CONTRACT_COLUMNS.values())}
    for route, hours in statement.hours.items():
        values[HOURS_COLUMNS[route]] = float(hours)
    for category, count in statement.participants.items():
        values[PARTICIPANT_COLUMNS[category]] = int(count)
    for kind, count in statement.contracts.items():
        values[CONTRACT_COLUMNS[kind]] = int(count)
    return values


def _statement(key: str, row) -> Statement:
    """A Statement from a followup_statements row (ORM row or mapping)."""
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    hours = {route: get(column) for route, column in HOURS_COLUMNS.items() if get(column) is not None}
    people = {c: get(column) for c, column in PARTICIPANT_COLUMNS.items() if get(column) is not None}
    contracts = {k: get(column) for k, column in CONTRACT_COLUMNS.items() if get(column) is not None}
    return Statement(commitment_key=key, month=get("month"), hours=hours, participants=people, contracts=contracts,
                     source=get("source") or "")


def _figures(statement: Statement) -> dict:
    """The figures of a statement as JSON for the audit trail (codes, given values only)."""
    return {"heures": {r.value: v for r, v in statement.hours.items()},
            "participants": {c.value: v for c, v in statement.participants.items()},
            "contrats": {k.value: v for k, v in statement.contracts.items()}}


def _overwritten(old: tuple[int, Statement] | None, new: Statement) -> Statement:
    if old is None:
        return new
    previous = old[1]
    return Statement(commitment_key=new.commitment_key, month=new.month, hours={**previous.hours, **new.hours},
                     participants={**previous.participants, **new.participants},
                     contracts={**previous.contracts, **new.contracts}, source=new.source)


def _same_figures(a: Statement, b: Statement) -> bool:
    def clean(values: dict) -> dict:
        return {k: v for k, v in values.items() if v}
    return (clean(a.hours) == clean(b.hours) and clean(a.participants) == clean(b.participants)
            and clean(a.contracts) == clean(b.contracts))


# ---------------------------------------------------------------- reading the analysis

_PENALTY_RE = re.compile(
    r"(\d{1,3}(?:[\s\u00a0\u202f.]\d{3})*(?:,\d{1,2})?|\d+(?:[.,]\d{1,2})?)\s*(?:€|euros?|EUR)\s*(?:H\.?T\.?\s*)?"
    r"(?:par|/|pour\s+chaque|pour\s+toute)\s*(?:heure|h\b)", re.IGNORECASE)
_ARTICLE_RE = re.compile(r"^\s*(?:article|art\.)\s*(\d+(?:[.\-]\d+)*|[IVX]+)\b[^\n]{0,90}", re.IGNORECASE)


def penalty_in(text: str) -> tuple[Decimal, str] | None:
    """The penalty per hour of insertion not done a sentence states: (euros, the sentence); None otherwise."""
    for sentence in re.split(r"(?<=[.;!?])\s+", text or ""):
        folded = sentence.casefold()
        if "pénalit" not in folded and "penalit" not in folded:
            continue
        if not any(word in folded for word in ("insertion", "non réalisée", "non realisee", "non effectuée",
                                               "non exécutée")):
            continue
        match = _PENALTY_RE.search(sentence)
        if match:
            digits = re.sub(r"[\s\u00a0\u202f.]", "", match.group(1)).replace(",", ".")
            try:
                amount = Decimal(digits)
            except InvalidOperation:
                continue
            if 0 < amount < 100_000:
                return amount.quantize(Decimal("0.01")), " ".join(sentence.split())
    return None


def _penalty_in_documents(files: list[tuple[str, bytes]], passage: str | None) -> tuple[Decimal, str] | None:
    """The penalty per hour and its evidence (« CCAP.docx, article 8 - Clause d'insertion : « … » »), searched in
    the clause's own passage first, then in every block of the stored documents."""
    from procure.text.passages import where_fr

    found = penalty_in(passage or "")
    if found:
        return found[0], f"« {found[1]} »"
    if not files:
        return None
    from procure.extract import read_files

    with tempfile.TemporaryDirectory(prefix="procure-followup-") as folder:
        paths = []
        for index, (name, content) in enumerate(files):
            path = Path(folder) / f"piece-{index}"
            path.write_bytes(content)
            paths.append((path, name))
        documents, _ = read_files(paths)
    for document in documents:
        article = None
        for block in document.blocks:
            heading = _ARTICLE_RE.match(block.text)
            if heading:
                article = " ".join(heading.group(0).split())
            found = penalty_in(block.text)
            if found:
                where = where_fr({"file": block.file, "page": block.page, "passage": block.text, "start": 0},
                                 quote=False)
                return found[0], f"{where}{', ' + article if article else ''} : « {found[1]} »"
    return None


def _trade(cpv: str | None, on: date) -> str | None:
    """The trade of a lot: the labour family of its CPV code (parameter `labour_share`), or its CPV division."""
    if not cpv:
        return None
    from procure import law

    families = law.parameter_or_earliest("labour_share", on).value
    digits = re.sub(r"\D", "", cpv)
    best = max((prefix for prefix in families if prefix.isdigit() and digits.startswith(prefix)), key=len, default=None)
    if best:
        return families[best]["label"]
    return f"CPV {digits[:2]}" if digits else None


def _place_codes(place: dict | None) -> tuple[str | None, str | None]:
    """(department, EPCI) of a stored Place (the first commune's, or the single department)."""
    value = (place or {}).get("value") if isinstance(place, dict) and "value" in (place or {}) else place
    if not isinstance(value, dict):
        return None, None
    communes = value.get("communes") or []
    if communes:
        return communes[0].get("department") or None, communes[0].get("epci") or None
    departments = value.get("departments") or []
    return (departments[0] if len(departments) == 1 else None), None


def _insertion_provision(analysis: dict, lot_number: int) -> dict | None:
    lot = next((lot for lot in analysis.get("lots", []) if lot.get("number") == lot_number), {})
    provisions = [p for p in (lot.get("provisions") or []) + (analysis.get("provisions") or [])
                  if p.get("kind") == "insertion_clause"]
    with_hours = [p for p in provisions if p.get("hours")]
    return (with_hours or provisions or [None])[0]


# ---------------------------------------------------------------- the service


class Followup:
    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    # ------------------------------------------------------------ reading

    def _rows(self, session: Session, actor: Actor, ids: Iterable[int] | None = None):
        query = (select(FollowupCommitment, TenderRow.shared_with_group, Organisation.name)
                 .select_from(outerjoin(FollowupCommitment, TenderRow, TenderRow.id == FollowupCommitment.tender_id))
                 .outerjoin(Organisation, Organisation.id == FollowupCommitment.facilitator_organisation_id)
                 .where(access.commitment_visible_clause(actor))
                 .order_by(FollowupCommitment.buyer_name, FollowupCommitment.key))
        if ids is not None:
            query = query.where(FollowupCommitment.id.in_(list(ids)))
        return session.execute(query).all()

    @staticmethod
    def _view(actor: Actor, row: FollowupCommitment, shared: bool | None, facilitator: str | None) -> CommitmentView:
        facts = _Facts(row.organisation_id, row.facilitator_organisation_id, bool(shared))
        return CommitmentView(
            id=row.id, commitment=to_commitment(row), organisation_id=row.organisation_id, tender_id=row.tender_id,
            lot_number=row.lot_number, facilitator_organisation_id=row.facilitator_organisation_id,
            facilitator_name=facilitator, source=row.source, version=row.version,
            can_edit=access.can_edit_commitment(actor, facts),
            can_enter_statements=access.can_enter_statements(actor, facts))

    def commitments(self, actor: Actor) -> list[CommitmentView]:
        """The commitments the actor may see."""
        with self.sessions() as session:
            actor = resolve(session, actor)
            return [self._view(actor, *row) for row in self._rows(session, actor)]

    def _one(self, session: Session, actor: Actor, commitment_id: int):
        rows = self._rows(session, actor, [commitment_id])
        if not rows:
            raise AccessDenied(access.COMMITMENT_NOT_VISIBLE_FR)
        return rows[0]

    def statements(self, actor: Actor, commitment_id: int | None = None) -> list[Statement]:
        """The statements of the visible commitments (or of one), by lot then month."""
        with self.sessions() as session:
            actor = resolve(session, actor)
            if commitment_id is not None:
                self._one(session, actor, commitment_id)
            return self._statements(session, actor, commitment_id)

    def _statements(self, session: Session, actor: Actor, commitment_id: int | None = None,
                    year: int | None = None) -> list[Statement]:
        figures = [*HOURS_COLUMNS.values(), *PARTICIPANT_COLUMNS.values(), *CONTRACT_COLUMNS.values()]
        query = (select(FollowupCommitment.key, FollowupStatement.month, FollowupStatement.source,
                        *[getattr(FollowupStatement, name) for name in figures])
                 .join(FollowupCommitment, FollowupCommitment.id == FollowupStatement.commitment_id)
                 .outerjoin(TenderRow, TenderRow.id == FollowupCommitment.tender_id)
                 .where(access.commitment_visible_clause(actor))
                 .order_by(FollowupCommitment.key, FollowupStatement.month))
        if commitment_id is not None:
            query = query.where(FollowupStatement.commitment_id == commitment_id)
        if year is not None:
            query = query.where(FollowupStatement.month >= date(year, 1, 1), FollowupStatement.month < date(year + 1, 1, 1))
        routes, categories, kinds = list(Route), list(PublicCategory), list(ContractType)
        first_category, first_kind = 3 + len(routes), 3 + len(routes) + len(categories)
        statements = []
        for row in session.execute(query):  # plain rows: 100 000 statements in a fraction of a second
            statements.append(Statement(
                commitment_key=row[0], month=row[1], source=row[2] or "",
                hours={r: row[3 + i] for i, r in enumerate(routes) if row[3 + i] is not None},
                participants={c: row[first_category + i] for i, c in enumerate(categories)
                              if row[first_category + i] is not None},
                contracts={k: row[first_kind + i] for i, k in enumerate(kinds) if row[first_kind + i] is not None}))
        return statements

    def history(self, actor: Actor, commitment_id: int) -> list[dict]:
        """The audit trail of one commitment, oldest first: who, when, what, figures before and after."""
        with self.sessions() as session:
            actor = resolve(session, actor)
            self._one(session, actor, commitment_id)
            query = (select(FollowupEvent, User.display_name)
                     .outerjoin(User, User.id == FollowupEvent.user_id)
                     .where(FollowupEvent.commitment_id == commitment_id)
                     .order_by(FollowupEvent.id))
            return [{"when": e.created_at, "who": name or "ligne de commande", "action": e.action,
                     "action_label": FollowupAction(e.action).label, "month": e.month, "source": e.source,
                     "details": json.loads(e.details_json or "{}")}
                    for e, name in session.execute(query).all()]

    def facilitator_organisations(self, actor: Actor) -> dict[int, str]:
        """Organisations with a facilitator account (id → name): whom a buyer may name for a lot."""
        with self.sessions() as session:
            resolve(session, actor)
            query = (select(Organisation.id, Organisation.name).join(User, User.organisation_id == Organisation.id)
                     .where(User.role == Role.FACILITATOR, User.active.is_(True)).distinct().order_by(Organisation.name))
            return dict(session.execute(query).all())

    # ------------------------------------------------------------ commitments

    def commitment_drafts(self, actor: Actor, tender_id: int) -> tuple[list[dict], list[str]]:
        """What the reviewed analysis says for each lot with an insertion clause (present in the tender, or accepted
        by the group): hours (per year or in total), duration, place, trade; and the lots left out, with why."""
        with self.sessions() as session:
            actor, tender = tender_for(session, actor, tender_id)
            access.require(access.can_create_commitment(actor) and access.can_edit(actor, tender),
                           access.COMMITMENT_NOT_EDITABLE_FR)
            return self._drafts(session, tender)

    def _drafts(self, session: Session, tender: TenderRow) -> tuple[list[dict], list[str]]:
        analysis = json.loads(tender.analysis_json) if tender.analysis_json else None
        if not analysis:
            raise ProcureError("Cette consultation n'a pas encore été analysée : lancez l'analyse avant de suivre ses "
                               "clauses.")
        buyer = session.scalar(select(Organisation.name).where(Organisation.id == tender.organisation_id)) or ""
        lots = session.scalars(select(LotRow).where(LotRow.tender_id == tender.id,
                                                   LotRow.analysis_version == tender.analysis_version)
                               .order_by(LotRow.number)).all()
        drafts, skipped = [], []
        reference = (tender.reference or f"consultation-{tender.id}").strip()
        on = tender.analysed_at.date() if tender.analysed_at else date.today()
        for lot in lots:
            suggestions = session.scalars(select(SuggestionRow).where(
                SuggestionRow.lot_id == lot.id, SuggestionRow.lever_id == "insertion_clause")).all()
            in_use = [s for s in suggestions
                      if s.status == SuggestionStatus.PRESENT or s.decision == Decision.ACCEPTED]
            if not in_use:
                skipped.append(f"Lot {lot.number} : aucune clause d'insertion présente dans le dossier ni acceptée "
                               "par le groupe de travail.")
                continue
            stored = StoredSuggestion.from_json(in_use[0].payload_json)
            provision = _insertion_provision(analysis, lot.number)
            hours_total = hours_per_year = None
            evidence = None
            if provision and provision.get("hours"):
                if provision.get("hours_per") == "year":
                    hours_per_year = float(provision["hours"])
                else:
                    hours_total = float(provision["hours"])
            elif stored.hours and stored.hours.hours:
                hours_total = float(stored.hours.hours)
            if provision and provision.get("evidence"):
                from procure.text.passages import where_fr

                evidence = f"{where_fr(provision['evidence'], quote=False)} : « {provision['evidence'].get('passage', '')} »"
            if hours_total is None and hours_per_year is None:
                skipped.append(f"Lot {lot.number} : la clause d'insertion ne dit pas de volume d'heures ; créez "
                               "l'engagement à la main avec le volume du marché signé.")
                continue
            stored_lot = next((x for x in analysis.get("lots", []) if x.get("number") == lot.number), {})
            duration = (stored_lot.get("duration_months") or {}).get("value")
            department, epci = _place_codes(stored_lot.get("place")) if stored_lot.get("place") else (None, None)
            if department is None and lot.commune_insee:
                from procure.reference.outlines import department_of

                department = department_of(lot.commune_insee)
            if department is None:
                department, epci = _place_codes(analysis.get("place"))
            title = (lot.title or "").strip() or f"Lot {lot.number}"
            drafts.append({
                "key": f"{reference}/lot{lot.number}", "lot_number": lot.number, "lot_title": title[:500],
                "buyer_name": buyer, "hours_total": hours_total, "hours_per_year": hours_per_year,
                "duration_months": int(duration) if duration else None, "evidence": evidence,
                "passage": (provision or {}).get("evidence", {}).get("passage") if provision else None,
                "department": department, "epci": epci,
                "trade": (stored.hours.labour_family if stored.hours and stored.hours.labour_family else None)
                or _trade(lot.cpv, on)})
        return drafts, skipped

    def commitments_from_analysis(self, actor: Actor, tender_id: int, start: date, *, holder_name: str = "",
                                  holder_siret: str | None = None, facilitator_organisation_id: int | None = None,
                                  lots: Iterable[int] | None = None, duration_months: int | None = None,
                                  with_penalty: bool = True) -> AnalysisCommitments:
        """Follow the lots of an analysed tender with an insertion clause (present, or accepted by the group).

        The hours, the duration, the place and the trade come from the stored analysis; the penalty per hour not
        done is searched in the tender's documents (`with_penalty`), with its article and passage as evidence. A lot
        already followed is left as it is (said in `skipped`)."""
        from procure.service.tenders import Tenders

        result = AnalysisCommitments()
        with self.sessions() as session:
            actor, tender = tender_for(session, actor, tender_id)
            access.require(access.can_create_commitment(actor) and access.can_edit(actor, tender),
                           access.COMMITMENT_NOT_EDITABLE_FR)
            drafts, skipped = self._drafts(session, tender)
            followed = set(session.scalars(select(FollowupCommitment.lot_number)
                                           .where(FollowupCommitment.tender_id == tender.id)).all())
        organisation_id, tender_key = tender.organisation_id, tender.id
        result.skipped.extend(skipped)
        wanted = set(lots) if lots is not None else None
        files = None
        for draft in drafts:
            if wanted is not None and draft["lot_number"] not in wanted:
                continue
            if draft["lot_number"] in followed:
                result.skipped.append(f"Lot {draft['lot_number']} : déjà suivi.")
                continue
            duration = duration_months or draft["duration_months"]
            if not duration:
                result.skipped.append(f"Lot {draft['lot_number']} : durée du marché inconnue dans l'analyse ; "
                                      "indiquez-la.")
                continue
            penalty = None
            evidence = draft["evidence"]
            if with_penalty:
                if files is None:
                    files = Tenders(self.sessions).files(actor, tender_id)
                found = _penalty_in_documents(files, draft["passage"])
                if found:
                    penalty = found[0]
                    evidence = (f"{evidence} ; pénalité : {found[1]}" if evidence else f"Pénalité : {found[1]}")
            fields = {k: draft[k] for k in ("key", "lot_title", "buyer_name", "hours_total", "hours_per_year",
                                            "department", "epci", "trade")}
            fields.update(start=start, duration_months=int(duration), holder_name=holder_name,
                          holder_siret=holder_siret, facilitator_organisation_id=facilitator_organisation_id,
                          penalty_per_hour=penalty, evidence=evidence)
            commitment_id = self._create(actor, fields, organisation_id=organisation_id, tender_id=tender_key,
                                         lot_number=draft["lot_number"], source="analysis", unique_key=True)
            result.created.append(self.commitment(actor, commitment_id))
        return result

    def commitment(self, actor: Actor, commitment_id: int) -> CommitmentView:
        with self.sessions() as session:
            actor = resolve(session, actor)
            return self._view(actor, *self._one(session, actor, commitment_id))

    def create_commitment(self, actor: Actor, *, key: str, lot_title: str, start: date, duration_months: int,
                          buyer_name: str | None = None, tender_id: int | None = None, lot_number: int | None = None,
                          organisation_id: int | None = None, **fields) -> int:
        """A commitment typed by hand (a contract outside procure, or a lot whose analysis says no hours)."""
        fields.update(key=key, lot_title=lot_title, start=start, duration_months=duration_months,
                      buyer_name=buyer_name)
        with self.sessions() as session:
            actor = resolve(session, actor)
            access.require(access.can_create_commitment(actor), access.COMMITMENT_NOT_EDITABLE_FR)
            if tender_id is not None:
                actor, tender = tender_for(session, actor, tender_id, access.can_edit)
                organisation_id = tender.organisation_id
            elif organisation_id is None or actor.role != Role.ADMIN:
                organisation_id = actor.organisation_id
            if not fields.get("buyer_name"):
                fields["buyer_name"] = session.scalar(select(Organisation.name)
                                                      .where(Organisation.id == organisation_id)) or ""
        return self._create(actor, fields, organisation_id=organisation_id, tender_id=tender_id,
                            lot_number=lot_number, source="manual")

    def _create(self, actor: Actor, fields: dict, *, organisation_id: int, tender_id: int | None,
                lot_number: int | None, source: str, unique_key: bool = False) -> int:
        values = _checked(fields)
        with self.sessions.begin() as session:
            actor = resolve(session, actor)
            taken = session.scalar(select(FollowupCommitment.id).where(FollowupCommitment.key == values["key"]))
            if taken is not None:
                if not unique_key:
                    raise ProcureError(f"La référence de lot « {shown(values['key'])} » est déjà suivie : choisissez-en "
                                       "une autre (les relevés du facilitateur la citent).")
                values["key"] = f"{values['key'][:100]}-{tender_id}"
            self._check_facilitator(session, values.get("facilitator_organisation_id"))
            row = FollowupCommitment(organisation_id=organisation_id, tender_id=tender_id, lot_number=lot_number,
                                     source=source, version=1, entered_by=_user_id(actor), entered_at=_now(),
                                     **values)
            session.add(row)
            session.flush()
            session.add(FollowupEvent(commitment_id=row.id, action=FollowupAction.COMMITMENT_CREATED.value,
                                      details_json=json.dumps({"après": _jsonable(values)}, ensure_ascii=False),
                                      source=source, user_id=_user_id(actor), created_at=_now()))
            return row.id

    @staticmethod
    def _check_facilitator(session: Session, organisation_id: int | None) -> None:
        if organisation_id is not None and session.get(Organisation, organisation_id) is None:
            raise ProcureError("Organisation du facilitateur inconnue.")

    def edit_commitment(self, actor: Actor, commitment_id: int, expected_version: int, **changes) -> int:
        """Change a commitment (holder, hours, penalty, renewals decided, facilitator…); returns the new version.
        CommitmentConflict when someone changed it since `expected_version` was read."""
        unknown = set(changes) - set(EDITABLE_FIELDS)
        if unknown:
            raise ValueError(f"champs non modifiables : {', '.join(sorted(unknown))}")
        with self.sessions.begin() as session:
            actor = resolve(session, actor)
            row, shared, _ = self._one(session, actor, commitment_id)
            access.require(access.can_edit_commitment(actor, _Facts(row.organisation_id,
                                                                    row.facilitator_organisation_id, bool(shared))),
                           access.COMMITMENT_NOT_EDITABLE_FR)
            current = {name: getattr(row, name) for name in EDITABLE_FIELDS if name != "renewals_months"}
            current["renewals_months"] = list(_renewals(row))
            stored, merged = _checked(current), _checked({**current, **changes})
            before = {k: stored[k] for k in merged if _jsonable(stored[k]) != _jsonable(merged[k])}
            if not before:
                return row.version
            if "key" in before and session.scalar(select(FollowupCommitment.id).where(
                    FollowupCommitment.key == merged["key"], FollowupCommitment.id != row.id)) is not None:
                raise ProcureError(f"La référence de lot « {shown(merged['key'])} » est déjà suivie.")
            self._check_facilitator(session, merged.get("facilitator_organisation_id"))
            updated = session.execute(
                update(FollowupCommitment)
                .where(FollowupCommitment.id == row.id, FollowupCommitment.version == expected_version)
                .values(**{k: merged[k] for k in before}, version=expected_version + 1, updated_by=_user_id(actor),
                        updated_at=_now())
                .execution_options(synchronize_session=False))
            if updated.rowcount != 1:
                raise CommitmentConflict("Quelqu'un a modifié cet engagement entre-temps : rechargez la page.")
            session.add(FollowupEvent(
                commitment_id=row.id, action=FollowupAction.COMMITMENT_CHANGED.value, source=MANUAL_SOURCE_FR,
                details_json=json.dumps({"avant": _jsonable(before),
                                         "après": _jsonable({k: merged[k] for k in before})}, ensure_ascii=False),
                user_id=_user_id(actor), created_at=_now()))
            return expected_version + 1

    # ------------------------------------------------------------ statements

    def import_statements(self, actor: Actor, content: bytes, name: str, mapping: dict[str, str] | None = None,
                          today: date | None = None) -> StatementImport:
        """A facilitator's monthly statement file (the template, or their export through `mapping`).

        Idempotent on (lot, month); a poorer row never erases a figure already stored; a row of a lot the actor
        may not enter statements for is a bad row like an unknown lot (« lot inconnu »). ProcureError (French)
        for a file that cannot be read at all: nothing is written then."""
        from procure.followup.statements import read_statements

        today = today or date.today()
        with self.sessions() as session:
            actor = resolve(session, actor)
            keys = self._enterable_keys(session, actor)
        read = read_statements(content, name, mapping, known_keys=keys, today=today)
        outcome = self._store_statements(actor, read.statements, name)
        outcome.rows_read = read.rows_read
        outcome.problems = list(read.problems)
        return outcome

    def enter_statement(self, actor: Actor, commitment_id: int, month: date, hours: dict | None = None,
                        participants: dict | None = None, contracts: dict | None = None,
                        today: date | None = None) -> StatementImport:
        """One statement typed in the app (figures by code or enum); merged like an imported row."""
        today = today or date.today()
        month = first_of_month(month)
        if month > first_of_month(today):
            raise ProcureError(f"Mois {month:%m/%Y} à venir : un relevé porte sur un mois commencé ou passé.")
        with self.sessions() as session:
            actor = resolve(session, actor)
            row, shared, _ = self._one(session, actor, commitment_id)
            access.require(access.can_enter_statements(actor, _Facts(row.organisation_id,
                                                                     row.facilitator_organisation_id, bool(shared))),
                           access.STATEMENTS_NOT_ALLOWED_FR)
            key = row.key
        statement = Statement(commitment_key=key, month=month,
                              hours=_figures_of(Route, hours, float), participants=_figures_of(PublicCategory, participants, int),
                              contracts=_figures_of(ContractType, contracts, int), source=MANUAL_SOURCE_FR)
        if not statement.hours and not statement.participants and not statement.contracts:
            raise ProcureError("Aucun chiffre saisi : indiquez au moins les heures du mois (0 pour un mois sans heures).")
        outcome = self._store_statements(actor, [statement], MANUAL_SOURCE_FR, overwrite=True)
        outcome.rows_read = 1
        return outcome

    def _enterable_keys(self, session: Session, actor: Actor) -> set[str]:
        rows = session.execute(
            select(FollowupCommitment.key, FollowupCommitment.organisation_id,
                   FollowupCommitment.facilitator_organisation_id, TenderRow.shared_with_group)
            .select_from(outerjoin(FollowupCommitment, TenderRow, TenderRow.id == FollowupCommitment.tender_id))
            .where(access.commitment_visible_clause(actor))).all()
        return {key for key, organisation, facilitator, shared in rows
                if access.can_enter_statements(actor, _Facts(organisation, facilitator, bool(shared)))}

    def _store_statements(self, actor: Actor, incoming: list[Statement], name: str,
                          overwrite: bool = False) -> StatementImport:
        """Merge and write statements. An import never lets an empty or zero figure erase a stored one
        (procure.followup.statements.merge_statements); a statement typed in the app (`overwrite`) sets every
        figure it gives, zero included (the way to correct a figure to zero), and keeps the others."""
        from procure.followup.statements import merge_statements

        outcome = StatementImport(name=name)
        if not incoming:
            return outcome
        with self.sessions.begin() as session:
            actor = resolve(session, actor)
            ids = dict(session.execute(select(FollowupCommitment.key, FollowupCommitment.id).where(
                FollowupCommitment.key.in_({s.commitment_key for s in incoming}))).all())
            existing: dict[tuple[str, date], tuple[int, Statement]] = {}
            by_id = {v: k for k, v in ids.items()}
            id_list = list(by_id)
            for start in range(0, len(id_list), _CHUNK):
                for row in session.scalars(select(FollowupStatement).where(
                        FollowupStatement.commitment_id.in_(id_list[start:start + _CHUNK]))):
                    key = by_id[row.commitment_id]
                    existing[(key, row.month)] = (row.id, _statement(key, row))
            wanted = [s for s in incoming if s.commitment_key in ids]
            touched = {(s.commitment_key, s.month) for s in wanted}
            if overwrite:
                merged = [_overwritten(existing.get((s.commitment_key, s.month)), s) for s in wanted]
            else:
                merged, report = merge_statements([existing[k][1] for k in touched if k in existing], wanted)
                outcome.kept = list(report.kept)
            user = _user_id(actor)
            now = _now()
            inserts, events = [], []
            for statement in merged:
                where = (statement.commitment_key, statement.month)
                commitment_id = ids[statement.commitment_key]
                old = existing.get(where)
                if old is None:
                    inserts.append({"commitment_id": commitment_id, "month": statement.month,
                                    "source": (statement.source or name)[:300], "imported_by": user,
                                    "imported_at": now, **_statement_values(statement)})
                    events.append({"commitment_id": commitment_id, "action": FollowupAction.STATEMENT_ADDED.value,
                                   "month": statement.month, "source": name[:300], "user_id": user,
                                   "created_at": now,
                                   "details_json": json.dumps({"après": _figures(statement)}, ensure_ascii=False)})
                    outcome.added += 1
                elif _same_figures(old[1], statement):
                    outcome.unchanged += 1
                else:
                    session.execute(update(FollowupStatement).where(FollowupStatement.id == old[0]).values(
                        source=(statement.source or name)[:300], imported_by=user, imported_at=now,
                        **_statement_values(statement)))
                    events.append({"commitment_id": commitment_id, "action": FollowupAction.STATEMENT_CORRECTED.value,
                                   "month": statement.month, "source": name[:300], "user_id": user,
                                   "created_at": now,
                                   "details_json": json.dumps({"avant": _figures(old[1]), "après": _figures(statement)},
                                                              ensure_ascii=False)})
                    outcome.corrected += 1
            for start in range(0, len(inserts), 5000):
                session.execute(insert(FollowupStatement), inserts[start:start + 5000])
            for start in range(0, len(events), 5000):
                session.execute(insert(FollowupEvent), events[start:start + 5000])
        return outcome

    # ------------------------------------------------------------ what the ledger computes

    def progress(self, actor: Actor, today: date | None = None) -> list[tuple[CommitmentView, object]]:
        """(commitment, procure.followup.model.Progress) of every visible commitment on `today`."""
        from procure.followup.ledger import progress

        today = today or date.today()
        with self.sessions() as session:
            actor = resolve(session, actor)
            views = [self._view(actor, *row) for row in self._rows(session, actor)]
            statements = self._statements(session, actor)
        by_key: dict[str, list[Statement]] = defaultdict(list)
        for statement in statements:
            by_key[statement.commitment_key].append(statement)
        return [(view, progress(view.commitment, by_key.get(view.commitment.key, ()), today)) for view in views]

    def alerts(self, actor: Actor, today: date | None = None) -> dict[str, dict[str, list]]:
        """Alerts of the visible commitments grouped {"holder": {…}, "buyer": {…}} (procure.followup.ledger)."""
        from procure.followup.ledger import alerts_for

        today = today or date.today()
        with self.sessions() as session:
            actor = resolve(session, actor)
            commitments = [to_commitment(row) for row, _, _ in self._rows(session, actor)]
            statements = self._statements(session, actor)
        return alerts_for(commitments, statements, today)

    def consolidation(self, actor: Actor, year: int, territory: str | None = None,
                      group_by: str = "buyer") -> list:
        """The yearly consolidation (procure.followup.consolidation.ConsolidationRow): one row for the whole
        selection (« Ensemble ») first, then one per group (buyer, department, EPCI) of the visible commitments of
        the territory (department code, EPCI SIREN, or « epci:SIREN »)."""
        from procure.followup.consolidation import consolidate

        with self.sessions() as session:
            actor = resolve(session, actor)
            commitments = [to_commitment(row) for row, _, _ in self._rows(session, actor)]
            statements = self._statements(session, actor, year=year)
        commitments = [c for c in commitments if in_territory(c, territory)]
        rows = consolidate(commitments, statements, year, "all")
        if group_by != "all":
            rows += consolidate(commitments, statements, year, group_by)  # type: ignore[arg-type]
        return rows

    def export_consolidation(self, actor: Actor, year: int, out: Path, territory: str | None = None,
                             group_by: str = "buyer") -> Path:
        """The yearly consolidation as Word (.docx) or XLSX (.xlsx), by the suffix of `out`."""
        from procure.followup.report import write_consolidation_docx, write_consolidation_xlsx

        rows = self.consolidation(actor, year, territory, group_by)
        out = Path(out)
        if out.suffix.lower() == ".xlsx":
            return write_consolidation_xlsx(rows, year, out)
        return write_consolidation_docx(rows, year, territory_label(territory), out.with_suffix(".docx"))


# ---------------------------------------------------------------- helpers


def in_territory(commitment: Commitment, territory: str | None) -> bool:
    if not territory or not territory.strip():
        return True
    code = territory.strip()
    if code.lower().startswith("epci:"):
        return commitment.epci == code[5:].strip()
    if re.fullmatch(r"\d{9}", code):
        return commitment.epci == code
    return (commitment.department or "").upper() == code.upper().zfill(2)


def territory_label(territory: str | None) -> str:
    if not territory or not territory.strip():
        return "tous les territoires suivis"
    code = territory.strip()
    if code.lower().startswith("epci:") or re.fullmatch(r"\d{9}", code):
        siren = code.split(":", 1)[-1].strip()
        from procure.market.practice import _epci_name

        return f"EPCI {_epci_name(siren) or siren}"
    from procure.reference.outlines import department_name

    name = department_name(code)
    return f"département {name} ({code})" if name else f"département {code}"


def _figures_of(enum, values: dict | None, kind) -> dict:
    result = {}
    for code, value in (values or {}).items():
        if value is None or value == "":
            continue
        member = enum(code) if not isinstance(code, enum) else code
        number = kind(value)
        if number < 0:
            raise ProcureError(f"« {member.label} » : valeur négative.")
        result[member] = number
    return result


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _checked(fields: dict) -> dict:
    """The stored values of a commitment's fields, checked (French ProcureError for a bad one)."""
    values: dict = {}
    key = _clean(fields.get("key"), 120)
    if not key:
        raise ProcureError("La référence du lot est obligatoire (les relevés du facilitateur la citent).")
    values["key"] = key
    values["lot_title"] = _clean(fields.get("lot_title"), 500) or key
    values["buyer_name"] = _clean(fields.get("buyer_name"), 300) or ""
    siret = re.sub(r"\s", "", str(fields.get("holder_siret") or ""))
    if siret and not re.fullmatch(r"\d{14}", siret):
        raise ProcureError(f"SIRET du titulaire « {shown(siret)} » invalide : 14 chiffres attendus.")
    values["holder_siret"] = siret or None
    values["holder_name"] = _clean(fields.get("holder_name"), 300) or ""
    values["facilitator_organisation_id"] = fields.get("facilitator_organisation_id") or None
    start = fields.get("start")
    if isinstance(start, datetime):
        start = start.date()
    if not isinstance(start, date):
        raise ProcureError("La date de début d'exécution est obligatoire.")
    values["start"] = start
    try:
        duration = int(fields.get("duration_months") or 0)
    except (TypeError, ValueError) as error:
        raise ProcureError("Durée du marché invalide : un nombre de mois attendu.") from error
    if not 1 <= duration <= 240:
        raise ProcureError("Durée du marché invalide : entre 1 et 240 mois.")
    values["duration_months"] = duration
    for name, label in (("hours_total", "Heures au total"), ("hours_per_year", "Heures par an")):
        value = fields.get(name)
        if value in (None, ""):
            values[name] = None
            continue
        try:
            number = float(value)
        except (TypeError, ValueError) as error:
            raise ProcureError(f"{label} : un nombre d'heures attendu.") from error
        if number < 0 or number > 10_000_000:
            raise ProcureError(f"{label} : {shown(value)} heures, invraisemblable.")
        values[name] = number or None
    if values["hours_total"] is None and values["hours_per_year"] is None:
        raise ProcureError("Indiquez le volume d'heures d'insertion (par an ou au total).")
    penalty = fields.get("penalty_per_hour")
    if penalty in (None, ""):
        values["penalty_per_hour"] = None
    else:
        try:
            amount = Decimal(str(penalty).replace(",", ".").replace("€", "").strip())
        except InvalidOperation as error:
            raise ProcureError(f"Pénalité par heure « {shown(penalty)} » : un montant en euros attendu.") from error
        if amount < 0 or amount > 100_000:
            raise ProcureError(f"Pénalité par heure « {shown(penalty)} » invraisemblable.")
        values["penalty_per_hour"] = amount.quantize(Decimal("0.01"))
    renewals = fields.get("renewals_months") or []
    try:
        renewals = [int(m) for m in renewals]
    except (TypeError, ValueError) as error:
        raise ProcureError("Reconductions : une durée en mois par reconduction décidée.") from error
    if any(not 1 <= m <= 120 for m in renewals):
        raise ProcureError("Reconductions : chaque reconduction dure entre 1 et 120 mois.")
    values["renewals_json"] = json.dumps(renewals)
    values["evidence"] = (str(fields.get("evidence")).replace("\x00", "")[:4000]
                          if fields.get("evidence") else None)
    department = _clean(fields.get("department"), 3)
    values["department"] = department.upper().zfill(2) if department else None
    epci = _clean(fields.get("epci"), 9)
    if epci and not re.fullmatch(r"\d{9}", epci):
        raise ProcureError(f"EPCI « {shown(epci)} » : un SIREN de 9 chiffres attendu.")
    values["epci"] = epci
    values["trade"] = _clean(fields.get("trade"), 200)
    return values



# ---------------------------------------------------------------- for the page and the exports


def template_bytes(kind: str) -> bytes:
    """The monthly statement template shipped in the package (`csv` or `xlsx`)."""
    from procure.followup.statements import TEMPLATE_DIR

    return (TEMPLATE_DIR / f"releve_mensuel.{'xlsx' if kind == 'xlsx' else 'csv'}").read_bytes()


def template_fields() -> dict[str, str]:
    """Field id → the template's column (« key » → « Référence du lot »), in the template's order."""
    from procure.followup.statements import TEMPLATE_COLUMNS

    return dict(TEMPLATE_COLUMNS)


def file_columns(content: bytes, name: str) -> list[str]:
    """The column names of an uploaded statement file (for the mapping step); ProcureError (French) when the file
    is not a readable table."""
    from procure.followup.statements import _rows

    rows = _rows(content, name)
    seen: dict[str, None] = {}
    for row in rows[:50]:
        for column in row:
            if column and str(column).strip():
                seen.setdefault(str(column), None)
    return list(seen)


def progress_frame(items: list[tuple[CommitmentView, object]]):
    """One line per commitment: what is due to date, done, the gap, the projections (French headers)."""
    import pandas as pd

    rows = []
    for view, state in items:
        c = view.commitment
        rows.append({
            "Référence du lot": c.key, "Acheteur": c.buyer, "Lot": c.lot_title,
            "Titulaire": c.holder_name or "—", "Facilitateur": view.facilitator_name or "—",
            "Début": c.start.strftime("%d/%m/%Y"), "Durée (mois)": c.total_months,
            "Engagement": (f"{_int(c.hours_per_year)} h par an" if c.hours_per_year is not None
                           else f"{_int(c.hours_total)} h au total"),
            "Pénalité par heure": _euros(c.penalty_per_hour) if c.penalty_per_hour is not None else "—",
            "Dues à date (h)": round(state.due_to_date), "Réalisées (h)": round(state.done),
            "Écart (h)": round(state.gap),
            "Réalisé": _percent(state.share_done) if state.share_done is not None else "—",
            "Projection fin de marché (h)": round(state.projection_contract_end)
            if state.projection_contract_end is not None else None,
            "Alertes": len(state.alerts),
        })
    return pd.DataFrame(rows)


def consolidation_frames(rows: list) -> dict:
    """The charts' and tables' frames of a consolidation: hours by route, participants by public, contracts by
    type (of the « Ensemble » row), and one line per group."""
    import pandas as pd

    if not rows:
        return {}
    whole, groups = rows[0], rows[1:]
    frames = {
        "routes": pd.DataFrame({"Modalité": [r.label for r in Route],
                                "Heures": [whole.hours_by_route.get(r, 0.0) for r in Route]}),
        "publics": pd.DataFrame({"Public": [c.label for c in PublicCategory],
                                 "Participants": [whole.participants.get(c, 0) for c in PublicCategory]}),
        "contracts": pd.DataFrame({"Contrat": [k.label for k in ContractType],
                                   "Contrats": [whole.contracts_by_type.get(k, 0) for k in ContractType]}),
        "trades": pd.DataFrame({"Métier": list(whole.hours_by_trade),
                                "Heures": list(whole.hours_by_trade.values())}),
    }
    frames["groups"] = pd.DataFrame([{
        "Groupe": row.group, "Marchés à clause": row.contracts, "dont avec heures déclarées": row.contracts_reporting,
        "Heures réalisées": round(row.hours_done), "Heures dues": round(row.hours_due),
        "ETP": round(row.fte, 1), "Participants": row.participants_total,
        "Contrats de travail": row.work_contracts_total} for row in [*groups, whole]])
    return frames


def _int(value) -> str:
    from procure.text.format_fr import format_int

    return format_int(value)


def _euros(value) -> str:
    from procure.text.format_fr import format_euros

    return format_euros(value)


def _percent(value) -> str:
    from procure.text.format_fr import format_percent

    return format_percent(value)
