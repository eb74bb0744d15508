"""Benchmark: import every inclusive structure of France (about 200 000) into the directory, streamed.

A synthetic Annuaire des entreprises file (the columns of the legal-units dump: `siren`, `siret_siege`,
`nom_complet`, `activite_principale`, `est_siae`, `type_siae`, `est_ess`, `liste_finess_juridique`, plus the
head office's commune) is written with valid SIRETs and real communes, then imported three times, each in a
fresh process so that its peak memory is its own:
1. the first import (every structure added);
2. the same file again (idempotent: every structure unchanged);
3. a second source over a quarter of them (a data·inclusion CSV with SIAE networks): merged by SIRET, sources side
   by side.
Usage: python bench/bench_directory_import.py [--count 200000] [--database sqlite|URL]
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KINDS = ["ACI", "EI", "AI", "ETTI", "EA", "ESAT", "GEIQ", ""]  # "" = ESS only


def luhn_digit(partial: str) -> str:
    from procure.directory.identifiers import luhn_ok

    return next(str(d) for d in range(10) if luhn_ok(partial + str(d)))


def siret(number: int) -> str:
    siren = f"{100000000 + number * 7:09d}"[:8]
    siren += luhn_digit(siren)
    nic = f"{number % 10000:04d}"
    return siren + nic + luhn_digit(siren + nic)


def write_files(folder: Path, count: int, seed: int = 3) -> tuple[Path, Path]:
    from procure.directory.identifiers import naf_labels
    from procure.reference.geo import communes_index

    rng = random.Random(seed)
    communes = [c for c in communes_index()["insee"].values() if c.latitude is not None]
    nafs = sorted(naf_labels())
    annuaire, inclusion = folder / "unites_legales_inclusives.csv", folder / "data_inclusion_structures.csv"
    with annuaire.open("w", newline="", encoding="utf-8") as a, inclusion.open("w", newline="", encoding="utf-8") as b:
        first, second = csv.writer(a), csv.writer(b)
        first.writerow(["siren", "siret_siege", "nom_complet", "activite_principale", "etat_administratif", "est_siae",
                        "type_siae", "est_ess", "liste_finess_juridique", "siege_commune", "siege_code_postal"])
        second.writerow(["id", "source", "nom", "siret", "commune", "code_insee", "code_postal", "reseaux_porteurs", "date_maj"])
        for number in range(count):
            commune, kind, identifier = rng.choice(communes), rng.choice(KINDS), siret(number)
            naf = rng.choice(nafs)
            first.writerow([identifier[:9], identifier, f"STRUCTURE {number}", f"{naf[:2]}.{naf[2:]}", "A",
                            "true" if kind else "false", kind, "true" if not kind or rng.random() < 0.3 else "false",
                            f"['{number:09d}']" if kind == "ESAT" else "", commune.insee, commune.postcodes[0] if getattr(commune, "postcodes", None) else ""])
            if number % 4 == 0:
                second.writerow([f"di-{number}", "emplois-de-l-inclusion", f"Structure {number}", identifier, commune.name,
                                 commune.insee, "", (kind or "aci").lower(), "2026-01-15"])
    return annuaire, inclusion


def one_import(database: str, path: str, fmt: str) -> dict:
    from procure.db import make_engine, migrate, session_factory
    from procure.directory.imports import import_file
    from procure.directory.repository import SupplierRepository

    engine = make_engine(database)
    migrate(engine)
    repository = SupplierRepository(session_factory(engine))
    start, cpu = time.perf_counter(), time.process_time()
    report = import_file(repository, Path(path), fmt)
    return {"seconds": round(time.perf_counter() - start, 1), "cpu_seconds": round(time.process_time() - cpu, 1),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "added": report.count("added"), "updated": report.count("updated"), "unchanged": report.count("unchanged"),
            "rejected": report.count("rejected"), "structures": repository.count()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_import(*args.child)))
        return
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        start = time.perf_counter()
        annuaire, inclusion = write_files(folder, args.count)
        print(f"synthetic files: {args.count} structures, {annuaire.stat().st_size / 1e6:.0f} MB + "
              f"{inclusion.stat().st_size / 1e6:.0f} MB written in {time.perf_counter() - start:.0f} s")
        database = f"sqlite:///{folder / 'bench.sqlite'}" if args.database == "sqlite" else args.database
        for label, path, fmt in [("first import (annuaire)", annuaire, "annuaire"), ("same file again", annuaire, "annuaire"),
                                 ("second source (data-inclusion, 1/4)", inclusion, "data-inclusion")]:
            result = subprocess.run([sys.executable, __file__, "--child", database, str(path), fmt], check=True,
                                    capture_output=True, text=True)
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            print(f"{label:38} {figures['seconds']:6.1f} s wall, {figures['cpu_seconds']:6.1f} s CPU, "
                  f"peak {figures['peak_mb']:5d} MB RSS; added {figures['added']}, updated {figures['updated']}, "
                  f"unchanged {figures['unchanged']}, rejected {figures['rejected']}; {figures['structures']} in the directory")


if __name__ == "__main__":
    main()
