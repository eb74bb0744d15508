"""The ledger's computations on the cases of tests/followup/cases/*.yaml (hand-computed figures, like the law cases).

A case: `commitment` (the fields of `Commitment`; buyer, lot title and holder default to test values),
`statements` (one `month`, or `from`/`to` for the same figures every month), `today`, optional `behind_share`
and `warn_days`, and `expected`: any of the `Progress` figures, `years` (index, due, done), `alerts` (the kinds,
in order), `hours_missing` and `messages` by alert kind, `exposure_eur` (sum of the penalty alerts, or null).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from procure.followup.ledger import alerts_for, progress
from procure.followup.model import AlertKind, Commitment, Route, Statement, add_months

CASES = Path(__file__).parent / "cases"
FIGURES = ("due_to_date", "done", "gap", "share_done", "projection_year_end", "projection_contract_end", "year_due",
           "total_due")


def _month(value) -> date:
    if isinstance(value, date):
        return value.replace(day=1)
    year, month = str(value).split("-")[:2]
    return date(int(year), int(month), 1)


def _commitment(spec: dict) -> Commitment:
    spec = dict(spec)
    spec.setdefault("buyer", "Acheteur de test")
    spec.setdefault("lot_title", f"Lot {spec['key']}")
    spec.setdefault("holder_name", "Titulaire de test")
    spec.setdefault("holder_siret", None)
    spec.setdefault("facilitator", None)
    if spec.get("penalty_per_hour") is not None:
        spec["penalty_per_hour"] = Decimal(str(spec["penalty_per_hour"]))
    spec["renewals_months"] = tuple(spec.get("renewals_months", ()))
    return Commitment(**spec)


def _statements(key: str, specs: list[dict]) -> list[Statement]:
    out = []
    for spec in specs:
        hours = {Route(route): float(value) for route, value in spec["hours"].items()}
        if "month" in spec:
            months = [_month(spec["month"])]
        else:
            first, last = _month(spec["from"]), _month(spec["to"])
            months = []
            while first <= last:
                months.append(first)
                first = add_months(first, 1)
        out += [Statement(key, month, dict(hours), source="cas de test") for month in months]
    return out


def _cases():
    for path in sorted(CASES.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            yield pytest.param(case, id=f"{path.stem}: {case['name']}")


@pytest.mark.parametrize("case", list(_cases()))
def test_ledger_case(case):
    commitment = _commitment(case["commitment"])
    statements = _statements(commitment.key, case.get("statements") or [])
    options = {name: case[name] for name in ("behind_share", "warn_days") if name in case}
    result = progress(commitment, statements, case["today"], **options)
    expected = case["expected"]
    for name in FIGURES:
        if name in expected:
            wanted, got = expected[name], getattr(result, name)
            if wanted is None:
                assert got is None, f"{name} : {got} au lieu de rien"
            else:
                assert got == pytest.approx(wanted, abs=0.01), f"{name} : {got} au lieu de {wanted}"
    for wanted in expected.get("years", []):
        year = result.years[wanted["index"] - 1]
        assert year.index == wanted["index"]
        assert year.due == pytest.approx(wanted["due"]) and year.done == pytest.approx(wanted["done"])
    if "alerts" in expected:
        assert [a.kind.value for a in result.alerts] == expected["alerts"], [a.message for a in result.alerts]
    by_kind = {}
    for alert in result.alerts:
        by_kind.setdefault(alert.kind.value, []).append(alert)
        assert alert.message and alert.commitment_key == commitment.key
        if alert.kind is AlertKind.PENALTY_EXPOSURE:
            assert alert.evidence == commitment.evidence
    for kind, hours in expected.get("hours_missing", {}).items():
        assert by_kind[kind][0].hours_missing == pytest.approx(hours, abs=0.01)
    for kind, fragments in expected.get("messages", {}).items():
        text = " | ".join(alert.message for alert in by_kind[kind])
        for fragment in fragments:
            assert fragment.replace(" ", "") in text.replace("\u202f", "").replace("\u00a0", "").replace(" ", ""), \
                f"« {fragment} » absent de : {text}"
    if "exposure_eur" in expected:
        penalties = [a.exposure_eur for a in result.alerts if a.kind is AlertKind.PENALTY_EXPOSURE]
        if expected["exposure_eur"] is None:
            assert all(a.exposure_eur is None for a in result.alerts)
        else:
            assert sum(penalties) == Decimal(str(expected["exposure_eur"])).quantize(Decimal("0.01"))


def test_alerts_grouped_per_holder_and_per_buyer():
    late = _commitment({"key": "A/lot1", "buyer": "Ville A", "holder_name": "Bâtir", "holder_siret": "73282932000074",
                        "start": date(2026, 1, 1), "duration_months": 12, "hours_per_year": 1200,
                        "penalty_per_hour": 10})
    also_late = _commitment({"key": "B/lot2", "buyer": "Ville B", "holder_name": "Bâtir", "holder_siret": "73282932000074",
                             "start": date(2026, 1, 1), "duration_months": 12, "hours_total": 600})
    on_time = _commitment({"key": "A/lot2", "buyer": "Ville A", "holder_name": "Propreté Plus",
                           "start": date(2026, 1, 1), "duration_months": 12, "hours_per_year": 120})
    statements = (_statements("A/lot2", [{"from": "2026-01", "to": "2026-05", "hours": {"direct_hire": 10}}])
                  + _statements("A/lot1", [{"month": "2026-01", "hours": {"direct_hire": 100}}]))
    grouped = alerts_for([late, also_late, on_time], statements, date(2026, 6, 3))
    assert set(grouped["holder"]) == {"Bâtir (73282932000074)"}
    assert {a.commitment_key for a in grouped["holder"]["Bâtir (73282932000074)"]} == {"A/lot1", "B/lot2"}
    assert set(grouped["buyer"]) == {"Ville A", "Ville B"}
    assert [a.kind for a in grouped["buyer"]["Ville A"]] == [AlertKind.BEHIND, AlertKind.PENALTY_EXPOSURE]
    # 5 months due of 1 200 h/year = 500 h, 100 h done: 400 h × 10 €
    assert grouped["buyer"]["Ville A"][1].exposure_eur == Decimal("4000.00")
    assert all(a.buyer == "Ville B" for a in grouped["buyer"]["Ville B"])


def test_other_lots_statements_are_ignored():
    commitment = _commitment({"key": "A/lot1", "start": date(2026, 1, 1), "duration_months": 12, "hours_per_year": 120})
    other = _statements("A/lot10", [{"from": "2026-01", "to": "2026-03", "hours": {"direct_hire": 500}}])
    assert progress(commitment, other, date(2026, 4, 1)).done == 0
