"""CPV 2008 codes: structural repair everywhere, check digits and labels when the nomenclature is available.

The CPV check digit is published with the nomenclature, not derived from a documented
formula, so it is verified against the official list (EU regulation 213/2008). That list
is reference data: point PROCURE_CPV_FILE (or PROCURE_SHARED_DATA) at it, or import it
with `procure reference import-cpv`; without it codes are marked "unverified".
"""
from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from procure import settings
from procure.model import CpvCode
from procure.settings import reference_dir

CPV_IN_TEXT_RE = re.compile(r"(?<![\d/])(\d{8}|\d{2}[ .]\d{3}[ .]\d{3})(?:\s?-\s?(\d))?(?![\d/])")
# Only divisions 03 and 09 start with zero: a 7-digit code is one of them with its zero lost.
ZERO_DIVISIONS = ("03", "09")


@dataclass(frozen=True)
class Nomenclature:
    check_digits: dict[str, str]
    labels: dict[str, str]
    source: str

    def __contains__(self, code8: str) -> bool:
        return code8 in self.check_digits


def nomenclature_path() -> Path | None:
    candidates = []
    if settings.get("PROCURE_CPV_FILE"):
        candidates.append(Path(settings.get("PROCURE_CPV_FILE")))
    candidates.append(reference_dir() / "cpv2008_fr.csv")
    if settings.get("PROCURE_SHARED_DATA"):
        candidates.append(Path(settings.get("PROCURE_SHARED_DATA")) / "cpv" / "cpv2008_fr.csv")
    return next((path for path in candidates if path.is_file()), None)


@functools.lru_cache(maxsize=4)
def _load(path: str) -> Nomenclature:
    check_digits, labels = {}, {}
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code = row["code"].strip()
            code8, _, check = code.partition("-")
            check_digits[code8] = check
            labels[code8] = row.get("libelle_fr", "").strip()
    return Nomenclature(check_digits, labels, path)


def load_nomenclature() -> Nomenclature | None:
    path = nomenclature_path()
    return _load(str(path)) if path else None


def normalize_cpv(raw: str, nomenclature: Nomenclature | None = None) -> CpvCode | None:
    """Repair a CPV code as written in tenders or open data; None when it is not a CPV code at all."""
    nomenclature = nomenclature if nomenclature is not None else load_nomenclature()
    text = re.sub(r"[\s.]", "", str(raw or ""))
    match = re.fullmatch(r"(\d{7,9})(?:-(\d))?", text)
    if not match:
        return None
    digits, check = match.group(1), match.group(2)
    status = "ok"
    if len(digits) == 9 and check is None:
        digits, check = digits[:8], digits[8]
    elif len(digits) == 9:
        return None
    if len(digits) == 7:
        digits = "0" + digits
        status = "repaired"
    if len(digits) == 7 or (status == "repaired" and not digits.startswith(ZERO_DIVISIONS)):
        return None
    return _verify(digits, check, status, str(raw), nomenclature)


def _verify(code8: str, check: str | None, status: str, raw: str, nomenclature: Nomenclature | None) -> CpvCode:
    if nomenclature is None:
        return CpvCode(code8, check, None, "unverified" if status == "ok" else status, raw)
    if code8 not in nomenclature:
        return CpvCode(code8, check, None, "unknown", raw)
    expected = nomenclature.check_digits[code8]
    label = nomenclature.labels[code8]
    if check is None:
        return CpvCode(code8, expected, label, "completed" if status == "ok" else status, raw)
    if check != expected:
        return CpvCode(code8, expected, label, "wrong_check_digit", raw)
    return CpvCode(code8, expected, label, status, raw)


def find_cpv_codes(text: str, nomenclature: Nomenclature | None = None) -> list[tuple[CpvCode, int, int]]:
    found = []
    for match in CPV_IN_TEXT_RE.finditer(text):
        raw = match.group(1) + (f"-{match.group(2)}" if match.group(2) else "")
        code = normalize_cpv(raw, nomenclature)
        if code:
            found.append((code, match.start(), match.end()))
    return found


CPV_STATUS_FR = {
    "ok": "vérifié",
    "completed": "chiffre de contrôle ajouté",
    "repaired": "zéro initial rétabli",
    "unverified": "non vérifié : nomenclature CPV non importée",
    "unknown": "absent de la nomenclature CPV 2008",
    "wrong_check_digit": "chiffre de contrôle corrigé",
}
