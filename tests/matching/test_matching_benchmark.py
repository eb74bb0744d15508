"""Ratchet on matching real awarded contracts: procure must keep its lead over distance alone.

Runs bench/eval_matching.py (without its slow side experiment) on the DECP contracts of ../shared/data whose
holder is in the ASP SIAE list, and compares with bench/matching_ratchet.json. When matching improves, raise the
floors in that file.
"""
from __future__ import annotations

import os
from pathlib import Path

import benches
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
RATCHET = benches.ratchet("matching_ratchet")


evaluation = benches.load("eval_matching")


def test_ceiling_counts_structures_ahead_whatever_the_weights():
    """Three structures, two components (evidence, proximity): one dominates the holder, one ties, one trades off."""
    from procure.matching import ranker

    width = len(ranker.FEATURES)
    evidence, proximity = ranker.FEATURES.index("crosswalk"), ranker.FEATURES.index("proximity")
    penalty = ranker.FEATURES.index("kind_mismatch")
    matrix = np.zeros((4, width))
    matrix[0, [evidence, proximity]] = [1.0, 0.5]  # the holder
    matrix[1, [evidence, proximity]] = [1.0, 0.9]  # as much evidence, closer: always ahead
    matrix[2, [evidence, proximity]] = [1.0, 0.5]  # identical: a tie
    matrix[3, [evidence, proximity]] = [0.0, 1.0]  # closer but without evidence: some weights put it behind
    assert evaluation.monotone_ceiling([{"matrix": matrix, "holders": [0]}]) == [2.5]
    matrix[1, penalty] = 1.0  # a kind mismatch is a penalty: the closer structure is no longer ahead for sure
    assert evaluation.monotone_ceiling([{"matrix": matrix, "holders": [0]}]) == [1.5]


@pytest.fixture(scope="module")
def result():
    """One evaluation run for the module (about 15 s): the shared data as the shared_data fixture finds it."""
    shared = Path(os.environ.get("PROCURE_SHARED_DATA") or REPO.parent / "shared" / "data")
    if not (shared / "decp" / "decp_2018_2021_train.csv.gz").is_file():
        pytest.skip("données de référence ../shared/data absentes (PROCURE_SHARED_DATA)")
    return evaluation.evaluate(shared, side_experiment=False)


def test_procure_keeps_its_lead_over_distance_alone(result):
    methods = result["methods"]
    procure, raw, same = methods["procure_cv"], methods["distance_only_decp_place"], methods["distance_only"]
    assert result["pairs"] >= 61
    assert procure["top10"] >= RATCHET["procure_cv_top10"]
    assert procure["mrr"] >= RATCHET["procure_cv_mrr"]
    assert procure["top10"] - raw["top10"] >= RATCHET["lead_top10_over_distance_decp_place"]
    assert procure["top10"] - same["top10"] >= RATCHET["lead_top10_over_distance_same_place"]
    for baseline in (raw, same):
        assert procure["top50"] > baseline["top50"] and procure["mrr"] > baseline["mrr"]


def test_no_method_beats_the_ceiling(result):
    """The sign-constrained ceiling bounds procure's own model (which is sign-constrained): a check of both."""
    ceiling = result["methods"]["monotone_ceiling"]
    for name in ("procure_cv", "procure_shipped_model"):
        assert result["methods"][name]["top10"] <= ceiling["top10"] + 1e-9
        assert result["methods"][name]["mrr"] <= ceiling["mrr"] + 1e-9
