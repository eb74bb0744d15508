"""Importing a directory file: each candidate row validated, the structures written by batches, a report per row.

The file is read as a stream (procure.directory.files), its rows turned into candidates by its format
(procure.directory.formats), validated here and merged in by the repository, all in one transaction: a file
refused halfway (too long, broken CSV) leaves the directory as it was.
"""
from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from procure.directory.files import MAX_IMPORT_ROWS, Progress, too_long
from procure.directory.formats import Candidate, Format, Mapping, detect_format, format_named, mapping_format
from procure.directory.identifiers import clean_siret, clean_text, headcount, normalize_kind, normalize_naf, siret_error
from procure.directory.repository import BATCH, SourceValues, Supplier, SupplierRepository
from procure.errors import shown as _shown
from procure.reference.geo import commune_by_insee, communes_by_postcode, resolve_commune


@dataclass(slots=True)
class RowReport:
    line: int
    siret: str
    status: str  # added, updated, unchanged, rejected, warning
    reason: str = ""


@dataclass
class ImportReport:
    source: str
    rows: list[RowReport] = field(default_factory=list)
    format: str = ""
    ignored: Counter = field(default_factory=Counter)  # reason -> rows that are not inclusive structures

    def count(self, status: str) -> int:
        if status == "ignored":
            return sum(self.ignored.values())
        return sum(1 for row in self.rows if row.status == status)

    def summary_fr(self) -> str:
        text = (f"{self.source} : {self.count('added')} ajoutée(s), {self.count('updated')} mise(s) à jour, "
                f"{self.count('unchanged')} inchangée(s), {self.count('rejected')} rejetée(s), "
                f"{self.count('warning')} avertissement(s)")
        if self.ignored:
            reasons = ", ".join(f"{reason} : {count}" for reason, count in self.ignored.most_common(3))
            text += f" ; {self.count('ignored')} ligne(s) laissée(s) de côté ({reasons})"
        return text


def resolve_format(path: Path, mapping: Mapping | Format | str | None) -> Format:
    if mapping is None or mapping == "auto":
        return detect_format(path)
    if isinstance(mapping, str):
        return format_named(mapping)
    if isinstance(mapping, Format):
        return mapping
    return mapping_format(mapping)


def import_file(repository: SupplierRepository, path: Path, mapping: Mapping | Format | str | None = None,
                source: str | None = None, source_date: date | None = None,
                progress: Progress | None = None) -> ImportReport:
    """Import a file in one transaction; `mapping` is a Mapping, a Format, a format code or None (detected)."""
    path = Path(path)
    chosen = resolve_format(path, mapping)
    source = (source or path.name)[:100]
    if source_date is None and chosen.source_date is not None:
        source_date = chosen.source_date(path)
    report = ImportReport(source, format=chosen.code)
    statuses: dict[str, str] = {}
    warned: set[str] = set()
    with repository.importing() as writer:
        batch: list[SourceValues] = []
        for values in validated(chosen, path, source, source_date, report, progress):
            if values.commune_insee is None and not values.complete_only:
                warned.add(values.siret)
            batch.append(values)
            if len(batch) >= BATCH:
                _record(statuses, writer.write(batch))
                batch = []
        if batch:
            _record(statuses, writer.write(batch))
        if progress:
            progress(len(statuses), "Enregistrement dans l'annuaire…")
    for siret, status in statuses.items():
        if status == "unknown":
            report.ignored["établissement d'une structure absente de l'annuaire"] += 1
            continue
        report.rows.append(RowReport(0, siret, status, "importée avec avertissement" if siret in warned else ""))
    return report


def _record(statuses: dict[str, str], new: dict[str, str]) -> None:
    for siret, status in new.items():
        if statuses.get(siret) in ("added", "updated") and status in ("updated", "unchanged"):
            continue
        if statuses.get(siret) not in (None, "unknown") and status == "unknown":
            continue
        statuses[siret] = status


def validated(chosen: Format, path: Path, source: str, source_date: date | None, report: ImportReport,
              progress: Progress | None = None) -> Iterable[SourceValues]:
    """The valid structures of a file, one at a time; rejected and ignored rows go to the report."""
    seen: set[tuple[str, str]] = set()
    kept = 0
    for count, candidate in enumerate(chosen.read(path), start=1):
        if not chosen.filtered and count > MAX_IMPORT_ROWS:
            raise too_long()
        if progress and count % 5000 == 0:
            progress(count, f"{count} lignes lues…")
        if candidate.ignored:
            report.ignored[candidate.ignored] += 1
            continue
        values, problem = source_values(candidate, chosen.code, source, source_date)
        siret = clean_siret(candidate.siret)
        if problem:
            report.rows.append(RowReport(candidate.line, siret, "rejected", problem))
            continue
        key = (values.siret, ",".join(values.kinds))
        if key in seen:
            if not values.complete_only:
                report.rows.append(RowReport(candidate.line, siret, "rejected",
                                             "doublon : même SIRET et même type déjà lus dans ce fichier"))
            continue
        seen.add(key)
        kept += 1
        if kept > MAX_IMPORT_ROWS:
            raise too_long()
        if values.commune_insee is None and not values.complete_only:
            report.rows.append(RowReport(candidate.line, siret, "warning", "commune inconnue : structure gardée sans coordonnées"))
        yield values


def source_values(candidate: Candidate, format_code: str, source: str,
                  source_date: date | None) -> tuple[SourceValues | None, str | None]:
    """The validated values of one candidate, or the French reason it is rejected."""
    siret = clean_siret(candidate.siret)
    if not siret and format_code == "finess":
        return None, (f"SIRET absent de la ligne FINESS {candidate.details.get('finess', '?')} "
                      f"({_shown(clean_text(candidate.name))}) : établissement non importé")
    if not siret and format_code == "annuaire":
        return None, f"SIRET du siège absent dans l'Annuaire ({_shown(clean_text(candidate.name)) or 'sans nom'})"
    error = siret_error(siret)
    if error:
        return None, error
    name = clean_text(candidate.name)
    if not candidate.complete_only:
        if not name:
            return None, "raison sociale absente"
        if len(name) > 300:
            return None, f"raison sociale trop longue ({len(name)} caractères, 300 au plus)"
    kinds = []
    for raw in candidate.kinds:
        kind = normalize_kind(raw)
        if not kind:
            return None, f"type de structure inconnu « {_shown(candidate.raw_kind if candidate.raw_kind is not None else raw)} »"
        kinds.append(kind)
    if not kinds and not candidate.complete_only:
        return None, "type de structure absent"
    count, problem = headcount(candidate.headcount)
    if problem:
        return None, problem
    values = SourceValues(siret, source, format_code, kinds=sorted(set(kinds)), name=name[:300] or None,
                          naf=normalize_naf(candidate.naf), address=clean_text(candidate.address)[:300] or None,
                          activities=clean_text(candidate.activities)[:5000] or None, headcount=count,
                          source_date=source_date, details=candidate.details, complete_only=candidate.complete_only)
    _locate(values, candidate)
    return values, None


def _locate(values: SourceValues, candidate: Candidate) -> None:
    postcode_match = re.search(r"\b(\d{5})\b", candidate.postcode[:200])
    postcode = postcode_match.group(1) if postcode_match else None
    commune = find_commune(candidate.insee[:10].strip(), postcode, candidate.commune[:200].strip())
    values.postcode = postcode
    if commune:
        values.commune_insee, values.commune_name, values.department = commune.insee, commune.name, commune.department
        values.latitude, values.longitude = _coordinates(candidate, commune)


def _coordinates(candidate: Candidate, commune) -> tuple[float, float]:
    """The file's own point when it lies within about 30 km of its commune, else the commune's centre."""
    try:
        latitude, longitude = float(candidate.latitude), float(candidate.longitude)
    except ValueError:
        return commune.latitude, commune.longitude
    if math.isfinite(latitude) and math.isfinite(longitude) and abs(latitude - commune.latitude) < 0.3 \
            and abs(longitude - commune.longitude) < 0.4:
        return round(latitude, 6), round(longitude, 6)
    return commune.latitude, commune.longitude


@functools.lru_cache(maxsize=65536)
def find_commune(insee: str, postcode: str | None, commune_text: str):
    """Cached: a national file repeats the same communes thousands of times."""
    commune = commune_by_insee(insee.zfill(5)) if insee else None
    if commune is None and commune_text:
        name = re.sub(r"^\d{5}\s+|\s+cedex.*$", "", commune_text, flags=re.I)
        commune = resolve_commune(f"{name} {postcode or ''}")
    if commune is None and postcode:
        candidates = communes_by_postcode(postcode)
        commune = candidates[0] if len(candidates) == 1 else None
    return commune


def parse_rows(rows: Iterable[dict[str, str]], mapping: Mapping, source: str, source_date: date | None,
               progress: Progress | None = None) -> tuple[list[Supplier], ImportReport]:
    """Validate rows already read (no database): the structures, with the kinds of one SIRET's rows united."""
    from procure.directory.formats import mapped

    report = ImportReport(source)
    chosen = Format("mapping", "", lambda _path: mapped(iter(rows), mapping))
    by_siret: dict[str, Supplier] = {}
    for values in validated(chosen, Path("."), source, source_date, report, progress):
        known = by_siret.get(values.siret)
        if known:
            known.kinds = sorted(set(known.kinds) | set(values.kinds))
            continue
        by_siret[values.siret] = Supplier(values.siret, values.name or "", values.kinds, naf=values.naf, address=values.address,
                                          postcode=values.postcode, commune_insee=values.commune_insee,
                                          commune_name=values.commune_name, department=values.department,
                                          latitude=values.latitude, longitude=values.longitude,
                                          activities=values.activities, headcount=values.headcount,
                                          source=source[:100], source_date=source_date)
    return list(by_siret.values()), report
