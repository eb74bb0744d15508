"""Export a CPV classifier pickled by joblib (scikit-learn pipeline, the format before 2026-12-02) to the
NumPy arrays procure ships (models/cpv_classifier.npz), rewriting the model card with the same metrics.

Usage: python scripts/export_cpv_model.py OLD.joblib [--out models] [--description TEXT]
Needs scikit-learn and joblib (training dependencies); prediction then needs neither.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from procure.market import classifier


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("joblib_file", type=Path)
    parser.add_argument("--out", type=Path, default=classifier.MODELS_DIR)
    parser.add_argument("--description", default="")
    args = parser.parse_args()
    import joblib

    # Pickles of that time name the module procure.classifier and the level class LevelModel with a csr coef.
    sys.modules.setdefault("procure.classifier", classifier)
    classifier.LevelModel, old_level = classifier.SparseLevel, classifier.LevelModel
    try:
        fitted = joblib.load(args.joblib_file)
    finally:
        classifier.LevelModel = old_level
    bundle = classifier.to_arrays(fitted)
    metrics = json.loads((args.joblib_file.parent / "cpv_classifier.metrics.json").read_text(encoding="utf-8"))
    print(classifier.save(bundle, metrics, args.out, args.description))


if __name__ == "__main__":
    main()
