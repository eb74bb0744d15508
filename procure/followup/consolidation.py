"""The yearly consolidation, with the indicators of the national consolidation of the facilitators.

Per group (buyer, department, EPCI, or all) for a calendar year: contracts with a clause active in the year,
of which those with hours reported, hours done and due, full-time equivalents (hours ÷ the dated parameter
`fte_annual_hours` of `clauses/parameters.yaml`, 1 607 h), participants by public and by contract type, hours by
route and by trade. Statements outside their contract's months are left out (the ledger reports them). Plain
dict aggregation: one pass over the statements.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from procure.followup.model import Commitment, ContractType, PublicCategory, Route, Statement

__all__ = ["ConsolidationRow", "consolidate", "GroupBy", "GROUP_LABELS", "ALL_LABEL", "UNKNOWN_LABEL", "fte_hours"]

GroupBy = Literal["buyer", "department", "epci", "all"]
GROUP_LABELS = {"buyer": "Acheteur", "department": "Département", "epci": "EPCI", "all": "Ensemble"}
ALL_LABEL = "Ensemble"
UNKNOWN_LABEL = "non renseigné"


@dataclass
class ConsolidationRow:
    group: str  # the buyer, department or EPCI code, or "Ensemble"
    year: int
    contracts: int  # lots with a clause active in the year
    contracts_reporting: int  # of which with hours reported in the year
    hours_done: float
    hours_due: float
    fte: float
    fte_hours: float  # the hours of one FTE used (parameter)
    fte_since: date | None  # date of that parameter value
    fte_source: str
    participants: dict[PublicCategory, int] = field(default_factory=dict)
    contracts_by_type: dict[ContractType, int] = field(default_factory=dict)
    hours_by_route: dict[Route, float] = field(default_factory=dict)
    hours_by_trade: dict[str, float] = field(default_factory=dict)
    buyers: int = 0  # distinct buyers of the group
    group_by: str = "all"  # how the rows were grouped: buyer, department, epci or all

    @property
    def participants_total(self) -> int:
        return sum(self.participants.values())

    @property
    def work_contracts_total(self) -> int:
        return sum(self.contracts_by_type.values())

    def route_share(self, route: Route) -> float | None:
        return self.hours_by_route.get(route, 0.0) / self.hours_done if self.hours_done else None

    def trade_share(self, trade: str) -> float | None:
        return self.hours_by_trade.get(trade, 0.0) / self.hours_done if self.hours_done else None


def fte_hours(year: int) -> tuple[float, date | None, str]:
    """Hours of one FTE in `year` (parameter `fte_annual_hours` at 1 January), its date and its source."""
    from procure import law

    value = law.parameter_or_earliest("fte_annual_hours", date(year, 1, 1))
    hours = value.value["hours"] if isinstance(value.value, dict) else value.value
    return float(hours), value.since, value.reference


def _group_of(commitment: Commitment, group_by: GroupBy) -> str:
    if group_by == "all":
        return ALL_LABEL
    if group_by not in GROUP_LABELS:
        raise ValueError(group_by)
    return getattr(commitment, group_by) or UNKNOWN_LABEL


def consolidate(commitments: Iterable[Commitment], statements: Iterable[Statement], year: int,
                group_by: GroupBy = "all") -> list[ConsolidationRow]:
    """One row per group for calendar `year` (groups sorted, « non renseigné » last); shares are
    `hours_by_route[r] / hours_done`."""
    per_fte, since, source = fte_hours(year)
    year_first, year_last = year * 12, year * 12 + 11
    # key -> (group, trade, first month index, last month index)
    window: dict[str, tuple[str, str, int, int]] = {}
    rows: dict[str, ConsolidationRow] = {}
    buyers: dict[str, set[str]] = {}
    for c in commitments:
        first = c.start.year * 12 + c.start.month - 1
        last = first + c.total_months - 1
        if last < year_first or first > year_last or c.total_months <= 0:
            continue
        group = _group_of(c, group_by)
        window[c.key] = (group, c.trade or UNKNOWN_LABEL, first, last)
        row = rows.get(group)
        if row is None:
            row = rows[group] = ConsolidationRow(group=group, year=year, contracts=0, contracts_reporting=0,
                                                 hours_done=0.0, hours_due=0.0, fte=0.0, fte_hours=per_fte,
                                                 fte_since=since, fte_source=source, group_by=group_by)
            buyers[group] = set()
        row.contracts += 1
        buyers[group].add(c.buyer)
        months_in_year = min(last, year_last) - max(first, year_first) + 1
        if c.hours_per_year is not None:
            row.hours_due += c.hours_per_year / 12 * months_in_year
        elif c.hours_total is not None:
            row.hours_due += c.hours_total / c.total_months * months_in_year
    reporting: dict[str, set[str]] = {group: set() for group in rows}
    for s in statements:
        if s.month.year != year:
            continue
        where = window.get(s.commitment_key)
        if where is None:
            continue
        group, trade, first, last = where
        index = year * 12 + s.month.month - 1
        if index < first or index > last:
            continue
        row = rows[group]
        total = 0.0
        by_route = row.hours_by_route
        for route, hours in s.hours.items():
            if hours:
                by_route[route] = by_route.get(route, 0.0) + hours
                total += hours
        if total:
            row.hours_done += total
            row.hours_by_trade[trade] = row.hours_by_trade.get(trade, 0.0) + total
            reporting[group].add(s.commitment_key)
        people = row.participants
        for category, count in s.participants.items():
            if count:
                people[category] = people.get(category, 0) + count
        kinds = row.contracts_by_type
        for kind, count in s.contracts.items():
            if count:
                kinds[kind] = kinds.get(kind, 0) + count
    for group, row in rows.items():
        row.contracts_reporting = len(reporting[group])
        row.buyers = len(buyers[group])
        row.fte = row.hours_done / per_fte if per_fte else 0.0
    return sorted(rows.values(), key=lambda r: (r.group == UNKNOWN_LABEL, r.group.casefold()))
