"""The directory in the database: one merged row per SIRET (`suppliers`, what matching reads) and, beside it, what
each imported file said (`supplier_sources`).

The merged row is recomputed from the sources of its SIRET at each import: kinds united, each other field from
the most recent source that gives it (an empty value never erases one), the location taken whole from the most
recent source that located the structure, source names side by side. So a poorer file adds what it knows and
loses nothing, and the directory can say which file gave which value and where sources disagree on the kind.
Writes go by batches of SIRET inside one transaction: a national file streams, and a file refused halfway
leaves the directory as it was.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from procure.db.models import SupplierRow, SupplierSourceRow
from procure.directory.identifiers import naf_labels
from procure.directory.kinds import SIAE_KINDS

SOURCE_SEPARATOR = " ; "
FIELDS = ["siret", "name", "kinds", "naf", "address", "postcode", "commune_insee", "commune_name", "department",
          "latitude", "longitude", "activities", "headcount", "source", "source_date", "demo"]
LOCATION_FIELDS = ["postcode", "commune_insee", "commune_name", "department", "latitude", "longitude"]
SCALAR_FIELDS = ["name", "naf", "activities", "headcount"]
SOURCE_COLUMNS = ["name", "naf", "address", "activities", "headcount", *LOCATION_FIELDS]
FIELD_LABELS_FR = {"name": "raison sociale", "kinds": "type", "naf": "code NAF", "address": "adresse",
                   "commune_insee": "commune", "activities": "activités", "headcount": "effectif"}
MAIN_KIND_FAMILIES = {"insertion": SIAE_KINDS | {"GEIQ"}, "handicap": {"EA", "EATT", "ESAT"}}
BATCH = 2000
IN_CHUNK = 900  # SQLite's host-parameter limit is far above; PostgreSQL has none that matters here


@dataclass
class Supplier:
    siret: str
    name: str
    kinds: list[str]
    naf: str | None = None
    address: str | None = None
    postcode: str | None = None
    commune_insee: str | None = None
    commune_name: str | None = None
    department: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    activities: str | None = None
    headcount: int | None = None
    source: str = ""
    source_date: date | None = None
    demo: bool = False

    @property
    def siren(self) -> str:
        return self.siret[:9]

    @property
    def naf_label(self) -> str | None:
        return naf_labels().get(self.naf) if self.naf else None

    def activity_text(self) -> str:
        return " ".join(part for part in (self.name, self.naf_label, self.activities) if part)


@dataclass
class SourceValues:
    """What one source said about one structure (a row of `supplier_sources`)."""

    siret: str
    source: str
    format: str
    kinds: list[str] = field(default_factory=list)
    name: str | None = None
    naf: str | None = None
    address: str | None = None
    postcode: str | None = None
    commune_insee: str | None = None
    commune_name: str | None = None
    department: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    activities: str | None = None
    headcount: int | None = None
    source_date: date | None = None
    details: dict = field(default_factory=dict)
    demo: bool = False
    imported_at: datetime | None = None
    complete_only: bool = False  # completes a known structure, never creates one (establishments of the Annuaire)

    @classmethod
    def of(cls, supplier: Supplier, format_code: str = "direct") -> SourceValues:
        values = {name: getattr(supplier, name) for name in FIELDS if name not in ("siret", "source", "kinds")}
        return cls(supplier.siret, supplier.source[:100], format_code, kinds=sorted(set(supplier.kinds)), **values)

    def absorb(self, newer: SourceValues) -> None:
        """A new reading of the same source: kinds united, details completed, a value replaced only by a value."""
        self.kinds = sorted(set(self.kinds) | set(newer.kinds))
        for name in ("name", "naf", "address", "activities", "headcount", "format"):
            value = getattr(newer, name)
            if value not in (None, ""):
                setattr(self, name, value)
        if newer.commune_insee is not None or self.commune_insee is None:
            for name in LOCATION_FIELDS:
                value = getattr(newer, name)
                if value is not None or newer.commune_insee is not None:
                    setattr(self, name, value)
        if newer.source_date and (self.source_date is None or newer.source_date > self.source_date):
            self.source_date = newer.source_date
        self.details = {**self.details, **newer.details}
        self.demo = self.demo and newer.demo


@dataclass(frozen=True)
class SourceCount:
    source: str
    format: str
    source_date: date | None
    count: int
    demo: bool


@dataclass(frozen=True)
class Merged:
    values: dict
    provenance: dict[str, str]  # field -> source name
    kind_conflict: str | None


def _order(source: SourceValues):
    """Oldest first: by the date of the data (else the day it was imported), then by import time."""
    imported = source.imported_at or datetime.now(UTC)
    if imported.tzinfo is None:  # SQLite gives back naive times
        imported = imported.replace(tzinfo=UTC)
    return (source.source_date or imported.date(), imported)


def merge_sources(sources: list[SourceValues]) -> Merged:
    """The merged structure from all its sources (oldest first, so the most recent value wins field by field)."""
    ordered = sorted(sources, key=_order)
    values: dict = {"siret": ordered[0].siret}
    provenance: dict[str, str] = {}
    for name in SCALAR_FIELDS:
        values[name] = None
        for source in ordered:
            if getattr(source, name) not in (None, ""):
                values[name], provenance[name] = getattr(source, name), source.source
    located = [s for s in ordered if s.commune_insee]
    where = located[-1] if located else next((s for s in reversed(ordered) if s.postcode), None)
    for name in LOCATION_FIELDS:
        values[name] = getattr(where, name) if where else None
    if located:
        provenance["commune_insee"] = where.source
    # The address goes with the place: the latest one given for the same commune (or postcode), never another town's.
    values["address"] = None
    for source in ordered:
        same_place = (source.commune_insee == values["commune_insee"] if values["commune_insee"]
                      else source.postcode == values["postcode"])
        if source.address and same_place:
            values["address"], provenance["address"] = source.address, source.source
    kinds = sorted({k for s in ordered for k in s.kinds})
    values["kinds"] = ",".join(kinds)
    provenance["kinds"] = SOURCE_SEPARATOR.join(s.source for s in ordered if s.kinds)
    values["name"] = values["name"] or ordered[-1].siret
    values["source"] = _joined_names([s.source for s in ordered])
    dates = [s.source_date for s in ordered if s.source_date]
    values["source_date"] = max(dates) if dates else None
    values["demo"] = all(s.demo for s in ordered)
    values["siren"] = values["siret"][:9]
    return Merged(values, provenance, kind_conflict(ordered))


def kind_conflict(sources: list[SourceValues]) -> str | None:
    """French description when sources name different main kinds (SIAE measure, EA, ESAT…) for one structure."""
    said = [(s.source, sorted(set(s.kinds) & (MAIN_KIND_FAMILIES["insertion"] | MAIN_KIND_FAMILIES["handicap"])))
            for s in sources]
    said = [(source, kinds) for source, kinds in said if kinds]
    if len({tuple(kinds) for _, kinds in said}) <= 1:
        return None
    return "types différents selon les sources : " + " ; ".join(f"{'/'.join(kinds)} ({source})" for source, kinds in said)


def _joined_names(names: list[str]) -> str:
    kept: list[str] = []
    for name in names:
        if name and name not in kept:
            kept.append(name)
    while len(SOURCE_SEPARATOR.join(kept)) > 100 and len(kept) > 1:
        kept.pop(0)  # the column holds 100 characters: the oldest names go first
    return SOURCE_SEPARATOR.join(kept)[:100]


def _source_from_row(row) -> SourceValues:
    """From a plain row (mapping) of supplier_sources."""
    values = {name: row[name] for name in SOURCE_COLUMNS}
    return SourceValues(row["siret"], row["source"], row["format"], kinds=[k for k in (row["kinds"] or "").split(",") if k],
                        source_date=row["source_date"], details=json.loads(row["details"]) if row["details"] else {},
                        demo=row["demo"], imported_at=row["imported_at"], **values)


def _source_columns(source: SourceValues) -> dict:
    values = {name: getattr(source, name) for name in SOURCE_COLUMNS}
    return {**values, "siret": source.siret, "source": source.source[:100], "format": source.format[:20],
            "kinds": ",".join(sorted(set(source.kinds)))[:100], "source_date": source.source_date,
            "details": json.dumps(source.details, ensure_ascii=False, sort_keys=True) if source.details else None,
            "demo": source.demo}


def _from_mapping(row) -> Supplier:
    values = {name: row[name] for name in FIELDS}
    values["kinds"] = [k for k in row["kinds"].split(",") if k]
    return Supplier(**values)


def _from_row(row: SupplierRow) -> Supplier:
    values = {name: getattr(row, name) for name in FIELDS}
    values["kinds"] = [k for k in row.kinds.split(",") if k]
    return Supplier(**values)


def _chunks(items: list, size: int = IN_CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class Writer:
    """Writes batches of source values in the session of one import (one transaction)."""

    def __init__(self, session: Session):
        self.session = session

    def write(self, batch: list[SourceValues]) -> dict[str, str]:
        """Merge each source value in; returns siret -> added, updated, unchanged or unknown (complete_only rows
        whose structure is not in the directory)."""
        by_key: dict[tuple[str, str], SourceValues] = {}
        for value in batch:
            known = by_key.get((value.siret, value.source))
            if known is None:
                by_key[(value.siret, value.source)] = value
            else:
                known.absorb(value)
        sirets = sorted({siret for siret, _ in by_key})
        # Plain rows (no ORM objects): a national file reads back tens of thousands of them.
        supplier_table, source_table = SupplierRow.__table__, SupplierSourceRow.__table__
        suppliers = {row["siret"]: row for chunk in _chunks(sirets)
                     for row in self.session.execute(select(supplier_table).where(supplier_table.c.siret.in_(chunk))).mappings()}
        sources: dict[str, dict[str, tuple[int | None, SourceValues]]] = {}
        for chunk in _chunks(sirets):
            for row in self.session.execute(select(source_table).where(source_table.c.siret.in_(chunk))).mappings():
                sources.setdefault(row["siret"], {})[row["source"]] = (row["id"], _source_from_row(row))
        now = datetime.now(UTC)
        new_sources, changed_sources, new_suppliers, changed_suppliers = [], [], [], []
        statuses: dict[str, str] = {}
        for (siret, source_name), value in by_key.items():
            known = sources.setdefault(siret, {})
            if siret in suppliers and not known:  # a structure written before its sources were kept
                legacy = SourceValues.of(_from_mapping(suppliers[siret]), "ancien")
                known[legacy.source] = (None, legacy)
                new_sources.append(_source_columns(legacy))
            if value.complete_only and not known and not any(v for (s, _), v in by_key.items() if s == siret and v is not value
                                                             and not v.complete_only):
                statuses[siret] = "unknown"
                continue
            if source_name in known:
                source_id, old = known[source_name]
                before = _source_columns(old)
                old.absorb(value)
                after = _source_columns(old)
                if after != before:
                    if source_id is None:
                        new_sources[:] = [s for s in new_sources if not (s["siret"] == siret and s["source"] == source_name)]
                        new_sources.append(after)
                    else:
                        changed_sources.append({"id": source_id, **after, "imported_at": now})
            else:
                value.imported_at = now
                known[source_name] = (None, value)
                new_sources.append(_source_columns(value))
        for siret in sirets:
            if statuses.get(siret) == "unknown":
                continue
            merged = merge_sources([v for _, v in sources[siret].values()]).values
            row = suppliers.get(siret)
            if row is None:
                new_suppliers.append({**merged, "updated_at": now})
                statuses[siret] = "added"
            elif any(row[key] != value for key, value in merged.items()):
                changed_suppliers.append({"id": row["id"], **merged, "updated_at": now})
                statuses[siret] = "updated"
            else:
                statuses[siret] = "unchanged"
        for table, rows in ((SupplierSourceRow, new_sources), (SupplierRow, new_suppliers)):
            if rows:
                self.session.execute(insert(table), rows)
        for table, rows in ((SupplierSourceRow, changed_sources), (SupplierRow, changed_suppliers)):
            if rows:
                self.session.execute(update(table), rows)
        return statuses


class SupplierRepository:
    """Suppliers in the database; writes are keyed by SIRET so that re-imports never duplicate."""

    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    @contextmanager
    def importing(self) -> Iterator[Writer]:
        """One transaction for a whole file: a ProcureError raised while reading it rolls everything back."""
        with self.sessions.begin() as session:
            yield Writer(session)

    def upsert(self, suppliers: Iterable[Supplier]) -> dict[str, str]:
        """Add new SIRETs; merge known ones (kinds united, sources side by side, no field erased by an empty value)."""
        statuses: dict[str, str] = {}
        with self.importing() as writer:
            batch: list[SourceValues] = []
            for supplier in suppliers:
                batch.append(SourceValues.of(supplier))
                if len(batch) >= BATCH:
                    _keep_first(statuses, writer.write(batch))
                    batch = []
            if batch:
                _keep_first(statuses, writer.write(batch))
        return statuses

    def all(self, include_demo: bool = True) -> list[Supplier]:
        with self.sessions() as session:
            query = select(SupplierRow).order_by(SupplierRow.siret)
            if not include_demo:
                query = query.where(SupplierRow.demo.is_(False))
            return [_from_row(row) for row in session.scalars(query)]

    def get(self, siret: str) -> Supplier | None:
        with self.sessions() as session:
            row = session.scalar(select(SupplierRow).where(SupplierRow.siret == siret))
            return _from_row(row) if row else None

    def count(self) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count(SupplierRow.id))) or 0

    def has_real_records(self) -> bool:
        with self.sessions() as session:
            return session.scalar(select(SupplierRow.id).where(SupplierRow.demo.is_(False)).limit(1)) is not None

    def delete_demo(self) -> int:
        with self.sessions.begin() as session:
            sirets = list(session.scalars(select(SupplierRow.siret).where(SupplierRow.demo.is_(True))))
            for chunk in _chunks(sirets):
                session.execute(delete(SupplierSourceRow).where(SupplierSourceRow.siret.in_(chunk)))
            session.execute(delete(SupplierRow).where(SupplierRow.demo.is_(True)))
            return len(sirets)

    # ---------------------------------------------------------------- sources side by side

    def sources(self, siret: str) -> list[SourceValues]:
        """What each file said about a structure, oldest first."""
        table = SupplierSourceRow.__table__
        with self.sessions() as session:
            rows = session.execute(select(table).where(table.c.siret == siret)).mappings()
            return sorted((_source_from_row(row) for row in rows), key=_order)

    def merged(self, siret: str) -> Merged | None:
        """The merged values with, for each field, the source that gave it, and the kind conflict if any."""
        sources = self.sources(siret)
        return merge_sources(sources) if sources else None

    def kind_conflicts(self) -> dict[str, str]:
        """SIRET -> French description, for every structure whose sources name different main kinds."""
        with self.sessions() as session:
            multiple = select(SupplierSourceRow.siret).group_by(SupplierSourceRow.siret).having(
                func.count(SupplierSourceRow.id) > 1)
            rows = session.execute(select(SupplierSourceRow.siret, SupplierSourceRow.source, SupplierSourceRow.kinds,
                                          SupplierSourceRow.source_date, SupplierSourceRow.imported_at)
                                   .where(SupplierSourceRow.siret.in_(multiple))).all()
        by_siret: dict[str, list[SourceValues]] = {}
        for siret, source, kinds, when, imported in rows:
            by_siret.setdefault(siret, []).append(SourceValues(siret, source, "", kinds=[k for k in kinds.split(",") if k],
                                                               source_date=when, imported_at=imported))
        found = {siret: kind_conflict(sorted(values, key=_order)) for siret, values in by_siret.items()}
        return {siret: text for siret, text in sorted(found.items()) if text}

    def source_counts(self) -> list[SourceCount]:
        """Each imported file name with its format, the date of its data, its structures and whether it is the demo."""
        with self.sessions() as session:
            rows = session.execute(select(SupplierSourceRow.source, func.min(SupplierSourceRow.format),
                                          func.max(SupplierSourceRow.source_date), func.count(SupplierSourceRow.id),
                                          func.max(case((SupplierSourceRow.demo.is_(True), 1), else_=0)))
                                   .group_by(SupplierSourceRow.source)).all()
        counts = [SourceCount(source, fmt, when, count, bool(demo)) for source, fmt, when, count, demo in rows]
        return sorted(counts, key=lambda c: (c.demo, c.source))


def _keep_first(statuses: dict[str, str], new: dict[str, str]) -> None:
    """A SIRET added earlier in the same import stays 'added' when a later batch completes it."""
    for siret, status in new.items():
        if statuses.get(siret) == "added" or (statuses.get(siret) == "updated" and status == "unchanged"):
            continue
        statuses[siret] = status
