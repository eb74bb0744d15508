"""What the service stores and reads back: codes with French labels, and the versioned suggestion payload.

The database keeps codes (`mandatory`, `accepted`, `reject`…), never display strings; the French label of a
code is `.label`. The suggestion payload (`suggestions.payload_json`) is a `StoredSuggestion`, written with
its `schema` number; `StoredSuggestion.from_json` reads every version ever written (version 0 is the
unversioned payload of the first releases) so that old analyses stay readable after an upgrade.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

SCHEMA_VERSION = 1


class LabelledEnum(StrEnum):
    """A code stored as such, with its French label."""

    @property
    def label(self) -> str:
        return _LABELS[type(self)][self]

    @classmethod
    def labels(cls) -> dict[str, str]:
        return {member.value: member.label for member in cls}


class Role(LabelledEnum):
    BUYER = "buyer"
    REVIEWER = "reviewer"
    ADMIN = "admin"
    FACILITATOR = "facilitator"  # the clause facilitator: follows the awarded lots of the buyers who named it


class SuggestionStatus(LabelledEnum):
    MANDATORY = "mandatory"
    RECOMMENDED = "recommended"
    POSSIBLE = "possible"
    PRESENT = "present"  # the tender already has this provision

    @classmethod
    def parse(cls, text: str) -> SuggestionStatus:
        """A code, or the French label procure.advice still produces."""
        if text in cls._value2member_map_:
            return cls(text)
        for member in cls:
            if member.label == text:
                return member
        raise ValueError(f"statut de suggestion inconnu : {text!r}")


class Decision(LabelledEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Action(LabelledEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    COMMENT = "comment"
    RESET = "reset"

    @property
    def decision(self) -> Decision | None:
        """The decision an action leads to; None for a comment, which changes nothing."""
        return {Action.ACCEPT: Decision.ACCEPTED, Action.REJECT: Decision.REJECTED, Action.RESET: Decision.PENDING}.get(
            self
        )


class TargetType(LabelledEnum):
    SUGGESTION = "suggestion"
    MATCH = "match"


class MatchOutcome(LabelledEnum):
    """What matching found for a lot of an analysis (lots.match_outcome)."""

    RANKED = "ranked"  # credible structures were stored
    NO_CREDIBLE = "no_credible"  # the directory was searched, no structure is credible for the lot
    NEEDS_PLACE = "needs_place"  # the place of execution is unknown: the user must give it
    NO_DIRECTORY = "no_directory"  # no supplier imported


class PlaceSource(LabelledEnum):
    """Where the place used for matching a lot comes from (lots.match_place_source)."""

    LOT = "lot"
    TENDER = "tender"
    BUYER = "buyer"  # the buyer's address or the commune its name points to
    USER = "user"  # typed by the user in the app


class PlaceExtent(LabelledEnum):
    """How large the place used for matching is (lots.match_place_scope)."""

    COMMUNE = "commune"
    DEPARTMENT = "department"
    REGION = "region"
    NATIONAL = "national"


_LABELS: dict[type, dict[Any, str]] = {
    Role: {Role.BUYER: "Acheteur", Role.REVIEWER: "Membre du groupe de travail", Role.ADMIN: "Administrateur",
           Role.FACILITATOR: "Facilitateur de la clause"},
    SuggestionStatus: {
        SuggestionStatus.MANDATORY: "obligatoire",
        SuggestionStatus.RECOMMENDED: "recommandée",
        SuggestionStatus.POSSIBLE: "possible",
        SuggestionStatus.PRESENT: "déjà présente",
    },
    Decision: {Decision.PENDING: "à examiner", Decision.ACCEPTED: "acceptée", Decision.REJECTED: "rejetée"},
    Action: {
        Action.ACCEPT: "a accepté",
        Action.REJECT: "a rejeté",
        Action.COMMENT: "a commenté",
        Action.RESET: "a remis à examiner",
    },
    TargetType: {TargetType.SUGGESTION: "clause proposée", TargetType.MATCH: "structure appariée"},
    MatchOutcome: {
        MatchOutcome.RANKED: "structures crédibles classées",
        MatchOutcome.NO_CREDIBLE: "aucune structure crédible dans l'annuaire",
        MatchOutcome.NEEDS_PLACE: "lieu d'exécution à préciser",
        MatchOutcome.NO_DIRECTORY: "annuaire vide",
    },
    PlaceSource: {
        PlaceSource.LOT: "lieu du lot",
        PlaceSource.TENDER: "lieu de la consultation",
        PlaceSource.BUYER: "adresse de l'acheteur",
        PlaceSource.USER: "saisi par l'utilisateur",
    },
    PlaceExtent: {
        PlaceExtent.COMMUNE: "commune",
        PlaceExtent.DEPARTMENT: "département",
        PlaceExtent.REGION: "région",
        PlaceExtent.NATIONAL: "national",
    },
}


@dataclass(frozen=True)
class StoredEvidence:
    file: str
    page: int | None
    block: int
    start: int
    end: int
    passage: str
    ocr: bool = False


@dataclass(frozen=True)
class StoredHours:
    """The insertion-hours computation, each factor with its value (see procure.advice.suggest.compute_hours)."""

    hours: int
    amount_ht: float | None  # None: hours stated by the tender itself, with no amount to compute from
    labour_share: float | None
    labour_family: str
    rate: float | None
    hourly_cost: float | None
    steps: list[str]
    unverified: bool
    references: list[str]


@dataclass(frozen=True)
class StoredSuggestion:
    """The part of a suggestion kept as JSON; lever, score, status and decision are columns of their own."""

    title: str
    reasons: list[str]
    evidence: list[StoredEvidence]
    legal_basis: list[str]
    old_articles: list[str]
    target_document: str
    clause_paragraphs: list[str]
    points_to_check: list[str] = field(default_factory=list)
    hours: StoredHours | None = None
    existing_hours: int | None = None  # hours the tender itself states, when the provision is already there
    schema: int = SCHEMA_VERSION

    @classmethod
    def from_suggestion(cls, suggestion) -> StoredSuggestion:
        """From a procure.advice.suggest.Suggestion."""
        hours = suggestion.hours
        return cls(
            title=suggestion.title,
            reasons=list(suggestion.reasons),
            evidence=[StoredEvidence(**_evidence_fields(e)) for e in suggestion.evidence],
            legal_basis=list(suggestion.legal_basis),
            old_articles=list(suggestion.old_articles),
            target_document=suggestion.target_document,
            clause_paragraphs=list(suggestion.clause_paragraphs),
            points_to_check=list(suggestion.points_to_check),
            hours=_hours(hours) if hours else None,
            existing_hours=suggestion.existing.hours if suggestion.existing else None,
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> StoredSuggestion:
        data = json.loads(text)
        version = data.get("schema", 0)
        if version > SCHEMA_VERSION:
            raise ValueError(f"analyse enregistrée par une version plus récente de procure (schéma {version})")
        if version == 0:  # first releases: the whole Suggestion dumped, with lever, lot, score and status inside
            for key in ("lever_id", "lot", "score", "status"):
                data.pop(key, None)
        data["schema"] = SCHEMA_VERSION
        data["evidence"] = [StoredEvidence(**e) for e in data.get("evidence", [])]
        data["hours"] = StoredHours(**data["hours"]) if data.get("hours") else None
        return cls(**data)


def _evidence_fields(evidence) -> dict:
    return {name: getattr(evidence, name) for name in StoredEvidence.__dataclass_fields__}


def _float(value) -> float | None:
    return float(value) if value is not None else None


def _hours(hours) -> StoredHours:
    return StoredHours(
        hours=int(hours.hours),
        amount_ht=_float(hours.amount_ht),
        labour_share=_float(hours.labour_share),
        labour_family=hours.labour_family,
        rate=_float(hours.rate),
        hourly_cost=_float(hours.hourly_cost),
        steps=list(hours.steps),
        unverified=bool(hours.unverified),
        references=list(hours.references),
    )
