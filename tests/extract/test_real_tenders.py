"""Ratchet on the real tenders of ../shared/data/dce-real: extraction must not read them worse than before.

Runs bench/eval_real_tenders.py in-process (scoring rules in its docstring) and compares the figures with
bench/real_tenders_ratchet.json. When extraction improves, raise the floors in that file.
"""
from __future__ import annotations

import os
from pathlib import Path

import benches
import pytest

REPO = Path(__file__).resolve().parents[2]
RATCHET = benches.ratchet("real_tenders_ratchet")
EPSILON = 1e-9


evaluation = benches.load("eval_real_tenders")


def real_tenders_dir() -> Path:
    shared = os.environ.get("PROCURE_SHARED_DATA") or str(REPO.parent / "shared" / "data")
    return Path(shared).resolve() / "dce-real"


def test_scoring_rules_on_hand_made_cases():
    """The scorer itself: provisions as (kind, lot) sets, tender-wide covering every lot, places by duck typing."""
    expected = {"tender": "t", "lots": [{"number": 1}, {"number": 2}],
                "provisions": [{"kind": "insertion_clause", "lot": None, "hours": 100, "hours_per": "total"}],
                "absent": ["reserved_siae"]}

    class Provision:
        def __init__(self, kind, lot=None, hours=None):
            self.kind, self.lot, self.hours, self.weight_percent = kind, lot, hours, None

    class Lot:
        def __init__(self, number, provisions):
            self.number, self.provisions = number, provisions

    class Tender:
        def __init__(self, provisions, lots):
            self.provisions, self.lots = provisions, lots

    per_lot = Tender([], [Lot(1, [Provision("insertion_clause", 1, 100)]), Lot(2, [Provision("insertion_clause", 2)]),
                          ])
    score = evaluation.score_provisions(expected, per_lot)
    assert (score["tp"], score["fp"], score["fn"]) == (1, 0, 0)
    assert score["hours"] == {"scored": 1, "exact": 1, "details": score["hours"]["details"]}
    one_lot_only = Tender([Provision("reserved_siae")], [Lot(1, [Provision("insertion_clause", 1)]), Lot(2, [])])
    score = evaluation.score_provisions(expected, one_lot_only)
    assert (score["tp"], score["fp"], score["fn"]) == (0, 1, 1)
    assert score["absent_reported"] == [("reserved_siae", None)]
    assert evaluation.score_provisions(expected, None)["fn"] == 1

    paris = {"scope": "commune", "insee": ["75056"], "department": "75"}
    assert evaluation.place_correct(paris, {"insee": "75105", "department": ""})  # an arrondissement is the city
    assert not evaluation.place_correct(paris, {"insee": "69123"})
    assert evaluation.place_correct({"scope": "department", "department": "04"}, "Digne-les-Bains (04)")
    assert evaluation.place_correct(None, None) and not evaluation.place_correct(None, "Paris")
    assert evaluation.procedure_code({"code": "DC"}) == "DIALOGUE"
    assert evaluation.procedure_code("MAPA-SSS") == "MAPA"


def test_real_tenders_do_not_regress(monkeypatch):
    root = real_tenders_dir()
    if not root.is_dir():
        pytest.skip(f"appels d'offres réels absents ({root}) : définir PROCURE_SHARED_DATA")
    monkeypatch.setenv("PROCURE_SHARED_DATA", str(root.parent))  # CPV nomenclature, as the app finds it
    report = evaluation.evaluate(root)
    summary = report["summary"]
    print(evaluation.text_summary(report))
    failures = []
    for key in ("field_accuracy", "provision_f1", "hours_exactness"):
        floor, value = RATCHET.get(key), summary[key]
        if floor is not None and (value is None or value < floor - EPSILON):
            failures.append(f"{key} {value} < {floor}")
    for key in ("absent_reported", "hours_invented"):
        ceiling, value = RATCHET.get(key), summary[key]
        if ceiling is not None and value > ceiling:
            failures.append(f"{key} {value} > {ceiling}")
    if summary["errors"]:
        failures.append(f"analysis failed on {', '.join(summary['errors'])}: "
                        + next(r["error"] for r in report["tenders"] if r["error"]))
    assert not failures, "; ".join(failures)
