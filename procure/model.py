"""Typed description of a tender (DCE) with the evidence behind every fact.

This is the one tender model of the project: extraction fills it, suggestions,
matching, the app and the Word annex read it.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any, Generic, TypeVar

from procure.vocabulary import BuyerCategory, ContractNature, DateKey, DocumentRole, HoursPer, Layout

__all__ = ["Block", "Evidence", "Fact", "AmountKind", "Amount", "CpvCode", "Commune", "BuyerCategory",
           "BUYER_CATEGORY_LABELS_FR", "PlaceScope", "Place", "ProvisionKind", "PROVISION_LABELS_FR", "SocialProvision",
           "Lot", "FileProblem", "DocumentInfo", "Tender", "to_jsonable", "ContractNature", "DateKey", "DocumentRole",
           "HoursPer", "Layout", "format_euros", "format_int", "format_percent"]

T = TypeVar("T")


@dataclass(frozen=True)
class Block:
    """A unit of text as it stands in a source file: a paragraph, a heading, a table row or a PDF line."""

    file: str
    page: int | None  # 1-based page for PDF; None for DOCX (no stable pages)
    index: int  # 0-based order of the block inside its file
    kind: str  # "paragraph", "heading", "table_row", "line"
    text: str
    ocr: bool = False

    def where(self) -> str:
        if self.page is not None:
            return f"{self.file}, p. {self.page}"
        from procure.text.passages import where_fr  # Word has no numbered paragraphs: the start of the text

        return where_fr({"file": self.file, "page": None, "passage": self.text})


@dataclass(frozen=True)
class Evidence:
    """Where a fact comes from: the block and the exact passage inside it."""

    file: str
    page: int | None
    block: int
    start: int
    end: int
    passage: str
    ocr: bool = False

    @classmethod
    def from_block(cls, block: Block, start: int = 0, end: int | None = None, context: int = 80) -> Evidence:
        end = len(block.text) if end is None else end
        lo, hi = max(0, start - context), min(len(block.text), end + context)
        passage = block.text[lo:hi].strip()
        return cls(block.file, block.page, block.index, start, end, passage, block.ocr)

    def where(self) -> str:
        from procure.text.passages import where_fr

        return where_fr(self)


@dataclass
class Fact(Generic[T]):
    """A value with its evidence; `inherited` marks a value taken from the tender level for a lot.

    `Fact[Amount]`, `Fact[Place]`…: the type of the value is part of the field's type."""

    value: T
    evidence: Evidence | None = None
    inherited: bool = False


class AmountKind(str, Enum):
    """What a figure of a tender is: an estimate, a framework maximum or minimum, or a firm total."""

    ESTIMATE = "estimate"
    MAXIMUM = "maximum"
    MINIMUM = "minimum"
    TOTAL = "total"


@dataclass
class Amount:
    value: Decimal
    tax: str | None  # "HT", "TTC" or None when the text does not say
    kind: AmountKind | None = None  # None when the text does not say
    # How the value was obtained when it is not a figure of the text: e.g. "2 500 000 € HT par an × 4 ans"
    computation: str | None = None
    # A framework maximum printed with an estimate of the orders: the estimate, over the same duration (the hours
    # owed are computed on it; the maximum stays a ceiling).
    estimate: Decimal | None = None

    def __str__(self) -> str:
        return format_euros(self.value) + (f" {self.tax}" if self.tax else "")


@dataclass
class CpvCode:
    code: str  # 8 digits
    check_digit: str | None  # None when the nomenclature is not available to verify it
    label: str | None = None
    status: str = "ok"  # ok, completed (check digit added), repaired (leading zero), unverified, unknown, wrong_check_digit
    raw: str = ""

    @property
    def full(self) -> str:
        return f"{self.code}-{self.check_digit}" if self.check_digit is not None else self.code

    @property
    def division(self) -> str:
        return self.code[:2]

    @property
    def group(self) -> str:
        return self.code[:3]


@dataclass
class Commune:
    insee: str
    name: str
    department: str
    epci: str | None = None
    latitude: float | None = None
    longitude: float | None = None


# BuyerCategory lives in procure.vocabulary with its labels; this mapping stays for the callers that index it.
BUYER_CATEGORY_LABELS_FR: dict[BuyerCategory, str] = {category: category.label for category in BuyerCategory}


class PlaceScope(str, Enum):
    COMMUNE = "commune"
    SEVERAL = "several"  # several communes or departments
    DEPARTMENT = "department"
    REGION = "region"
    NATIONAL = "national"
    UNKNOWN = "unknown"  # stated, but not resolved to a territory


@dataclass
class Place:
    """A place of execution as a territory: communes, a department, a region or the whole country."""

    scope: PlaceScope
    label: str  # as written in the tender
    communes: list[Commune] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)  # INSEE department codes ("27", "2A", "971")
    region: str | None = None  # INSEE region code
    from_buyer_address: bool = False  # no place stated: the buyer's own territory stands for it

    @property
    def commune(self) -> Commune | None:
        """The commune where distances are measured from (the first one named)."""
        return self.communes[0] if self.communes else None

    @property
    def department(self) -> str | None:
        if self.departments:
            return self.departments[0]
        return self.communes[0].department if self.communes else None


class ProvisionKind(str, Enum):
    INSERTION_CLAUSE = "insertion_clause"
    RESERVED_DISABILITY = "reserved_disability"  # L2113-12, EA/ESAT
    RESERVED_SIAE = "reserved_siae"  # L2113-13
    RESERVED_ESS = "reserved_ess"  # L2113-15
    SOCIAL_CRITERION = "social_criterion"  # R2152-7
    ETHICAL_PURCHASING = "ethical_purchasing"  # ILO conventions, child labour
    FAIR_TRADE = "fair_trade"
    SOCIAL_SERVICES_PROCEDURE = "social_services_procedure"  # R2123-1 3°


class _ProvisionLabels(Mapping[ProvisionKind, str]):
    """Short French label of each kind, read from the lever registry (`label` in clauses/levers/<kind>.yaml)."""

    def _labels(self) -> dict[ProvisionKind, str]:
        from procure import law  # the registry checks at load that every kind has its lever file

        return {ProvisionKind(kind): label for kind, label in law.provision_labels().items()}

    def __getitem__(self, kind: object) -> str:
        return self._labels()[ProvisionKind(kind)]

    def __iter__(self) -> Iterator[ProvisionKind]:
        return iter(self._labels())

    def __len__(self) -> int:
        return len(self._labels())


PROVISION_LABELS_FR: Mapping[ProvisionKind, str] = _ProvisionLabels()


@dataclass
class SocialProvision:
    kind: ProvisionKind
    evidence: Evidence
    lot: int | None = None  # None: the whole tender
    articles: list[str] = field(default_factory=list)
    hours: int | None = None
    hours_per: HoursPer | None = None  # hours of the whole contract, or required per year of execution
    weight_percent: float | None = None

    @property
    def label_fr(self) -> str:
        return PROVISION_LABELS_FR[self.kind]


@dataclass
class Lot:
    number: int
    title: Fact[str] | None = None
    cpv: list[tuple[CpvCode, Evidence]] = field(default_factory=list)
    estimated_amount: Fact[Amount] | None = None
    duration_months: Fact[int] | None = None
    place: Fact[Place] | None = None
    provisions: list[SocialProvision] = field(default_factory=list)
    # dict(division, group, probability…), when the lot states no CPV
    predicted_cpv: Fact[dict[str, Any]] | None = None
    cpv_doubt: str | None = None  # French warning when the model finds the declared CPV very unlikely
    # The nature the pieces declare for the lot (works, supplies or services; never SOCIAL_SERVICES, which the law
    # derives from the CPV): eForms BT-23 of the lot, else the tender's declared nature (inherited). None: not said.
    declared_nature: Fact[ContractNature] | None = None

    @property
    def cpv_codes(self) -> list[CpvCode]:
        return [code for code, _ in self.cpv]


@dataclass
class FileProblem:
    file: str
    message: str  # French, shown to the user
    fatal: bool  # True: nothing could be read from this file


@dataclass
class DocumentInfo:
    file: str
    doc_type: str  # a procure.vocabulary.DocumentRole code (RC, CCAP, CCTP, AE, BPU, AVIS, CANDIDATURE, AUTRE…)
    pages: int | None
    blocks: int
    ocr_pages: list[int] = field(default_factory=list)
    sha256: str = ""


@dataclass
class Tender:
    documents: list[DocumentInfo] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    buyer: Fact[str] | None = None
    buyer_category: Fact[BuyerCategory] | None = None
    object: Fact[str] | None = None
    reference: Fact[str] | None = None
    procedure: Fact[dict[str, Any]] | None = None  # value: dict(code, label, article)
    place: Fact[Place] | None = None
    dates: dict[str, Fact[date]] = field(default_factory=dict)  # a DateKey code -> its date
    # key -> "14:00": the hour the documents print with that date ("le 02/09/2024 à 14h00"), local time as printed.
    # Kept apart so that a date stays a date for the law and the stored analyses; absent when no hour is printed.
    times: dict[str, str] = field(default_factory=dict)
    # value True: the pieces say the contract is a defence or security one (L2300-1 s., "article L2323-1"): the
    # insertion obligation of L2112-2-1 does not apply to it. None: nothing said.
    defence_security: Fact[bool] | None = None
    lots: list[Lot] = field(default_factory=list)
    provisions: list[SocialProvision] = field(default_factory=list)  # tender-wide ones
    # The nature the notice or a piece declares for the whole contract ("II.1.3) Type de marché : Travaux", eForms
    # BT-23, "Le présent marché est un marché de travaux"): works, supplies or services, never SOCIAL_SERVICES.
    declared_nature: Fact[ContractNature] | None = None
    # The amount the pieces state for the whole tender, all lots together (eForms BT-27 / BT-271 of the procedure,
    # "Valeur totale estimée"), read like a lot's amount; None when they state none. With one lot it is also that
    # lot's amount when the lot states none of its own.
    estimated_amount: Fact[Amount] | None = None

    @property
    def readable(self) -> bool:
        return bool(self.documents)

    def lot(self, number: int) -> Lot | None:
        return next((lot for lot in self.lots if lot.number == number), None)

    def provisions_for(self, lot_number: int) -> list[SocialProvision]:
        """Tender-wide provisions plus those of the lot."""
        lot = self.lot(lot_number)
        return list(self.provisions) + (list(lot.provisions) if lot else [])

    def launch_date(self) -> date | None:
        for key in DateKey:  # in the order of the law's reference date
            fact = self.dates.get(key)
            if fact:
                return fact.value
        return None

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(self)


def format_percent(ratio: float) -> str:
    """0.15 → '15 %' with the narrow no-break space French typography puts before %."""
    return f"{ratio:.0%}".replace("%", "\u202f%")


def format_int(value: int) -> str:
    """2042 → '2 042' with a narrow no-break space, as French typography wants."""
    return f"{value:,}".replace(",", "\u202f")


def format_euros(value: Decimal | int) -> str:
    """French typography: narrow no-break space as thousands separator, comma for decimals."""
    quantized = Decimal(value).quantize(Decimal("0.01"))
    integer, _, cents = f"{quantized:.2f}".partition(".")
    sign = "-" if integer.startswith("-") else ""
    digits = integer.lstrip("-")
    groups: list[str] = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    text = "\u202f".join(groups) or "0"
    return f"{sign}{text},{cents}\u00a0€"


def to_jsonable(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, Decimal):
        return float(obj)
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    return obj
