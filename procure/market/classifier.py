"""CPV classifier: from the text of a lot to its CPV division (2 digits) and group (3 digits).

Word and character TF-IDF with a linear SVM per level; probabilities by a softmax of the SVM scores
whose temperature is fitted on a validation split. The held-out test split is grouped by object text
(the same object often appears several times), so no test object was seen in training.
"""
from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from procure.settings import package_or_checkout_dir
from procure.text.normalize import fold

MODELS_DIR = package_or_checkout_dir("models")
# NumPy arrays only (no pickle): loads in milliseconds without importing scikit-learn, joblib or scipy.
MODEL_FILE = "cpv_classifier.npz"
TEMPERATURES = np.geomspace(0.02, 2.0, 40)
WORD_NGRAMS, CHAR_NGRAMS = (1, 2), (2, 5)
WORD_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern
WHITE_SPACES = re.compile(r"\s\s+")


def _features():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_union

    return make_union(
        TfidfVectorizer(ngram_range=WORD_NGRAMS, sublinear_tf=True, min_df=2, max_features=40_000),
        TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True, min_df=2, max_features=60_000),
    )


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def word_terms(text: str) -> list[str]:
    """The terms of scikit-learn's word analyzer (lower case, default tokens, 1-2 grams)."""
    tokens = WORD_TOKEN.findall(text.lower())
    terms = list(tokens)
    for n in range(2, WORD_NGRAMS[1] + 1):
        terms += [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    return terms


def char_terms(text: str) -> list[str]:
    """The terms of scikit-learn's char_wb analyzer: n-grams inside space-padded words."""
    terms = []
    for word in WHITE_SPACES.sub(" ", text.lower()).split():
        padded = f" {word} "
        for n in range(CHAR_NGRAMS[0], CHAR_NGRAMS[1] + 1):
            terms += [padded[i:i + n] for i in range(max(len(padded) - n + 1, 1))]
            if len(padded) <= n:  # a short word is counted once, at its first n
                break
    return terms


@dataclass
class TfidfPart:
    """One fitted TF-IDF vectoriser as arrays: term → column, idf per column (sublinear tf, l2 norm)."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    analyzer: object

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        counts: dict[int, int] = {}
        for term in self.analyzer(text):
            column = self.vocabulary.get(term)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        columns = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        values = (np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts))) + 1) * self.idf[columns]
        norm = np.sqrt((values ** 2).sum())
        return columns, values / norm if norm > 0 else values


@dataclass
class ArrayVectorizer:
    """The word and character TF-IDF union, stacked column-wise as scikit-learn's FeatureUnion does."""

    parts: list[TfidfPart]

    def rows(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        rows = []
        for text in texts:
            offset, columns, values = 0, [], []
            for part in self.parts:
                c, v = part.row(text)
                columns.append(c + offset)
                values.append(v)
                offset += len(part.idf)
            rows.append((np.concatenate(columns), np.concatenate(values)))
        return rows


@dataclass
class LevelModel:
    """A linear scorer kept small: weights pruned to the largest ones, float32, stored by feature column
    (compressed sparse columns as three arrays) so that a text's few features pick their weights."""

    classes: np.ndarray
    indptr: np.ndarray  # column j's weights are data[indptr[j]:indptr[j + 1]] for classes rows[...]
    rows: np.ndarray
    data: np.ndarray
    intercept: np.ndarray
    temperature: float

    def scores(self, feature_rows: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        scores = np.tile(self.intercept.astype(np.float64), (len(feature_rows), 1))
        for i, (columns, values) in enumerate(feature_rows):
            starts, ends = self.indptr[columns], self.indptr[columns + 1]
            lengths = ends - starts
            if not lengths.sum():
                continue
            positions = np.repeat(ends - lengths.cumsum(), lengths) + np.arange(lengths.sum())
            np.add.at(scores[i], self.rows[positions], self.data[positions] * np.repeat(values, lengths))
        return scores

    def proba_features(self, feature_rows) -> np.ndarray:
        return softmax(self.scores(feature_rows), self.temperature)


@dataclass
class SparseLevel:
    """A fitted level during training, its weights in a scipy.sparse matrix (classes × features)."""

    classes: np.ndarray
    coef: object
    intercept: np.ndarray
    temperature: float

    def scores(self, features) -> np.ndarray:
        return np.asarray((features @ self.coef.T).todense()) + self.intercept


def _linear(features, labels: np.ndarray, keep: float) -> tuple[np.ndarray, object, np.ndarray]:
    from scipy import sparse
    from sklearn.svm import LinearSVC

    svm = LinearSVC(C=0.5).fit(features, labels)
    coef = svm.coef_ if len(svm.classes_) > 2 else np.vstack([-svm.coef_[0], svm.coef_[0]])
    intercept = svm.intercept_ if len(svm.classes_) > 2 else np.array([-svm.intercept_[0], svm.intercept_[0]])
    threshold = np.quantile(np.abs(coef), 1 - keep)
    pruned = np.where(np.abs(coef) >= threshold, coef, 0).astype(np.float32)
    return svm.classes_, sparse.csr_matrix(pruned), intercept.astype(np.float32)


def _fit_level(features, labels: np.ndarray, groups: np.ndarray, seed: int, keep: float) -> SparseLevel:
    from sklearn.model_selection import GroupShuffleSplit

    fit_index, val_index = next(GroupShuffleSplit(n_splits=1, test_size=0.15, random_state=seed).split(labels, labels, groups))
    probe = SparseLevel(*_linear(features[fit_index], labels[fit_index], keep), 1.0)
    scores = probe.scores(features[val_index])
    known = np.isin(labels[val_index], probe.classes)
    truth = np.searchsorted(probe.classes, labels[val_index][known])
    losses = [-np.log(softmax(scores[known], t)[np.arange(known.sum()), truth] + 1e-12).mean() for t in TEMPERATURES]
    temperature = float(TEMPERATURES[int(np.argmin(losses))])
    return SparseLevel(*_linear(features, labels, keep), temperature)


def split(frame, seed: int = 42):
    """Train/test split grouped by folded object text: a repeated object never straddles the two."""
    from sklearn.model_selection import GroupShuffleSplit

    texts = frame["objet"].map(fold).values
    train, test = next(GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=seed).split(texts, groups=texts))
    return frame.iloc[train], frame.iloc[test]


KEEP_WEIGHTS = 0.08  # share of SVM weights kept (largest magnitudes): the model stays a few MB


def train(frame, seed: int = 42, keep: float = KEEP_WEIGHTS) -> tuple[dict, dict]:
    """Train both levels on the training split; returns (bundle, metrics on the held-out split)."""
    frame = frame.dropna(subset=["division"]).reset_index(drop=True)
    train_frame, test_frame = split(frame, seed)
    texts = train_frame["objet"].map(fold).values
    vectorizer = _features().fit(texts)
    for _, part in vectorizer.transformer_list:
        part.stop_words_ = None  # the pruned vocabulary is only kept for introspection; it weighs megabytes
    features = vectorizer.transform(texts)
    fitted = {
        "vectorizer": vectorizer,
        "division": _fit_level(features, train_frame["division"].values, texts, seed, keep),
        "group": _fit_level(features, train_frame["group"].values, texts, seed, keep),
        "keep": keep, "trained_on": date.today().isoformat(), "train_rows": int(len(train_frame)), "test_rows": int(len(test_frame)),
        "seed": seed,
    }
    bundle = to_arrays(fitted)
    return bundle, evaluate(bundle, test_frame)


def to_arrays(fitted: dict) -> dict:
    """The shipped model from a scikit-learn one: vocabularies, idf and pruned weights as plain arrays,
    scored by the NumPy re-implementation below (tests/market/test_decp_models.py checks both agree)."""
    word, char = (part for _, part in fitted["vectorizer"].transformer_list)
    bundle = {key: value for key, value in fitted.items() if key not in ("vectorizer", "division", "group")}
    bundle["vectorizer"] = ArrayVectorizer([TfidfPart(dict(word.vocabulary_), word.idf_.copy(), word_terms),
                                            TfidfPart(dict(char.vocabulary_), char.idf_.copy(), char_terms)])
    for level in ("division", "group"):
        sparse_level: SparseLevel = fitted[level]
        by_column = sparse_level.coef.tocsc()
        by_column.sort_indices()
        bundle[level] = LevelModel(np.array([str(c) for c in sparse_level.classes], dtype=object), by_column.indptr.astype(np.int64),
                                   by_column.indices.astype(np.int32), by_column.data.astype(np.float32),
                                   np.asarray(sparse_level.intercept, dtype=np.float32), sparse_level.temperature)
    return bundle


def _transform(bundle: dict, texts: list[str]):
    return bundle["vectorizer"].rows([fold(t) for t in texts])


def evaluate(bundle: dict, test_frame) -> dict:
    texts = list(test_frame["objet"].values)
    features = _transform(bundle, texts)
    metrics = {"test_rows": len(texts)}
    for level, ks in (("division", (1, 3)), ("group", (1, 3))):
        model: LevelModel = bundle[level]
        proba = model.proba_features(features)
        order = np.argsort(-proba, axis=1)
        truth = test_frame[level].values
        for k in ks:
            hits = [truth[i] in model.classes[order[i, :k]] for i in range(len(texts))]
            metrics[f"{level}_top{k}"] = round(float(np.mean(hits)), 3)
    division = bundle["division"]
    predicted = division.classes[np.argmax(division.proba_features(features), axis=1)]
    truth = test_frame["division"].values
    pairs: dict[tuple[str, str], int] = {}
    for t, p in zip(truth, predicted):
        if t != p:
            pairs[(t, p)] = pairs.get((t, p), 0) + 1
    metrics["top_confusions"] = [{"true": t, "predicted": p, "count": c}
                                 for (t, p), c in sorted(pairs.items(), key=lambda item: -item[1])[:10]]
    return metrics


META_KEYS = ("keep", "trained_on", "train_rows", "test_rows", "seed")


def save(bundle: dict, metrics: dict, folder: Path = MODELS_DIR, data_description: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MODEL_FILE
    write_arrays(bundle, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    (folder / "cpv_classifier.metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
    (folder / "MODEL_CARD.md").write_text(_card(bundle, metrics, data_description, path, digest), encoding="utf-8")
    return path


def write_arrays(bundle: dict, path: Path) -> None:
    arrays = {"meta": np.array(json.dumps({key: bundle[key] for key in META_KEYS}))}
    for name, part in zip(("word", "char"), bundle["vectorizer"].parts):
        terms = sorted(part.vocabulary, key=part.vocabulary.get)  # column order
        arrays[f"{name}_terms"], arrays[f"{name}_idf"] = np.array(terms, dtype=str), part.idf
    for level in ("division", "group"):
        model: LevelModel = bundle[level]
        arrays.update({f"{level}_classes": model.classes.astype(str), f"{level}_indptr": model.indptr, f"{level}_rows": model.rows,
                       f"{level}_data": model.data, f"{level}_intercept": model.intercept,
                       f"{level}_temperature": np.array(model.temperature)})
    with path.open("wb") as out:
        np.savez_compressed(out, **arrays)


def read_arrays(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as arrays:
        bundle = json.loads(str(arrays["meta"]))
        parts = []
        for name, analyzer in (("word", word_terms), ("char", char_terms)):
            terms = arrays[f"{name}_terms"].tolist()
            parts.append(TfidfPart(dict(zip(terms, range(len(terms)))), arrays[f"{name}_idf"], analyzer))
        bundle["vectorizer"] = ArrayVectorizer(parts)
        for level in ("division", "group"):
            classes = np.array(arrays[f"{level}_classes"].tolist(), dtype=object)  # plain str, as scikit-learn's
            bundle[level] = LevelModel(classes, arrays[f"{level}_indptr"], arrays[f"{level}_rows"],
                                       arrays[f"{level}_data"], arrays[f"{level}_intercept"],
                                       float(arrays[f"{level}_temperature"]))
    return bundle


def _card(bundle: dict, metrics: dict, data_description: str, path: Path, digest: str) -> str:
    confusions = "\n".join(f"| {c['true']} | {c['predicted']} | {c['count']} |" for c in metrics["top_confusions"])
    return f"""# Fiche du modèle : classification CPV des lots

- Fichier : `{path.name}` ({path.stat().st_size / 1e6:.1f} Mo, sha256 {digest}…), entraîné le {bundle['trained_on']}
  par `procure models train` (graine {bundle['seed']}).
- Tâche : à partir du texte d'un lot (objet, intitulé), prédire la division CPV (2 chiffres) et le groupe
  (3 chiffres), avec une probabilité.
- Données : {data_description or 'DECP'}. Nettoyage : codes CPV réparés (zéro initial perdu, chiffre de
  contrôle), accents cassés (U+FFFD) remplacés par « é », doublons (id, objet, montant) retirés, textes repliés
  (minuscules sans accents).
- Découpage : {bundle['train_rows']} lignes d'entraînement, {metrics['test_rows']} lignes de test mises de côté,
  groupées par texte d'objet : aucun objet du test n'apparaît à l'entraînement (les objets répétés, nombreux dans
  les DECP, gonfleraient sinon les scores).
- Modèle : TF-IDF mots (1-2 grammes, 40 000 termes) + caractères (2-5 grammes, 60 000), SVM linéaire (C = 0,5)
  par niveau dont seuls les {bundle.get('keep', KEEP_WEIGHTS):.0%} plus grands poids sont gardés (matrice creuse
  float32 : le fichier reste petit et se charge vite ; les scores ci-dessous sont ceux du modèle élagué livré) ;
  probabilités par softmax des scores, température ajustée sur 15 % de l'entraînement
  (division : {bundle['division'].temperature:.3f} ; groupe : {bundle['group'].temperature:.3f}).
- Format : tableaux NumPy compressés (`.npz`, sans pickle) : vocabulaires (termes dans l'ordre des colonnes) et
  idf des deux TF-IDF, puis par niveau classes, constantes, température et poids gardés en colonnes creuses
  (`indptr`, `rows`, `data`, float32). L'inférence est une réécriture NumPy du TF-IDF et du score linéaire de
  scikit-learn (mêmes probabilités, vérifié par `tests/market/test_decp_models.py`) : ni scikit-learn, ni joblib, ni
  scipy ne sont importés pour prédire. L'entraînement (`procure models train`) reste sur scikit-learn.

## Résultats sur le test mis de côté

| niveau | top-1 | top-3 |
|---|---|---|
| division (2 chiffres) | {metrics['division_top1']:.3f} | {metrics['division_top3']:.3f} |
| groupe (3 chiffres) | {metrics['group_top1']:.3f} | {metrics['group_top3']:.3f} |

Repères de la littérature (avis de marchés) : TF-IDF et modèles linéaires ou forêts ≈ 0,60–0,65 top-1 en
division ; transformeurs affinés ≈ 0,74–0,78. Objectif visé : 0,80 top-1 / 0,93 top-3 en division, **non atteint**.

## Confusions les plus fréquentes (division réelle → prédite)

| réelle | prédite | nombre |
|---|---|---|
{confusions}

## Limites connues

- Les DECP 2018-2021 sont dominées par les travaux (division 45) : les divisions rares sont mal apprises.
- Les objets sont courts et souvent génériques (« Marché de travaux lot 3 ») : le texte du CCTP, quand il est
  fourni, n'est pas encore utilisé.
- Les acheteurs choisissent parfois des CPV approximatifs : une partie des « erreurs » sont des étiquettes discutables.
- Un CPV déclaré n'est signalé comme douteux que si le modèle lui donne moins de 2 % tout en étant sûr à plus
  de 60 % d'une autre division : le signal est prudent, il ne corrige rien.
"""


@functools.lru_cache(maxsize=2)
def load(path: str | None = None) -> dict | None:
    file = Path(path) if path else MODELS_DIR / MODEL_FILE
    return read_arrays(file) if file.is_file() else None


@dataclass
class Prediction:
    division: str
    division_probability: float
    group: str
    group_probability: float
    alternatives: list[tuple[str, float]]
    distribution: dict[str, float]  # every division's probability, to judge a declared code without rescoring

    def probability_of(self, division: str) -> float:
        return self.distribution.get(division, 0.0)


def predict(text: str, bundle: dict | None = None) -> Prediction | None:
    bundle = bundle or load()
    if bundle is None or not text.strip():
        return None
    division_model, group_model = bundle["division"], bundle["group"]
    features = _transform(bundle, [text])
    division_proba = division_model.proba_features(features)[0]
    group_proba = group_model.proba_features(features)[0]
    order = np.argsort(-division_proba)
    division = division_model.classes[order[0]]
    # The group must belong to the predicted division when one does.
    in_division = [i for i, g in enumerate(group_model.classes) if g.startswith(division)]
    best_group = max(in_division, key=lambda i: group_proba[i]) if in_division else int(np.argmax(group_proba))
    return Prediction(division, float(division_proba[order[0]]), group_model.classes[best_group],
                      float(group_proba[best_group]),
                      [(division_model.classes[i], float(division_proba[i])) for i in order[1:3]],
                      dict(zip(division_model.classes, map(float, division_proba))))
