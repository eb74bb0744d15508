"""Validation of the clause library (`clauses/`): every problem is reported as « fichier : clé : problème ».

A file with a problem is refused as a whole: procure never runs on half a lever or half a parameter.
"""
from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from procure.errors import ProcureError

ARTICLE_RE = re.compile(r"^[LRD]\d{4}-\d+(?:-\d+)*(?: \d+°)?$")
OLD_ARTICLE_RE = re.compile(r"^CMP (?:\d{4} )?art\. \d+(?: [IVX]+)?$")
ROLES = {"social_consideration", "execution_condition", "award_criterion", "reservation", "procedure"}
UNITS = {"EUR", "ratio", "bool", "list", "table"}
DETECTION_KEYS = {"phrases", "articles", "negative_context"}

LEVER_REQUIRED = {"id", "provision_kind", "label", "title", "roles", "articles", "effective", "target_document", "source",
                  "conditions", "eligibility", "template"}
LEVER_OPTIONAL = {"old_articles", "obligation", "cpv_families", "detection", "unverified_points", "draft_warning"}
RULE_KEYS = {"from", "reference", "unverified", "note"}
ELIGIBILITY_KEYS = RULE_KEYS | {"admits", "favours"}
FAMILY_KEYS = RULE_KEYS | {"prefixes", "codes", "ranges"}
OBLIGATION_KEYS = {"article", "rank", "unverified", "why"}
PARAMETER_KEYS = {"description", "unit", "values"}
VALUE_KEYS = {"value", "reference", "unverified", "note"}
GLOSSARY_KEYS = {"old", "subject", "new", "reference"}


class ClauseLibraryError(ProcureError, ValueError):
    """The clause library cannot be used; `problems` lists « fichier : clé : problème » in French."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Bibliothèque de clauses invalide (fichiers refusés) :\n" + "\n".join(f"- {p}" for p in problems))


class Problems:
    """Collects the problems of one file, each prefixed with the file name."""

    def __init__(self, file: str):
        self.file = file
        self.items: list[str] = []

    def add(self, key: str, problem: str) -> None:
        self.items.append(f"{self.file} : {key} : {problem}")

    def __bool__(self) -> bool:
        return bool(self.items)


def as_date(value: Any) -> date | None:
    """A YAML date (parsed by PyYAML) or an ISO string; None when it is neither."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def checked_date(value: Any) -> date:
    """A date the validation has already accepted (`as_date` of it is not None)."""
    parsed = as_date(value)
    if parsed is None:
        raise ValueError(f"date invalide « {value} » (la validation aurait dû la refuser)")
    return parsed


def _text(problems: Problems, key: str, value: Any, required: bool = True) -> bool:
    if value is None and not required:
        return True
    if not isinstance(value, str) or not value.strip():
        problems.add(key, "texte attendu (non vide)")
        return False
    return True


def _text_list(problems: Problems, key: str, value: Any, allow_empty: bool = True) -> bool:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.add(key, "liste de textes attendue")
        return False
    if not value and not allow_empty:
        problems.add(key, "liste vide : au moins une valeur attendue")
        return False
    return True


def _keys(problems: Problems, key: str, spec: Any, allowed: set[str], required: set[str]) -> bool:
    if not isinstance(spec, dict):
        problems.add(key, "dictionnaire (clé : valeur) attendu")
        return False
    for unknown in sorted(set(map(str, spec)) - allowed):
        problems.add(f"{key}.{unknown}" if key else unknown, f"clé inconnue (clés admises : {', '.join(sorted(allowed))})")
    for missing in sorted(required - set(map(str, spec))):
        problems.add(f"{key}.{missing}" if key else missing, "clé obligatoire absente")
    return True


def _date(problems: Problems, key: str, value: Any) -> date | None:
    parsed = as_date(value)
    if parsed is None:
        problems.add(key, f"date invalide « {value} » (format attendu AAAA-MM-JJ)")
    return parsed


def _flag(problems: Problems, key: str, value: Any) -> None:
    if value is not None and not isinstance(value, bool):
        problems.add(key, "true ou false attendu")


def _dated_rules(problems: Problems, key: str, entries: Any, allowed: set[str],
                 check_entry: Callable[[str, dict[str, Any]], None]) -> None:
    """A list of rules, each with its `from` date and its source; dates unique."""
    if not isinstance(entries, list) or not entries:
        problems.add(key, "liste non vide de règles datées (from, reference…) attendue")
        return
    seen: set[date | None] = set()
    for index, entry in enumerate(entries):
        where = f"{key}[{index}]"
        if not _keys(problems, where, entry, allowed, {"from", "reference"}):
            continue
        since = _date(problems, f"{where}.from", entry.get("from"))
        if since in seen:
            problems.add(f"{where}.from", f"date {since} répétée")
        seen.add(since)
        _text(problems, f"{where}.reference", entry.get("reference"))
        _text(problems, f"{where}.note", entry.get("note"), required=False)
        _flag(problems, f"{where}.unverified", entry.get("unverified"))
        check_entry(where, entry)


def check_eligibility(problems: Problems, key: str, entries: Any, supplier_kinds: set[str]) -> None:
    def entry_ok(where: str, entry: dict) -> None:
        if ("admits" in entry) == ("favours" in entry):
            problems.add(where, "une seule des clés « admits » (types admis) ou « favours » (poids par type) attendue")
        if "admits" in entry and _text_list(problems, f"{where}.admits", entry["admits"], allow_empty=False):
            for kind in entry["admits"]:
                if kind not in supplier_kinds:
                    problems.add(f"{where}.admits", f"type de structure inconnu « {kind} » (types : {', '.join(sorted(supplier_kinds))})")
        if "favours" in entry:
            favours = entry["favours"]
            if not isinstance(favours, dict):
                problems.add(f"{where}.favours", "dictionnaire type : poids attendu")
                return
            for kind, weight in favours.items():
                if kind not in supplier_kinds:
                    problems.add(f"{where}.favours", f"type de structure inconnu « {kind} » (types : {', '.join(sorted(supplier_kinds))})")
                if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 <= weight <= 1:
                    problems.add(f"{where}.favours.{kind}", f"poids entre 0 et 1 attendu (« {weight} »)")

    _dated_rules(problems, key, entries, ELIGIBILITY_KEYS, entry_ok)


def _cpv_families(problems: Problems, entries: Any) -> None:
    """A family is prefixes (a loose trade family), or exact codes and inclusive ranges (a list of the law,
    such as annex XIV of directive 2014/24: a prefix there would take in codes the law leaves out)."""
    def entry_ok(where: str, entry: dict) -> None:
        if not any(key in entry for key in ("prefixes", "codes", "ranges")):
            problems.add(where, "prefixes, codes ou ranges attendu")
            return
        if "prefixes" in entry and _text_list(problems, f"{where}.prefixes", entry["prefixes"], allow_empty=False):
            for prefix in entry["prefixes"]:
                if not prefix.isdigit() or len(prefix) > 8:
                    problems.add(f"{where}.prefixes", f"préfixe CPV invalide « {prefix} » (1 à 8 chiffres, entre guillemets)")
        if "codes" in entry and _text_list(problems, f"{where}.codes", entry["codes"], allow_empty=False):
            for code in entry["codes"]:
                if not CPV_CODE_RE.fullmatch(code):
                    problems.add(f"{where}.codes", f"code CPV invalide « {code} » (8 chiffres, entre guillemets)")
        if "ranges" in entry:
            _cpv_ranges(problems, f"{where}.ranges", entry["ranges"])

    _dated_rules(problems, "cpv_families", entries, FAMILY_KEYS, entry_ok)


CPV_CODE_RE = re.compile(r"\d{8}")


def _cpv_ranges(problems: Problems, key: str, ranges: Any) -> None:
    if not isinstance(ranges, list) or not ranges:
        problems.add(key, "liste de bornes [premier, dernier] attendue")
        return
    for bounds in ranges:
        if (not isinstance(bounds, list) or len(bounds) != 2
                or not all(isinstance(b, str) and CPV_CODE_RE.fullmatch(b) for b in bounds)):
            problems.add(key, f"borne invalide « {bounds} » : [\"premier code\", \"dernier code\"] de 8 chiffres attendu")
        elif bounds[0] > bounds[1]:
            problems.add(key, f"bornes inversées « {bounds[0]} » > « {bounds[1]} »")


def _articles(problems: Problems, key: str, value: Any, old_allowed: bool = False) -> None:
    if not _text_list(problems, key, value, allow_empty=old_allowed):
        return
    for article in value:
        if not ARTICLE_RE.match(article) and not (old_allowed and OLD_ARTICLE_RE.match(article)):
            problems.add(key, f"référence d'article invalide « {article} » (ex. L2112-2, R2123-1 3°)")


def _template(problems: Problems, value: Any) -> None:
    if not _text(problems, "template", value):
        return
    try:
        for _, field_name, _, _ in string.Formatter().parse(value):
            if field_name is not None and not field_name.isidentifier():
                problems.add("template", f"champ « {{{field_name}}} » invalide (lettres, chiffres et _ seulement)")
    except ValueError as exc:
        problems.add("template", f"accolades mal formées ({exc})")


def check_lever(file: str, stem: str, spec: Any, provision_kinds: set[str], supplier_kinds: set[str]) -> list[str]:
    problems = Problems(file)
    if not _keys(problems, "", spec, LEVER_REQUIRED | LEVER_OPTIONAL, LEVER_REQUIRED):
        return problems.items
    if spec.get("id") != stem:
        problems.add("id", f"« {spec.get('id')} » différent du nom du fichier ({stem}) : l'identifiant est le nom du fichier")
    kind = spec.get("provision_kind")
    if kind not in provision_kinds:
        problems.add("provision_kind", f"type de disposition inconnu « {kind} » (types : {', '.join(sorted(provision_kinds))})")
    for key in ("label", "title", "target_document", "source", "conditions"):
        _text(problems, key, spec.get(key))
    if _text_list(problems, "roles", spec.get("roles"), allow_empty=False):
        for role in spec["roles"]:
            if role not in ROLES:
                problems.add("roles", f"rôle inconnu « {role} » (rôles : {', '.join(sorted(ROLES))})")
    _articles(problems, "articles", spec.get("articles"))
    if "old_articles" in spec:
        _text_list(problems, "old_articles", spec["old_articles"])
    _effective(problems, spec.get("effective"))
    check_eligibility(problems, "eligibility", spec.get("eligibility"), supplier_kinds)
    if "cpv_families" in spec:
        _cpv_families(problems, spec["cpv_families"])
    if "obligation" in spec:
        _obligation(problems, spec["obligation"])
    if "detection" in spec:
        _detection(problems, spec["detection"])
    if "unverified_points" in spec:
        _text_list(problems, "unverified_points", spec["unverified_points"])
    _text(problems, "draft_warning", spec.get("draft_warning"), required=False)
    _template(problems, spec.get("template"))
    return problems.items


def _effective(problems: Problems, effective: Any) -> None:
    if not _keys(problems, "effective", effective, {"from", "to"}, {"from"}):
        return
    since = _date(problems, "effective.from", effective.get("from"))
    if effective.get("to") is not None:
        until = _date(problems, "effective.to", effective["to"])
        if since and until and until <= since:
            problems.add("effective.to", "date de fin antérieure ou égale à la date de début")


def _obligation(problems: Problems, obligation: Any) -> None:
    if not _keys(problems, "obligation", obligation, OBLIGATION_KEYS, {"article", "rank", "why"}):
        return
    _articles(problems, "obligation.article", [obligation.get("article")])
    rank = obligation.get("rank")
    if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
        problems.add("obligation.rank", f"entier ≥ 1 attendu (« {rank} ») : ordre de présentation des manières de satisfaire l'obligation")
    _flag(problems, "obligation.unverified", obligation.get("unverified"))
    _text(problems, "obligation.why", obligation.get("why"))


def _detection(problems: Problems, detection: Any) -> None:
    if not _keys(problems, "detection", detection, DETECTION_KEYS, set()):
        return
    for key in DETECTION_KEYS & set(detection):
        if _text_list(problems, f"detection.{key}", detection[key]) and key == "articles":
            for article in detection[key]:
                if not ARTICLE_RE.match(article) and not OLD_ARTICLE_RE.match(article):
                    problems.add("detection.articles", f"référence d'article invalide « {article} » (ex. L2113-12, CMP art. 15)")


def check_parameter(file: str, name: str, spec: Any) -> list[str]:
    problems = Problems(file)
    if not _keys(problems, name, spec, PARAMETER_KEYS, PARAMETER_KEYS):
        return problems.items
    _text(problems, f"{name}.description", spec.get("description"))
    unit = spec.get("unit")
    if unit not in UNITS:
        problems.add(f"{name}.unit", f"unité inconnue « {unit} » (unités : {', '.join(sorted(UNITS))})")
    values = spec.get("values")
    if not isinstance(values, dict) or not values:
        problems.add(f"{name}.values", "dictionnaire date : valeur attendu (au moins une date)")
        return problems.items
    for since, entry in values.items():
        where = f"{name}.values.{since}"
        _date(problems, where, since)
        if not _keys(problems, where, entry, VALUE_KEYS, {"value", "reference"}):
            continue
        _text(problems, f"{where}.reference", entry.get("reference"))
        _text(problems, f"{where}.note", entry.get("note"), required=False)
        _flag(problems, f"{where}.unverified", entry.get("unverified"))
        _value_of_unit(problems, f"{where}.value", unit, entry.get("value"))
    return problems.items


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _value_of_unit(problems: Problems, key: str, unit: str, value: Any) -> None:
    if unit == "EUR" and not (_number(value) and value >= 0):
        problems.add(key, f"montant positif attendu (« {value} »)")
    elif unit == "bool" and not isinstance(value, bool):
        problems.add(key, f"true ou false attendu (« {value} »)")
    elif unit == "list" and not isinstance(value, list):
        problems.add(key, "liste attendue")
    elif unit == "table" and not isinstance(value, dict):
        problems.add(key, "dictionnaire attendu")
    elif unit == "ratio":
        for path, leaf in _ratio_leaves(key, value):
            if not (_number(leaf) and 0 <= leaf <= 1):
                problems.add(path, f"taux entre 0 et 1 attendu (« {leaf} »)")


def _ratio_leaves(key: str, value: Any) -> Iterator[tuple[str, Any]]:
    """Every number of a ratio value (a figure, or a table of figures with labels), with its path."""
    if isinstance(value, dict):
        for sub, item in value.items():
            if sub not in ("label", "unverified", "qualified"):
                yield from _ratio_leaves(f"{key}.{sub}", item)
    else:
        yield key, value


def check_glossary(file: str, entries: Any) -> list[str]:
    problems = Problems(file)
    if not isinstance(entries, list):
        problems.add("", "liste d'entrées (old, subject, new, reference) attendue")
        return problems.items
    for index, entry in enumerate(entries):
        where = f"[{index}]"
        if _keys(problems, where, entry, GLOSSARY_KEYS, GLOSSARY_KEYS):
            for key in sorted(GLOSSARY_KEYS):
                _text(problems, f"{where}.{key}", entry.get(key))
    return problems.items
