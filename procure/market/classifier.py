"""CPV classifier: from the text of a lot to its CPV division (2 digits) and group (3 digits).

Word and character TF-IDF with a linear SVM per level; probabilities by a softmax of the SVM scores
whose temperature is fitted on a validation split. The held-out test split is grouped by object text
(the same object often appears several times), so no test object was seen in training.
"""
from __future__ import annotations

import functools
import hashlib
import json
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from procure.settings import package_or_checkout_dir
from procure.text.normalize import fold

MODELS_DIR = package_or_checkout_dir("models")
MODEL_FILE = "cpv_classifier.joblib"
TEMPERATURES = np.geomspace(0.02, 2.0, 40)


def _features():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_union

    return make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, max_features=40_000),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, max_features=60_000),
    )


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class LevelModel:
    """A linear scorer kept small: weights pruned to the largest ones, sparse, in float32."""

    classes: np.ndarray
    coef: object  # scipy.sparse.csr_matrix, classes × features
    intercept: np.ndarray
    temperature: float

    def scores(self, features) -> np.ndarray:
        return np.asarray((features @ self.coef.T).todense()) + self.intercept

    def proba_features(self, features) -> np.ndarray:
        return softmax(self.scores(features), self.temperature)


def _linear(features, labels: np.ndarray, keep: float) -> tuple[np.ndarray, object, np.ndarray]:
    from scipy import sparse
    from sklearn.svm import LinearSVC

    svm = LinearSVC(C=0.5).fit(features, labels)
    coef = svm.coef_ if len(svm.classes_) > 2 else np.vstack([-svm.coef_[0], svm.coef_[0]])
    intercept = svm.intercept_ if len(svm.classes_) > 2 else np.array([-svm.intercept_[0], svm.intercept_[0]])
    threshold = np.quantile(np.abs(coef), 1 - keep)
    pruned = np.where(np.abs(coef) >= threshold, coef, 0).astype(np.float32)
    return svm.classes_, sparse.csr_matrix(pruned), intercept.astype(np.float32)


def _fit_level(features, labels: np.ndarray, groups: np.ndarray, seed: int, keep: float) -> LevelModel:
    from sklearn.model_selection import GroupShuffleSplit

    fit_index, val_index = next(GroupShuffleSplit(n_splits=1, test_size=0.15, random_state=seed).split(labels, labels, groups))
    classes, coef, intercept = _linear(features[fit_index], labels[fit_index], keep)
    probe = LevelModel(classes, coef, intercept, 1.0)
    scores = probe.scores(features[val_index])
    known = np.isin(labels[val_index], classes)
    truth = np.searchsorted(classes, labels[val_index][known])
    losses = [-np.log(softmax(scores[known], t)[np.arange(known.sum()), truth] + 1e-12).mean() for t in TEMPERATURES]
    temperature = float(TEMPERATURES[int(np.argmin(losses))])
    return LevelModel(*_linear(features, labels, keep), temperature)


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
    bundle = {
        "vectorizer": vectorizer,
        "division": _fit_level(features, train_frame["division"].values, texts, seed, keep),
        "group": _fit_level(features, train_frame["group"].values, texts, seed, keep),
        "keep": keep, "trained_on": date.today().isoformat(), "train_rows": int(len(train_frame)), "test_rows": int(len(test_frame)),
        "seed": seed,
    }
    return bundle, evaluate(bundle, test_frame)


def _transform(bundle: dict, texts: list[str]):
    return bundle["vectorizer"].transform([fold(t) for t in texts])


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


def save(bundle: dict, metrics: dict, folder: Path = MODELS_DIR, data_description: str = "") -> Path:
    import joblib

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MODEL_FILE
    joblib.dump(bundle, path, compress=3)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    (folder / "cpv_classifier.metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
    (folder / "MODEL_CARD.md").write_text(_card(bundle, metrics, data_description, path, digest), encoding="utf-8")
    return path


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
    import joblib

    file = Path(path) if path else MODELS_DIR / MODEL_FILE
    # The committed model was pickled when this module was procure.classifier (before the layout change).
    sys.modules.setdefault("procure.classifier", sys.modules[__name__])
    return joblib.load(file) if file.is_file() else None


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
