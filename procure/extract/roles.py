"""What each piece of a tender is (RC, CCAP, CCTP, notice, candidate form…), from its first page, not its name.

The first role title on the first page decides: every RC lists the other pieces and BPU cover sheets name
the DQE too, so "any mention" would be wrong. Candidate forms and answer frames never yield provisions.
"""
from __future__ import annotations

import re
from pathlib import Path

from procure.text.nlp import fold_aligned

NOTICE_RE = re.compile(
    r"\bavis\s+n\s*[o°º]?\s*\d{2}-\d{4,}|\bannonce\s+n\s*[o°º]\s*\d{2}-\d+|avis\s+d'appel\s+public\s+a\s+la\s+concurrence|"
    r"\bavis\s+de\s+marche\b|directive\s+2014/2[45]/ue|l'essentiel\s+du\s+marche|bulletin\s+officiel\s+des\s+annonces"
)
# Role titles, as they stand on a title page (folded; dots and spaces of acronyms tolerated).
ROLE_TITLES = [
    ("CANDIDATURE", r"lettre\s+de\s+candidature|declaration\s+du\s+candidat|document\s+unique\s+de\s+marche\s+europeen|"
                    r"\bdume\b|formulaire\s+dc\s?[124]\b|\bdc\s?[124]\s*[-–:]|cadre\s+de\s+reponse|memoire\s+technique\s*[-–:]?\s*$|"
                    r"declaration\s+de\s+sous-traitance"),
    ("QR", r"questions?\s*[/-]\s*reponses?|\bquestion\s+n\s*[°o]\s*\d|reponses?\s+aux\s+questions"),
    ("RC", r"r\s*e\s*g\s*l\s*e\s*m\s*e\s*n\s*t\s+d[eu]\s+(?:la\s+)?consultation|\br\.?\s?c\.?\s*$"),
    ("CCAP", r"cahier\s+des\s+clauses\s+administratives(?:\s+particulieres)?|\bc\.?\s?c\.?\s?a\.?\s?p\b"),
    ("CCTP", r"cahier\s+des\s+clauses\s+techniques(?:\s+particulieres)?|\bc\.?\s?c\.?\s?t\.?\s?p\b"),
    ("CCP", r"cahier\s+des\s+(?:clauses\s+)?(?:charges\s+)?particulieres|\bc\.?\s?c\.?\s?p\.?\b"),
    ("AE", r"acte\s+d'\s*engagement|\battri\s?1\b"),
    ("BPU", r"borde?reau\s+(?:des\s+)?(?:de\s+)?prix(?:\s+unitaires?)?|\bb\.?\s?p\.?\s?u\b"),
    ("DPGF", r"decomposition\s+du\s+prix\s+global|\bd\.?\s?p\.?\s?g\.?\s?f\b"),
    ("DQE", r"detail\s+quantitatif\s+estimatif|\bd\.?\s?q\.?\s?e\b"),
    ("CONTRAT", r"^\s*contrat\s+(?:de|d')"),
    ("ANNEXE", r"^\s*annexe\b"),
]
FILENAME_ROLES = {"RC": "RC", "CCAP": "CCAP", "CCTP": "CCTP", "CCP": "CCP", "AE": "AE", "ATTRI1": "AE", "BPU": "BPU",
                  "DPGF": "DPGF", "DQE": "DQE", "DC1": "CANDIDATURE", "DC2": "CANDIDATURE", "DUME": "CANDIDATURE",
                  "AAPC": "AVIS", "AVIS": "AVIS"}
HEAD_CHARS = 1500
# Pieces that state the contract; candidate forms and answer frames only ask questions.
NO_PROVISION_ROLES = {"CANDIDATURE"}


def classify(name: str, head: str) -> str:
    """Role of a piece from the text of its first page(s) (`head`), the file name only as a last resort."""
    folded = fold_aligned(head[:HEAD_CHARS])
    if NOTICE_RE.search(folded[:600]):
        return "AVIS"
    best: tuple[int, str] | None = None
    for role, pattern in ROLE_TITLES:
        match = re.search(pattern, folded, re.M)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), role)
    if best is not None:
        return best[1]
    tokens = [t.upper() for t in re.split(r"[^A-Za-z0-9]+", Path(name).stem)]
    for token in tokens:
        if token in FILENAME_ROLES:
            return FILENAME_ROLES[token]
    if re.search(r"date\s+(?:et\s+heure\s+)?limites?\s+de\s+(?:remise|reception)", folded):
        return "RC"
    return "AUTRE"


def layout_of(folded: str) -> str:
    """An eForms notice (since 2023), the BOAMP print of the EU standard form, the national BOAMP form, or an
    ordinary document."""
    from procure.extract.eforms import is_eforms

    if is_eforms(folded):
        return "eforms"
    if re.search(r"section\s+i\s*:", folded) and re.search(r"ii\.1\.1\)", folded):
        return "eu_form"
    if re.search(r"avis\s+d'appel\s+public\s+a\s+la\s+concurrence|nom\s+et\s+adresse\s+officiels\s+de\s+l'organisme", folded):
        return "national_form"
    return "document"
