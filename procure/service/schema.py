"""What the service stores and reads back: codes with French labels, the versioned suggestion payload and the
versioned stored analysis.

The database keeps codes (`mandatory`, `accepted`, `reject`…), never display strings; the French label of a
code is `.label`. The suggestion payload (`suggestions.payload_json`) is a `StoredSuggestion`, written with
its `schema` number; `StoredSuggestion.from_json` reads every version ever written (version 0 is the
unversioned payload of the first releases) so that old analyses stay readable after an upgrade. The analysis of a
tender (`tenders.analysis_json`) is a `StoredAnalysis` in the same way: the `procure.model.Tender` as read and the
advice without its suggestions, read back typed from every version (`read_analysis`), so that the review, the
Word annex and the tracked CCAP render it without re-reading the uploaded files.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from datetime import date
from decimal import Decimal

from procure.model import (
    Amount,
    AmountKind,
    BuyerCategory,
    Commune,
    ContractNature,
    CpvCode,
    DocumentInfo,
    Evidence,
    Fact,
    FileProblem,
    Lot,
    Place,
    PlaceScope,
    ProvisionKind,
    SocialProvision,
    Tender,
    to_jsonable,
)

# SuggestionStatus lives with the other closed vocabularies; kept importable from here for the service's callers.
from procure.vocabulary import LabelledEnum
from procure.vocabulary import SuggestionStatus as SuggestionStatus

SCHEMA_VERSION = 1


class Role(LabelledEnum):
    BUYER = "buyer", "Acheteur"
    REVIEWER = "reviewer", "Membre du groupe de travail"
    ADMIN = "admin", "Administrateur"
    FACILITATOR = "facilitator", "Facilitateur de la clause"  # the clause facilitator: follows the awarded lots of the buyers who named it


class Decision(LabelledEnum):
    PENDING = "pending", "à examiner"
    ACCEPTED = "accepted", "acceptée"
    REJECTED = "rejected", "rejetée"


class Action(LabelledEnum):
    ACCEPT = "accept", "a accepté"
    REJECT = "reject", "a rejeté"
    COMMENT = "comment", "a commenté"
    RESET = "reset", "a remis à examiner"

    @property
    def decision(self) -> Decision | None:
        """The decision an action leads to; None for a comment, which changes nothing."""
        return {Action.ACCEPT: Decision.ACCEPTED, Action.REJECT: Decision.REJECTED, Action.RESET: Decision.PENDING}.get(
            self
        )


class TargetType(LabelledEnum):
    SUGGESTION = "suggestion", "clause proposée"
    MATCH = "match", "structure appariée"


class MatchOutcome(LabelledEnum):
    """What matching found for a lot of an analysis (lots.match_outcome)."""

    RANKED = "ranked", "structures crédibles classées"  # credible structures were stored
    NO_CREDIBLE = "no_credible", "aucune structure crédible dans l'annuaire"  # the directory was searched, no structure is credible for the lot
    NEEDS_PLACE = "needs_place", "lieu d'exécution à préciser"  # the place of execution is unknown: the user must give it
    NO_DIRECTORY = "no_directory", "annuaire vide"  # no supplier imported


class PlaceSource(LabelledEnum):
    """Where the place used for matching a lot comes from (lots.match_place_source)."""

    LOT = "lot", "lieu du lot"
    TENDER = "tender", "lieu de la consultation"
    BUYER = "buyer", "adresse de l'acheteur"  # the buyer's address or the commune its name points to
    USER = "user", "saisi par l'utilisateur"  # typed by the user in the app


class PlaceExtent(LabelledEnum):
    """How large the place used for matching is (lots.match_place_scope)."""

    COMMUNE = "commune", "commune"
    DEPARTMENT = "department", "département"
    REGION = "region", "région"
    NATIONAL = "national", "national"




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


# ---------------------------------------------------------------------------------------------- views

class Keyed:
    """Also read by key (`view["title"]`, `view.get("title")`), as the dicts these views replaced were: callers not
    yet moved to attributes keep working. New code reads attributes, which a renamed field turns into an error."""

    def __getitem__(self, key: str):
        if key in self.__dataclass_fields__:  # type: ignore[attr-defined]
            return getattr(self, key)
        raise KeyError(key)

    def get(self, key: str, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: str) -> bool:
        try:
            self[key]
        except KeyError:
            return False
        return True


# ---------------------------------------------------------------------------------------------- the stored analysis

ANALYSIS_SCHEMA_VERSION = 1
# Version history of tenders.analysis_json (StoredAnalysis.from_json reads every one of them):
#   0  the first releases: procure.model.Tender.to_dict() with "step_problems", no schema number, no advice.
#   1  the same tender fields at the top level (readers of version 0 still find them there), with "schema",
#      amounts as exact decimal strings, and "advice": what the annex prints beside the stored suggestions
#      (reference date and its source, contract value, compliance alerts, each lot's nature, CPV and amount).


@dataclass(frozen=True)
class StoredAlert:
    lot: int | None
    code: str
    message: str
    legal_basis: list[str]
    evidence: list[StoredEvidence] = field(default_factory=list)


@dataclass(frozen=True)
class StoredLotAdvice:
    number: int
    nature: str
    cpv: str | None
    amount_ht: Decimal | None
    alerts: list[StoredAlert] = field(default_factory=list)
    social_service: bool = False
    ways_to_comply: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StoredAdvice:
    """The advice of an analysis without its suggestions (those are rows of their own, with StoredSuggestion)."""

    reference_date: date
    date_source: str
    contract_value_ht: Decimal | None
    mandatory_social_condition: bool | None
    alerts: list[StoredAlert]
    lots: list[StoredLotAdvice]

    @classmethod
    def from_advice(cls, advice) -> StoredAdvice:
        """From a procure.advice.suggest.Advice."""
        return cls(
            reference_date=advice.reference_date,
            date_source=advice.date_source,
            contract_value_ht=_decimal(advice.contract_value_ht),
            mandatory_social_condition=advice.mandatory_social_condition,
            alerts=[_alert(a) for a in advice.alerts],
            lots=[StoredLotAdvice(lot.lot.number, lot.nature, lot.cpv, _decimal(lot.amount_ht),
                                  [_alert(a) for a in lot.alerts], bool(lot.social_service), list(lot.ways_to_comply))
                  for lot in advice.lots],
        )

    def to_advice(self, tender):
        """A procure.advice.suggest.Advice over `tender`, suggestions left empty (they are stored apart)."""
        from procure.advice.suggest import Advice, LotAdvice

        lots = []
        for stored in self.lots:
            lot = tender.lot(stored.number)
            if lot is None:
                continue
            lots.append(LotAdvice(lot, stored.nature, stored.cpv, stored.amount_ht, [],
                                  [_to_alert(a) for a in stored.alerts], stored.social_service,
                                  list(stored.ways_to_comply)))
        return Advice(tender, self.reference_date, self.date_source, self.contract_value_ht, None,
                      self.mandatory_social_condition, lots, [_to_alert(a) for a in self.alerts])


@dataclass(frozen=True)
class StoredAnalysis:
    """tenders.analysis_json: the tender as read, the advice without its suggestions, the steps that failed alone.

    `advice` is None for an analysis stored before version 1, or when the advice step failed; `advice_for` then
    advises the stored tender again (never re-reading the files)."""

    tender: Tender
    advice: StoredAdvice | None = None
    step_problems: list[str] = field(default_factory=list)
    schema: int = ANALYSIS_SCHEMA_VERSION

    @classmethod
    def of(cls, tender: Tender, advice=None, step_problems: list[str] | None = None) -> StoredAnalysis:
        """From the analysis just made: `advice` a procure.advice.suggest.Advice, or None (not computed)."""
        from procure.advice.suggest import Advice

        stored = StoredAdvice.from_advice(advice) if isinstance(advice, Advice) else None
        return cls(tender, stored, list(step_problems or []))

    def to_json(self) -> str:
        data = _exact_jsonable(self.tender)
        data["step_problems"] = list(self.step_problems)
        data["advice"] = _exact_jsonable(self.advice) if self.advice is not None else None
        data["schema"] = ANALYSIS_SCHEMA_VERSION
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> StoredAnalysis:
        data = json.loads(text)
        version = data.pop("schema", 0)
        if version > ANALYSIS_SCHEMA_VERSION:
            raise ValueError(f"analyse enregistrée par une version plus récente de procure (schéma {version})")
        steps = list(data.pop("step_problems", None) or [])
        advice = data.pop("advice", None)  # absent from version 0
        return cls(read_tender(data), _read_advice(advice) if advice else None, steps)

    def as_dict(self) -> dict:
        """The tender in the JSON form version 0 stored (Tender.to_dict, amounts as numbers) with "step_problems":
        for the pages that still read it by key."""
        return {**to_jsonable(self.tender), "step_problems": list(self.step_problems)}

    def __getitem__(self, key: str):
        """Read by key as the dict of version 0 was (`analysis["lots"]`): for the callers not yet typed."""
        return self.as_dict()[key]

    def get(self, key: str, default=None):
        return self.as_dict().get(key, default)

    def advice_for(self, answers=None):
        """The Advice the outputs print: the stored one; advised again from the stored tender (with the user's
        answers, procure.advice.advise.TenderAnswers) when none was stored."""
        if self.advice is not None:
            return self.advice.to_advice(self.tender)
        from procure.advice.advise import TenderAnswers, advise

        return advise(self.tender, answers or TenderAnswers())

    def lot(self, number: int) -> Lot | None:
        return self.tender.lot(number)


def read_analysis(text: str | None) -> StoredAnalysis | None:
    """tenders.analysis_json read back, whatever version wrote it; None when the tender was never analysed."""
    return StoredAnalysis.from_json(text) if text else None


def stored_lot(analysis: StoredAnalysis | None, number: int) -> Lot:
    """A lot of a stored analysis (for re-matching it without the files); an empty lot when it is not there."""
    lot = analysis.lot(number) if analysis is not None else None
    return lot if lot is not None else Lot(number)


def _decimal(value) -> Decimal | None:
    return Decimal(str(value)) if value is not None else None


def _alert(alert) -> StoredAlert:
    return StoredAlert(alert.lot, alert.code, alert.message, list(alert.legal_basis),
                       [StoredEvidence(**_evidence_fields(e)) for e in alert.evidence])


def _to_alert(stored: StoredAlert):
    from procure.advice.suggest import Alert

    return Alert(stored.lot, stored.code, stored.message, list(stored.legal_basis),
                 [Evidence(**asdict(e)) for e in stored.evidence])


def _exact_jsonable(obj):
    """procure.model.to_jsonable, decimals kept exact as strings (version 1)."""
    if isinstance(obj, Decimal):
        return str(obj)
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _exact_jsonable(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, dict):
        return {str(k): _exact_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_exact_jsonable(v) for v in obj]
    return to_jsonable(obj)


# The readers below are the inverse of _exact_jsonable / procure.model.to_jsonable, field by field, for every
# version: a value absent from an older version takes its default, an unknown key is an error (a renamed field
# fails here, in a test, instead of leaving a page blank).


def _read_advice(data: dict) -> StoredAdvice:
    return StoredAdvice(
        reference_date=date.fromisoformat(data["reference_date"]),
        date_source=data["date_source"],
        contract_value_ht=_decimal(data.get("contract_value_ht")),
        mandatory_social_condition=data.get("mandatory_social_condition"),
        alerts=[_read_alert(a) for a in data.get("alerts") or []],
        lots=[StoredLotAdvice(lot["number"], lot["nature"], lot.get("cpv"), _decimal(lot.get("amount_ht")),
                              [_read_alert(a) for a in lot.get("alerts") or []], bool(lot.get("social_service")),
                              list(lot.get("ways_to_comply") or []))
              for lot in data.get("lots") or []],
    )


def _read_alert(data: dict) -> StoredAlert:
    return StoredAlert(data.get("lot"), data["code"], data["message"], list(data.get("legal_basis") or []),
                       [StoredEvidence(**e) for e in data.get("evidence") or []])


def _build(cls, data: dict):
    """A flat dataclass of procure.model from its JSON form; a field typed with an enum (or enum | None) gets its
    member back, so that a vocabulary turned into an enum reads back as that enum."""
    hints = _hints(cls)
    return cls(**{key: _enum_value(hints.get(key), value) for key, value in data.items()})


def _hints(cls) -> dict:
    import typing

    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


_HINTS: dict[type, dict] = {}


def _enum_value(hint, value):
    import types
    import typing
    from enum import Enum

    if value is None or hint is None:
        return value
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union \
        else (hint,)
    for option in options:
        if isinstance(option, type) and issubclass(option, Enum):
            try:
                return option(value)
            except ValueError:
                return value
    return value


def _evidence(data: dict | None) -> Evidence | None:
    return _build(Evidence, data) if data else None


def _fact(data: dict | None, value=lambda v: v) -> Fact | None:
    if not data:
        return None
    raw = data.get("value")
    return Fact(value(raw) if raw is not None else None, _evidence(data.get("evidence")), bool(data.get("inherited")))


def _commune(data: dict) -> Commune:
    return _build(Commune, data)


def _place(data):
    """A Place; a bare Commune in analyses of the first releases (no "scope")."""
    if not isinstance(data, dict):
        return data
    if "scope" not in data:
        return _commune(data)
    return Place(PlaceScope(data["scope"]), data["label"], [_commune(c) for c in data.get("communes") or []],
                 list(data.get("departments") or []), data.get("region"), bool(data.get("from_buyer_address")))


def _amount(data):
    if not isinstance(data, dict):
        return data
    kind = data.get("kind")
    return Amount(_decimal(data["value"]), data.get("tax"), AmountKind(kind) if kind else None,
                  data.get("computation"), _decimal(data.get("estimate")))


def _nature(value):
    try:
        return ContractNature(value)
    except ValueError:
        return value


def _category(value):
    try:
        return BuyerCategory(value)
    except ValueError:
        return value


def _provision(data: dict) -> SocialProvision:
    return SocialProvision(ProvisionKind(data["kind"]), _build(Evidence, data["evidence"]), data.get("lot"),
                           list(data.get("articles") or []), data.get("hours"), data.get("hours_per"),
                           data.get("weight_percent"))


def _cpv(pair: list) -> tuple[CpvCode, Evidence | None]:
    code, evidence = pair
    return _build(CpvCode, code), _evidence(evidence)


def _prediction(data):
    """procure.market.classifier's prediction: its alternatives are (division, probability) pairs."""
    if isinstance(data, dict) and "alternatives" in data:
        return {**data, "alternatives": [tuple(pair) for pair in data["alternatives"]]}
    return data


def _lot(data: dict) -> Lot:
    return Lot(
        number=data["number"],
        title=_fact(data.get("title")),
        cpv=[_cpv(pair) for pair in data.get("cpv") or []],
        estimated_amount=_fact(data.get("estimated_amount"), _amount),
        duration_months=_fact(data.get("duration_months")),
        place=_fact(data.get("place"), _place),
        provisions=[_provision(p) for p in data.get("provisions") or []],
        predicted_cpv=_fact(data.get("predicted_cpv"), _prediction),
        cpv_doubt=data.get("cpv_doubt"),
        declared_nature=_fact(data.get("declared_nature"), _nature),
    )


def read_tender(data: dict) -> Tender:
    """A procure.model.Tender from its JSON form (Tender.to_dict(), any version)."""
    known = {f.name for f in fields(Tender)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"analyse enregistrée illisible : champs inconnus {sorted(unknown)}")
    return Tender(
        documents=[_build(DocumentInfo, d) for d in data.get("documents") or []],
        problems=[_build(FileProblem, p) for p in data.get("problems") or []],
        buyer=_fact(data.get("buyer")),
        buyer_category=_fact(data.get("buyer_category"), _category),
        object=_fact(data.get("object")),
        reference=_fact(data.get("reference")),
        procedure=_fact(data.get("procedure")),
        place=_fact(data.get("place"), _place),
        dates={key: _fact(fact, date.fromisoformat) for key, fact in (data.get("dates") or {}).items()},
        times=dict(data.get("times") or {}),
        defence_security=_fact(data.get("defence_security")),
        lots=[_lot(lot) for lot in data.get("lots") or []],
        provisions=[_provision(p) for p in data.get("provisions") or []],
        declared_nature=_fact(data.get("declared_nature"), _nature),
        estimated_amount=_fact(data.get("estimated_amount"), _amount),
    )
