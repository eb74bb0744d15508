"""Evaluate matching on real awarded contracts: is the real holder near the top of the whole directory?

From DECP contracts (default: ../shared/data/decp/decp_2018_2021_train.csv.gz) keep those whose holder's SIRET is
in the official SIAE list; for each, rank the whole directory for that contract's object, CPV, buyer and place
(no lever, no radius cut) and find the real holder's rank. procure and three baselines are scored in one run:
random order, distance alone, NAF→CPV crosswalk alone. procure is scored twice: the learned order alone, and the
order the product shows (credible structures first, forte before plausible, each label in the learned order). Ties count at their expected rank (random tie-break).

Leakage-free protocol:
- past awards (evidence "already won contracts like this one") only count when notified strictly before the
  contract, and never the contract itself; an undated contract gets no past-award evidence at all;
- on the development file the learned ranker is scored out of fold: grouped cross-validation where a contract
  and a holder never sit on both sides (groups = connected contracts and holders);
- on another file (--contracts, e.g. contracts kept out of development) the shipped model is scored as is,
  with past awards taken from both files.

Usage:
  PROCURE_SHARED_DATA=../shared/data python bench/eval_matching.py            # table + JSON
  PROCURE_SHARED_DATA=../shared/data python bench/eval_matching.py --fit      # also refit models/matching_ranker.json
  python bench/eval_matching.py --contracts other_decp.csv                       # held-out contracts, same schema
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from procure.directory.suppliers import ASP_SIAE, parse_rows, read_table
from procure.market.decp import read_any
from procure.matching import place as places
from procure.matching import ranker as ranking
from procure.matching.evidence import PastAwards
from procure.matching.match import LotQuery, SupplierIndex

TOPS = (1, 10, 50)
RANDOM_DRAWS = 20


def load_pairs(contracts: pd.DataFrame, sirets: set[str]) -> pd.DataFrame:
    """One row per (contract, holder in the directory)."""
    frame = contracts.copy()
    frame["holder"] = frame["titulaires"].fillna("").astype(str).str.split("|")
    frame = frame.explode("holder")
    frame["holder"] = frame["holder"].str.strip()
    return frame[frame["holder"].isin(sirets)].drop_duplicates(["id", "objet", "holder"]).reset_index(drop=True)


def query_for(contract) -> LotQuery:
    day = contract["date"]
    on = day.date() if isinstance(day, pd.Timestamp) and not pd.isna(day) else date.min  # undated: no evidence
    place = places.refine_with_buyer(places.from_decp(contract["lieu_code"], contract["lieu_type"], contract["acheteur_nom"]), contract["acheteur_nom"])
    return LotQuery(contract["objet"], contract["cpv"] if isinstance(contract["cpv"], str) else None, place=place,
                    buyer=contract["acheteur_nom"] or None, awards_before=on, exclude_contract=str(contract["id"]),
                    exclude_beyond_radius=False, radius_km=100)


def expected_rank(scores: np.ndarray, target: int) -> float:
    """Rank of `target` when higher scores come first and ties are broken at random (expected value)."""
    value = scores[target]
    better = np.sum(scores > value)
    ties = np.sum(scores == value) - 1
    return float(better + 1 + ties / 2)


def metrics(ranks: list[float]) -> dict:
    ranks = np.asarray(ranks, dtype=float)
    result = {f"top{k}": round(float((ranks <= k).mean()), 3) for k in TOPS}
    result["mrr"] = round(float((1 / ranks).mean()), 3)
    result["median_rank"] = float(np.median(ranks))
    return result


def groups_of(pairs: pd.DataFrame) -> np.ndarray:
    """Connected components of the contract–holder graph: a contract and a holder never straddle two folds."""
    parent: dict[str, str] = {}

    def find(key):
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for contract, holder in zip(pairs["id"].astype(str), pairs["holder"]):
        parent[find("c" + contract)] = find("h" + holder)
    roots = [find("c" + c) for c in pairs["id"].astype(str)]
    return pd.factorize(pd.Series(roots))[0]


def build(shared: Path, contracts_path: Path | None):
    rows, _ = read_table(shared / "siae" / "siae_asp_2019_07.csv")
    directory, _ = parse_rows(rows, ASP_SIAE, "ASP 2019-07", None)
    train = read_any(shared / "decp" / "decp_2018_2021_train.csv.gz")
    evaluated = read_any(contracts_path) if contracts_path else train
    evidence = train if contracts_path is None else pd.concat([train, evaluated], ignore_index=True)
    sirets = [s.siret for s in directory]
    index = SupplierIndex(directory, PastAwards(evidence, sirets))
    pairs = load_pairs(evaluated, set(sirets))
    return directory, index, pairs, evidence


def feature_rows(index: SupplierIndex, pairs: pd.DataFrame):
    """Per evaluated contract: its feature matrix over the whole directory and the positions of its holders."""
    position = {s.siret: i for i, s in enumerate(index.suppliers)}
    queries = []
    for _, group in pairs.groupby(["id", "objet"], sort=False):
        contract = group.iloc[0]
        query = query_for(contract)
        if query.place is None:
            query.place = places.national("lieu inconnu")  # evaluation only: the product would ask for the place
        features, extra = index.features(query)
        raw = places.from_decp(contract["lieu_code"], contract["lieu_type"])  # as the DECP says, without the buyer
        raw_distance = index.distances(raw.latitude, raw.longitude) if raw else np.full(len(index.suppliers), np.nan)
        matrix = np.column_stack([features[name] for name in ranking.FEATURES])
        labels = index.confidence(features, national=query.place.scope == places.NATIONAL)
        tier = np.where(labels == "forte", 2.0, np.where(labels == "plausible", 1.0, 0.0))
        reach = LotQuery(query.title, query.cpv, place=query.place)  # the product's distance rule (50 km, the area)
        within = ~index._too_far(reach, extra["distance"], features["in_area"] > 0)
        queries.append({"matrix": matrix, "holders": [position[h] for h in group["holder"]], "distance": extra["distance"], "raw_distance": raw_distance,
                        "crosswalk": features["crosswalk"], "tier": tier, "within": within.astype(float), "rows": group.index.to_numpy()})
    return queries


def rank_with(scores_for, queries) -> list[float]:
    ranks = []
    for number, query in enumerate(queries):
        scores = scores_for(number, query)
        ranks += [expected_rank(scores, holder) for holder in query["holders"]]
    return ranks


def shown_ranks(queries, weights: np.ndarray, judged: int | None) -> list[float]:
    """Where the buyer sees the real holder in the list of credible structures the app stores (inf: not shown).
    `judged` 10: the former rule, credible structures among the first 10 of the learned order within reach;
    None: every structure within reach is judged, credible ones ranked forte first (the current rule)."""
    ranks = []
    for query in queries:
        logit = query["matrix"] @ weights
        credible = (query["tier"] > 0) & (query["within"] > 0)
        for holder in query["holders"]:
            if not credible[holder]:
                ranks.append(float("inf"))
                continue
            if judged is None:
                key = query["tier"] * 1e3 + logit
                ranks.append(expected_rank(np.where(credible, key, -np.inf), holder))
                continue
            learned = expected_rank(np.where(query["within"] > 0, logit, -np.inf), holder)
            ranks.append(expected_rank(np.where(credible, logit, -np.inf), holder) if learned <= judged else float("inf"))
    return ranks


def fit_on(queries, chosen) -> ranking.Ranker:
    matrix = np.vstack([queries[i]["matrix"] for i in chosen])
    labels = np.concatenate([np.isin(np.arange(len(queries[i]["matrix"])), queries[i]["holders"]) for i in chosen])
    return ranking.fit(matrix, labels.astype(int))


def cross_validated(queries, pair_groups: np.ndarray, folds: int = 5) -> list[float]:
    from sklearn.model_selection import GroupKFold

    query_groups = np.array([pair_groups[q["rows"][0]] for q in queries])
    scores = [None] * len(queries)
    for train, test in GroupKFold(n_splits=min(folds, len(set(query_groups)))).split(queries, groups=query_groups):
        model = fit_on(queries, train)
        for i in test:
            scores[i] = queries[i]["matrix"] @ np.array([model.weights[f] for f in ranking.FEATURES])
    return rank_with(lambda number, query: scores[number], queries)


def monotone_ceiling(queries) -> list[float]:
    """Best expected rank any sign-constrained combination of the components could give each real holder.

    A structure at least as good as the holder on every component (at least as much evidence, at least as
    close, no worse a kind mismatch) and strictly better on one is ahead of it whatever the weights, as long as
    evidence can only help; identical ones tie. Weights are chosen per holder here, so this is an upper bound of
    what any single model of this shape can reach on these pairs: the data's limit, not a method."""
    upper = [ranking.BOUNDS.get(name, (0.0, None))[1] for name in ranking.FEATURES]
    signs = np.array([-1.0 if high is not None and high <= 0 else 1.0 for high in upper])  # a penalty: less is better
    ranks = []
    for query in queries:
        matrix = query["matrix"] * signs
        for holder in query["holders"]:
            at_least = np.all(matrix >= matrix[holder], axis=1)
            ahead = at_least & np.any(matrix > matrix[holder], axis=1)
            ties = int((at_least & ~ahead).sum()) - 1
            ranks.append(float(ahead.sum() + 1 + ties / 2))
    return ranks


EVIDENCE = ["past_count", "past_cpv", "past_text", "past_buyer"]


def evidence_experiment(contracts: pd.DataFrame) -> dict:
    """How well do past awards alone find the holder, among every DECP holder that already won a contract?

    All holders of the file (not only SIAE), each contract ranked against the holders with an award strictly
    before it; grouped cross-validation as for procure. Also fits the evidence weights on all these pairs: the
    SIAE pairs hold too few earlier awards to estimate them (see ranker.BOUNDS)."""
    from sklearn.model_selection import GroupKFold

    holders = sorted({h for cell in contracts["titulaires"].fillna("") for h in str(cell).split("|") if len(h) == 14})
    pairs = load_pairs(contracts, set(holders))
    position = {h: i for i, h in enumerate(holders)}
    awards = PastAwards(contracts, holders)
    queries = []
    for _, group in pairs.dropna(subset=["date"]).groupby(["id", "objet"], sort=False):
        contract = group.iloc[0]
        cpv = contract["cpv"] if isinstance(contract["cpv"], str) else None
        found = awards.features(contract["objet"], cpv, contract["acheteur_nom"], contract["date"].date(), str(contract["id"]))
        candidates = np.flatnonzero(found["past_count"] > 0)
        targets = [position[h] for h in group["holder"] if found["past_count"][position[h]] > 0]
        if targets:
            queries.append({"matrix": np.column_stack([found[name][candidates] for name in EVIDENCE]),
                            "holders": [int(np.searchsorted(candidates, t)) for t in targets], "rows": group.index.to_numpy()})
    groups = groups_of(pairs)
    query_groups = np.array([groups[q["rows"][0]] for q in queries])
    scores = [None] * len(queries)
    for train, test in GroupKFold(n_splits=5).split(queries, groups=query_groups):
        model = _fit_evidence([queries[i] for i in train])
        for i in test:
            scores[i] = queries[i]["matrix"] @ np.array([model.weights[name] for name in EVIDENCE])
    return {"pairs": sum(len(q["holders"]) for q in queries), "contracts": len(queries),
            "median_candidates": float(np.median([len(q["matrix"]) for q in queries])),
            "cross_validated": metrics(rank_with(lambda n, q: scores[n], queries)),
            "count_only": metrics(rank_with(lambda n, q: q["matrix"][:, 0], queries)),
            "weights": _fit_evidence(queries).weights}


def _fit_evidence(queries) -> ranking.Ranker:
    matrix = np.vstack([q["matrix"] for q in queries])
    labels = np.concatenate([np.isin(np.arange(len(q["matrix"])), q["holders"]) for q in queries])
    return ranking.fit(matrix, labels.astype(int), names=EVIDENCE, bounds={})


def evaluate(shared: Path, contracts_path: Path | None = None, refit: bool = False, side_experiment: bool = True) -> dict:
    directory, index, pairs, evidence_frame = build(shared, contracts_path)
    queries = feature_rows(index, pairs)
    rng = np.random.default_rng(42)
    weights = lambda model: np.array([model.weights.get(f, 0.0) for f in ranking.FEATURES])  # noqa: E731
    table = {
        "random": metrics(np.mean([rank_with(lambda n, q: rng.random(len(q["matrix"])), queries)
                                   for _ in range(RANDOM_DRAWS)], axis=0)),
        "distance_only_decp_place": metrics(rank_with(lambda n, q: -np.nan_to_num(q["raw_distance"], nan=1e9), queries)),
        "distance_only": metrics(rank_with(lambda n, q: -np.nan_to_num(q["distance"], nan=1e9), queries)),
        "naf_cpv_only": metrics(rank_with(lambda n, q: q["crosswalk"], queries)),
    }
    without_awards = [i for i, f in enumerate(ranking.FEATURES) if not f.startswith("past_")]
    if contracts_path is None:
        pair_groups = groups_of(pairs)
        table["procure_cv"] = metrics(cross_validated(queries, pair_groups))
        masked = [{**q, "matrix": q["matrix"] * np.isin(np.arange(len(ranking.FEATURES)), without_awards)} for q in queries]
        table["procure_cv_without_past_awards"] = metrics(cross_validated(masked, pair_groups))
    table["monotone_ceiling"] = metrics(monotone_ceiling(queries))
    model_file = refit_model(queries, pairs, table) if refit else None
    shipped = ranking.load()
    table["procure_shipped_model"] = metrics(rank_with(lambda n, q: q["matrix"] @ weights(shipped), queries))
    # The order the product shows: the structures within reach (50 km, or the lot's area), credible ones first (forte,
    # then plausible), each label in the model's order; the learned order on the same structures for comparison.
    table["procure_shipped_within_reach"] = metrics(rank_with(
        lambda n, q: q["within"] * 1e6 + q["matrix"] @ weights(shipped), queries))
    table["procure_displayed_order"] = metrics(rank_with(
        lambda n, q: q["within"] * 1e6 + q["tier"] * 1e3 + q["matrix"] @ weights(shipped), queries))
    table["shown_before"] = metrics(shown_ranks(queries, weights(shipped), judged=10))
    table["shown_after"] = metrics(shown_ranks(queries, weights(shipped), judged=None))
    result = {"date": date.today().isoformat(), "contracts_file": str(contracts_path or "decp_2018_2021_train.csv.gz"),
              "pairs": len(pairs), "contracts": len(queries), "directory": len(directory),
              "with_prior_award": int(sum(q["matrix"][h, ranking.FEATURES.index("past_count")] > 0
                                          for q in queries for h in q["holders"])),
              "methods": table}
    if side_experiment:  # about 90 s: every DECP holder, not only the SIAE
        result["evidence_only_all_holders"] = evidence_experiment(evidence_frame)
    if model_file:
        result["model_file"] = model_file
    return result


def refit_model(queries, pairs, table) -> str:
    """Fit on every development pair, save to models/, and make it the model scored as "shipped"."""
    model = fit_on(queries, range(len(queries)))
    model.info = {"trained": date.today().isoformat(), "pairs": len(pairs), "contracts": len(queries),
                  "directory": "siae_asp_2019_07.csv (3 637 SIAE)", "data": "decp_2018_2021_train.csv.gz",
                  "penalty": ranking.PENALTY, "cross_validated": table.get("procure_cv")}
    path = ranking.save(model)
    ranking.load.cache_clear()
    return str(path)


def print_table(result: dict) -> None:
    labels = {"procure_cv": "procure (validation croisée)", "procure_cv_without_past_awards": "procure sans marchés passés",
              "procure_shipped_model": "procure (modèle livré)",
              "procure_shipped_within_reach": "procure (modèle livré), structures à portée d'abord",
              "procure_displayed_order": "procure, ordre affiché : à portée, crédibles d'abord",
              "shown_before": "titulaire montré à l'acheteur, règle d'avant (crédibles parmi les 10 premiers)",
              "shown_after": "titulaire montré à l'acheteur, règle actuelle (toutes les structures à portée jugées)",
              "distance_only": "distance seule (même lieu que procure)",
              "distance_only_decp_place": "distance seule (lieu DECP brut)",
              "naf_cpv_only": "NAF→CPV seul", "random": "hasard",
              "monotone_ceiling": "plafond : meilleure combinaison à signes imposés, choisie pour chaque couple"}
    print(f"{result['pairs']} couples (marché, titulaire SIAE), {result['contracts']} marchés, annuaire de "
          f"{result['directory']} structures ; {result['with_prior_award']} titulaires avaient un marché antérieur")
    print("| méthode | top-1 | top-10 | top-50 | MRR | rang médian |")
    print("|---|---|---|---|---|---|")
    for key, label in labels.items():
        if key in result["methods"]:
            m = result["methods"][key]
            print(f"| {label} | {m['top1']:.1%} | {m['top10']:.1%} | {m['top50']:.1%} | {m['mrr']:.3f} | {m['median_rank']:g} |")
    side = result.get("evidence_only_all_holders")
    if side is None:
        return
    print(f"\nMarchés passés seuls, tous titulaires DECP ({side['pairs']} couples, {side['median_candidates']:g} candidats "
          f"en médiane) :")
    for key, label in (("cross_validated", "marchés passés (validation croisée)"), ("count_only", "nombre de marchés seul")):
        m = side[key]
        print(f"| {label} | {m['top1']:.1%} | {m['top10']:.1%} | {m['top50']:.1%} | {m['mrr']:.3f} | {m['median_rank']:g} |")
    print(f"poids appris : {side['weights']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=Path, help="DECP file to evaluate (default: the development file)")
    parser.add_argument("--fit", action="store_true", help="refit models/matching_ranker.json on the development pairs")
    parser.add_argument("--quick", action="store_true", help="skip the past-awards experiment over every DECP holder")
    args = parser.parse_args()
    shared = Path(os.environ.get("PROCURE_SHARED_DATA", "../shared/data"))
    if not (shared / "decp").is_dir():
        sys.exit("PROCURE_SHARED_DATA must point at the shared reference data")
    outcome = evaluate(shared, args.contracts, args.fit, side_experiment=not args.quick)
    print_table(outcome)
    print(json.dumps(outcome, ensure_ascii=False))
