import pytest

from procure.reference.geo import commune_by_insee, haversine_km, resolve_commune


@pytest.mark.parametrize(
    "text, insee",
    [
        ("Vitry-sur-Seine (94)", "94081"),
        ("Ville de Grenoble", "38185"),
        ("Grasse (06)", "06069"),
        ("Saint-Denis (93)", "93066"),
        ("Saint-Denis (974)", "97411"),
        ("st denis 93200", "93066"),
        ("Créteil 94000, sites divers de la commune", "94028"),
    ],
)
def test_resolve_commune(text, insee):
    commune = resolve_commune(text)
    assert commune is not None and commune.insee == insee


def test_unknown_place_is_not_guessed():
    assert resolve_commune("Zzyzx Plage") is None


def test_coordinates_and_distance():
    paris, lyon = commune_by_insee("75056"), commune_by_insee("69123")
    assert paris.latitude and lyon.longitude
    assert 380 < haversine_km(paris.latitude, paris.longitude, lyon.latitude, lyon.longitude) < 410
