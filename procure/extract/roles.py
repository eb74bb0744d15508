"""What each piece of a tender is (RC, CCAP, CCTP, notice, candidate form…), from its first page, not its name.

The first role title on the first page decides: every RC lists the other pieces and BPU cover sheets name
the DQE too, so "any mention" would be wrong. Candidate forms and answer frames never yield provisions.
"""
from __future__ import annotations

import re
from pathlib import Path

from procure.text.nlp import fold_aligned
from procure.vocabulary import DocumentRole

NOTICE_RE = re.compile(
    r"\bavis\s+n\s*[o°º]?\s*\d{2}-\d{4,}|\bannonce\s+n\s*[o°º]\s*\d{2}-\d+|avis\s+d'appel\s+public\s+a\s+la\s+concurrence|"
    r"\bavis\s+de\s+marche\b|directive\s+2014/2[45]/ue|l'essentiel\s+du\s+marche|bulletin\s+officiel\s+des\s+annonces"
)
# Role titles, as they stand on a title page (folded; dots and spaces of acronyms tolerated), in the order of
# procure.vocabulary.DocumentRole (the first wins when two start at the same place); file-name tokens likewise.
ROLE_TITLES: list[tuple[DocumentRole, str]] = [(role, role.traits.title) for role in DocumentRole
                                               if role.traits.title is not None]
FILENAME_ROLES: dict[str, DocumentRole] = {token: role for role in DocumentRole for token in role.traits.filename_tokens}
# A register of questions and answers, whatever its title: several numbered questions, each followed by an answer.
QUESTION_LINE_RE = re.compile(r"^\s*(?:question|q)\s*(?:n\s*[°o]\s*)?\d{1,3}\b", re.M)
ANSWER_LINE_RE = re.compile(r"^\s*(?:reponse|r)\s*(?:n\s*[°o]\s*)?\d{0,3}\s*(?:de\s+l'acheteur|du\s+pouvoir\s+adjudicateur)?\s*[:.\-–]", re.M)
# A "Contrat" whose first pages carry the administrative clauses and the act of commitment (one piece standing for
# CCAP and AE, as State services and some buyers draft it).
CONTRACT_TITLE_RE = re.compile(r"^\s*contrat\b(?!\s+de\s+travail)", re.M)
ADMINISTRATIVE_RE = re.compile(r"clauses\s+administratives|conditions\s+administratives|dispositions\s+administratives")
COMMITMENT_RE = re.compile(r"acte\s+d'\s*engagement|\bengagement\s+du\s+(?:titulaire|candidat|soumissionnaire)|"
                           r"(?:le\s+titulaire|le\s+soumissionnaire|je\s+soussigne|nous\s+soussignes)\s+s'engagen?t?|\bsignature\s+du\s+(?:titulaire|contrat)")
# A price schedule recognised by its table header when no title names it.
PRICE_HEADER_RE = re.compile(r"designation[^\n]{0,80}?\bunite\b[^\n]{0,80}?prix\s+(?:unitaire|u\.?\s)|"
                             r"designation[^\n]{0,80}?\bquantite\b[^\n]{0,80}?prix|\bprix\s+unitaire\b[^\n]{0,60}?\bquantite\b")
HEAD_CHARS = 1500
# Pieces that state the contract; candidate forms and answer frames only ask questions.
NO_PROVISION_ROLES = frozenset(role for role in DocumentRole if not role.yields_provisions)


def classify(name: str, head: str) -> DocumentRole:
    """Role of a piece from the text of its first page(s) (`head`), the file name only as a last resort."""
    folded = fold_aligned(head[:HEAD_CHARS])
    if NOTICE_RE.search(folded[:600]):
        return DocumentRole.AVIS
    by_content = _role_by_content(folded)
    if by_content:
        return by_content
    best: tuple[int, DocumentRole] | None = None
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
        return DocumentRole.RC
    return _price_schedule(folded) or DocumentRole.AUTRE


def _role_by_content(folded: str) -> DocumentRole | None:
    """Roles a title alone misses: a Q&A register quotes "CCTP" before its own title, a "Contrat" names no role."""
    if len(QUESTION_LINE_RE.findall(folded)) >= 2 or (QUESTION_LINE_RE.search(folded) and ANSWER_LINE_RE.search(folded)):
        return DocumentRole.QR
    title = CONTRACT_TITLE_RE.search(folded[:800])
    if title and ADMINISTRATIVE_RE.search(folded) and COMMITMENT_RE.search(folded):
        return DocumentRole.CONTRAT
    return None


def _price_schedule(folded: str) -> DocumentRole | None:
    """"Désignation | Unité | Prix unitaire": a BPU; with quantities and totals, a DQE."""
    match = PRICE_HEADER_RE.search(folded)
    if not match:
        return None
    header = folded[match.start() : folded.find("\n", match.end()) if "\n" in folded[match.end():] else len(folded)]
    if re.search(r"quantite", header) and re.search(r"montant|prix\s+total|total", header):
        return DocumentRole.DQE
    return DocumentRole.BPU

