"""One place of execution for a whole consultation, which its lots inherit (walkthrough B19).

The place is the consultation's, not each lot's: the buyer types it once and every lot whose own place was not read
in the documents is matched again from it, through the same per-lot use case (`Workspace.set_lot_place`), so the
per-lot rules (access, recognised text, a re-analysis in between) stay written once. A lot the documents give its
own place keeps it; a lot can still be given another place afterwards with its own form.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from procure.errors import ProcureError
from procure.service.access import Actor
from procure.service.schema import MatchOutcome, PlaceSource

NO_LOT_FR = "Cette consultation n'a aucun lot analysé : relancez l'analyse avant d'indiquer le lieu d'exécution."


class _LotPlaces(Protocol):  # the Workspace facade, without importing it (it imports this module's forward)
    def review_items(self, actor: Actor, tender_id: int) -> dict: ...

    def set_lot_place(self, actor: Actor, tender_id: int, lot_number: int, text: str) -> MatchOutcome: ...


@dataclass
class TenderPlaceResult:
    """Which lots took the consultation's place (with what matching then found) and which kept their own."""

    applied: dict[int, MatchOutcome] = field(default_factory=dict)  # lot number → outcome of the new matching
    kept: list[int] = field(default_factory=list)  # lots whose own place was read in the documents

    def summary_fr(self) -> str:
        """« Lieu d'exécution appliqué aux lots 1, 2 et 3. Le lot 4 garde le lieu lu pour lui dans le dossier. »"""
        parts = []
        if self.applied:
            parts.append(f"Lieu d'exécution appliqué {_lots_fr(list(self.applied), 'au')}.")
        else:
            parts.append("Aucun lot n'a pris ce lieu.")
        if self.kept:
            lots = _lots_fr(self.kept, "")
            own = "garde le lieu lu pour lui" if len(self.kept) == 1 else "gardent le lieu lu pour eux"
            parts.append(f"{lots[:1].upper()}{lots[1:]} {own} dans le dossier.")
        return " ".join(parts)


def _lots_fr(numbers: list[int], preposition: str) -> str:
    """[1] → « au lot 1 »; [1, 2, 3] → « aux lots 1, 2 et 3 » (preposition « au »); « le lot 1 » without one."""
    ordered = sorted(numbers)
    listed = str(ordered[0]) if len(ordered) == 1 else ", ".join(map(str, ordered[:-1])) + f" et {ordered[-1]}"
    if preposition == "au":
        return f"au lot {listed}" if len(ordered) == 1 else f"aux lots {listed}"
    return f"le lot {listed}" if len(ordered) == 1 else f"les lots {listed}"


def lots_with_own_place(items: dict) -> list[int]:
    """Lots whose place of execution the documents state for the lot itself (from `review_items`)."""
    return [lot["number"] for lot in items["lots"]
            if ((lot.get("matching") or {}).get("place") or {}).get("source") == PlaceSource.LOT.value]


def set_tender_place(workspace: _LotPlaces, actor: Actor, tender_id: int, text: str) -> TenderPlaceResult:
    """The place typed once for the consultation, applied to every lot without its own place in the documents.

    A text that is not recognised is refused (French ProcureError) by the first lot, before anything changes;
    AccessDenied for a role that may not analyse the tender; AnalysisConflict if the tender is re-analysed meanwhile.
    """
    items = workspace.review_items(actor, tender_id)  # checks that the actor sees the tender
    if not items["lots"]:
        raise ProcureError(NO_LOT_FR)
    kept = lots_with_own_place(items)
    result = TenderPlaceResult(kept=kept)
    for lot in items["lots"]:
        if lot["number"] not in kept:
            result.applied[lot["number"]] = workspace.set_lot_place(actor, tender_id, lot["number"], text)
    return result
