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
