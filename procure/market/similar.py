"""Similar real contracts (DECP) for a lot, and the share of contracts with a social provision per CPV family.

`SimilarIndex` fits a character n-gram index over a frame of contracts (the command line, small sets).
`comparable_index(sessions)` is what an analysis uses: a word index over every stored contract, built once per
version of the contracts table (row count, highest id, lowest and highest key), kept in the process and on disk
under the procure home (`indexes/`, NumPy arrays loaded in milliseconds), rebuilt when an import changes the table.
An upload then costs the same with 8 000 or 1.5 million stored contracts.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import os
import re
import shutil
import tempfile
import threading
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from procure import law
from procure.db.models import PublicContract
from procure.model import format_percent
from procure.text.normalize import fold

SOCIAL_FR = {"clause": "clause sociale", "criterion": "critère social", "reserved": "marché réservé"}
logger = logging.getLogger(__name__)


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

    def version(self) -> tuple:
        """What changes whenever contracts are added or replaced: row count, highest id, lowest and highest key
        (keys are unique hashes). One statement each: alone, a min or max is read from its index and a count from
        the smallest index (23 ms at 1.5 million rows in SQLite); together they would read the whole table."""
        with self.sessions() as session:
            return tuple(session.scalar(select(aggregate).select_from(PublicContract)) for aggregate in (
                func.count(), func.max(PublicContract.id), func.min(PublicContract.key), func.max(PublicContract.key)))

    def awards_frame(self, holders: set[str] | None = None) -> pd.DataFrame:
        """The columns of frame(), for the contracts that name their holders; with `holders`, only the contracts
        one of them holds (read in chunks: the national DECP is never held whole in memory)."""
        columns = ["id", "objet", "cpv", "division", "montant", "year", "acheteur_nom", "social", "titulaires", "lieu_code"]
        query = select(PublicContract.source_id, PublicContract.objet, PublicContract.cpv, PublicContract.division,
                       PublicContract.montant, PublicContract.year, PublicContract.acheteur_nom, PublicContract.social,
                       PublicContract.titulaires, PublicContract.lieu_code).where(
            PublicContract.titulaires.is_not(None), PublicContract.titulaires != "")
        kept = []
        with self.sessions() as session:
            for chunk in session.execute(query.execution_options(yield_per=BUILD_CHUNK)).partitions(BUILD_CHUNK):
                kept += [row for row in chunk if holders is None
                         or any(holder.strip() in holders for holder in row[8].split("|"))]
        return pd.DataFrame(kept, columns=columns)

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


# ---------------------------------------------------------------- the stored comparable-contracts index

INDEX_SCHEMA = 2  # bump when the arrays or the tokens change: older files are then rebuilt
BUILD_CHUNK = 50_000
WORD = re.compile(r"[a-z]{3,}")
OBJECT_STOPWORDS = frozenset("""
des les dans avec sur par une aux pour que qui est son ses leur leurs cette ces relatif relative relatifs
concernant objet lot lots marche marches
""".split())
_MEMORY: dict[str, tuple[tuple, ContractIndex]] = {}
_LOCK = threading.Lock()
BUILDS = {"count": 0}  # indexes built in this process (the tests count them)


@functools.lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("french")


_STEMS: dict[str, str] = {}


def object_terms(text: str) -> list[str]:
    """French stems of the words of a contract object (folded, 3 letters or more, grammar words left out)."""
    terms = []
    for word in WORD.findall(fold(text or "")):
        if word in OBJECT_STOPWORDS:
            continue
        stem = _STEMS.get(word)
        if stem is None:
            stem = _STEMS[word] = _stemmer().stemWord(word) if len(_STEMS) < 500_000 else word
        terms.append(stem)
    return terms


class ContractIndex:
    """Every stored contract as arrays: a term -> contracts TF-IDF table (sublinear tf, l2 rows) for the object,
    the CPV division and group, the amount, and the share of contracts with a social provision per division.
    A lot's query reads only the postings of its own terms."""

    def __init__(self, arrays: dict[str, np.ndarray], vocabulary: list[str], shares: dict[str, list], sessions=None):
        self.arrays, self.sessions = arrays, sessions
        self.vocabulary = {term: number for number, term in enumerate(vocabulary)}
        self.shares = shares
        self.ids = arrays["ids"]
        self.size = len(self.ids)

    # building --------------------------------------------------------------------------------------------

    @classmethod
    def build(cls, sessions) -> ContractIndex:
        """One pass over the contracts table, in chunks (no frame of the whole table in memory)."""
        BUILDS["count"] += 1
        vocabulary: dict[str, int] = {}
        ids, divisions, groups, amounts = array("q"), array("h"), array("h"), array("d")
        rows_of, terms_of, counts_of = array("i"), array("i"), array("f")  # 4 bytes a posting, not an object
        per_division: dict[str, list[int]] = {}
        position = 0
        query = select(PublicContract.id, PublicContract.objet, PublicContract.cpv, PublicContract.division,
                       PublicContract.montant, PublicContract.social).order_by(PublicContract.id)
        with sessions() as session:
            result = session.execute(query.execution_options(yield_per=BUILD_CHUNK))
            for chunk in result.partitions(BUILD_CHUNK):
                for key, objet, cpv, division, montant, social in chunk:
                    counted: dict[int, int] = {}
                    for term in object_terms(objet):
                        column = vocabulary.setdefault(term, len(vocabulary))
                        counted[column] = counted.get(column, 0) + 1
                    if counted:
                        rows_of.extend([position] * len(counted))
                        terms_of.extend(counted.keys())
                        counts_of.extend(counted.values())
                    ids.append(key)
                    division = division or ""
                    divisions.append(int(division) if division.isdigit() else -1)
                    groups.append(int(cpv[:3]) if cpv and cpv[:3].isdigit() else -1)
                    amounts.append(np.nan if montant is None else montant)
                    tally = per_division.setdefault(division, [0, 0])
                    tally[0] += 1
                    tally[1] += bool(social)
                    position += 1
        return cls._assemble(vocabulary, ids, divisions, groups, amounts, rows_of, terms_of, counts_of, per_division,
                             sessions)

    @classmethod
    def _assemble(cls, vocabulary, ids, divisions, groups, amounts, rows_of, terms_of, counts_of, per_division, sessions):
        size = len(ids)
        rows = np.frombuffer(rows_of, dtype=np.int32) if len(rows_of) else np.zeros(0, dtype=np.int32)
        terms = np.frombuffer(terms_of, dtype=np.int32) if len(terms_of) else np.zeros(0, dtype=np.int32)
        counts = np.frombuffer(counts_of, dtype=np.float32) if len(counts_of) else np.zeros(0, dtype=np.float32)
        frequency = np.bincount(terms, minlength=len(vocabulary)).astype(np.float64)
        idf = np.log((1 + size) / (1 + frequency)) + 1  # scikit-learn's smooth idf
        weights = (1 + np.log(counts.astype(np.float64))) * idf[terms]
        norms = np.sqrt(np.bincount(rows, weights=weights ** 2, minlength=size))
        weights = weights / np.where(norms > 0, norms, 1)[rows]
        order = np.lexsort((rows, terms))  # term-major: each term's postings side by side
        pointer = np.zeros(len(vocabulary) + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms, minlength=len(vocabulary)), out=pointer[1:])
        division_codes = np.array(divisions, dtype=np.int16)
        by_division = np.argsort(division_codes, kind="stable").astype(np.int32)  # each division's contracts together
        division_start = np.zeros(102, dtype=np.int64)  # code d (-1: none) starts at division_start[d + 1]
        np.cumsum(np.bincount(division_codes.astype(np.int64) + 1, minlength=101)[:101], out=division_start[1:])
        arrays = {"ids": np.array(ids, dtype=np.int64), "division": division_codes,
                  "by_division": by_division, "division_start": division_start,
                  "group": np.array(groups, dtype=np.int16), "amount": np.array(amounts, dtype=np.float64),
                  "pointer": pointer, "postings": rows[order].astype(np.int32),
                  "weights": weights[order].astype(np.float32), "idf": idf.astype(np.float32)}
        shares = {division: [count, social / count] for division, (count, social) in per_division.items() if division}
        words = [None] * len(vocabulary)
        for term, number in vocabulary.items():
            words[number] = term
        return cls(arrays, words, shares, sessions)

    # persisting ------------------------------------------------------------------------------------------

    def save(self, folder: Path, version: tuple) -> None:
        """Written in a temporary folder renamed into place: a reader never sees half an index."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
        try:
            for name, values in self.arrays.items():
                np.save(temporary / f"{name}.npy", values, allow_pickle=False)
            words = [None] * len(self.vocabulary)
            for term, number in self.vocabulary.items():
                words[number] = term
            meta = {"schema": INDEX_SCHEMA, "version": _jsonable(version), "vocabulary": words, "shares": self.shares}
            (temporary / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
            os.rename(temporary, folder)
        except OSError:  # another process wrote the same version meanwhile: theirs is as good
            shutil.rmtree(temporary, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path, version: tuple, sessions=None) -> ContractIndex | None:
        meta_file = folder / "meta.json"
        if not meta_file.is_file():
            return None
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
            if meta.get("schema") != INDEX_SCHEMA or meta.get("version") != _jsonable(version):
                return None
            arrays = {name: _load_array(folder / f"{name}.npy")
                      for name in ("ids", "division", "group", "amount", "pointer", "postings", "weights", "idf",
                                   "by_division", "division_start")}
        except (OSError, ValueError):
            logger.warning("comparable-contracts index in %s unreadable: rebuilt", folder, exc_info=True)
            return None
        return cls(arrays, meta["vocabulary"], meta["shares"], sessions)

    # querying --------------------------------------------------------------------------------------------

    def _query(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(contract positions, cosine) of the contracts that share a term with the text, from its postings only."""
        counted: dict[int, int] = {}
        for term in object_terms(text):
            if term in self.vocabulary:
                column = self.vocabulary[term]
                counted[column] = counted.get(column, 0) + 1
        if not counted:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        columns = np.fromiter(counted.keys(), dtype=np.int64, count=len(counted))
        values = (1 + np.log(np.fromiter(counted.values(), dtype=np.float64, count=len(counted)))) \
            * self.arrays["idf"][columns]
        values = values / np.sqrt((values ** 2).sum())
        pointer, postings, weights = self.arrays["pointer"], self.arrays["postings"], self.arrays["weights"]
        rows = np.concatenate([postings[pointer[c]:pointer[c + 1]] for c in columns]).astype(np.int64)
        products = np.concatenate([value * weights[pointer[c]:pointer[c + 1]] for c, value in zip(columns, values)])
        unique, inverse = np.unique(rows, return_inverse=True)
        return unique, np.bincount(inverse, weights=products, minlength=len(unique))

    def text_scores(self, text: str) -> np.ndarray:
        """Cosine of the text with every contract object."""
        scores = np.zeros(self.size)
        rows, values = self._query(text)
        scores[rows] = values
        return scores

    def similar(self, text: str, cpv: str | None = None, amount: float | None = None, top: int = 5) -> list[SimilarContract]:
        """Text similarity, plus a bonus for the same CPV division and group and for a comparable amount.

        Scored on the contracts that share a word with the lot or its CPV division (read from their postings and
        the division's slice): any other contract scores at most 0.1 (the amount), so when the best `top` score
        more, they are the best of all; otherwise every contract is scored."""
        rows, values = self._query(text)
        division = int(cpv[:2]) if cpv and cpv[:2].isdigit() else None
        if division is not None:
            start, end = self.arrays["division_start"][division + 1], self.arrays["division_start"][division + 2]
            same = np.asarray(self.arrays["by_division"][start:end], dtype=np.int64)
            candidates = np.union1d(rows, same)
            scores = np.zeros(len(candidates))
            scores[np.searchsorted(candidates, rows)] = values
        else:
            candidates, scores = rows, values.copy()
        scores = self._bonus(candidates, scores, cpv, amount)
        best = self._best(candidates, scores, top)
        if len(best) < top or (len(best) and scores[best[-1]] <= 0.1):
            return self.similar_everywhere(text, cpv, amount, top)
        return self._described(candidates[best], scores[best])

    def similar_everywhere(self, text: str, cpv: str | None = None, amount: float | None = None,
                           top: int = 5) -> list[SimilarContract]:
        """similar() with every contract scored (its reference, and its way when few contracts are close)."""
        everything = np.arange(self.size)
        scores = self._bonus(everything, self.text_scores(text), cpv, amount)
        best = self._best(everything, scores, top)
        return self._described(best, scores[best])

    def _bonus(self, rows: np.ndarray, scores: np.ndarray, cpv: str | None, amount: float | None) -> np.ndarray:
        if cpv and cpv[:2].isdigit():
            scores = scores + 0.15 * (np.asarray(self.arrays["division"][rows]) == int(cpv[:2]))
            if cpv[:3].isdigit():
                scores = scores + 0.10 * (np.asarray(self.arrays["group"][rows]) == int(cpv[:3]))
        if amount and amount > 0:
            with np.errstate(divide="ignore", invalid="ignore"):
                closeness = np.exp(-np.abs(np.log(np.asarray(self.arrays["amount"][rows]) / amount)))
            scores = scores + 0.1 * np.nan_to_num(closeness)
        return scores

    @staticmethod
    def _best(rows: np.ndarray, scores: np.ndarray, top: int) -> np.ndarray:
        """Positions (into `rows`) of the `top` best positive scores, best first, ties by contract order."""
        count = min(top, len(scores))
        if count <= 0:
            return np.zeros(0, dtype=np.int64)
        if count < len(scores):  # every contract tied with the last one kept competes on its order
            threshold = np.partition(scores, len(scores) - count)[len(scores) - count]
            best = np.flatnonzero(scores >= threshold)
        else:
            best = np.arange(len(scores))
        best = best[np.lexsort((rows[best], -scores[best]))][:count]
        return best[scores[best] > 0]

    def _described(self, positions: np.ndarray, scores: np.ndarray) -> list[SimilarContract]:
        ids = [int(self.ids[i]) for i in positions]
        rows = self._rows(ids)
        return [self._contract(rows[key], float(score)) for key, score in zip(ids, scores) if key in rows]

    def _rows(self, ids: list[int]) -> dict[int, tuple]:
        if not ids:
            return {}
        with self.sessions() as session:
            found = session.execute(select(PublicContract.id, PublicContract.objet, PublicContract.acheteur_nom,
                                           PublicContract.year, PublicContract.montant, PublicContract.cpv,
                                           PublicContract.social).where(PublicContract.id.in_(ids))).all()
        return {row[0]: row for row in found}

    @staticmethod
    def _contract(row: tuple, score: float) -> SimilarContract:
        _, objet, buyer, year, amount, cpv, social = row
        return SimilarContract(objet, buyer, year, amount, cpv, [s for s in str(social or "").split(",") if s],
                               round(score, 3))

    def social_share(self, division: str) -> tuple[int, float] | None:
        found = self.shares.get(division)
        return (int(found[0]), float(found[1])) if found else None


def _load_array(path: Path) -> np.ndarray:
    """Mapped from the file (pages read when a lot touches them); an empty array cannot be mapped."""
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError:
        return np.load(path, allow_pickle=False)


def _jsonable(version: tuple) -> list:
    return [value if isinstance(value, (int, float, str)) or value is None else str(value) for value in version]


def database_key(sessions) -> str:
    """Which database an index belongs to: its URL without password (and the engine itself for an in-memory one)."""
    engine = sessions.kw["bind"]
    url = engine.url.render_as_string(hide_password=True)
    if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
        url += f"#{id(engine)}"
    return url


def index_folder(sessions, kind: str) -> Path | None:
    """indexes/<database>-<kind> under the procure home (None for an in-memory database: nothing to keep)."""
    from procure.settings import data_home

    key = database_key(sessions)
    if "#" in key:
        return None
    return data_home() / "indexes" / f"{hashlib.sha1(key.encode()).hexdigest()[:16]}-{kind}"


def comparable_index(sessions) -> ContractIndex | None:
    """The comparable-contracts index of the stored contracts at their current version: from this process, else
    from disk, else built (once) and kept; None when no contract is stored."""
    repository = ContractRepository(sessions)
    version = repository.version()
    if not version[0]:
        return None
    key = database_key(sessions)
    with _LOCK:
        kept = _MEMORY.get(key)
        if kept is not None and kept[0] == version:
            return kept[1]
        base = index_folder(sessions, "contracts")
        folder = base.with_name(f"{base.name}-{_version_hash(version)}") if base is not None else None
        index = ContractIndex.load(folder, version, sessions) if folder is not None else None
        if index is None:
            index = ContractIndex.build(sessions)
            if folder is not None:
                index.save(folder, version)
                _remove_stale(base, folder)
        if len(_MEMORY) >= 4:
            _MEMORY.pop(next(iter(_MEMORY)))
        _MEMORY[key] = (version, index)
        return index


def _version_hash(version: tuple) -> str:
    return hashlib.sha1(json.dumps([INDEX_SCHEMA, *_jsonable(version)]).encode()).hexdigest()[:12]


def _remove_stale(base: Path, current: Path) -> None:
    """Older versions of the same index (an import replaced them)."""
    for folder in base.parent.glob(f"{base.name}-*"):
        if folder != current and folder.is_dir() and "." not in folder.name:
            shutil.rmtree(folder, ignore_errors=True)


def forget_indexes() -> None:
    """Drop the indexes kept in this process (the files stay): the next analysis reads them from disk."""
    with _LOCK:
        _MEMORY.clear()
