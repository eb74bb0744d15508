"""General reading rules on the phrasings of real tenders: durations with renewals, amounts with their kind and
period, places as territories, labelled values in table cells (issue #10)."""
from decimal import Decimal

import pytest

import dce
from procure.extract import analyze
from procure.extract.places import place_from_nuts, place_from_text
from procure.extract.quantities import amount_mentions, find_duration
from procure.model import AmountKind, PlaceScope
from procure.text.normalize import fold


@pytest.mark.parametrize("text, months", [
    ("Durée en mois : 12 Nombre de périodes de reconduction fixé à 3, durée de chaque période de reconduction de 12 mois", 48),
    ("Durée en mois : 48\nLe marché est conclu pour une période initiale d'un (1) an. Il peut faire l'objet d'une "
     "reconduction tacite, à trois (3) reprises, pour une durée de un (1) an.", 48),
    ("Durée en mois : 48\nLa durée du marché est d'un an à compter du 1er janvier 2021, reconductible tacitement trois "
     "fois pour une durée d'un an, sans que sa durée totale ne puisse excéder 4 ans", 48),
    ("Début : 1er janvier 2021 - Fin : 31 janvier 2025", 49),
    ("Durée en mois : 24 Marché conclu pour 24 mois renouvelable tacitement une fois dans les mêmes termes", 48),
    ("Durée en mois : 21 Ce marché peut faire l'objet d'une reconduction : non", 21),
    ("La durée initiale de l'accord-cadre est fixée à 2 an(s). L'accord-cadre pourra être reconduit 1 fois pour une "
     "période de deux ans.", 48),
    ("Il pourra ensuite être renouvelé 2 fois, tacitement, par période de 1 an. Sa durée ne pourra donc excéder 3 ans.", 36),
    ("Durée : 120 jours à compter de la date de notification du marché.", 4),
])
def test_longest_duration(text, months):
    assert find_duration(fold(text)).months == months


def test_renewal_of_unknown_length_gives_no_duration():
    assert find_duration(fold("L'accord-cadre est conclu pour une période de 3 ans reconductible une fois.")) is None


def test_offer_validity_is_not_the_contract_duration():
    assert find_duration(fold("Délai de validité des offres : 120 jours.")) is None


def mentions(text):
    return [(m.value, m.kind, m.period) for m in amount_mentions(text, fold(text))]


def test_amount_range_gives_its_upper_bound_as_maximum():
    assert mentions("Coût estimé (HT) : entre 12 000 euros et 88 000 euros.") == [(Decimal("88000"), AmountKind.MAXIMUM, None)]


def test_list_items_take_the_period_of_their_introduction():
    found = mentions("Accord-cadre avec des montants minimum et maximum annuels fixés comme suit :\n"
                     "Lot 1 : Signalisation\nMontant minimum : 5 000 euros ht\nMontant maximum : 30 000 euros ht")
    assert found == [(Decimal("5000"), AmountKind.MINIMUM, "year"), (Decimal("30000"), AmountKind.MAXIMUM, "year")]


@pytest.mark.parametrize("distractor", [
    "Une avance est accordée lorsque le montant du marché est supérieur à 50 000 € HT.",
    "Le retard de paiement donne lieu au versement d'une indemnité forfaitaire pour frais de recouvrement de 40 euros.",
    "Chiffre d'affaires annuel minimum exigé : 2 000 000 € HT.",
])
def test_amounts_of_advances_fees_and_turnover_are_not_contract_amounts(distractor):
    assert mentions(distractor) == []


def test_places_as_territories():
    assert place_from_text("Paris (75)").commune.insee == "75056"
    assert place_from_text("commune de Courthezon, 84350 Courthezon.").commune.insee == "84039"
    assert place_from_text("France métropolitaine et Corse").scope == PlaceScope.NATIONAL
    assert place_from_text("Lycée Jean Moulin, dpt 27").departments == ["27"]
    assert place_from_text("Biscarrosse (40), Toulon (83)").scope == PlaceScope.SEVERAL
    assert place_from_nuts("FRK24").departments == ["38"]
    assert place_from_nuts("FRI1").scope == PlaceScope.REGION


def test_labels_in_the_cells_of_a_table(tmp_path):
    path = dce.write_docx(tmp_path / "ae.docx", [(dce.H, "ACTE D'ENGAGEMENT"), (dce.T, [
        ["Pouvoir adjudicateur", "Commune de Saint-Priest"], ["Objet du marché", "Entretien des espaces verts communaux"],
        ["Code CPV", "77310000-6"]])])
    tender = analyze([path])
    assert tender.buyer.value == "Commune de Saint-Priest"
    assert tender.object.value == "Entretien des espaces verts communaux"
    assert [c.code for c in tender.lots[0].cpv_codes] == ["77310000"]


def test_buyer_address_when_no_place_is_stated(tmp_path):
    path = dce.write_docx(tmp_path / "rc.docx", [
        (dce.H, "Règlement de la consultation"), (dce.P, "Acheteur : École nationale d'ingénieurs de Tarbes"),
        (dce.P, "Objet de la consultation : acquisition d'une machine de prototypage laser de circuits imprimés")])
    place = analyze([path]).place.value
    assert place.commune.name == "Tarbes" and "adresse de l'acheteur" in place.label
    assert place_from_text("Grand Chambéry").commune.name == "Chambéry"


def test_spreadsheet_stored_under_a_neutral_name_is_read(tmp_path):
    """The app stores pieces as piece-0, piece-1…: a BPU spreadsheet must not need its .xlsx extension."""
    import openpyxl

    from procure.ingest import read_document

    workbook = openpyxl.Workbook()
    workbook.active.append(["N°", "Désignation", "Prix unitaire HT"])
    workbook.active.append(["1", "Tonte des pelouses", "120"])
    workbook.save(tmp_path / "BPU.xlsx")
    (tmp_path / "piece-0").write_bytes((tmp_path / "BPU.xlsx").read_bytes())
    document = read_document(tmp_path / "piece-0", "BPU.xlsx")
    assert any("Tonte des pelouses" in block.text for block in document.blocks)


def test_a_reader_failure_costs_only_that_piece(tmp_path, monkeypatch):
    """A layout no rule foresaw must not cost the other pieces: the piece is reported, the others are read."""
    import procure.extract as extract

    rc = dce.write_docx(tmp_path / "RC.docx", [(dce.H, "Règlement de la consultation"),
                                               (dce.P, "Objet de la consultation : nettoyage des écoles")])
    ccap = dce.write_docx(tmp_path / "CCAP.docx", [(dce.H, "Cahier des clauses administratives particulières"),
                                                   (dce.P, "Objet du marché : nettoyage des écoles")])
    real_reading = extract._reading

    def failing_on_ccap(document, nomenclature):
        if document.info.file == "CCAP.docx":
            raise ValueError("unforeseen layout")
        return real_reading(document, nomenclature)

    monkeypatch.setattr(extract, "_reading", failing_on_ccap)
    tender = analyze([rc, ccap])
    assert tender.object.value == "nettoyage des écoles" and tender.object.evidence.file == "RC.docx"
    (problem,) = tender.problems
    assert problem.file == "CCAP.docx" and problem.message.startswith("Lecture partielle") and not problem.fatal


# ---------------------------------------------------------------- found by reading the CLI output on real tenders


@pytest.mark.parametrize("text, tax", [
    ("Valeur hors TVA : 400 000 euros", "HT"),
    ("Coût estimé (HT) : entre 12 000 euros et 88 000 euros", "HT"),
    ("pour un montant de 45 000 euros hors taxe par an", "HT"),
    ("Montant TTC : 12 000 €", "TTC"),
    ("Prix hors taxes du lot, montant TTC : 6 000 €", "TTC"),  # the label's last tax word wins
    ("Montant H.T. : 50 000 €", "HT"),  # an abbreviation's dot ends no sentence
])
def test_tax_stated_in_the_label(text, tax):
    assert [m.tax for m in amount_mentions(text, fold(text))] == [tax]


def test_a_deadline_to_send_documents_is_not_the_contract_duration():
    text = ("le candidat devra fournir les documents dans un délai de 10 jours à compter de la demande du pouvoir "
            "adjudicateur.")
    assert find_duration(fold(text)) is None
    assert find_duration(fold("Le délai global d'exécution des travaux est fixé à 8 mois.")).months == 8


def test_duration_and_renewal_under_their_own_headings():
    text = ("Durée de l'accord-cadre\nLa durée initiale de l'accord-cadre est fixée à 2 an(s) à compter de la "
            "notification.\nReconduction\nL'accord-cadre pourra être reconduit 1 fois pour une période de deux ans.")
    assert find_duration(fold(text)).months == 48


@pytest.mark.parametrize("text, communes, departments", [
    ("Grand Chambéry 106 allée des Blachères 73026 Chambéry Cedex", ["73065"], ["73"]),  # a CEDEX code
    ("Lieu d'exécution : briey", ["54099"], ["54"]),  # a commune déléguée of Val de Briey
    ("Préfecture de Corse-du-Sud 20187 Ajaccio Cedex 1", ["2A004"], ["2A"]),  # Corsica: codes 20, departments 2A/2B
])
def test_places_written_as_buyers_write_them(text, communes, departments):
    place = place_from_text(text.split(":")[-1])
    assert [c.insee for c in place.communes] == communes and place.departments == departments


def eu_notice(path, lots_section, divided):
    return dce.write_pdf(path, [
        (dce.P, "Avis n° 20-123456"), (dce.H, "Section I : Pouvoir adjudicateur"),
        (dce.P, "I.1) NOM ET ADRESSES : Ministère de la Justice, 13 place Vendôme, 75001 Paris"),
        (dce.H, "Section II : Objet"),
        (dce.P, "II.1.1) Intitulé : Nettoyage des locaux des juridictions"),
        (dce.P, "II.1.2) Code CPV principal : 90911200"),
        (dce.P, "II.1.3) Type de marché : Services"),
        (dce.P, f"II.1.6) Informations sur les lots : Ce marché est divisé en lots : {divided}"),
        *lots_section,
        (dce.H, "Section IV : Procédure"), (dce.P, "IV.1.1) Type de procédure : Procédure ouverte"),
    ])


def test_lot_titles_lose_their_number_and_name_their_department(tmp_path):
    lots = []
    for number, department in ((1, "Tarn-et-Garonne"), (2, "Gard")):
        lots += [(dce.P, "II.2) DESCRIPTION"),
                 (dce.P, f"II.2.1) Intitulé : Lot no{number} : Nettoyage des juridictions du département de {department}"),
                 (dce.P, f"Lot nº : {number}"),
                 (dce.P, "II.2.3) Lieu d'exécution : Code NUTS : FR"),
                 (dce.P, "II.2.4) Description des prestations : Nettoyage des locaux et de la vitrerie.")]
    tender = analyze([eu_notice(tmp_path / "avis.pdf", lots, "oui")])
    assert [lot.title.value for lot in tender.lots] == ["Nettoyage des juridictions du département de Tarn-et-Garonne",
                                                         "Nettoyage des juridictions du département de Gard"]
    assert [lot.place.value.departments for lot in tender.lots] == [["82"], ["30"]]
    assert tender.place.value.scope == PlaceScope.SEVERAL and tender.place.value.departments == ["30", "82"]


def test_undivided_notice_without_a_lot_title_takes_the_contract_title(tmp_path):
    lots = [(dce.P, "II.2) DESCRIPTION"), (dce.P, "II.2.1) Intitulé :"),
            (dce.P, "II.2.4) Description des prestations : Les prestations du présent accord-cadre comprennent : "
                    "1) le nettoyage courant ; 2) la vitrerie.")]
    tender = analyze([eu_notice(tmp_path / "avis.pdf", lots, "non")])
    assert len(tender.lots) == 1 and tender.lots[0].title.value == "Nettoyage des locaux des juridictions"


@pytest.mark.parametrize("text, title", [
    ("Rédaction de contenus pour le magazine de l'insep rédaction de contenus pour le magazine de l'insep intitulé "
     "« insep le mag »", "Rédaction de contenus pour le magazine de l'insep"),
    ("Rédaction de contenus pour la communication institutionnelle de l'inseprédaction de contenus pour divers "
     "supports", "Rédaction de contenus pour la communication institutionnelle de l'insep"),  # glued in the PDF
    ("Travaux de peinture et travaux de peinture extérieure des écoles", "Travaux de peinture et travaux de peinture "
     "extérieure des écoles"),
    ("Entretien des espaces verts de la commune et entretien des espaces verts des écoles",  # one title, two parts
     "Entretien des espaces verts de la commune et entretien des espaces verts des écoles"),
])
def test_national_form_lot_title_stops_where_its_description_restates_it(text, title):
    from procure.extract.notice import _before_restatement

    assert _before_restatement(text) == title


@pytest.mark.parametrize("lines", [
    ["00 GENERALITES 01 INSTALLATIONS DE CHANTIER - DEMOLITION 02 CHARPENTE – COUVERTURE 03 ELECTRICITE "
     "01.02 Note concernant le DCE"],  # a PDF whose lines were joined
    ["00 GENERALITES", "01 INSTALLATIONS DE CHANTIER - DEMOLITION", "02 CHARPENTE – COUVERTURE", "03 ELECTRICITE"],
])
def test_allotment_list_without_the_word_lot(tmp_path, lines):
    path = dce.write_docx(tmp_path / "CCTP.docx", [
        (dce.H, "CAHIER DES CLAUSES TECHNIQUES PARTICULIÈRES"), (dce.P, "Aménagement des combles de la mairie"),
        (dce.P, "2/ Allotissement du projet :"), *[(dce.P, line) for line in lines],
        (dce.P, "Les entrepreneurs ne pourront arguer d'un manque de concordance entre plans et descriptif.")])
    tender = analyze([path])
    assert [(lot.number, lot.title.value) for lot in tender.lots] == [
        (1, "INSTALLATIONS DE CHANTIER - DEMOLITION"), (2, "CHARPENTE – COUVERTURE"), (3, "ELECTRICITE")]


def test_a_single_numbered_line_after_allotment_is_no_list(tmp_path):
    path = dce.write_docx(tmp_path / "RC.docx", [
        (dce.H, "RÈGLEMENT DE LA CONSULTATION"), (dce.P, "Objet : nettoyage des locaux"),
        (dce.P, "Allotissement :"), (dce.P, "1 lot unique, le marché n'est pas divisé pour des raisons techniques.")])
    assert len(analyze([path]).lots) == 1


def test_a_code_whose_nature_contradicts_the_lot_is_doubted(tmp_path):
    """A lot that is no works among works lots; a service title coded as a supply. Other lots stay quiet."""
    works = dce.write_docx(tmp_path / "RC.docx", [
        (dce.H, "RÈGLEMENT DE LA CONSULTATION"), (dce.P, "Objet : rénovation de la salle des fêtes"),
        (dce.P, "Le marché est décomposé en 3 lots :"),
        (dce.P, "Lot 1 : Gros œuvre – CPV 45223220"), (dce.P, "Lot 2 : Peinture – CPV 45442100"),
        (dce.P, "Lot 3 : Electricité-SSI – CPV 09310000")])
    doubts = {lot.number: lot.cpv_doubt for lot in analyze([works]).lots}
    assert doubts[1] is None and doubts[2] is None
    assert "les autres lots sont des travaux" in doubts[3] and "09310000" in doubts[3]
    service = dce.write_docx(tmp_path / "avis.docx", [
        (dce.H, "RÈGLEMENT DE LA CONSULTATION"), (dce.P, "Objet : magazine municipal"),
        (dce.P, "Le marché est décomposé en 2 lots :"),
        (dce.P, "Lot 1 : Rédaction de contenus pour le magazine municipal – CPV 22200000"),
        (dce.P, "Lot 2 : Fourniture du magazine municipal imprimé – CPV 22200000")])
    doubts = {lot.number: lot.cpv_doubt for lot in analyze([service]).lots}
    # Every lot declares its code: the CPV model does not run (whatever an earlier analysis loaded), the rule does.
    assert "désigne des fournitures (division 22)" in doubts[1]
    assert doubts[2] is None  # a supply titled as one is no contradiction


@pytest.mark.parametrize("lines", [
    ["ARTICLE 3 – ALLOTISSEMENT ET VARIANTES", "1 – Allotissement : sans objet.", "2 – Variantes : les variantes ne "
     "sont pas autorisées."],
    ["Décomposition en lots et tranches :", "1. Tranche ferme : aménagement du rez-de-chaussée", "2. Tranche "
     "optionnelle : aménagement de l'étage"],
    ["L'allotissement est la règle.", "1 Objet du marché", "2 Durée du marché"],
])
def test_numbered_paragraphs_after_allotment_are_no_lots(tmp_path, lines):
    path = dce.write_docx(tmp_path / "RC.docx", [
        (dce.H, "RÈGLEMENT DE LA CONSULTATION"), (dce.P, "Objet : aménagement de la mairie"),
        *[(dce.P, line) for line in lines]])
    assert len(analyze([path]).lots) == 1


def test_a_trade_number_in_brackets_is_no_department_and_a_stated_place_prevails(tmp_path):
    path = dce.write_docx(tmp_path / "RC.docx", [
        (dce.H, "RÈGLEMENT DE LA CONSULTATION"), (dce.P, "Objet : rénovation de l'école"),
        (dce.P, "Lieu d'exécution : 84350 Courthezon"), (dce.P, "Le marché est décomposé en 2 lots :"),
        (dce.P, "Lot 1 : Désamiantage (01)"), (dce.P, "Lot 2 : Gros œuvre (02)")])
    tender = analyze([path])
    assert [[c.insee for c in lot.place.value.communes] for lot in tender.lots] == [["84039"], ["84039"]]
    assert all(lot.place.inherited for lot in tender.lots)


def test_departments_named_in_words_in_a_lot_title():
    from procure.extract.places import departments_named

    assert departments_named("juridictions des départements de la Lozère et du Gard") == ["48", "30"]
    assert departments_named("Désamiantage (01)") == []


def test_a_distractor_word_inside_another_word_hides_no_amount():
    """"imprimés" holds "prime" (a bonus, not the contract's amount): the amount below it is still read."""
    text = "Objet : machine de prototypage de circuits imprimés\nMontant estimé du marché : 120 000 € HT"
    assert [(m.value, m.kind) for m in amount_mentions(text, fold(text))] == [(Decimal("120000"), AmountKind.ESTIMATE)]
    bonus = "Une prime de 5 000 € est versée en cas d'avance sur le délai."
    assert amount_mentions(bonus, fold(bonus)) == []
