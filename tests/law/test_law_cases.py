"""The law cases of clauses/tests/*.yaml, one pytest test per case (a jurist adds a case without Python)."""
from pathlib import Path

import pytest

from procure.law.cases import check_case, load_cases, run_case

FOLDER = Path(__file__).resolve().parents[2] / "clauses" / "tests"
CASES, PROBLEMS = load_cases(FOLDER)


def test_case_files_are_valid():
    assert PROBLEMS == []
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_law_case(case):
    differences = run_case(case)
    assert not differences, f"{case.file} — {case.name} :\n" + "\n".join(differences)


def test_a_mistyped_case_is_reported_in_french():
    problems = check_case("tests/x.yaml", 0, {"name": "n", "date": "2026-02-30", "lots": [{"cpv": "1", "montant": 3}],
                                              "expected": {"obligation": "oui"}})
    assert "tests/x.yaml : cas 1 (n).date : date invalide « 2026-02-30 » (AAAA-MM-JJ)" in problems
    assert any(p.startswith("tests/x.yaml : cas 1 (n).lots[1].montant : clé inconnue") for p in problems)
    assert "tests/x.yaml : cas 1 (n).expected.obligation : true, false, selon_categorie ou indeterminee attendu" in problems


def test_a_wrong_expectation_fails(tmp_path):
    (tmp_path / "faux.yaml").write_text(
        '- name: "seuil faux"\n  date: 2026-09-01\n  buyer_category: central\n'
        '  lots: [{cpv: "90911200", amount: 150000}]\n  expected: {obligation: false, threshold: 216000}\n',
        encoding="utf-8")
    (case,), problems = load_cases(tmp_path)
    assert problems == []
    assert run_case(case) == ["obligation L2112-2-1 : attendu False, obtenu True", "seuil utilisé : attendu 216000, obtenu 140000"]


def test_an_unknown_provision_kind_is_reported():
    problems = check_case("tests/x.yaml", 0, {"name": "n", "date": "2026-09-01",
                                              "lots": [{"cpv": "1", "provisions": [{"kind": "clause", "per": "an"}]}],
                                              "expected": {}})
    assert any(".provisions.kind : « clause » inconnu" in p for p in problems)
    assert any(".provisions.per : « an » : year" in p for p in problems)
