"""The matching of one lot as the service stores it: its outcome, the place it used and where that place came from.

Every structure within reach of the lot is judged (procure.matching.match.SupplierIndex.match): the credible ones are
stored, up to MATCHES_STORED, strong before plausible; the app details the first MATCHES_PER_LOT and says how many
there are. A lot's outcome is `ranked` (credible structures stored), `no_credible` (the directory was searched, nothing is
credible), `needs_place` (the place of execution is unknown: the user is asked for it) or `no_directory` (no
supplier imported). The place comes from the lot, else the tender, else the buyer's address, as
procure.matching.match.place_of decides; a place typed by the user wins and is kept by the next analysis.
A lot is re-matched on its stored analysis (analysis_json), without re-reading the files.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from procure.db.models import LotRow, MatchRow, SupplierRow
from procure.errors import ProcureError, shown
from procure.service.schema import Decision, MatchOutcome, PlaceExtent, PlaceSource, SuggestionStatus

MATCHES_PER_LOT = 10  # credible structures the app details first (the others in a list below)
MATCHES_STORED = 50  # credible structures stored per lot, each open to a decision; beyond, they are counted
NATIONAL_CODE = "national"
BUYER_ADDRESS_MARK = "adresse de l'acheteur"  # in the label of a place read from the buyer's address
PLACE_NOT_RECOGNISED_FR = (
    "Lieu non reconnu : « {text} ». Indiquez une commune (nom, code postal ou code INSEE), un numéro de "
    "département (par exemple 94 ou 2A) ou « national »."
)
PLACE_MISSING_FR = "Indiquez une commune, un numéro de département ou « national »."
NO_DIRECTORY_FR = "L'annuaire des structures inclusives est vide : importez l'annuaire de votre territoire."
NOT_RECORDED_FR = ("Le résultat de la recherche de structures n'a pas été enregistré pour cette analyse ancienne : "
                   "relancez l'analyse.")


@dataclass
class LotMatch:
    """What matching found for a lot, and the place it used (None when unknown)."""

    outcome: MatchOutcome
    credible: list = field(default_factory=list)  # procure.matching.match.Match, forte or plausible
    place: object | None = None  # procure.matching.place.ResolvedPlace
    source: PlaceSource | None = None
    credible_count: int = 0  # every credible structure within reach, stored or not
    strong_count: int = 0  # of which labelled forte


# ---------------------------------------------------------------- the lot's query and its place

def lever_for(suggestions: Iterable[tuple[str, str]]) -> str | None:
    """The lever that orients the ranking, from (lever id, status) pairs: a lot already reserved admits only its
    kinds; otherwise an insertion clause."""
    levers = dict(suggestions)
    for lever_id, status in levers.items():
        if lever_id.startswith("reserved_") and SuggestionStatus.parse(status) is SuggestionStatus.PRESENT:
            return lever_id
    return "insertion_clause" if "insertion_clause" in levers else None


def place_source(lot, tender=None) -> PlaceSource:
    """Where LotQuery.from_lot found a place (the order of procure.matching.match.place_of)."""
    from procure.matching import place as places

    for fact, source in ((lot.place, PlaceSource.LOT), (tender.place if tender is not None else None, PlaceSource.TENDER)):
        if fact is not None and places.resolve(fact.value) is not None:
            if _buyer_address(fact, tender):
                return PlaceSource.BUYER
            return PlaceSource.TENDER if fact.inherited else source
    return PlaceSource.BUYER


def _buyer_address(fact, tender) -> bool:
    """A place the reading took from the buyer's address because the dossier states none (procure.extract.merge
    labels it so, with the buyer's passage as evidence)."""
    buyer = tender.buyer if tender is not None else None
    if getattr(fact.value, "from_buyer_address", False) or BUYER_ADDRESS_MARK in (getattr(fact.value, "label", "") or ""):
        return True
    return buyer is not None and buyer.evidence is not None and fact.evidence == buyer.evidence


def user_place(code: str | None):
    """The place typed by the user (or its stored code), resolved; None when it is not recognised."""
    from procure.matching import place as places

    return places.from_user(code) if code and code.strip() else None


def require_user_place(text: str | None):
    """The user's place, or a French error that changes nothing."""
    if not (text or "").strip():
        raise ProcureError(PLACE_MISSING_FR)
    from procure.matching import place as places
    from procure.reference.geo import communes_by_postcode

    value = text.strip()
    shared = communes_by_postcode(value) if value.isdigit() and len(value) == 5 else []
    if len(shared) > 1:  # one postal code, several communes: the user says which
        names = ", ".join(sorted(c.name for c in shared)[:4]) + ("…" if len(shared) > 4 else "")
        raise ProcureError(f"Le code postal {value} couvre plusieurs communes ({names}) : tapez le nom de la commune.")
    place = places.from_user(text, typed=True)
    if place is None:
        raise ProcureError(PLACE_NOT_RECOGNISED_FR.format(text=shown(text.strip())))
    return place


def analysis_query(lot, lever: str | None, tender, user_code: str | None = None):
    """The query of a lot at analysis time: the user's place when one was given before, else the documents'."""
    from procure.matching.match import LotQuery

    query = LotQuery.from_lot(lot, lever, tender=tender)
    place = user_place(user_code)
    if place is not None:
        query.set_place(place)
        return query, PlaceSource.USER
    return query, place_source(lot, tender) if query.place is not None else None


def stored_query(analysis: dict, lot_row: LotRow, lever: str | None):
    """The query of a stored lot, rebuilt from the stored analysis (its place is set by the caller)."""
    from procure.matching.match import LotQuery

    lot, tender = _stored_lot(analysis, lot_row), _stored_tender(analysis)
    query = LotQuery.from_lot(lot, lever, tender=tender)
    query.amount_ht = Decimal(str(lot_row.amount_ht)) if lot_row.amount_ht is not None else None
    return query


def _stored_lot(analysis: dict, lot_row: LotRow):
    from procure.model import CpvCode, Fact, Lot

    data = next((lot for lot in analysis.get("lots") or [] if lot.get("number") == lot_row.number), {})
    codes = [pair[0] for pair in data.get("cpv") or [] if pair and isinstance(pair[0], dict) and pair[0].get("code")]
    return Lot(
        lot_row.number,
        title=Fact(lot_row.title) if lot_row.title else None,
        cpv=[(CpvCode(c["code"], c.get("check_digit"), c.get("label")), None) for c in codes],
        duration_months=_fact(data.get("duration_months")),
        predicted_cpv=_fact(data.get("predicted_cpv")),
    )


def _stored_tender(analysis: dict):
    from procure.model import Fact, Tender

    dates = {}
    for key, fact in (analysis.get("dates") or {}).items():
        try:
            dates[key] = Fact(date.fromisoformat(str((fact or {}).get("value"))))
        except ValueError:
            continue
    return Tender(buyer=_fact(analysis.get("buyer")), dates=dates)


def _fact(data):
    from procure.model import Fact

    return Fact(data["value"]) if isinstance(data, dict) and data.get("value") is not None else None


# ---------------------------------------------------------------- matching and storing

def match_lot(index, query, source: PlaceSource | None) -> LotMatch:
    """Run matching for one lot and name its outcome; `index` None: no supplier imported."""
    if index is None:
        return LotMatch(MatchOutcome.NO_DIRECTORY, [], query.place, source)
    result = index.match(query, top=MATCHES_STORED)
    if result.needs_place:
        return LotMatch(MatchOutcome.NEEDS_PLACE)
    outcome = MatchOutcome.NO_CREDIBLE if not result.credible else MatchOutcome.RANKED
    return LotMatch(outcome, list(result.credible), query.place, source, result.credible_count, result.strong_count)


def record_outcome(lot_row: LotRow, found: LotMatch) -> None:
    """The outcome and the place on the lot's row."""
    place = found.place
    lot_row.match_outcome = found.outcome.value
    lot_row.match_place_label = place.label[:300] if place is not None and place.label else None
    lot_row.match_place_scope = place.scope if place is not None else None
    lot_row.match_place_source = found.source.value if place is not None and found.source else None
    lot_row.match_place_code = place_code(place)
    if hasattr(LotRow, "match_credible_count"):  # the exact count, once the lots table has a column for it
        lot_row.match_credible_count = found.credible_count


def place_code(place) -> str | None:
    """A code from_user resolves back to the same place: INSEE code, department code or "national"."""
    if place is None:
        return None
    if place.scope == PlaceExtent.NATIONAL:
        return NATIONAL_CODE
    return place.commune_insee or place.department


def add_matches(session: Session, lot_row: LotRow, lever: str | None, credible: list, supplier_ids: dict,
                previous: dict) -> int:
    """New match rows of a new analysis; `previous`: SIRET → decision carried over from the last version."""
    rows = _rows(lot_row, lever, credible, supplier_ids, {})
    for siret, row in rows:
        carry_over(row, previous.get(siret))
        session.add(row)
    return len(rows)


def replace_matches(session: Session, lot_row: LotRow, lever: str | None, credible: list, supplier_ids: dict) -> int:
    """The lot's matches after a new matching: a structure still there keeps its row, decision and history."""
    query = select(MatchRow, SupplierRow.siret).join(SupplierRow, SupplierRow.id == MatchRow.supplier_id)
    existing = {siret: row for row, siret in session.execute(query.where(MatchRow.lot_id == lot_row.id))}
    rows = _rows(lot_row, lever, credible, supplier_ids, existing)
    for siret in existing.keys() - {siret for siret, _ in rows}:
        session.delete(existing[siret])
    for siret, row in rows:
        if siret not in existing:
            carry_over(row, None)
            session.add(row)
    return len(rows)


def _rows(lot_row: LotRow, lever: str | None, credible: list, supplier_ids: dict,
          existing: dict) -> list[tuple[str, MatchRow]]:
    """(SIRET, row) of each credible match, in rank order; a row of `existing` (by SIRET) is updated, not replaced."""
    rows = []
    for match in credible:
        siret = match.supplier.siret
        if siret not in supplier_ids:  # removed from the directory while matching ran
            continue
        row = existing.get(siret) or MatchRow(lot_id=lot_row.id, supplier_id=supplier_ids[siret])
        row.lever_id, row.rank, row.score = lever, len(rows) + 1, match.score
        row.distance_km, row.explanation, row.confidence = match.distance_km, match.explanation_fr, match.confidence
        rows.append((siret, row))
    return rows


def carry_over(row, decision: tuple[str, int | None, object] | None) -> None:
    row.decision, row.version = Decision.PENDING.value, 1
    if decision:
        row.decision, row.decided_by, row.decided_at = decision


# ---------------------------------------------------------------- what the app and the annex read

def outcome_view(lot_row: LotRow) -> dict:
    """The lot's matching outcome for the app and the annex: code, French label, message, place, levers left, and
    how many credible structures were found (`credible_sentence`: « 14 structures crédibles pour ce lot, dont 12 à
    confiance forte ; les 10 premières sont affichées »)."""
    from procure.matching.match import NO_CREDIBLE_FR, OTHER_LEVERS_FR
    from procure.matching.place import ASK_PLACE_FR

    outcome = MatchOutcome(lot_row.match_outcome) if lot_row.match_outcome else None
    messages = {
        MatchOutcome.NEEDS_PLACE: ASK_PLACE_FR[:1].upper() + ASK_PLACE_FR[1:] + ".",
        MatchOutcome.NO_CREDIBLE: NO_CREDIBLE_FR[:1].upper() + NO_CREDIBLE_FR[1:] + ".",
        MatchOutcome.NO_DIRECTORY: NO_DIRECTORY_FR,
        MatchOutcome.RANKED: "",
        None: NOT_RECORDED_FR,
    }
    count, strong, at_least = _credible_counts(lot_row) if outcome is MatchOutcome.RANKED else (0, None, False)
    return {
        "outcome": outcome.value if outcome else None,
        "outcome_label": outcome.label if outcome else "non enregistré",
        "message": messages[outcome],
        "other_levers": list(OTHER_LEVERS_FR) if outcome is MatchOutcome.NO_CREDIBLE else [],
        "place": _place_view(lot_row),
        "credible_count": count,
        "credible_count_at_least": at_least,
        "shown": min(count, MATCHES_PER_LOT),
        "credible_sentence": credible_sentence(count, strong, at_least) if count else "",
    }


def credible_sentence(count: int, strong: int | None, at_least: bool = False, shown: int = MATCHES_PER_LOT) -> str:
    """« 14 structures crédibles pour ce lot, dont 12 à confiance forte ; les 10 premières sont affichées. »"""
    from procure.matching.match import credible_fr

    return credible_fr(count, strong, min(shown, count), at_least) + "."


def _credible_counts(lot_row: LotRow) -> tuple[int, int | None, bool]:
    """(credible, of which forte or None when unknown, whether the count is a floor): the lot's stored matches, or
    the count matching found when the lots table keeps it."""
    from sqlalchemy import func
    from sqlalchemy.orm import object_session

    session = object_session(lot_row)
    if session is None or lot_row.id is None:
        return 0, 0, False
    rows = dict(session.execute(select(MatchRow.confidence, func.count()).where(MatchRow.lot_id == lot_row.id)
                                .group_by(MatchRow.confidence)).all())
    stored, strong = sum(rows.values()), rows.get("forte", 0)
    found = getattr(lot_row, "match_credible_count", None)
    if found is not None and found > stored:
        return found, None, False  # the forte ones are counted among the stored matches only
    if stored >= MATCHES_STORED:
        return stored, None, True
    return stored, strong, False


def _place_view(lot_row: LotRow) -> dict | None:
    from procure.matching.place import NATIONAL_BUYER_LABEL

    if not lot_row.match_place_scope:
        return None
    extent, source = PlaceExtent(lot_row.match_place_scope), PlaceSource(lot_row.match_place_source or "buyer")
    label, code = lot_row.match_place_label or extent.label, lot_row.match_place_code or ""
    if extent is PlaceExtent.NATIONAL and label == NATIONAL_BUYER_LABEL:
        sentence = ("Marché national : l'acheteur est une administration nationale et le dossier ne donne aucun lieu "
                    "d'exécution ; les structures de toute la France sont classées sur leur activité, sans distance. "
                    "Indiquez un lieu si les prestations sont exécutées sur un site.")
    elif extent is PlaceExtent.NATIONAL:
        sentence = f"Marché national ({label}) : la distance n'est pas prise en compte ({source.label})."
    elif len(code) == 5:  # a commune: the lot's own, or the buyer's inside a department or a region
        sentence = f"Distances mesurées depuis {label} ({source.label})."
    else:
        sentence = f"Distances mesurées depuis le centre du territoire « {label} » ({source.label})."
    return {"label": label, "scope": extent.value, "scope_label": extent.label, "source": source.value,
            "source_label": source.label, "code": code or None, "sentence": sentence, "map": _map_place(extent, code)}


def _map_place(extent: PlaceExtent, code: str) -> dict | None:
    """The place as the analysis stores one (communes, departments), for the lot's map."""
    from procure.model import to_jsonable
    from procure.reference.geo import commune_by_insee

    if extent is PlaceExtent.NATIONAL or not code:
        return None
    commune = commune_by_insee(code) if len(code) == 5 else None
    if commune is not None:
        return {"communes": [to_jsonable(commune)], "departments": [commune.department]}
    return {"communes": [], "departments": [code]}
