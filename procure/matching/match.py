"""Rank inclusive suppliers for a lot, with an explanation of every score component and a confidence label.

Components: activity (NAF→CPV crosswalk, NAF label and declared activities against the lot text, kinds of
structure that do this work), past awards (contracts the structure already won, from DECP), place (same area,
proximity), eligibility of the supplier's kind for the lever, and capacity. Names and legal forms are never
activity evidence. A learned logistic combination (procure.matching.ranker) orders the suppliers; the label
forte / plausible / faible says how credible the activity evidence is, and when no structure is plausible
the result says so and points to the levers that still apply. Suppliers that a rule excludes are returned
too, with the reason, never silently dropped.
"""
from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from importlib import resources

import numpy as np
import yaml

from procure import law
from procure.directory.suppliers import KIND_LABELS_FR, Supplier, naf_labels
from procure.matching import place as places
from procure.matching import ranker as ranking
from procure.matching.evidence import query_vector

DEFAULT_RADIUS_KM = 50.0
HOURS_PER_FTE_YEAR = 1607  # legal working time in France, hours per year
FAR_KM = 1000.0  # proximity = 1 - log(1 + d) / log(1 + 1000 km): 1 on site, 0.5 at 31 km, 0.33 at 100 km, 0 beyond 1000 km
STAFFING_KINDS = {"AI", "ETTI", "EATT", "GEIQ"}  # kinds whose trade is placing their employees with clients
ACTIVITY_TEXT_PLAUSIBLE = 0.30  # text similarity of the NAF label / declared activities that alone makes a match plausible
ACTIVITY_TEXT_SOME = 0.15  # below it, the words shared with the lot are not worth saying
CONFIDENCE_FR = {"forte": "forte", "plausible": "plausible", "faible": "faible"}
NO_CREDIBLE_FR = "aucune structure crédible dans l'annuaire pour ce lot"
KIND_PLURAL_FR = {"AI": "les associations intermédiaires", "ETTI": "les entreprises de travail temporaire d'insertion",
                  "EATT": "les entreprises adaptées de travail temporaire",
                  "GEIQ": "les groupements d'employeurs pour l'insertion et la qualification"}
OTHER_LEVERS_FR = [
    "clause d'insertion (heures de travail réservées à des personnes éloignées de l'emploi), mise en œuvre avec "
    "l'appui d'un facilitateur de clauses sociales, quel que soit le titulaire",
    "conditions sur la chaîne d'approvisionnement (conditions d'exécution sociales : conditions de travail, "
    "traçabilité, sous-traitance ou cotraitance avec une structure inclusive pour la livraison, l'installation "
    "ou la maintenance)",
]


@functools.lru_cache(maxsize=1)
def naf_cpv_crosswalk() -> dict[str, list[str]]:
    return yaml.safe_load(resources.files("procure.reference").joinpath("naf_cpv.yaml").read_text(encoding="utf-8"))


def kind_activities() -> dict[str, list[str]]:
    """Work a kind of structure does by its very nature, whatever its NAF code (CPV prefixes): AI, ETTI, EATT
    and GEIQ place their employees with clients, i.e. supply of staff (CPV 7962, « mise à disposition »)."""
    return {"AI": ["7962"], "ETTI": ["7962"], "EATT": ["7962"], "GEIQ": ["7962"]}




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
    exclude_beyond_radius: bool = True  # False: far suppliers stay ranked, with a low place score
    scope: str | None = None  # "epci", "department" or "region": only suppliers of the lot's area
    commune_insee: str | None = None  # the place of execution, needed for a scope
    place: places.ResolvedPlace | None = None  # set by from_lot; built from latitude/longitude otherwise
    buyer: str | None = None
    awards_before: date | None = None  # past awards count only when dated strictly before this day (evaluation)
    law_on: date | None = None  # the tender's reference date: eligibility and parameters are read at it
    exclude_contract: str | None = None  # a contract that must not be its own evidence (evaluation)

    def __post_init__(self):
        if self.place is None and self.latitude is not None and self.longitude is not None:
            from procure.reference.geo import commune_by_insee, region_of_department

            commune = commune_by_insee(self.commune_insee) if self.commune_insee else None
            department = commune.department if commune else None
            self.place = places.ResolvedPlace(places.COMMUNE, self.place_name or "", self.latitude, self.longitude,
                                              self.commune_insee, department, region_of_department(department))
        elif self.place is not None:
            self.latitude, self.longitude = self.place.latitude, self.place.longitude
            self.place_name = self.place_name or self.place.label
            self.commune_insee = self.commune_insee or self.place.commune_insee

    def set_place(self, place: places.ResolvedPlace) -> None:
        """The place given by the user when the tender had none (or a better one)."""
        self.place, self.latitude, self.longitude = place, place.latitude, place.longitude
        self.place_name, self.commune_insee = place.label, place.commune_insee

    @classmethod
    def from_lot(cls, lot, lever: str | None = None, radius_km: float = DEFAULT_RADIUS_KM, tender=None) -> LotQuery:
        """The lot's place, else the tender's, else the buyer's address; None when all are unknown."""
        from procure.advice.suggest import amount_ht

        code = lot.cpv_codes[0] if lot.cpv_codes else None
        predicted = lot.predicted_cpv.value["group"].ljust(8, "0") if lot.predicted_cpv else None
        buyer = tender.buyer.value if tender is not None and tender.buyer else None
        return cls(
            title=lot.title.value if lot.title else "", cpv=code.code if code else predicted,
            cpv_label=code.label if code else None, place=place_of(lot, tender),
            amount_ht=amount_ht(lot.estimated_amount.value)[0] if lot.estimated_amount else None,
            duration_months=lot.duration_months.value if lot.duration_months else None, lever=lever, radius_km=radius_km,
            buyer=buyer if isinstance(buyer, str) else None,
            law_on=tender.launch_date() if tender is not None else None,
        )


def place_of(lot, tender=None) -> places.ResolvedPlace | None:
    candidates = [lot.place.value if lot.place else None, tender.place.value if tender is not None and tender.place else None]
    buyer = tender.buyer.value if tender is not None and tender.buyer else None
    if isinstance(buyer, dict):  # a buyer with its address, when the extraction found one
        candidates.append(buyer.get("address"))
    found = next((place for place in map(places.resolve, candidates) if place is not None), None)
    name = buyer if isinstance(buyer, str) else (buyer or {}).get("name") if isinstance(buyer, dict) else None
    refined = places.refine_with_buyer(found, name if isinstance(name, str) else None)
    if refined is None and places.national_buyer(name if isinstance(name, str) else None):
        return places.national(places.NATIONAL_BUYER_LABEL)  # a ministry without a place: its lots are national
    return refined


@dataclass
class Match:
    supplier: Supplier
    score: float
    components: dict[str, float]
    explanations: dict[str, str]
    distance_km: float | None
    confidence: str = "faible"  # forte, plausible, faible

    @property
    def explanation_fr(self) -> str:
        parts = [f"confiance {CONFIDENCE_FR[self.confidence]}"]
        parts += [self.explanations[key] for key in ("activity", "awards", "distance", "eligibility", "capacity")
                  if key in self.explanations]
        return " ; ".join(parts)


@dataclass
class Exclusion:
    supplier: Supplier
    reason: str


@dataclass
class MatchResult:
    query: LotQuery
    ranked: list[Match]
    _excluded_indices: np.ndarray = field(default_factory=lambda: np.array([], dtype=int))
    _index: SupplierIndex | None = None
    _distances: np.ndarray | None = None
    _admitted: np.ndarray | None = None  # the masks match() computed, reused to word each exclusion
    _in_scope: np.ndarray | None = None
    needs_place: bool = False  # the place of execution is unknown: ask for it (commune, department or national)
    credible: list[Match] = field(default_factory=list)  # ranked matches labelled forte or plausible
    credible_count: int = 0  # every credible structure within reach, shown or not
    strong_count: int = 0  # of which labelled forte

    @property
    def excluded_count(self) -> int:
        return len(self._excluded_indices)

    @property
    def no_credible_structure(self) -> bool:
        return not self.needs_place and not self.credible

    def excluded(self) -> list[Exclusion]:
        """Every supplier a rule kept out, with the French reason (built on demand: there can be thousands)."""
        if self._distances is None and len(self._excluded_indices):  # measured only when the reasons are asked for
            place = self.query.place
            self._distances = self._index.distances(place.latitude, place.longitude) \
                if place is not None and place.scope != places.NATIONAL else np.full(len(self._index.suppliers), np.nan)
        return [Exclusion(self._index.suppliers[i],
                          self._index.exclusion_reason(i, self.query, self._distances, self._admitted, self._in_scope))
                for i in self._excluded_indices]

    def summary_fr(self) -> str:
        """One French sentence for the lot: what to show, or why nothing is shown."""
        if self.needs_place:
            return places.ASK_PLACE_FR.capitalize() + "."
        if self.no_credible_structure:
            levers = " ; ".join(OTHER_LEVERS_FR)
            return f"{NO_CREDIBLE_FR.capitalize()}. Leviers qui restent possibles : {levers}."
        return credible_fr(max(self.credible_count, len(self.credible)), self.strong_count, len(self.credible)) + "."


def credible_fr(count: int, strong: int | None, shown: int | None = None, at_least: bool = False) -> str:
    """« 14 structures crédibles pour ce lot, dont 12 à confiance forte ; les 10 premières sont affichées »
    (`strong` None: not said; `at_least`: the count is a floor)."""
    from procure.text.format_fr import format_int, plural_fr

    text = f"{'au moins ' if at_least else ''}{format_int(count)} " \
           f"{plural_fr(count, 'structure crédible', 'structures crédibles')} pour ce lot"
    if strong is not None:
        text += f", dont {format_int(strong)} à confiance forte"
    if shown is not None and shown < count:
        text += " ; " + ("la première est affichée" if shown == 1 else f"les {format_int(shown)} premières sont affichées")
    return text[:1].upper() + text[1:]


class SupplierColumns(Sequence):
    """The structures of an index read back from disk: one list per field, a Supplier made when one is asked for."""

    def __init__(self, columns: dict[str, list]):
        self.columns = columns
        self._size = len(next(iter(columns.values()))) if columns else 0

    @classmethod
    def of(cls, suppliers: list[Supplier]) -> SupplierColumns:
        names = [f.name for f in dataclasses.fields(Supplier)]
        return cls({name: [getattr(s, name) for s in suppliers] for name in names})

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._size))]
        index = int(index)
        return Supplier(**{name: values[index] for name, values in self.columns.items()})


class SupplierIndex:
    """Suppliers prepared once for fast matching of many lots (vectorised over all suppliers)."""

    def __init__(self, suppliers: list[Supplier], awards=None):
        """`awards`: a DECP frame (procure.market.decp columns) or a PastAwards, for past-award evidence.

        The per-structure work is done once per distinct value (activity text, NAF code, commune, set of kinds):
        200 000 structures share a few thousand of each, so the build stays well under a second."""
        from procure.matching.evidence import PastAwards

        self.suppliers = suppliers
        count = len(suppliers)
        def column(name: str) -> list:  # one field of every structure (a C loop, no tuple per structure)
            return list(map(operator.attrgetter(name), suppliers))

        naf, activities = [v or "" for v in column("naf")], [v or "" for v in column("activities")]
        kind_keys = list(map(",".join, column("kinds")))
        communes, departments = [v or "" for v in column("commune_insee")], [v or "" for v in column("department")]
        self.lat = np.array([np.nan if v is None else v for v in column("latitude")], dtype=float)
        self.lon = np.array([np.nan if v is None else v for v in column("longitude")], dtype=float)
        self.headcount = np.array([v or np.nan for v in column("headcount")], dtype=float)
        # Words reduced to their French stems: character n-grams matched "prototypage" with "production" and
        # "programmes" (a film producer was "plausible" for a laser machine).
        text_codes, text_keys = _factorize([f"{n}\x1f{a}" for n, a in zip(naf, activities)])
        labels = naf_labels()
        texts = [" ".join(part for part in (labels.get(key.split("\x1f")[0]), key.split("\x1f", 1)[1]) if part)
                 for key in text_keys]
        self.has_activity = np.array([bool(t) for t in texts] or [False], dtype=bool)[text_codes]
        self.vectorizer, self.matrix = _activity_tfidf([t or "-" for t in texts] or ["-"], text_codes if count else None)
        self.columns = self.matrix.tocsc()  # term -> structures: a lot's few terms touch only their postings
        group_codes, group_keys = _factorize(kind_keys)
        # Each distinct set of kinds once: eligibility, staffing and breadth are read per set, not per structure.
        self._kind_groups = [tuple(sorted(set(key.split(",")) - {""})) for key in group_keys]
        self._kind_group_of = group_codes.astype(np.int32)
        group_staffing = np.array([bool(k) and set(k) <= STAFFING_KINDS for k in self._kind_groups] or [False], dtype=float)
        group_breadth = np.array([max(len(k) - 1, 0) for k in self._kind_groups] or [0], dtype=float)
        self.staffing_only, self.breadth = group_staffing[self._kind_group_of], group_breadth[self._kind_group_of]
        naf_codes, naf_keys = _factorize(naf)
        prefixes = [cpv_prefixes_for_naf(code or None) for code in naf_keys]
        self._by_prefix = _inverted_by(prefixes, naf_codes)
        self._by_division = _inverted_by([{p[:2] for p in found} for found in prefixes], naf_codes)
        kinds = kind_activities()
        self._by_kind_prefix = _inverted_by([{p for k in group for p in kinds.get(k, [])} for group in self._kind_groups],
                                            group_codes)
        self._kind_cache: dict[tuple[str | None, date | None], tuple[np.ndarray, np.ndarray]] = {}
        self._kind_tables: dict[tuple[bytes, bytes], tuple[np.ndarray, np.ndarray]] = {}
        self._areas = self._supplier_areas(communes, departments)
        if awards is not None and not isinstance(awards, PastAwards):
            awards = PastAwards(awards, [s.siret for s in suppliers])
        self.awards = awards if awards is not None and len(awards) else None

    def __getstate__(self) -> dict:
        """Kept on disk with the structures as columns (procure.matching.store): 200 000 dataclasses take ten times
        longer to read back than their fields as lists."""
        state = dict(self.__dict__)
        if not isinstance(self.suppliers, SupplierColumns):
            state["suppliers"] = SupplierColumns.of(self.suppliers)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    def _supplier_areas(self, communes: list[str], departments: list[str]) -> dict[str, np.ndarray]:
        """EPCI, department and region of every structure (strings, for scopes), and the department and region as
        integer codes (`department_code`, `region_code`: comparing integers is what a lot's area test costs);
        each distinct commune and department is looked up once."""
        from procure.reference.geo import commune_by_insee, region_of_department

        commune_codes, unique_communes = _factorize(communes)
        department_codes, unique_departments = _factorize(departments)
        epci = [getattr(commune_by_insee(insee) if insee else None, "epci", None) or "" for insee in unique_communes]
        department = [places.normalize_department(code or None) or "" for code in unique_departments]
        region = [region_of_department(code) or "" for code in department]
        areas = {"epci": np.array(epci + [""], dtype=object)[commune_codes]}
        for name, values in (("department", department), ("region", region)):
            areas[name] = np.array(values + [""], dtype=object)[department_codes]
            numbers = {value: number for number, value in enumerate(sorted(set(values)))}
            areas[f"{name}_code"] = np.array([numbers[v] for v in values] + [-1], dtype=np.int32)[department_codes]
            areas[f"{name}_codes"] = numbers
        return areas

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

    def crosswalk_fit(self, cpv: str | None, rows: np.ndarray | None = None) -> np.ndarray:
        fit = np.zeros(len(self.suppliers))
        if cpv:
            fit[self._by_division.get(cpv[:2], _NONE)] = 0.5  # same CPV division only
            for length in range(2, 9):
                fit[self._by_prefix.get(cpv[:length], _NONE)] = 1.0  # the supplier's NAF maps onto a CPV prefix of the lot
        return fit if rows is None else fit[rows]

    def kind_fit(self, cpv: str | None, rows: np.ndarray | None = None) -> np.ndarray:
        """1 where the kind of structure itself does this work (e.g. AI and ETTI: supply of staff, CPV 7962)."""
        fit = np.zeros(len(self.suppliers))
        for length in range(2, 9):
            fit[self._by_kind_prefix.get((cpv or "")[:length], _NONE)] = 1.0 if cpv else 0.0
        return fit if rows is None else fit[rows]

    def text_similarity(self, text: str, rows: np.ndarray | None = None) -> np.ndarray:
        """Cosine of the lot text with every structure's activity: only the postings of the lot's terms are read."""
        size = len(self.suppliers) if rows is None else len(rows)
        if not text.strip():
            return np.zeros(size)
        query = query_vector(self.vectorizer, text)
        similarity = np.zeros(len(self.suppliers))
        if query.nnz:
            columns = self.columns[:, query.indices]
            similarity = np.asarray(columns @ query.data).ravel() * self.has_activity
        return similarity if rows is None else similarity[rows]

    def distances(self, lat: float | None, lon: float | None, rows: np.ndarray | None = None) -> np.ndarray:
        lats, lons = (self.lat, self.lon) if rows is None else (self.lat[rows], self.lon[rows])
        if lat is None or lon is None:
            return np.full(len(lats), np.nan)
        phi1, phi2 = np.radians(lat), np.radians(lats)
        dphi, dlambda = phi2 - phi1, np.radians(lons - lon)
        a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlambda / 2) ** 2
        return 2 * 6371.0088 * np.arcsin(np.sqrt(a))

    def in_area(self, place: places.ResolvedPlace | None, rows: np.ndarray | None = None) -> np.ndarray:
        """Suppliers in the department of the place (its region for a regional lot)."""
        size = len(self.suppliers) if rows is None else len(rows)
        if place is None or place.scope == places.NATIONAL:
            return np.zeros(size, dtype=bool)
        name, value = ("region", place.region) if place.scope == places.REGION else ("department", place.department)
        code = self._areas[f"{name}_codes"].get(value or "?", -1)
        codes = self._areas[f"{name}_code"]
        return (codes if rows is None else codes[rows]) == code

    def eligibility(self, lever: str | None, on: date | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(weight, admitted) per supplier for a lever, from clauses/eligibility.yaml: read once per distinct set of
        kinds and (lever, date), then spread over the structures (NumPy)."""
        key = (lever, on)
        if key not in self._kind_cache:  # per set of kinds: a few dozen numbers per (lever, date)
            self._kind_cache[key] = _kind_rule(law.eligibility(lever, on or date.today()), self._kind_groups)
        weight, admitted = self._kind_cache[key]
        table = (weight.tobytes(), admitted.tobytes())  # dates share their rule: one table per rule, a few kept
        if table not in self._kind_tables:
            if len(self._kind_tables) >= 16:
                self._kind_tables.pop(next(iter(self._kind_tables)))
            self._kind_tables[table] = (weight[self._kind_group_of], admitted[self._kind_group_of])
        return self._kind_tables[table]

    def eligibility_loop(self, lever: str | None, on: date | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The same as eligibility(), structure by structure (the reference the vectorised table is tested against)."""
        rule = law.eligibility(lever, on or date.today())
        weight = np.zeros(len(self.suppliers))
        admitted = np.ones(len(self.suppliers), dtype=bool)
        for index, supplier in enumerate(self.suppliers):
            if rule.admits:
                admitted[index] = bool(rule.admits & set(supplier.kinds))
                weight[index] = 1.0 if admitted[index] else 0.0
            else:
                weight[index] = max((rule.weight(kind) for kind in supplier.kinds), default=0.3)
        return weight, admitted

    def capacity(self, query: LotQuery, rows: np.ndarray | None = None) -> tuple[np.ndarray, float | None]:
        headcount = self.headcount if rows is None else self.headcount[rows]
        needed = _needed_fte(query)
        if needed is None:
            return np.full(len(headcount), 0.5), None
        capacity = np.where(np.isnan(headcount), 0.5, np.minimum(1.0, headcount / max(needed, 0.1)))
        return capacity, needed

    def candidates(self, query: LotQuery) -> np.ndarray:
        """The structures that can be within reach of the lot, found from cheap tests on arrays (kind admitted, scope,
        a box around the radius, the lot's area, unknown position): a superset of what match() keeps, so that every
        feature is computed on a few thousand structures instead of the whole country."""
        place = query.place
        _, admitted = self.eligibility(query.lever, law_date(query))
        keep = admitted & self.in_scope(query)
        if (not query.exclude_beyond_radius or place is None or place.scope == places.NATIONAL
                or place.latitude is None or place.longitude is None):
            return np.flatnonzero(keep)
        radius = query.radius_km * 1.01 + 1.0  # a margin: the exact haversine test is made on these candidates
        dlat = np.degrees(radius / 6371.0088)
        cosine = np.cos(np.radians(min(abs(place.latitude) + dlat, 89.9)))
        ratio = np.sin(radius / 6371.0088) / cosine if cosine > 0 else 2.0
        dlon = np.degrees(np.arcsin(ratio)) if ratio < 1 else 180.0
        near = (np.abs(self.lat - place.latitude) <= dlat) & (np.abs((self.lon - place.longitude + 180) % 360 - 180) <= dlon)
        near |= np.isnan(self.lat) | np.isnan(self.lon)  # an unknown distance is never "too far"
        if place.scope != places.COMMUNE:
            near |= self.in_area(place)  # a department or region: its own structures are never too far
        return np.flatnonzero(keep & near)

    def features(self, query: LotQuery, rows: np.ndarray | None = None) -> tuple[dict[str, np.ndarray], dict]:
        """Every feature of the learned ranker for every supplier (or for `rows` only, in their order), plus what
        the explanations reuse."""
        size = len(self.suppliers) if rows is None else len(rows)
        text = " ".join(part for part in (query.title, query.cpv_label) if part)
        place = query.place
        distance = self.distances(place.latitude, place.longitude, rows) if place and place.scope != places.NATIONAL \
            else np.full(size, np.nan)
        proximity = np.where(np.isnan(distance), 0.0,
                             np.clip(1 - np.log1p(np.nan_to_num(distance)) / np.log1p(FAR_KM), 0, 1))
        kind_weight, admitted = self.eligibility(query.lever, law_date(query))
        if rows is not None:
            kind_weight, admitted = kind_weight[rows], admitted[rows]
        capacity, needed = self.capacity(query, rows)
        staffing, breadth = (self.staffing_only, self.breadth) if rows is None else (self.staffing_only[rows], self.breadth[rows])
        features = {"crosswalk": self.crosswalk_fit(query.cpv, rows), "activity_text": self.text_similarity(text, rows),
                    "kind_fit": self.kind_fit(query.cpv, rows),
                    "kind_mismatch": staffing * (0.0 if _staffing_lot(query.cpv) else 1.0),
                    "in_area": self.in_area(place, rows).astype(float),
                    "proximity": proximity, "eligibility": kind_weight, "capacity": capacity, "breadth": breadth}
        if self.awards is not None:
            past = self.awards.features(query.title, query.cpv, query.buyer, query.awards_before, query.exclude_contract)
            features.update(past if rows is None else {name: values[rows] for name, values in past.items()})
        else:
            features.update({name: np.zeros(size) for name in ("past_count", "past_cpv", "past_text", "past_buyer")})
        return features, {"distance": distance, "admitted": admitted, "needed": needed, "text": text}

    def confidence(self, features: dict[str, np.ndarray], national: bool = False) -> np.ndarray:
        """forte: the structure already won close contracts, or its NAF maps onto the lot's CPV, and it is local
        (every structure is, for a national lot); plausible: some activity evidence (same CPV division, kind of
        structure, declared activity, past award); faible: nothing but place, type or size: not a credible
        supplier for this lot."""
        awards = (features["past_cpv"] >= 0.5) | (features["past_text"] >= 0.25)
        strong = awards | (features["crosswalk"] >= 1.0) | (features["kind_fit"] >= 1.0)
        some = strong | (features["crosswalk"] >= 0.5) | (features["activity_text"] >= ACTIVITY_TEXT_PLAUSIBLE) \
            | (features["past_cpv"] >= 0.25)
        local = (features["in_area"] > 0) | (features["proximity"] >= 0.4) | national  # 0.4: about 60 km
        return np.where(strong & local, "forte", np.where(some, "plausible", "faible"))

    # ------------------------------------------------------------ ranking

    def scores(self, query: LotQuery, model: ranking.Ranker | None = None,
               rows: np.ndarray | None = None) -> tuple[np.ndarray, dict, dict]:
        features, extra = self.features(query, rows)
        return (model or ranking.load()).logit(features), features, extra

    def match(self, query: LotQuery, top: int = 20, on: date | None = None, model: ranking.Ranker | None = None,
              prefilter: bool = True) -> MatchResult:
        """Every structure within reach is judged (activity fits the lot, place within the lot's distance rule):
        the credible ones come first, strong before plausible, each group in the learned order, then the weak ones.
        `top` bounds the matches explained and returned; the counts cover every structure within reach.
        `prefilter`: features are computed on the candidates() only (the same result; False computes them for
        every structure, the reference path)."""
        if query.place is None:
            return MatchResult(query, [], _index=self, needs_place=True)
        rows = self.candidates(query) if prefilter else np.arange(len(self.suppliers))
        logit, features, extra = self.scores(query, model, rows)
        distance, admitted = extra["distance"], extra["admitted"]
        too_far = self._too_far(query, distance, features["in_area"] > 0)
        in_scope = self.in_scope(query)
        kept = admitted & ~too_far & in_scope[rows]
        labels = self.confidence(features, national=query.place.scope == places.NATIONAL)
        tier = np.where(labels == "forte", 2, np.where(labels == "plausible", 1, 0))
        within = np.flatnonzero(kept)
        order = within[np.lexsort((rows[within], -logit[within], -tier[within]))][:max(top, 0)]
        levers = law.levers()
        lever = levers[query.lever].title if query.lever in levers else None
        probability = 1 / (1 + np.exp(-logit[order]))
        ranked = [self._explain(int(rows[j]), int(j), query, lever, float(p), features, extra, labels[j])
                  for j, p in zip(order, probability)]
        credible = [m for m in ranked if m.confidence != "faible"]
        kept_all = np.zeros(len(self.suppliers), dtype=bool)
        kept_all[rows[kept]] = True
        return MatchResult(query, ranked, np.flatnonzero(~kept_all), self, None, self.eligibility(query.lever, law_date(query))[1],
                           in_scope, credible=credible, credible_count=int((kept & (tier > 0)).sum()),
                           strong_count=int((kept & (tier > 1)).sum()))

    @staticmethod
    def _too_far(query: LotQuery, distance: np.ndarray, in_area: np.ndarray) -> np.ndarray:
        if not query.exclude_beyond_radius or query.place.scope == places.NATIONAL:
            return np.zeros(len(distance), dtype=bool)
        beyond = ~np.isnan(distance) & (np.nan_to_num(distance) > query.radius_km)
        if query.place.scope == places.COMMUNE:
            return beyond
        return beyond & ~in_area  # a department or region: its own structures are never too far

    def exclusion_reason(self, index: int, query: LotQuery, distance: np.ndarray, admitted: np.ndarray,
                         in_scope: np.ndarray) -> str:
        if not admitted[index]:
            rule = law.eligibility(query.lever, law_date(query))
            kinds = ", ".join(sorted(self.suppliers[index].kinds))
            return f"type {kinds} non admis pour ce lot ({rule.reference})"
        if not in_scope[index]:
            scope = {"epci": "de l'EPCI", "department": "du département", "region": "de la région"}[query.scope]
            return f"hors {scope} du lieu d'exécution"
        return f"à {distance[index]:.0f} km, au-delà du rayon de {query.radius_km:.0f} km"

    def _explain(self, index, row, query, lever, probability, features, extra, confidence) -> Match:
        """The match of structure `index`, whose features are at position `row` of the computed arrays."""
        supplier = self.suppliers[index]
        components = {name: float(values[row]) for name, values in features.items()}
        explanations = {"activity": self._activity_fr(index, query, components),
                        "distance": self._place_fr(index, query, components, extra["distance"][row]),
                        "eligibility": self._eligibility_fr(index, lever, components),
                        "capacity": _capacity_fr(supplier, extra["needed"])}
        if self.awards is not None:
            evidence = self.awards.evidence(index, query.title, query.cpv, query.buyer, query.awards_before, query.exclude_contract)
            explanations["awards"] = evidence.describe_fr()
        distance = extra["distance"][row]
        distance_km = None if np.isnan(distance) else float(distance)
        return Match(supplier, round(probability, 4), components, explanations, distance_km, str(confidence))

    def _activity_fr(self, index, query, features: dict[str, float]) -> str:
        """What the structure does and how it meets the lot, in words a buyer can repeat (no score)."""
        supplier = self.suppliers[index]
        if supplier.naf:
            label = _lower_first(supplier.naf_label) if supplier.naf_label else "libellé inconnu"
            text = f"activité déclarée : {label} (NAF {naf_fr(supplier.naf)})"
        else:
            text = "activité déclarée : code NAF inconnu"
        crosswalk, similar = features["crosswalk"], features["activity_text"]
        label = f" ({_lower_first(query.cpv_label)})" if query.cpv_label else ""
        if crosswalk >= 1:
            text += f", qui correspond au CPV {query.cpv} du lot{label}"
        elif crosswalk > 0:
            text += f", du même domaine que le CPV {query.cpv} du lot{label}"
        if similar >= ACTIVITY_TEXT_PLAUSIBLE:
            text += ", proche de l'objet du lot"
        elif similar >= ACTIVITY_TEXT_SOME:
            text += ", quelques termes en commun avec l'objet du lot"
        elif crosswalk == 0 and features["kind_fit"] < 1:
            text += ", sans lien direct avec l'objet du lot"
        if features["kind_fit"] >= 1:
            kinds = [k for k in supplier.kinds if k in kind_activities()]
            names = " et ".join(f"{KIND_PLURAL_FR.get(k, KIND_LABELS_FR.get(k, k))} ({k})" for k in kinds)
            text += f" ; {names} mettent leurs salariés à disposition, ce que demande le lot"
        if supplier.activities:
            text += f" ; activités présentées : « {_short(supplier.activities, 80)} »"
        return text

    def _place_fr(self, index, query, features: dict[str, float], distance: float) -> str:
        """Where the structure is, from the lot's place of execution, in the words of the place's extent."""
        from procure.text.format_fr import format_distance

        place = query.place
        if place.scope == places.NATIONAL:
            return "marché national : distance non prise en compte, structures de toute la France classées sur leur activité"
        if np.isnan(distance):
            return "distance inconnue (commune de la structure non localisée)"
        supplier = self.suppliers[index]
        commune = _commune_name(place)
        if place.scope == places.COMMUNE:
            same = supplier.commune_insee == place.commune_insee if place.commune_insee else distance < 0.05
            if same:  # both located at the commune's centre
                return f"dans la commune du lieu d'exécution ({commune})"
            return f"à {format_distance(distance)} du lieu d'exécution ({commune})"
        inside = bool(features["in_area"])
        where = _area_fr(place, inside)
        if place.commune_insee:  # the buyer's commune inside the area: distances are measured from it
            return f"{where}, à {format_distance(distance)} de {commune}"
        return where if inside else f"{where}, à {format_distance(distance)} de son centre"

    def _eligibility_fr(self, index, lever, features: dict[str, float]) -> str:
        supplier = self.suppliers[index]
        kinds = ", ".join(f"{KIND_LABELS_FR.get(k, k).lower()} ({k})" for k in supplier.kinds) or "type inconnu"
        if lever is None:
            return f"type : {kinds}"
        weight = features["eligibility"]
        if weight >= 1:
            return f"type : {kinds}, adapté à « {lever} »"
        if weight > 0:
            return f"type : {kinds}, moins courant pour « {lever} »"
        return f"type : {kinds}, non prévu pour « {lever} »"

# Words that say how something is bought, not what: they must not make a lot look like an activity.
STOPWORDS = set("""
acquisition achat achats fourniture fournitures livraison prestation prestations service services marche marches lot lots
accord cadre commande commandes bons bon objet relatif relative concernant pour des les dans avec sur par une aux
autre autres non classe classes ailleurs activite activites divers diverses ensemble type types cette ces leur leurs
qui que est son ses mise place compte fabrication commerce gros detail
""".split())


@functools.lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("french")


def activity_stems(text: str) -> list[str]:
    """French stems of the meaningful words of a text (folded, 3 letters or more, procurement words left out)."""
    import re

    from procure.text.normalize import fold

    return [_stem(w) for w in re.findall(r"[a-z]{3,}", fold(text or "")) if w not in STOPWORDS]


@functools.lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _stemmer().stemWord(word)  # pure Python and slow: labels repeat, so each word is stemmed once


def activity_text(supplier: Supplier) -> str:
    """What the structure does: NAF label and declared activities (never its name or legal form)."""
    return " ".join(part for part in (supplier.naf_label, supplier.activities) if part)


def _top(scores: np.ndarray, count: int) -> np.ndarray:
    """Indices of the `count` best scores, best first (ties in directory order), without sorting everything."""
    if count <= 0:
        return np.array([], dtype=int)
    if count < len(scores):
        threshold = np.partition(scores, len(scores) - count)[len(scores) - count]
        candidates = np.flatnonzero(scores >= threshold)
    else:
        candidates = np.arange(len(scores))
    return candidates[np.argsort(-scores[candidates], kind="stable")][:count]


def _staffing_lot(cpv: str | None) -> bool:
    return bool(cpv) and any(cpv.startswith(prefix) for prefixes in kind_activities().values() for prefix in prefixes)


_NONE = np.array([], dtype=np.int64)


def _kind_rule(rule, groups: list[tuple[str, ...]]) -> tuple[np.ndarray, np.ndarray]:
    """(weight, admitted) of an eligibility rule for each distinct set of kinds."""
    weight = np.zeros(max(len(groups), 1))
    admitted = np.ones(max(len(groups), 1), dtype=bool)
    for number, kinds in enumerate(groups):
        if rule.admits:
            admitted[number] = bool(rule.admits & set(kinds))
            weight[number] = 1.0 if admitted[number] else 0.0
        else:
            weight[number] = max((rule.weight(kind) for kind in kinds), default=0.3)
    return weight, admitted


def _factorize(values: list[str]) -> tuple[np.ndarray, list[str]]:
    """(code of each value, distinct values in order of appearance)."""
    import pandas as pd

    if not values:
        return np.zeros(0, dtype=np.int64), []
    codes, unique = pd.factorize(pd.Series(values, dtype=object), sort=False)
    return codes.astype(np.int64), list(unique)


def _inverted_by(keys_of: list, codes: np.ndarray) -> dict[str, np.ndarray]:
    """Key -> indices (ascending) of the rows whose value (`codes`, into `keys_of`) has that key."""
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(keys_of) + 1))
    members: dict[str, list[int]] = {}
    for value, keys in enumerate(keys_of):
        if bounds[value] < bounds[value + 1]:
            for key in keys:
                members.setdefault(key, []).append(value)
    return {key: np.sort(np.concatenate([order[bounds[v]:bounds[v + 1]] for v in values]))
            for key, values in members.items()}


def _activity_tfidf(texts: list[str], codes: np.ndarray | None = None):
    """The fitted TfidfVectorizer (stems, sublinear tf) and its matrix over the rows, equal to fit_transform on
    every row's text but analysing each distinct text once (directories repeat their NAF labels): `texts` are the
    distinct texts, `codes` the text of each row (None: one row per text)."""
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer

    counter = CountVectorizer(analyzer=activity_stems)
    counts = counter.fit_transform(texts)
    if codes is not None:
        counts = counts[codes]
    transformer = TfidfTransformer(sublinear_tf=True)
    matrix = transformer.fit_transform(counts).tocsr()
    vectorizer = TfidfVectorizer(analyzer=activity_stems, sublinear_tf=True, min_df=1)
    vectorizer.vocabulary_ = counter.vocabulary_
    vectorizer.idf_ = transformer.idf_
    return vectorizer, matrix


def _capacity_fr(supplier: Supplier, needed: float | None) -> str:
    from procure.text.format_fr import format_quantity, plural_fr

    if needed is None:
        return "capacité : montant du lot inconnu, non évaluée"
    jobs = f"{format_quantity(needed)} {plural_fr(needed, 'emploi', 'emplois')} à temps plein par an"
    if supplier.headcount:
        return f"capacité : {supplier.headcount} salariés pour un lot d'environ {jobs}"
    return f"capacité : effectif inconnu, pour un lot d'environ {jobs}"


def naf_fr(code: str) -> str:
    """'6202A' → '62.02A', as the NAF is printed."""
    return f"{code[:2]}.{code[2:]}" if len(code) == 5 else code


def _lower_first(text: str) -> str:
    """'Conseil en systèmes' → 'conseil en systèmes' (an acronym such as 'CPV' stays)."""
    text = " ".join(str(text).split())
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _short(text: str, limit: int) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _commune_name(place: places.ResolvedPlace) -> str:
    """The commune distances are measured from, by its name alone (the label may say where it came from)."""
    from procure.reference.geo import commune_by_insee

    commune = commune_by_insee(place.commune_insee) if place.commune_insee else None
    return commune.name if commune is not None else place.label


def _area_fr(place: places.ResolvedPlace, inside: bool) -> str:
    """« dans le département du lieu d'exécution (Hauts-de-Seine) », « hors de la région du lieu d'exécution (Bretagne) »."""
    from procure.reference.geo import department_names, region_names

    if place.scope == places.REGION:
        name = region_names().get(place.region or "", place.region)
        area = "la région" if inside else "de la région"
    else:
        name = department_names().get(place.department or "")
        area = "le département" if inside else "du département"
    return f"{'dans' if inside else 'hors'} {area} du lieu d'exécution" + (f" ({name})" if name else "")


def law_date(query: LotQuery) -> date:
    """The date the law is read at: the tender's reference date, never today's law when the tender has a date."""
    return query.law_on or date.today()


def _needed_fte(query: LotQuery) -> float | None:
    """Full-time equivalents the lot's labour represents per year."""
    if query.amount_ht is None:
        return None
    from procure.advice.suggest import nature_of

    on = law_date(query)
    share, _, _, _ = law.labour_share(query.cpv, nature_of(query.cpv), on)
    hourly = float(law.parameter("loaded_hourly_cost", on).value)
    years = max((query.duration_months or 12) / 12, 1 / 12)
    return float(query.amount_ht) * share / hourly / years / HOURS_PER_FTE_YEAR
