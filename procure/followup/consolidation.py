"""The yearly consolidation, with the indicators of the national consolidation of the facilitators."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from procure.followup.model import Commitment, ContractType, PublicCategory, Route, Statement

__all__ = ["ConsolidationRow", "consolidate", "GroupBy"]

GroupBy = Literal["buyer", "department", "epci", "all"]


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
    buyers: int = 0


def consolidate(commitments: Iterable[Commitment], statements: Iterable[Statement], year: int,
                group_by: GroupBy = "all") -> list[ConsolidationRow]:
    """One row per group for calendar `year`; shares are `hours_by_route[r] / hours_done`."""
    raise NotImplementedError
