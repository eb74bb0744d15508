"""Similar real contracts (DECP) for a lot, and the share of contracts with a social provision per CPV family."""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from procure import law
from procure.db.models import PublicContract
from procure.model import format_percent
from procure.text.normalize import fold

SOCIAL_FR = {"clause": "clause sociale", "criterion": "critère social", "reserved": "marché réservé"}


def _text(value) -> str | None:
    """pandas marks missing values with NaN, which a database must receive as NULL."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


class ContractRepository:
    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def import_frame(self, frame: pd.DataFrame) -> dict[str, int]:
        """Idempotent: a contract already imported (same id, object and amount) is not added twice."""
        counts = {"added": 0, "unchanged": 0}
        with self.sessions.begin() as session:
            known = set(session.scalars(select(PublicContract.key)))
            for row in frame.itertuples(index=False):
                key = hashlib.sha1(f"{row.id}|{row.objet}|{row.montant}".encode()).hexdigest()
                if key in known:
                    counts["unchanged"] += 1
                    continue
                known.add(key)
                session.add(PublicContract(
                    key=key, source_id=str(row.id)[:100], objet=row.objet, cpv=_text(row.cpv), division=_text(row.division),
                    procedure=_text(row.procedure) or None, montant=None if pd.isna(row.montant) else float(row.montant),
                    year=None if pd.isna(row.year) else int(row.year), acheteur_id=str(row.acheteur_id)[:20] or None,
                    acheteur_nom=row.acheteur_nom[:300] or None, lieu_code=str(row.lieu_code)[:10] or None,
                    titulaires=row.titulaires or None, social=row.social or "", source_format=row.source_format))
                counts["added"] += 1
        return counts

    def frame(self) -> pd.DataFrame:
        with self.sessions() as session:
            rows = session.execute(select(PublicContract.source_id, PublicContract.objet, PublicContract.cpv,
                                          PublicContract.division, PublicContract.montant, PublicContract.year,
                                          PublicContract.acheteur_nom, PublicContract.social,
                                          PublicContract.titulaires, PublicContract.lieu_code)).all()
        return pd.DataFrame(rows, columns=["id", "objet", "cpv", "division", "montant", "year", "acheteur_nom", "social",
                                           "titulaires", "lieu_code"])


@dataclass
class SimilarContract:
    objet: str
    buyer: str | None
    year: int | None
    amount: float | None
    cpv: str | None
    social: list[str]
    score: float

    def describe_fr(self) -> str:
        from decimal import Decimal

        from procure.model import format_euros

        amount = format_euros(Decimal(str(round(self.amount)))) + " HT" if self.amount else "montant inconnu"
        social = ", ".join(SOCIAL_FR[s] for s in self.social) or "aucune disposition sociale visible"
        return f"« {self.objet} » — {self.buyer or 'acheteur inconnu'}, {self.year or 'année inconnue'}, {amount} ({social})"


class SimilarIndex:
    def __init__(self, contracts: pd.DataFrame):
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.contracts = contracts.reset_index(drop=True)
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=1)
        self.matrix = self.vectorizer.fit_transform(self.contracts["objet"].map(fold))
        self.divisions = self.contracts["division"].fillna("").values
        self.groups = self.contracts["cpv"].fillna("").str[:3].values
        self.amounts = self.contracts["montant"].astype(float).values

    def similar(self, text: str, cpv: str | None = None, amount: float | None = None, top: int = 5) -> list[SimilarContract]:
        """Text similarity, plus a bonus for the same CPV division and group and for a comparable amount."""
        scores = np.asarray((self.matrix @ self.vectorizer.transform([fold(text)]).T).todense()).ravel()
        if cpv:
            scores = scores + 0.15 * (self.divisions == cpv[:2]) + 0.10 * (self.groups == cpv[:3])
        if amount and amount > 0:
            with np.errstate(divide="ignore", invalid="ignore"):
                closeness = np.exp(-np.abs(np.log(self.amounts / amount)))
            scores = scores + 0.1 * np.nan_to_num(closeness)
        order = np.argsort(-scores)[:top]
        return [self._contract(i, float(scores[i])) for i in order if scores[i] > 0]

    def _contract(self, index: int, score: float) -> SimilarContract:
        row = self.contracts.iloc[index]
        year = None if pd.isna(row["year"]) else int(row["year"])
        amount = None if pd.isna(row["montant"]) else float(row["montant"])
        social = [s for s in str(row["social"] or "").split(",") if s]
        return SimilarContract(row["objet"], row["acheteur_nom"], year, amount, row["cpv"], social, round(score, 3))

    def social_share(self, division: str) -> tuple[int, float] | None:
        mask = self.divisions == division
        count = int(mask.sum())
        if not count:
            return None
        return count, float((self.contracts.loc[mask, "social"].fillna("") != "").mean())


def add_similar_evidence(advice, index: SimilarIndex, top: int = 3) -> None:
    """Add to each lot's suggestions what comparable real contracts did: the evidence buyers find convincing."""
    for lot_advice in advice.lots:
        lot = lot_advice.lot
        text = lot.title.value if lot.title else ""
        similar = index.similar(text, lot_advice.cpv, float(lot_advice.amount_ht) if lot_advice.amount_ht else None, top)
        share = index.social_share(lot_advice.cpv[:2]) if lot_advice.cpv else None
        notes = []
        if share:
            count, ratio = share
            # A tender older than the target (2022) gets the first target, said as such: never a crash (issue 21).
            target = law.parameter_or_earliest("national_social_target", advice.reference_date)
            dated = f", {target.reference} à partir du {target.since:%d/%m/%Y}" if target.unverified else ""
            notes.append(f"Dans les marchés publics réels de la division CPV {lot_advice.cpv[:2]} ({count} marchés DECP), "
                         f"{format_percent(ratio)} montrent une disposition sociale "
                         f"(cible nationale : {format_percent(target.value)}{dated}).")
        notes += [f"Marché comparable : {contract.describe_fr()}" for contract in similar]
        for suggestion in lot_advice.suggestions:
            suggestion.reasons.extend(notes)
