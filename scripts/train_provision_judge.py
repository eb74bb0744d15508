"""Train the provision judge with scikit-learn and ship its weights as NumPy arrays (models/provision_judge.npz).

Usage:
    PROCURE_SHARED_DATA=../shared/data python scripts/train_provision_judge.py

Data: `scripts/provision_sentences.py` (real candidate sentences of dce-real labelled by their expected quotes,
plus the hand-labelled sentences of models/provision_sentences/). Model: TF-IDF of character n-grams (2–5, inside
words) and of words (1–2), then one logistic regression per provision kind (one-vs-rest: a sentence may state two
kinds, or none). The arrays hold the vocabularies, idf, coefficients and thresholds; `procure.extract.
provision_judge` applies them with NumPy alone, and this script checks that both give the same probabilities.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).resolve().parent))
import provision_sentences  # noqa: E402

from procure.extract.provision_judge import MODEL_FILE, JudgeModel, concept_features, judge_text  # noqa: E402

CHAR_RANGE = (2, 5)
WORD_RANGE = (1, 2)
C = 30.0
THRESHOLD = 0.2
SEED = 0


def vectorizers():
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_RANGE, lowercase=False, sublinear_tf=True, min_df=1, dtype=np.float64)
    word = TfidfVectorizer(analyzer="word", ngram_range=WORD_RANGE, lowercase=False, sublinear_tf=True, min_df=1, dtype=np.float64)
    return char, word


def fit(records, kinds=provision_sentences.KINDS, threshold: float = THRESHOLD) -> dict[str, np.ndarray]:
    """Fitted weights as the arrays `JudgeModel.from_arrays` reads."""
    texts = [judge_text(r.text) for r in records]
    char, word = vectorizers()
    concepts = csr_matrix(np.vstack([concept_features(r.text) for r in records]))
    features = hstack([char.fit_transform(texts), word.fit_transform(texts), concepts]).tocsr()
    coef, intercept = [], []
    for kind in kinds:
        labels = np.array([kind in r.kinds for r in records], dtype=int)
        if labels.sum() == 0:  # a kind with no example in this fold: never predicted
            coef.append(np.zeros(features.shape[1]))
            intercept.append(-10.0)
            continue
        model = LogisticRegression(C=C, class_weight="balanced", max_iter=2000, random_state=SEED)
        model.fit(features, labels)
        coef.append(model.coef_[0])
        intercept.append(float(model.intercept_[0]))
    char_vocab = sorted(char.vocabulary_, key=char.vocabulary_.get)
    word_vocab = sorted(word.vocabulary_, key=word.vocabulary_.get)
    return {
        "kinds": np.array(kinds), "char_vocab": np.array(char_vocab), "char_idf": char.idf_.astype(np.float64),
        "char_range": np.array(CHAR_RANGE), "word_vocab": np.array(word_vocab), "word_idf": word.idf_.astype(np.float64),
        "word_range": np.array(WORD_RANGE), "coef": np.vstack(coef).astype(np.float32), "intercept": np.array(intercept),
        "thresholds": np.full(len(kinds), threshold),
    }, (char, word, features)


def check_same_as_sklearn(arrays, fitted, records) -> float:
    """Largest gap between the NumPy inference and scikit-learn's vectorisers on the training sentences."""
    char, word, _ = fitted
    model = JudgeModel.from_arrays(arrays)
    texts = [r.text for r in records[:200]]
    seen = [judge_text(t) for t in texts]
    concepts = np.vstack([concept_features(t) for t in texts])
    reference = np.hstack([hstack([char.transform(seen), word.transform(seen)]).toarray(), concepts])
    scores = reference @ np.asarray(arrays["coef"], dtype=np.float64).T + arrays["intercept"]
    expected = 1 / (1 + np.exp(-scores))
    return float(np.abs(model.probabilities(texts) - expected).max())


def main() -> None:
    records = provision_sentences.dataset()
    arrays, fitted = fit(records)
    gap = check_same_as_sklearn(arrays, fitted, records)
    if gap > 1e-4:
        raise SystemExit(f"NumPy inference differs from scikit-learn by {gap}")
    path = Path(__file__).resolve().parents[1] / "models" / MODEL_FILE
    np.savez_compressed(path, **arrays)
    positives = sum(1 for r in records if r.kinds)
    print(f"{len(records)} sentences ({positives} stating a provision), {len(arrays['char_vocab'])} + "
          f"{len(arrays['word_vocab'])} features, max gap to scikit-learn {gap:.2e}, written {path} "
          f"({path.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
