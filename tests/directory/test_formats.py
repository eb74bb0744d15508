"""Directory formats on the real samples of ../shared/data: detection from the header, what each file gives.

No database here: the rows are read and validated as the import does (procure.directory.imports.validated).
"""
import json

import pytest

from procure.directory.formats import detect_format, format_named
from procure.directory.imports import ImportReport, validated
from procure.errors import ProcureError

FINESS_SAMPLE = "finess/etalab-cs1100502-stock-20260512-0339_15lines.csv"


def read(path, code=None, source="test"):
    chosen = format_named(code) if code else detect_format(path)
    report = ImportReport(source, format=chosen.code)
    values = list(validated(chosen, path, source, chosen.source_date(path) if chosen.source_date else None, report))
    return chosen, {v.siret: v for v in values}, report


def test_annuaire_flat_export_keeps_siae_and_ess_only(shared_data):
    chosen, found, report = read(shared_data / "annuaire-entreprises" / "unites_legales_flat_from_api.csv")
    assert chosen.code == "annuaire"
    assert found["40046135600133"].kinds == ["ACI", "ESS"]  # Les Restaurants du Cœur: ACI and ESS
    assert found["53374499100035"].kinds == ["EI"] and found["20006793200018"].kinds == ["ACI"]
    assert found["40046135600133"].commune_insee == "49007" and found["40046135600133"].naf == "8899B"
    assert all(v.kinds for v in found.values())
    # 123456789, the API's dummy "ESAT" with every other field null, has no head office: rejected with its reason.
    (rejected,) = [r for r in report.rows if r.status == "rejected"]
    assert "SIRET du siège absent" in rejected.reason
    assert report.ignored["ni SIAE ni ESS selon l'Annuaire"] > 50 and report.ignored["entreprise cessée"] >= 1
    assert len(found) + report.count("ignored") + 1 == 91  # every company of the sample is accounted for


def test_annuaire_api_answer_with_head_office_point(shared_data):
    path = shared_data / "annuaire-entreprises" / "api_responses" / "site_e2e-mock_search-400461356.json"
    chosen, found, _ = read(path)
    assert chosen.code == "annuaire"
    restos = found["40046135600133"]
    assert restos.name == "LES RESTAURANTS DU COEUR" and restos.kinds == ["ACI", "ESS"]
    assert (restos.commune_insee, restos.postcode) == ("49007", "49000")
    assert restos.latitude == pytest.approx(47.444079) and restos.details["est_siae"] is True


def test_annuaire_ess_answers(shared_data):
    found = {}
    for name in ("site_e2e-mock_search-338365059.json", "site_e2e-mock_search-383657467.json"):
        found.update(read(shared_data / "annuaire-entreprises" / "api_responses" / name)[1])
    assert found and all(v.kinds == ["ESS"] for v in found.values())


def finess_lines(shared_data, category, siret=None):
    """The real extraction's first lines, the metropolitan establishment given another category (no real ESAT
    or EA line is published in any repository; the data README says so)."""
    lines = (shared_data / FINESS_SAMPLE).read_bytes().decode("latin-1").split("\n")
    fields = lines[1].split(";")
    fields[18], fields[19] = category, "Etablissement et Service d'Aide par le Travail (E.S.A.T.)"
    if siret is not None:
        fields[22] = siret
    return "\n".join([lines[0], ";".join(fields), *lines[2:]])


def test_finess_real_extraction_has_no_protected_work(shared_data):
    chosen, found, report = read(shared_data / FINESS_SAMPLE)
    assert chosen.code == "finess" and chosen.source_date(shared_data / FINESS_SAMPLE).isoformat() == "2026-05-12"
    assert found == {} and report.ignored["catégorie FINESS hors travail protégé (ni ESAT 246 ni EA 247)"] == 14


@pytest.mark.parametrize("category, kind", [("246", "ESAT"), ("247", "EA")])
def test_finess_esat_and_entreprise_adaptee(shared_data, tmp_path, category, kind):
    path = tmp_path / "etalab-cs1100502.csv"
    path.write_bytes(finess_lines(shared_data, category).encode("latin-1"))
    _, found, _ = read(path)
    (values,) = found.values()
    assert values.siret == "26010004500012" and values.kinds == [kind]
    assert values.commune_insee == "01451" and values.source_date.isoformat() == "2026-05-12"  # Viriat (01 + 451)
    assert values.details["finess"] == "010000024" and values.details["categorie_finess"].startswith(category)


def test_finess_line_without_siret_is_said(shared_data, tmp_path):
    path = tmp_path / "finess.csv"
    path.write_bytes(finess_lines(shared_data, "246", siret="").encode("latin-1"))
    _, found, report = read(path)
    assert found == {}
    (rejected,) = [r for r in report.rows if r.status == "rejected"]
    assert "SIRET absent de la ligne FINESS 010000024" in rejected.reason


def test_lemarche_fixture_kinds(shared_data):
    chosen, found, _ = read(shared_data / "lemarche" / "siaes_fixture_sample.json")
    assert chosen.code == "lemarche" and len(found) == 12
    assert sorted({k for v in found.values() for k in v.kinds}) == ["ACI", "AI", "EA", "EI", "ETTI", "GEIQ"]
    baluchon = found["80746931700018"]
    assert baluchon.commune_insee == "93063" and baluchon.latitude == pytest.approx(48.88053)


def test_lemarche_sectors_become_activities(shared_data, tmp_path):
    """A dump holding structures, activities and sectors, and the API's shape (`sectors[]`), both give the sectors."""
    folder = shared_data / "lemarche"
    records = [r for name in ("siaes", "siae_activities", "sectors")
               for r in json.loads((folder / f"{name}_fixture_sample.json").read_text(encoding="utf-8"))]
    dump = tmp_path / "dump.json"
    dump.write_text(json.dumps(records), encoding="utf-8")
    sectors = {r["pk"]: r["fields"]["name"] for r in records if r["model"] == "sectors.sector"}
    activity = next(r["fields"] for r in records if r["model"] == "siaes.siaeactivity")
    siae = next(r["fields"] for r in records if r["model"] == "siaes.siae" and r["pk"] == activity["siae"])
    _, found, _ = read(dump)
    assert sectors[activity["sector"]] in found[siae["siret"]].activities
    api = tmp_path / "api.json"
    api.write_text(json.dumps({"count": 1, "next": None, "results": [
        {"name": siae["name"], "siret": siae["siret"], "kind": siae["kind"], "city": siae["city"], "post_code": siae["post_code"],
         "sectors": [{"name": sectors[activity["sector"]], "slug": "x"}], "presta_types": ["PREST"], "is_active": True}]}),
        encoding="utf-8")
    chosen, found, _ = read(api)
    assert chosen.code == "lemarche" and found[siae["siret"]].activities == sectors[activity["sector"]]


def test_lemarche_csv_export_with_verbose_names(tmp_path, shared_data):
    siae = json.loads((shared_data / "lemarche" / "siaes_fixture_sample.json").read_text(encoding="utf-8"))[0]["fields"]
    path = tmp_path / "export.csv"
    path.write_text("Raison sociale;Enseigne;Siret;Type de structure;Ville;Code Postal;Secteurs d'activité;Active\n"
                    f"{siae['name']};{siae['brand']};{siae['siret']};{siae['kind']};{siae['city']};{siae['post_code']};Traiteur;Oui\n"
                    f"Inactive;;{siae['siret'][:-1]}0;EI;Paris;75001;;Non\n", encoding="utf-8")
    chosen, found, report = read(path)
    assert chosen.code == "lemarche" and found[siae["siret"]].activities == "Traiteur"
    assert report.ignored["structure inactive sur le marché de l'inclusion"] == 1


def test_data_inclusion_rows_need_an_inclusive_network(shared_data, tmp_path):
    path = shared_data / "data-inclusion" / "valideur_template_example_rows.json"
    chosen, found, report = read(path)
    assert chosen.code == "data-inclusion" and found == {}
    assert report.count("ignored") == 2  # Le Biclou and Action Logement name no SIAE, EA, ESAT or GEIQ network
    data = json.loads(path.read_text(encoding="utf-8"))
    data["Structures"][0]["reseaux_porteurs"] = "aci, coorace"
    data["Structures"][1]["reseaux_porteurs"] = "ei"
    marked = tmp_path / "structures.json"
    marked.write_text(json.dumps(data), encoding="utf-8")
    _, found, report = read(marked)
    # The validator's rows keep their deliberate errors: Le Biclou's SIRET fails its SIREN key, Action Logement's
    # postcode has six digits (its commune is then found by name).
    (rejected,) = [r for r in report.rows if r.status == "rejected"]
    assert rejected.siret == "60487647500499" and "clé du SIREN" in rejected.reason
    agency = found["82454114801871"]
    assert agency.kinds == ["EI"] and agency.commune_insee == "75056" and agency.postcode is None
    assert agency.details["reseaux_porteurs"] == ["ei"] and agency.activities.count("Logement social") == 1


def test_data_inclusion_without_services_uses_the_description(tmp_path, shared_data):
    data = json.loads((shared_data / "data-inclusion" / "valideur_template_example_rows.json").read_text(encoding="utf-8"))
    data["Structures"][1].update(reseaux_porteurs="esat")
    path = tmp_path / "structures.json"
    path.write_text(json.dumps(data["Structures"]), encoding="utf-8")  # a bare list of structures, as the schema has it
    _, found, _ = read(path, "data-inclusion")
    assert found["82454114801871"].activities.startswith("Action Logement, acteur de référence")


def test_data_inclusion_csv_with_schema_columns(tmp_path, shared_data):
    row = json.loads((shared_data / "data-inclusion" / "valideur_template_example_rows.json").read_text(encoding="utf-8"))["Structures"][1]
    path = tmp_path / "structures.csv"
    path.write_text("id,source,nom,siret,commune,code_postal,reseaux_porteurs,date_maj\n"
                    f"{row['id']},insersol,{row['nom']},{row['siret']},{row['commune']},75012,\"esat,ea\",2026-01-01\n",
                    encoding="utf-8")
    chosen, found, _ = read(path)
    assert chosen.code == "data-inclusion" and found[row["siret"]].kinds == ["EA", "ESAT"]


def test_asp_list_is_recognised(shared_data):
    assert detect_format(shared_data / "siae" / "siae_asp_2019_07.csv").code == "asp-siae"


@pytest.mark.parametrize("content, words", [
    ("colonne1;colonne2\na;b\n", "Format du fichier non reconnu"),
    ('{"bonjour": 1}', "Fichier JSON non reconnu"),
])
def test_unknown_file_is_said_in_french(tmp_path, content, words):
    path = tmp_path / "inconnu.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ProcureError) as error:
        detect_format(path)
    assert words in error.value.message_fr


def test_broken_json_is_said_in_french(tmp_path):
    path = tmp_path / "casse.json"
    path.write_text('{"results": [{"siren": ', encoding="utf-8")
    with pytest.raises(ProcureError) as error:
        read(path, "annuaire")
    assert "JSON illisible" in error.value.message_fr
