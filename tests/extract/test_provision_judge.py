"""The provision judge: NumPy inference identical to scikit-learn, no scikit-learn at run time, and its
cross-validated figures held by a ratchet (bench/eval_provision_sentences.py, bench/provision_sentences_ratchet.json).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import benches
import numpy as np
import pytest

from procure.extract import provision_judge
from procure.extract.candidates import candidates, sentences

REPO = Path(__file__).resolve().parents[2]
RATCHET = benches.ratchet("provision_sentences_ratchet")
sys.path.insert(0, str(REPO / "scripts"))


def test_char_and_word_ngrams_are_those_of_scikit_learn():
    from sklearn.feature_extraction.text import TfidfVectorizer

    text = "le titulaire realise 1 800 heures d'insertion  (l. 2112-2) a b zzinsertion"
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=False).build_analyzer()
    word = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), lowercase=False).build_analyzer()
    assert provision_judge.char_wb_ngrams(text, 2, 5) == char(text)
    assert provision_judge.word_ngrams(text, 1, 2) == word(text)


def test_numpy_probabilities_equal_scikit_learn_ones():
    import provision_sentences
    import train_provision_judge

    records = provision_sentences.written_records()
    arrays, fitted = train_provision_judge.fit(records)
    assert train_provision_judge.check_same_as_sklearn(arrays, fitted, records) < 1e-9


def test_loading_the_shipped_judge_does_not_import_scikit_learn():
    code = ("import sys; from procure.extract import provision_judge as p; m = p.load_model(); "
            "assert m is not None; print(len(m.kinds), 'sklearn' in sys.modules)")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO).stdout
    assert output.split() == ["8", "False"]


def test_shipped_judge_reads_an_unseen_wording_and_vetoes_a_question():
    verdicts = provision_judge.judge(
        ["les conditions d'execution du marche comportent une clause favorisant le retour a l'emploi de chomeurs de longue duree.",
         "combien d'heures d'insertion faut-il realiser pour le lot 2 ?",
         "clause sociale : sans"],
        ["CCAP", "QR", "AVIS"], [False, True, False])
    assert set(verdicts[0]) == {provision_judge.ProvisionKind.INSERTION_CLAUSE}
    assert verdicts[1] == {} and verdicts[2] == {}


def test_sentences_survive_glued_stops_cells_hyphenation_and_wrapped_lines():
    text = ("La visite est facultative.L'exécution du marché comprend une clause d'inser-\ntion obligatoire de 300\n"
            "heures (cf. article 8 du CCAP, L. 2112-2).\nCritère | Pondération\n"
            "Performances en matière de protection de l'environnement et d'insertion professionnelle | 10 %")
    found = [s.text for s in sentences(text)]
    assert "L'exécution du marché comprend une clause d'insertion obligatoire de 300 heures (cf. article 8 du CCAP, "\
           "L. 2112-2)." in found
    assert "La visite est facultative." in found
    assert [s.text for s in candidates(text)][-1].startswith("Performances en matière de protection")


def test_cross_validated_figures_do_not_fall():
    root = Path(os.environ.get("PROCURE_SHARED_DATA") or REPO.parent / "shared" / "data") / "dce-real"
    if not root.is_dir():
        pytest.skip(f"appels d'offres réels absents ({root}) : définir PROCURE_SHARED_DATA")
    result = benches.load("eval_provision_sentences").evaluate(RATCHET["folds"])
    for level in ("by_sentence", "by_tender"):
        for measure in ("precision", "recall", "f1"):
            floor = RATCHET[level][measure]
            value = result[level]["overall"][measure]
            assert value >= floor - 1e-9, f"{level} {measure} {value:.3f} < {floor}"
    assert np.isfinite(result["by_sentence"]["overall"]["f1"])


def test_inline_numbered_list_stays_one_sentence_but_a_number_ending_a_sentence_still_ends_it():
    listed = [s.text for s in sentences("Critères : 1. Prix (50) 2. Valeur technique (40) 3. Insertion (10).")]
    assert listed == ["Critères : 1. Prix (50) 2. Valeur technique (40) 3. Insertion (10)."]
    assert len(list(sentences("La clause porte sur le lot 2. Le titulaire réalise 300 heures."))) == 2


def test_a_checked_yes_box_is_no_negative_answer():
    assert not provision_judge.vetoed("presence d'une clause d'insertion : oui ☒ non ☐", "AE")
    assert not provision_judge.vetoed("clause sociale : ☒ oui ☐ non", "AE")
    assert provision_judge.vetoed("clause sociale : ☐ oui ☒ non", "AE")
    assert provision_judge.vetoed("clause sociale : oui ☐ non ☒", "AE")
