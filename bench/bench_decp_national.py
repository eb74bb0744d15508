"""National-size DECP: streamed import (time, peak memory) and dashboard queries at 1.5 million rows, in one run.

A synthetic national file in the consolidated format of data.gouv.fr (decp.csv: one row per contract and holder,
`considerationsSociales` comma-joined, « Sans objet » for none) is built in /tmp from the real rows of
`decp/decp_2018_2021_train.csv.gz` (objects, CPV codes, procedures, natures, places, buyers) with new ids, buyers
spread over many names, dates over 2024-2026 and amounts varied; holder counts follow the real consolidated
sample of `decp-2024/`. The same rows are also written as Parquet (DuckDB) and, with --json, as 2022/2024 JSON.

Each import runs `procure decp import` in a fresh process and data folder (peak RSS of that process, from
getrusage); then, in this process, the dashboard's DECP figures are computed on DuckDB (first call, then cached)
and by the old path (public_contracts -> pandas -> group by, `practice.decp_facts` + `practice_table`).

    PROCURE_SHARED_DATA=../shared/data .venv/bin/python bench/bench_decp_national.py [--rows 1500000] [--json]
        [--postgres URL]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SOCIAL = [("Sans objet", 0.80), ("Clause sociale", 0.11), ("Critère social", 0.04),
          ("Clause sociale, Critère social", 0.03), ("Marché réservé", 0.02)]


def shared() -> Path:
    return Path(os.environ.get("PROCURE_SHARED_DATA") or ROOT.parent / "shared" / "data")


def synthetic(rows: int, folder: Path, seed: int = 2026) -> pd.DataFrame:
    real = pd.read_csv(shared() / "decp" / "decp_2018_2021_train.csv.gz", dtype=str, keep_default_na=False)
    real = real[real["objet"].str.len() > 3].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    sample = pd.read_csv(shared() / "decp-2024" / "decp_consolidated_tabular_2024H2_travaux_sample.csv", dtype=str)
    per_contract = sample.groupby("uid").size().to_numpy()
    holders = rng.choice(per_contract, size=rows)  # holders per contract, as in the real consolidated rows
    holders = holders[np.cumsum(holders) <= rows]
    contracts = len(holders)
    pick = rng.integers(0, len(real), size=contracts)
    base = real.iloc[pick].reset_index(drop=True)
    buyers = rng.integers(0, 60_000, size=contracts)  # the national file has tens of thousands of buyers
    names = base["acheteur_nom"].where(buyers % 4 != 0, base["acheteur_nom"] + " " + (buyers // 4).astype(str))
    amounts = pd.to_numeric(base["montant"], errors="coerce") * rng.lognormal(0, 0.4, size=contracts)
    days = rng.integers(0, 3 * 365, size=contracts)
    notified = (pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d")
    labels, weights = zip(*SOCIAL, strict=True)
    social = rng.choice(labels, size=contracts, p=weights)
    ids = pd.Series([f"{2024 + d // 365}N{i:07d}" for i, d in enumerate(days)])
    buyer_ids = (21000000000000 + buyers * 7).astype(str)
    frame = pd.DataFrame({
        "uid": buyer_ids + ids, "id": ids, "nature": base["nature"], "objet": base["objet"],
        "codeCPV": base["codeCPV"], "procedure": base["procedure"], "montant": amounts.round(2).astype(str).replace("nan", ""),
        "dureeMois": base["dureeMois"], "dateNotification": notified, "acheteur_id": buyer_ids, "acheteur_nom": names,
        "lieuExecution_code": base["lieu_code"], "lieuExecution_typeCode": base["lieu_typeCode"],
        "considerationsSociales": social, "donneesActuelles": "true", "type": "",
    })
    expanded = frame.loc[frame.index.repeat(holders)].reset_index(drop=True)
    rank = expanded.groupby("uid").cumcount().to_numpy()
    sirets = base["titulaires_siret"].str.split("|").str[0].replace("", "41071771400035")
    expanded["titulaire_id"] = sirets.loc[sirets.index.repeat(holders)].to_numpy()
    expanded.loc[rank > 0, "titulaire_id"] = (30000000000000 + rng.integers(0, 10**9, size=int((rank > 0).sum()))).astype(str)
    expanded["titulaire_typeIdentifiant"] = "SIRET"
    return expanded


def write_json(frame: pd.DataFrame, path: Path) -> None:
    """The 2022/2024 JSON format: {"marches": {"marche": [...]}}, one record per contract, holders nested."""
    holders = frame.groupby("uid", sort=False)["titulaire_id"].agg(list)
    contracts = frame.drop_duplicates("uid").set_index("uid")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write('{"marches": {"marche": [\n')
        for rank, row in enumerate(contracts.itertuples()):
            record = {"id": row.id, "nature": row.nature, "objet": row.objet, "codeCPV": row.codeCPV,
                      "procedure": row.procedure, "montant": float(row.montant) if row.montant else None,
                      "dureeMois": row.dureeMois or None, "dateNotification": row.dateNotification,
                      "acheteur": {"id": row.acheteur_id, "nom": row.acheteur_nom},
                      "lieuExecution": {"code": row.lieuExecution_code, "typeCode": row.lieuExecution_typeCode},
                      "titulaires": [{"titulaire": {"typeIdentifiant": "SIRET", "id": h}} for h in holders[row.Index]],
                      "considerationsSociales": {"considerationSociale": row.considerationsSociales.split(", ")}}
            handle.write(("" if rank == 0 else ",\n") + json.dumps(record, ensure_ascii=False))
        handle.write("\n]}}\n")


def run_import(path: Path, home: Path, database_url: str | None = None) -> dict:
    env = {**os.environ, "PROCURE_HOME": str(home)}
    if database_url:
        env["PROCURE_DATABASE_URL"] = database_url
    # Peak memory is the child's own high-water mark (VmHWM): ru_maxrss would keep the bench's own size across exec.
    script = ("import resource, sys, time; from procure.cli import main; t = time.perf_counter(); code = main(sys.argv[1:]); "
              "u = resource.getrusage(resource.RUSAGE_SELF); "
              "hwm = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')); "
              "print('BENCH', time.perf_counter() - t, u.ru_utime + u.ru_stime, hwm, code, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", script, "decp", "import", str(path)], env=env, capture_output=True,
                          text=True, cwd=ROOT, check=False)
    line = next(line for line in done.stderr.splitlines() if line.startswith("BENCH"))
    _, wall, cpu, rss_kb, code = line.split()
    return {"wall": float(wall), "cpu": float(cpu), "rss_mb": int(rss_kb) / 1024, "code": int(code),
            "summary": done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-300:]}


def dashboard(home: Path, database_url: str | None = None) -> dict:
    os.environ["PROCURE_HOME"] = str(home)
    if database_url:
        os.environ["PROCURE_DATABASE_URL"] = database_url
    else:
        os.environ.pop("PROCURE_DATABASE_URL", None)
    from procure.db import get_engine, session_factory
    from procure.market import analytics
    from procure.market.practice import decp_facts, practice_table
    from procure.service.dashboard import DecpFigures, clear_caches

    sessions = session_factory(get_engine())
    clear_caches()
    figures = DecpFigures(sessions)
    timings = {}
    start = time.perf_counter()
    result = figures.dashboard()
    buyers = figures.buyers(limit=5)
    rows = figures.buyer_rows(buyers)
    timings["duckdb_first"] = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(10):
        figures.dashboard()
        figures.buyer_rows(figures.buyers(limit=5))
    timings["cached"] = (time.perf_counter() - start) / 10
    start = time.perf_counter()
    from procure.market.analytics import share_table

    analytics.clear_cache()
    for by in analytics.GROUPINGS:
        share_table(figures.version(), by)
    timings["duckdb_four_queries"] = time.perf_counter() - start
    start = time.perf_counter()
    old = practice_table(pd.DataFrame(columns=["source", "organisation", "year", "amount_ht", "social", "reserved",
                                               "insertion_hours"]), decp_facts(sessions))
    timings["old_path"] = time.perf_counter() - start
    duck = {(row.label, row.year): row.with_social for row in figures.buyer_rows(figures.buyers(limit=50))}
    old_rows = old.set_index(["organisation", "year"])["with_social"].to_dict()
    checked = [key for key in duck if key in old_rows]
    timings["same_figures"] = all(duck[key] == old_rows[key] for key in checked) and bool(checked)
    timings["contracts"] = result.contracts
    timings["share"] = result.with_social / max(1, result.dated)
    timings["rows_shown"] = len(rows)
    timings["store_mb"] = analytics.disk_bytes(figures.version()) / 1048576
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_500_000)
    parser.add_argument("--json", action="store_true", help="also the 2022/2024 JSON format (slow to write)")
    parser.add_argument("--postgres", help="also import into this PostgreSQL database (emptied first)")
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--formats", default="csv,parquet", help="files to import: csv, parquet, json")
    parser.add_argument("--no-reimport", action="store_true", help="skip the second (idempotent) import")
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="bench-decp-national-", dir="/tmp"))
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    formats = args.formats.split(",") + (["json"] if args.json else [])
    csv_path = folder / "decp.csv"
    if not csv_path.exists():
        frame = synthetic(args.rows, folder)
        frame.to_csv(csv_path, index=False)
        if "json" in formats:
            write_json(frame, folder / "decp.json")
        del frame
    import duckdb

    if not (folder / "decp.parquet").exists():
        duckdb.sql(f"COPY (SELECT * FROM read_csv('{csv_path}', all_varchar=true)) TO '{folder / 'decp.parquet'}' "
                   "(FORMAT parquet)")
    rows, contracts = duckdb.sql(f"SELECT count(*), count(DISTINCT uid) FROM read_csv('{csv_path}', all_varchar=true)").fetchall()[0]
    print(f"synthetic file: {rows} rows, {contracts} contracts, {csv_path.stat().st_size / 1048576:.0f} MB CSV, "
          f"ready in {time.perf_counter() - start:.0f} s", flush=True)
    results = []
    for name in [f"decp.{kind}" for kind in formats]:
        home = folder / f"home-{name.replace('.', '-')}"
        first = run_import(folder / name, home)
        print(name, "import", first, flush=True)
        again = run_import(folder / name, home) if not args.no_reimport and name == "decp.csv" else None
        print(name, "re-import", again, flush=True)
        results.append((name, "SQLite", first, again))
        if name == "decp.csv":
            timings = dashboard(home)
            print("dashboard", timings, flush=True)
    if args.postgres:
        from sqlalchemy import create_engine, text

        engine = create_engine(args.postgres)
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS public_contracts CASCADE"))
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        engine.dispose()
        home = folder / "home-postgres"
        first = run_import(csv_path, home, args.postgres)
        again = run_import(csv_path, home, args.postgres)
        results.append(("decp.csv", "PostgreSQL", first, again))
        print("postgres", first, again, flush=True)
    print()
    print("| file | database | import wall (CPU) | peak RSS | re-import wall | result |")
    print("|---|---|---:|---:|---:|---|")
    for name, database, first, again in results:
        print(f"| {name} | {database} | {first['wall']:.0f} s ({first['cpu']:.0f} s) | {first['rss_mb']:.0f} MB | "
              + (f"{again['wall']:.0f} s ({again['cpu']:.0f} s) | " if again else "– | ") + f"{first['summary']} |")
    if "timings" in locals():
        print()
        print("| dashboard at national size | seconds |")
        print("|---|---:|")
        for key in ("duckdb_first", "cached", "duckdb_four_queries", "old_path"):
            print(f"| {key} | {timings[key]:.3f} |")
        print(f"\nsame figures as the old path: {timings['same_figures']}; {timings['contracts']} contracts, "
              f"share {timings['share']:.3f}; Parquet store {timings['store_mb']:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
