"""Benchmark: cold import + load + first prediction of the committed CPV model, each in a fresh process.

The shipped model is NumPy arrays (models/cpv_classifier.npz) scored without scikit-learn; for comparison,
`--joblib OLD.joblib` also times the former format (scikit-learn pipeline pickled by joblib, see
scripts/export_cpv_model.py), whose imports alone cost more than a second.

Usage: python bench/bench_models.py [--joblib /path/to/cpv_classifier.joblib] [--runs 5]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

PROBE = """
import time
start = time.perf_counter()
from procure.market import classifier
imports = time.perf_counter() - start
start = time.perf_counter()
bundle = classifier.load()
load = time.perf_counter() - start
start = time.perf_counter()
classifier.predict("Travaux de peinture intérieure", bundle)
predict = time.perf_counter() - start
print(imports, load, predict)
"""
OLD_PROBE = """
import sys, time
start = time.perf_counter()
import joblib, scipy.sparse, sklearn.feature_extraction.text, sklearn.pipeline, sklearn.svm
from procure.market import classifier
imports = time.perf_counter() - start
start = time.perf_counter()
sys.modules.setdefault("procure.classifier", classifier)
classifier.LevelModel = classifier.SparseLevel  # the class name the old pickles use
bundle = joblib.load(sys.argv[1])
load = time.perf_counter() - start
start = time.perf_counter()
features = bundle["vectorizer"].transform(["travaux de peinture interieure"])
bundle["division"].scores(features), bundle["group"].scores(features)
predict = time.perf_counter() - start
print(imports, load, predict)
"""


def _medians(command: list[str], runs: int) -> dict:
    samples = [list(map(float, subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()))
               for _ in range(runs)]
    imports, load, predict = (statistics.median(values) for values in zip(*samples))
    return {"imports_s": round(imports, 3), "model_file_load_s": round(load, 3), "one_prediction_ms": round(predict * 1000, 1),
            "total_s": round(imports + load + predict, 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--joblib", help="a model in the former joblib format, to compare")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    result = {"npz": _medians([sys.executable, "-c", PROBE], args.runs)}
    if args.joblib:
        result["joblib"] = _medians([sys.executable, "-c", OLD_PROBE, args.joblib], args.runs)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
