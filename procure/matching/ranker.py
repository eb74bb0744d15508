"""Learned combination of the matching components: a constrained logistic regression over a dozen features.

Fitted by `bench/eval_matching.py --fit` on real awarded contracts (DECP) whose holder is in the SIAE list,
with every other structure of the directory as a negative. Shipped as a small JSON file in models/ (weights
readable by anyone, nothing pickled) with its card, models/MATCHING_CARD.md.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from procure.settings import package_or_checkout_dir

FEATURES = ["crosswalk", "activity_text", "kind_fit", "kind_mismatch", "past_count", "past_cpv", "past_text",
            "past_buyer", "in_area", "proximity", "eligibility", "capacity", "breadth"]
MODEL_FILE = "matching_ranker.json"
# Used only when the shipped model is missing (a broken install): the pre-learning hand weights, spread out.
FALLBACK = {"crosswalk": 1.5, "activity_text": 1.0, "kind_fit": 1.0, "kind_mismatch": -0.5, "past_count": 0.5, "past_cpv": 1.5,
            "past_text": 1.5, "past_buyer": 0.5, "in_area": 1.5, "proximity": 1.5, "eligibility": 0.8,
            "capacity": 0.4, "breadth": 0.3}


@dataclass
class Ranker:
    weights: dict[str, float]  # per feature, on the raw feature scale
    intercept: float = 0.0
    info: dict | None = None

    def logit(self, features: dict[str, np.ndarray]) -> np.ndarray:
        size = len(next(iter(features.values())))
        total = np.full(size, self.intercept, dtype=float)
        for name, weight in self.weights.items():
            if name in features:
                total += weight * features[name]
        return total

    def contributions(self, features: dict[str, np.ndarray], index: int) -> dict[str, float]:
        return {name: float(weight * features[name][index]) for name, weight in self.weights.items() if name in features}

    def to_json(self) -> str:
        return json.dumps({"features": FEATURES, "weights": self.weights, "intercept": self.intercept,
                           "info": self.info or {}}, ensure_ascii=False, indent=1)


# Signs every weight must keep (evidence can only help, a kind mismatch only hurt), and floors where the SIAE
# development pairs cannot speak. Past awards: 2 of the 61 holders had an earlier dated award, so their floors
# come from the evidence-only fit on all 1,380 DECP (contract, holder) pairs with an earlier award
# (bench/eval_matching.py, evidence_experiment, 2026-12-01: count 1.11, CPV 2.71, object 1.48, buyer 1.98).
# No lever, headcount or declared activity exists in the ASP list: those floors are stated priors.
# See models/MATCHING_CARD.md.
BOUNDS = {"kind_mismatch": (None, 0.0), "past_count": (1.1, None), "past_cpv": (2.7, None), "past_text": (1.5, None),
          "past_buyer": (2.0, None), "activity_text": (1.5, None), "eligibility": (1.0, None), "capacity": (0.5, None)}
PENALTY = 0.05  # L2 on the weights, against the log-loss per real holder


def fit(matrix: np.ndarray, labels: np.ndarray, penalty: float = PENALTY, names: list[str] | None = None,
        bounds: dict | None = None) -> Ranker:
    """Logistic regression with sign constraints (scipy L-BFGS-B): few positives, so the shape is imposed."""
    from scipy.optimize import minimize

    y = labels.astype(float)
    per_positive = len(y) / max(y.sum(), 1.0)  # the loss per real holder, so that the penalty keeps its meaning

    def loss(params):
        weights, intercept = params[:-1], params[-1]
        z = matrix @ weights + intercept
        probability = 1 / (1 + np.exp(-z))
        value = per_positive * np.mean(np.logaddexp(0, z) - y * z) + penalty * np.sum(weights ** 2)
        gradient = np.append(per_positive * matrix.T @ (probability - y) / len(y) + 2 * penalty * weights,
                             per_positive * np.mean(probability - y))
        return value, gradient

    names = names or FEATURES
    limits = BOUNDS if bounds is None else bounds
    box = [limits.get(name, (0.0, None)) for name in names] + [(None, None)]
    start = np.array([max(low or 0.0, 0.0) if high is None or high > 0 else 0.0 for low, high in box[:-1]] + [0.0])
    result = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=box)
    weights = result.x[:-1]
    return Ranker({name: round(float(w), 5) for name, w in zip(names, weights)}, round(float(result.x[-1]), 5))


def save(ranker: Ranker, folder: Path | None = None) -> Path:
    path = (folder or package_or_checkout_dir("models")) / MODEL_FILE
    path.write_text(ranker.to_json() + "\n", encoding="utf-8")
    return path


@functools.lru_cache(maxsize=1)
def load(path: str | None = None) -> Ranker:
    file = Path(path) if path else package_or_checkout_dir("models") / MODEL_FILE
    if not file.is_file():
        return Ranker(dict(FALLBACK), 0.0, {"fallback": True})
    data = json.loads(file.read_text(encoding="utf-8"))
    return Ranker({k: float(v) for k, v in data["weights"].items()}, float(data["intercept"]), data.get("info"))
