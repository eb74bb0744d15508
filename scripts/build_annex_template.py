"""Build procure/outputs/templates/annexe_clauses.docx, the docxtpl template of the clause annex.

The template is committed; rerun this script after changing its layout:
    .venv/bin/python scripts/build_annex_template.py
"""
from __future__ import annotations

import re
from pathlib import Path

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

TARGET = Path(__file__).resolve().parents[1] / "procure" / "outputs" / "templates" / "annexe_clauses.docx"


def set_french(document) -> None:
    """Declare French as the proofing language of the default style."""
    rpr = document.styles["Normal"].element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "fr-FR")
    rpr.append(lang)


def add_page_number_footer(document) -> None:
    paragraph = document.sections[0].footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run("Annexe clauses sociales – page ")
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        run = paragraph.add_run()
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        else:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)


def loop_table(document, header: list[str], loop: str, cells: list[str], widths_cm: list[float]) -> None:
    table = document.add_table(rows=4, cols=len(header))
    table.style = "Light Grid Accent 1"
    table.autofit = False
    for column, width in zip(table.columns, widths_cm):
        column.width = Cm(width)  # the grid, which Word and LibreOffice lay out from
    for row in table.rows:  # the loop's body row keeps these widths when docxtpl repeats it
        for cell, width in zip(row.cells, widths_cm):
            cell.width = Cm(width)
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = text
    table.rows[1].cells[0].text = "{%tr for row in " + loop + " %}"
    for cell, text in zip(table.rows[2].cells, cells):
        cell.text = text
    table.rows[3].cells[0].text = "{%tr endfor %}"


TAG_RE = re.compile(r"({%.*?%}|{{.*?}})")


def typo_static(text: str) -> str:
    """French typography on the template's own words; the tags ({% %}, {{ }}) are left untouched."""
    parts = TAG_RE.split(text)
    for index in range(0, len(parts), 2):
        part = parts[index].replace("'", "’")
        parts[index] = re.sub(r" ([:;!?])", "\u00a0\\1", part)
    return "".join(parts)


def build() -> None:
    document = docx.Document()
    document.styles["Normal"].font.name = "Calibri"
    document.styles["Normal"].font.size = Pt(11)
    set_french(document)
    add_page_number_footer(document)

    def add(text: str, style: str | None = None):
        return document.add_paragraph(typo_static(text), style=style)

    def heading(text: str, level: int):
        return document.add_heading(typo_static(text), level=level)

    heading("Annexe : clauses sociales proposées", 0)
    add("{{ tender_object }}")
    add("Acheteur : {{ buyer }}")
    add("Référence de la consultation : {{ reference }}")
    add("Date de référence : {{ reference_date }}, {{ date_source }}. Document généré par procure le {{ generated }}.")
    add("{{ disclaimer }}", style="Intense Quote")
    heading("Synthèse par lot", 1)
    loop_table(document, ["Lot", "Intitulé", "Montant HT", "Dispositifs proposés"], "summary",
               ["{{ row.number }}", "{{ row.title }}", "{{ row.amount }}", "{{ row.levers }}"], [1.1, 5.6, 2.9, 6.4])
    add("{%p if alerts %}")
    heading("Points de conformité", 1)
    add("{%p for alert in alerts %}")
    add("{{ alert }}", style="List Bullet")
    add("{%p endfor %}")
    add("{%p endif %}")
    add("{%p for lot in lots %}")
    heading("Lot {{ lot.number }} — {{ lot.title }}", 1)
    add("{{ lot.facts }}")
    add("{%p for s in lot.suggestions %}")
    heading("{{ s.title }} — {{ s.status }}", 2)
    add("{%p if s.decision %}")
    add("Décision : {{ s.decision }}.")
    add("{%p endif %}")
    add("Fondement : {{ s.legal }}. Ancien code des marchés publics : {{ s.old }}. À insérer dans : {{ s.target }}.")
    add("Pourquoi ce dispositif :")
    add("{%p for reason in s.reasons %}")
    add("{{ reason }}", style="List Bullet")
    add("{%p endfor %}")
    add("{%p if s.existing %}")
    add("Passage déjà présent ({{ s.existing_where }}) : « {{ s.existing }} »", style="Quote")
    add("{%p endif %}")
    heading("Rédaction proposée", 3)
    add("{%p for paragraph in s.clause %}")
    add("{{ paragraph }}", style="Quote")
    add("{%p endfor %}")
    add("{%p if s.hours %}")
    heading("{{ s.hours_title }}", 3)
    add("{%p if not s.existing_hours %}")
    add("Heures = montant HT × part de main-d'œuvre × taux d'insertion ÷ coût horaire chargé.")
    add("{%p endif %}")
    add("{%p for step in s.hours %}")
    add("{{ step }}", style="List Number")
    add("{%p endfor %}")
    add("{%p endif %}")
    add("{%p for check in s.checks %}")
    add("{{ check }}", style="List Bullet 2")
    add("{%p endfor %}")
    add("{%p endfor %}")
    add("{%p if lot.suppliers %}")
    heading("Structures inclusives retenues pour le sourcing", 2)
    loop_table(document, ["Structure", "Type", "Commune", "SIRET"], "lot.suppliers",
               ["{{ row.name }}", "{{ row.kind }}", "{{ row.commune }}", "{{ row.siret }}"], [5.2, 4.0, 3.2, 3.6])
    add("{%p endif %}")
    add("{%p if lot.no_credible %}")
    heading("Structures inclusives", 2)
    add("{{ lot.no_credible }}")
    add("{%p for lever in lot.other_levers %}")
    add("{{ lever }}", style="List Bullet")
    add("{%p endfor %}")
    add("{%p endif %}")
    add("{%p endfor %}")
    add("{%p if decisions %}")
    heading("Décisions prises", 1)
    loop_table(document, ["Lot", "Dispositif", "Décision", "Par", "Le"], "decisions",
               ["{{ row.lot }}", "{{ row.what }}", "{{ row.decision }}", "{{ row.who }}", "{{ row.when }}"],
               [1.1, 6.3, 2.2, 4.0, 2.4])
    add("{%p endif %}")
    heading("Correspondance ancien code → code de la commande publique", 1)
    loop_table(document, ["Ancien code", "Objet", "Code de la commande publique"], "old_to_new",
               ["{{ row.old }}", "{{ row.subject }}", "{{ row.new }}"], [3.3, 6.5, 6.2])
    heading("Points à vérifier avant publication", 1)
    add("{%p for check in checks %}")
    add("{{ check }}", style="List Number")
    add("{%p endfor %}")
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    document.save(TARGET)


if __name__ == "__main__":
    build()
    print(f"wrote {TARGET}")
