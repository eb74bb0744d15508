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
    if not a or not b:
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
            return "marchés publics : aucun marché remporté connu (DECP importées)"
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

        position = {siret: i for i, siret in enumerate(sirets)}
        frame = contracts.copy()
        frame["holder"] = frame["titulaires"].fillna("").astype(str).str.split("|")
        frame = frame.explode("holder")
        frame["holder"] = frame["holder"].str.strip()
        frame = frame[frame["holder"].isin(position)].drop_duplicates(["id", "holder", "objet"]).reset_index(drop=True)
        self.supplier = frame["holder"].map(position).to_numpy(dtype=int)
        self.contract_id = frame["id"].astype(str).to_numpy()
        self.objet = frame["objet"].fillna("").astype(str).to_numpy()
        self.cpv = frame["cpv"].where(frame["cpv"].notna(), None).to_numpy() if "cpv" in frame else np.full(len(frame), None)
        self.buyer = frame["acheteur_nom"].fillna("").astype(str).to_numpy() if "acheteur_nom" in frame else np.full(len(frame), "")
        self.place = frame["lieu_code"].fillna("").astype(str).to_numpy() if "lieu_code" in frame else np.full(len(frame), "")
        self.day = _days(frame)
        self.year = _years(frame)
        self.size = len(sirets)
        self.vectorizer = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, preprocessor=fold,
                                          token_pattern=r"(?u)\b[a-z]{3,}\b")
        self.matrix = self.vectorizer.fit_transform(self.objet) if len(frame) and any(self.objet) else None

    def __len__(self) -> int:
        return len(self.supplier)

    def _valid(self, before: date | None, exclude: str | None) -> np.ndarray:
        valid = np.ones(len(self), dtype=bool)
        if before is not None:
            valid &= self.day < _day_number(before)  # undated awards cannot be shown to precede the lot
        if exclude is not None:
            valid &= self.contract_id != str(exclude)
        return valid

    def features(self, text: str, cpv: str | None, buyer: str | None, before: date | None = None,
                 exclude: str | None = None) -> dict[str, np.ndarray]:
        """Per supplier: log count of prior awards, best CPV proximity, best object similarity, same buyer."""
        count, proximity, similarity, same_buyer = (np.zeros(self.size) for _ in range(4))
        if len(self) == 0:
            return {"past_count": count, "past_cpv": proximity, "past_text": similarity, "past_buyer": same_buyer}
        valid = self._valid(before, exclude)
        rows = np.flatnonzero(valid)
        np.add.at(count, self.supplier[rows], 1)
        cpv_scores = np.array([cpv_proximity(cpv, c) for c in self.cpv[rows]]) if cpv else np.zeros(len(rows))
        np.maximum.at(proximity, self.supplier[rows], cpv_scores)
        text_scores = self._similarity(text)[rows]
        np.maximum.at(similarity, self.supplier[rows], text_scores)
        if buyer:
            key = fold(buyer)
            same = np.array([fold(b) == key for b in self.buyer[rows]], dtype=float)
            np.maximum.at(same_buyer, self.supplier[rows], same)
        return {"past_count": np.log1p(count), "past_cpv": proximity, "past_text": similarity, "past_buyer": same_buyer}

    def _similarity(self, text: str) -> np.ndarray:
        if self.matrix is None or not text.strip():
            return np.zeros(len(self))
        return np.asarray((self.matrix @ self.vectorizer.transform([text]).T).todense()).ravel()

    def evidence(self, supplier: int, text: str, cpv: str | None, buyer: str | None, before: date | None = None,
                 exclude: str | None = None) -> AwardEvidence:
        rows = np.flatnonzero(self._valid(before, exclude) & (self.supplier == supplier))
        if len(rows) == 0:
            return AwardEvidence(0, 0, None, None, None, None, False)
        proximity = np.array([cpv_proximity(cpv, self.cpv[r]) for r in rows]) if cpv else np.zeros(len(rows))
        similarity = self._similarity(text)[rows]
        strength = np.maximum(proximity, similarity * 2)
        related = int(((proximity >= 0.5) | (similarity >= 0.2)).sum())
        best = rows[int(np.argmax(strength))]
        same = bool(buyer) and any(fold(self.buyer[r]) == fold(buyer) for r in rows)
        year = int(self.year[best]) if self.year[best] > 0 else None
        return AwardEvidence(len(rows), related, self.objet[best], self.buyer[best] or None, year,
                             _place_fr(self.place[best]), same)


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
