"""Lots: from lot tables (RC, AAPC) and from lot sections of the text, merged by lot number."""
from __future__ import annotations

import re

from procure.reference.cpv import Nomenclature, find_cpv_codes
from procure.extract.context import Segment
from procure.extract.header import PLACE_LABEL_RE, place_fact
from procure.ingest import Table
from procure.model import Amount, Evidence, Fact, Lot, Tender
from procure.text.nlp import fold_aligned
from procure.text.normalize import find_amounts, find_duration_months, parse_number

TITLE_END_RE = re.compile(
    r"\s*[(\[]?\s*(?:code\s+)?cpv\b|\s*[-–—,(;]\s*(?:montant|estim|duree|lieu)|\s+\d{8}|\s+\d[\d \u202f\u00a0.]*(?:,\d+)?\s*(?:€|euros)"
)
AMOUNT_CONTEXT_RE = re.compile(r"montant|estim|valeur|budget|enveloppe")
COLUMN_ROLES = [
    ("lot", r"^(?:n°\s*(?:de\s+)?)?lots?\b|^n°$|^numero"),
    ("title", r"designation|intitule|objet|libelle|description"),
    ("cpv", r"cpv"),
    ("amount", r"montant|estimation|estime|budget|valeur"),
    ("duration", r"duree"),
    ("place", r"lieu"),
]


class TenderLevel:
    """Facts found outside any lot: they apply to every lot that does not state its own."""

    def __init__(self) -> None:
        self.cpv: list = []
        self.amount: Fact | None = None
        self.duration: Fact | None = None


def extract_lots(tender: Tender, tables: list[Table], all_segments: list[Segment], nomenclature: Nomenclature | None) -> TenderLevel:
    lots: dict[int, Lot] = {}
    for table in tables:
        _lots_from_table(table, lots, nomenclature)
    level = TenderLevel()
    for segment in all_segments:
        if segment.block.kind == "table_row":
            continue
        if segment.lot is None:
            _fill_fields(level, segment, 0, nomenclature)
            continue
        lot = lots.setdefault(segment.lot, Lot(segment.lot))
        start = 0
        if segment.lot_heading:
            start = _title_from_heading(lot, segment)
        _fill_fields(lot, segment, start, nomenclature)
    tender.lots = [lots[number] for number in sorted(lots)]
    return level


def _title_from_heading(lot: Lot, segment: Segment) -> int:
    _, offset = segment.lot_heading
    rest = segment.folded[offset:]
    cut = TITLE_END_RE.search(rest)
    end = offset + (cut.start() if cut else len(rest))
    title = segment.block.text[offset:end].strip(" :–—-.,;")
    if title and lot.title is None:
        lot.title = Fact(title, Evidence.from_block(segment.block, offset, end))
    return end


def _fill_fields(target: Lot | TenderLevel, segment: Segment, start: int, nomenclature: Nomenclature | None) -> None:
    text, folded = segment.block.text, segment.folded
    amount_attr, duration_attr = ("estimated_amount", "duration_months") if isinstance(target, Lot) else ("amount", "duration")
    known = {code.code for code, _ in target.cpv}
    for code, s, e in find_cpv_codes(text[start:], nomenclature):
        if code.code not in known:
            target.cpv.append((code, Evidence.from_block(segment.block, start + s, start + e)))
            known.add(code.code)
    if getattr(target, amount_attr) is None and (AMOUNT_CONTEXT_RE.search(folded) or segment.lot_heading):
        amounts = find_amounts(text[start:])
        if amounts:
            amount, s, e = amounts[0]
            setattr(target, amount_attr, Fact(amount, Evidence.from_block(segment.block, start + s, start + e)))
    if getattr(target, duration_attr) is None and re.search(r"\bduree\b", folded):
        found = find_duration_months(text)
        if found:
            months, s, e = found
            setattr(target, duration_attr, Fact(months, Evidence.from_block(segment.block, s, e)))
    if isinstance(target, Lot) and target.place is None:
        match = PLACE_LABEL_RE.search(folded)
        if match:
            target.place = place_fact(segment, match)


def _lots_from_table(table: Table, lots: dict[int, Lot], nomenclature: Nomenclature | None) -> None:
    header_index, roles = _header(table)
    if header_index is None:
        return
    header_tax = _header_tax(table.rows[header_index], roles)
    for row, block in zip(table.rows[header_index + 1 :], table.blocks[header_index + 1 :]):
        number = re.search(r"\d{1,3}", row[roles["lot"]]) if roles["lot"] < len(row) else None
        if not number:
            continue
        lot = lots.setdefault(int(number.group()), Lot(int(number.group())))
        for role, column in roles.items():
            if column < len(row) and row[column]:
                _fill_cell(lot, role, row[column], block, header_tax, nomenclature)


def _header(table: Table) -> tuple[int | None, dict[str, int]]:
    for index, row in enumerate(table.rows[:3]):
        roles: dict[str, int] = {}
        for column, cell in enumerate(row):
            folded = fold_aligned(cell).strip()
            for role, pattern in COLUMN_ROLES:
                if role not in roles and re.search(pattern, folded):
                    roles[role] = column
                    break
        if "lot" in roles and len(roles) >= 2:
            return index, roles
    return None, {}


def _header_tax(header: list[str], roles: dict[str, int]) -> str | None:
    if "amount" not in roles:
        return None
    folded = fold_aligned(header[roles["amount"]])
    return "HT" if re.search(r"\bht\b|hors\s+tax", folded) else "TTC" if "ttc" in folded else None


def _cell_evidence(block, cell: str) -> Evidence:
    start = max(block.text.find(cell), 0)
    return Evidence.from_block(block, start, start + len(cell))


def _fill_cell(lot: Lot, role: str, cell: str, block, header_tax: str | None, nomenclature) -> None:
    evidence = _cell_evidence(block, cell)
    if role == "title" and lot.title is None:
        lot.title = Fact(cell, evidence)
    elif role == "cpv":
        known = {code.code for code in lot.cpv_codes}
        for code, _, _ in find_cpv_codes(cell, nomenclature):
            if code.code not in known:
                lot.cpv.append((code, evidence))
    elif role == "amount" and lot.estimated_amount is None:
        amounts = find_amounts(cell)
        if amounts:
            amount = amounts[0][0]
            if amount.tax is None:
                amount = Amount(amount.value, header_tax)
            lot.estimated_amount = Fact(amount, evidence)
        else:
            value = parse_number(re.sub(r"[^\d,. \u00a0\u202f]", "", cell).strip())
            if value is not None:
                lot.estimated_amount = Fact(Amount(value, header_tax), evidence)
    elif role == "duration" and lot.duration_months is None:
        found = find_duration_months(cell)
        if found:
            lot.duration_months = Fact(found[0], evidence)
    elif role == "place" and lot.place is None:
        from procure.reference.geo import resolve_commune

        commune = resolve_commune(cell)
        lot.place = Fact(commune if commune else cell, evidence)


def apply_tender_level(tender: Tender, level: TenderLevel) -> None:
    """Single-lot tenders get one lot; every lot inherits what the tender states for all."""
    if not tender.lots and (tender.object or level.cpv or level.amount):
        title = tender.object.value if tender.object else "Lot unique"
        evidence = tender.object.evidence if tender.object else None
        tender.lots = [Lot(1, Fact(title, evidence, inherited=True))]
    for lot in tender.lots:
        if not lot.cpv and level.cpv:
            lot.cpv = list(level.cpv)
        if lot.estimated_amount is None and level.amount is not None and len(tender.lots) == 1:
            lot.estimated_amount = Fact(level.amount.value, level.amount.evidence, inherited=True)
        if lot.duration_months is None and level.duration is not None:
            lot.duration_months = Fact(level.duration.value, level.duration.evidence, inherited=True)
        if lot.place is None and tender.place is not None:
            lot.place = Fact(tender.place.value, tender.place.evidence, inherited=True)
