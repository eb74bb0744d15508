"""The directory's former single module, kept so that existing imports keep working while callers move to:

- procure.directory.identifiers (SIRET, kinds, NAF, headcount),
- procure.directory.files (reading CSV, gzip, XLSX and JSON files as streams),
- procure.directory.formats (the known layouts, their detection, column mappings),
- procure.directory.repository (Supplier, the merged rows and their sources in the database),
- procure.directory.imports (validation, import of a file, reports).
"""
from __future__ import annotations

from pathlib import Path

from procure.directory.files import (
    MAX_FIELD_CHARS,
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    Progress,
    decode_text,
    open_table,
)
from procure.directory.formats import (
    ASP_SIAE,
    FINESS_COLUMNS,
    FINESS_ESAT,
    FORMAT_LABELS_FR,
    FORMATS_BY_CODE,
    INCLUSION_MARKET,
    MAPPING_FIELDS,
    Format,
    Mapping,
    detect_format,
    mapping_from_pairs,
)
from procure.directory.identifiers import (
    MAX_HEADCOUNT,
    clean_siret,
    luhn_ok,
    naf_labels,
    normalize_kind,
    normalize_naf,
    siret_error,
)
from procure.directory.imports import ImportReport, RowReport, import_file, parse_rows
from procure.directory.kinds import KIND_ALIASES, KIND_LABELS_FR, KINDS, SIAE_KINDS
from procure.directory.repository import (
    FIELDS,
    LOCATION_FIELDS,
    SOURCE_SEPARATOR,
    SourceValues,
    Supplier,
    SupplierRepository,
)

# Format code -> what import_file takes (a Mapping, a Format, or None to detect the format from the header).
FORMATS: dict[str, Mapping | Format | None] = {
    "asp-siae": ASP_SIAE, "marche-inclusion": INCLUSION_MARKET, "finess": FINESS_ESAT,
    "annuaire": FORMATS_BY_CODE["annuaire"], "lemarche": FORMATS_BY_CODE["lemarche"],
    "data-inclusion": FORMATS_BY_CODE["data-inclusion"], "auto": None,
}


def read_table(path: Path, delimiter: str | None = None) -> tuple[list[dict[str, str]], str]:
    """Rows of a CSV or XLSX file and the encoding used (kept for tests/matching and bench/eval_matching, which
    should call open_table; remove with this module)."""
    encoding, rows = open_table(path, delimiter)
    return list(rows), encoding


__all__ = [
    "ASP_SIAE", "FIELDS", "FINESS_COLUMNS", "FINESS_ESAT", "FORMATS", "FORMAT_LABELS_FR", "INCLUSION_MARKET", "KINDS",
    "KIND_ALIASES", "KIND_LABELS_FR", "LOCATION_FIELDS", "MAPPING_FIELDS", "MAX_FIELD_CHARS", "MAX_HEADCOUNT",
    "MAX_IMPORT_BYTES", "MAX_IMPORT_ROWS", "SIAE_KINDS", "SOURCE_SEPARATOR", "Format", "ImportReport", "Mapping",
    "Progress", "RowReport", "SourceValues", "Supplier", "SupplierRepository", "clean_siret", "decode_text",
    "detect_format", "import_file", "luhn_ok", "mapping_from_pairs", "naf_labels", "normalize_kind", "normalize_naf",
    "open_table", "parse_rows", "read_table", "siret_error",
]
