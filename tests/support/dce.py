"""Realistic tender documents (DCE) written by the tests: DOCX with python-docx, PDF with reportlab."""
from __future__ import annotations

from pathlib import Path

H, P, T = "h", "p", "table"


def write_docx(path: Path, elements: list[tuple]) -> Path:
    import docx

    document = docx.Document()
    for kind, content in elements:
        if kind == H:
            document.add_heading(content, level=1)
        elif kind == P:
            document.add_paragraph(content)
        else:
            table = document.add_table(rows=0, cols=len(content[0]))
            table.style = "Table Grid"
            for row in content:
                cells = table.add_row().cells
                for cell, text in zip(cells, row):
                    cell.text = text
    document.save(path)
    return path


def write_pdf(path: Path, elements: list[tuple], encrypt_password: str | None = None) -> Path:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    flow = []
    for kind, content in elements:
        if kind == H:
            flow.append(Paragraph(_escape(content), styles["Heading2"]))
        elif kind == P:
            flow.append(Paragraph(_escape(content), styles["BodyText"]))
            flow.append(Spacer(1, 4))
        else:
            data = [[Paragraph(_escape(cell), styles["BodyText"]) for cell in row] for row in content]
            table = Table(data, repeatRows=1)
            table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
            flow.append(table)
    kwargs = {"encrypt": encrypt_password} if encrypt_password else {}
    SimpleDocTemplate(str(path), pagesize=A4, **kwargs).build(flow)
    return path


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# 1. Multi-lot works tender with an insertion clause (Plaine Centrale du Val-de-Marne).
WORKS_RC = [
    (H, "RÈGLEMENT DE LA CONSULTATION"),
    (P, "Pouvoir adjudicateur : Ville de Vitry-sur-Seine, 2 avenue Youri-Gagarine, 94400 Vitry-sur-Seine"),
    (P, "Objet de la consultation : Travaux de réhabilitation du groupe scolaire Joliot-Curie"),
    (P, "Référence de la consultation : 2026-TX-014"),
    (P, "Procédure de passation : appel d'offres ouvert en application des articles R2161-2 à R2161-5 du code de la commande publique."),
    (P, "Lieu d'exécution : Vitry-sur-Seine (94)"),
    (P, "Date d'envoi de l'avis à la publication : 3 septembre 2026"),
    (P, "Date limite de réception des offres : 15 octobre 2026 à 12h00"),
    (H, "Article 2 – Allotissement"),
    (P, "Les travaux sont répartis en trois lots désignés ci-dessous."),
    (T, [
        ["Lot", "Désignation", "Code CPV", "Montant estimé (€ HT)"],
        ["1", "Gros œuvre – maçonnerie", "45262522-6", "2 450 000,00"],
        ["2", "Peinture intérieure", "45442100-8", "380 000,00"],
        ["3", "Charpente métallique", "45223100-7", "910 000,00"],
    ]),
    (P, "Durée : les travaux seront exécutés dans un délai global de 18 mois à compter de l'ordre de service."),
    (H, "Article 5 – Critères d'attribution"),
    (P, "Prix des prestations : 55 %"),
    (P, "Valeur technique : 30 %"),
    (P, "Critère social : performances en matière d'insertion professionnelle des publics en difficulté, pondéré à 15 %."),
]
WORKS_CCAP = [
    (H, "CAHIER DES CLAUSES ADMINISTRATIVES PARTICULIÈRES"),
    (P, "Objet du marché : Travaux de réhabilitation du groupe scolaire Joliot-Curie"),
    (H, "Article 9 – Clause sociale d'insertion"),
    (P, "En application de l'article L. 2112-2 du code de la commande publique, le titulaire réalise une action d'insertion "
        "permettant l'accès ou le retour à l'emploi de personnes rencontrant des difficultés sociales et professionnelles."),
    (P, "Pour le lot n° 1, le volume d'heures d'insertion à réaliser est de 1 200 heures."),
    (P, "Pour le lot n° 2, le volume d'heures d'insertion à réaliser est de 350 heures."),
    (P, "Le facilitateur de la clause est la Maison de l'emploi du territoire."),
]

# 2. Reserved supplies contract (Grenoble): lot 1 reserved to EA/ESAT, lot 2 with ethical conditions.
SUPPLIES_RC = [
    (H, "Règlement de la consultation"),
    (P, "Acheteur : Ville de Grenoble"),
    (P, "Objet de la consultation : Fourniture de vêtements de travail et de ramettes de papier pour les services municipaux"),
    (P, "Consultation n° : GRE-2026-F-077"),
    (P, "Procédure : procédure adaptée (articles R2123-1 et suivants du code de la commande publique)."),
    (P, "Lieu de livraison : Grenoble (38000)"),
    (P, "Date limite de remise des offres : 20/11/2026"),
    (H, "Lot n° 1 : Fourniture de ramettes de papier recyclé"),
    (P, "Code CPV : 30197630-1"),
    (P, "Montant estimé : 85 000 € HT par an"),
    (P, "Durée : 3 ans"),
    (P, "Ce lot est un marché réservé en application de l'article L2113-12 du code de la commande publique aux entreprises "
        "adaptées et aux établissements et services d'aide par le travail."),
    (H, "Lot n° 2 : Vêtements de travail"),
    (P, "Code CPV : 18110000-3"),
    (P, "Montant estimé : 140 000 € HT"),
    (P, "Durée : 24 mois"),
    (P, "Le titulaire garantit le respect, tout au long de la chaîne d'approvisionnement, des conventions fondamentales de "
        "l'Organisation internationale du travail, notamment l'interdiction du travail des enfants (conventions 138 et 182)."),
    (P, "Les produits issus du commerce équitable sont acceptés sur présentation du label ou de tout moyen de preuve équivalent."),
]

# 3. Services contract with no social provision (Pôle Azur Provence).
SERVICES_RC = [
    (H, "RÈGLEMENT DE LA CONSULTATION"),
    (P, "Nom de l'acheteur : Communauté d'agglomération du Pays de Grasse"),
    (P, "Objet de la consultation : Prestations de conseil juridique en droit public"),
    (P, "Référence : CAPG-2026-S-005"),
    (P, "Procédure : appel d'offres ouvert"),
    (P, "Le marché n'est pas alloti."),
    (P, "Code CPV principal : 79111000-5"),
    (P, "Montant estimé du marché : 250 000 € HT"),
    (P, "Durée du marché : 4 ans"),
    (P, "Lieu d'exécution : Grasse (06)"),
    (P, "Le présent marché ne comporte pas de clause sociale."),
    (P, "Date limite de réception des offres : 2 décembre 2026"),
]


def works_tender(folder: Path) -> list[Path]:
    return [write_pdf(folder / "RC_travaux.pdf", WORKS_RC), write_docx(folder / "CCAP_travaux.docx", WORKS_CCAP)]


def supplies_tender(folder: Path) -> list[Path]:
    return [write_docx(folder / "RC_fournitures.docx", SUPPLIES_RC)]


def services_tender(folder: Path) -> list[Path]:
    return [write_pdf(folder / "RC_services.pdf", SERVICES_RC)]
