"""The legal levers and parameters of `clauses/`, looked up by date like OpenFisca parameters."""
from __future__ import annotations

import functools
import os
import string
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from procure import settings
from procure.settings import package_or_checkout_dir

UNVERIFIED_FR = "à vérifier"


DEFAULT_CLAUSES_DIR = package_or_checkout_dir("clauses")  # resolved once: this is called in loops


def clauses_dir() -> Path:
    configured = settings.get("PROCURE_CLAUSES")
    return Path(configured) if configured else DEFAULT_CLAUSES_DIR


@dataclass(frozen=True)
class ParameterValue:
    name: str
    value: Any
    since: date
    reference: str
    unverified: bool = False
    note: str = ""

    def label_fr(self) -> str:
        flag = f" ({UNVERIFIED_FR})" if self.unverified else ""
        return f"{self.reference}{flag}"


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    unit: str
    history: tuple[ParameterValue, ...]  # sorted by date

    def at(self, on: date) -> ParameterValue:
        applicable = [value for value in self.history if value.since <= on]
        if not applicable:
            raise LookupError(f"Paramètre {self.name} non défini au {on:%d/%m/%Y}")
        return applicable[-1]


@dataclass(frozen=True)
class Lever:
    id: str
    title: str
    provision_kind: str
    articles: list[str]
    old_articles: list[str]
    effective_from: date
    effective_to: date | None
    target_document: str
    source: str
    conditions: str
    template: str
    unverified_points: list[str] = field(default_factory=list)
    articles_from_2026: list[str] = field(default_factory=list)

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)

    def render(self, values: dict[str, Any]) -> list[str]:
        """Clause paragraphs with the placeholders filled; a missing value stays visibly to complete."""
        text = string.Formatter().vformat(self.template.strip(), (), _Missing(values))
        return [line.strip() for line in text.splitlines() if line.strip()]


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return f"[à compléter : {key.replace('_', ' ')}]"


@functools.lru_cache(maxsize=4)
def _load_parameters(folder: str) -> dict[str, Parameter]:
    raw = yaml.safe_load(Path(folder, "parameters.yaml").read_text(encoding="utf-8"))
    parameters = {}
    for name, spec in raw.items():
        history = []
        for since, entry in sorted(spec["values"].items()):
            history.append(
                ParameterValue(name, entry["value"], _as_date(since), entry.get("reference", ""),
                               bool(entry.get("unverified")), entry.get("note", ""))
            )
        parameters[name] = Parameter(name, spec.get("description", "").strip(), spec.get("unit", ""), tuple(history))
    return parameters


@functools.lru_cache(maxsize=4)
def _load_levers(folder: str) -> dict[str, Lever]:
    levers = {}
    for path in sorted(Path(folder, "levers").glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        effective = spec["effective"]
        levers[spec["id"]] = Lever(
            id=spec["id"], title=spec["title"], provision_kind=spec["provision_kind"], articles=spec["articles"],
            old_articles=spec.get("old_articles", []), effective_from=_as_date(effective["from"]),
            effective_to=_as_date(effective["to"]) if effective.get("to") else None,
            target_document=spec["target_document"], source=spec["source"], conditions=spec["conditions"].strip(),
            template=spec["template"], unverified_points=spec.get("unverified_points", []),
            articles_from_2026=spec.get("articles_from_2026", []),
        )
    return levers


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def parameters() -> dict[str, Parameter]:
    return _load_parameters(str(clauses_dir()))


def parameter(name: str, on: date) -> ParameterValue:
    return parameters()[name].at(on)


def levers() -> dict[str, Lever]:
    return _load_levers(str(clauses_dir()))


def labour_share(cpv_code: str | None, nature: str, on: date) -> tuple[float, str, bool, ParameterValue]:
    """(share, family label, unverified, parameter) for the longest CPV prefix in the table, or the nature default."""
    table = parameter("labour_share", on)
    entries: dict = table.value
    match = None
    if cpv_code:
        prefixes = [p for p in entries if not p.startswith("default") and cpv_code.startswith(p)]
        match = max(prefixes, key=len) if prefixes else None
    entry = entries[match] if match else entries[f"default_{nature}"]
    return entry["share"], entry["label"], bool(entry.get("unverified")) or table.unverified, table


def cpv_in_family(cpv_code: str | None, family: str, on: date) -> bool:
    if not cpv_code:
        return False
    prefixes = parameter("cpv_families", on).value[family]
    return any(cpv_code.startswith(prefix) for prefix in prefixes)


OLD_TO_NEW = [
    ("CMP art. 5", "Prise en compte du développement durable dans la définition des besoins", "L2111-1, L3-1"),
    ("CMP art. 6", "Spécifications techniques, labels", "L2111-2, R2111-12 à R2111-17"),
    ("CMP art. 14", "Conditions d'exécution sociales (insertion)", "L2112-2, L2112-3, L2112-2-1 (2026)"),
    ("CMP art. 15", "Marchés réservés aux EA et ESAT", "L2113-12 (EA/ESAT), L2113-13 (SIAE), R2113-7"),
    ("CMP art. 30", "Services sociaux et spécifiques en procédure adaptée", "R2123-1 3°"),
    ("CMP art. 53 I", "Critère de performances en matière d'insertion", "L2152-7, R2152-7"),
    ("CMP art. 55", "Offres anormalement basses (conditions de travail)", "L2152-5, L2152-6, R2152-3, annexe 10"),
    ("Loi ESS 2014 art. 13", "Schéma de promotion des achats responsables (SPASER)", "L2111-3, D2111-3"),
]
