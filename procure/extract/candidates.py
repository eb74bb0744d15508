"""Candidate sentences for social provisions: recall first, the judge (`provision_judge`) decides afterwards.

A tender's text stream is cut into sentences that survive what PDF and BOAMP extraction do to French text:
- sentences glued to the previous one ("… facultative.L'exécution du marché comprend …");
- lines wrapped anywhere by the PDF layout (a line break inside a sentence is a space);
- line-end hyphenation ("d'inser-\\ntion");
- table cells (" | " between cells) and list items;
and every sentence that speaks of employment, insertion, disability, protected work, reservation, the social
and solidarity economy, fair trade, ILO conventions, equality or non-discrimination becomes a candidate.
Offsets always point into the original text, so that evidence shows what the buyer's file says.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from procure.text.nlp import fold_aligned

# A full stop ends a sentence unless it follows an abbreviation or a one-letter initial ("L. 2112-2", "M. X").
ABBREVIATIONS = {"art", "cf", "etc", "no", "tel", "al", "p", "pp", "ex", "env", "min", "max", "nb", "mme", "mm", "st", "ste",
                 "vol", "chap", "ann", "hab", "inf", "sup", "fig", "ref", "av", "bd", "dr", "pr"}
END_RE = re.compile(r"[.!?;](?=\s)|[.!?](?=[A-ZÀ-Ý«\"(])|\.(?=\s*$)|(?<=[a-zà-ÿ)])\.(?=[a-zà-ÿ]{3})|"
                    r"(?<=[a-zà-ÿ0-9 ])\)(?=[a-zà-ÿA-ZÀ-Ý]{2})")
BULLET_RE = re.compile(r"\s*(?:[-•*–·▪►➢✓❖o]\s|\d{1,2}[).]\s|[a-z][).]\s|[IVX]{1,4}\.\d{1,2}(?:\.\d{1,2})*\)|\(?\d{1,2}\)\s)")
HEADING_RE = re.compile(r"\s*(?:article|chapitre|titre|section|annexe|lot)\b|\s*\d{1,2}(?:\.\d{1,2})*\.?\s+[A-ZÀ-Ý]", re.I)
FORM_LABEL_RE = re.compile(r"[^\n:]{2,90}\((?:BT|OPP|OPT)-\d+[^)]*\)\s*:|\s*[IVX]{1,4}\.\d{1,2}(?:\.\d{1,2})*\)")
HYPHEN_BREAK_RE = re.compile(r"(?<=[a-zà-ÿ])-\s*\n\s*(?=[a-zà-ÿ])")
MAX_SENTENCE = 700
MIN_SENTENCE = 12

# R2123-1 3° paraphrased without its number: an adapted procedure whatever the amount, because of the object.
ANY_AMOUNT_BY_OBJECT = (r"procedure\s+adaptee[^.;]{0,80}(?:quel\s+que\s+soit\s+(?:son|le)\s+montant|en\s+raison\s+de\s+(?:son|leur)\s+objet)")

# What a social provision speaks of (folded text). Wide on purpose: the judge removes what is no provision.
TOPIC_RE = re.compile(
    r"insertion|\bemplois?\b|chomeurs?|demandeurs?\s+d'emploi|eloigne(?:e|s|es)?\s+(?:de|du)\s+(?:l'emploi|marche\s+du\s+travail)|"
    r"handicap|\besat\b|entreprises?\s+adaptees?|travail\s+protege|travailleurs?\s+(?:handicapes?|defavorises?|protege)|"
    r"\breserv|\bsiae\b|\bgeiq\b|\betti\b|\bess\b|economie\s+sociale|solidaire|commerce\s+equitable|equitables?\b|"
    r"\boit\b|organisation\s+internationale\s+du\s+travail|conventions?\s+(?:fondamentales|de\s+l'oit)|travail\s+des\s+enfants|"
    r"travail\s+force|droits?\s+(?:de\s+l'homme|humains|sociaux)|devoir\s+de\s+vigilance|ethique|"
    r"egalite|discrimination|\bsocia(?:l|le|les|ux)\b|conditions\s+de\s+travail|responsabilite\s+societale|alternance|apprenti|\bstagiaires?\b|\brsa\b|minima\s+sociaux|"
    r"publics?\s+(?:en\s+difficulte|prioritaires|eligibles|cibles)|heures?\s+de\s+travail|jeunes\s+(?:de\s+moins|sans)|"
    r"\bl\.?\s?2112-[23]|\bl\.?\s?2113-1[2-6]|\br\.?\s?2113-[78]|\br\.?\s?2123-1|\bl\.?\s?2123-1|\bl\.?\s?5132-|\bl\.?\s?5213-|"
    r"\bl\.?\s?344-2|\bl\.?\s?2152-7|services?\s+specifiques|facilitat|accompagnement\s+(?:socio|vers\s+l'emploi)|"
    # the words of an insertion clause's means and beneficiaries, of ethical clauses, of R2123-1 3° unnumbered
    r"au\s+titre\s+de\s+la\s+clause|beneficiaires?\s+de\s+la\s+clause|tutorat|embauche\s+directe|\bgeiq\b|"
    r"situations?\s+d'exclusion|lutte\s+contre\s+(?:l'exclusion|la\s+precarite)|travail\s+d'enfants|travail\s+decent|"
    r"normes\s+(?:internationales|fondamentales)\s+du\s+travail|droits?\s+fondamentaux\s+(?:au|du)\s+travail|code\s+de\s+conduite|\bsa\s?8000\b|"
    + ANY_AMOUNT_BY_OBJECT
)


@dataclass(frozen=True)
class Sentence:
    start: int  # offsets in the original text
    end: int
    text: str  # the sentence on one line, hyphenation repaired
    folded: str  # lower case, no accents, same words as `text`


def sentences(text: str, folded: str | None = None, paragraph_lines: bool = False) -> Iterator[Sentence]:
    """Every sentence of a text stream (lines joined by "\\n"), with offsets into it. `paragraph_lines`: each line
    is a whole paragraph (a Word file), never a line that a PDF wrapped."""
    folded = fold_aligned(text) if folded is None else folded
    for line_start, line_end in _paragraphs(text, paragraph_lines):
        for start, end in _split(text, line_start, line_end):
            piece = text[start:end]
            if len(piece.strip()) < MIN_SENTENCE:
                continue
            yield Sentence(start, end, one_line(piece), one_line(folded[start:end]))


def candidates(text: str, folded: str | None = None, paragraph_lines: bool = False) -> Iterator[Sentence]:
    """The sentences that speak of a social matter: the judge's input."""
    for sentence in sentences(text, folded, paragraph_lines):
        if TOPIC_RE.search(sentence.folded):
            yield sentence


def one_line(piece: str) -> str:
    return " ".join(HYPHEN_BREAK_RE.sub("", piece).split())


def _paragraphs(text: str, paragraph_lines: bool = False) -> Iterator[tuple[int, int]]:
    """Runs of lines that belong together: a line break is a space unless the line ends a sentence, the next line
    is a list item, a heading or a table row, or the line is a short title."""
    lines = []
    position = 0
    for line in text.split("\n"):
        lines.append((position, position + len(line)))
        position += len(line) + 1
    start = None
    for index, (lo, hi) in enumerate(lines):
        if start is None:
            start = lo
        line = text[lo:hi]
        following = text[lines[index + 1][0] : lines[index + 1][1]] if index + 1 < len(lines) else ""
        if paragraph_lines or _breaks(line, following):
            yield start, hi
            start = None
    if start is not None:
        yield start, lines[-1][1]


def _breaks(line: str, following: str) -> bool:
    stripped = line.rstrip()
    if not stripped or not following.strip():
        return True
    if " | " in line or " | " in following:  # a table row is one unit (its cells are split later)
        return True
    if re.search(r"[.!?;:]$", stripped) or stripped.endswith(("☐", "☒", "☑", "□", "■")):
        return not re.search(r"-\s*$", stripped)
    if BULLET_RE.match(following) or HEADING_RE.match(following) or FORM_LABEL_RE.match(following):
        return True
    if re.search(r"\s:\s+\S", stripped) and len(stripped) < 90 and following.lstrip()[:1].isupper():
        return True  # a label and its value ("Objet : …") stand on their own line
    if len(stripped) < 60 and following.lstrip()[:1].isupper() and not stripped.endswith(("-", ",", "'", "’")):
        return stripped[-1:].isupper() or len(stripped) < 45  # a short title line; a wrapped sentence line is long
    return False


def _split(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Sentences of one paragraph: at full stops (also glued ones), table cells, and very long runs at ';'."""
    cursor = start
    for match in END_RE.finditer(text, start, end):
        if text[match.start()] == "." and _abbreviation(text, match.start()):
            continue
        stop = match.start() + 1
        yield from _cells(text, cursor, stop)
        cursor = stop
    if cursor < end:
        yield from _cells(text, cursor, end)


def _abbreviation(text: str, dot: int) -> bool:
    word = re.search(r"([A-Za-zÀ-ÿ]+)$", text[max(0, dot - 12) : dot])
    if not word:
        if re.search(r"[:;)]\s{0,3}\d{1,2}$", text[max(0, dot - 6) : dot]):
            return True  # the number of an inline list item ("Critères : 1. Prix (50) 2. Valeur…"), not an end
        return bool(re.search(r"\d$", text[max(0, dot - 1) : dot])) and bool(re.match(r"\d", text[dot + 1 : dot + 2]))
    token = word.group(1)
    if len(token) == 1:  # an initial or "L." of an article
        return True
    if "@" in text[max(0, dot - 40) : dot] and not text[dot + 1 : dot + 2].isspace():
        return True  # inside an e-mail address
    before = text[max(0, dot - 60) : dot]
    if re.search(r"(?:www|https?:)\S*$", before):
        return True
    return token.lower() in ABBREVIATIONS


def _cells(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Table cells are read one by one unless they are short (a label and its value stay together)."""
    if " | " not in text[start:end]:
        yield from _long(text, start, end)
        return
    cells = []
    cursor = start
    for match in re.finditer(r" \| ", text[start:end]):
        cells.append((cursor, start + match.start()))
        cursor = start + match.end()
    cells.append((cursor, end))
    if sum(hi - lo for lo, hi in cells) <= 200:
        yield start, end  # "Clause sociale | Oui" keeps its answer
        return
    for lo, hi in cells:
        yield from _long(text, lo, hi)


def _long(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """A run longer than a sentence can be (a form line without full stops) is cut at ';' or at commas."""
    while end - start > MAX_SENTENCE:
        window = text[start : start + MAX_SENTENCE]
        cut = max(window.rfind(";"), window.rfind(", "), window.rfind(" "))
        cut = start + (cut + 1 if cut > MAX_SENTENCE // 3 else MAX_SENTENCE)
        yield start, cut
        start = cut
    if start < end:
        yield start, end


QA_LABEL_RE = re.compile(r"(?m)^\s*(?:(question|q)|(reponse|r))\s*(?:n\s*[°o]\s*)?\d*\s*[:.\-)–]", re.I)


def question_flags(folded: str, sentence_starts: list[int]) -> list[bool]:
    """For a questions–answers register: whether each sentence stands in a bidder's question (after a
    "Question" label, before the next "Réponse" label)."""
    labels = [(m.start(), bool(m.group(1))) for m in QA_LABEL_RE.finditer(folded)]
    flags = []
    for start in sentence_starts:
        before = [is_question for position, is_question in labels if position <= start]
        flags.append(bool(before) and before[-1])
    return flags
