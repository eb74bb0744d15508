"""What the Streamlit pages read beyond the Workspace facade, so that ui/ imports only procure.service,
procure.outputs and procure.model: opening the workspace, the directory's content and provenance, the
territory of an organisation, map outlines, the buying-practice tables and the territorial guide.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from procure import law
from procure.db import database_url, get_engine, session_factory
from procure.directory.suppliers import FORMATS, KIND_LABELS_FR, Supplier, SupplierRepository
from procure.market.practice import (
    Territory,
    csv_bytes,
    decp_facts,
    lever_counts,
    lot_facts,
    practice_table,
    xlsx_bytes,
)
from procure.reference.outlines import commune_outlines, department_name, department_of, department_outlines
from procure.service.workspace import UserInfo, Workspace

__all__ = ["FORMATS", "csv_bytes", "database_url", "xlsx_bytes", "KIND_LABELS_FR", "Supplier", "Territory", "commune_outlines", "department_name",
           "department_of", "department_outlines", "lever_counts", "practice_table"]

DIRECTORY_FORMATS_FR = {"asp-siae": "Liste officielle des SIAE (ASP)", "marche-inclusion": "Export du marché de l'inclusion",
                        "finess": "Extrait FINESS (ESAT, catégorie 246)"}


def open_workspace(url: str | None = None) -> Workspace:
    """The workspace of a database (the configured one by default)."""
    return Workspace(session_factory(get_engine(url or database_url())))


# ---------------------------------------------------------------- supplier directory

@dataclass(frozen=True)
class DirectorySource:
    source: str
    source_date: date | None
    count: int
    demo: bool


@dataclass(frozen=True)
class DirectoryOverview:
    suppliers: list[Supplier]
    real: int
    fictitious: int
    sources: list[DirectorySource]


def directory_overview(workspace: Workspace) -> DirectoryOverview:
    """Everything the directory holds, how many structures are real or fictitious, and from which imports."""
    suppliers = SupplierRepository(workspace.sessions).all()
    fictitious = sum(s.demo for s in suppliers)
    counts = Counter((part.strip(), s.source_date, s.demo) for s in suppliers for part in (s.source or "").split(" ; ")
                     if part.strip())
    sources = [DirectorySource(source, when, count, demo)
               for (source, when, demo), count in sorted(counts.items(), key=lambda kv: (kv[0][2], kv[0][0]))]
    return DirectoryOverview(suppliers, len(suppliers) - fictitious, fictitious, sources)


def import_directory_file(workspace: Workspace, actor: UserInfo, path: Path, format_code: str, source: str,
                          source_date: date | None = None):
    return workspace.import_suppliers(actor, path, FORMATS[format_code], source, source_date)


# ---------------------------------------------------------------- territory of an organisation

def default_territory(workspace: Workspace, actor: UserInfo) -> str:
    """The department where the user's organisation works: from its analysed tenders, else from its name.

    Empty when neither says anything (the page then asks instead of assuming a department).
    """
    departments = Counter()
    own = [t for t in workspace.visible_tenders(actor) if t["organisation"] == actor.organisation]
    for tender in own[:10]:  # the latest ones say where the organisation works now
        analysis = workspace.review_items(actor, tender["id"])["tender"]["analysis"] or {}
        place = (analysis.get("place") or {}).get("value")
        for code in _place_departments(place):
            departments[code] += 1
    if departments:
        return departments.most_common(1)[0][0]
    from procure.reference.geo import resolve_commune

    commune = resolve_commune(actor.organisation)
    return commune.department if commune else ""


def _place_departments(place) -> list[str]:
    if not isinstance(place, dict):
        return []
    if place.get("department"):
        return [place["department"]]
    return list(place.get("departments") or []) + [c["department"] for c in place.get("communes") or []
                                                   if isinstance(c, dict) and c.get("department")]


def parse_territory(spec: str) -> Territory:
    """A department code, an EPCI (epci:…) or INSEE codes; a department gets its name (« Isère (38) »)."""
    territory = Territory.parse(spec)
    code = spec.strip().split(":", 1)[-1].strip().upper()
    name = department_name(code) if territory.name.startswith("Département") else None
    return Territory(f"{name} ({code})", territory.communes) if name else territory


# ---------------------------------------------------------------- buying practice

def practice(workspace: Workspace, actor: UserInfo, include_decp: bool) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Practice table by buyer and year, levers used per lot, and the national target share for today."""
    visible = [t["id"] for t in workspace.visible_tenders(actor)]
    lots = lot_facts(workspace.sessions, visible)
    table = practice_table(lots, decp_facts(workspace.sessions) if include_decp else None)
    target = law.parameter("national_social_target", date.today()).value
    return table, lever_counts(lots), float(target)


def lever_titles() -> dict[str, str]:
    return {lever_id: lever.title for lever_id, lever in law.levers().items()}


def guide_document(workspace: Workspace, actor: UserInfo, territory: Territory, on: date, out: Path):
    """The guide's data and its Word file, over the tenders the user may see."""
    from procure.outputs.guide import guide_data, write_guide

    visible = [t["id"] for t in workspace.visible_tenders(actor)]
    data = guide_data(workspace.sessions, territory, on, visible)
    return data, write_guide(data, out)
