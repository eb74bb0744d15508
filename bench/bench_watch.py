"""Throughput of the territorial watch (issue 24): notices per second per core, memory over a long run.

Three measures, each in a fresh process on the real data of ../shared/data:
- eForms XML: the TED notices of dce-real copied with fresh identifiers (BT-701) up to --count notices, read,
  assessed and stored in a new SQLite database; CPU time per notice and the resident memory after every 500;
- a BOAMP export of 1 500 records built from the real records' structure (tests/support/boamp_export.py), one file;
- PDF notices: the BOAMP notices in PDF of dce-real, ten copies of each (see `pdf_copies`), compared with a bare
  pypdfium2 text dump of the same files.
Target: a national day (1 500 notices) under 5 minutes on 2 cores; PDF notices within 4x the dump; memory flat.

Usage: PROCURE_SHARED_DATA=../shared/data python bench/bench_watch.py [--count 5000]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PROCURE_SHARED_DATA") or ROOT.parent / "shared" / "data")

RUN = """
import json, resource, sys, time
from pathlib import Path
from procure.db import session_factory, get_engine
from procure.watch.run import run_watch
from procure.watch.store import WatchStore
store = WatchStore(session_factory(get_engine(sys.argv[1])))
paths = [Path(p) for p in sys.argv[2:]]
memory, seen = [], [0]
def progress(count, text):
    seen[0] += 1
    if seen[0] % 500 == 0:
        memory.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
start = time.process_time()
run = run_watch(paths, store, progress=progress)
print(json.dumps({"cpu": time.process_time() - start, "read": run.read, "failed": len(run.failures),
                  "memory_mb": memory, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
"""
DUMP = """
import sys, time, pypdfium2 as pdfium
start = time.process_time()
for name in sys.argv[1:]:
    for page in pdfium.PdfDocument(name):
        page.get_textpage().get_text_bounded()
print(time.process_time() - start)
"""


def eforms_copies(folder: Path, count: int) -> list[Path]:
    """`count` XML notices: the real TED notices of dce-real, each copy with its own notice identifier."""
    sources = sorted(SHARED.glob("dce-real/ted_*/*.xml"))
    texts = [path.read_text(encoding="utf-8") for path in sources]
    pattern = re.compile(r'(<cbc:ID schemeName="notice-id">)[^<]+(</cbc:ID>)')
    written = []
    for number in range(count):
        identifier = uuid.UUID(int=number + 1)
        text = pattern.sub(lambda m, new=identifier: f"{m.group(1)}{new}{m.group(2)}", texts[number % len(texts)], 1)
        path = folder / f"notice-{number:05d}.xml"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def pdf_copies(folder: Path, rounds: int) -> list[Path]:
    """The BOAMP PDF notices of dce-real, `rounds` times, each copy its own file: a PDF comment with a fresh
    identifier is appended after %%EOF (readers ignore it), so the watch's key (the file's SHA-256) differs and
    every copy is read, as on a day of notices where the readers' one-off start-up is shared by many."""
    folder.mkdir()
    written = []
    for number in range(rounds):
        for source in sorted(SHARED.glob("dce-real/boamp_*/*.pdf")):
            path = folder / f"{number:02d}-{source.name}"
            path.write_bytes(source.read_bytes() + f"\n% copy {uuid.UUID(int=number + 1)}\n".encode())
            written.append(path)
    return written


def boamp_export(folder: Path, count: int) -> Path:
    sys.path.insert(0, str(ROOT / "tests" / "support"))
    from boamp_export import PUTEAUX_ID, SOISY_ID, make_record, real_records, write_export

    real = real_records(SHARED)
    records = [make_record(real[SOISY_ID if n % 2 else PUTEAUX_ID], n, social=n % 3 == 0)[0] for n in range(count)]
    return write_export(folder / "boamp-export.json", records)


def run(paths: list[Path], database: Path) -> dict:
    """One fresh process; the file list goes through a folder argument when long."""
    output = subprocess.run([sys.executable, "-c", RUN, f"sqlite:///{database}", *map(str, paths)], check=True,
                            capture_output=True, text=True, env={**os.environ, "PROCURE_HOME": str(database.parent)})
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=5000, help="eForms XML notices for the long run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        xml_folder = tmp / "xml"
        xml_folder.mkdir()
        eforms_copies(xml_folder, args.count)
        result = run([xml_folder], tmp / "xml.sqlite")
        rate = result["read"] / result["cpu"]
        print(f"eForms XML : {result['read']} avis en {result['cpu']:.1f} s CPU = {rate:.1f} avis/s par cœur ; "
              f"1 500 avis en un seul processus : {1500 / rate:.0f} s ; mémoire tous les 500 avis (Mo) : "
              f"{result['memory_mb']} ; pic {result['peak_mb']} Mo ; échecs {result['failed']}")
        export = boamp_export(tmp, 1500)
        result = run([export], tmp / "boamp.sqlite")
        rate = result["read"] / result["cpu"]
        print(f"Export BOAMP JSON : {result['read']} avis en {result['cpu']:.1f} s CPU = {rate:.1f} avis/s par cœur ; "
              f"pic {result['peak_mb']} Mo ; échecs {result['failed']}")
        pdfs = pdf_copies(tmp / "pdf", rounds=10)
        dump = float(subprocess.run([sys.executable, "-c", DUMP, *map(str, pdfs)], check=True, capture_output=True,
                                    text=True).stdout)
        result = run(pdfs, tmp / "pdf.sqlite")
        print(f"Avis PDF : {result['read']} avis en {result['cpu']:.2f} s CPU (vidage pypdfium2 : {dump:.2f} s) = "
              f"{result['cpu'] / dump:.1f} x le vidage ; {result['read'] / result['cpu']:.1f} avis/s par cœur")


if __name__ == "__main__":
    main()
