"""The clause follow-up ledger: what a holder committed to, what the facilitator reported each month.

Pure data, no database: `procure.service` stores these and `procure.followup.ledger` computes on them.
Participants are **counts by category only**: procure keeps no name, no health or judicial data and no
individual record; the facilitator keeps the proofs.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from procure.vocabulary import LabelledEnum

__all__ = ["LabelledEnum", "Route", "PublicCategory", "ContractType", "AlertKind", "Commitment", "Statement",
           "Alert", "Progress", "first_of_month", "add_months"]


class Route(LabelledEnum):
    """How the insertion hours were done (the routes of CCAG 2021 art. 16 and of the facilitators' reports)."""

    DIRECT_HIRE = "direct_hire", "Embauche directe"
    TEMPORARY_WORK_ETTI = "temporary_work_etti", "Intérim d'insertion (ETTI)"
    PROVISION_AI_GEIQ = "provision_ai_geiq", "Mise à disposition (AI, GEIQ)"
    SUBCONTRACTING_SIAE = "subcontracting_siae", "Sous-traitance ou cotraitance (SIAE, EA, ESAT)"
    TRAINING = "training", "Formation"


class PublicCategory(LabelledEnum):
    LONG_TERM_JOBSEEKERS = "long_term_jobseekers", "Demandeurs d'emploi de longue durée"
    RSA = "rsa", "Bénéficiaires du RSA"
    YOUNG_UNQUALIFIED = "young_unqualified", "Jeunes sans qualification"
    DISABILITY = "disability", "Travailleurs handicapés"
    PRIORITY_DISTRICT = "priority_district", "Résidents des quartiers prioritaires"
    SIAE_FOLLOWED = "siae_followed", "Personnes suivies par une SIAE"
    OTHER = "other", "Autres publics"


class ContractType(LabelledEnum):
    CDDI = "cddi", "CDDI"
    CDD = "cdd", "CDD"
    CDI = "cdi", "CDI"
    TEMPORARY = "temporary", "Intérim"
    APPRENTICESHIP = "apprenticeship", "Apprentissage"
    PROFESSIONALISATION = "professionalisation", "Professionnalisation"


class AlertKind(LabelledEnum):
    BEHIND = "behind", "En retard"
    YEAR_END_MISSING = "year_end_missing", "Fin d'année proche, heures manquantes"
    PENALTY_EXPOSURE = "penalty_exposure", "Pénalités encourues"
    BEYOND_END = "beyond_end", "Relevé après la fin du marché"  # a statement for a month after the contract's end




def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (clamped to the month's last day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Commitment:
    """One awarded lot with an insertion commitment.

    `key` is the stable id of the lot ("{tender_ref}/lot{n}"). Either `hours_per_year` (due for each contract
    year, renewals included) or `hours_total` (spread evenly over the whole duration, renewals included) is
    set; with both, `hours_per_year` wins for the pro rata and `hours_total` is kept as the stated total.
    `renewals_months` are the renewals actually decided (each one extends the contract). `evidence` is the
    contract's passage (article, page) that states the commitment and the penalty.
    """

    key: str
    buyer: str
    lot_title: str
    holder_siret: str | None
    holder_name: str
    facilitator: str | None
    start: date
    duration_months: int
    hours_total: float | None = None
    hours_per_year: float | None = None
    penalty_per_hour: Decimal | None = None
    renewals_months: tuple[int, ...] = ()
    evidence: str | None = None
    department: str | None = None
    epci: str | None = None
    trade: str | None = None

    @property
    def total_months(self) -> int:
        """Initial duration plus the renewals decided."""
        return self.duration_months + sum(self.renewals_months)

    @property
    def end(self) -> date:
        """The first day after the contract (renewals included)."""
        return add_months(self.start, self.total_months)


@dataclass(frozen=True)
class Statement:
    """A facilitator's monthly statement for one lot: hours by route, participants and contracts by kind."""

    commitment_key: str
    month: date  # first day of the month
    hours: dict[Route, float] = field(default_factory=dict)
    participants: dict[PublicCategory, int] = field(default_factory=dict)
    contracts: dict[ContractType, int] = field(default_factory=dict)
    source: str = ""

    @property
    def hours_done(self) -> float:
        return float(sum(self.hours.values()))

    @property
    def filled(self) -> int:
        """How many figures the statement gives (non-zero values): a poorer statement never erases a richer one."""
        return (sum(1 for v in self.hours.values() if v) + sum(1 for v in self.participants.values() if v)
                + sum(1 for v in self.contracts.values() if v))


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    commitment_key: str
    message: str  # French
    hours_missing: float = 0.0
    exposure_eur: Decimal | None = None
    evidence: str | None = None
    due: date | None = None  # the date the missing hours are due (end of the contract year)
    holder: str = ""
    buyer: str = ""


@dataclass
class YearProgress:
    """One contract year (start, end exclusive): hours due over the whole year, done in it, projected."""

    index: int  # 1 for the first contract year
    start: date
    end: date
    due: float
    due_to_date: float
    done: float
    projection: float | None


@dataclass
class Progress:
    """Where a commitment stands on `today`."""

    commitment_key: str
    today: date
    due_to_date: float
    done: float
    gap: float  # due_to_date - done (negative when ahead)
    share_done: float | None  # done / due_to_date, None when nothing is due yet
    projection_year_end: float | None  # hours expected done at the end of the current contract year
    projection_contract_end: float | None  # hours expected done at the end of the contract
    year_due: float | None  # hours due over the current contract year
    total_due: float | None  # hours due over the whole contract (renewals included)
    years: list[YearProgress] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
