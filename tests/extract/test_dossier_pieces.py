"""The pieces of a dossier (issue 19, item 4): each piece's role from its content, questions that never become
the object, a lot or the buyer, framework maxima summed over the firm period and the renewals, and a lone CCTP or
price schedule that says what it cannot tell. Fixtures are written by the test (DOCX and PDF), plus the real
multi-piece dossiers of ../shared/data/dce-real."""
from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

import dce
from procure.extract import analyze
from procure.extract.buyer import is_unit_only
from procure.extract.roles import classify
from procure.model import AmountKind
from procure.text.normalize import fold

H, P, T = dce.H, dce.P, dce.T
DCE_REAL = Path(os.environ.get("PROCURE_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data")) / "dce-real"

RC = [
    (H, "RÈGLEMENT DE LA CONSULTATION"),
    (P, "Pouvoir adjudicateur : Ville de Vitry-sur-Seine, 2 avenue Youri-Gagarine, 94400 Vitry-sur-Seine"),
    (P, "Objet de la consultation : Nettoyage des bâtiments communaux"),
    (P, "Procédure de passation : appel d'offres ouvert."),
]
CONTRACT = [
    (H, "CONTRAT"),
    (P, "Marché public de services valant engagement du titulaire"),
    (H, "Partie 1 – Clauses administratives"),
    (P, "Article 1 – Durée. L'accord-cadre est conclu pour une durée initiale de 3 ans, reconductible une fois pour une durée de 1 an."),
    (P, "Article 2 – Montant. Le montant maximum est de 6 500 000 € HT pour la période initiale et de 2 500 000 € HT pour "
        "la période de reconduction."),
    (H, "Partie 2 – Engagement"),
    (P, "Le titulaire s'engage à exécuter les prestations aux conditions du présent contrat."),
]
QR_REGISTER = [
    (H, "Registre"),
    (P, "Question 1 : Le CCTP prévoit-il un nombre d'heures d'insertion pour le lot unique « Entretien des espaces verts de la Ville de Lyon » ?"),
    (P, "Réponse : Non, le CCTP ne prévoit pas d'heures."),
    (P, "Question 2 : Objet : quelle est la fréquence des passages ?"),
    (P, "Réponse : Hebdomadaire."),
]


def spaced(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


def test_roles_from_content_not_name():
    assert classify("Contrat.pdf", "CONTRAT\nMarché de services\nClauses administratives\nLe titulaire s'engage à exécuter") == "CONTRAT"
    assert classify("CCTP_questions.pdf", "Question 1 : le CCTP, article 3, prévoit-il ?\nRéponse : oui\nQuestion 2 : et ?") == "QR"
    assert classify("annexe2.docx", "CADRE DE RÉPONSE TECHNIQUE\nLot 1\nMoyens humains :") == "CANDIDATURE"
    assert classify("DC2.pdf", "Formulaire DC2\nDéclaration du candidat") == "CANDIDATURE"
    assert classify("prix.xlsx", "N° | Désignation | Unité | Prix unitaire HT\n1 | Heure de gardiennage | h |") == "BPU"
    assert classify("prix.xlsx", "N° | Désignation | Unité | Quantité | Prix unitaire | Montant HT") == "DQE"
    assert classify("CCTP.pdf", "CAHIER DES CLAUSES TECHNIQUES PARTICULIERES\nArticle 1 Objet du marché") == "CCTP"
    # A contract of employment cited in a CCTP, or a contract with no commitment, is not the CONTRAT piece.
    assert classify("x.pdf", "Contrat de travail des agents\nLes agents sont employés") != "CONTRAT"


def test_unit_of_a_buyer_is_no_buyer():
    assert is_unit_only("Direction générale") and is_unit_only("DIRECTION GÉNÉRALE DES SERVICES")
    assert is_unit_only("Service de la commande publique") and is_unit_only("Direction des achats")
    assert not is_unit_only("Service départemental d'incendie et de secours du Var")
    assert not is_unit_only("Direction générale de l'armement") and not is_unit_only("Ministère de la Justice")


def test_contract_and_qr_dossier(tmp_path):
    files = [dce.write_pdf(tmp_path / "RC.pdf", RC), dce.write_docx(tmp_path / "Contrat.docx", CONTRACT),
             dce.write_pdf(tmp_path / "Questions_CCTP.pdf", QR_REGISTER), dce.write_pdf(tmp_path / "QR2.pdf", QR_REGISTER)]
    tender = analyze(files)
    assert [d.doc_type for d in tender.documents] == ["RC", "CONTRAT", "QR", "QR"]
    assert tender.buyer.value == "Ville de Vitry-sur-Seine"
    assert tender.object.value == "Nettoyage des bâtiments communaux"
    (lot,) = tender.lots
    assert "Entretien" not in lot.title.value
    amount = lot.estimated_amount.value
    assert amount.value == Decimal("9000000") and amount.kind == AmountKind.MAXIMUM
    assert "6 500 000 € (période initiale) + 2 500 000 € (reconduction) = 9 000 000 €" in spaced(amount.computation)
    assert lot.duration_months.value == 48


def test_estimate_kept_beside_maximum(tmp_path):
    rc = RC + [(P, "L'accord-cadre est conclu pour une durée de 4 ans."),
               (P, "Le montant maximum de l'accord-cadre est de 800 000 € HT. Le montant estimé est de 500 000 € HT.")]
    (lot,) = analyze([dce.write_docx(tmp_path / "RC.docx", rc)]).lots
    amount = lot.estimated_amount.value
    assert amount.value == Decimal("800000") and amount.kind == AmountKind.MAXIMUM
    assert "montant estimé : 500 000 €" in spaced(amount.computation)


def test_questions_give_no_object_lot_or_buyer(tmp_path):
    tender = analyze([dce.write_pdf(tmp_path / "QR.pdf", QR_REGISTER)])
    assert tender.documents[0].doc_type == "QR"
    assert tender.buyer is None and tender.object is None
    assert all(lot.title is None for lot in tender.lots)


def test_lone_cctp_names_no_town_as_buyer_and_says_so(tmp_path):
    cctp = [(H, "CAHIER DES CLAUSES TECHNIQUES PARTICULIÈRES"),
            (P, "Article 1 – Objet : surveillance des équipements sportifs"),
            (P, "Les prestations sont exécutées sur les sites de la Commune de Chambéry et de la Ville de Cognin.")]
    tender = analyze([dce.write_pdf(tmp_path / "CCTP.pdf", cctp)])
    assert tender.buyer is None
    (warning,) = [p for p in tender.problems if p.message.startswith("Seul un CCTP")]
    assert "l'acheteur" in warning.message and "ajoutez le RC ou l'avis" in warning.message and not warning.fatal


def test_lone_cctp_amount_is_said_unsure(tmp_path):
    """A CCTP caps some services (« ne devront pas dépasser … ») far more often than it states the contract's value."""
    cctp = [(H, "VILLE DE COGNIN — CAHIER DES CLAUSES TECHNIQUES PARTICULIÈRES"),
            (P, "Objet : infogérance du système d'information de la Ville de Cognin"),
            (P, "Les prestations à bons de commande ne devront pas dépasser 33 333,33 € HT soit 40 000 € TTC.")]
    tender = analyze([dce.write_pdf(tmp_path / "CCTP.pdf", cctp)])
    assert tender.lots[0].estimated_amount is not None  # kept: it may be the estimate
    (warning,) = [p for p in tender.problems if p.message.startswith("Seul un CCTP")]
    assert "le montant repris du CCTP n'est peut-être que le plafond" in warning.message and not warning.fatal


def test_table_row_whose_title_wraps_keeps_its_column_kinds(tmp_path):
    """« Montant estimé HT | Montant maximum HT »: a PDF flattens a row whose lot title wraps into one figure per
    line; the figures still take their columns' kinds, so the hours are computed on the estimate."""
    rc = [(H, "RÈGLEMENT DE LA CONSULTATION"),
          (P, "Pouvoir adjudicateur : Ville de Cognin"),
          (P, "Objet de la consultation : entretien des espaces publics"),
          (P, "Lot 1 : Entretien des espaces verts du secteur nord et des abords des écoles"),
          (P, "Lot 2 : Nettoyage des locaux"),
          (P, "Montants sur la durée totale d'exécution"),
          (P, "N° DU LOT INTITULÉS Montant estimé HT Montant maximum"),
          (P, "HT"),
          (P, "LOT N°1 Entretien des espaces verts du secteur nord et des"),
          (P, "abords des écoles"),
          (P, "120 000 €"),
          (P, "300 000 €"),
          (P, "LOT N°2 Nettoyage des locaux 80 000 € 200 000 €")]
    tender = analyze([dce.write_pdf(tmp_path / "RC.pdf", rc)])
    amounts = {lot.number: lot.estimated_amount.value for lot in tender.lots}
    assert (amounts[1].value, amounts[1].kind, amounts[1].estimate) == (300_000, AmountKind.MAXIMUM, 120_000)
    assert (amounts[2].value, amounts[2].kind, amounts[2].estimate) == (200_000, AmountKind.MAXIMUM, 80_000)


def test_lone_bpu_gives_no_row_as_object(tmp_path):
    bpu = [(T, [["N°", "Désignation", "Unité", "Prix unitaire HT"],
                ["1", "Heure de gardiennage de jour par agent qualifié", "heure", ""],
                ["2", "Heure de ronde de nuit avec véhicule", "heure", ""]])]
    tender = analyze([dce.write_docx(tmp_path / "prix.docx", bpu)])
    assert tender.documents[0].doc_type == "BPU"
    assert tender.object is None and tender.buyer is None
    assert any(p.message.startswith("Seul un bordereau de prix") for p in tender.problems)


def test_full_dossier_gives_no_lone_piece_warning(tmp_path):
    tender = analyze([dce.write_pdf(tmp_path / "RC.pdf", RC), dce.write_docx(tmp_path / "Contrat.docx", CONTRACT)])
    assert not [p for p in tender.problems if p.message.startswith("Seul")]


REAL = ["justice_ppsmj_2024", "vsgp_infogerance", "teina_camp-des-milles", "teina_coupvray", "teina_cuzieu",
        "teina_grand-chambery", "teina_guyane-prefecture"]


@pytest.mark.parametrize("name", REAL)
def test_real_dossier_pieces(name):
    import yaml

    folder = DCE_REAL / name
    if not folder.exists():
        pytest.skip("shared data absent")
    expected = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
    tender = analyze([folder / f for f in expected["files"]])
    buyers = {fold(b) for b in [expected["buyer"], *expected.get("buyer_aliases", [])]}
    assert tender.buyer is not None and fold(tender.buyer.value) in buyers
    assert not any(d.doc_type in ("QR", "CANDIDATURE", "AUTRE") for d in tender.documents)
    assert len(tender.lots) == len(expected["lots"])
    for lot, wanted in zip(tender.lots, expected["lots"]):
        if wanted.get("amount_ht"):
            assert abs(lot.estimated_amount.value.value - Decimal(str(wanted["amount_ht"]))) <= Decimal("0.005") * wanted["amount_ht"]


@pytest.mark.parametrize("text, months", [
    ("Durée en mois : 12\nLe marché peut être reconduit de manière tacite pour 3 périodes successives de 1 an.", 48),
    ("Marché d'une durée de 1 an renouvelable 3 fois", 48),
    ("Il sera reconduit de façon tacite par période de un (1) an, sans que sa durée totale nexcède quatre (4) ans.", 48),
    ("Le présent marché est conclu pour une période de 3 ans reconductible une fois à compter de sa notification.", None),
])
def test_renewals_as_notices_state_them(text, months):
    from procure.extract.quantities import find_duration
    from procure.text.nlp import fold_aligned

    duration = find_duration(fold_aligned(text))
    assert (duration.months if duration else None) == months


def test_notice_of_one_lot_per_page_keeps_its_page_edges():
    """Each lot of boamp_20-99764 opens a page with "II.2.3)Lieu d'exécution" … "Valeur hors TVA : # euros": lines
    repeated at the page edges are the form's sections, not running headers."""
    notice = DCE_REAL / "boamp_20-99764" / "boamp-avis-20-99764.pdf"
    if not notice.exists():
        pytest.skip("shared data absent")
    tender = analyze([notice])
    amounts = {lot.number: lot.estimated_amount.value.value for lot in tender.lots if lot.estimated_amount}
    assert amounts[1] == Decimal("1022500") and amounts[2] == Decimal("1486000") and len(amounts) == 10
    assert all(lot.duration_months and lot.duration_months.value == 48 for lot in tender.lots)


@pytest.mark.parametrize("name, procedure", [("boamp_20-100015", "MAPA"), ("boamp_20-102594", "MAPA"), ("boamp_20-100490", "AOO")])
def test_social_services_notice_procedure_from_its_article(name, procedure):
    """IV.1.1 ticks 'ouverte' or 'négociations'; VI.3 or IV.1.11 'procédure adaptée … R2123-1 3°' decides."""
    folder = DCE_REAL / name
    if not folder.exists():
        pytest.skip("shared data absent")
    tender = analyze(sorted(folder.glob("*.pdf")))
    assert tender.procedure.value["code"] == procedure


def test_lot_durations_from_additional_information():
    """boamp_20-100490: each lot's II.2.7 says 12 months, VI.3 the renewals and 'durée maximale … de 48 mois'."""
    folder = DCE_REAL / "boamp_20-100490"
    if not folder.exists():
        pytest.skip("shared data absent")
    tender = analyze(sorted(folder.glob("*.pdf")))
    assert [lot.duration_months.value for lot in tender.lots] == [48, 48, 48]
    assert "48 mois" in tender.lots[0].duration_months.evidence.passage


def test_project_manager_notice_keeps_works_envelope_and_suffix_out():
    """boamp_20-100834 (maîtrise d'œuvre): 'Enveloppe prévisionnelle des Travaux = 12 000 000 euro(s) HT' is the works
    budget, not the contract's value; II.1.1 '20stch06/Jo' is VI.3's 'Numéro de la consultation : 20stch06'."""
    folder = DCE_REAL / "boamp_20-100834"
    if not folder.exists():
        pytest.skip("shared data absent")
    tender = analyze(sorted(folder.glob("*.pdf")))
    assert tender.reference.value == "20stch06"
    assert tender.lots[0].estimated_amount is None


@pytest.mark.parametrize("text, departments", [
    ("Ile-de-France", ["75", "77", "78", "91", "92", "93", "94", "95"]),
    ("Région Occitanie", ["09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"]),
    ("Hauts-de-France", ["02", "59", "60", "62", "80"]),
])
def test_region_named_as_place(text, departments):
    from procure.extract.places import place_from_text

    assert place_from_text(text).departments == departments


def test_region_place_of_a_notice_stays_a_region():
    """boamp_20-102594: 'Lieu principal d'exécution : Ile-de-France' beside the buyer's NUTS FR105."""
    folder = DCE_REAL / "boamp_20-102594"
    if not folder.exists():
        pytest.skip("shared data absent")
    tender = analyze(sorted(folder.glob("*.pdf")))
    assert tender.place.value.scope.value == "region" and "92" in tender.place.value.departments


def test_first_level_nuts_narrowed_to_the_commune_the_object_names():
    """boamp_20-101692: NUTS 'FRJ' (Occitanie) only; the object names Sète (34301)."""
    from procure.extract.places import place_from_nuts

    assert "34" in place_from_nuts("FRJ").departments and "31" in place_from_nuts("FRJ").departments
    folder = DCE_REAL / "boamp_20-101692"
    if not folder.exists():
        pytest.skip("shared data absent")
    tender = analyze(sorted(folder.glob("*.pdf")))
    assert [c.insee for c in tender.place.value.communes] == ["34301"]
    assert "commune citée dans l'objet" in tender.place.value.label


def test_lot_with_empty_renewal_box_renewed_as_the_other_lots():
    """boamp_20-99689: 37 lots of 12 months renewed 3 times; lots 3 and 34 tick 'reconduction : oui' and paste their
    title into the modalities box."""
    folder = DCE_REAL / "boamp_20-99689"
    if not folder.exists():
        pytest.skip("shared data absent")
    tender = analyze(sorted(folder.glob("*.pdf")))
    assert len(tender.lots) == 37 and {lot.duration_months.value for lot in tender.lots} == {48}


@pytest.mark.parametrize("paragraphs, insee", [
    ([(H, "3.2 Lieu d'exécution"), (P, "Les prestations seront exécutées à Nanterre (92), dans les locaux du ministère.")], "92050"),
    ([(P, "Les prestations seront exécutées sur le territoire de la commune de Rennes. Le titulaire fournit le matériel.")], "35238"),
])
def test_place_under_a_heading_or_in_a_sentence(tmp_path, paragraphs, insee):
    rc = [(H, "RÈGLEMENT DE LA CONSULTATION"), (P, "Pouvoir adjudicateur : Ministère de la Justice"),
          (P, "Objet de la consultation : Maintenance des applications"), (P, "Page 2 : conditions générales.")] + paragraphs
    tender = analyze([dce.write_pdf(tmp_path / "RC.pdf", rc)])
    assert [c.insee for c in tender.place.value.communes] == [insee]
