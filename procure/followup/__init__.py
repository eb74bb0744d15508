"""Clause follow-up after award: commitments, monthly statements, progress and alerts, yearly consolidation.

Pure domain (no database, no UI): `procure.service` stores commitments and statements and calls these.
"""

from procure.followup.model import (
    Alert,
    AlertKind,
    Commitment,
    ContractType,
    Progress,
    PublicCategory,
    Route,
    Statement,
    YearProgress,
)

__all__ = ["Alert", "AlertKind", "Commitment", "ContractType", "Progress", "PublicCategory", "Route", "Statement",
           "YearProgress"]
