"""Figures of the tenders an actor may see: lots, amounts, levers suggested, accepted, present; hours.

Archived and deleted tenders are left out. The insertion hours are counted as the practice export counts them
(procure.market.practice.lot_facts, column « Heures d'insertion prévues »): for a clause already in the tender,
the hours its documents state (none when they state none), never the volume procure computed for it; for a
clause procure proposed and the group accepted, the computed volume. The headline figure and the export's
column are then one sum (walkthrough B23: 29 306 h shown, 0 h exported).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from procure.db.models import LotRow, MatchRow, SuggestionRow, TenderRow
from procure.service import access
from procure.service.access import Actor
from procure.service.accounts import resolve
from procure.service.schema import Decision, StoredSuggestion, SuggestionStatus
from procure.service.tenders import live_clause

# DECP buyer names published as accounting labels or codes ("09", "01 BUDGET PRINCIPAL", "2019-BUDGET PRINCIPAL"):
# they name no buyer a user could recognise, so the dashboard sets them apart under one label.
UNUSABLE_BUYER_FR = "Nom d'acheteur inexploitable (DECP)"
_ACCOUNTING_WORDS = {"budget", "budgets", "budgetaire", "principal", "principale", "principa", "princip", "prin",
                     "annexe", "exercice", "bp", "ba", "achats", "internes", "eau"}


def buyer_name_usable(name: object) -> bool:
    """Whether a published buyer name names someone: a word of two letters or more besides accounting labels.

    >>> [buyer_name_usable(n) for n in ("09", "01 BUDGET PRINCIPAL", "13 HABITAT", "SM3A", "Budget principal")]
    [False, False, True, True, False]
    """
    if not isinstance(name, str):
        return False
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = [w for w in re.findall(r"[a-z]+", plain) if w not in _ACCOUNTING_WORDS]
    return any(len(w) >= 2 for w in words)


class Dashboard:
    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def dashboard(self, actor: Actor) -> dict:
        from procure.market.practice import lot_facts

        with self.sessions() as session:
            actor = resolve(session, actor)
            tenders = session.scalars(select(TenderRow).where(access.visible_clause(actor), live_clause())).all()
            latest = {t.id: t.analysis_version for t in tenders}
            lots = [
                lot
                for lot in session.scalars(select(LotRow).where(LotRow.tender_id.in_(latest)))
                if lot.analysis_version == latest[lot.tender_id]
            ]
            lot_ids = [lot.id for lot in lots]
            suggestions = session.scalars(select(SuggestionRow).where(SuggestionRow.lot_id.in_(lot_ids))).all()
            accepted_matches = session.scalar(
                select(func.count(MatchRow.id)).where(
                    MatchRow.lot_id.in_(lot_ids), MatchRow.decision == Decision.ACCEPTED.value
                )
            )
        by_lever: dict[str, dict[str, int]] = {}
        accepted_hours = stated_hours = present_without_hours = 0
        for s in suggestions:
            entry = by_lever.setdefault(s.lever_id, {"suggested": 0, "accepted": 0, "rejected": 0, "present": 0})
            entry["suggested"] += 1
            present = SuggestionStatus(s.status) is SuggestionStatus.PRESENT
            entry["present"] += present
            if s.decision in (Decision.ACCEPTED, Decision.REJECTED):
                entry[s.decision] += 1
            if s.lever_id != "insertion_clause":
                continue
            stored = StoredSuggestion.from_json(s.payload_json)
            # The tender's own clause counts the hours it states, never procure's estimate for it.
            hours = (stored.existing_hours or 0) if present else (stored.hours.hours if stored.hours else 0)
            if present:
                stated_hours += hours
                present_without_hours += not stored.existing_hours
            if s.decision == Decision.ACCEPTED:
                accepted_hours += hours
        facts = lot_facts(self.sessions, list(latest)) if latest else None
        planned = int(facts["insertion_hours"].sum()) if facts is not None and not facts.empty else 0
        return {
            "tenders": len(tenders),
            "lots": len(lots),
            "amount_ht": sum(lot.amount_ht or 0 for lot in lots),
            "by_lever": by_lever,
            # The export's « Heures d'insertion prévues », summed over the same lots.
            "planned_insertion_hours": planned,
            # Clauses the group accepted: a present clause with the hours it states, a proposal with procure's volume.
            "accepted_insertion_hours": accepted_hours,
            "stated_insertion_hours": stated_hours,  # written in the tenders' own clauses
            "present_clauses_without_hours": present_without_hours,
            "accepted_matches": accepted_matches or 0,
        }


# ---------------------------------------------------------------- published contracts (DECP), read by DuckDB

NO_VALUE_FR = {"division": "sans code CPV", "nature": "nature non renseignée"}


@dataclass(frozen=True)
class ShareRow:
    """Contracts of one group (a CPV division, a year, a nature, a buyer's year) and those with a social consideration."""

    label: str
    contracts: int
    with_social: int
    amount_ht: float
    amount_social_ht: float
    reserved: int
    year: int | None = None  # for a buyer's year

    @property
    def share(self) -> float:
        return self.with_social / self.contracts if self.contracts else 0.0


@dataclass(frozen=True)
class Benchmark:
    """The two lines a share is read against: the national target today and the share observed by the OECP."""

    target: float
    target_reference: str
    observed: float
    observed_year: int
    observed_reference: str


@dataclass(frozen=True)
class DecpDashboard:
    contracts: int  # in the analysis store
    store_version: int
    by_division: tuple[ShareRow, ...]
    by_year: tuple[ShareRow, ...]
    by_nature: tuple[ShareRow, ...]
    benchmark: Benchmark

    @property
    def with_social(self) -> int:
        return sum(row.with_social for row in self.by_year)

    @property
    def dated(self) -> int:
        return sum(row.contracts for row in self.by_year)


def benchmark(on: date | None = None) -> Benchmark:
    from procure import law

    target = law.parameter("national_social_target", on or date.today())
    observed = law.parameter_or_earliest("observed_social_share", on or date.today())
    return Benchmark(float(target.value), target.label_fr(), float(observed.value), observed.since.year,
                     observed.label_fr())


def _rows(frame, key: str) -> tuple[ShareRow, ...]:
    return tuple(ShareRow(str(row[key]) if row[key] != "" else NO_VALUE_FR.get(key, "non renseigné"), int(row["contracts"]),
                          int(row["with_social"]), float(row["amount_ht"]), float(row["amount_social_ht"]),
                          int(row["reserved"])) for row in frame.to_dict("records"))


def _division_label(code: str) -> str:
    from procure.reference.cpv import load_nomenclature

    if not code or code == NO_VALUE_FR["division"]:
        return NO_VALUE_FR["division"]
    try:
        label = load_nomenclature().labels.get(code + "000000")
    except (OSError, KeyError, UnicodeDecodeError):
        label = None
    return f"{code} — {label}" if label else code


class DecpFigures:
    """The DECP part of the dashboard, from the Parquet store (procure.market.analytics), cached per store version:
    a click recomputes nothing, an import is seen at the next call."""

    def __init__(self, sessions: sessionmaker[Session] | None = None, store=None):
        from procure.market.analytics import ContractStore

        self.sessions = sessions
        self.store = store or ContractStore()

    def version(self):
        """The store's version; contracts of the database it lacks (imported before the store existed, or through
        ContractRepository.import_frame) are copied into it first, once. The check reads the table's highest id
        (an index lookup), not its row count."""
        version = self.store.version()
        if self.sessions is None:
            return version
        from procure.db.models import PublicContract

        with self.sessions() as session:
            highest = session.scalar(select(func.max(PublicContract.id))) or 0
        if highest > self.store.manifest().get("database_max_id", 0):
            with self.sessions() as session:
                stored = session.scalar(select(func.count(PublicContract.id))) or 0
            if stored > version.rows:
                self.store.sync_from_database(self.sessions)
            self.store.note_database(highest)
            version = self.store.version()
        return version

    def dashboard(self, on: date | None = None) -> DecpDashboard:
        return _dashboard(self.version(), on or date.today())

    def buyers(self, search: str = "", limit: int = 200) -> list[str]:
        """Buyer names (the unusable ones grouped under UNUSABLE_BUYER_FR), most contracts first, whose folded name
        contains every word of `search`."""
        names, folded = _ranked_buyers(self.version())
        words = _folded(search).split()
        if not words:
            return names[:limit]
        return [name for name, plain in zip(names, folded, strict=True) if all(word in plain for word in words)][:limit]

    def buyer_rows(self, organisations: list[str]) -> list[ShareRow]:
        """Per chosen buyer and year: contracts, with a social consideration, amounts, reserved."""
        table = _buyer_table(self.version())
        chosen = table[table["organisation"].isin(organisations)]
        return [ShareRow(row["organisation"], int(row["contracts"]), int(row["with_social"]), float(row["amount_ht"]),
                         float(row["amount_social_ht"]), int(row["reserved"]), int(row["year"]))
                for row in chosen.to_dict("records")]


def _folded(text: str) -> str:
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    return " ".join(plain.split())


@functools.lru_cache(maxsize=8)
def _dashboard(version, on: date) -> DecpDashboard:
    from procure.market.analytics import share_table

    division = share_table(version, "division")
    division["division"] = division["division"].map(_division_label)
    by_division = tuple(sorted(_rows(division, "division"), key=lambda row: -row.contracts))
    return DecpDashboard(version.rows, version.version, by_division, _rows(share_table(version, "year"), "year"),
                         tuple(sorted(_rows(share_table(version, "nature"), "nature"), key=lambda row: -row.contracts)),
                         benchmark(on))


@functools.lru_cache(maxsize=4)
def _buyer_table(version):
    """Per buyer name and year, the unusable names (codes, budget labels) summed under one label."""
    from procure.market.analytics import share_table

    table = share_table(version, "buyer_year").rename(columns={"acheteur_nom": "organisation"})
    names = table["organisation"].drop_duplicates()
    usable = dict(zip(names, names.map(buyer_name_usable), strict=True))
    table["organisation"] = table["organisation"].where(table["organisation"].map(usable), UNUSABLE_BUYER_FR)
    return table.groupby(["organisation", "year"], as_index=False)[
        ["contracts", "with_social", "amount_ht", "amount_social_ht", "reserved"]].sum()


@functools.lru_cache(maxsize=4)
def _ranked_buyers(version) -> tuple[list[str], list[str]]:
    """Buyer names, most contracts first, and their folded forms for the search box."""
    ranked = _buyer_table(version).groupby("organisation")["contracts"].sum().sort_values(ascending=False, kind="stable")
    names = [str(name) for name in ranked.index]
    return names, [_folded(name) for name in names]


def clear_caches() -> None:
    """Forget the cached DECP figures (benches, tests); an import needs none of this, its new version suffices."""
    from procure.market.analytics import clear_cache

    clear_cache()
    for cached in (_dashboard, _buyer_table, _ranked_buyers):
        cached.cache_clear()
