"""Folding keeps every offset: lower case without accents, one character for one, whatever the text."""

import pytest

from procure.text.nlp import _folded_char, fold_aligned


def per_character(text: str) -> str:
    return "".join(_folded_char(ch) for ch in text)


@pytest.mark.parametrize("text", [
    "Clause d'INSERTION : 1 200 heures", "ÉCOLE Œuvre ÇA À Noël", "l’exécution", "İstanbul ÉCOLE",
    "Kelvin \u212a", "ﬁnancement ß", "plain ascii only", "", "…« guillemets » – tiret",
])
def test_folding_is_the_per_character_fold(text):
    folded = fold_aligned(text)
    assert len(folded) == len(text)
    assert folded == per_character(text)


def test_accents_and_case_are_gone():
    assert fold_aligned("Personnes ÉLOIGNÉES de l’emploi") == "personnes eloignees de l'emploi"
