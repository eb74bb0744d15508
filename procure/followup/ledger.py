"""Progress of a commitment on a date: hours due (pro rata), done, gap, projections and alerts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from procure.followup.model import Alert, Commitment, Progress, Statement

__all__ = ["progress", "alerts_for", "BEHIND_SHARE", "WARN_DAYS"]

BEHIND_SHARE = 0.2
WARN_DAYS = 60


def progress(commitment: Commitment, statements: Iterable[Statement], today: date,
             behind_share: float = BEHIND_SHARE, warn_days: int = WARN_DAYS) -> Progress:
    """Where `commitment` stands on `today` given its statements (other lots' statements are ignored)."""
    raise NotImplementedError


def alerts_for(commitments: Iterable[Commitment], statements: Iterable[Statement], today: date,
               behind_share: float = BEHIND_SHARE, warn_days: int = WARN_DAYS) -> dict[str, dict[str, list[Alert]]]:
    """Alerts of every commitment, grouped {"holder": {holder: [...]}, "buyer": {buyer: [...]}}."""
    raise NotImplementedError
