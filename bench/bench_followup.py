"""Speed of the clause follow-up (issue 25): the yearly consolidation and the statement import at scale.

- consolidation: 10 000 lots × 48 monthly statements (480 000 statements, four years), one calendar year,
  grouped by buyer, department, EPCI and all; target under 1 s each;
- ledger: progress and alerts of the 10 000 lots on one date (`alerts_for`);
- import: a 100 000-row statement file in the template's columns as CSV and as XLSX, read with `read_statements`
  (known lots and today's date checked) then merged into the 480 000 stored ones; target under 30 s.
Synthetic but shaped like the real thing: 200 buyers, 13 departments, 40 EPCI, 8 trades, per-year and total
commitments, sparse participants and contracts. Seeded: the same figures each run.

Usage: python bench/bench_followup.py [--lots 10000] [--months 48] [--rows 100000] [--xlsx-rows 50000]
"""
from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from procure.followup.consolidation import consolidate  # noqa: E402
from procure.followup.ledger import alerts_for  # noqa: E402
from procure.followup.model import Commitment, ContractType, PublicCategory, Route, Statement, add_months  # noqa: E402
from procure.followup.statements import TEMPLATE_COLUMNS, merge_statements, read_statements, write_template_xlsx  # noqa: E402

TRADES = ["travaux", "nettoyage", "espaces verts", "restauration", "collecte des déchets", "gardiennage",
          "informatique", "transport"]


def build(lots: int, months: int, seed: int = 7) -> tuple[list[Commitment], list[Statement]]:
    rng = random.Random(seed)
    start = date(2024, 1, 1)
    commitments, statements = [], []
    routes, categories, kinds = list(Route), list(PublicCategory), list(ContractType)
    for n in range(lots):
        per_year = n % 3 != 0
        c = Commitment(
            key=f"2024-{n // 4:05d}/lot{n % 4 + 1}", buyer=f"Acheteur {n % 200:03d}", lot_title=f"Lot {n}",
            holder_siret=None, holder_name=f"Titulaire {n % 900}", facilitator=f"Facilitateur {n % 30}",
            start=add_months(start, n % 6), duration_months=months, hours_per_year=1500.0 if per_year else None,
            hours_total=None if per_year else 4000.0, penalty_per_hour=Decimal(50 + n % 3 * 25),
            department=f"{91 + n % 13}", epci=f"2000{n % 40:05d}", trade=TRADES[n % len(TRADES)])
        commitments.append(c)
        for m in range(months):
            month = add_months(c.start.replace(day=1), m)
            hours = {routes[(n + m) % 5]: round(rng.uniform(0, 250), 1)}
            if m % 4 == 0:
                hours[Route.TRAINING] = 7.0
            participants = {categories[(n + m) % 7]: 1} if m % 3 == 0 else {}
            contracts = {kinds[(n + m) % 6]: 1} if m % 3 == 0 else {}
            statements.append(Statement(c.key, month, hours, participants, contracts, "bench"))
    return commitments, statements


def timed(label: str, function, *args, **kwargs):
    began = time.perf_counter()
    result = function(*args, **kwargs)
    elapsed = time.perf_counter() - began
    print(f"{label:<58} {elapsed:7.3f} s")
    return result, elapsed


def write_rows(statements: list[Statement], rows: int, path: Path) -> list[list]:
    columns = list(TEMPLATE_COLUMNS)
    table = []
    for s in statements[:rows]:
        values = {"key": s.commitment_key, "month": f"{s.month:%m/%Y}"}
        values.update({f"hours_{r.value}": f"{h:.1f}".replace(".", ",") for r, h in s.hours.items()})
        values.update({f"participants_{c.value}": str(v) for c, v in s.participants.items()})
        values.update({f"contracts_{k.value}": str(v) for k, v in s.contracts.items()})
        table.append([values.get(column, "") for column in columns])
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(TEMPLATE_COLUMNS.values())
        writer.writerows(table)
    return table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lots", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=48)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000,
                        help="XLSX rows (a sheet is read up to 20 Mo of XML, about 100 000 sparse template rows)")
    args = parser.parse_args()

    (commitments, statements), _ = timed(f"build {args.lots} lots × {args.months} statements", build, args.lots,
                                         args.months)
    consolidate(commitments[:10], statements[:100], 2025)  # law library loaded once, outside the measure
    worst = 0.0
    for group_by in ("all", "buyer", "department", "epci"):
        rows, elapsed = timed(f"consolidate 2025 by {group_by} ({len(statements)} statements)", consolidate,
                              commitments, statements, 2025, group_by)
        worst = max(worst, elapsed)
    total = sum(r.hours_done for r in rows)
    print(f"  2025: {sum(r.contracts for r in rows)} contracts, {total:,.0f} h, {total / rows[0].fte_hours:,.0f} FTE")
    alerts, _ = timed("alerts_for on 2025-11-15 (progress of every lot)", alerts_for, commitments, statements,
                      date(2025, 11, 15))
    print(f"  {sum(len(v) for v in alerts['buyer'].values())} alerts for {len(alerts['buyer'])} buyers")

    keys = {c.key for c in commitments}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "releve.csv")
        table = write_rows(statements, args.rows, path)
        result, csv_time = timed(f"read_statements CSV ({len(table)} rows, {path.stat().st_size // 1024} Ko)",
                                 read_statements, path, "releve.csv", known_keys=keys, today=date(2028, 12, 31))
        assert not result.problems, result.problems[:3]
        (_, report), merge_time = timed(f"merge {len(result.statements)} into {len(statements)}", merge_statements,
                                        statements, result.statements)
        print(f"  {report.summary_fr()}")
        xlsx_time = None
        if args.xlsx_rows:
            xlsx = Path(folder, "releve.xlsx")
            numeric = [[v if i < 2 or v == "" else float(v.replace(",", ".")) for i, v in enumerate(row)]
                       for row in table[:args.xlsx_rows]]
            write_template_xlsx(xlsx, numeric)
            result, xlsx_time = timed(f"read_statements XLSX ({len(numeric)} rows, {xlsx.stat().st_size // 1024} Ko)",
                                      read_statements, xlsx, "releve.xlsx", known_keys=keys, today=date(2028, 12, 31))
            assert not result.problems, result.problems[:3]
    print()
    print(f"consolidation of a year, worst grouping: {worst:.3f} s (target < 1 s)")
    print(f"import of {len(table)} rows: CSV {csv_time + merge_time:.1f} s with the merge (target < 30 s)"
          + (f"; XLSX of {args.xlsx_rows} rows {xlsx_time:.1f} s" if xlsx_time is not None else ""))


if __name__ == "__main__":
    main()
