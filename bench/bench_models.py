"""Benchmark: load time of the committed CPV model (file only, and with the scikit-learn imports)."""
from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import time
start = time.perf_counter()
import joblib, scipy.sparse, sklearn.feature_extraction.text, sklearn.pipeline
imports = time.perf_counter() - start
start = time.perf_counter()
from procure.market import classifier
bundle = classifier.load()
load = time.perf_counter() - start
start = time.perf_counter()
classifier.predict("Travaux de peinture intérieure", bundle)
predict = time.perf_counter() - start
print(imports, load, predict)
"""


def main() -> None:
    runs = [list(map(float, subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
                     .stdout.split())) for _ in range(3)]
    imports, load, predict = (sorted(values)[1] for values in zip(*runs))
    print(json.dumps({"sklearn_imports_s": round(imports, 2), "model_file_load_s": round(load, 2),
                      "one_prediction_ms": round(predict * 1000, 1)}))


if __name__ == "__main__":
    main()
