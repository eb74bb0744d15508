"""Cold start of `procure analyze` on a real DCE, as a ratio to a bare pypdfium2 text dump (issue #10).

Both run in fresh Python processes on the same PDFs of real tenders of ../shared/data/dce-real (by default
dcev1_infogerance: RC, CCAP and CCTP, 61 pages, lots with CPV codes; and teina_coupvray: 5 CCTP, lots without
any CPV code, so the CPV model predicts a division for each lot, issue #19 item 6), five times each; the
median CPU times (user + system, steady when the machine is shared) and their ratio are printed with
the wall times, with the warm time of a second analysis in one process (the app's
case, with every piece, spreadsheets included). Target: ratio within 4, warm under 1 s.

Usage: PROCURE_SHARED_DATA=../shared/data python bench/bench_cold_start.py [--tender NAME] [--runs N]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

DUMP = """
import sys, pypdfium2 as pdfium
for name in sys.argv[1:]:
    document = pdfium.PdfDocument(name)
    for page in document:
        page.get_textpage().get_text_bounded()
"""
WARM = """
import sys, time
from procure.extract import analyze
analyze(sys.argv[1:])
start = time.perf_counter()
tender = analyze(sys.argv[1:])
print(time.perf_counter() - start, sum(1 for lot in tender.lots if not lot.cpv),
      sum(1 for lot in tender.lots if lot.predicted_cpv))
"""


# A fresh process, as an installed app starts: with the bytecode pip compiles at install (a shell that sets
# PYTHONDONTWRITEBYTECODE would make every run compile procure's modules again, which no user pays).
CHILD_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of a fresh process: CPU time barely moves when other work
    shares the machine, so the ratio is computed on it; wall times are printed too."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=CHILD_ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median_times(command: list[str], runs: int) -> tuple[float, float]:
    samples = [timed(command) for _ in range(runs)]
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tender", action="append", help="a folder of dce-real (repeatable)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for tender in args.tender or ["dcev1_infogerance", "teina_coupvray"]:
        print(json.dumps(measure(tender, args.runs)))


def measure(tender: str, runs: int) -> dict:
    folder = Path(os.environ.get("PROCURE_SHARED_DATA", "../shared/data")) / "dce-real" / tender
    pdfs = sorted(str(p) for p in folder.glob("*.pdf"))
    pieces = pdfs + sorted(str(p) for p in folder.glob("*.xlsx")) + sorted(str(p) for p in folder.glob("*.docx"))
    procure = [sys.executable, "-m", "procure.cli", "analyze", *pdfs]  # the same PDFs as the dump
    # The first run builds the communes cache and the bytecode, as an installed app has them.
    subprocess.run(procure, capture_output=True, env=CHILD_ENV)
    dump_wall, dump = median_times([sys.executable, "-c", DUMP, *pdfs], runs)
    cold_wall, cold = median_times(procure, runs)
    warm, without_cpv, predicted = subprocess.run([sys.executable, "-c", WARM, *pieces], check=True, capture_output=True,
                                                  text=True).stdout.split()
    return {"tender": tender, "pdf_pages": sum(_pages(p) for p in pdfs), "pieces": len(pieces),
            "lots_without_cpv": int(without_cpv), "lots_with_predicted_cpv": int(predicted),
            "pdfium_dump_cpu_s": round(dump, 2), "procure_cold_cpu_s": round(cold, 2), "ratio_cpu": round(cold / dump, 1),
            "pdfium_dump_wall_s": round(dump_wall, 2), "procure_cold_wall_s": round(cold_wall, 2),
            "procure_warm_s": round(float(warm), 2)}


def _pages(path: str) -> int:
    import pypdfium2 as pdfium

    return len(pdfium.PdfDocument(path))


if __name__ == "__main__":
    main()
