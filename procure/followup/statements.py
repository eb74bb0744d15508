"""Monthly statements from the facilitator: the template (CSV/XLSX) or their own export through a column mapping.

The template (`templates/releve_mensuel.csv`, `.xlsx`, described in `templates/README.md`) has one row per lot
and month, French column names; `TEMPLATE_COLUMNS` maps each field to its column. A facilitator's own export is
read through a mapping {field: their column} (fields: `key`, `month`, `hours_<route>`,
`participants_<category>`, `contracts_<type>`; a template column name is accepted as the field too).
Participants are counts by category only: the template has no column for a name or any individual record.

Every bad row is a `RowProblem` (row number as the spreadsheet shows it, French message); the other rows are
read. A whole file that cannot be read raises `procure.errors.ProcureError` (French).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from procure.errors import ProcureError, shown
from procure.followup.model import ContractType, PublicCategory, Route, Statement

__all__ = ["RowProblem", "ImportResult", "MergeReport", "read_statements", "merge_statements", "TEMPLATE_DIR",
           "TEMPLATE_COLUMNS", "FIELDS", "parse_month", "parse_figure", "write_template_xlsx", "build_template_xlsx"]

TEMPLATE_DIR = Path(__file__).parent / "templates"
MAX_HOURS_PER_MONTH = 100_000.0  # one lot, one month: beyond, a typing error (an amount, a SIRET)
MAX_COUNT = 100_000

ROUTE_COLUMNS = {
    Route.DIRECT_HIRE: "Heures embauche directe",
    Route.TEMPORARY_WORK_ETTI: "Heures intérim d'insertion (ETTI)",
    Route.PROVISION_AI_GEIQ: "Heures mise à disposition (AI, GEIQ)",
    Route.SUBCONTRACTING_SIAE: "Heures sous-traitance ou cotraitance (SIAE, EA, ESAT)",
    Route.TRAINING: "Heures de formation",
}
CATEGORY_COLUMNS = {
    PublicCategory.LONG_TERM_JOBSEEKERS: "Participants demandeurs d'emploi de longue durée",
    PublicCategory.RSA: "Participants bénéficiaires du RSA",
    PublicCategory.YOUNG_UNQUALIFIED: "Participants jeunes sans qualification",
    PublicCategory.DISABILITY: "Participants travailleurs handicapés",
    PublicCategory.PRIORITY_DISTRICT: "Participants résidents des quartiers prioritaires",
    PublicCategory.SIAE_FOLLOWED: "Participants suivis par une SIAE",
    PublicCategory.OTHER: "Participants autres publics",
}
CONTRACT_COLUMNS = {
    ContractType.CDDI: "Contrats CDDI",
    ContractType.CDD: "Contrats CDD",
    ContractType.CDI: "Contrats CDI",
    ContractType.TEMPORARY: "Contrats intérim",
    ContractType.APPRENTICESHIP: "Contrats d'apprentissage",
    ContractType.PROFESSIONALISATION: "Contrats de professionnalisation",
}
# field id -> template column, in the template's order
TEMPLATE_COLUMNS: dict[str, str] = {
    "key": "Référence du lot",
    "month": "Mois",
    **{f"hours_{route.value}": column for route, column in ROUTE_COLUMNS.items()},
    **{f"participants_{category.value}": column for category, column in CATEGORY_COLUMNS.items()},
    **{f"contracts_{kind.value}": column for kind, column in CONTRACT_COLUMNS.items()},
}
OPTIONAL_COLUMNS = ("Titulaire", "Acheteur")  # shown in the template for the reader, not imported
FIELDS = tuple(TEMPLATE_COLUMNS)

_MONTHS_FR = {"janvier": 1, "janv": 1, "fevrier": 2, "février": 2, "fevr": 2, "févr": 2, "mars": 3, "avril": 4,
              "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "août": 8, "septembre": 9,
              "sept": 9, "octobre": 10, "oct": 10, "novembre": 11, "nov": 11, "decembre": 12, "décembre": 12,
              "dec": 12, "déc": 12}
_NUMBER_RE = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


@dataclass(frozen=True)
class RowProblem:
    row: int  # row number as the spreadsheet shows it (header = 1)
    message_fr: str


@dataclass
class ImportResult:
    statements: list[Statement] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    rows_read: int = 0


@dataclass
class MergeReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: list[str] = field(default_factory=list)  # French: a poorer row that did not erase a richer one

    def summary_fr(self) -> str:
        return (f"{self.added} relevé(s) ajouté(s), {self.updated} mis à jour, {self.unchanged} inchangé(s)"
                + (f", {len(self.kept)} chiffre(s) déjà enregistré(s) conservé(s)" if self.kept else ""))


# ---------------------------------------------------------------- values


def parse_month(text: str) -> date | None:
    """« 03/2026 », « 2026-03 », « 01/03/2026 », « 2026-03-01 », « mars 2026 » → 2026-03-01; None if unreadable."""
    value = " ".join(str(text).split()).strip().casefold().rstrip(".")
    if not value:
        return None
    patterns = (
        (r"^(\d{1,2})[/.-](\d{4})$", lambda m: (int(m[2]), int(m[1]))),
        (r"^(\d{4})[/.-](\d{1,2})$", lambda m: (int(m[1]), int(m[2]))),
        (r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t].*)?$", lambda m: (int(m[1]), int(m[2]))),
        (r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?: .*)?$", lambda m: (int(m[3]), int(m[2]))),
    )
    for pattern, pick in patterns:
        match = re.match(pattern, value)
        if match:
            year, month = pick(match)
            if 1 <= month <= 12 and 1990 <= year <= 2200:
                return date(year, month, 1)
            return None
    match = re.match(r"^([a-zéèûô]+)\.?\s+(\d{4})$", value)
    if match and match[1] in _MONTHS_FR:
        return date(int(match[2]), _MONTHS_FR[match[1]], 1)
    return None


def parse_figure(text: str) -> float | None:
    """« 1 234,5 », « 1234.5 », « 12 h » → 1234.5 ; « » → None ; ValueError for anything else."""
    value = str(text).replace("\u00a0", "").replace("\u202f", "").replace(" ", "").strip()
    if value.lower().endswith("h"):
        value = value[:-1]
    if not value or value in ("-", "–"):
        return None
    if value.count(",") == 1 and value.count(".") >= 1 and value.rfind(".") < value.rfind(","):
        value = value.replace(".", "")  # 1.234,5
    elif value.count(",") >= 1 and value.count(".") == 1 and value.rfind(",") < value.rfind("."):
        value = value.replace(",", "")  # 1,234.5
    if not _NUMBER_RE.match(value):
        raise ValueError(text)
    return float(value.replace(",", "."))


# ---------------------------------------------------------------- reading


def _resolve_mapping(mapping: dict[str, str] | None) -> dict[str, str]:
    """field id -> column name of the file."""
    columns = dict(TEMPLATE_COLUMNS)
    if not mapping:
        return columns
    by_template_name = {column.casefold(): field_id for field_id, column in TEMPLATE_COLUMNS.items()}
    for wanted, column in mapping.items():
        field_id = wanted if wanted in TEMPLATE_COLUMNS else by_template_name.get(str(wanted).strip().casefold())
        if field_id is None:
            raise ProcureError(f"Correspondance de colonnes : champ inconnu « {shown(wanted)} ». Champs possibles : "
                               f"{', '.join(FIELDS)}.")
        columns[field_id] = column
    return columns


def _rows(source: str | Path | bytes, name: str):
    from procure.directory.suppliers import open_table

    if isinstance(source, bytes):
        suffix = Path(name).suffix.lower() or ".csv"
        handle = tempfile.NamedTemporaryFile(suffix=suffix, delete=False)
        try:
            handle.write(source)
            handle.close()
            return _rows(Path(handle.name), name)
        finally:
            Path(handle.name).unlink(missing_ok=True)
    _check_sheet_size(Path(source))
    _, rows = open_table(Path(source))
    return list(rows)


def _check_sheet_size(path: Path) -> None:
    """A workbook whose sheet is beyond the safe reading limit gets advice (CSV) rather than « archive piégée »."""
    import zipfile

    from procure.ingest.archive import MAX_SHEET_PART_BYTES

    try:
        with zipfile.ZipFile(path) as archive:
            sizes = [info.file_size for info in archive.infolist() if info.filename.startswith("xl/worksheets/")]
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a workbook: open_table says what it is
    if sizes and max(sizes) > MAX_SHEET_PART_BYTES:
        raise ProcureError(f"Classeur trop grand : sa feuille dépasse {MAX_SHEET_PART_BYTES // 1048576} Mo une fois "
                           "décompressée (environ 100 000 lignes du modèle peu remplies). Enregistrez-le au format CSV (aucune "
                           "limite de ce type) ou découpez-le par année ; rien n'a été importé.")


def read_statements(source: str | Path | bytes, name: str, mapping: dict[str, str] | None = None, *,
                    known_keys: Iterable[str] | None = None, today: date | None = None) -> ImportResult:
    """Statements of a CSV or XLSX file (`name` gives the format and the source label).

    `mapping` maps a field (or a template column name) to the column name of the facilitator's own export.
    `known_keys`, when given, rejects a row of an unknown lot; `today` rejects a month in the future. Bad rows
    are problems (row number, French message); a whole unreadable file raises `procure.errors.ProcureError`.
    """
    columns = _resolve_mapping(mapping)
    rows = _rows(source, name)
    result = ImportResult(rows_read=len(rows))
    if not rows:
        raise ProcureError(f"« {shown(name)} » ne contient aucune ligne de relevé sous l'en-tête.")
    header = set(rows[0])
    for row in rows[1:50]:
        header |= set(row)
    header_folded = {column.casefold(): column for column in header}
    # the file's own spelling of each column (case and spaces forgiven)
    actual = {field_id: header_folded.get(" ".join(column.split()).casefold()) for field_id, column in columns.items()}
    missing = [columns[f] for f in ("key", "month") if actual[f] is None]
    if missing:
        raise ProcureError(f"« {shown(name)} » : colonne(s) introuvable(s) : {', '.join(missing)}. Utilisez le modèle "
                           "de relevé mensuel ou indiquez la correspondance des colonnes.")
    figures = [f for f in FIELDS[2:] if actual[f] is not None]
    if not figures:
        raise ProcureError(f"« {shown(name)} » : aucune colonne d'heures, de participants ou de contrats reconnue "
                           f"(attendu p. ex. « {ROUTE_COLUMNS[Route.DIRECT_HIRE]} »).")
    # a lot's reference typed in another case or spacing is still that lot (« 2026-014/LOT 1 »)
    known = {_folded_key(key): key for key in known_keys} if known_keys is not None else None
    limit = date(today.year, today.month, 1) if today else None
    seen: dict[tuple[str, date], int] = {}
    for number, row in enumerate(rows, start=2):
        if not any(str(value).strip() for value in row.values()):
            continue
        statement, problem = _statement(row, actual, figures, name, known, limit)
        if problem:
            result.problems.append(RowProblem(number, problem))
            continue
        assert statement is not None
        where = (statement.commitment_key, statement.month)
        if where in seen:
            result.problems.append(RowProblem(number, (
                f"lot « {shown(statement.commitment_key)} », {statement.month:%m/%Y} : déjà donné à la ligne "
                f"{seen[where]} ; une seule ligne par lot et par mois (additionnez-les) : ligne ignorée.")))
            continue
        seen[where] = number
        result.statements.append(statement)
    return result


def _folded_key(key: str) -> str:
    return "".join(str(key).split()).casefold()


def _statement(row: dict[str, str], actual: dict[str, str | None], figures: list[str], name: str,
               known: dict[str, str] | None, limit: date | None) -> tuple[Statement | None, str | None]:
    key = " ".join(str(row.get(actual["key"] or "", "")).split())
    if not key:
        return None, "référence du lot manquante."
    if known is not None:
        if _folded_key(key) not in known:
            return None, f"lot « {shown(key)} » inconnu : aucun engagement suivi sous cette référence."
        key = known[_folded_key(key)]
    month_text = row.get(actual["month"] or "", "")
    month = parse_month(month_text)
    if month is None:
        return None, f"mois « {shown(month_text)} » illisible (attendu p. ex. 03/2026)."
    if limit is not None and month > limit:
        return None, f"mois {month:%m/%Y} à venir : un relevé porte sur un mois commencé ou passé."
    hours: dict[Route, float] = {}
    participants: dict[PublicCategory, int] = {}
    contracts: dict[ContractType, int] = {}
    given = 0
    for field_id in figures:
        text = row.get(actual[field_id] or "", "")
        column = actual[field_id]
        try:
            value = parse_figure(text)
        except ValueError:
            return None, f"« {column} » : « {shown(text)} » n'est pas un nombre."
        if value is None:
            continue
        given += 1
        if value < 0:
            return None, f"« {column} » : valeur négative ({shown(text)}) ; corrigez le relevé du mois concerné."
        kind, code = field_id.split("_", 1)
        if kind == "hours":
            if value > MAX_HOURS_PER_MONTH:
                return None, f"« {column} » : {shown(text)} heures pour un mois, invraisemblable."
            hours[Route(code)] = value
        else:
            if value != int(value):
                return None, f"« {column} » : {shown(text)} n'est pas un nombre entier de personnes ou de contrats."
            if value > MAX_COUNT:
                return None, f"« {column} » : {shown(text)}, invraisemblable."
            (participants if kind == "participants" else contracts)[
                PublicCategory(code) if kind == "participants" else ContractType(code)] = int(value)
    if not given:
        return None, "aucun chiffre (heures, participants, contrats) sur cette ligne : écrivez 0 pour un mois sans heures."
    return Statement(commitment_key=key, month=month, hours=hours, participants=participants,
                     contracts=contracts, source=name), None


# ---------------------------------------------------------------- merging


def _merge_one(old: Statement, new: Statement) -> tuple[Statement, list[str]]:
    """New figures win; a figure the new statement leaves empty or at zero keeps the old one."""
    kept: list[str] = []
    merged = {}
    for attribute, labels in (("hours", ROUTE_COLUMNS), ("participants", CATEGORY_COLUMNS),
                              ("contracts", CONTRACT_COLUMNS)):
        values = dict(getattr(old, attribute))
        for item, value in getattr(new, attribute).items():
            if value or not values.get(item):
                values[item] = value
        for item, value in getattr(old, attribute).items():
            if value and not getattr(new, attribute).get(item):
                kept.append(labels[item])
        merged[attribute] = values
    source = new.source if not kept or old.source == new.source else f"{old.source} ; {new.source}"
    return replace(new, source=source, **merged), kept


def _same(a: Statement, b: Statement) -> bool:
    def clean(values: dict) -> dict:
        return {k: v for k, v in values.items() if v}
    return (clean(a.hours) == clean(b.hours) and clean(a.participants) == clean(b.participants)
            and clean(a.contracts) == clean(b.contracts))


def merge_statements(existing: Iterable[Statement], incoming: Iterable[Statement]) -> tuple[list[Statement], MergeReport]:
    """Idempotent on (lot key, month): a poorer incoming row never erases a richer existing one.

    Returns every statement after the merge (existing order, new ones at the end) and what happened."""
    merged: dict[tuple[str, date], Statement] = {(s.commitment_key, s.month): s for s in existing}
    report = MergeReport()
    for statement in incoming:
        where = (statement.commitment_key, statement.month)
        old = merged.get(where)
        if old is None:
            merged[where] = statement
            report.added += 1
            continue
        result, kept = _merge_one(old, statement)
        if _same(result, old):
            report.unchanged += 1
        else:
            merged[where] = result
            report.updated += 1
        if kept:
            report.kept.append(
                f"Lot « {statement.commitment_key} », {statement.month:%m/%Y} : « {statement.source} » ne donne pas "
                f"{', '.join(kept)} ; les chiffres déjà enregistrés ({old.source}) sont conservés.")
    return list(merged.values()), report


# ---------------------------------------------------------------- template


def write_template_xlsx(path: str | Path, example_rows: list[list] | None = None) -> Path:
    """The template as a workbook (headers, column widths, a notice sheet), from the same columns as the CSV."""
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill

    path = Path(path)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Relevé mensuel"
    headers = list(TEMPLATE_COLUMNS.values()) + list(OPTIONAL_COLUMNS)
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in example_rows or []:
        sheet.append([None if value == "" else value for value in row])  # an empty cell is not written
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = max(12, min(28, len(header) // 2 + 6))
    sheet.row_dimensions[1].height = 48
    sheet.freeze_panes = "C2"
    notice = workbook.create_sheet("Mode d'emploi")
    for line in (
        "Relevé mensuel des heures d'insertion — une ligne par lot et par mois.",
        "Référence du lot : la référence donnée par l'acheteur (p. ex. 2026-014/lot2). Mois : MM/AAAA.",
        "Heures : heures d'insertion réalisées dans le mois, par modalité (nombres décimaux acceptés, virgule ou point).",
        "Participants et contrats : des nombres par catégorie seulement. N'inscrivez aucun nom ni aucune donnée "
        "individuelle (santé, justice) : le facilitateur garde les justificatifs.",
        "Un mois sans heures : écrivez 0. Une case vide ne remplace jamais un chiffre déjà enregistré.",
    ):
        notice.append([line])
    notice.column_dimensions["A"].width = 120
    workbook.save(path)
    return path


def build_template_xlsx(csv_path: str | Path = TEMPLATE_DIR / "releve_mensuel.csv",
                        path: str | Path = TEMPLATE_DIR / "releve_mensuel.xlsx") -> Path:
    """Rebuild the XLSX template from the CSV one (figures as numbers, keys and months as text)."""
    import csv

    with open(csv_path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    if [column for column in rows[0][:len(TEMPLATE_COLUMNS)]] != list(TEMPLATE_COLUMNS.values()):
        raise ProcureError("Le modèle CSV n'a pas les colonnes attendues.")

    def typed(index: int, value: str):
        if value == "":
            return None
        if index < 2 or index >= len(TEMPLATE_COLUMNS):
            return value
        number = parse_figure(value)
        return int(number) if number is not None and number == int(number) else number

    return write_template_xlsx(path, [[typed(i, v) for i, v in enumerate(row)] for row in rows[1:]])
