"""Evaluate matching on real awarded contracts: how often is the real holder in the top 10 / top 50?

From the DECP contracts (../shared/data/decp) keep those whose holder's SIRET is in the official SIAE list;
for each, rank the whole directory (every SIAE of the list) for that contract's object, CPV and place, with
no lever and no radius cut, and find the real holder's rank.
Usage: PROCURE_SHARED_DATA=../shared/data python bench/eval_matching.py
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from procure.reference.cpv import normalize_cpv
from procure.reference.geo import commune_by_insee, communes_by_postcode, communes_index
from procure.matching.match import LotQuery, SupplierIndex
from procure.directory.suppliers import ASP_SIAE, parse_rows, read_table


def place(code: str, kind: str) -> tuple[float | None, float | None]:
    code = str(code or "").strip()
    kind = str(kind or "").lower()
    if "postal" in kind and len(code) == 5:
        communes = [c for c in communes_by_postcode(code) if c.latitude is not None]
    elif "commune" in kind:
        commune = commune_by_insee(code.zfill(5))
        communes = [commune] if commune and commune.latitude is not None else []
    elif "département" in kind or "departement" in kind:
        department = code.zfill(2)
        communes = [c for c in communes_index()["insee"].values() if c.department == department and c.latitude is not None]
    else:
        communes = []
    if not communes:
        return None, None
    return float(np.mean([c.latitude for c in communes])), float(np.mean([c.longitude for c in communes]))


def evaluate(shared: Path) -> dict:
    rows, _ = read_table(shared / "siae" / "siae_asp_2019_07.csv")
    directory, _ = parse_rows(rows, ASP_SIAE, "ASP 2019-07", None)
    position = {s.siret: i for i, s in enumerate(directory)}
    contracts = pd.read_csv(shared / "decp" / "decp_2018_2021_train.csv.gz", dtype=str).fillna("")
    contracts["holder"] = contracts["titulaires_siret"].str.split("|")
    contracts = contracts.explode("holder")
    contracts = contracts[contracts["holder"].isin(position)].drop_duplicates(["id", "holder"])
    index = SupplierIndex(directory)
    ranks = []
    for _, contract in contracts.iterrows():
        code = normalize_cpv(contract["codeCPV"])
        lat, lon = place(contract["lieu_code"], contract["lieu_typeCode"])
        query = LotQuery(contract["objet"], code.code if code else None, latitude=lat, longitude=lon, radius_km=100,
                          exclude_beyond_radius=False)
        result = index.match(query, top=len(directory))
        ranking = [m.supplier.siret for m in result.ranked]
        ranks.append(ranking.index(contract["holder"]) + 1)
    ranks = np.array(ranks)
    return {"contracts": int(len(ranks)), "directory": len(directory), "top10": round(float((ranks <= 10).mean()), 3),
            "top50": round(float((ranks <= 50).mean()), 3), "median_rank": float(np.median(ranks)) if len(ranks) else None}


if __name__ == "__main__":
    shared = Path(os.environ.get("PROCURE_SHARED_DATA", "../shared/data"))
    if not (shared / "decp").is_dir():
        sys.exit("PROCURE_SHARED_DATA must point at the shared reference data")
    print(json.dumps(evaluate(shared)))
