"""Explained lot-to-supplier matching."""
from decimal import Decimal

import pytest

from procure.directory.suppliers import Supplier
from procure.matching.match import LotQuery, SupplierIndex, cpv_prefixes_for_naf
from procure.reference.geo import commune_by_insee


def supplier(siret, name, kinds, naf, insee=None, activities=None, headcount=None):
    commune = commune_by_insee(insee) if insee else None
    return Supplier(siret, name, kinds, naf=naf, activities=activities, headcount=headcount,
                    commune_insee=insee, latitude=commune.latitude if commune else None,
                    longitude=commune.longitude if commune else None, source="test")


@pytest.fixture
def index():
    return SupplierIndex([
        supplier("41071771400035", "Peinture Solidaire", ["EI"], "4334Z", "94081", "peinture intérieure, ravalement"),
        supplier("80750085500034", "ESAT des Bords de Marne", ["ESAT"], "8130Z", "94028", "entretien d'espaces verts"),
        supplier("38467557500029", "Nettoyage Insertion Lyon", ["ACI"], "8121Z", "69123", "nettoyage de locaux"),
        supplier("32817519100035", "Blanchisserie Adaptée", ["EA"], "9601A", "94041", "blanchisserie, repassage"),
        supplier("42313374900028", "Intérim Inclusif", ["ETTI"], "7820Z", "94081", "mise à disposition de personnel"),
        supplier("52147598600012", "Bâtisseurs Sans Adresse", ["EI"], "4399C", None, "maçonnerie"),
    ])


def vitry(**kwargs):
    commune = commune_by_insee("94081")
    return LotQuery(latitude=commune.latitude, longitude=commune.longitude, place_name=commune.name, **kwargs)


def names(result):
    return [m.supplier.name for m in result.ranked]


def test_activity_fit_ranks_the_painter_first_and_explains_it(index):
    result = index.match(vitry(title="Peinture intérieure", cpv="45442100", lever="insertion_clause",
                               amount_ht=Decimal("380000"), duration_months=12))
    best = result.ranked[0]
    assert best.supplier.name == "Peinture Solidaire"
    assert "activité déclarée : travaux de peinture et vitrerie (NAF 43.34Z), qui correspond au CPV 45442100 du lot" \
        in best.explanation_fr
    assert "dans la commune du lieu d'exécution (Vitry-sur-Seine)" in best.explanation_fr
    assert {"crosswalk", "in_area", "proximity", "eligibility", "capacity", "past_cpv"} <= set(best.components)
    assert best.confidence == "forte"
    tiers = {"forte": 2, "plausible": 1, "faible": 0}  # credible first, each label in the learned order
    assert all((tiers[a.confidence], a.score) >= (tiers[b.confidence], b.score) for a, b in zip(result.ranked, result.ranked[1:]))


def test_far_suppliers_are_excluded_with_their_reason(index):
    result = index.match(vitry(title="Nettoyage des locaux", cpv="90911200", radius_km=30))
    assert "Nettoyage Insertion Lyon" not in names(result)
    reasons = {e.supplier.name: e.reason for e in result.excluded()}
    assert "au-delà du rayon de 30 km" in reasons["Nettoyage Insertion Lyon"]
    assert result.excluded_count == len(reasons) == 1


def test_unknown_location_is_kept_and_said(index):
    result = index.match(vitry(title="Maçonnerie", cpv="45262522"))
    no_address = next(m for m in result.ranked if m.supplier.name == "Bâtisseurs Sans Adresse")
    assert no_address.distance_km is None and "distance inconnue" in no_address.explanation_fr


def test_reserved_disability_admits_only_ea_and_esat(index):
    result = index.match(vitry(title="Entretien des espaces verts", cpv="77310000", lever="reserved_disability"))
    assert set(names(result)) == {"ESAT des Bords de Marne", "Blanchisserie Adaptée"}
    assert names(result)[0] == "ESAT des Bords de Marne"
    reasons = [e.reason for e in result.excluded()]
    assert any("non admis" in r and "L2113-12" in r for r in reasons)


def test_reserved_siae_admits_only_siae(index):
    result = index.match(vitry(title="Peinture", cpv="45442100", lever="reserved_siae", radius_km=1000))
    assert all(set(m.supplier.kinds) & {"EI", "ACI", "AI", "ETTI", "EITI"} for m in result.ranked)
    assert "ESAT des Bords de Marne" in {e.supplier.name for e in result.excluded()}


def test_text_similarity_works_without_cpv(index):
    result = index.match(vitry(title="Blanchisserie et repassage du linge"))
    assert result.ranked[0].supplier.name == "Blanchisserie Adaptée"


def test_capacity_prefers_the_larger_structure_for_a_large_lot():
    small = supplier("41071771400035", "Petite EI", ["EI"], "4334Z", "94081", "peinture", headcount=2)
    large = supplier("80750085500034", "Grande EI", ["EI"], "4334Z", "94081", "peinture", headcount=40)
    result = SupplierIndex([small, large]).match(vitry(title="Peinture", cpv="45442100", amount_ht=Decimal("2000000"),
                                                       duration_months=12))
    assert names(result) == ["Grande EI", "Petite EI"]
    assert "40 salariés pour un lot d'environ" in result.ranked[0].explanation_fr


def test_crosswalk_uses_the_longest_naf_prefix():
    assert "45442" in cpv_prefixes_for_naf("4334Z")
    assert cpv_prefixes_for_naf("8130Z") == cpv_prefixes_for_naf("8130")
    assert cpv_prefixes_for_naf("0000Z") == []


def test_scope_keeps_only_the_lot_area(index):
    query = vitry(title="Peinture", cpv="45442100", radius_km=1000, commune_insee="94081")
    everyone = {m.supplier.name for m in index.match(query).ranked}
    assert "Nettoyage Insertion Lyon" in everyone  # 1000 km radius: Lyon is in
    query.scope = "department"
    result = index.match(query)
    assert "Nettoyage Insertion Lyon" not in {m.supplier.name for m in result.ranked}
    reasons = {e.supplier.name: e.reason for e in result.excluded()}
    assert reasons["Nettoyage Insertion Lyon"] == "hors du département du lieu d'exécution"
    query.scope = "region"
    assert "Nettoyage Insertion Lyon" not in {m.supplier.name for m in index.match(query).ranked}
    query.scope = "epci"
    assert {m.supplier.name for m in index.match(query).ranked} >= {"Peinture Solidaire", "ESAT des Bords de Marne"}
