"""Benchmark: match 20 lots against 10,000 suppliers (target: under 200 ms for the 20 lots).

Suppliers are generated (deterministic seed) from the NAF codes of the crosswalk and real communes.
Usage: python bench/bench_matching.py
"""
from __future__ import annotations

import json
import random
import time
from decimal import Decimal

from procure.reference.geo import communes_index
from procure.matching.match import LotQuery, SupplierIndex, naf_cpv_crosswalk
from procure.directory.suppliers import KINDS, Supplier, naf_labels

LOTS = [("Peinture intérieure", "45442100"), ("Gros œuvre", "45262522"), ("Nettoyage des locaux", "90911200"),
        ("Espaces verts", "77310000"), ("Collecte des déchets", "90511000"), ("Restauration scolaire", "55523100"),
        ("Blanchisserie", "98310000"), ("Déménagement", "60100000"), ("Impression", "79810000"), ("Vêtements", "18110000")] * 2


def suppliers(count: int, seed: int = 7) -> list[Supplier]:
    rng = random.Random(seed)
    communes = [c for c in communes_index()["insee"].values() if c.latitude is not None]
    nafs = [code for code in naf_labels() if any(code.startswith(p) for p in naf_cpv_crosswalk())]
    kinds = sorted(KINDS)
    result = []
    for number in range(count):
        commune = rng.choice(communes)
        naf = rng.choice(nafs)
        result.append(Supplier(f"{number:014d}", f"Structure {number}", [rng.choice(kinds)], naf=naf,
                               activities=naf_labels()[naf], headcount=rng.randint(3, 200),
                               commune_insee=commune.insee, latitude=commune.latitude, longitude=commune.longitude))
    return result


def main() -> None:
    directory = suppliers(10_000)
    start = time.perf_counter()
    index = SupplierIndex(directory)
    build = time.perf_counter() - start
    centre = communes_index()["insee"]["94081"]
    queries = [LotQuery(title, cpv, latitude=centre.latitude, longitude=centre.longitude, amount_ht=Decimal("300000"),
                        lever="insertion_clause") for title, cpv in LOTS]
    index.match(queries[0])  # warm-up (first sparse product allocates)
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        for query in queries:
            index.match(query, top=20)
        timings.append(time.perf_counter() - start)
    print(json.dumps({"suppliers": len(directory), "lots": len(queries), "index_build_s": round(build, 2),
                      "match_20_lots_ms_median": round(sorted(timings)[2] * 1000, 1),
                      "match_20_lots_ms_max": round(max(timings) * 1000, 1)}))


if __name__ == "__main__":
    main()
