"""Confidence labels and the honest « no credible structure » answer, on a realistic lot of an engineering school."""
import os
from pathlib import Path

import pytest

from procure.directory.suppliers import ASP_SIAE, Supplier, parse_rows, read_table
from procure.matching.match import NO_CREDIBLE_FR, LotQuery, SupplierIndex
from procure.model import CpvCode, Fact, Lot, Place, PlaceScope, Tender
from procure.reference.geo import commune_by_insee

LASER_TITLE = "Acquisition d'une machine de prototypage laser de circuits imprimés"
SHARED = Path(os.environ.get("PROCURE_SHARED_DATA", "../shared/data"))


def supplier(siret, name, kinds, naf, insee, activities=None):
    commune = commune_by_insee(insee)
    return Supplier(siret, name, kinds, naf=naf, activities=activities, commune_insee=insee,
                    commune_name=commune.name, department=commune.department,
                    latitude=commune.latitude, longitude=commune.longitude, source="test")


@pytest.fixture
def laser_named_directory():
    """Structures whose names echo the lot (as in the ASP list) but whose trade has nothing to do with it."""
    return [
        supplier("41071771400035", "LASER 84", ["ETTI"], "7820Z", "84007"),
        supplier("80750085500034", "LASER 03", ["ETTI"], "7820Z", "03185"),
        supplier("38467557500029", "ASSOC AGRISERVICES LASER", ["AI"], "7830Z", "65440"),
        supplier("32817519100035", "ASSOC LOIN DES MACHINES", ["ACI"], "5911A", "65440"),
        supplier("42313374900028", "REGIE DES QUARTIERS DE TARBES", ["ACI", "EI"], "8899B", "65440",
                 "entretien des espaces verts, nettoyage de locaux"),
        supplier("52147598600012", "TARBES PROPRETE INSERTION", ["EI"], "8121Z", "65440"),
    ]


def laser_lot(cpv: str | None = "38636110") -> tuple[Lot, Tender]:
    """Lot 1 of an engineering school's supplies tender; the place is the school's commune (tender level)."""
    tarbes = commune_by_insee("65440")
    lot = Lot(1, title=Fact(LASER_TITLE), cpv=[(CpvCode(cpv, None, "Lasers industriels"), None)] if cpv else [])
    tender = Tender(buyer=Fact("École nationale d'ingénieurs de Tarbes"),
                    object=Fact("Équipements pédagogiques du laboratoire d'électronique"),
                    place=Fact(Place(PlaceScope.COMMUNE, "Tarbes (65)", communes=[tarbes])))
    tender.lots = [lot]
    return lot, tender


@pytest.mark.parametrize("cpv", ["38636110", None])
def test_laser_machine_gets_no_credible_structure_from_name_lookalikes(laser_named_directory, cpv):
    lot, tender = laser_lot(cpv)
    query = LotQuery.from_lot(lot, tender=tender)
    assert query.place is not None and query.place.commune_insee == "65440"  # taken from the tender
    result = SupplierIndex(laser_named_directory).match(query)
    assert result.ranked, "structures are still listed for transparency"
    assert {m.confidence for m in result.ranked} == {"faible"}
    assert result.no_credible_structure
    summary = result.summary_fr()
    assert NO_CREDIBLE_FR.capitalize() in summary
    assert "clause d'insertion" in summary and "facilitateur" in summary and "chaîne d'approvisionnement" in summary
    for match in result.ranked:  # names are never activity evidence
        assert "laser" not in match.explanations["activity"].lower()


def test_a_real_activity_match_is_credible_in_the_same_directory(laser_named_directory):
    lot, tender = laser_lot("77310000")
    lot.title = Fact("Entretien des espaces verts de l'école")
    result = SupplierIndex(laser_named_directory).match(LotQuery.from_lot(lot, tender=tender))
    assert not result.no_credible_structure
    assert result.ranked[0].supplier.name == "REGIE DES QUARTIERS DE TARBES"
    assert result.ranked[0].confidence == "forte"
    assert "LASER 84" not in [m.supplier.name for m in result.credible]


@pytest.mark.skipif(not (SHARED / "siae").is_dir(), reason="PROCURE_SHARED_DATA (liste ASP des SIAE) absente")
@pytest.mark.parametrize("cpv", ["38636110", None])
def test_laser_machine_has_no_credible_siae_in_the_real_asp_list(cpv):
    rows, _ = read_table(SHARED / "siae" / "siae_asp_2019_07.csv")
    directory, _ = parse_rows(rows, ASP_SIAE, "ASP 2019-07", None)
    lot, tender = laser_lot(cpv)
    result = SupplierIndex(directory).match(LotQuery.from_lot(lot, tender=tender, radius_km=100), top=50)
    assert result.no_credible_structure, [(m.supplier.name, m.explanation_fr) for m in result.credible[:3]]
    assert "Leviers qui restent possibles" in result.summary_fr()


def test_unknown_place_asks_for_it_instead_of_ranking(laser_named_directory):
    lot, tender = laser_lot("77310000")
    tender.place = None
    tender.buyer = Fact("Syndicat mixte du laboratoire")  # names no commune
    query = LotQuery.from_lot(lot, tender=tender)
    result = SupplierIndex(laser_named_directory).match(query)
    assert result.needs_place and result.ranked == []
    assert "commune, un département ou « national »" in result.summary_fr()


def test_buyer_commune_stands_for_a_missing_place(laser_named_directory):
    lot, tender = laser_lot("77310000")
    tender.place = None
    tender.buyer = Fact("Ville de Tarbes")
    query = LotQuery.from_lot(lot, tender=tender)
    assert query.place.commune_insee == "65440" and "acheteur" in query.place.label
    assert not SupplierIndex(laser_named_directory).match(query).needs_place


def test_national_scope_drops_distance(laser_named_directory):
    lot, tender = laser_lot("77310000")
    tender.place = Fact(Place(PlaceScope.NATIONAL, "France entière"))
    result = SupplierIndex(laser_named_directory).match(LotQuery.from_lot(lot, tender=tender))
    assert all(m.components["proximity"] == 0 and m.components["in_area"] == 0 for m in result.ranked)
    assert "distance non prise en compte" in result.ranked[0].explanation_fr
    assert result.excluded_count == 0  # no radius for a national lot
