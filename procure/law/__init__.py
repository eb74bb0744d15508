"""The law of `clauses/`: dated parameters (like OpenFisca parameters), the lever registry and the glossary.

Every file is validated when loaded (`procure.law.schema`); a file with a problem is refused as a whole and
`ClauseLibraryError` lists « fichier : clé : problème » in French. Code reads the law at a date, never today's
law by default: callers pass the tender's reference date.
"""
from __future__ import annotations

import functools
import string
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import yaml

from procure import settings
from procure.errors import ProcureError
from procure.law.schema import (
    ClauseLibraryError,
    as_date,
    check_eligibility,
    check_glossary,
    check_lever,
    check_parameter,
    checked_date,
)
from procure.settings import package_or_checkout_dir
from procure.vocabulary import BuyerCategory, ContractNature

__all__ = ["ClauseLibraryError", "DuplicateKeyError", "UNVERIFIED_FR", "Lever", "Parameter", "ParameterValue", "Eligibility", "CpvFamily",
           "Detection", "Obligation", "Threshold", "clauses_dir", "parameters", "parameter", "levers", "lever",
           "eligibility", "parameter_or_earliest", "labour_share", "qualified_trade", "insertion_rate", "cpv_in_family", "is_social_service", "eu_threshold", "eu_thresholds",
           "entry_into_force", "glossary", "provision_labels", "levers_with_role", "sources_fr", "validate"]

UNVERIFIED_FR = "à vérifier"
DEFAULT_CLAUSES_DIR = package_or_checkout_dir("clauses")  # resolved once: this is called in loops
# Parameters the code reads: a library without one of them is refused at load, not mid-analysis.

REQUIRED_PARAMETERS = {
    "eu_threshold_supplies_services_central", "eu_threshold_supplies_services_local",
    "eu_threshold_supplies_services_contracting_entity", "eu_threshold_works", "eu_threshold_social_services",
    "eu_threshold_social_services_contracting_entity", "social_execution_condition_mandatory",
    "social_execution_condition_exclusions", "social_execution_condition_exceptions",
    "environmental_execution_condition_mandatory", "environmental_award_criterion_mandatory",
    "criteria_weighting_required", "reserved_minimum_share", "insertion_rate", "loaded_hourly_cost", "labour_share",
    "labour_intensive_share", "social_criterion_weight", "national_social_target", "observed_social_share",
    "fte_annual_hours",
    "spaser_threshold",
}
# European threshold parameter per buyer category and nature of the whole contract (works: every buyer).
_C, _N = BuyerCategory, ContractNature
THRESHOLD_PARAMETERS: dict[tuple[str, str], str] = {  # (BuyerCategory, ContractNature) -> parameter
    (_C.CENTRAL, _N.SUPPLIES): "eu_threshold_supplies_services_central",
    (_C.CENTRAL, _N.SERVICES): "eu_threshold_supplies_services_central",
    (_C.CENTRAL, _N.SOCIAL_SERVICES): "eu_threshold_social_services",
    (_C.LOCAL, _N.SUPPLIES): "eu_threshold_supplies_services_local",
    (_C.LOCAL, _N.SERVICES): "eu_threshold_supplies_services_local",
    (_C.LOCAL, _N.SOCIAL_SERVICES): "eu_threshold_social_services",
    (_C.CONTRACTING_ENTITY, _N.SUPPLIES): "eu_threshold_supplies_services_contracting_entity",
    (_C.CONTRACTING_ENTITY, _N.SERVICES): "eu_threshold_supplies_services_contracting_entity",
    (_C.CONTRACTING_ENTITY, _N.SOCIAL_SERVICES): "eu_threshold_social_services_contracting_entity",
}
del _C, _N
SOCIAL_SERVICES_LEVER = "social_services_procedure"  # its CPV family is the list of social and specific services


class LawDateError(ProcureError, LookupError):
    """A date before the first value of a rule: said in French, never a bare KeyError or traceback."""


def clauses_dir() -> Path:
    configured = settings.get("PROCURE_CLAUSES")  # the one registry of settings
    return Path(configured) if configured else DEFAULT_CLAUSES_DIR


# ---------------------------------------------------------------- typed law


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

    def at_or_earliest(self, on: date) -> ParameterValue:
        """The value at a date; before the first encoded value, that first value, flagged and saying so (a 2020
        tender asks for a target set in 2022): any date gets an answer, never a crash."""
        if on >= self.history[0].since:
            return self.at(on)
        first = self.history[0]
        said = (f"Règle encodée à partir du {first.since:%d/%m/%Y}, appliquée faute de règle antérieure au "
                f"{on:%d/%m/%Y}.")
        return replace(first, unverified=True, note=f"{first.note} {said}".strip())

    def at(self, on: date) -> ParameterValue:
        applicable = [value for value in self.history if value.since <= on]
        if not applicable:
            raise LawDateError(f"Paramètre {self.name} non défini au {on:%d/%m/%Y} : les règles de clauses/ commencent le "
                               f"{self.history[0].since:%d/%m/%Y}. Vérifiez la date de référence de la consultation.")
        return applicable[-1]


@dataclass(frozen=True)
class DatedRule:
    since: date
    reference: str
    unverified: bool
    note: str


@dataclass(frozen=True)
class Eligibility(DatedRule):
    """Kinds of inclusive structure a lever admits (exclusive) or favours (weights), from a date."""

    admits: frozenset[str] = frozenset()
    favours: tuple[tuple[str, float], ...] = ()

    def weight(self, kind: str, default: float = 0.3) -> float:
        return dict(self.favours).get(kind, default)


@dataclass(frozen=True)
class CpvFamily(DatedRule):
    """Where a lever is relevant: loose prefixes (a trade), or the exact codes and inclusive ranges of a legal list
    (annex XIV of directive 2014/24: 79622000 is in it, 79620000 is not)."""

    prefixes: tuple[str, ...] = ()
    codes: frozenset[str] = frozenset()
    ranges: tuple[tuple[str, str], ...] = ()

    def covers(self, cpv: str | None) -> bool:
        if not cpv:
            return False
        code = cpv[:8]
        return (any(code.startswith(prefix) for prefix in self.prefixes) or code in self.codes
                or any(first <= code <= last for first, last in self.ranges))  # 8 digits: text order is CPV order


@dataclass(frozen=True)
class Detection:
    """Vocabulary the extraction uses to find the lever in a tender (folded text)."""

    phrases: tuple[str, ...] = ()
    articles: tuple[str, ...] = ()
    negative_context: tuple[str, ...] = ()


@dataclass(frozen=True)
class Obligation:
    """How the lever meets an obligation (L2112-2-1): its rank among the ways to comply, and why."""

    article: str
    rank: int
    why: str
    unverified: bool = False


@dataclass(frozen=True)
class Lever:
    id: str
    title: str
    label: str
    provision_kind: str
    roles: tuple[str, ...]
    articles: list[str]
    old_articles: list[str]
    effective_from: date
    effective_to: date | None
    target_document: str
    source: str
    conditions: str
    template: str
    eligibility: tuple[Eligibility, ...]
    cpv_families: tuple[CpvFamily, ...] = ()
    detection: Detection | None = None
    obligation: Obligation | None = None
    unverified_points: list[str] = field(default_factory=list)
    draft_warning: str | None = None  # the clause text is not ready to sign until this is checked

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)

    def eligibility_at(self, on: date) -> Eligibility:
        return _at(self.eligibility, on, f"éligibilité du levier {self.id}")

    def cpv_family_at(self, on: date) -> CpvFamily | None:
        applicable = [family for family in self.cpv_families if family.since <= on]
        return applicable[-1] if applicable else None

    def render(self, values: dict[str, Any]) -> list[str]:
        """Clause paragraphs with the placeholders filled; a missing value stays visibly to complete.

        A lever whose text rests on an unconfirmed point starts with a visible warning: never ready to sign."""
        text = string.Formatter().vformat(self.template.strip(), (), _Missing(values))
        paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
        if self.draft_warning:
            paragraphs.insert(0, f"[PROJET – {UNVERIFIED_FR.upper()} avant signature : {self.draft_warning}]")
        return paragraphs


# Words that keep their capital after « Source : » (proper nouns); any other capitalised first word is lowered.
_PROPER_FIRST_WORDS = {"Légifrance", "Conseil", "État", "France", "Europe", "Union"}


def split_top_level(text: str, separator: str = " ; ") -> list[str]:
    """« a ; b (c ; d) » → ["a", "b (c ; d)"]: the separators inside brackets stay."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        char = text[i]
        depth += char == "("
        depth -= char == ")"
        if depth == 0 and text.startswith(separator, i):
            parts.append(text[start:i])
            i += len(separator)
            start = i
            continue
        i += 1
    parts.append(text[start:])
    return [part.strip() for part in parts if part.strip()]


def _lower_first(text: str) -> str:
    first = text.split(" ", 1)[0].rstrip(",;:")
    if first in _PROPER_FIRST_WORDS or len(first) < 2 or not (first[0].isupper() and first[1:].islower()):
        return text
    return text[0].lower() + text[1:]


def sources_fr(*references: object) -> str:
    """The references of a text, at its end: « Source : décret 2022-767. », « Sources : loi 2021-1104 art. 35 ;
    Légifrance. », never nested in the brackets of a sentence. Takes reference strings or ParameterValue (and
    anything with a `reference`); empty ones and repeats are left out. The sentence, not the sources, says
    « à vérifier » next to the value it concerns."""
    pieces: list[str] = []
    for item in references:
        for part in split_top_level(str(getattr(item, "reference", item) or "")):
            if _lower_first(part) not in pieces:
                pieces.append(_lower_first(part))
    if not pieces:
        return ""
    return f"Source{'s' if len(pieces) > 1 else ''} : {' ; '.join(pieces)}."


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return f"[à compléter : {key.replace('_', ' ')}]"


Rule = TypeVar("Rule", bound=DatedRule)


def _at(rules: Sequence[Rule], on: date, what: str) -> Rule:
    applicable = [rule for rule in rules if rule.since <= on]
    if not applicable:
        raise LawDateError(f"{what} non définie au {on:%d/%m/%Y} (règles de clauses/ à partir du "
                           f"{min(rule.since for rule in rules):%d/%m/%Y})")
    return applicable[-1]


# ---------------------------------------------------------------- loading


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A key repeated in one mapping: YAML would silently keep the last value (a threshold replaced by a repeated
    date, code review D3), so the file is refused."""

    def __init__(self, key: str, first_line: int, second_line: int):
        super().__init__(problem=f"clé « {key} » en double (lignes {first_line} et {second_line}) : la seconde "
                                 "valeur remplacerait la première sans le dire")
        self.key, self.first_line, self.second_line = key, first_line, second_line


class _RefuseDuplicateKeys:
    """Mixin for the loaders: refuse a key seen twice in the same mapping (as OpenFisca's loader does)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)  # type: ignore[attr-defined]  # the loader's
                marker = key if isinstance(key, (str, int, float, bool)) or key is None else repr(key)
                if marker in seen:
                    raise DuplicateKeyError(str(key), seen[marker], key_node.start_mark.line + 1)
                seen[marker] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc]  # the loader's, after this mixin


class _DatesAsText(_RefuseDuplicateKeys, yaml.SafeLoader):
    """Dates stay text so that an impossible date (2016-13-01) is reported with its file and key, not a crash."""


_DatesAsText.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


# libyaml's safe loader when PyYAML was built with it (it is on PyPI wheels): ten times faster to start.
_FastDatesAsText = type("_FastDatesAsText", (_RefuseDuplicateKeys, getattr(yaml, "CSafeLoader", yaml.SafeLoader)), {})
_FastDatesAsText.yaml_implicit_resolvers = _DatesAsText.yaml_implicit_resolvers  # type: ignore[attr-defined]


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_FastDatesAsText)  # noqa: S506 - a SafeLoader subclass


def _display_name(path: Path) -> str:
    """« parameters.yaml », « levers/fair_trade.yaml », « tests/cas.yaml »: the file as clauses/README.md names it."""
    return f"{path.parent.name}/{path.name}" if path.parent.name in ("levers", "tests") else path.name


def _read_yaml(path: Path, problems: list[str]) -> Any:
    try:
        return load_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        problems.append(f"{path.name} : - : fichier illisible ({exc.strerror})")
    except DuplicateKeyError as exc:
        problems.append(f"{_display_name(path)} : {exc.key} : {exc.problem}")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"ligne {mark.line + 1}" if mark else "-"
        problems.append(f"{path.name} : {line} : YAML invalide ({getattr(exc, 'problem', None) or exc})")
    return None


def _supplier_kinds() -> set[str]:
    from procure.directory.kinds import KIND_LABELS_FR

    return set(KIND_LABELS_FR)


def _provision_kinds() -> set[str]:
    from procure.model import ProvisionKind

    return {kind.value for kind in ProvisionKind}


@functools.lru_cache(maxsize=4)
def _load_parameters(folder: str) -> dict[str, Parameter]:
    problems: list[str] = []
    raw = _read_yaml(Path(folder, "parameters.yaml"), problems)
    if raw is not None and not isinstance(raw, dict):
        problems.append("parameters.yaml : - : dictionnaire nom : paramètre attendu")
    if problems or raw is None:
        raise ClauseLibraryError(problems or ["parameters.yaml : - : fichier vide"])
    for name, spec in raw.items():
        problems += check_parameter("parameters.yaml", str(name), spec)
    problems += [f"parameters.yaml : {name} : paramètre obligatoire absent" for name in sorted(REQUIRED_PARAMETERS - set(raw))]
    if problems:
        raise ClauseLibraryError(problems)
    result = {}
    for name, spec in raw.items():
        history = tuple(
            ParameterValue(name, entry["value"], checked_date(since), entry["reference"], bool(entry.get("unverified")),
                           str(entry.get("note", "")).strip())
            for since, entry in sorted(spec["values"].items(), key=lambda item: checked_date(item[0]))
        )
        result[name] = Parameter(name, spec["description"].strip(), spec["unit"], history)
    return result


def _eligibility_rules(entries: list[dict]) -> tuple[Eligibility, ...]:
    rules = [Eligibility(checked_date(e["from"]), e["reference"], bool(e.get("unverified")), str(e.get("note", "")),
                         frozenset(e.get("admits", [])), tuple(sorted((e.get("favours") or {}).items())))
             for e in entries]
    return tuple(sorted(rules, key=lambda rule: rule.since))


@functools.lru_cache(maxsize=4)
def _load_eligibility(folder: str) -> dict[str, tuple[Eligibility, ...]]:
    """clauses/eligibility.yaml: the rule when no lever is chosen (`default`)."""
    problems: list[str] = []
    raw = _read_yaml(Path(folder, "eligibility.yaml"), problems)
    if raw is not None and not isinstance(raw, dict):
        problems.append("eligibility.yaml : - : dictionnaire levier : règles datées attendu")
    if not problems and raw is not None:
        kinds = _supplier_kinds()
        for name, entries in raw.items():
            from procure.law.schema import Problems

            collector = Problems("eligibility.yaml")
            check_eligibility(collector, str(name), entries, kinds)
            problems += collector.items
        if "default" not in raw:
            problems.append("eligibility.yaml : default : règle obligatoire absente (aucun levier choisi)")
    if problems or raw is None:
        raise ClauseLibraryError(problems or ["eligibility.yaml : - : fichier vide"])
    return {str(name): _eligibility_rules(entries) for name, entries in raw.items()}


@functools.lru_cache(maxsize=4)
def _load_levers(folder: str) -> dict[str, Lever]:
    problems: list[str] = []
    specs: dict[str, dict] = {}
    provision_kinds, supplier_kinds = _provision_kinds(), _supplier_kinds()
    paths = sorted(Path(folder, "levers").glob("*.yaml"))
    for path in paths:
        spec = _read_yaml(path, problems)
        if spec is None:
            continue
        found = check_lever(f"levers/{path.name}", path.stem, spec, provision_kinds, supplier_kinds)
        problems += found
        if not found:
            specs[path.stem] = spec
    problems += _registry_agreement(specs, provision_kinds, {path.stem for path in paths})
    if problems:
        raise ClauseLibraryError(problems)
    extra = _load_eligibility(folder)
    return {lever_id: _lever(spec, extra.get(lever_id, ())) for lever_id, spec in specs.items()}


def _registry_agreement(specs: dict[str, dict], provision_kinds: set[str], files: set[str]) -> list[str]:
    """Each ProvisionKind has exactly one lever file, and each lever file one kind."""
    problems = []
    by_kind: dict[str, list[str]] = {}
    for lever_id, spec in specs.items():
        by_kind.setdefault(spec["provision_kind"], []).append(lever_id)
    for kind, lever_ids in sorted(by_kind.items()):
        if len(lever_ids) > 1:
            problems.append(f"levers/{lever_ids[1]}.yaml : provision_kind : « {kind} » déjà porté par levers/{lever_ids[0]}.yaml")
    for kind in sorted(provision_kinds - set(by_kind)):
        if kind not in files:  # an invalid file of that name is already reported
            problems.append(f"levers/{kind}.yaml : - : fichier absent : le type de disposition « {kind} » "
                            "(ProvisionKind) n'a pas de levier")
    return problems


def _lever(spec: dict, extra_eligibility: tuple[Eligibility, ...]) -> Lever:
    effective = spec["effective"]
    detection = spec.get("detection")
    obligation = spec.get("obligation")
    families = tuple(sorted(
        (CpvFamily(checked_date(f["from"]), f["reference"], bool(f.get("unverified")), str(f.get("note", "")),
                   tuple(f.get("prefixes", [])), frozenset(f.get("codes", [])),
                   tuple(tuple(bounds) for bounds in f.get("ranges", []))) for f in spec.get("cpv_families", [])),
        key=lambda family: family.since))
    return Lever(
        id=spec["id"], title=spec["title"], label=spec["label"], provision_kind=spec["provision_kind"],
        roles=tuple(spec["roles"]), articles=list(spec["articles"]), old_articles=list(spec.get("old_articles", [])),
        effective_from=checked_date(effective["from"]),
        effective_to=as_date(effective["to"]) if effective.get("to") else None,
        target_document=spec["target_document"], source=spec["source"].strip(), conditions=spec["conditions"].strip(),
        template=spec["template"],
        eligibility=tuple(sorted(_eligibility_rules(spec["eligibility"]) + extra_eligibility, key=lambda r: r.since)),
        cpv_families=families,
        detection=Detection(*(tuple(detection.get(key, [])) for key in ("phrases", "articles", "negative_context")))
        if detection else None,
        obligation=Obligation(obligation["article"], obligation["rank"], obligation["why"].strip(),
                              bool(obligation.get("unverified"))) if obligation else None,
        unverified_points=list(spec.get("unverified_points", [])), draft_warning=spec.get("draft_warning"),
    )


@functools.lru_cache(maxsize=4)
def _load_glossary(folder: str) -> tuple[tuple[str, str, str, str], ...]:
    problems: list[str] = []
    raw = _read_yaml(Path(folder, "glossary.yaml"), problems)
    if raw is not None:
        problems += check_glossary("glossary.yaml", raw)
    if problems or raw is None:
        raise ClauseLibraryError(problems or ["glossary.yaml : - : fichier vide"])
    return tuple((e["old"], e["subject"], e["new"], e["reference"]) for e in raw)


def validate(folder: Path | None = None) -> list[str]:
    """Every problem of a clause library, in French (empty when it is valid)."""
    where = str(folder or clauses_dir())
    problems: list[str] = []
    for loader in (_load_parameters, _load_eligibility, _load_levers, _load_glossary):
        try:
            loader(where)
        except ClauseLibraryError as error:
            problems += [p for p in error.problems if p not in problems]
    return problems


# ---------------------------------------------------------------- lookups


def parameters() -> dict[str, Parameter]:
    return _load_parameters(str(clauses_dir()))


def parameter(name: str, on: date) -> ParameterValue:
    return parameters()[name].at(on)


def parameter_or_earliest(name: str, on: date) -> ParameterValue:
    """`parameter`, but a date before the first value gets the first value, flagged with a note that says so."""
    return parameters()[name].at_or_earliest(on)


def levers() -> dict[str, Lever]:
    return _load_levers(str(clauses_dir()))


def lever(lever_id: str) -> Lever:
    return levers()[lever_id]


def provision_labels() -> dict[str, str]:
    """Short French label of each provision kind, from the lever files."""
    return {lever.provision_kind: lever.label for lever in levers().values()}


def eligibility(lever_id: str | None, on: date) -> Eligibility:
    """Kinds of structure the lever admits or favours at a date; the `default` rule when no lever applies."""
    known = levers()
    if lever_id in known:
        return known[lever_id].eligibility_at(on)
    return _at(_load_eligibility(str(clauses_dir()))["default"], on, "éligibilité par défaut")


def glossary() -> list[tuple[str, str, str]]:
    """(old article, subject, current article) rows of clauses/glossary.yaml."""
    return [(old, subject, new) for old, subject, new, _ in _load_glossary(str(clauses_dir()))]


def __getattr__(name: str) -> Any:
    if name == "OLD_TO_NEW":  # kept for the outputs written before the glossary moved to clauses/
        return glossary()
    raise AttributeError(name)


def entry_into_force(name: str) -> date:
    """First date from which a boolean parameter (an obligation) is true."""
    for value in parameters()[name].history:
        if value.value is True:
            return value.since
    raise LookupError(f"Paramètre {name} jamais en vigueur")


def labour_share(cpv_code: str | None, nature: str, on: date) -> tuple[float, str, bool, ParameterValue]:
    """(share, family label, unverified, parameter) for the longest CPV prefix in the table, or the nature default."""
    table = parameter("labour_share", on)
    entries: dict = table.value
    match = None
    if cpv_code:
        prefixes = [p for p in entries if not p.startswith("default") and cpv_code.startswith(p)]
        match = max(prefixes, key=len) if prefixes else None
    entry = entries[match] if match else entries[f"default_{'services' if nature == 'social_services' else nature}"]
    return entry["share"], entry["label"], bool(entry.get("unverified")) or table.unverified, table


def qualified_trade(cpv_code: str | None, on: date) -> bool:
    """Intellectual services (IT, engineering, legal advice): labour is most of the price but qualified, so hours of
    insertion are fixed with the facilitator or replaced by a social condition without hours (labour_share)."""
    table = parameter("labour_share", on).value
    prefixes = [p for p in table if not p.startswith("default") and cpv_code and cpv_code.startswith(p)]
    return bool(prefixes) and bool(table[max(prefixes, key=len)].get("qualified"))


def insertion_rate(nature: str, on: date) -> tuple[float, str, bool, ParameterValue]:
    """(rate, French label, unverified, parameter): the ANRU rate is for works in priority districts; for services
    and supplies it is procure's own default, flagged."""
    param = parameter("insertion_rate", on)
    entry = param.value[ContractNature.SERVICES if nature == ContractNature.SOCIAL_SERVICES else nature]
    if not isinstance(entry, dict):  # a bare figure (older libraries)
        return float(entry), "", param.unverified, param
    return float(entry["rate"]), str(entry.get("label", "")), bool(entry.get("unverified")) or param.unverified, param


def cpv_in_family(cpv_code: str | None, lever_id: str, on: date) -> bool:
    """The CPV belongs to the family where the lever is relevant (its `cpv_families` at that date)."""
    family = lever(lever_id).cpv_family_at(on)
    return bool(family and family.covers(cpv_code))


def is_social_service(cpv_code: str | None, on: date) -> bool:
    """A social or other specific service (R2123-1 3°, list of the avis of 31 March 2019)."""
    return cpv_in_family(cpv_code, SOCIAL_SERVICES_LEVER, on)


@dataclass(frozen=True)
class Threshold:
    """The European threshold used: for which buyer category and contract nature, at which date."""

    category: str  # a BuyerCategory code
    nature: str  # a ContractNature code
    value: Decimal
    parameter: ParameterValue


def rules_start() -> date:
    """The first day every threshold of clauses/ is known: earlier tenders are read with the rules of that day."""
    names = set(THRESHOLD_PARAMETERS.values()) | {"eu_threshold_works"}
    return max(parameters()[name].history[0].since for name in names)


def eu_threshold(category: str, nature: str, on: date) -> Threshold:
    name = "eu_threshold_works" if nature == ContractNature.WORKS else THRESHOLD_PARAMETERS[(category, nature)]
    value = parameter(name, on)
    return Threshold(category, nature, Decimal(value.value), value)


def eu_thresholds(nature: str, on: date) -> list[Threshold]:
    """The threshold of every buyer category, for when the category is unknown."""
    return [eu_threshold(category, nature, on) for category in BuyerCategory]


def levers_with_role(role: str) -> frozenset[str]:
    """Ids of the levers carrying a role (social_consideration, reservation…) in clauses/levers/."""
    return frozenset(lever.id for lever in levers().values() if role in lever.roles)
