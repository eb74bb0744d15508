"""Department and commune outlines for offline maps: shipped department file and run-time commune polygons."""
import shapely
from shapely.geometry import Point, shape

from procure.reference.geo import commune_by_insee, department_names
from procure.reference.outlines import commune_outlines, department_name, department_of, department_outlines


def test_every_department_is_shipped_with_its_name_and_a_valid_outline():
    features = department_outlines()["features"]
    assert {f["properties"]["code"] for f in features} == set(department_names())
    assert department_name("38") == "Isère" and department_name("2a") == "Corse-du-Sud" and department_name("99") is None
    isere = shape(department_outlines(["38"])["features"][0]["geometry"])
    assert isere.is_valid and isere.contains(Point(5.7245, 45.1885))  # Grenoble
    assert not isere.contains(Point(2.3522, 48.8566))  # Paris


def test_commune_outlines_of_a_department_contain_their_town_halls():
    communes = commune_outlines(department="94")["features"]
    assert len(communes) == 47 and all(department_of(f["properties"]["insee"]) == "94" for f in communes)
    vitry = next(f for f in communes if f["properties"]["insee"] == "94081")
    hall = commune_by_insee("94081")
    assert vitry["properties"]["name"] == "Vitry-sur-Seine"
    assert shape(vitry["geometry"]).buffer(0.002).contains(Point(hall.longitude, hall.latitude))
    west, south, east, north = vitry["bbox"]
    assert west < hall.longitude < east and south < hall.latitude < north


def test_commune_outlines_by_code_and_within_a_view():
    chosen = commune_outlines(["38185", "94081"])["features"]
    assert sorted(f["properties"]["name"] for f in chosen) == ["Grenoble", "Vitry-sur-Seine"]
    around_grenoble = commune_outlines(department="38", within=(5.65, 45.14, 5.80, 45.24))["features"]
    assert 5 < len(around_grenoble) < 100  # the neighbours, not the 512 communes of Isère
    assert "38185" in {f["properties"]["insee"] for f in around_grenoble}
    assert all(shapely.geometry.shape(f["geometry"]).is_valid for f in around_grenoble)
