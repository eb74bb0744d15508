"""The nature a piece declares for the contract: works, supplies or services.

The CPV code alone misleads (VRV air-conditioning works coded 42512000, a supply; photovoltaic installation lots of
a works notice coded 09331200), while the forms state the nature in a field of their own: « II.1.3) Type de
marché : Travaux » (European form), « Type de marché de travaux : exécution » and the nature line under the
announcement number (BOAMP national form), « Type de marché : services » (an RC's summary). Free text is read
only in a sentence that says what the contract is (« Le présent marché est un marché de travaux »), never in a
passing mention. Social and other specific services are never declared here: the law derives them from the CPV.
"""
from __future__ import annotations

import re

from procure.extract.document import DocText
from procure.extract.reading import Found
from procure.vocabulary import ContractNature

NATURE_WORDS = {"travaux": ContractNature.WORKS, "services": ContractNature.SERVICES,
                "fournitures": ContractNature.SUPPLIES, "prestations de services": ContractNature.SERVICES}
_WORD = r"(travaux|services|fournitures|prestations\s+de\s+services)"

# A form's field: « II.1.3) Type de marché\nServices », « Type de marché : Travaux », « Type de marché de
# fournitures : achat », « Nature du marché : services ». The value is the field's whole value (its line ends there,
# or « : achat / exécution » follows), not the start of a sentence (« Type de marché : services et fournitures »).
FORM_FIELD_RE = re.compile(
    r"(?:^|\n|\.\s)[ \t]*(?:(?:article\s+)?[ivx\d]+(?:\.\d+)*\)?\.?\s*[-–]?\s*)?(?:type|nature)\s+d[eu]\s+(?:marche|contrat)s?"
    r"(?:\s*:\s*|\s*\n\s*|\s+(?=(?:de\s+)?(?:travaux|services|fournitures)\s*:)|"
    # the forms of 2011: « II.1.2) Type de marché et lieu d'exécution des travaux, de livraison des fournitures ou
    # de prestation des services : Travaux »
    r"\s+et\s+lieu\s+d'execution\s+des\s+travaux,?\s+de\s+livraison\s+des\s+fournitures\s+ou\s+de\s+prestation\s+"
    r"des\s+services\s*:?\s*)(?:(?:marche|accord-cadre)\s+(?:public\s+)?)?(?:de\s+)?" + _WORD +
    r"(?=\s*(?:\.|;)?\s*(?:\n|$)|\s*:\s*(?:achat|execution|location|credit-bail|conception|realisation|"
    r"location-vente|[a-z ,'-]{0,40}(?:\n|$))|\s*[.,]\s*(?:execution|achat|categorie\s+de\s+services)\b)")
# The BOAMP national form prints the nature alone on the line under « Annonce No 20-101465 ».
BOAMP_LINE_RE = re.compile(r"(?:^|\n)\s*annonce\s+n[o°]\s*[\d-]+\s*\n\s*(travaux|services|fournitures)\s*(?:\n|$)")
# A sentence that says what the contract is; a title line « MARCHÉ PUBLIC DE TRAVAUX » alone on its line.
SENTENCE_RE = re.compile(
    r"(?:le\s+present|ce|le)\s+(?:marche|accord-cadre|contrat)(?:\s+public)?\s+(?:est|constitue)\s+un\s+"
    r"(?:marche|accord-cadre)(?:\s+public)?\s+de\s+" + _WORD + r"\b(?!(?:\s+courantes)?\s*(?:et|ou|,)\s+(?:de\s+)?(?:travaux|services|"
    r"fournitures|prestations))|il\s+s'agit\s+d'un\s+(?:marche|accord-cadre)(?:\s+public)?\s+de\s+" + _WORD +
    r"\b(?!(?:\s+courantes)?\s*(?:et|ou|,)\s+(?:de\s+)?(?:travaux|services|fournitures|prestations))|"
    r"la\s+presente\s+consultation\s+(?:concerne|porte\s+sur)\s+un\s+(?:marche|accord-cadre)(?:\s+public)?\s+de\s+" + _WORD +
    r"\b(?!(?:\s+courantes)?\s*(?:et|ou|,)\s+(?:de\s+)?(?:travaux|services|fournitures|prestations))")
TITLE_LINE_RE = re.compile(r"(?:^|\n)[ \t]*(?:marches?|accords?-cadres?)\s+(?:publics?\s+)?de\s+(travaux|services|fournitures)"
                           r"[ \t]*(?=\n|$)")
NEGATION_RE = re.compile(r"\bn'(?:est|constitue)\s+pas\b|\bne\s+constitue\s+pas\b|\bn'est\s+ni\b")
TITLE_PAGE_CHARS = 2500
# Free text ranks behind a form field of the same piece.
FREE_TEXT_OFFSET = 0.5


def read_declared_nature(doc: DocText, rank: float) -> Found | None:
    """The nature the piece declares: its form field, else one sentence or title line saying it (every such
    statement of the piece agreeing: two natures in the free text of one piece say nothing)."""
    for pattern in (FORM_FIELD_RE, BOAMP_LINE_RE):
        match = pattern.search(doc.folded)
        if match:
            return _found(doc, match, rank)
    stated = [m for m in SENTENCE_RE.finditer(doc.folded) if not _denied(doc.folded, m)]
    stated += list(TITLE_LINE_RE.finditer(doc.folded[:TITLE_PAGE_CHARS]))
    natures = {_nature(m) for m in stated}
    if len(natures) != 1:
        return None
    return _found(doc, min(stated, key=lambda m: m.start()), rank + FREE_TEXT_OFFSET)


def _nature(match: re.Match[str]) -> ContractNature:
    word = next(g for g in match.groups() if g)
    return NATURE_WORDS[" ".join(word.split())]


def _found(doc: DocText, match: re.Match[str], rank: float) -> Found:
    group = next(i for i, g in enumerate(match.groups(), 1) if g)
    return Found(_nature(match), doc.evidence(match.start(group), match.end(group)), rank)


def _denied(folded: str, match: re.Match[str]) -> bool:
    return bool(NEGATION_RE.search(folded[match.start() : match.end()]))
