"""The three fixture tenders, analysed end to end from real PDF and DOCX files."""
from decimal import Decimal

import pytest

import dce
from procure.extract import analyze
from procure.model import Place, ProvisionKind


def kinds(provisions):
    return {p.kind for p in provisions}


@pytest.fixture
def works(tmp_path):
    return analyze(dce.works_tender(tmp_path))


def test_works_tender_header(works):
    assert works.buyer.value == "Ville de Vitry-sur-Seine"
    assert works.object.value == "Travaux de réhabilitation du groupe scolaire Joliot-Curie"
    assert works.reference.value == "2026-TX-014"
    assert works.procedure.value["code"] == "AOO"
    assert works.place.value.commune.insee == "94081"
    assert works.dates["publication"].value.isoformat() == "2026-09-03"
    assert works.dates["offers_deadline"].value.isoformat() == "2026-10-15"
    assert [d.doc_type for d in works.documents] == ["RC", "CCAP"]


def test_works_tender_lots_from_pdf_table(works):
    assert [lot.number for lot in works.lots] == [1, 2, 3]
    expected = {1: ("Gros œuvre – maçonnerie", "45262522", "2450000"), 2: ("Peinture intérieure", "45442100", "380000"),
                3: ("Charpente métallique", "45223100", "910000")}
    for lot in works.lots:
        title, cpv, amount = expected[lot.number]
        assert lot.title.value == title
        assert [c.code for c in lot.cpv_codes] == [cpv]
        assert lot.estimated_amount.value.value == Decimal(amount)
        assert lot.estimated_amount.value.tax == "HT"  # from the table header "(€ HT)"
        assert lot.estimated_amount.evidence.file == "RC_travaux.pdf" and lot.estimated_amount.evidence.page == 1
        assert isinstance(lot.place.value, Place) and lot.place.value.commune.insee == "94081" and lot.place.inherited
        assert lot.duration_months.value == 18


def test_works_tender_existing_clauses_with_evidence(works):
    lot1, lot2, lot3 = works.lots
    (clause1,) = [p for p in lot1.provisions if p.kind == ProvisionKind.INSERTION_CLAUSE]
    assert clause1.hours == 1200
    assert clause1.evidence.file == "CCAP_travaux.docx"
    assert "1 200 heures" in clause1.evidence.passage
    assert [p.hours for p in lot2.provisions if p.kind == ProvisionKind.INSERTION_CLAUSE] == [350]
    assert not lot3.provisions  # the CCAP gives hours to lots 1 and 2 only
    tender_wide = {p.kind: p for p in works.provisions}
    assert "L2112-2" in tender_wide[ProvisionKind.INSERTION_CLAUSE].articles
    criterion = tender_wide[ProvisionKind.SOCIAL_CRITERION]
    assert criterion.weight_percent == 15
    assert criterion.evidence.file == "RC_travaux.pdf" and criterion.evidence.page == 1


def test_reserved_supplies_tender(tmp_path):
    tender = analyze(dce.supplies_tender(tmp_path))
    assert tender.buyer.value == "Ville de Grenoble"
    assert tender.procedure.value["code"] == "MAPA"
    lot1, lot2 = tender.lots
    assert lot1.title.value == "Fourniture de ramettes de papier recyclé"
    assert lot1.cpv_codes[0].code == "30197630"
    assert lot1.estimated_amount.value.value == Decimal("255000")  # 85 000 € HT per year over 3 years
    assert lot1.duration_months.value == 36
    assert lot1.place.value.commune.insee == "38185"
    reserved = [p for p in lot1.provisions if p.kind == ProvisionKind.RESERVED_DISABILITY]
    assert reserved and reserved[0].articles == ["L2113-12"]
    assert kinds(lot1.provisions) == {ProvisionKind.RESERVED_DISABILITY}
    assert kinds(lot2.provisions) == {ProvisionKind.ETHICAL_PURCHASING, ProvisionKind.FAIR_TRADE}
    assert lot2.duration_months.value == 24
    assert not tender.provisions


def test_services_tender_without_social_provision(tmp_path):
    tender = analyze(dce.services_tender(tmp_path))
    assert tender.buyer.value == "Communauté d'agglomération du Pays de Grasse"
    assert len(tender.lots) == 1
    (lot,) = tender.lots
    assert lot.title.value == "Prestations de conseil juridique en droit public" and lot.title.inherited
    assert lot.cpv_codes[0].code == "79111000"
    assert lot.estimated_amount.value.value == Decimal("250000")
    assert lot.duration_months.value == 48
    assert lot.place.value.commune.insee == "06069"
    # "Le présent marché ne comporte pas de clause sociale." must not read as a clause.
    assert not tender.provisions and not lot.provisions


def test_same_rc_as_docx_and_pdf_gives_same_lots(tmp_path):
    from_pdf = analyze([dce.write_pdf(tmp_path / "RC.pdf", dce.WORKS_RC)])
    from_docx = analyze([dce.write_docx(tmp_path / "RC.docx", dce.WORKS_RC)])

    def summary(tender):
        return [(lot.number, lot.title.value, [c.code for c in lot.cpv_codes], lot.estimated_amount.value.value)
                for lot in tender.lots]

    assert summary(from_pdf) == summary(from_docx)


def test_buyer_found_by_entity_rules_without_label(tmp_path):
    elements = [(dce.H, "Règlement de la consultation"),
                (dce.P, "Marché passé par la Commune de Champigny-sur-Marne pour l'entretien des espaces verts."),
                (dce.P, "Code CPV : 77310000-6")]
    tender = analyze([dce.write_docx(tmp_path / "rc.docx", elements)])
    assert tender.buyer.value == "Commune de Champigny-sur-Marne"
    assert tender.buyer.evidence.block == 1


def test_cpv_labels_when_nomenclature_is_available(tmp_path, with_cpv):
    tender = analyze(dce.supplies_tender(tmp_path))
    code = tender.lots[1].cpv_codes[0]
    assert code.status == "ok" and code.label.startswith("Vêtements")
