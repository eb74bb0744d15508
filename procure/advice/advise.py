"""One use case for every caller: the advice on a tender, with the buyer's answers (code review, change 1).

The pipeline, the Word annex, the tracked CCAP and every CLI command call `advise(tender, answers)`, so that what the
buyer said (reference date, buyer category, defence or security contract) counts everywhere, and a new answer is
added once, here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from procure.advice.suggest import Advice, suggest
from procure.model import BuyerCategory, Tender

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class TenderAnswers:
    """What the buyer answered about a tender; None: not answered, the pieces (or the defaults) decide."""

    on: date | None = None  # reference date (date of launch) given by the buyer
    category: BuyerCategory | str | None = None  # central, local, contracting_entity
    defence: bool | None = None  # True: a defence or security contract (out of L2112-2-1)


NO_ANSWERS = TenderAnswers()


def advise(tender: Tender, answers: TenderAnswers = NO_ANSWERS, contracts: pd.DataFrame | None = None,
           today: date | None = None) -> Advice:
    """Suggestions, alerts and the L2112-2-1 check of a tender, the buyer's answers prevailing over the pieces;
    with `contracts` (DECP), what comparable real contracts did is added to each suggestion."""
    advice = suggest(tender, on=answers.on, today=today, category=answers.category, defence_security=answers.defence)
    if contracts is not None and not contracts.empty:
        from procure.market.similar import SimilarIndex, add_similar_evidence

        add_similar_evidence(advice, SimilarIndex(contracts))
    return advice
