"""Suggest social clauses per lot, with reasons, evidence, legal basis and compliance alerts.

All legal figures, dates and lists come from `clauses/` through `procure.law`, at the tender's reference date:
no date, threshold or CPV list is written here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from procure import law

# The names of the advice, importable from procure.advice.suggest as before it was split (issue 22): the
# obligation, the hours, the lever builders and the alerts each have their module.
from procure.advice.alerts import (
    CODE_ARTICLE_RE,
    PIECE_NAMES,
    PIECE_REFERENCE_RE,
    TO_PIECE_FR,
    Alert,
    _lot_alerts,
    _tender_alerts,
    referred_piece,
)
from procure.advice.hours import (
    AMOUNT_BASIS_CHECK_FR,
    AMOUNT_BASIS_FR,
    HOURS_FACTORS_FR,
    HoursComputation,
    compute_hours,
    family_fr,
    minimum_hours,
    tender_hours,
)
from procure.advice.levers import BUILDERS, QUALIFIED_SCORE, Suggestion, _LotContext, _ways_to_comply_fr, builder_for
from procure.advice.obligation import (
    CATEGORY_SHORT_FR,
    CATEGORY_SOURCES_FR,
    DATE_SOURCES_FR,
    DEFENCE_CPV_DIVISION,
    EARLIEST_RULES,
    FORMAL_PROCEDURES_FR,
    NATURE_FR,
    OBLIGATION_ARTICLE,
    VAT_RATE,
    ObligationCheck,
    _main_cpv,
    amount_ht,
    check_obligation,
    contract_nature,
    lot_nature,
    nature_of,
    reference_date,
    stated_nature,
    thresholds_fr,
)
from procure.model import BuyerCategory, Lot, Tender

__all__ = ["AMOUNT_BASIS_CHECK_FR", "AMOUNT_BASIS_FR", "Advice", "Alert", "BUILDERS", "CATEGORY_SHORT_FR", "CATEGORY_SOURCES_FR", "CODE_ARTICLE_RE", "DATE_SOURCES_FR", "DEFENCE_CPV_DIVISION", "FORMAL_PROCEDURES_FR", "HOURS_FACTORS_FR", "HoursComputation", "LotAdvice", "NATURE_FR", "OBLIGATION_ARTICLE", "ObligationCheck", "PIECE_NAMES", "PIECE_REFERENCE_RE", "QUALIFIED_SCORE", "Suggestion", "TO_PIECE_FR", "VAT_RATE", "amount_ht", "builder_for", "check_obligation", "compute_hours", "contract_nature", "family_fr", "lot_nature", "minimum_hours", "nature_of", "reference_date", "referred_piece", "suggest", "tender_hours", "thresholds_fr"]


@dataclass
class LotAdvice:
    lot: Lot
    nature: str
    cpv: str | None
    amount_ht: Decimal | None
    suggestions: list[Suggestion]
    alerts: list[Alert]
    social_service: bool = False
    ways_to_comply: list[str] = field(default_factory=list)  # French, when L2112-2-1 applies or may apply


@dataclass
class Advice:
    tender: Tender
    reference_date: date
    date_source: str
    contract_value_ht: Decimal | None
    eu_threshold: law.ParameterValue | None  # None when the buyer's category is unknown: see obligation.thresholds
    mandatory_social_condition: bool | None  # None: depends on the unknown buyer category
    lots: list[LotAdvice]
    alerts: list[Alert]
    obligation: ObligationCheck | None = None


def suggest(tender: Tender, on: date | None = None, today: date | None = None,
            category: BuyerCategory | str | None = None, defence_security: bool | None = None) -> Advice:
    """`category`: the user's choice of buyer category, used when given (else the extracted one).
    `defence_security`: True when the user says the contract is a defence or security contract."""
    ref, source = reference_date(tender, on, today)
    dated, start = ref, law.rules_start()
    ref = max(ref, start)  # older tenders: the earliest encoded rules, said in an alert
    if defence_security is None and tender.defence_security is not None:
        defence_security = bool(tender.defence_security.value)  # the pieces say it; the user's answer prevails
    obligation = check_obligation(tender, ref, category, defence_security)
    shown_source = EARLIEST_RULES if dated < start else source  # the date used is no date of the tender
    alerts = _tender_alerts(tender, shown_source, ref, obligation)
    if dated < start:
        alerts.insert(0, Alert(None, "date_before_rules",
                               f"Consultation datée du {dated:%d/%m/%Y} ({DATE_SOURCES_FR.get(source, source)}). Les règles "
                               f"antérieures au {start:%d/%m/%Y} ne sont pas encodées, celles de cette date sont "
                               f"appliquées ({law.UNVERIFIED_FR}).", []))
    lots = [_advise_lot(tender, lot, ref, obligation) for lot in tender.lots]
    used = obligation.threshold.parameter if obligation.threshold else None
    return Advice(tender, ref, shown_source, obligation.contract_value, used, obligation.applies, lots, alerts, obligation)


def _advise_lot(tender: Tender, lot: Lot, ref: date, check: ObligationCheck) -> LotAdvice:
    cpv = _main_cpv(lot)
    nature = stated_nature(tender, lot, cpv)
    amount, amount_note = amount_ht(lot.estimated_amount.value if lot.estimated_amount else None)
    existing = {p.kind: p for p in tender.provisions_for(lot.number)}
    context = _LotContext(tender, lot, ref, cpv, nature, amount, amount_note, existing, check)
    suggestions = [s for s in (builder_for(lever_id)(context) for lever_id in law.levers()) if s is not None]
    suggestions.sort(key=lambda s: (-s.score, s.lever_id))
    ways = _ways_to_comply_fr(context) if check.applies is not False else []
    return LotAdvice(lot, nature, cpv, amount, suggestions, _lot_alerts(context), law.is_social_service(cpv, ref), ways)
