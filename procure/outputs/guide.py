"""Territorial guide « Donneurs d'ordre publics, mode d'emploi », generated from procure's own data."""
from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from procure import law
from procure.outputs.annex import typo_fr
from procure.model import format_euros, format_int, format_percent
from procure.market.practice import Territory
from procure.advice.suggest import compute_hours
from procure.directory.suppliers import KIND_LABELS_FR, Supplier, naf_labels

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


def _update_fields_on_open(document) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    document.settings.element.append(update)


def _family(supplier: Supplier) -> str:
    """Activity family of a supplier: the NAF division label."""
    if not supplier.naf:
        return "Activité non renseignée"
    division = supplier.naf[:2]
    labels = [label for code, label in naf_labels().items() if code.startswith(division)]
    return f"NAF {division} — {labels[0].split(',')[0]}" if labels else f"NAF {division}"


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


def map_png(suppliers: list[Supplier], territory: Territory, width: int = 1400, height: int = 1000) -> bytes:
    """A plain map: communes of the territory in grey, inclusive suppliers coloured by kind (Pillow only)."""
    from PIL import Image, ImageDraw

    from procure.reference.geo import communes_index

    index = communes_index()["insee"]
    towns = [index[c] for c in territory.communes if index[c].latitude is not None]
    points = [(s.latitude, s.longitude) for s in suppliers if s.latitude is not None]
    every = [(t.latitude, t.longitude) for t in towns] + points
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    if not every:
        draw.text((20, 20), "Aucune coordonnée disponible", fill="black")
    else:
        lats, lons = [p[0] for p in every], [p[1] for p in every]
        south, north, west, east = min(lats), max(lats), min(lons), max(lons)
        span_lat, span_lon = max(north - south, 0.01), max(east - west, 0.01)

        def xy(lat, lon):
            return (60 + (lon - west) / span_lon * (width - 120), 60 + (north - lat) / span_lat * (height - 160))

        for town in towns:
            x, y = xy(town.latitude, town.longitude)
            draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=(190, 190, 190))
        colours = {"EI": (200, 30, 60), "ACI": (230, 120, 0), "AI": (0, 130, 80), "ETTI": (0, 90, 200), "EA": (120, 40, 170),
                   "ESAT": (170, 0, 120), "REGIE": (0, 150, 150)}
        for supplier in suppliers:
            if supplier.latitude is None:
                continue
            x, y = xy(supplier.latitude, supplier.longitude)
            colour = colours.get(supplier.kinds[0], (60, 60, 60))
            draw.ellipse((x - 7, y - 7, x + 7, y + 7), fill=colour, outline="black")
        legend_y = height - 70
        for position, (kind, colour) in enumerate(colours.items()):
            x = 60 + position * (width - 120) // len(colours)
            draw.ellipse((x, legend_y, x + 14, legend_y + 14), fill=colour, outline="black")
            draw.text((x + 20, legend_y), kind, fill="black")
        draw.text((60, height - 40), "Communes du territoire en gris ; structures inclusives en couleur.", fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def write_guide(data: GuideData, out: str | Path) -> Path:
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

    # Table of contents and page numbers
    _h(document, "Sommaire", level=1)
    _field(document.add_paragraph(), 'TOC \\o "1-2" \\h \\z \\u', "Mettez à jour le sommaire (F9) s'il n'apparaît pas.")
    _update_fields_on_open(document)
    footer = document.sections[0].footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("Donneurs d'ordre publics, mode d'emploi — page ")
    _field(footer, "PAGE", "1")
    document.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)

    _mandatory(document, on)
    _levers(document, on)
    _process(document, on)
    _suppliers(document, data)
    _figures(document, data)
    _glossary(document)
    _memo(document)
    out = Path(out)
    document.save(str(out))
    return out


def _h(document, text: str, level: int):
    return document.add_heading(typo_fr(text), level=level)


def _p(document, text: str, style: str | None = None):
    return document.add_paragraph(typo_fr(text), style=style)


def _verified(value: law.ParameterValue) -> str:
    return f" ({law.UNVERIFIED_FR})" if value.unverified else ""


def _mandatory(document, on: date) -> None:
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
                 f"sécurité en sont exclus. {rule.note} Source : {rule.reference}.", "List Bullet")
    _p(document, f"À partir de la même date, tout marché, quel que soit son montant, comporte une condition d'exécution "
                 "prenant en compte l'environnement (L2112-2) et au moins un critère d'attribution prenant en compte les "
                 f"caractéristiques environnementales de l'offre (L2152-7) ({environment.reference}).", "List Bullet")
    _p(document, f"Seuils européens au {on:%d/%m/%Y}, selon l'acheteur et la nature de l'ensemble du marché : fournitures "
                 f"et services {format_euros(Decimal(central.value))} HT pour l'État (autorités centrales), "
                 f"{format_euros(Decimal(services.value))} HT pour les collectivités et autres pouvoirs adjudicateurs, "
                 f"{format_euros(Decimal(entities.value))} HT pour les entités adjudicatrices ; services sociaux et autres "
                 f"services spécifiques {format_euros(Decimal(social_services.value))} HT ; travaux "
                 f"{format_euros(Decimal(works.value))} HT ({works.reference}).", "List Bullet")
    _p(document, f"SPASER obligatoire au-delà de {format_euros(Decimal(spaser.value))} HT d'achats annuels "
                 f"(L2111-3, D2111-3 ; {spaser.reference}) : publié, avec indicateurs et objectifs d'achats auprès des "
                 "ESUS, EA, ESAT et SIAE.", "List Bullet")
    _p(document, f"Cible nationale : {target.value:.0%} des marchés avec une considération sociale ({target.reference}).",
       "List Bullet")


def _levers(document, on: date) -> None:
    _h(document, "2. Les leviers", level=1)
    values = {"lot_numero": "[n°]", "lot_intitule": "[intitulé du lot]",
              "ponderation": format_percent(law.parameter("social_criterion_weight", on).value),
              "part_minimale": format_percent(law.parameter("reserved_minimum_share", on).value)}
    for lever in law.levers().values():
        _h(document, lever.title, level=2)
        old = ", ".join(lever.old_articles) or "aucun équivalent"
        obligation = [lever.obligation.article] if lever.obligation else []
        _p(document, f"Article(s) actuel(s) : {', '.join(lever.articles + obligation)}. "
                     f"Ancien code des marchés publics : {old}. Source : {lever.source}.")
        _p(document, lever.conditions)
        _p(document, "Modèle de rédaction :")
        for paragraph in lever.render(values):
            _p(document, paragraph, "Quote")
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
    demo = any(s.demo for s in data.suppliers)
    _p(document, f"{len(data.suppliers)} structure(s) de l'annuaire de procure sur le territoire."
                 + (" Annuaire de démonstration : structures FICTIVES." if demo else ""))
    table = document.add_table(rows=1, cols=3)
    table.style = "Light Grid Accent 1"
    for cell, text in zip(table.rows[0].cells, ["Famille d'activité", "Structures", "Types"]):
        cell.text = text
    for family, count, kinds in supplier_families(data.suppliers):
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = family, str(count), kinds
    _p(document, "Types : " + " ; ".join(f"{k} = {v}" for k, v in KIND_LABELS_FR.items()))
    document.add_picture(io.BytesIO(map_png(data.suppliers, data.territory)), width=Cm(16))


def _figures(document, data: GuideData) -> None:
    _h(document, "5. Les chiffres du territoire", level=1)
    figures = data.figures
    if not figures or not figures["lots"]:
        _p(document, "Aucune consultation du territoire n'a encore été analysée dans procure.")
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
    from procure.market.practice import lot_facts, territory_figures
    from procure.directory.suppliers import SupplierRepository

    suppliers = [s for s in SupplierRepository(sessions).all() if s.commune_insee in territory.communes]
    lots = lot_facts(sessions, tender_ids)
    return GuideData(territory, on, suppliers, territory_figures(lots, territory) if not lots.empty else None)
