"""What the pieces declare beside the CPV code: the contract's nature (works, supplies, services), an award notice
that is no open consultation, the whole tender's amount, a defence contract said in words; and the amount kinds,
the French of the lone-piece warning."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from lxml import etree

from procure.extract import analyze
from procure.extract.award import award_in_text
from procure.extract.document import DocText
from procure.extract.merge import _cannot_read_fr
from procure.extract.nature import read_declared_nature
from procure.extract.quantities import amount_mentions
from procure.extract.reading import read_defence_security
from procure.model import AmountKind, Block
from procure.text.nlp import fold_aligned
from procure.vocabulary import ContractNature

DATA_PATH = Path(os.environ.get("PROCURE_SHARED_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data")
DATA = DATA_PATH if DATA_PATH.is_dir() else None
needs_data = pytest.mark.skipif(DATA is None, reason="données partagées absentes (PROCURE_SHARED_DATA)")
NS = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
      "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"}


def doc(text: str, role: str = "AVIS") -> DocText:
    block = Block("avis.pdf", 1, 0, "paragraph", text)
    return DocText("avis.pdf", role, text, fold_aligned(text), [0], [block])


def _notice(name: str) -> Path:
    assert DATA is not None
    return next(DATA.glob(f"dce-real/{name}/*.xml"))


# --- declared nature ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, nature", [
    ("II.1.2)Code CPV principal : 42512000\nII.1.3)Type de marché\nTravaux\nII.1.4)Description succincte : VRV", "works"),
    ("Objet du marché : climatisation.\nType de marché de travaux : exécution.\nCPV - Objet principal : 42512000.", "works"),
    ("Objet : achat de véhicules.\nType de marché de fournitures : achat.\nCPV - Objet principal : 34110000.", "supplies"),
    ("Département(s) de publication : 75\nAnnonce No 20-101684\nServices\n- Nom et adresse officiels : INSEP.", "services"),
    ("Pouvoir adjudicateur : Ville du Bourget.\n  Type de marché : services.\n  Code NUTS : FR106", "services"),
    ("Article 1. Le présent marché est un marché public de travaux au sens de l'article L1111-2.", "works"),
    ("Il s'agit d'un marché de services passé selon une procédure adaptée.", "services"),
    ("RÈGLEMENT DE LA CONSULTATION\nMARCHÉ PUBLIC DE TRAVAUX\nRéfection de la toiture", "works"),
    ("CCAP\nMARCHES PUBLICS DE FOURNITURES\nAcquisition de mobilier", "supplies"),
    # the European form of 2011, its nature after the long label
    ("II.1.2) Type de marché et lieu d'exécution des travaux, de livraison des fournitures ou de prestation des "
     "services : Travaux. Exécution.\nLieu principal d'exécution : Nîmes", "works"),
    ("Article 1.3 - Nature du marché : Fournitures\nLe marché est passé en procédure adaptée.", "supplies"),
    ("Objet : entretien des espaces verts. Type de marché : services.", "services"),
    ("Nature du marché : Marché de travaux\nObjet : réfection de voirie", "works"),
    ("La présente consultation concerne un accord-cadre de fournitures courantes.", "supplies"),
])
def test_the_nature_the_piece_declares(text, nature):
    found = read_declared_nature(doc(text), 1)
    assert found is not None and found.value == ContractNature(nature)
    assert found.evidence is not None and found.evidence.passage


@pytest.mark.parametrize("text", [
    "1.3. TYPE DE MARCHÉ\nCe marché est un marché à bons de commande au sens de l'article R2162-2.",
    "Le présent marché n'est pas un marché de travaux.",
    "Le présent marché est un marché de fournitures et de services.",  # mixed: no one nature
    "Le présent marché est un marché de fournitures courantes et de services.",
    "1.3 Type de marché\nTravaux de réfection des toitures du groupe scolaire",  # a heading, then a title
    "Type de marché : services et fournitures associées",
    "Le titulaire justifie de références de marchés de travaux similaires.",  # a passing mention
    # two natures stated in the free text of one piece say nothing
    "Il s'agit d'un marché de services. Le présent marché est un marché de travaux.",
])
def test_no_nature_from_mixed_denied_or_passing_mentions(text):
    assert read_declared_nature(doc(text), 1) is None


@needs_data
def test_an_eforms_notice_declares_its_nature_per_lot_and_the_lots_inherit_the_procedures(tmp_path):
    tree = etree.parse(str(_notice("ted_131011-2024")))
    lots = [lot for lot in tree.getroot().findall("cac:ProcurementProjectLot", NS)
            if lot.find("cbc:ID", NS).get("schemeName") == "Lot"]
    lots[1].find("cac:ProcurementProject/cbc:ProcurementTypeCode", NS).text = "services"
    path = tmp_path / "avis.xml"
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    tender = analyze([path])
    assert tender.declared_nature.value == ContractNature.SUPPLIES
    assert "BT-23" in tender.declared_nature.evidence.passage
    assert [(lot.declared_nature.value, lot.declared_nature.inherited) for lot in tender.lots] == \
        [(ContractNature.SUPPLIES, False), (ContractNature.SERVICES, False)]


@needs_data
@pytest.mark.parametrize("name, nature", [("boamp_avis_20-101498", "works"), ("boamp_20-101465", "works"),
                                          ("boamp_20-101684", "services")])
def test_a_notice_whose_cpv_misleads_declares_its_nature(name, nature):
    """VRV works coded 42512000, photovoltaic lots coded 09331200 in a works notice, magazine writing coded as
    printed matter: the declared nature is read, and every lot takes it (inherited)."""
    folder = DATA / "dce-real" / name
    tender = analyze(sorted(folder.glob("*.pdf")))
    assert tender.declared_nature.value == ContractNature(nature)
    assert all(lot.declared_nature.value == ContractNature(nature) and lot.declared_nature.inherited
               for lot in tender.lots)


# --- award notices ------------------------------------------------------------------------------------------------

@needs_data
@pytest.mark.parametrize("name, winner, day", [("ted_529570-2024", "XELYA", "11/07/2024"),
                                               ("ted_215318-2024", "HOLYMAGE", "07/02/2024")])
def test_an_eforms_award_notice_says_the_contract_is_awarded(name, winner, day):
    tender = analyze([_notice(name)])
    warnings = [p for p in tender.problems if p.message.startswith("Avis d'attribution")]
    assert len(warnings) == 1 and not warnings[0].fatal
    assert f"à {winner} le {day}" in warnings[0].message and "prochain marché ou à un avenant" in warnings[0].message


@needs_data
def test_a_contract_notice_is_no_award_notice():
    tender = analyze([_notice("ted_131011-2024")])
    assert not [p for p in tender.problems if "attribution" in p.message]


def test_a_printed_award_notice_is_said_with_its_winner_and_date():
    text = ("Avis No 20-123456 publié le 11/08/2020\nAvis d'attribution\nNom et adresse officiels de l'organisme "
            "acheteur : Ville de Loos\nV.2.1) Date de conclusion du marché : 12/03/2020\nV.2.3) Nom et adresse du "
            "titulaire\nNom officiel : ENTREPRISE DUPONT\n")
    warning = award_in_text(doc(text))
    assert warning is not None and "(à ENTREPRISE DUPONT le 12/03/2020)" in warning
    national = award_in_text(doc("Avis No 20-123456 publié le 11/08/2020\nAvis d'attribution Procédure Ouverte\n"
                                 "Attribution du marché\nNom du titulaire / organisme : SARL MARTIN\n"
                                 "Date d'attribution : 02/09/2020\n"))
    assert national is not None and "(à SARL MARTIN le 02/09/2020)" in national
    # a contract notice that speaks of the award notice to come is no award notice
    assert award_in_text(doc("Avis de marché\nProcédure ouverte\nL'avis d'attribution sera publié au BOAMP.")) is None


# --- amounts ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["Maximum : enveloppe annuelle de 225 000 € HT.",
                                  "Une enveloppe de 225 000 € HT maximum est prévue pour l'accord-cadre."])
def test_an_envelope_said_to_be_a_maximum_is_a_maximum(text):
    assert [m.kind for m in amount_mentions(text, fold_aligned(text))] == [AmountKind.MAXIMUM]


def test_an_envelope_alone_stays_an_estimate():
    text = "Enveloppe prévisionnelle : 100 000 € HT."
    assert [m.kind for m in amount_mentions(text, fold_aligned(text))] == [AmountKind.ESTIMATE]


@needs_data
def test_a_budget_equal_to_the_yearly_envelope_is_no_second_estimate():
    """dcev1: « Enveloppe maximale annuelle … 225 000 € HT/an » and « Le budget alloué … 225 000 € HT/an » are the
    same figure: 900 000 € HT over 4 years, a maximum, with no « montant estimé » equal to it."""
    folder = DATA / "dce-real" / "dcev1_infogerance"
    tender = analyze([folder / name for name in ("RC.pdf", "CCAP.pdf", "CCTP.pdf", "1b_BPU_DQE.xlsx")])
    amount = tender.lots[0].estimated_amount.value
    assert (amount.value, amount.kind, amount.estimate) == (900000, AmountKind.MAXIMUM, None)
    assert "montant estimé" not in (amount.computation or "")


@needs_data
def test_the_whole_tenders_amount_is_kept_when_the_lots_state_none():
    """ted_131011: BT-27 of the procedure (386 400 €) for two lots that state none; ted_438171: a framework maximum
    of the procedure (BT-271, 6 510 000 €) over twenty lots, one of which states its own estimate."""
    valras = analyze([_notice("ted_131011-2024")])
    assert valras.estimated_amount.value.value == 386400 and valras.estimated_amount.value.kind == AmountKind.ESTIMATE
    assert "BT-27" in valras.estimated_amount.evidence.passage
    assert all(lot.estimated_amount is None for lot in valras.lots)  # not split by lot: the lots keep none
    centre = analyze([_notice("ted_438171-2024")])
    assert centre.estimated_amount.value.value == 6510000 and centre.estimated_amount.value.kind == AmountKind.MAXIMUM


@needs_data
def test_an_eforms_lot_with_a_maximum_and_an_estimate_keeps_both():
    amount = analyze([_notice("ted_529570-2024")]).lots[0].estimated_amount.value
    assert (amount.value, amount.kind, amount.estimate) == (6000000, AmountKind.MAXIMUM, 1712500)


# --- French -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("missing, said", [
    (["les montants"], "les montants ne peuvent pas être lus"),
    (["la procédure"], "la procédure ne peut pas être lue"),
    (["l'acheteur"], "l'acheteur ne peut pas être lu"),
    (["la procédure", "les montants"], "la procédure et les montants ne peuvent pas être lus"),
])
def test_the_lone_piece_warning_agrees_with_its_subject(missing, said):
    assert _cannot_read_fr(missing) == said


# --- defence ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "La procédure est adaptée, conformément à l'article L2323-1 du CPP. Elle nécessite la détention d'isc "
    "confidentiel defense.",
    "Le titulaire devra disposer d'une habilitation secret défense pour ses personnels.",
    "Marché passé en application de la directive 2009/81/CE relative aux marchés de défense et de sécurité.",
    "Avis de marché - Défense et sécurité\nSection I : pouvoir adjudicateur",
    "Procédure négociée en application de l'article R2361-1 du code de la commande publique.",
])
def test_defence_said_in_words_or_by_the_defence_part_of_the_code(text):
    found = read_defence_security(doc(text), 1)
    assert found is not None and found.value is True and found.evidence.passage


@pytest.mark.parametrize("text", [
    # the acte d'engagement and the DC1 cite the defence article beside its ordinary twin
    "Personne habilitée à donner les renseignements prévus aux articles R. 2191-60 et R. 2391-28 du Code de la "
    "commande publique : Service Finances",
    "il n'entre dans aucun des cas des articles L. 2141-1 à L. 2141-5 ou L. 2341-1 à L. 2341-3",
    "Les crédits sont inscrits conformément à l'article L. 2311-7 du CGCT.",
    "Le présent marché n'est pas soumis à la directive 2009/81/CE.",
    "Le titulaire est tenu au secret professionnel ; la confidentialité des données est défendue.",
    "Aucune habilitation confidentiel défense n'est requise pour l'exécution des prestations.",
    "L'habilitation secret défense des personnels n'est pas exigée.",
])
def test_forms_twins_other_codes_and_denials_are_no_defence(text):
    assert read_defence_security(doc(text), 1) is None
