"""Tables of procure. Every change goes with an Alembic migration in migrations/versions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class SupplierRow(Base):
    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    siret: Mapped[str] = mapped_column(String(14), unique=True, index=True)
    siren: Mapped[str] = mapped_column(String(9), index=True)
    name: Mapped[str] = mapped_column(String(300))
    kinds: Mapped[str] = mapped_column(String(100))  # comma-separated: "AI,ETTI"
    naf: Mapped[str | None] = mapped_column(String(6))
    address: Mapped[str | None] = mapped_column(String(300))
    postcode: Mapped[str | None] = mapped_column(String(5))
    commune_insee: Mapped[str | None] = mapped_column(String(5), index=True)
    commune_name: Mapped[str | None] = mapped_column(String(100))
    department: Mapped[str | None] = mapped_column(String(3), index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    activities: Mapped[str | None] = mapped_column(Text)
    headcount: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(100))
    source_date: Mapped[date | None] = mapped_column(Date)
    demo: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class SupplierSourceRow(Base):
    """What one imported file said about a structure (issue 23): `suppliers` holds the merged view, these rows
    keep each source's own values side by side, so the directory can say which file said what."""

    __tablename__ = "supplier_sources"
    __table_args__ = (UniqueConstraint("siret", "source", name="uq_supplier_source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    siret: Mapped[str] = mapped_column(String(14), index=True)
    source: Mapped[str] = mapped_column(String(100))
    format: Mapped[str] = mapped_column(String(20))
    source_date: Mapped[date | None] = mapped_column(Date)
    name: Mapped[str | None] = mapped_column(String(300))
    kinds: Mapped[str] = mapped_column(String(100), default="")
    naf: Mapped[str | None] = mapped_column(String(6))
    address: Mapped[str | None] = mapped_column(String(300))
    postcode: Mapped[str | None] = mapped_column(String(5))
    commune_insee: Mapped[str | None] = mapped_column(String(5))
    commune_name: Mapped[str | None] = mapped_column(String(100))
    department: Mapped[str | None] = mapped_column(String(3))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    activities: Mapped[str | None] = mapped_column(Text)
    headcount: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[str | None] = mapped_column(Text)  # JSON: FINESS numbers, SIAE type, networks… as the file gave them
    demo: Mapped[bool] = mapped_column(default=False)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True, index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # buyer, reviewer, admin
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Signed into every session token: bumped at sign-out, password change, (de)activation, so that
    # every token issued before is refused by the server (issue 26, D5).
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Set by an administrator's reset: the temporary password must be changed at the next sign-in.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class TenderRow(Base):
    __tablename__ = "tenders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    reference: Mapped[str | None] = mapped_column(String(100))
    shared_with_group: Mapped[bool] = mapped_column(default=False)
    analysis_version: Mapped[int] = mapped_column(Integer, default=0)
    analysis_json: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    analysed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set while an analysis runs: one analysis at a time per tender (a stale lease expires, see settings).
    analysing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The buyer's category chosen by the user (BuyerCategory code) when the documents do not tell it.
    buyer_category: Mapped[str | None] = mapped_column(String(30))
    defence_security: Mapped[bool | None] = mapped_column(Boolean)  # the user's answer; None: the reading decides
    # The analysis job, run by a worker process (procure.service.jobs): its state survives F5 and restarts.
    analysis_state: Mapped[str | None] = mapped_column(String(20))  # queued, running, done, failed
    analysis_step: Mapped[str | None] = mapped_column(Text)  # French progress text ("page 3/40")
    analysis_fraction: Mapped[float | None] = mapped_column(Float)
    analysis_error: Mapped[str | None] = mapped_column(Text)  # French reason of a failure
    analysis_queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    analysis_heartbeat: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    analysis_requested_by: Mapped[int | None] = mapped_column(Integer)
    # An archived consultation is out of the lists, the guide and the dashboard; its decisions stay.
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    archived_by: Mapped[int | None] = mapped_column(Integer)


class DocumentRow(Base):
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("tender_id", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    doc_type: Mapped[str | None] = mapped_column(String(20))  # a role of extract.reading.ROLE_RANK
    problem: Mapped[str | None] = mapped_column(Text)  # French message when the file could not be read
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LotRow(Base):
    __tablename__ = "lots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    analysis_version: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(String(500))
    cpv: Mapped[str | None] = mapped_column(String(10))
    amount_ht: Mapped[float | None] = mapped_column(Float)
    commune_insee: Mapped[str | None] = mapped_column(String(5))
    # The matching outcome (procure.service.schema.MatchOutcome code; None for lots stored before it was kept)
    # and the place matching used: its label, its extent (PlaceExtent), where it came from (PlaceSource) and,
    # for a place typed by the user, its code (INSEE, department or "national") so that a re-analysis keeps it.
    match_outcome: Mapped[str | None] = mapped_column(String(20))
    match_place_label: Mapped[str | None] = mapped_column(String(300))
    match_place_scope: Mapped[str | None] = mapped_column(String(20))
    match_place_source: Mapped[str | None] = mapped_column(String(20))
    match_place_code: Mapped[str | None] = mapped_column(String(10))


class Reviewable:
    """Suggestions and matches: a decision state guarded by a version number (optimistic locking)."""

    decision: Mapped[str] = mapped_column(String(20), default="pending")  # pending, accepted, rejected
    version: Mapped[int] = mapped_column(Integer, default=1)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SuggestionRow(Reviewable, Base):
    __tablename__ = "suggestions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id", ondelete="CASCADE"), index=True)
    lever_id: Mapped[str] = mapped_column(String(50))
    score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(30))  # a procure.service.schema.SuggestionStatus code
    payload_json: Mapped[str] = mapped_column(Text)  # a procure.service.schema.StoredSuggestion


class MatchRow(Reviewable, Base):
    __tablename__ = "matches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id", ondelete="CASCADE"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"))
    lever_id: Mapped[str | None] = mapped_column(String(50))
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    distance_km: Mapped[float | None] = mapped_column(Float)
    explanation: Mapped[str] = mapped_column(Text)
    confidence: Mapped[str | None] = mapped_column(String(20))  # forte, plausible (faible ones are not stored)


class ReviewEvent(Base):
    """Audit trail: every accept, reject and comment, by whom, when, on which version."""

    __tablename__ = "review_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    target_type: Mapped[str] = mapped_column(String(20))  # suggestion, match
    target_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))  # accept, reject, comment, reset
    comment: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    target_version: Mapped[int] = mapped_column(Integer)
    analysis_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LoginFailure(Base):
    """Failed log-ins of the last minutes, counted per account and per network address (login throttle)."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(200), index=True)
    address: Mapped[str | None] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class LoginAttempts(Base):
    """Log-in attempts of the current window per account (a digest of the e-mail) or per client address.

    Counted with one atomic upsert before the password is checked, so that simultaneous attempts cannot all
    pass the limit (issue 26, D2).
    """

    __tablename__ = "login_attempts"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)  # "compte:<sha256>" or "adresse:<ip>"
    attempts: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PublicContract(Base):
    """Awarded contracts from open data (DECP), imported for evidence and practice statistics."""

    __tablename__ = "public_contracts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)  # sha1 of source id, object and amount
    source_id: Mapped[str] = mapped_column(String(100))
    objet: Mapped[str] = mapped_column(Text)
    cpv: Mapped[str | None] = mapped_column(String(8))
    division: Mapped[str | None] = mapped_column(String(2), index=True)
    procedure: Mapped[str | None] = mapped_column(String(100))
    montant: Mapped[float | None] = mapped_column(Float)
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    acheteur_id: Mapped[str | None] = mapped_column(String(20), index=True)
    acheteur_nom: Mapped[str | None] = mapped_column(String(300))
    lieu_code: Mapped[str | None] = mapped_column(String(10))
    titulaires: Mapped[str | None] = mapped_column(Text)
    social: Mapped[str] = mapped_column(String(50), default="")  # comma-separated: clause, criterion, reserved
    source_format: Mapped[str] = mapped_column(String(20))


class WatchNotice(Base):
    """A published notice read by the territorial watch (procure.watch), one row per notice identifier.

    A change or cancellation notice is a row of its own naming the notice it modifies (`modifies`); the modified
    row then names its latest version (`replaced_by`), so the watch lists each procedure once, as last published.
    """

    __tablename__ = "watch_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)  # eForms BT-701, or "fichier:<sha256>"
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(10))  # initial, change, cancel
    modifies: Mapped[str | None] = mapped_column(String(100), index=True)
    replaced_by: Mapped[str | None] = mapped_column(String(100))
    published: Mapped[date | None] = mapped_column(Date, index=True)
    department: Mapped[str | None] = mapped_column(String(3), index=True)
    commune_insee: Mapped[str | None] = mapped_column(String(5))
    epci: Mapped[str | None] = mapped_column(String(9))
    buyer: Mapped[str | None] = mapped_column(String(300))
    obligation: Mapped[str] = mapped_column(String(15))  # a key of procure.watch.assess.OBLIGATION_FR
    social: Mapped[bool] = mapped_column(Boolean)
    flagged: Mapped[bool] = mapped_column(Boolean, index=True)
    payload_json: Mapped[str] = mapped_column(Text)  # a procure.watch.assess.WatchedNotice
    read_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class FollowupCommitment(Base):
    """An awarded lot with an insertion commitment, followed after award (procure.followup, issue 25).

    Linked to its tender and lot number when it comes from an analysis (lot rows change with every analysis
    version, the number stays); a commitment typed by hand for a contract outside procure has no tender but
    always the buyer's organisation. `key` is the lot reference the facilitator's monthly statements name.
    """

    __tablename__ = "followup_commitments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)  # the buyer's
    tender_id: Mapped[int | None] = mapped_column(ForeignKey("tenders.id", ondelete="SET NULL"), index=True)
    lot_number: Mapped[int | None] = mapped_column(Integer)
    buyer_name: Mapped[str] = mapped_column(String(300))
    lot_title: Mapped[str] = mapped_column(String(500))
    holder_siret: Mapped[str | None] = mapped_column(String(14))
    holder_name: Mapped[str] = mapped_column(String(300), default="")
    facilitator_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    start: Mapped[date] = mapped_column(Date)
    duration_months: Mapped[int] = mapped_column(Integer)
    hours_total: Mapped[float | None] = mapped_column(Float)
    hours_per_year: Mapped[float | None] = mapped_column(Float)
    penalty_per_hour: Mapped[float | None] = mapped_column(Numeric(12, 2))
    renewals_json: Mapped[str] = mapped_column(Text, default="[]")  # months of each renewal decided: [12, 12]
    evidence: Mapped[str | None] = mapped_column(Text)  # the contract's passage (file, page, article)
    department: Mapped[str | None] = mapped_column(String(3), index=True)
    epci: Mapped[str | None] = mapped_column(String(9), index=True)
    trade: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(10))  # analysis, manual
    version: Mapped[int] = mapped_column(Integer, default=1)
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the command line
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class FollowupStatement(Base):
    """A facilitator's monthly statement of one commitment: hours by route, participants by public category and
    work contracts by type (procure.followup.model.Route, PublicCategory, ContractType: one column per code,
    `hours_<route>`, `participants_<category>`, `contracts_<type>`; None: not given). Counts only, no person."""

    __tablename__ = "followup_statements"
    __table_args__ = (UniqueConstraint("commitment_id", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("followup_commitments.id", ondelete="CASCADE"), index=True)
    month: Mapped[date] = mapped_column(Date, index=True)  # first day of the month
    hours_direct_hire: Mapped[float | None] = mapped_column(Float)
    hours_temporary_work_etti: Mapped[float | None] = mapped_column(Float)
    hours_provision_ai_geiq: Mapped[float | None] = mapped_column(Float)
    hours_subcontracting_siae: Mapped[float | None] = mapped_column(Float)
    hours_training: Mapped[float | None] = mapped_column(Float)
    participants_long_term_jobseekers: Mapped[int | None] = mapped_column(Integer)
    participants_rsa: Mapped[int | None] = mapped_column(Integer)
    participants_young_unqualified: Mapped[int | None] = mapped_column(Integer)
    participants_disability: Mapped[int | None] = mapped_column(Integer)
    participants_priority_district: Mapped[int | None] = mapped_column(Integer)
    participants_siae_followed: Mapped[int | None] = mapped_column(Integer)
    participants_other: Mapped[int | None] = mapped_column(Integer)
    contracts_cddi: Mapped[int | None] = mapped_column(Integer)
    contracts_cdd: Mapped[int | None] = mapped_column(Integer)
    contracts_cdi: Mapped[int | None] = mapped_column(Integer)
    contracts_temporary: Mapped[int | None] = mapped_column(Integer)
    contracts_apprenticeship: Mapped[int | None] = mapped_column(Integer)
    contracts_professionalisation: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(300))  # file name, or « saisie dans l'application »
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the command line
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class FollowupEvent(Base):
    """Audit trail of the follow-up: every commitment created or changed, every statement added or corrected,
    by whom (None: the command line) and when, with the figures before and after (JSON)."""

    __tablename__ = "followup_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("followup_commitments.id"), index=True)  # kept: no cascade
    action: Mapped[str] = mapped_column(String(30))  # procure.service.followup.FollowupAction
    month: Mapped[date | None] = mapped_column(Date)
    details_json: Mapped[str] = mapped_column(Text, default="{}")
    source: Mapped[str | None] = mapped_column(String(300))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
