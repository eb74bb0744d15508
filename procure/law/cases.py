"""Law test cases as data (`clauses/tests/*.yaml`), in the manner of OpenFisca's YAML tests.

A jurist writes a case without Python: a date, a buyer category, lots (CPV, amount, nature…) and what the law
expects (obligation, threshold, levers, statuses, hours, alerts). `run_case` returns the differences in French.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from procure.law.schema import Problems, as_date, checked_date
from procure.vocabulary import BuyerCategory

if TYPE_CHECKING:
    from procure.advice.suggest import Advice
    from procure.model import Tender

CASE_KEYS = {"name", "date", "buyer_category", "defence_security", "procedure", "lots", "expected"}
LOT_KEYS = {"number", "cpv", "amount", "tax", "kind", "estimate", "nature", "months", "provisions"}
PROVISION_KEYS = {"kind", "hours", "per", "weight", "lot"}
EXPECTED_KEYS = {"obligation", "threshold", "thresholds", "threshold_category", "nature", "entry_into_force", "levers",
                 "absent_levers", "status", "hours", "alerts", "absent_alerts", "text", "ready_to_sign", "meets_obligation",
                 "explanation", "absent_text", "alert_text"}
# "indeterminee": a lot without an amount or no amount at all; "selon_categorie": the buyer's category is unknown.
OBLIGATION_VALUES = {True: True, False: False, "selon_categorie": None, "indeterminee": None}
CATEGORIES = frozenset(BuyerCategory)


@dataclass
class LawCase:
    file: str
    index: int
    spec: dict

    @property
    def name(self) -> str:
        return str(self.spec.get("name") or f"cas {self.index + 1}")

    @property
    def id(self) -> str:
        return f"{Path(self.file).stem}::{self.name}"


def load_cases(folder: Path) -> tuple[list[LawCase], list[str]]:
    """Every case of every file, and the problems of the files (a file with a problem yields no case)."""
    from procure.law import DuplicateKeyError, load_yaml

    cases, problems = [], []
    for path in sorted(folder.glob("*.yaml")):
        try:
            raw = load_yaml(path.read_text(encoding="utf-8"))
        except DuplicateKeyError as exc:
            problems.append(f"tests/{path.name} : {exc.key} : {exc.problem}")
            continue
        except Exception as exc:  # noqa: BLE001 - any YAML error is reported with the file name
            problems.append(f"tests/{path.name} : - : YAML invalide ({exc})")
            continue
        if not isinstance(raw, list):
            problems.append(f"tests/{path.name} : - : liste de cas attendue")
            continue
        found = []
        for index, spec in enumerate(raw):
            found += check_case(f"tests/{path.name}", index, spec)
        problems += found
        if not found:
            cases += [LawCase(f"tests/{path.name}", index, spec) for index, spec in enumerate(raw)]
    return cases, problems


def check_case(file: str, index: int, spec: Any) -> list[str]:
    problems = Problems(file)
    key = f"cas {index + 1}"
    if not isinstance(spec, dict):
        problems.add(key, "dictionnaire attendu")
        return problems.items
    key = f"cas {index + 1} ({spec.get('name', 'sans nom')})"
    _unknown(problems, key, spec, CASE_KEYS, {"name", "date", "lots", "expected"})
    if as_date(spec.get("date")) is None:
        problems.add(f"{key}.date", f"date invalide « {spec.get('date')} » (AAAA-MM-JJ)")
    if spec.get("buyer_category") not in CATEGORIES | {None}:
        problems.add(f"{key}.buyer_category", f"« {spec.get('buyer_category')} » : central, local ou contracting_entity (ou absent si inconnue)")
    lots = spec.get("lots")
    if not isinstance(lots, list) or not lots:
        problems.add(f"{key}.lots", "liste non vide de lots attendue")
    else:
        for number, lot in enumerate(lots, 1):
            if _unknown(problems, f"{key}.lots[{number}]", lot, LOT_KEYS, {"cpv"}):
                for provision in lot.get("provisions", []) or []:
                    where = f"{key}.lots[{number}].provisions"
                    if _unknown(problems, where, provision, PROVISION_KEYS, {"kind"}):
                        _provision_values(problems, where, provision)
    expected = spec.get("expected")
    if _unknown(problems, f"{key}.expected", expected, EXPECTED_KEYS, set()) and isinstance(expected, dict):
        if "obligation" in expected and expected["obligation"] not in OBLIGATION_VALUES:
            problems.add(f"{key}.expected.obligation", "true, false, selon_categorie ou indeterminee attendu")
    return problems.items


def _provision_values(problems: Problems, key: str, provision: dict) -> None:
    from procure.model import ProvisionKind

    kinds = {kind.value for kind in ProvisionKind}
    if provision.get("kind") not in kinds:
        problems.add(f"{key}.kind", f"« {provision.get('kind')} » inconnu (types : {', '.join(sorted(kinds))})")
    if provision.get("per") not in (None, "year", "total"):
        problems.add(f"{key}.per", f"« {provision.get('per')} » : year (par année d'exécution) ou total attendu")


def _unknown(problems: Problems, key: str, spec: Any, allowed: set[str], required: set[str]) -> bool:
    if not isinstance(spec, dict):
        problems.add(key, "dictionnaire attendu")
        return False
    for name in sorted(set(map(str, spec)) - allowed):
        problems.add(f"{key}.{name}", f"clé inconnue (clés admises : {', '.join(sorted(allowed))})")
    for name in sorted(required - set(spec)):
        problems.add(f"{key}.{name}", "clé obligatoire absente")
    return True


def build_tender(spec: dict[str, Any]) -> Tender:
    """The tender a case describes, with a stand-in evidence (cases have no documents)."""
    from procure.model import (
        Amount,
        AmountKind,
        BuyerCategory,
        CpvCode,
        Evidence,
        Fact,
        Lot,
        ProvisionKind,
        SocialProvision,
        Tender,
    )

    evidence = Evidence("cas.yaml", None, 0, 0, 0, "cas de test")
    tender = Tender()
    tender.dates["launch"] = Fact(checked_date(spec["date"]), evidence)
    if spec.get("buyer_category"):
        tender.buyer_category = Fact(BuyerCategory(spec["buyer_category"]), evidence)
    if spec.get("procedure"):
        tender.procedure = Fact({"code": spec["procedure"], "label": spec["procedure"]}, evidence)
    for number, item in enumerate(spec["lots"], 1):
        lot = Lot(item.get("number", number), Fact(f"Lot {item.get('number', number)}", evidence))
        cpv = str(item["cpv"])
        lot.cpv = [(CpvCode(cpv, None, None, "unverified", cpv), evidence)]
        if item.get("amount") is not None:
            kind = AmountKind(item["kind"]) if item.get("kind") else None  # estimate, maximum, minimum, total
            estimate = Decimal(str(item["estimate"])) if item.get("estimate") is not None else None  # beside a maximum
            lot.estimated_amount = Fact(Amount(Decimal(str(item["amount"])), item.get("tax", "HT"), kind, None, estimate), evidence)
        if item.get("months"):
            lot.duration_months = Fact(int(item["months"]), evidence)
        for provision in item.get("provisions", []) or []:
            lot.provisions.append(SocialProvision(ProvisionKind(provision["kind"]), evidence, lot.number, [],
                                                  provision.get("hours"), provision.get("per"), provision.get("weight")))
        tender.lots.append(lot)
    return tender


def run_case(case: LawCase) -> list[str]:
    """What differs from the expected result, in French (empty: the case passes)."""
    from procure.advice.suggest import suggest

    spec = case.spec
    # suggest, not advice.advise: the law never reaches the database, even through the DECP evidence.
    advice = suggest(build_tender(spec), defence_security=spec.get("defence_security"))
    expected = spec["expected"]
    diffs: list[str] = []
    check = advice.obligation
    if check is None:  # suggest() always checks the obligation
        return ["l'obligation L2112-2-1 n'a pas été examinée"]

    def compare(what: str, got: Any, wanted: Any) -> None:
        if got != wanted:
            diffs.append(f"{what} : attendu {wanted!r}, obtenu {got!r}")

    if "obligation" in expected:
        compare("obligation L2112-2-1", advice.mandatory_social_condition, OBLIGATION_VALUES[expected["obligation"]])
    if "threshold" in expected:
        compare("seuil utilisé", int(check.threshold.value) if check.threshold else None, expected["threshold"])
    if "thresholds" in expected:
        compare("seuils présentés", [int(t.value) for t in check.thresholds], expected["thresholds"])
    if "threshold_category" in expected:
        compare("catégorie d'acheteur du seuil", check.threshold.category if check.threshold else None, expected["threshold_category"])
    if "nature" in expected:
        compare("nature de l'ensemble du marché", check.nature, expected["nature"])
    if "entry_into_force" in expected:
        compare("entrée en vigueur", check.entry_into_force, as_date(expected["entry_into_force"]))
    lots = {lot.lot.number: lot for lot in advice.lots}
    for number, wanted in (expected.get("levers") or {}).items():
        got = {s.lever_id for s in lots[number].suggestions}
        for lever in wanted:
            if lever not in got:
                diffs.append(f"lot {number} : levier {lever} attendu, non proposé (proposés : {', '.join(sorted(got)) or 'aucun'})")
    for number, unwanted in (expected.get("absent_levers") or {}).items():
        got = {s.lever_id for s in lots[number].suggestions}
        for lever in unwanted:
            if lever in got:
                diffs.append(f"lot {number} : levier {lever} proposé à tort")
    for number, statuses in (expected.get("status") or {}).items():
        got_status = {s.lever_id: s.status.label for s in lots[number].suggestions}  # cases say it in French
        for lever, status in statuses.items():
            compare(f"lot {number} : statut de {lever}", got_status.get(lever), status)
    for number, wanted in (expected.get("meets_obligation") or {}).items():
        meeting = [s.lever_id for s in lots[number].suggestions if s.obligation]
        compare(f"lot {number} : levier retenu pour satisfaire L2112-2-1", meeting, wanted)
    for number, hours in (expected.get("hours") or {}).items():
        clause = next((s for s in lots[number].suggestions if s.lever_id == "insertion_clause"), None)
        compare(f"lot {number} : heures d'insertion proposées", clause.hours.hours if clause and clause.hours else None, hours)
    for number, levers in (expected.get("ready_to_sign") or {}).items():
        got_ready = {s.lever_id: s.ready_to_sign for s in lots[number].suggestions}
        for lever, ready in levers.items():
            compare(f"lot {number} : texte de {lever} prêt à signer", got_ready.get(lever), ready)
    for number, levers in (expected.get("text") or {}).items():
        for lever, fragments in levers.items():
            suggestion = next((s for s in lots[number].suggestions if s.lever_id == lever), None)
            text = "\n".join((suggestion.reasons + suggestion.clause_paragraphs + suggestion.points_to_check
                              + (suggestion.hours.steps if suggestion.hours else [])) if suggestion else [])
            for fragment in fragments:
                if fragment not in text:
                    diffs.append(f"lot {number} : « {fragment} » absent des raisons et du texte de {lever}")
    for fragment in expected.get("explanation", []) or []:
        if fragment not in check.explanation:
            diffs.append(f"« {fragment} » absent de l'explication de l'obligation : {check.explanation}")
    everything = _all_text(advice)
    for fragment in expected.get("absent_text", []) or []:
        if fragment in everything:
            diffs.append(f"« {fragment} » écrit à tort dans les résultats")
    all_alerts = list(advice.alerts) + [a for lot in advice.lots for a in lot.alerts]
    for code, fragments in (expected.get("alert_text") or {}).items():
        messages = "\n".join(a.message for a in all_alerts if a.code == code)
        for fragment in fragments:
            if fragment not in messages:
                diffs.append(f"alerte {code} : « {fragment} » absent ({messages or 'alerte non levée'})")
    codes = {a.code for a in advice.alerts} | {a.code for lot in advice.lots for a in lot.alerts}
    for code in expected.get("alerts", []) or []:
        if code not in codes:
            diffs.append(f"alerte {code} attendue (alertes : {', '.join(sorted(codes)) or 'aucune'})")
    for code in expected.get("absent_alerts", []) or []:
        if code in codes:
            diffs.append(f"alerte {code} levée à tort")
    return diffs


def _all_text(advice: Advice) -> str:
    """Every French sentence of an advice: explanation, alerts, ways to comply, reasons, checks and clause texts."""
    parts = [advice.obligation.explanation if advice.obligation else ""]
    parts += [a.message for a in advice.alerts]
    for lot in advice.lots:
        parts += [a.message for a in lot.alerts] + lot.ways_to_comply
        for s in lot.suggestions:
            parts += s.reasons + s.clause_paragraphs + s.points_to_check + ([s.obligation] if s.obligation else [])
            parts += s.hours.steps if s.hours else []
    return "\n".join(parts)
