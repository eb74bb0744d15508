"""Insert accepted clauses into the buyer's own CCAP or RC (DOCX) as Word tracked changes.

The legal department then reviews them with Word's or LibreOffice's accept / reject. Each clause goes at the end of
the article where it belongs (execution conditions for an insertion clause, award criteria for a criterion…), or, when
the document has no such article, into a new numbered article at the end, styled like the document's own articles.
Every inserted paragraph is a w:ins of author "procure" (runs wrapped in w:ins, paragraph mark marked inserted in
w:pPr/w:rPr), so rejecting the change gives back the original text. The original file is never modified.
"""
from __future__ import annotations

import copy
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from procure.outputs.annex import accent_placeholders, typo_fr
from procure.vocabulary import SuggestionStatus

AUTHOR = "procure"
# Where each lever belongs: patterns tried in order on the (folded) text of the document's article headings.
PLACEMENT = {
    "insertion_clause": [r"clauses? social", r"insertion", r"conditions? (particulieres? )?d.?execution",
                         r"obligations? (sociales|du titulaire)", r"execution"],
    "ethical_purchasing": [r"conditions? (sociales? )?(particulieres? )?d.?execution", r"clauses? social", r"execution"],
    "social_criterion": [r"criteres? d.?attribution", r"jugement des offres", r"criteres? de (choix|jugement|selection)",
                         r"(examen|analyse|selection) des offres"],
    "reserved_siae": [r"reserv", r"conditions? de participation", r"allotissement", r"objet"],
    "reserved_disability": [r"reserv", r"conditions? de participation", r"allotissement", r"objet"],
    "reserved_ess": [r"reserv", r"conditions? de participation", r"allotissement", r"objet"],
    "social_services_procedure": [r"procedure", r"mode de passation"],
    "fair_trade": [r"specifications", r"caracteristiques", r"qualite"],
}
ARTICLE_RE = re.compile(r"^\s*(?:article|art\.)\s*(\d+)", re.IGNORECASE)
TITLE_LINE_RE = re.compile(r"^Article\s+\[à compléter[^\]]*\]\s*[–-]\s*")
NEW_ARTICLE_TITLE = "Clauses sociales"


@dataclass
class ClauseToInsert:
    lever_id: str
    title: str  # the clause's title, shown in bold above its paragraphs
    paragraphs: list[str]
    lot: int | None = None


@dataclass
class Placement:
    clause: ClauseToInsert
    where: str  # French: "à la fin de l'article « Article 9 – Clause sociale d'insertion »" or "dans un nouvel article 12"


@dataclass
class TrackedResult:
    path: Path
    placements: list[Placement] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # French reasons, e.g. a clause already in the dossier

    def summary_fr(self) -> str:
        lines = [f"{len(self.placements)} clause(s) insérée(s) en modification suivie (auteur « {AUTHOR} ») :"]
        lines += [f"  - {p.clause.title} : {p.where}" for p in self.placements]
        lines += [f"  - non insérée : {reason}" for reason in self.skipped]
        return "\n".join(lines)


def clause_from_suggestion(lever_id: str, title: str, paragraphs: list[str], lot: int | None) -> ClauseToInsert:
    """The clause's first line « Article [à compléter] – X » becomes the bold title X; placeholders get their accents."""
    paragraphs = [accent_placeholders(p) for p in paragraphs]
    if paragraphs and TITLE_LINE_RE.match(paragraphs[0]):
        return ClauseToInsert(lever_id, TITLE_LINE_RE.sub("", paragraphs[0]), paragraphs[1:], lot)
    heading = f"{title} (lot {lot})" if lot is not None and "(" not in title else title
    return ClauseToInsert(lever_id, heading, paragraphs, lot)


def document_kind(filename: str, documents=()) -> str | None:
    """CCAP, RC, CCTP… from the documents of the analysis (procure.model.DocumentInfo), else from the file name."""
    for document in documents or ():
        if document.file == filename and document.doc_type:
            return str(document.doc_type)
    upper = re.sub(r"[^A-Z]", " ", Path(filename).stem.upper()).split()
    return next((kind for kind in ("CCAP", "CCTP", "RC", "CCP") if kind in upper), None)


def clauses_from_review(items, filename: str) -> list[ClauseToInsert]:
    """Accepted suggestions meant for this document (per its kind), not already present in the dossier.

    `items`: procure.service.review.ReviewItems, the stored analysis and its decisions (no file is read)."""
    analysis = items.tender.analysis
    kind = document_kind(filename, analysis.tender.documents if analysis is not None else ())
    clauses = []
    for lot in items.lots:
        for s in lot.suggestions:
            if s.decision != "accepted" or s.status == SuggestionStatus.PRESENT:
                continue
            if kind and kind not in s.payload.target_document.replace(",", " ").split():
                continue
            clauses.append(clause_from_suggestion(s.lever_id, s.payload.title, s.payload.clause_paragraphs, lot.number))
    return clauses


# ---------------------------------------------------------------------------------------------- the DOCX side


def insert_clauses(source: bytes | str | Path, clauses: list[ClauseToInsert], out: str | Path,
                   when: datetime | None = None) -> TrackedResult:
    """Write `out`: the source document with `clauses` inserted as tracked changes. The source is only read."""
    import docx

    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several kinds on a non-DOCX file
        raise ValueError("le document n'est pas un fichier Word (.docx) lisible") from exc
    inserter = _Inserter(document, when or datetime.now(UTC))
    result = TrackedResult(Path(out))
    for clause in clauses:
        result.placements.append(inserter.insert(clause))
    out = Path(out)
    document.save(str(out))
    return result


@dataclass
class _Article:
    heading: object  # the CT_P of the heading
    level: int
    number: int | None
    text: str
    end: object  # last body element (w:p or w:tbl) of the article


class _Inserter:
    def __init__(self, document, when: datetime):
        from docx.oxml.ns import qn

        self.document = document
        self.body = document.element.body
        self.date = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        ids = [int(v) for e in self.body.iter() for k, v in e.attrib.items() if k == qn("w:id") and v.lstrip("-").isdigit()]
        self.next_id = max(ids, default=0) + 1
        self.new_article = None  # (heading CT_P, last inserted element) once created

    # -- reading the document's articles

    def _articles(self) -> list[_Article]:
        from docx.oxml.ns import qn

        elements = [e for e in self.body if e.tag in (qn("w:p"), qn("w:tbl"))]
        heads = [(i, e, self._heading_level(e)) for i, e in enumerate(elements) if e.tag == qn("w:p")]
        heads = [(i, e, level) for i, e, level in heads if level]
        articles = []
        for position, (_, element, level) in enumerate(heads):
            following = [j for j, _, other in heads[position + 1:] if other <= level]
            end = elements[following[0] - 1] if following else elements[-1]
            text = _text(element)
            number = ARTICLE_RE.match(text)
            articles.append(_Article(element, level, int(number.group(1)) if number else None, text, end))
        return articles

    def _heading_level(self, paragraph) -> int:
        """Outline level of a heading paragraph (1 = article), 0 for body text."""
        style = self._style_name(paragraph).lower()
        text = _text(paragraph)
        match = re.match(r"(heading|titre)\s*(\d)", style)
        if match and text.strip():
            return int(match.group(2))
        if ARTICLE_RE.match(text) and len(text) < 150:
            return 1
        return 0

    def _style_name(self, paragraph) -> str:
        from docx.oxml.ns import qn

        ppr = paragraph.find(qn("w:pPr"))
        style = ppr.find(qn("w:pStyle")) if ppr is not None else None
        if style is None:
            return ""
        style_id = style.get(qn("w:val"))
        found = self.document.styles.element.get_by_id(style_id)
        return found.name_val if found is not None and found.name_val else style_id

    # -- writing

    def insert(self, clause: ClauseToInsert) -> Placement:
        articles = self._articles()
        article = _best_article(articles, clause.lever_id)
        if article is not None:
            anchor = article.end
            body_model = _body_model(article)
            where = f"à la fin de l'article « {article.text.strip()} »"
        else:
            anchor, body_model, number = self._new_article(articles)
            where = f"dans le nouvel article {number} « {NEW_ARTICLE_TITLE} » à la fin du document"
        paragraphs = [(clause.title, True)] + [(p, False) for p in clause.paragraphs]
        for text, bold in paragraphs:
            paragraph = self._inserted_paragraph(typo_fr(text), body_model, bold)
            anchor.addnext(paragraph)
            anchor = paragraph
        if article is None:
            self.new_article = (self.new_article[0], anchor)
        return Placement(clause, where)

    def _new_article(self, articles: list[_Article]):
        """A new article after the last one, numbered next and styled like the document's article headings."""
        if self.new_article:
            return self.new_article[1], self._default_body_model(), self._new_number
        numbered = [a for a in articles if a.number is not None]
        model = (numbered or articles)[-1] if (numbered or articles) else None
        self._new_number = max((a.number for a in numbered), default=len(articles)) + 1
        text = _new_heading_text(model, self._new_number)
        heading = self._inserted_paragraph(text, model.heading if model else None, bold=model is None, keep_runs=True)
        anchor = self._last_body_element()
        anchor.addnext(heading)
        self.new_article = (heading, heading)
        return heading, self._default_body_model(), self._new_number

    def _last_body_element(self):
        from docx.oxml.ns import qn

        return [e for e in self.body if e.tag in (qn("w:p"), qn("w:tbl"))][-1]

    def _default_body_model(self):
        from docx.oxml.ns import qn

        for paragraph in self.body.iter(qn("w:p")):
            if not self._heading_level(paragraph) and _text(paragraph).strip():
                return paragraph
        return None

    def _inserted_paragraph(self, text: str, model, bold: bool, keep_runs: bool = False):
        """A new w:p entirely inserted: paragraph mark and runs are both tracked insertions."""
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        paragraph = OxmlElement("w:p")
        ppr = copy.deepcopy(model.find(qn("w:pPr"))) if model is not None and model.find(qn("w:pPr")) is not None \
            else OxmlElement("w:pPr")
        for child in ppr.findall(qn("w:rPr")) + ppr.findall(qn("w:sectPr")) + ppr.findall(qn("w:pPrChange")):
            ppr.remove(child)
        if not keep_runs:  # body text: no list numbering borrowed from the model paragraph
            for child in ppr.findall(qn("w:numPr")):
                ppr.remove(child)
        mark = OxmlElement("w:rPr")
        mark.append(self._ins_element())
        ppr.append(mark)
        paragraph.append(ppr)
        insertion = self._ins_element()
        run = OxmlElement("w:r")
        model_run = model.find(qn("w:r")) if model is not None else None
        run_props = copy.deepcopy(model_run.find(qn("w:rPr"))) if model_run is not None and \
            model_run.find(qn("w:rPr")) is not None else OxmlElement("w:rPr")
        for child in run_props.findall(qn("w:rPrChange")):
            run_props.remove(child)
        if bold and run_props.find(qn("w:b")) is None:
            _insert_bold(run_props)
        if len(run_props):
            run.append(run_props)
        text_element = OxmlElement("w:t")
        text_element.set(qn("xml:space"), "preserve")
        text_element.text = text
        run.append(text_element)
        insertion.append(run)
        paragraph.append(insertion)
        return paragraph

    def _ins_element(self):
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        element = OxmlElement("w:ins")
        element.set(qn("w:id"), str(self.next_id))
        element.set(qn("w:author"), AUTHOR)
        element.set(qn("w:date"), self.date)
        self.next_id += 1
        return element


def _text(paragraph) -> str:
    from docx.oxml.ns import qn

    return "".join(node.text or "" for node in paragraph.iter(qn("w:t")))


def _fold(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.lower().replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _best_article(articles: list[_Article], lever_id: str) -> _Article | None:
    for pattern in PLACEMENT.get(lever_id, []):
        for article in articles:
            if re.search(pattern, _fold(article.text)):
                return article
    return None


def _body_model(article: _Article):
    """The first body paragraph of the article, whose style the inserted text borrows."""
    from docx.oxml.ns import qn

    element = article.heading.getnext()
    while element is not None and element is not article.end.getnext():
        if element.tag == qn("w:p") and _text(element).strip():
            return element
        element = element.getnext()
    return None


def _insert_bold(run_props) -> None:
    """w:b right after w:rStyle / w:rFonts: Word rejects run properties out of schema order."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    bold = OxmlElement("w:b")
    leading = [child for child in run_props if child.tag in (qn("w:rStyle"), qn("w:rFonts"))]
    if leading:
        leading[-1].addnext(bold)
    else:
        run_props.insert(0, bold)


def clauses_from_advice(advice, filename: str, levers: list[str] | None = None) -> list[ClauseToInsert]:
    """Command line, without a review: the chosen levers, else the mandatory and recommended suggestions."""
    kind = document_kind(filename, advice.tender.documents)
    clauses = []
    for lot_advice in advice.lots:
        for s in lot_advice.suggestions:
            if s.existing is not None or s.status is SuggestionStatus.PRESENT:
                continue
            chosen = s.lever_id in levers if levers else s.status in (SuggestionStatus.MANDATORY, SuggestionStatus.RECOMMENDED)
            if not chosen or (kind and kind not in s.target_document.replace(",", " ").split()):
                continue
            clauses.append(clause_from_suggestion(s.lever_id, s.title, s.clause_paragraphs, lot_advice.lot.number))
    return clauses


def _new_heading_text(model: _Article | None, number: int) -> str:
    """« Article 12 – Clauses sociales », in capitals if the document writes its articles so; only the title when
    the document numbers its headings automatically (the number is then Word's)."""
    from docx.oxml.ns import qn

    if model is None:
        return f"Article {number} – {NEW_ARTICLE_TITLE}"
    ppr = model.heading.find(qn("w:pPr"))
    numbered = ppr is not None and ppr.find(qn("w:numPr")) is not None
    if numbered and not ARTICLE_RE.match(model.text):
        return NEW_ARTICLE_TITLE
    text = f"Article {number} – {NEW_ARTICLE_TITLE}"
    letters = [c for c in model.text if c.isalpha()]
    return text.upper() if letters and all(c.isupper() for c in letters) else text
