"""Benchmark: eForms notices read as data (TED XML of ../shared/data/dce-real and ../shared/data/eforms).

Reports, per notice and overall, the warm analysis time (median of 5 in one process, as in the app and the watch
of notices) and the cold one (a new process: imports, law and reference data loaded). Target: under 50 ms warm.
Usage: PROCURE_SHARED_DATA=../shared/data python bench/bench_eforms.py [--json PATH]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def notices(data: Path) -> list[Path]:
    return sorted(data.glob("dce-real/ted_*/*.xml")) + sorted(data.glob("eforms/**/*.xml"))


def warm_ms(path: Path, runs: int = 5) -> float:
    from procure.extract import analyze

    analyze([path])  # first read in this process: caches (CPV list, communes, law) filled
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        analyze([path])
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def cold_s(path: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"from procure.extract import analyze; analyze([{str(path)!r}])"],
                   check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    data = Path(os.environ.get("PROCURE_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
    paths = notices(data)
    results = {path.name: {"kb": round(path.stat().st_size / 1024), "warm_ms": round(warm_ms(path), 1)} for path in paths}
    results[paths[0].name]["cold_s"] = round(cold_s(paths[0]), 2)
    for name, row in results.items():
        print(f"{name:55} {row['kb']:5} Ko  {row['warm_ms']:7.1f} ms" + (f"   à froid {row['cold_s']} s" if "cold_s" in row else ""))
    warm = [row["warm_ms"] for row in results.values()]
    summary = {"notices": len(warm), "median_warm_ms": round(statistics.median(warm), 1), "max_warm_ms": max(warm),
               "notices_per_second_warm": round(1000 * len(warm) / sum(warm), 1)}
    print(json.dumps(summary, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps({"results": results, "summary": summary}, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
