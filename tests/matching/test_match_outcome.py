"""The matching outcome of each lot, stored with the place it used, and the place the user types when it is unknown.

Real database (SQLite, and PostgreSQL when PROCURE_TEST_POSTGRES_URL is set), real DCE pieces written as Word and
PDF files, the demonstration directory (Val-de-Marne) or the real ASP list of SIAE.
"""
import docx
import pytest

import dce
from procure.directory.demo import demo_suppliers
from procure.directory.suppliers import ASP_SIAE, SupplierRepository
from procure.errors import ProcureError
from procure.service.workspace import SYSTEM, AccessDenied, Workspace

LASER_TITLE = "Acquisition d'une machine de prototypage laser de circuits imprimés"


def laser_rc(folder, place="Vitry-sur-Seine (94)"):
    """An engineering school's supplies tender: nothing an inclusive structure makes."""
    return dce.write_docx(folder / "RC_laser.docx", [
        (dce.H, "RÈGLEMENT DE LA CONSULTATION"),
        (dce.P, "Pouvoir adjudicateur : École nationale d'ingénieurs de Tarbes, 47 avenue d'Azereix, 65000 Tarbes"),
        (dce.P, f"Objet de la consultation : {LASER_TITLE}"),
        (dce.P, "Code CPV principal : 38636110-6"),
        (dce.P, "Montant estimé du marché : 120 000 € HT"),
        (dce.P, f"Lieu de livraison : {place}"),
    ])


def cleaning_rc(folder, buyer=None):
    """A cleaning contract whose RC states no place of execution (and, without `buyer`, no buyer either)."""
    lines = [(dce.H, "RÈGLEMENT DE LA CONSULTATION")]
    lines += [(dce.P, f"Pouvoir adjudicateur : {buyer}")] if buyer else []
    lines += [(dce.P, "Objet de la consultation : Nettoyage des locaux administratifs"),
              (dce.P, "Code CPV principal : 90911200-8"),
              (dce.P, "Montant estimé du marché : 180 000 € HT")]
    return dce.write_docx(folder / "RC_nettoyage.docx", lines)


def lots_rc(folder):
    """Two lots: the first states its own place of execution, the second inherits it from the tender."""
    return dce.write_docx(folder / "RC_lots.docx", [
        (dce.H, "RÈGLEMENT DE LA CONSULTATION"),
        (dce.P, "Acheteur : Syndicat mixte des eaux"),
        (dce.P, "Objet de la consultation : Entretien des espaces verts et nettoyage des sites"),
        (dce.H, "Lot n° 1 : Entretien des espaces verts"),
        (dce.P, "Code CPV : 77310000-6"),
        (dce.P, "Montant estimé : 90 000 € HT"),
        (dce.P, "Lieu d'exécution : Créteil (94)"),
        (dce.H, "Lot n° 2 : Nettoyage des locaux"),
        (dce.P, "Code CPV : 90911200-8"),
        (dce.P, "Montant estimé : 60 000 € HT"),
    ])


@pytest.fixture
def world(sessions):
    ws = Workspace(sessions)
    vitry = ws.create_organisation("Ville de Vitry-sur-Seine", actor=SYSTEM)
    creteil = ws.create_organisation("Ville de Créteil", actor=SYSTEM)
    group = ws.create_organisation("CAPAP", actor=SYSTEM)
    users = {}
    for email, role, org in [("a@vitry.fr", "buyer", vitry), ("b@creteil.fr", "buyer", creteil),
                             ("r@capap.fr", "reviewer", group), ("rv@vitry.fr", "reviewer", vitry),
                             ("admin@capap.fr", "admin", group), ("former@vitry.fr", "buyer", vitry)]:
        ws.create_user(email, "motdepasse-solide", email.split("@")[0], role, org, actor=SYSTEM)
        users[email.split("@")[0]] = ws.authenticate(email, "motdepasse-solide")
    ws.set_active(users["admin"], users["former"].id, False)  # signed in, then deactivated
    return ws, users


@pytest.fixture
def demo_world(world):
    SupplierRepository(world[0].sessions).upsert(demo_suppliers())
    return world


def analysed(ws, user, paths, shared=True):
    tender_id = ws.create_tender(user, "Consultation", shared)
    ws.add_documents(user, tender_id, [(p.name, p.read_bytes()) for p in paths])
    ws.analyse(user, tender_id)
    return tender_id


def lots(ws, user, tender_id):
    return ws.review_items(user, tender_id)["lots"]


def stored(ws, user, tender_id):
    """What a refused operation must leave untouched: outcome, place and matches of every lot."""
    return [(lot["matching"], [(m["id"], m["supplier"]["siret"], m["decision"]) for m in lot["matches"]])
            for lot in lots(ws, user, tender_id)]


# ---------------------------------------------------------------- the outcome of each lot is stored

def test_ranked_lots_store_the_tenders_place(demo_world, tmp_path):
    ws, u = demo_world
    tender_id = analysed(ws, u["a"], dce.works_tender(tmp_path))
    for lot in lots(ws, u["a"], tender_id):
        matching = lot["matching"]
        assert matching["outcome"] == "ranked" and lot["matches"], lot["number"]
        assert all(m["explanation"].startswith(("confiance forte", "confiance plausible")) for m in lot["matches"])
        assert all(m["explanation"].startswith(f"confiance {m['confidence']}") for m in lot["matches"])
        place = matching["place"]
        assert (place["label"], place["scope"], place["source"], place["code"]) == \
            ("Vitry-sur-Seine", "commune", "tender", "94081")
        assert place["sentence"] == "Distances mesurées depuis Vitry-sur-Seine (lieu de la consultation)."


def test_place_of_the_lot_and_of_the_buyers_address_are_told_apart(demo_world, tmp_path):
    ws, u = demo_world
    by_lot = lots(ws, u["a"], analysed(ws, u["a"], [lots_rc(tmp_path)]))
    assert [lot["matching"]["place"]["source_label"] for lot in by_lot] == ["lieu du lot", "lieu de la consultation"]
    by_buyer = lots(ws, u["a"], analysed(ws, u["a"], [cleaning_rc(tmp_path, "Ville de Créteil")]))
    place = by_buyer[0]["matching"]["place"]
    assert (place["label"], place["source"], place["source_label"]) == ("Créteil", "buyer", "adresse de l'acheteur")


def test_laser_machine_has_no_credible_structure_and_the_levers_are_given(demo_world, tmp_path):
    ws, u = demo_world
    tender_id = analysed(ws, u["a"], [laser_rc(tmp_path)])
    [lot] = lots(ws, u["a"], tender_id)
    assert lot["title"] == LASER_TITLE
    assert lot["matches"] == []  # cleaning, painting or laundry structures of Vitry are not suppliers of lasers
    matching = lot["matching"]
    assert (matching["outcome"], matching["outcome_label"]) == ("no_credible", "aucune structure crédible dans l'annuaire")
    assert matching["message"] == "Aucune structure crédible dans l'annuaire pour ce lot."
    assert any("facilitateur" in lever for lever in matching["other_levers"])
    assert any("chaîne d'approvisionnement" in lever for lever in matching["other_levers"])
    assert matching["place"]["source"] == "tender"  # the directory was searched from Vitry-sur-Seine


def test_laser_machine_has_no_credible_siae_in_the_real_asp_list(world, shared_data, tmp_path):
    ws, u = world
    report = ws.import_suppliers(u["admin"], shared_data / "siae" / "siae_asp_2019_07.csv", ASP_SIAE, "ASP 2019-07")
    assert report.count("added") > 3000
    [lot] = lots(ws, u["a"], analysed(ws, u["a"], [laser_rc(tmp_path, "Tarbes (65)")]))
    assert lot["matching"]["outcome"] == "no_credible", [m["explanation"] for m in lot["matches"]]
    assert lot["matches"] == [] and lot["matching"]["place"]["label"] == "Tarbes"


def test_unknown_place_is_stored_as_needs_place(demo_world, tmp_path):
    ws, u = demo_world
    [lot] = lots(ws, u["a"], analysed(ws, u["a"], [cleaning_rc(tmp_path)]))
    assert lot["matches"] == [] and lot["matching"]["outcome"] == "needs_place"
    assert lot["matching"]["place"] is None
    assert lot["matching"]["message"].startswith("Lieu d'exécution inconnu : précisez une commune, un département")


def test_empty_directory_is_stored_as_no_directory(world, tmp_path):
    ws, u = world
    tender_id = analysed(ws, u["a"], dce.works_tender(tmp_path))
    for lot in lots(ws, u["a"], tender_id):
        assert lot["matches"] == [] and lot["matching"]["outcome"] == "no_directory"
        assert "importez l'annuaire de votre territoire" in lot["matching"]["message"]
        assert lot["matching"]["place"]["label"] == "Vitry-sur-Seine"  # known, but nothing to rank


# ---------------------------------------------------------------- the user gives the place

def test_a_commune_typed_by_the_user_ranks_the_lot(demo_world, tmp_path):
    ws, u = demo_world
    tender_id = analysed(ws, u["a"], [cleaning_rc(tmp_path)])
    assert ws.set_lot_place(u["a"], tender_id, 1, "Créteil") == "ranked"
    [lot] = lots(ws, u["a"], tender_id)
    assert lot["matching"]["outcome"] == "ranked"
    assert lot["matches"][0]["supplier"]["name"] == "Propreté Adaptée Est [fictive]"
    assert "du lieu d'exécution (Créteil)" in lot["matches"][0]["explanation"]
    place = lot["matching"]["place"]
    # The department in the label: a homonym in another department would show.
    assert (place["label"], place["scope"], place["source"], place["code"]) == ("Créteil (94)", "commune", "user", "94028")
    assert place["sentence"] == "Distances mesurées depuis Créteil (94) (saisi par l'utilisateur)."
    assert place["map"]["communes"][0]["insee"] == "94028"


def test_a_department_or_national_typed_by_the_user(demo_world, tmp_path):
    ws, u = demo_world
    tender_id = analysed(ws, u["a"], [cleaning_rc(tmp_path)])
    ws.set_lot_place(u["a"], tender_id, 1, "94")
    [lot] = lots(ws, u["a"], tender_id)
    place = lot["matching"]["place"]
    assert (place["scope"], place["scope_label"], place["code"]) == ("department", "département", "94")
    assert place["sentence"] == "Distances mesurées depuis le centre du territoire « département 94 » " \
                                "(saisi par l'utilisateur)."
    assert lot["matching"]["outcome"] == "ranked" and lot["matches"]
    ws.set_lot_place(u["a"], tender_id, 1, "national")
    [lot] = lots(ws, u["a"], tender_id)
    assert lot["matching"]["place"]["scope"] == "national" and lot["matching"]["outcome"] == "ranked"
    assert "distance non prise en compte" in lot["matches"][0]["explanation"]
    assert lot["matching"]["place"]["sentence"].startswith("Marché national (France entière) : la distance")


def test_a_place_far_from_every_structure_leaves_nothing_credible(demo_world, tmp_path):
    ws, u = demo_world
    tender_id = analysed(ws, u["a"], [cleaning_rc(tmp_path)])
    assert ws.set_lot_place(u["a"], tender_id, 1, "Tarbes") == "no_credible"
    [lot] = lots(ws, u["a"], tender_id)
    assert lot["matches"] == [] and lot["matching"]["place"]["code"] == "65440"


@pytest.mark.parametrize("text", ["Atlantide", "", "   ", "99", "00000"])
def test_an_unrecognised_place_is_refused_and_changes_nothing(demo_world, tmp_path, text):
    ws, u = demo_world
    tender_id = analysed(ws, u["a"], [cleaning_rc(tmp_path)])
    before = stored(ws, u["a"], tender_id)
    with pytest.raises(ProcureError) as refused:
        ws.set_lot_place(u["a"], tender_id, 1, text)
    message = str(refused.value)
    assert message.startswith(("Lieu non reconnu", "Indiquez une commune")) and "« national »" in message
    assert stored(ws, u["a"], tender_id) == before


def test_only_who_may_analyse_sets_a_place(demo_world, tmp_path):
    ws, u = demo_world
    tender_id = analysed(ws, u["a"], [cleaning_rc(tmp_path)], shared=True)
    before = stored(ws, u["a"], tender_id)
    for intruder in ("r", "b"):  # the working group reviews, another organisation's buyer does not even see it
        with pytest.raises(AccessDenied):
            ws.set_lot_place(u[intruder], tender_id, 1, "Créteil")
    assert stored(ws, u["a"], tender_id) == before
    assert ws.set_lot_place(u["admin"], tender_id, 1, "Créteil") == "ranked"


@pytest.mark.parametrize("shared", [False, True])
def test_setting_a_place_follows_the_right_to_analyse_for_every_role(demo_world, tmp_path, shared):
    ws, u = demo_world
    tender_id = analysed(ws, u["a"], [cleaning_rc(tmp_path)], shared)
    granted = {}
    for name, user in u.items():
        try:
            ws.set_lot_place(user, tender_id, 1, "94")
            granted[name] = True
        except AccessDenied:
            granted[name] = False
    assert granted == {"a": True, "b": False, "r": False, "rv": False, "admin": True, "former": False}


def test_an_unknown_lot_is_refused_in_french(demo_world, tmp_path):
    ws, u = demo_world
    tender_id = analysed(ws, u["a"], [cleaning_rc(tmp_path)])
    with pytest.raises(ProcureError, match="Le lot 7 n'existe pas dans l'analyse actuelle"):
        ws.set_lot_place(u["a"], tender_id, 7, "Créteil")


def test_decisions_on_structures_still_found_are_kept(demo_world, tmp_path):
    ws, u = demo_world
    tender_id = analysed(ws, u["a"], dce.works_tender(tmp_path))
    lot2 = lots(ws, u["a"], tender_id)[1]
    painter, other = lot2["matches"][0], lot2["matches"][1]
    ws.review(u["r"], "match", painter["id"], "accept", painter["version"], "connue du PLIE")
    ws.review(u["r"], "match", other["id"], "reject", other["version"])
    ws.set_lot_place(u["a"], tender_id, 2, "Créteil")
    after = {m["supplier"]["siret"]: m for m in lots(ws, u["a"], tender_id)[1]["matches"]}
    kept = after[painter["supplier"]["siret"]]
    assert (kept["id"], kept["decision"], kept["decided_by"], kept["version"]) == (painter["id"], "accepted", "r", 2)
    assert "du lieu d'exécution (Créteil)" in kept["explanation"]
    assert after[other["supplier"]["siret"]]["decision"] == "rejected"
    assert [m["rank"] for m in after.values()] == sorted(m["rank"] for m in after.values())
    assert lots(ws, u["a"], tender_id)[0]["matching"]["place"]["source"] == "tender"  # other lots untouched
    history = ws.history(u["a"], tender_id)
    assert history[0]["target_id"] == painter["id"]  # the history still names the same structure


def test_a_new_analysis_keeps_the_place_the_user_gave(demo_world, tmp_path):
    ws, u = demo_world
    tender_id = analysed(ws, u["a"], [cleaning_rc(tmp_path)])
    ws.set_lot_place(u["a"], tender_id, 1, "Créteil")
    match = lots(ws, u["a"], tender_id)[0]["matches"][0]
    ws.review(u["a"], "match", match["id"], "accept", match["version"])
    ws.analyse(u["a"], tender_id)
    [lot] = lots(ws, u["a"], tender_id)
    assert ws.review_items(u["a"], tender_id)["tender"]["version"] == 2
    assert lot["matching"]["outcome"] == "ranked" and lot["matching"]["place"]["source"] == "user"
    assert lot["matches"][0]["supplier"]["siret"] == match["supplier"]["siret"]
    assert lot["matches"][0]["decision"] == "accepted"


def test_the_annex_says_no_credible_structure_and_the_levers_left(demo_world, tmp_path):
    ws, u = demo_world
    tender_id = analysed(ws, u["a"], [laser_rc(tmp_path)])
    document = docx.Document(str(ws.annex(u["a"], tender_id, tmp_path / "annexe.docx")))
    paragraphs = [p.text for p in document.paragraphs]
    start = paragraphs.index("Aucune structure crédible dans l’annuaire pour ce lot. Leviers qui restent possibles\u00a0:")
    assert paragraphs[start - 1] == "Structures inclusives"
    assert "facilitateur" in paragraphs[start + 1] and "chaîne d’approvisionnement" in paragraphs[start + 2]


def test_the_annex_of_a_ranked_lot_says_nothing_of_the_kind(demo_world, tmp_path):
    ws, u = demo_world
    tender_id = analysed(ws, u["a"], dce.works_tender(tmp_path))
    document = docx.Document(str(ws.annex(u["a"], tender_id, tmp_path / "annexe.docx")))
    assert not any("Aucune structure crédible" in p.text for p in document.paragraphs)


def test_lots_stored_before_the_outcome_was_kept(database_url):
    """Migration 0006: a lot stored with matches reads as ranked; one without says to analyse again."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from procure.db import MIGRATIONS, make_engine, migrate, session_factory
    from procure.service.workspace import UserInfo

    engine = make_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
    statements = [
        "INSERT INTO organisations (id, name, demo) VALUES (1, 'Ville', false)",
        "INSERT INTO users (id, email, display_name, password_hash, role, organisation_id, active) "
        "VALUES (1, 'a@x.fr', 'A', 'x', 'buyer', 1, true)",
        "INSERT INTO tenders (id, organisation_id, title, shared_with_group, analysis_version, created_by) "
        "VALUES (1, 1, 'Travaux', false, 1, 1)",
        "INSERT INTO lots (id, tender_id, analysis_version, number) VALUES (1, 1, 1, 1), (2, 1, 1, 2)",
        "INSERT INTO suppliers (id, siret, siren, name, kinds, source, demo) "
        "VALUES (1, '73282932000074', '732829320', 'Régie', 'REGIE', 'test', false)",
        "INSERT INTO matches (id, lot_id, supplier_id, rank, score, explanation, decision, version) "
        "VALUES (1, 1, 1, 1, 0.8, 'confiance forte', 'pending', 1)",
    ]
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    migrate(engine)
    ws = Workspace(session_factory(engine))
    buyer = ws.refresh(UserInfo(1, "a@x.fr", "A", "buyer", 1, "Ville"))
    first, second = ws.review_items(buyer, 1)["lots"]
    assert first["matching"]["outcome"] == "ranked" and first["matching"]["place"] is None
    assert second["matching"]["outcome"] is None and "relancez l'analyse" in second["matching"]["message"]
    assert first["matches"][0]["confidence"] == "forte"  # migration 0007 reads it from the stored explanation
    engine.dispose()


def test_a_typed_postcode_is_a_postcode_and_a_shared_one_asks_for_the_commune():
    from procure.errors import ProcureError
    from procure.service.lot_matching import require_user_place

    assert require_user_place("13001").commune_insee == "13201"  # Marseille 1er, not Aix-en-Provence (INSEE 13001)
    assert require_user_place("Vitry-sur-Seine").label == "Vitry-sur-Seine (94)"
    with pytest.raises(ProcureError, match="couvre plusieurs communes"):
        require_user_place("01100")
