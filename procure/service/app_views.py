"""What the Streamlit pages read beyond the Workspace facade, so that ui/ imports only procure.service,
procure.outputs and procure.model: opening the workspace, the directory's content and provenance, the
territory of an organisation, map outlines, the buying-practice tables, the territorial guide, and the
imports of reference data (DECP contracts, CPV nomenclature) by an administrator.
"""
from __future__ import annotations

import logging
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
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
from procure.model import Commune, Place
from procure.reference.outlines import commune_outlines, department_name, department_of, department_outlines
from procure.service.access import ADMIN_ONLY_FR, require
from procure.service.dashboard import UNUSABLE_BUYER_FR, buyer_name_usable
from procure.service.workspace import UserInfo, Workspace

__all__ = ["FORMATS", "UNUSABLE_BUYER_FR", "csv_bytes", "database_url", "xlsx_bytes", "KIND_LABELS_FR", "Supplier",
           "Territory", "commune_outlines", "department_name", "department_of", "department_outlines", "lever_counts",
           "practice_table"]

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
    own = [t for t in workspace.visible_tenders(actor) if t.organisation == actor.organisation]
    for tender in own[:10]:  # the latest ones say where the organisation works now
        analysis = workspace.review_items(actor, tender.id).tender.analysis
        place = analysis.tender.place.value if analysis is not None and analysis.tender.place else None
        for code in _place_departments(place):
            departments[code] += 1
    if departments:
        return departments.most_common(1)[0][0]
    from procure.reference.geo import resolve_commune

    commune = resolve_commune(actor.organisation)
    return commune.department if commune else ""


def _place_departments(place) -> list[str]:
    """The departments of a stored place of execution: a procure.model.Place, or a bare Commune (first releases)."""
    if isinstance(place, Commune):
        return [place.department] if place.department else []
    if not isinstance(place, Place):
        return []
    return list(place.departments) + [c.department for c in place.communes if c.department]


def parse_territory(spec: str) -> Territory:
    """A department code, an EPCI (epci:…) or INSEE codes; a department gets its name (« Isère (38) »)."""
    territory = Territory.parse(spec)
    code = spec.strip().split(":", 1)[-1].strip().upper()
    name = department_name(code) if territory.name.startswith("Département") else None
    return Territory(f"{name} ({code})", territory.communes) if name else territory


# ---------------------------------------------------------------- buying practice

def practice(workspace: Workspace, actor: UserInfo, include_decp: bool) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Practice table by buyer and year, levers used per lot, and the national target share for today.

    Archived consultations are left out (visible_tenders); DECP contracts whose buyer name is a code or an
    accounting label ("09", "01 BUDGET PRINCIPAL") are grouped under UNUSABLE_BUYER_FR.
    """
    visible = [t.id for t in workspace.visible_tenders(actor)]
    lots = lot_facts(workspace.sessions, visible)
    contracts = None
    if include_decp:
        contracts = decp_facts(workspace.sessions)
        usable = contracts["organisation"].map(buyer_name_usable).astype(bool)
        contracts["organisation"] = contracts["organisation"].where(usable, UNUSABLE_BUYER_FR)
    table = practice_table(lots, contracts)
    target = law.parameter("national_social_target", date.today()).value
    return table, lever_counts(lots), float(target)


def default_buyers(table: pd.DataFrame, actor: UserInfo, limit: int = 5) -> list[str]:
    """The buyers the dashboard opens on: the user's own organisation when it has figures, else the organisations
    of the analysed consultations, else the DECP buyers with the most contracts (never the unusable names)."""
    if table.empty:
        return []
    organisations = set(table["organisation"].dropna())
    if actor.organisation in organisations:
        return [actor.organisation]
    analysed = sorted(set(table.loc[table["source"] == "procure", "organisation"].dropna()))
    if analysed:
        return analysed[:limit]
    published = table[table["organisation"] != UNUSABLE_BUYER_FR]
    ranked = published.groupby("organisation")["lots_or_contracts"].sum().sort_values(ascending=False, kind="stable")
    return list(ranked.index[:limit])


def lever_titles() -> dict[str, str]:
    return {lever_id: lever.title for lever_id, lever in law.levers().items()}


def guide_document(workspace: Workspace, actor: UserInfo, territory: Territory, on: date, out: Path):
    """The guide's data and its Word file, over the tenders the user may see."""
    from procure.outputs.guide import guide_data, write_guide

    visible = [t.id for t in workspace.visible_tenders(actor)]
    data = guide_data(workspace.sessions, territory, on, visible)
    return data, write_guide(data, out)


# ---------------------------------------------------------------- reference data imports (administrators)

log = logging.getLogger("procure.admin")
DECP_CHUNK = 500  # contracts stored per transaction, so that the page can show its progress
MAX_LISTED_PROBLEMS = 30
ImportProgress = Callable[[float, str], None]


@dataclass
class ImportResult:
    """One imported file: counts, the values set aside (French, one per line), or why nothing was imported."""

    filename: str
    added: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)
    error: str | None = None
    note: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class ReferenceStatus:
    contracts: int  # DECP contracts stored
    buyers: int  # distinct buyer names among them
    cpv_source: str | None  # the nomenclature file procure reads, None when there is none
    cpv_codes: int


def reference_status(workspace: Workspace) -> ReferenceStatus:
    """What reference data procure holds now, for the import page."""
    from sqlalchemy import func, select

    from procure.db.models import PublicContract
    from procure.reference.cpv import load_nomenclature

    with workspace.sessions() as session:
        contracts = session.scalar(select(func.count(PublicContract.id))) or 0
        buyers = session.scalar(select(func.count(func.distinct(PublicContract.acheteur_nom)))) or 0
    try:
        nomenclature = load_nomenclature()
    except (OSError, KeyError, UnicodeDecodeError):
        nomenclature = None
    return ReferenceStatus(contracts, buyers, nomenclature.source if nomenclature else None,
                           len(nomenclature.check_digits) if nomenclature else 0)


def _require_importer(workspace: Workspace, actor: UserInfo) -> None:
    require(workspace.can_import_reference_data(actor), ADMIN_ONLY_FR)


def import_decp_file(workspace: Workspace, actor: UserInfo, path: Path, filename: str | None = None,
                     progress: ImportProgress | None = None) -> ImportResult:
    """Import a DECP export (flat CSV of 2019, JSON of 2024) as `procure decp import` does, with progress.

    The format follows the file's extension (.json, else CSV). Idempotent: a contract already imported is counted
    as unchanged. Values of the wrong type are set aside and listed per record (procure.market.decp).
    """
    from procure.errors import ProcureError
    from procure.market.decp import read_any
    from procure.market.similar import ContractRepository

    _require_importer(workspace, actor)
    result = ImportResult(filename or Path(path).name)
    report = progress or (lambda fraction, text: None)
    report(0.0, f"Lecture de {result.filename}…")
    try:
        frame = read_any(Path(path))
    except ProcureError as error:
        result.error = f"export DECP illisible : {error.message_fr}"
        return result
    except Exception:  # a reader bug must not reach the page; the log keeps it
        log.exception("DECP import of %s", result.filename)
        result.error = ("export DECP illisible : ni un decp.csv consolidé, ni un CSV DECP aplati 2019, ni un JSON DECP 2024 "
                        "(vérifiez le fichier ; l'erreur est notée dans le journal du serveur)")
        return result
    result.problems = [str(problem) for problem in frame.attrs.get("problems", [])]
    if frame.empty:
        result.error = (f"aucun marché n'a pu être importé : {frame.attrs.get('records', 0)} marché(s) dans le "
                        "fichier, aucun n'est utilisable (détail ci-dessous)")
        return result
    repository = ContractRepository(workspace.sessions)
    total = len(frame)
    for start in range(0, total, DECP_CHUNK):
        counts = repository.import_frame(frame.iloc[start:start + DECP_CHUNK])
        result.added += counts["added"]
        result.unchanged += counts["unchanged"]
        done = min(start + DECP_CHUNK, total)
        report(done / total, f"{result.filename} : {done} marché(s) enregistré(s) sur {total}")
    report(1.0, f"{result.filename} : terminé")
    log.info("DECP import of %s by %s: %s added, %s unchanged, %s set aside", result.filename, actor.email,
             result.added, result.unchanged, len(result.problems))
    return result


def import_cpv_file(workspace: Workspace, actor: UserInfo, path: Path, filename: str | None = None) -> ImportResult:
    """Install the CPV 2008 nomenclature (CSV with columns code, libelle_fr) as `procure reference import-cpv` does."""
    from procure.reference import cpv
    from procure.settings import reference_dir

    _require_importer(workspace, actor)
    result = ImportResult(filename or Path(path).name)
    try:
        nomenclature = cpv._load(str(path))
    except KeyError:
        result.error = "colonne « code » absente : la nomenclature attendue a les colonnes code et libelle_fr"
        return result
    except UnicodeDecodeError:
        result.error = "fichier illisible : la nomenclature doit être un CSV encodé en UTF-8"
        return result
    except (OSError, ValueError) as error:
        result.error = f"fichier illisible ({error})"
        return result
    finally:
        cpv._load.cache_clear()  # a temporary upload path must not stay cached
    valid = [code for code, check in nomenclature.check_digits.items() if len(code) == 8 and code.isdigit() and check]
    if not valid:
        result.error = "aucun code CPV reconnu (« 45000000-7 » attendu dans la colonne code)"
        return result
    target = reference_dir() / "cpv2008_fr.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".csv.part")
    shutil.copyfile(path, temporary)
    temporary.replace(target)  # readers see the old file or the new one, never half of it
    result.added = len(nomenclature.check_digits)
    shadow = cpv.nomenclature_path()
    if shadow is not None and shadow != target:
        result.note = (f"le réglage PROCURE_CPV_FILE désigne un autre fichier ({shadow}) : c'est lui que procure lit "
                       "tant que ce réglage est en place")
    log.info("CPV nomenclature imported from %s by %s: %s codes", result.filename, actor.email, result.added)
    return result
