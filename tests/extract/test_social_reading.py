"""Social provisions read as a careful buyer reads them: the traps seen in real tenders (issue #10)."""
import pytest

import dce
from procure.extract import analyze
from procure.model import ProvisionKind

K = ProvisionKind


def provisions(tmp_path, paragraphs, name="RC.docx", title="Règlement de la consultation"):
    elements = [(dce.H, title)] + [(dce.P, text) for text in paragraphs]
    tender = analyze([dce.write_docx(tmp_path / name, elements)])
    return tender, tender.provisions + [p for lot in tender.lots for p in lot.provisions]


@pytest.mark.parametrize("answer", ["Sans", "Non", "Néant", "Sans objet", "Aucune"])
def test_negative_answer_after_the_label_is_no_clause(tmp_path, answer):
    _, found = provisions(tmp_path, ["Objet de la consultation : entretien des espaces verts", f"Clauses sociales : {answer}",
                                     "Marché réservé : non."])
    assert found == []


def test_profession_reservation_is_not_a_reserved_contract(tmp_path):
    _, found = provisions(tmp_path, ["La prestation est réservée à une profession particulière.",
                                     "Marché réservé : non."])
    assert found == []


def test_candidate_form_checkboxes_yield_nothing(tmp_path):
    elements = [(dce.H, "DC2 - DÉCLARATION DU CANDIDAT INDIVIDUEL OU DU MEMBRE DU GROUPEMENT"),
                (dce.P, "Le candidat est une entreprise adaptée (article L. 2113-12 du code de la commande publique) ☐"),
                (dce.P, "Le candidat est une structure d'insertion par l'activité économique (article L. 2113-13) ☐"),
                (dce.P, "Le candidat est une entreprise de l'économie sociale et solidaire (article L. 2113-15) ☐")]
    tender = analyze([dce.write_docx(tmp_path / "formulaire.docx", elements)])
    assert tender.documents[0].doc_type == "CANDIDATURE"
    assert not tender.provisions and not any(lot.provisions for lot in tender.lots)


def test_disabled_workers_declaration_of_candidates_is_no_reserved_contract(tmp_path):
    _, found = provisions(tmp_path, [
        "Documents à produire : déclaration sur l'honneur du candidat attestant qu'il est en règle au regard des articles "
        "L. 5212-1 à L. 5212-11 du code du travail, concernant l'emploi des travailleurs handicapés."])
    assert found == []


def test_eligibility_list_belongs_to_the_insertion_clause(tmp_path):
    _, found = provisions(tmp_path, [
        "Article 8 - Clause sociale d'insertion",
        "Le titulaire réalise une action d'insertion au bénéfice de personnes éloignées de l'emploi répondant à l'un des "
        "critères suivants : demandeurs d'emploi de longue durée, bénéficiaires des minima sociaux, travailleurs handicapés."])
    assert {p.kind for p in found} == {K.INSERTION_CLAUSE}


def test_hours_per_year_are_kept_per_year(tmp_path):
    _, found = provisions(tmp_path, [
        "Le titulaire devra réaliser 3 000 heures d'insertion par année d'exécution du marché au profit de publics "
        "éloignés de l'emploi (clause sociale d'insertion, article L. 2112-2 du code de la commande publique)."],
        name="CCAP.docx", title="Cahier des clauses administratives particulières")
    (clause,) = found
    assert clause.kind == K.INSERTION_CLAUSE and clause.hours == 3000 and clause.hours_per == "year"
    assert "L2112-2" in clause.articles and clause.evidence.file == "CCAP.docx"


def test_insertion_as_a_business_domain_is_no_clause(tmp_path):
    _, found = provisions(tmp_path, [
        "Objet de la consultation : maintenance des applications de la justice",
        "Lot 1 : Applications couvrant le périmètre fonctionnel de la détention",
        "Lot 2 : Applications couvrant le périmètre fonctionnel de l'insertion",
        "Le prestataire assure l'insertion d'une isolation acoustique dans les locaux."])
    assert found == []


def test_social_criterion_with_its_weight(tmp_path):
    _, found = provisions(tmp_path, [
        "Critères d'attribution :",
        "Critère 4 : Pertinence des mesures proposées pour la réalisation d'heures d'insertion / Pondération : 5"])
    (criterion,) = found
    assert criterion.kind == K.SOCIAL_CRITERION and criterion.weight_percent == 5


def test_environmental_criterion_is_not_social(tmp_path):
    _, found = provisions(tmp_path, [
        "Critères d'attribution : Performance en matière de protection de l'environnement / Pondération : 5.0"])
    assert found == []


def test_reserved_contract_to_siae(tmp_path):
    _, found = provisions(tmp_path, [
        "Le présent marché est réservé aux structures d'insertion par l'activité économique mentionnées à "
        "l'article L. 5132-4 du code du travail, en application de l'article L. 2113-13 du code de la commande publique."])
    assert {p.kind for p in found} == {K.RESERVED_SIAE}


def test_quoted_passage_is_the_sentence_that_matched_not_the_form_block(tmp_path):
    """Paris notice: the quote starts at the execution condition, not at « III.1.5) Informations sur les marchés
    réservés », which reads like a reserved market."""
    _, found = provisions(tmp_path, [
        "III.1.5)Informations sur les marchés réservés : III.2) CONDITIONS LIÉES AU MARCHÉ III.2.1)Information relative "
        "à la profession Références des dispositions législatives, réglementaires ou administratives applicables : "
        "III.2.2)Conditions particulières d'exécution : Le candidat retenu devra mettre en œuvre une action d'insertion "
        "au bénéfice de personnes rencontrant des difficultés particulières d'insertion, dans le cadre de l'exécution "
        "du marché."])
    (clause,) = [p for p in found if p.kind == K.INSERTION_CLAUSE]
    assert clause.evidence.passage.startswith("Conditions particulières d'exécution : Le candidat retenu")
    assert "réservés" not in clause.evidence.passage


def test_articles_come_from_the_matched_sentence_only(tmp_path):
    """ESID notice: sentences glued by the PDF text; R2151-7 belongs to the next sentence, not to the clause."""
    _, found = provisions(tmp_path, [
        "Chaque entreprise désigne un correspondant (se référer au protocole BIM joint au dossier de consultation)."
        "clauses environnementales (Lots 2 et 3)clauses sociales (Lots 1, 2 et 3)en cas de groupement, la forme imposée "
        "au candidat après l'attribution sera le groupement solidaire.En application de l'article R. 2151-7 du code de "
        "la commande publique, le soumissionnaire ne pourra pas se présenter à la fois en qualité de candidat individuel "
        "et de membre d'un groupement."])
    clauses = [p for p in found if p.kind == K.INSERTION_CLAUSE]
    assert clauses
    for clause in clauses:
        assert "clauses sociales" in clause.evidence.passage
        assert "2151-7" not in clause.evidence.passage and "R2151-7" not in clause.articles


def test_abbreviations_and_addresses_end_no_sentence_nor_quote(tmp_path):
    """'cf.' cut the clause before its hours; an e-mail or a web address cut its quote."""
    path = dce.write_docx(tmp_path / "CCAP.docx", [
        (dce.H, "CAHIER DES CLAUSES ADMINISTRATIVES PARTICULIÈRES"), (dce.P, "Objet du marché : entretien des espaces verts"),
        (dce.P, "Clause d'insertion : cf. Article 8 du présent CCAP, le titulaire réserve 300 heures de travail à des "
                "personnes en insertion (contact : clauses@mde-lyon.fr, voir www.mde-lyon.fr). Le facilitateur "
                "accompagne le titulaire.")])
    tender = analyze([path])
    [clause] = tender.provisions + [p for lot in tender.lots for p in lot.provisions]
    assert clause.hours == 300
    assert clause.evidence.passage.startswith("Clause d'insertion : cf. Article 8")
    assert "www.mde-lyon.fr)." in clause.evidence.passage


# Issue #19: wordings the development set did not use, and traps. The sentences differ from the judge's training
# sentences (models/provision_sentences/), so these cases check that it generalises, not that it remembers.
WORDINGS = [
    ("Les offres sont entièrement rédigées en français. La visite est facultative.L'exécution du marché comprend une "
     "clause d'insertion obligatoire au profit des demandeurs d'emploi.", K.INSERTION_CLAUSE),
    ("Les conditions d'exécution du contrat comportent des clauses favorisant l'emploi des personnes éloignées de l'emploi.",
     K.INSERTION_CLAUSE),
    ("Conditions particulières d'exécution : l'accord-cadre comporte des conditions d'exécution à caractère social.",
     K.INSERTION_CLAUSE),
    ("Le marché est soumis à une clause sociale d'insertion dont les modalités figurent au CCAP.", K.INSERTION_CLAUSE),
    ("Le titulaire réservera des heures de travail à des publics en difficulté pendant l'exécution des travaux.",
     K.INSERTION_CLAUSE),
    ("Au titre de l'exécution du marché, le titulaire s'engage dans une démarche de prévention des discriminations et "
     "d'égalité entre les femmes et les hommes pour le personnel affecté aux prestations.", K.INSERTION_CLAUSE),
    ("Le présent accord-cadre est réservé à des entreprises adaptées ou à des ESAT (article L. 2113-12 du code de la "
     "commande publique).", K.RESERVED_DISABILITY),
    ("Les denrées d'épicerie proposées (café, cacao) sont issues du commerce équitable.", K.FAIR_TRADE),
]
TRAPS = [
    "Marché réservé : non.",
    "Clauses sociales : Sans",
    "Clause d'insertion : non",
    "La mission est réservée aux architectes inscrits à l'ordre.",
    "Profession réservée : la prestation est réservée aux experts-comptables.",
    "Objet de la consultation : transport des personnes handicapées vers les établissements d'accueil de jour.",
    "Prestations d'aide à domicile pour les bénéficiaires en situation de handicap du département.",
    "Le candidat est une entreprise adaptée ☐",
    "Critères d'attribution : valeur technique dont l'insertion paysagère des aménagements proposés, 20 %.",
    "Les places de stationnement réservées aux personnes handicapées sont matérialisées au sol.",
    "Question n° 4 : les heures d'insertion sont-elles un critère social de jugement des offres ?",
    "Liste des publics pouvant être concernés : personnes rencontrant des difficultés sociales et professionnelles, "
    "demandeurs d'emploi de longue durée, jeunes sans qualification, seniors.",
]


@pytest.mark.parametrize("sentence, kind", WORDINGS)
def test_wordings_of_real_notices_are_read(tmp_path, sentence, kind):
    _, found = provisions(tmp_path, ["Objet de la consultation : travaux d'entretien des bâtiments communaux", sentence])
    assert kind in {p.kind for p in found}, [p.evidence.passage for p in found]


@pytest.mark.parametrize("sentence", TRAPS)
def test_traps_yield_no_provision(tmp_path, sentence):
    _, found = provisions(tmp_path, ["Objet de la consultation : prestations de services", sentence])
    assert found == [], [(p.kind, p.evidence.passage) for p in found]


def test_combined_environmental_and_social_criterion_keeps_its_weight(tmp_path):
    _, found = provisions(tmp_path, ["Critères d'attribution :", "Prix des prestations : 60 %",
                                     "Valeur technique : 30 %",
                                     "Performances en matière de protection de l'environnement et d'insertion "
                                     "professionnelle : 10 %"])
    (criterion,) = [p for p in found if p.kind == K.SOCIAL_CRITERION]
    assert criterion.weight_percent == 10


def test_social_criterion_for_one_lot_only(tmp_path):
    tender, found = provisions(tmp_path, [
        "Le marché est divisé en 2 lots.", "Lot 1 : nettoyage des locaux", "Lot 2 : entretien des espaces verts",
        "Critères d'attribution du lot 2 : prix 70 %, valeur technique 20 %, performance en matière d'insertion "
        "professionnelle des publics en difficulté 10 %."])
    assert [lot.number for lot in tender.lots] == [1, 2]
    criteria = [p for p in found if p.kind == K.SOCIAL_CRITERION]
    assert [(p.lot, p.weight_percent) for p in criteria] == [(2, 10)]


def test_question_of_a_questions_answers_register_is_no_provision(tmp_path):
    elements = [(dce.H, "Questions / Réponses"),
                (dce.P, "Question 1 : Le critère relatif aux heures d'insertion sera-t-il noté sur 10 points, et combien "
                        "d'heures d'insertion faut-il prévoir ?"),
                (dce.P, "Réponse : les candidats se reporteront au règlement de la consultation.")]
    tender = analyze([dce.write_docx(tmp_path / "QR.docx", elements)])
    assert tender.documents[0].doc_type == "QR"
    assert not tender.provisions and not any(lot.provisions for lot in tender.lots)


def test_glued_sentence_is_quoted_alone(tmp_path):
    _, found = provisions(tmp_path, ["Les variantes ne sont pas autorisées. La visite est facultative.L'exécution du "
                                     "marché comprend une clause d'insertion obligatoire de 400 heures."])
    (clause,) = [p for p in found if p.kind == K.INSERTION_CLAUSE]
    assert clause.evidence.passage.startswith("L'exécution du marché comprend")
    assert clause.hours == 400
