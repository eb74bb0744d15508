"""Past awards as activity evidence: what a structure has already delivered under public contracts (DECP).

A structure that already won contracts close to the lot (same CPV branch, similar object) is the strongest
sign that it can do the job. Evidence only counts when it is dated strictly before the lot's date (if one
is given) and never includes the contract being ranked itself, so that evaluation stays leakage-free.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from procure.text.normalize import fold

# CPV tree proximity by length of the shared code prefix: division (2), group (3), class (4), category (5+).
CPV_PROXIMITY = {0: 0.0, 1: 0.0, 2: 0.25, 3: 0.5, 4: 0.75}


def cpv_proximity(a: str | None, b: str | None) -> float:
    """How close two CPV codes are in the nomenclature tree (0 = other division, 1 = same category or closer)."""
    if not isinstance(a, str) or not isinstance(b, str) or not a or not b:
        return 0.0
    shared = 0
    for x, y in zip(a[:8], b[:8]):
        if x != y:
            break
        shared += 1
    significant = len(a[:8].rstrip("0")) or 2
    if shared >= min(5, max(significant, 2)):
        return 1.0
    return CPV_PROXIMITY.get(shared, 1.0)


@dataclass
class AwardEvidence:
    """The past awards of one structure that support a lot, for the French explanation."""

    count: int  # all awards dated before the lot
    related: int  # of which in the same CPV group or with a similar object
    best_object: str | None
    best_buyer: str | None
    best_year: int | None
    best_place: str | None
    same_buyer: bool

    def describe_fr(self) -> str:
        if self.count == 0:
            return "marchés publics : aucun marché remporté connu dans les données importées"
        if self.related == 0:
            return f"marchés publics : {self.count} marché(s) remporté(s), sans rapport direct avec ce lot"
        where = f" ({self.best_place})" if self.best_place else ""
        buyer = f" pour {self.best_buyer}" if self.best_buyer else ""
        year = f" en {self.best_year}" if self.best_year else ""
        same = " ; déjà titulaire chez cet acheteur" if self.same_buyer else ""
        return (f"marchés publics : a déjà réalisé {self.related} marché(s) proche(s) de ce lot, dont "
                f"« {_short(self.best_object)} »{buyer}{where}{year}{same}")


class PastAwards:
    """DECP contracts indexed by holder SIRET, restricted to the structures of a directory."""

    def __init__(self, contracts: pd.DataFrame, sirets: list[str]):
        """`contracts`: the frame of procure.market.decp (id, objet, cpv, date or year, acheteur_nom, lieu_code,
        titulaires); `sirets`: the directory, in the order of the supplier index."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        frame = contracts.copy()
        frame["holder"] = frame["titulaires"].fillna("").astype(str).str.split("|")
        frame = frame.explode("holder")
        frame["holder"] = frame["holder"].fillna("").astype(str).str.strip()
        directory = pd.Index(list(sirets))  # a hash table built in C, looked up by the holders only
        found = directory.get_indexer(frame["holder"].to_numpy(dtype=object)) if directory.is_unique else \
            frame["holder"].map({siret: i for i, siret in enumerate(sirets)}).fillna(-1).to_numpy(dtype=int)
        frame = frame.assign(_position=found)[found >= 0].drop_duplicates(["id", "holder", "objet"]).reset_index(drop=True)
        self.supplier = frame["_position"].to_numpy(dtype=int)
        self.contract_id = frame["id"].astype(str).to_numpy()
        self.objet = frame["objet"].fillna("").astype(str).to_numpy()
        self.cpv = frame["cpv"].where(frame["cpv"].notna(), None).to_numpy() if "cpv" in frame else np.full(len(frame), None)
        self.buyer = frame["acheteur_nom"].fillna("").astype(str).to_numpy() if "acheteur_nom" in frame else np.full(len(frame), "")
        self.place = frame["lieu_code"].fillna("").astype(str).to_numpy() if "lieu_code" in frame else np.full(len(frame), "")
        self.codes = np.array([int(c[:8].ljust(8, "0")) if isinstance(c, str) and c[:8].isdigit() else -1
                               for c in self.cpv], dtype=np.int64)
        order = np.argsort(self.supplier, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(self.supplier[order]) != 0]) if len(order) else np.array([], dtype=int)
        self.rows_of = {int(self.supplier[order[i]]): rows for i, rows in zip(starts, np.split(order, starts[1:]))}
        self._order, self._starts, self._owners = order, starts, self.supplier[order[starts]] if len(order) else starts
        self.buyer_key = np.array([fold(b) for b in self.buyer], dtype=object)
        self.day = _days(frame)
        self.year = _years(frame)
        self.size = len(sirets)
        self.vectorizer = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, preprocessor=fold,
                                          token_pattern=r"(?u)\b[a-z]{3,}\b")
        try:
            self.matrix = self.vectorizer.fit_transform(self.objet) if len(frame) else None
        except ValueError:  # no object has a word to index
            self.matrix = None
        self._last_text: tuple[str, np.ndarray] | None = None
        self._last_cpv: tuple[str, np.ndarray] | None = None
        self._all = np.ones(len(self.supplier), dtype=bool)

    def __len__(self) -> int:
        return len(self.supplier)

    def _valid(self, before: date | None, exclude: str | None) -> np.ndarray:
        if before is None and exclude is None:
            return self._all
        valid = np.ones(len(self), dtype=bool)
        if before is not None:
            valid &= self.day < _day_number(before)  # undated awards cannot be shown to precede the lot
        if exclude is not None:
            valid &= self.contract_id != str(exclude)
        return valid

    def features(self, text: str, cpv: str | None, buyer: str | None, before: date | None = None,
                 exclude: str | None = None) -> dict[str, np.ndarray]:
        """Per supplier: log count of prior awards, best CPV proximity, best object similarity, same buyer."""
        if len(self) == 0:
            empty = np.zeros(self.size)
            return {"past_count": empty, "past_cpv": empty, "past_text": empty, "past_buyer": empty}
        valid = self._valid(before, exclude).astype(float)
        count = np.bincount(self.supplier, weights=valid, minlength=self.size)
        same = (self.buyer_key == fold(buyer)).astype(float) if buyer else np.zeros(len(self))
        return {"past_count": np.log1p(count), "past_cpv": self._best(self._cpv_proximity(cpv) * valid),
                "past_text": self._best(self._similarity(text) * valid), "past_buyer": self._best(same * valid)}

    def _best(self, values: np.ndarray) -> np.ndarray:
        """Per supplier, the largest value of its awards (values are >= 0; 0 without awards)."""
        best = np.zeros(self.size)
        best[self._owners] = np.maximum.reduceat(values[self._order], self._starts)
        return best

    def _cpv_proximity(self, cpv: str | None) -> np.ndarray:
        """cpv_proximity() of the lot's code against every award at once."""
        if not cpv or not cpv[:8].isdigit():
            return np.zeros(len(self))
        if self._last_cpv is None or self._last_cpv[0] != cpv:
            self._last_cpv = (cpv, self._cpv_scores(cpv))
        return self._last_cpv[1]

    def _cpv_scores(self, cpv: str) -> np.ndarray:
        code = int(cpv[:8].ljust(8, "0"))
        shared = np.zeros(len(self), dtype=int)
        for length in range(2, 9):  # length of the shared prefix, compared as integers (fast)
            divisor = 10 ** (8 - length)
            shared[self.codes // divisor == code // divisor] = length
        significant = len(cpv[:8].rstrip("0")) or 2
        scores = np.select([shared >= min(5, max(significant, 2)), shared >= 4, shared == 3, shared == 2],
                           [1.0, CPV_PROXIMITY[4], CPV_PROXIMITY[3], CPV_PROXIMITY[2]], 0.0)
        return np.where(self.codes < 0, 0.0, scores)  # awards without a CPV

    def _similarity(self, text: str) -> np.ndarray:
        """Object similarity of every award to the lot text (the last text is kept: explanations ask again)."""
        if self.matrix is None or not text.strip():
            return np.zeros(len(self))
        if self._last_text is None or self._last_text[0] != text:
            vector = query_vector(self.vectorizer, text)
            self._last_text = (text, np.asarray((self.matrix @ vector.T).todense()).ravel())
        return self._last_text[1]

    def evidence(self, supplier: int, text: str, cpv: str | None, buyer: str | None, before: date | None = None,
                 exclude: str | None = None) -> AwardEvidence:
        rows = self.rows_of.get(supplier, np.array([], dtype=int))
        rows = rows[self._valid(before, exclude)[rows]] if len(rows) else rows
        if len(rows) == 0:
            return AwardEvidence(0, 0, None, None, None, None, False)
        proximity = self._cpv_proximity(cpv)[rows]
        similarity = self._similarity(text)[rows]
        strength = np.maximum(proximity, similarity * 2)
        related = int(((proximity >= 0.5) | (similarity >= 0.2)).sum())
        best = rows[int(np.argmax(strength))]
        same = bool(buyer) and bool((self.buyer_key[rows] == fold(buyer)).any())
        year = int(self.year[best]) if self.year[best] > 0 else None
        return AwardEvidence(len(rows), related, self.objet[best], self.buyer[best] or None, year,
                             _place_fr(self.place[best]), same)


def query_vector(vectorizer, text: str):
    """vectorizer.transform([text]) for a fitted sublinear-tf, l2-normed TfidfVectorizer, without sklearn's
    per-call checks (a few milliseconds each, paid for every lot)."""
    from collections import Counter

    from scipy.sparse import csr_matrix

    if not hasattr(vectorizer, "_procure_analyzer"):
        vectorizer._procure_analyzer = vectorizer.build_analyzer()
    vocabulary = vectorizer.vocabulary_
    counts = Counter(term for term in vectorizer._procure_analyzer(text) if term in vocabulary)
    columns = np.array([vocabulary[term] for term in counts], dtype=np.int32)
    values = (1 + np.log(np.array(list(counts.values()), dtype=float))) * vectorizer.idf_[columns] if len(columns) else np.zeros(0)
    norm = np.sqrt((values ** 2).sum())
    if norm > 0:
        values = values / norm
    return csr_matrix((values, (np.zeros(len(columns), dtype=np.int32), columns)), shape=(1, len(vocabulary)))


def _days(frame: pd.DataFrame) -> np.ndarray:
    """Day numbers of the notification dates (unknown: +inf, so never 'before' a dated lot)."""
    if "date" in frame:
        dates = pd.to_datetime(frame["date"], errors="coerce", utc=True)
        days = (dates - pd.Timestamp("1970-01-01", tz="UTC")).dt.days.astype(float)
        return days.fillna(np.inf).to_numpy()
    return np.full(len(frame), np.inf)


def _years(frame: pd.DataFrame) -> np.ndarray:
    if "year" in frame:
        return pd.to_numeric(frame["year"], errors="coerce").fillna(0).astype(int).to_numpy()
    return np.zeros(len(frame), dtype=int)


def _day_number(day: date) -> float:
    return float((pd.Timestamp(day) - pd.Timestamp("1970-01-01")).days)


def _place_fr(code: str) -> str | None:
    code = str(code or "").strip()
    if len(code) in (2, 3) and code[:2].isalnum():
        return f"département {code}"
    if len(code) == 5 and code.isdigit():
        return f"code {code}"
    return None


def _short(text: str | None, limit: int = 90) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
