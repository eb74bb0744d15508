"""eForms notices (BOAMP and TED since October 2023), read part by part. The sample below follows the French
rendering of an eForms contract notice (numbered parts, "Label : value" lines); it is written for the test."""
from pathlib import Path

import pytest

import dce
from procure.extract import analyze
from procure.model import BuyerCategory, PlaceScope, ProvisionKind

NOTICE = """Avis de marché
Procédure ouverte
1. Acheteur
1.1. Acheteur
Nom officiel : Commune de Montreuil
Forme juridique de l’acheteur : Autorité régionale ou locale
Activité du pouvoir adjudicateur : Services d’administration générale
2. Procédure
2.1. Procédure
Titre : Entretien des espaces verts et nettoyage des voiries communales
Description : Marché de prestations d'entretien des espaces verts et de nettoyage de la voirie de la commune.
Identifiant de la procédure : 4f6c1a2e-7b1d-4c2f-9a3b-1d2e3f4a5b6c
Identifiant interne : 2024-EV-012
2.1.1. Objet
Nature du marché : Services
Classification principale (cpv) : 77310000 Services de plantation et d'entretien des espaces verts
2.1.2. Lieu d’exécution
Ville : Montreuil
Code postal : 93100
Subdivision pays (NUTS) : Seine-Saint-Denis (FR106)
Pays : France
2.1.4. Informations générales
Base juridique :
Directive 2014/24/UE
5. Lot
5.1. Lot technique ID : LOT-0001
Titre : Lot 1 : Entretien des espaces verts
Description : Entretien des parcs et jardins de la commune.
Identifiant interne : 1
5.1.1. Objet
Nature du marché : Services
Classification principale (cpv) : 77310000 Services de plantation et d'entretien des espaces verts
5.1.3. Durée estimée
Durée : 1 Année
5.1.4. Reconduction
Nombre maximal de reconductions : 3
5.1.5. Valeur
Valeur estimée hors TVA : 400 000,00 EUR
5.1.10. Critères d’attribution
Critère :
Type : Prix
Nom : Prix
5.1. Lot technique ID : LOT-0002
Titre : Nettoyage des voiries
Description : Nettoyage mécanisé et manuel de la voirie communale.
Identifiant interne : 2
5.1.1. Objet
Nature du marché : Services
Classification principale (cpv) : 90610000 Services de nettoyage et de balayage des rues
5.1.2. Lieu d’exécution
Pays : France
N’importe où dans le pays indiqué
5.1.3. Durée estimée
Durée : 48 Mois
5.1.5. Valeur
Valeur maximale de l’accord-cadre : 900 000,00 EUR
5.1.6. Informations générales
Participation réservée : La participation n’est pas réservée.
Conditions d'exécution du marché : Le titulaire réserve 5 % des heures de main-d'œuvre à l'insertion de personnes
éloignées de l'emploi (article L2112-2 du code de la commande publique).
8. Organisations
8.1. ORG-0002
Nom officiel : Tribunal administratif de Lyon
Ville : Lyon
Code postal : 69003
11. Informations relatives à l’avis
11.1. Informations relatives à l’avis
Type de formulaire : Mise en concurrence
Date d’envoi de l’avis : 15/03/2024 10:00 +01:00
"""


def write(path: Path, joined: bool, notice: str = NOTICE) -> Path:
    """One paragraph per line, or every numbered part on one line (PDF text extraction often joins lines)."""
    import re

    parts = re.split(r"\n(?=\d{1,2}(?:\.\d{1,2})*\. )", notice) if joined else notice.splitlines()
    return dce.write_pdf(path, [(dce.P, part.replace("\n", " ")) for part in parts if part.strip()])


@pytest.mark.parametrize("joined", [False, True])
def test_eforms_notice_read_part_by_part(tmp_path, joined):
    tender = analyze([write(tmp_path / "avis.pdf", joined)])
    assert tender.buyer.value == "Commune de Montreuil"
    assert tender.buyer_category.value == BuyerCategory.LOCAL
    assert tender.object.value == "Entretien des espaces verts et nettoyage des voiries communales"
    assert tender.reference.value == "2024-EV-012"
    assert tender.procedure.value["code"] == "AOO"
    assert [c.insee for c in tender.place.value.communes] == ["93048"]  # Montreuil (93), not the tribunal's Lyon
    first, second = tender.lots
    assert (first.number, first.title.value, [c.code for c, _ in first.cpv]) == (1, "Entretien des espaces verts", ["77310000"])
    assert first.duration_months.value == 48  # one year and three renewals
    assert first.estimated_amount.value.value == 400000 and first.estimated_amount.value.tax == "HT"
    assert first.place.inherited and first.place.value.communes[0].insee == "93048"
    assert (second.number, second.title.value, second.duration_months.value) == (2, "Nettoyage des voiries", 48)
    assert second.estimated_amount.value.kind.value == "maximum"
    assert second.place.value.scope == PlaceScope.NATIONAL
    assert [p.kind for p in second.provisions] == [ProvisionKind.INSERTION_CLAUSE]
    assert first.provisions == [] and tender.provisions == []  # "La participation n'est pas réservée" is no reservation


@pytest.mark.parametrize("replaced, replacement, lot, expected", [
    ("Participation réservée : La participation n’est pas réservée.",
     "Participation réservée : La participation est réservée aux organisations ayant une mission de service public "
     "et remplissant d’autres conditions pertinentes conformément à la législation nationale.",
     2, {(ProvisionKind.INSERTION_CLAUSE, None), (ProvisionKind.RESERVED_ESS, None)}),
    ("Critère :\nType : Prix\nNom : Prix\n",
     "Critère :\nType : Prix\nNom : Prix\nCatégorie du seuil de critère d’attribution : Pondération (pourcentage, "
     "exacte)\nCritère d’attribution — Nombre : 60\nCritère :\nType : Qualité\nNom : Performance en matière "
     "d'insertion professionnelle des publics en difficulté\nDescription : heures d'insertion proposées\nCatégorie "
     "du seuil de critère d’attribution : Pondération (pourcentage, exacte)\nCritère d’attribution — Nombre : 10\n",
     1, {(ProvisionKind.SOCIAL_CRITERION, 10.0)}),
])
def test_eforms_reservation_and_criterion_weight(tmp_path, replaced, replacement, lot, expected):
    """The eForms wording of an ESS reservation (directive art. 77) and of a weighted criterion."""
    tender = analyze([write(tmp_path / "avis.pdf", False, NOTICE.replace(replaced, replacement))])
    assert {(p.kind, p.weight_percent) for p in tender.lot(lot).provisions} == expected


def test_a_description_naming_a_place_and_an_empty_renewal_count_mislead_nothing(tmp_path):
    notice = NOTICE.replace("Description : Marché de prestations d'entretien des espaces verts et de nettoyage de la "
                            "voirie de la commune.", "Description : Le lieu d'exécution des prestations est précisé "
                            "au CCTP.").replace("Nombre maximal de reconductions : 3", "Nombre maximal de reconductions :")
    tender = analyze([write(tmp_path / "avis.pdf", False, notice)])
    assert [c.insee for c in tender.place.value.communes] == ["93048"]  # from 2.1.2, not from the description
    assert tender.lots[0].duration_months.value == 12  # "5.1.5." below the empty count is no 5 renewals
