"""Rank inclusive suppliers for a lot, with an explanation of every score component.

Components: activity fit (NAF→CPV crosswalk + character TF-IDF similarity of the lot text and the
supplier's activities), distance from the place of execution, eligibility of the supplier's kind for
the lever, and capacity against the size of the lot. Suppliers that a rule excludes are returned too,
with the reason, never silently dropped.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from importlib import resources

import numpy as np
import yaml

from procure import law
from procure.directory.suppliers import KIND_LABELS_FR, Supplier

WEIGHTS = {"activity": 0.45, "distance": 0.25, "eligibility": 0.15, "capacity": 0.15}
DEFAULT_RADIUS_KM = 50.0
HOURS_PER_FTE_YEAR = 1607  # legal working time in France, hours per year


@functools.lru_cache(maxsize=1)
def naf_cpv_crosswalk() -> dict[str, list[str]]:
    return yaml.safe_load(resources.files("procure.reference").joinpath("naf_cpv.yaml").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def eligibility_rules() -> dict:
    return yaml.safe_load((law.clauses_dir() / "eligibility.yaml").read_text(encoding="utf-8"))


def cpv_prefixes_for_naf(naf: str | None) -> list[str]:
    if not naf:
        return []
    crosswalk = naf_cpv_crosswalk()
    code = naf.replace(".", "")
    for length in range(len(code), 1, -1):
        if code[:length] in crosswalk:
            return crosswalk[code[:length]]
    return []


@dataclass
class LotQuery:
    """What matching needs to know of a lot."""

    title: str
    cpv: str | None = None
    cpv_label: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    place_name: str | None = None
    amount_ht: Decimal | None = None
    duration_months: int | None = None
    lever: str | None = None  # lever id the lot would use (reserved_siae, insertion_clause…)
    radius_km: float = DEFAULT_RADIUS_KM
    exclude_beyond_radius: bool = True  # False: far suppliers stay ranked, with a zero distance score
    scope: str | None = None  # "epci", "department" or "region": only suppliers of the lot's area
    commune_insee: str | None = None  # the place of execution, needed for a scope

    @classmethod
    def from_lot(cls, lot, lever: str | None = None, radius_km: float = DEFAULT_RADIUS_KM) -> "LotQuery":
        from procure.model import Commune
        from procure.advice.suggest import amount_ht

        place = lot.place.value if lot.place and isinstance(lot.place.value, Commune) else None
        code = lot.cpv_codes[0] if lot.cpv_codes else None
        predicted = lot.predicted_cpv.value["group"].ljust(8, "0") if lot.predicted_cpv else None
        return cls(
            title=lot.title.value if lot.title else "", cpv=code.code if code else predicted,
            cpv_label=code.label if code else None,
            latitude=place.latitude if place else None, longitude=place.longitude if place else None,
            place_name=place.name if place else None,
            amount_ht=amount_ht(lot.estimated_amount.value)[0] if lot.estimated_amount else None,
            duration_months=lot.duration_months.value if lot.duration_months else None, lever=lever, radius_km=radius_km,
            commune_insee=place.insee if place else None,
        )


@dataclass
class Match:
    supplier: Supplier
    score: float
    components: dict[str, float]
    explanations: dict[str, str]
    distance_km: float | None

    @property
    def explanation_fr(self) -> str:
        return " ; ".join(self.explanations[key] for key in ("activity", "distance", "eligibility", "capacity"))


@dataclass
class Exclusion:
    supplier: Supplier
    reason: str


@dataclass
class MatchResult:
    query: LotQuery
    ranked: list[Match]
    _excluded_indices: np.ndarray = field(default_factory=lambda: np.array([], dtype=int))
    _index: "SupplierIndex | None" = None
    _distances: np.ndarray | None = None
    _admitted: np.ndarray | None = None  # the masks match() computed, reused to word each exclusion
    _in_scope: np.ndarray | None = None

    @property
    def excluded_count(self) -> int:
        return len(self._excluded_indices)

    def excluded(self) -> list[Exclusion]:
        """Every supplier a rule kept out, with the French reason (built on demand: there can be thousands)."""
        return [Exclusion(self._index.suppliers[i],
                          self._index.exclusion_reason(i, self.query, self._distances, self._admitted, self._in_scope))
                for i in self._excluded_indices]


class SupplierIndex:
    """Suppliers prepared once for fast matching of many lots (vectorised over all suppliers)."""

    def __init__(self, suppliers: list[Supplier]):
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.suppliers = suppliers
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=1,
                                          strip_accents="unicode", lowercase=True)
        texts = [s.activity_text() for s in suppliers] or [""]
        self.matrix = self.vectorizer.fit_transform(texts)
        self.lat = np.array([s.latitude if s.latitude is not None else np.nan for s in suppliers], dtype=float)
        self.lon = np.array([s.longitude if s.longitude is not None else np.nan for s in suppliers], dtype=float)
        self.headcount = np.array([s.headcount if s.headcount else np.nan for s in suppliers], dtype=float)
        self.prefixes = [cpv_prefixes_for_naf(s.naf) for s in suppliers]
        self._by_prefix: dict[str, list[int]] = {}
        self._by_division: dict[str, list[int]] = {}
        for index, prefixes in enumerate(self.prefixes):
            for prefix in prefixes:
                self._by_prefix.setdefault(prefix, []).append(index)
            for division in {p[:2] for p in prefixes}:
                self._by_division.setdefault(division, []).append(index)
        self._kind_cache: dict[str | None, tuple[np.ndarray, np.ndarray]] = {}
        self._areas = self._supplier_areas()

    def _supplier_areas(self) -> dict[str, np.ndarray]:
        from procure.reference.geo import commune_by_insee, region_of_department

        epci, department, region = [], [], []
        for supplier in self.suppliers:
            commune = commune_by_insee(supplier.commune_insee) if supplier.commune_insee else None
            epci.append(commune.epci if commune else "")
            department.append(supplier.department or "")
            region.append(region_of_department(supplier.department) or "")
        return {"epci": np.array(epci, dtype=object), "department": np.array(department, dtype=object),
                "region": np.array(region, dtype=object)}

    def in_scope(self, query: LotQuery) -> np.ndarray:
        """Suppliers inside the lot's EPCI, department or region (all when no scope is asked)."""
        from procure.reference.geo import commune_by_insee, region_of_department

        if not query.scope:
            return np.ones(len(self.suppliers), dtype=bool)
        commune = commune_by_insee(query.commune_insee) if query.commune_insee else None
        if commune is None:
            raise ValueError("le lieu d'exécution du lot n'est pas une commune reconnue : périmètre impossible")
        area = {"epci": commune.epci, "department": commune.department,
                "region": region_of_department(commune.department)}[query.scope]
        return self._areas[query.scope] == area

    # ------------------------------------------------------------ components

    def crosswalk_fit(self, cpv: str | None) -> np.ndarray:
        fit = np.zeros(len(self.suppliers))
        if not cpv:
            return fit
        fit[self._by_division.get(cpv[:2], [])] = 0.5  # same CPV division only
        for length in range(2, 9):
            fit[self._by_prefix.get(cpv[:length], [])] = 1.0  # the supplier's NAF maps onto a CPV prefix of the lot
        return fit

    def text_similarity(self, text: str) -> np.ndarray:
        if not text.strip():
            return np.zeros(len(self.suppliers))
        query = self.vectorizer.transform([text])
        return np.asarray((self.matrix @ query.T).todense()).ravel()

    def distances(self, lat: float | None, lon: float | None) -> np.ndarray:
        if lat is None or lon is None:
            return np.full(len(self.suppliers), np.nan)
        phi1, phi2 = np.radians(lat), np.radians(self.lat)
        dphi, dlambda = phi2 - phi1, np.radians(self.lon - lon)
        a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlambda / 2) ** 2
        return 2 * 6371.0088 * np.arcsin(np.sqrt(a))

    def eligibility(self, lever: str | None) -> tuple[np.ndarray, np.ndarray]:
        """(weight, admitted) per supplier for a lever, from clauses/eligibility.yaml."""
        if lever not in self._kind_cache:
            rules = eligibility_rules()
            rule = rules.get(lever) or rules["default"]
            admits = set(rule.get("admits", []))
            favours = rule.get("favours", {})
            weight = np.zeros(len(self.suppliers))
            admitted = np.ones(len(self.suppliers), dtype=bool)
            for index, supplier in enumerate(self.suppliers):
                if admits:
                    admitted[index] = bool(admits & set(supplier.kinds))
                    weight[index] = 1.0 if admitted[index] else 0.0
                else:
                    weight[index] = max((favours.get(kind, 0.3) for kind in supplier.kinds), default=0.3)
            self._kind_cache[lever] = (weight, admitted)
        return self._kind_cache[lever]

    def capacity(self, query: LotQuery) -> tuple[np.ndarray, float | None]:
        needed = _needed_fte(query)
        if needed is None:
            return np.full(len(self.suppliers), 0.5), None
        capacity = np.where(np.isnan(self.headcount), 0.5, np.minimum(1.0, self.headcount / max(needed, 0.1)))
        return capacity, needed

    # ------------------------------------------------------------ ranking

    def match(self, query: LotQuery, top: int = 20, on: date | None = None) -> MatchResult:
        text = " ".join(part for part in (query.title, query.cpv_label) if part)
        crosswalk = self.crosswalk_fit(query.cpv)
        similarity = self.text_similarity(text)
        activity = np.maximum(crosswalk * 0.8 + similarity * 0.2, similarity)
        distance = self.distances(query.latitude, query.longitude)
        known = ~np.isnan(distance)
        distance_score = np.where(known, np.clip(1 - np.nan_to_num(distance) / query.radius_km, 0, 1), 0.3)
        kind_weight, admitted = self.eligibility(query.lever)
        capacity, needed = self.capacity(query)
        total = (WEIGHTS["activity"] * activity + WEIGHTS["distance"] * distance_score
                 + WEIGHTS["eligibility"] * kind_weight + WEIGHTS["capacity"] * capacity)
        too_far = known & (np.nan_to_num(distance) > query.radius_km) & query.exclude_beyond_radius
        in_scope = self.in_scope(query)
        kept = admitted & ~too_far & in_scope
        order = np.argsort(-np.where(kept, total, -np.inf), kind="stable")[: min(top, int(kept.sum()))]
        levers = law.levers()
        lever = levers[query.lever].title if query.lever in levers else "aucun levier choisi"
        ranked = [self._explain(i, query, lever, total, activity, crosswalk, similarity, distance, distance_score,
                                kind_weight, capacity, needed) for i in order]
        return MatchResult(query, ranked, np.flatnonzero(~kept), self, distance, admitted, in_scope)

    def exclusion_reason(self, index: int, query: LotQuery, distance: np.ndarray, admitted: np.ndarray,
                         in_scope: np.ndarray) -> str:
        if not admitted[index]:
            rule = eligibility_rules()[query.lever]
            kinds = ", ".join(sorted(self.suppliers[index].kinds))
            return f"type {kinds} non admis pour ce lot ({rule['reference']})"
        if not in_scope[index]:
            scope = {"epci": "de l'EPCI", "department": "du département", "region": "de la région"}[query.scope]
            return f"hors {scope} du lieu d'exécution"
        return f"à {distance[index]:.0f} km, au-delà du rayon de {query.radius_km:.0f} km"

    def _explain(self, index, query, lever, total, activity, crosswalk, similarity, distance, distance_score, kind_weight,
                 capacity, needed) -> Match:
        supplier = self.suppliers[index]
        components = {"activity": float(activity[index]), "distance": float(distance_score[index]),
                      "eligibility": float(kind_weight[index]), "capacity": float(capacity[index])}
        naf = f"NAF {supplier.naf} ({supplier.naf_label})" if supplier.naf else "NAF inconnu"
        if crosswalk[index] >= 1:
            activity_text = f"activité : {naf} correspond au CPV {query.cpv}"
        elif crosswalk[index] > 0:
            activity_text = f"activité : {naf} proche de la division CPV {query.cpv[:2]}"
        else:
            activity_text = f"activité : {naf}, pas de correspondance CPV directe"
        activity_text += f", similarité du texte {_fr(similarity[index], 2)}"
        if np.isnan(distance[index]):
            distance_text = "distance inconnue (commune non localisée)"
        else:
            place = f" de {query.place_name}" if query.place_name else ""
            distance_text = f"distance : {distance[index]:.0f} km{place} (rayon {query.radius_km:.0f} km)"
        kinds = ", ".join(f"{k} ({KIND_LABELS_FR.get(k, k)})" for k in supplier.kinds)
        eligibility_text = f"type : {kinds}, poids {_fr(kind_weight[index])} pour « {lever} »"
        if needed is None:
            capacity_text = "capacité : taille du lot inconnue"
        elif supplier.headcount:
            capacity_text = f"capacité : {supplier.headcount} salariés pour environ {_fr(needed)} ETP de main-d'œuvre"
        else:
            capacity_text = f"capacité : effectif inconnu (besoin estimé {_fr(needed)} ETP)"
        explanations = {"activity": activity_text, "distance": distance_text, "eligibility": eligibility_text,
                        "capacity": capacity_text}
        distance_km = None if np.isnan(distance[index]) else float(distance[index])
        return Match(supplier, round(float(total[index]), 4), components, explanations, distance_km)


def _fr(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def _needed_fte(query: LotQuery) -> float | None:
    """Full-time equivalents the lot's labour represents per year."""
    if query.amount_ht is None:
        return None
    from procure.advice.suggest import nature_of

    on = date.today()
    share, _, _, _ = law.labour_share(query.cpv, nature_of(query.cpv), on)
    hourly = float(law.parameter("loaded_hourly_cost", on).value)
    years = max((query.duration_months or 12) / 12, 1 / 12)
    return float(query.amount_ht) * share / hourly / years / HOURS_PER_FTE_YEAR
