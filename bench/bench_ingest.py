"""Benchmark: analyse a generated 100-page DCE (PDF RC + PDF CCAP + DOCX CCTP).

Reports pages per second and peak memory, cold (new process, models loaded) and warm
(second analysis in the same process, as in the app). Usage: python bench/bench_ingest.py
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))

import dce  # noqa: E402

FILLER = ("Le titulaire exécute les prestations conformément aux stipulations du présent cahier, aux normes en vigueur "
          "et aux règles de l'art. Il informe le maître d'ouvrage de toute difficulté rencontrée. ") * 4


def build(folder: Path) -> list[Path]:
    ccap = list(dce.WORKS_CCAP)
    for article in range(10, 470):
        ccap += [(dce.H, f"Article {article} – Stipulations diverses"), (dce.P, FILLER)]
    rc = list(dce.WORKS_RC) + [(dce.P, FILLER)] * 40
    cctp = [(dce.H, "CAHIER DES CLAUSES TECHNIQUES PARTICULIÈRES")] + [(dce.P, FILLER)] * 150
    return [dce.write_pdf(folder / "RC.pdf", rc), dce.write_pdf(folder / "CCAP.pdf", ccap),
            dce.write_docx(folder / "CCTP.docx", cctp)]


def measure(files: list[str]) -> dict:
    from procure.extract import analyze

    start = time.perf_counter()
    tender = analyze(files)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    analyze(files)
    warm = time.perf_counter() - start
    pages = sum(doc.pages or 0 for doc in tender.documents)
    return {"pdf_pages": pages, "lots": len(tender.lots), "cold_s": round(cold, 2), "warm_s": round(warm, 2),
            "pages_per_s_warm": round(pages / warm, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2:])))
        return
    with tempfile.TemporaryDirectory() as tmp:
        files = [str(p) for p in build(Path(tmp))]
        result = subprocess.run([sys.executable, __file__, "--measure", *files], capture_output=True, text=True, check=True)
    print(result.stdout.strip())


if __name__ == "__main__":
    main()
