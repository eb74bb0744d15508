"""Sources side by side (SQLite and PostgreSQL): merged by SIRET, which file said what, kind conflicts kept visible,
a poorer file loses nothing, re-imports idempotent, a file refused halfway writes nothing, migration 0014."""
import json

import pytest
from sqlalchemy import text

from procure.directory.imports import import_file
from procure.directory.repository import Supplier
from procure.errors import ProcureError

ANNUAIRE = "annuaire-entreprises/unites_legales_flat_from_api.csv"
RESTOS, IDDEE = "40046135600133", "53374499100035"


def sirets(count: int) -> list[str]:
    """Distinct SIRETs with valid keys (SIREN and establishment), for a file longer than one write batch."""
    from procure.directory.identifiers import luhn_ok

    def key(partial):
        return next(str(d) for d in range(10) if luhn_ok(partial + str(d)))

    result = []
    for number in range(count):
        siren = f"{40000000 + number:08d}"
        siren += key(siren)
        result.append(siren + "0001" + key(siren + "0001"))
    return result


def finess_file(shared_data, tmp_path, siret, category="246"):
    lines = (shared_data / "finess" / "etalab-cs1100502-stock-20260512-0339_15lines.csv").read_bytes().decode("latin-1").split("\n")
    fields = lines[1].split(";")
    fields[18], fields[22] = category, siret
    path = tmp_path / "finess.csv"
    path.write_bytes("\n".join([lines[0], ";".join(fields)]).encode("latin-1"))
    return path


def test_real_asp_list_and_annuaire_merge_by_siret(repository, shared_data):
    import_file(repository, shared_data / "siae" / "siae_asp_2019_07.csv", "asp-siae", "ASP 2019-07")
    report = import_file(repository, shared_data / ANNUAIRE, None, "Annuaire 2026")  # format detected
    assert report.format == "annuaire" and report.count("updated") >= 1 and report.count("added") >= 5
    iddee = repository.get(IDDEE)  # IDDEE 13 (Marseille), an EI in both files
    assert iddee.kinds == ["EI"] and iddee.source == "ASP 2019-07 ; Annuaire 2026"
    sources = repository.sources(IDDEE)
    assert [(s.source, s.format) for s in sources] == [("ASP 2019-07", "asp-siae"), ("Annuaire 2026", "annuaire")]
    assert sources[1].details["est_siae"] is True and sources[1].details["type_siae"] == "EI"
    merged = repository.merged(IDDEE)
    assert merged.provenance["name"] == "Annuaire 2026" and merged.kind_conflict is None
    assert repository.count() == 3637 + report.count("added")


def test_kind_conflict_is_kept_visible(repository, shared_data, tmp_path):
    import_file(repository, shared_data / ANNUAIRE, "annuaire", "Annuaire 2026")
    import_file(repository, finess_file(shared_data, tmp_path, RESTOS), "finess", "FINESS 2026-05")
    restos = repository.get(RESTOS)
    assert restos.kinds == ["ACI", "ESAT", "ESS"]  # both kinds kept for matching…
    conflict = repository.kind_conflicts()[RESTOS]  # …and the disagreement said, naming each file
    assert "ACI (Annuaire 2026)" in conflict and "ESAT (FINESS 2026-05)" in conflict
    assert repository.merged(RESTOS).kind_conflict == conflict
    # Oldest data first: the FINESS extraction is dated 12 May 2026, the undated Annuaire file counts from today.
    finess, annuaire = repository.sources(RESTOS)
    assert annuaire.source == "Annuaire 2026"
    assert finess.details["finess"] == "010000024" and finess.source_date.isoformat() == "2026-05-12"
    assert list(repository.kind_conflicts()) == [RESTOS]


def test_poorer_file_loses_nothing_and_provenance_says_who(repository, tmp_path):
    rich = tmp_path / "marche.csv"
    rich.write_text("Raison sociale;Siret;Type;Ville;Code postal;Secteurs d'activité;Effectif\n"
                    f"IDDEE;{IDDEE};EI;Marseille;13015;Tri et valorisation des déchets;42\n", encoding="utf-8")
    import_file(repository, rich, "lemarche", "Marché de l'inclusion")
    poor = tmp_path / "annuaire.csv"
    poor.write_text(f"siren,siret_siege,nom_complet,est_siae,type_siae,est_ess\n{IDDEE[:9]},{IDDEE},IDDEE 13,true,EI,false\n",
                    encoding="utf-8")
    assert import_file(repository, poor, None, "Annuaire").count("updated") == 1
    merged = repository.get(IDDEE)
    assert merged.name == "IDDEE 13" and merged.headcount == 42 and merged.activities == "Tri et valorisation des déchets"
    assert merged.commune_insee == "13055"  # the annuaire file gave no commune: the located source's place is kept
    provenance = repository.merged(IDDEE).provenance
    assert provenance["name"] == "Annuaire" and provenance["headcount"] == "Marché de l'inclusion"
    assert provenance["commune_insee"] == "Marché de l'inclusion"
    # The same source re-imported poorer (no headcount) keeps its own former value too.
    rich.write_text("Raison sociale;Siret;Type\nIDDEE;" + IDDEE + ";EI\n", encoding="utf-8")
    import_file(repository, rich, "lemarche", "Marché de l'inclusion")
    assert repository.get(IDDEE).headcount == 42


def test_reimport_is_idempotent(repository, shared_data):
    path = shared_data / "lemarche" / "siaes_fixture_sample.json"
    assert import_file(repository, path).count("added") == 12
    again = import_file(repository, path)
    assert again.count("unchanged") == 12 and again.count("added") == again.count("updated") == 0
    with repository.sessions() as session:
        assert session.execute(text("SELECT COUNT(*) FROM supplier_sources")).scalar() == 12


def test_file_refused_halfway_writes_nothing(repository, tmp_path):
    """The rows before a broken line were already written by batches: the transaction takes them back."""
    path = tmp_path / "long.csv"
    good = [f"Structure {n};{siret};EI" for n, siret in enumerate(sirets(4500))]
    path.write_text("Raison sociale;Siret;Type\n" + "\n".join(good) + '\n"jamais fermé;' + "x" * 200_000 + "\n",
                    encoding="utf-8")
    before = repository.count()
    with pytest.raises(ProcureError) as error:
        import_file(repository, path, "lemarche")
    assert "ligne" in error.value.message_fr
    assert repository.count() == before


def test_bad_rows_are_reported_and_the_others_kept(repository, tmp_path):
    path = tmp_path / "structures.json"
    path.write_text(json.dumps([
        {"id": "1", "source": "test", "nom": "ESAT du Parc", "siret": IDDEE, "reseaux_porteurs": ["esat"], "code_postal": "13015"},
        {"id": "2", "source": "test", "nom": "Clé fausse", "siret": "41071771400036", "reseaux_porteurs": ["ei"]},
        {"id": "3", "source": "test", "nom": "", "siret": RESTOS, "reseaux_porteurs": ["aci"]},
        "pas une structure",
        {"id": "5", "source": "test", "nom": "Mission locale", "siret": RESTOS, "reseaux_porteurs": ["mission-locale"]},
    ]), encoding="utf-8")
    report = import_file(repository, path, "data-inclusion", "data·inclusion")
    reasons = sorted(r.reason for r in report.rows if r.status == "rejected")
    assert len(reasons) == 3 and any("clé de contrôle" in r for r in reasons) and any("raison sociale" in r for r in reasons)
    assert report.count("added") == 1 and report.count("ignored") == 1
    assert repository.get(IDDEE).kinds == ["ESAT"] and repository.get(RESTOS) is None
    assert "1 ligne(s) laissée(s) de côté" in report.summary_fr()


def test_establishments_complete_known_structures_only(repository, tmp_path):
    repository.upsert([Supplier(IDDEE, "IDDEE 13", ["EI"], source="ASP")])
    path = tmp_path / "etablissements.csv"
    path.write_text("siren,siret,est_siege,adresse,etat_administratif\n"
                    f"{IDDEE[:9]},{IDDEE},true,1 AVENUE DE LA BAUXITE 13015 MARSEILLE,A\n"
                    f"{RESTOS[:9]},{RESTOS},true,10 SQUARE DUMONT D'URVILLE 49000 ANGERS,A\n", encoding="utf-8")
    report = import_file(repository, path, None, "Établissements")
    assert report.format == "annuaire" and report.count("updated") == 1
    assert report.ignored["établissement d'une structure absente de l'annuaire"] == 1
    located = repository.get(IDDEE)
    assert located.commune_insee == "13055" and located.kinds == ["EI"] and located.name == "IDDEE 13"
    assert repository.get(RESTOS) is None


def test_demo_removal_takes_its_sources(repository):
    repository.upsert([Supplier(IDDEE, "Fictive", ["EI"], source="démo", demo=True)])
    assert repository.delete_demo() == 1
    assert repository.sources(IDDEE) == [] and repository.count() == 0


def test_migration_keeps_structures_imported_before(database_url):
    """A directory filled before 0014 gets one source per structure, and the next import merges with it."""
    from alembic import command
    from alembic.config import Config

    from procure.db import MIGRATIONS, make_engine, migrate, session_factory
    from procure.directory.repository import SupplierRepository

    engine = make_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0013")
        connection.execute(text("INSERT INTO suppliers (siret, siren, name, kinds, source, demo, commune_insee, headcount) "
                                "VALUES (:s, :n, 'IDDEE', 'EI', 'ASP 2019 ; Liste locale', false, '13055', 30)"),
                           {"s": IDDEE, "n": IDDEE[:9]})
    migrate(engine)
    repository = SupplierRepository(session_factory(engine))
    (legacy,) = repository.sources(IDDEE)
    assert (legacy.source, legacy.format, legacy.kinds, legacy.headcount) == ("ASP 2019 ; Liste locale", "ancien", ["EI"], 30)
    repository.upsert([Supplier(IDDEE, "IDDEE 13", ["ACI"], source="Annuaire")])
    merged = repository.get(IDDEE)
    assert merged.kinds == ["ACI", "EI"] and merged.headcount == 30 and merged.commune_insee == "13055"
    assert merged.source == "ASP 2019 ; Liste locale ; Annuaire"
    engine.dispose()
