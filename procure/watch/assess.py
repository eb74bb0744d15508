"""One notice as the working group reads it: territory, value and threshold, whether L2112-2-1 applies at its
date and why, the social provisions found, and for lots without one the levers that fit and the credible local
structures of the directory."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

from procure.model import Tender
from procure.vocabulary import SuggestionStatus

OBLIGATION_FR = {
    "applies": "s'applique",
    "not_applies": "ne s'applique pas",
    "undetermined": "indéterminée",
    "not_in_force": "pas encore en vigueur à la date de l'avis",
    "excluded": "exclue (défense ou sécurité)",
}
KIND_FR = {"initial": "avis initial", "change": "avis rectificatif", "cancel": "avis d'annulation"}
STRONGEST_SHOWN = 3
SUGGESTED_STATUSES = (SuggestionStatus.RECOMMENDED, SuggestionStatus.POSSIBLE)


@dataclass
class LotWatch:
    number: int
    title: str | None
    cpv: str | None
    amount_ht: float | None
    amount_kind: str | None
    provisions: list[str]  # ProvisionKind values found for this lot (tender-wide ones included)
    levers: list[str] = field(default_factory=list)  # French titles of the levers that fit, best first
    structures: int | None = None  # credible local structures; None: no directory, or the place is unknown
    strongest: list[str] = field(default_factory=list)  # names of the strongest ones


@dataclass
class WatchedNotice:
    key: str
    name: str
    kind: str  # initial, change, cancel
    record: str | None = None
    modifies: str | None = None
    procedure_id: str | None = None
    published: date | None = None
    buyer: str | None = None
    category: str | None = None  # BuyerCategory value
    commune_insee: str | None = None
    commune: str | None = None
    epci: str | None = None
    departments: list[str] = field(default_factory=list)
    object: str | None = None
    value_ht: float | None = None
    value_is_maximum: bool = False
    threshold_ht: float | None = None
    obligation: str = "undetermined"  # a key of OBLIGATION_FR
    obligation_fr: str = ""  # the reason, as procure.advice words it
    provisions: list[dict] = field(default_factory=list)  # kind, label, lot, passage, where
    lots: list[LotWatch] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # French, what could not be read

    @property
    def social(self) -> bool:
        """The notice carries a social consideration (a provision found, or coded in the eForms data)."""
        return bool(self.provisions)

    @property
    def flagged(self) -> bool:
        """« À signaler au groupe de travail »: the obligation applies and nothing social is found."""
        return self.kind != "cancel" and self.obligation == "applies" and not self.social

    @property
    def department(self) -> str | None:
        return self.departments[0] if len(self.departments) == 1 else None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> WatchedNotice:
        data = dict(data)
        data["lots"] = [LotWatch(**lot) for lot in data.get("lots", [])]
        if data.get("published"):
            data["published"] = date.fromisoformat(str(data["published"]))
        return cls(**data)


def assess(item, tender: Tender, index=None, today: date | None = None) -> WatchedNotice:
    """`item`: a notices.NoticeItem; `index`: a matching.SupplierIndex over the directory, or None."""
    from procure.advice.advise import advise

    watched = WatchedNotice(item.key, item.name, _kind(item), item.record, item.modifies, item.procedure_id)
    watched.problems = [problem.message for problem in tender.problems if problem.fatal]
    if not tender.readable:
        watched.obligation_fr = "avis illisible : " + " ; ".join(watched.problems)
        return watched
    _describe(watched, tender)
    advice = advise(tender, today=today)
    _obligation(watched, advice.obligation)
    watched.provisions = [_provision(p) for p in tender.provisions] + [
        _provision(p) for lot in tender.lots for p in lot.provisions]
    for lot_advice in advice.lots:
        watched.lots.append(_lot(tender, lot_advice, index))
    return watched


def _kind(item) -> str:
    if item.cancelled:
        return "cancel"
    return "change" if item.modifies else "initial"


def _describe(watched: WatchedNotice, tender: Tender) -> None:
    watched.published = tender.launch_date()
    watched.buyer = str(tender.buyer.value) if tender.buyer else None
    watched.category = tender.buyer_category.value.value if tender.buyer_category else None
    watched.object = str(tender.object.value) if tender.object else None
    place = tender.place.value if tender.place else None
    if place is not None:
        watched.departments = list(place.departments) or sorted({c.department for c in place.communes})
        if len(place.communes) == 1:
            commune = place.communes[0]
            watched.commune_insee, watched.commune, watched.epci = commune.insee, commune.name, commune.epci


def _obligation(watched: WatchedNotice, check) -> None:
    watched.value_ht = float(check.contract_value) if check.contract_value is not None else None
    watched.value_is_maximum = check.value_is_maximum
    threshold = check.threshold
    watched.threshold_ht = float(threshold.value) if threshold else None
    if not check.in_force:
        watched.obligation = "not_in_force"
    elif check.excluded:
        watched.obligation = "excluded"
    else:
        watched.obligation = {True: "applies", False: "not_applies", None: "undetermined"}[check.applies]
    watched.obligation_fr = check.explanation


def _provision(provision) -> dict:
    evidence = provision.evidence
    where = f"{evidence.file}" + (f" p. {evidence.page}" if evidence.page else "")
    return {"kind": provision.kind.value, "label": provision.label_fr,
            "lot": provision.lot, "passage": evidence.passage, "where": where}


def _lot(tender: Tender, lot_advice, index) -> LotWatch:
    lot = lot_advice.lot
    amount = lot.estimated_amount.value if lot.estimated_amount else None
    found = [p.kind.value for p in tender.provisions_for(lot.number)]
    watch = LotWatch(lot.number, str(lot.title.value) if lot.title else None, lot_advice.cpv,
                     float(lot_advice.amount_ht) if lot_advice.amount_ht is not None else None,
                     amount.kind.value if amount is not None and amount.kind else None, found)
    if found:
        return watch
    fitting = sorted((s for s in lot_advice.suggestions if s.status in SUGGESTED_STATUSES), key=lambda s: -s.score)
    watch.levers = [s.title for s in fitting]
    if index is not None:
        _local_structures(watch, tender, lot, index)
    return watch


def _local_structures(watch: LotWatch, tender: Tender, lot, index) -> None:
    from procure.matching.match import LotQuery

    result = index.match(LotQuery.from_lot(lot, tender=tender))
    if result.needs_place:
        return
    watch.structures = len(result.credible)
    watch.strongest = [match.supplier.name for match in result.credible[:STRONGEST_SHOWN]]
