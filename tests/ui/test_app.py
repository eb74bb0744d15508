"""Streamlit pages with AppTest, against a real SQLite database prepared through the library."""
import re
from datetime import timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import dce
from procure.db import get_engine, session_factory
from procure.directory.demo import setup_demo
from procure.directory.suppliers import Supplier, SupplierRepository
from procure.service import session_token
from procure.service.workspace import Workspace

APP = str(Path(__file__).resolve().parents[2] / "app.py")
# Words of Streamlit's or the library's English that must never reach a French buyer.
ENGLISH = re.compile(r"\b(Upload|Browse files|Drag and drop|Choose options|Deploy|rejected|warning|None|NaN|nan|"
                     r"True|False|pending|accepted|present|mandatory|recommended)\b")


@pytest.fixture
def demo(tmp_path, monkeypatch):
    monkeypatch.setenv("PROCURE_DATABASE_URL", f"sqlite:///{tmp_path / 'app.sqlite'}")
    monkeypatch.setenv("PROCURE_HOME", str(tmp_path / "home"))
    sessions = session_factory(get_engine())
    workspace = Workspace(sessions)
    credentials = {role: (email, password) for email, password, role in setup_demo(workspace, SupplierRepository(sessions))}
    return workspace, credentials


@pytest.fixture
def analysed(demo, tmp_path):
    """The demo with the works tender (3 lots) uploaded by the buyer, shared and analysed."""
    workspace, credentials = demo
    buyer = workspace.authenticate(*credentials["buyer"])
    tender_id = workspace.create_tender(buyer, "Travaux", True)
    workspace.add_documents(buyer, tender_id, [(p.name, p.read_bytes()) for p in dce.works_tender(tmp_path)])
    workspace.analyse(buyer, tender_id)
    return workspace, credentials, buyer, tender_id


def app(timeout=60):
    return AppTest.from_file(APP, default_timeout=timeout)


def logged_in(workspace, credentials, role="buyer"):
    test = app()
    test.session_state["user"] = workspace.authenticate(*credentials[role])
    return test


def page_text(test) -> str:
    """Every text a person reads on the page as AppTest sees it (titles, markdown, captions, alerts, labels)."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success",
                 "metric", "button", "text_input", "selectbox", "multiselect", "toggle", "checkbox", "tab"):
        for element in getattr(test, kind, []):
            for attribute in ("value", "label", "body", "placeholder", "options"):
                value = getattr(element, attribute, None)
                if isinstance(value, str):
                    parts.append(value)
                elif isinstance(value, list):
                    parts.extend(str(v) for v in value)
    return "\n".join(parts)


def spaced(text: str) -> str:
    """Babel's French spaces (narrow no-break, no-break) as plain spaces, for comparisons."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def assert_french(test) -> None:
    found = ENGLISH.findall(page_text(test))
    assert not found, f"texte anglais visible : {sorted(set(found))}"


def test_login_page_in_french_and_wrong_password(demo):
    workspace, credentials = demo
    test = app().run()
    assert not test.exception
    assert "clauses sociales" in test.title[0].value
    assert_french(test)
    test.text_input[0].input(credentials["buyer"][0])
    test.text_input[1].input("mauvais mot de passe")
    test.button[0].click().run()
    assert test.error[0].value == "Adresse e-mail ou mot de passe incorrect."
    assert "user" not in test.session_state


def test_login_issues_a_session_token_and_logout_forgets_it(demo):
    workspace, credentials = demo
    test = app().run()
    test.text_input[0].input(credentials["buyer"][0])
    test.text_input[1].input(credentials["buyer"][1])
    test.button[0].click().run()
    assert not test.exception
    assert test.session_state["user"].role == "buyer"
    assert test.title[0].value == "Consultations"
    assert "Aucune consultation visible" in test.info[0].value
    token = test.session_state["session_token"]
    assert session_token.user_from_token(workspace.sessions, token).email == credentials["buyer"][0]
    next(b for b in test.sidebar.button if b.label == "Se déconnecter").click().run()
    assert not test.exception
    assert "user" not in test.session_state and test.session_state["signed_out"]
    assert test.title[0].value.startswith("procure")


def test_session_token_refused_when_forged_expired_or_password_changed(demo, monkeypatch):
    workspace, credentials = demo
    buyer = workspace.authenticate(*credentials["buyer"])
    token = session_token.issue_token(workspace.sessions, buyer)
    assert session_token.user_from_token(workspace.sessions, token) == buyer
    assert session_token.user_from_token(workspace.sessions, token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) is None
    assert session_token.user_from_token(workspace.sessions, "n'importe quoi") is None
    assert session_token.user_from_token(workspace.sessions, None) is None
    monkeypatch.setattr(session_token, "SESSION_LIFETIME", timedelta(seconds=-1))
    assert session_token.user_from_token(workspace.sessions, token) is None
    monkeypatch.undo()
    admin = workspace.authenticate(*credentials["admin"])
    workspace.set_password(credentials["buyer"][0], "un autre mot de passe", actor=admin)
    assert session_token.user_from_token(workspace.sessions, token) is None


def test_deactivated_account_is_signed_out_at_the_next_click(demo):
    workspace, credentials = demo
    test = logged_in(workspace, credentials, "buyer").run()
    assert test.title[0].value == "Consultations"
    admin = workspace.authenticate(*credentials["admin"])
    workspace.set_active(admin, test.session_state["user"].id, False)
    test.run()
    assert not test.exception
    assert "user" not in test.session_state and test.title[0].value.startswith("procure")


def test_menu_by_role(demo):
    workspace, credentials = demo
    reviewer = logged_in(workspace, credentials, "reviewer").run()
    assert not reviewer.exception
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        reviewer.switch_page("ui/deposer.py")  # a working-group member does not file a DCE
    buyer = logged_in(workspace, credentials, "buyer").run()
    buyer.switch_page("ui/deposer.py").run()
    assert not buyer.exception and buyer.title[0].value == "Déposer un dossier de consultation"
    assert_french(buyer)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        buyer.switch_page("ui/administration.py")  # not even registered for a buyer


def test_consultation_page_shows_passages_history_and_french_numbers(analysed):
    workspace, credentials, buyer, tender_id = analysed
    test = logged_in(workspace, credentials, "reviewer").run(timeout=120)
    assert not test.exception
    headers = [h.value for h in test.header]
    assert "Lot 2 : Peinture intérieure" in headers and "Annexe Word" in headers
    assert any("Clause d'insertion" in s.value and "déjà présente" in s.value for s in test.subheader)
    captions = [c.value for c in test.caption]
    # The existing 1 200 hours are shown with their file and passage (a Word file has no page nor numbered
    # paragraph: the quoted passage is how to find it), not only "déjà présent".
    assert any("CCAP\\_travaux.docx — « " in c and "1 200 heures" in c for c in captions), captions
    assert not any("docx, § " in c for c in captions)
    assert any("RC\\_travaux.pdf, p. 1" in c and "Vitry-sur-Seine" in c for c in captions)
    assert any("**2026-TX-014**" in c for c in captions)  # the value read is in bold inside its passage
    maps = [e.proto.spec for e in test.main if getattr(e, "type", "") == "vega_lite_chart"]
    assert len(maps) == 3  # one map per lot, drawn from shipped outlines (no tile server)
    assert all('"geoshape"' in m and "Structures (type principal)" in m and "Val-de-Marne (94)" in m for m in maps)
    assert any(m.value.startswith("**Envoi de l'avis** : 3 septembre 2026") for m in test.markdown)
    assert any(re.match(r"Pertinence \d+\s%", c) for c in captions)
    assert_french(test)
    accept = next(b for b in test.button if b.label == "Accepter" and b.key.startswith("accept-match-"))
    accept.click().run(timeout=120)
    assert not test.exception
    assert workspace.history(buyer, tender_id)[0]["action"] == "accept"
    history = test.dataframe[-1].value
    assert history.iloc[0]["Action"] == "a accepté"
    assert re.match(r"Lot \d — structure .+", history.iloc[0]["Élément"])
    assert re.match(r"\d\d/\d\d/\d{4} à \d\d:\d\d", history.iloc[0]["Quand"])


def test_conflicting_decision_says_reload_and_keeps_the_comment(analysed):
    workspace, credentials, buyer, tender_id = analysed
    reviewer = workspace.authenticate(*credentials["reviewer"])
    test = logged_in(workspace, credentials, "buyer").run(timeout=120)
    item = workspace.review_items(buyer, tender_id)["lots"][0]["suggestions"][0]
    key = f"suggestion-{item['id']}"
    # Someone else decides while the buyer's page is open…
    workspace.review(reviewer, "suggestion", item["id"], "accept", item["version"], "vu en réunion")
    # …then the buyer rejects what they saw, with a comment.
    next(t for t in test.text_input if t.key == f"comment-{key}").input("trop d'heures pour ce lot")
    next(b for b in test.button if b.key == f"reject-{key}").click().run(timeout=120)
    assert not test.exception
    assert any(e.value.startswith("Quelqu'un a décidé entre-temps : rechargez") for e in test.error)
    assert next(t for t in test.text_input if t.key == f"comment-{key}").value == "trop d'heures pour ce lot"
    stored = workspace.review_items(buyer, tender_id)["lots"][0]["suggestions"][0]
    assert stored["decision"] == "accepted"  # the second click did not overwrite the first decision silently
    next(b for b in test.button if b.key == f"reload-{key}").click().run(timeout=120)
    assert not any(e.value.startswith("Quelqu'un a décidé") for e in test.error)
    next(b for b in test.button if b.key == f"reject-{key}").click().run(timeout=120)
    assert workspace.review_items(buyer, tender_id)["lots"][0]["suggestions"][0]["decision"] == "rejected"
    assert workspace.history(buyer, tender_id)[-1]["comment"] == "trop d'heures pour ce lot"


def test_directory_tells_the_truth_and_removes_the_demo(demo):
    workspace, credentials = demo
    repository = SupplierRepository(workspace.sessions)
    repository.upsert([Supplier(siret="73282932000074", name="Régie réelle", kinds=["REGIE"], commune_name="Grenoble",
                                department="38", source="siae_asp_2019_07.csv")])
    test = logged_in(workspace, credentials, "admin").run()
    test.switch_page("ui/annuaire.py").run()
    assert not test.exception
    metrics = {m.label: m.value for m in test.metric}
    assert metrics["Structures réelles"] == "1" and metrics["Structures fictives (démonstration)"] == "10"
    assert "mélange 1 structure(s) réelle(s) et 10 structure(s) fictive(s)" in test.warning[0].value
    assert set(test.dataframe[0].value["Source"]) >= {"siae_asp_2019_07.csv"}
    assert_french(test)
    next(b for b in test.button if b.label == "Retirer les structures fictives de démonstration").click().run()
    assert not test.exception
    assert "10 structure(s) fictive(s) retirée(s)" in test.success[0].value
    assert [s.name for s in repository.all()] == ["Régie réelle"]
    assert not test.warning


def test_dashboard_guide_and_administration(analysed):
    workspace, credentials, buyer, tender_id = analysed
    test = logged_in(workspace, credentials, "admin")
    test.run()
    test.switch_page("ui/tableau_de_bord.py").run(timeout=120)
    assert not test.exception and test.title[0].value == "Tableau de bord"
    practice = test.dataframe[0].value
    row = practice[practice["Source"] == "consultations analysées"].iloc[0]
    assert (row["Acheteur"], row["Année"], row["Lots ou marchés"]) == ("Ville de démonstration (fictive)", "2026", 3)
    assert spaced(row["Cible nationale"]) == "30 %" and spaced(row["Heures d'insertion prévues"]) == "1 550"
    specs = [e.proto.spec for e in test.main if getattr(e, "type", "") == "vega_lite_chart"]
    share, levers = specs
    # Years as years (never "2,026.000000"), the national target drawn and named, percentages in French.
    assert '"timeUnit": "year"' in share and '"format": "%Y"' in share
    assert '"field": "Cible"' in share and '"strokeDash": [6, 4]' in share and "' %'" in share
    assert any("cible nationale : 30 %" in spaced(c.value) for c in test.caption)
    assert '"labelLimit": 0' in levers and '"tooltip"' in levers  # full lever names, details on hover
    assert_french(test)
    test.switch_page("ui/administration.py").run()
    assert not test.exception and test.title[0].value == "Utilisateurs"
    guide = logged_in(workspace, credentials, "buyer").run(timeout=120)
    guide.switch_page("ui/guide.py").run()
    assert not guide.exception
    # The territory comes from where the organisation's tenders are (Vitry-sur-Seine, Val-de-Marne).
    assert guide.text_input(key="guide-territory").value == "94"
    next(b for b in guide.button if b.label == "Générer le guide").click().run(timeout=120)
    assert not guide.exception and guide.success[0].value.startswith("Val-de-Marne")
    assert "10 structure(s) inclusive(s), 3 lot(s)" in guide.success[0].value
    assert_french(guide)


def test_guide_territory_is_asked_when_unknown(demo):
    workspace, credentials = demo
    test = logged_in(workspace, credentials, "buyer").run()
    test.switch_page("ui/guide.py").run()
    assert test.text_input(key="guide-territory").value == ""  # never a department picked at random
    next(b for b in test.button if b.label == "Générer le guide").click().run()
    assert test.error[0].value == "Indiquez d'abord un territoire."


def test_guide_refuses_a_date_that_does_not_exist(analysed):
    workspace, credentials, buyer, tender_id = analysed
    test = logged_in(workspace, credentials, "buyer").run(timeout=120)
    test.switch_page("ui/guide.py").run()
    test.text_input(key="guide-date").input("31/02/2026")
    next(b for b in test.button if b.label == "Générer le guide").click().run()
    assert test.error[0].value.startswith("Date invalide : « 31/02/2026 » n'est pas une date au format JJ/MM/AAAA")


def test_document_text_never_becomes_markdown():
    from ui.common import plain

    hostile = "[cliquez](http://pirate.example) ![](http://pirate.example/x.png) $x^2$ :red[alerte] <b>gras</b> *a* _b_"
    escaped = plain(hostile)
    # Every sign that opens a link, an image, a formula, coloured text, HTML or emphasis is escaped.
    assert not re.search(r"(?<!\\)[\[\]$<>*_]", escaped)
    assert plain("- tiret\n1. numéro") == "\\- tiret\n1\\. numéro"


def cleaning_tender(workspace, buyer, folder, shared=False) -> int:
    """A cleaning contract whose RC states neither a place of execution nor a buyer."""
    tender_id = workspace.create_tender(buyer, "Nettoyage", shared)
    rc = dce.write_docx(folder / "RC_nettoyage.docx", [
        (dce.H, "RÈGLEMENT DE LA CONSULTATION"),
        (dce.P, "Objet de la consultation : Nettoyage des locaux administratifs"),
        (dce.P, "Code CPV principal : 90911200-8"),
        (dce.P, "Montant estimé du marché : 180 000 € HT"),
    ])
    workspace.add_documents(buyer, tender_id, [(rc.name, rc.read_bytes())])
    workspace.analyse(buyer, tender_id)
    return tender_id


def unescaped(text: str) -> str:
    """A text as the reader sees it once Markdown has removed the escapes of ui.common.plain."""
    return re.sub(r"\\(.)", r"\1", text)


def place_button(test):
    return next(b for b in test.button if b.label == "Classer les structures depuis ce lieu")


def test_unknown_place_of_execution_is_asked_and_the_structures_ranked_from_it(demo, tmp_path):
    workspace, credentials = demo
    buyer = workspace.authenticate(*credentials["buyer"])
    tender_id = cleaning_tender(workspace, buyer, tmp_path)
    test = logged_in(workspace, credentials, "buyer").run(timeout=120)
    assert not test.exception
    assert any(w.value.startswith("Lieu d'exécution inconnu : précisez une commune, un département ou « national »")
               for w in test.warning)
    assert not any("sans tenir compte de la proximité" in text for text in page_text(test).splitlines())
    assert not test.dataframe  # nothing ranked on unknown distances, and no decision yet
    assert any(m.value == "**Lieu d'exécution** : non trouvé dans le dossier" for m in test.markdown)
    assert test.text_input(key="lieu-texte-1").label == "Commune, département ou « national »"
    assert_french(test)
    test.text_input(key="lieu-texte-1").input("Atlantide")
    place_button(test).click().run(timeout=120)
    assert not test.exception
    assert test.error[0].value.startswith("Lieu non reconnu : « Atlantide ». Indiquez une commune")
    assert workspace.review_items(buyer, tender_id)["lots"][0]["matching"]["outcome"] == "needs_place"
    test.text_input(key="lieu-texte-1").input("94")
    place_button(test).click().run(timeout=120)
    assert not test.exception and not test.error
    assert test.success[0].value == "Lieu d'exécution enregistré : structures crédibles classées."
    table = test.dataframe[0].value
    assert table.iloc[0]["Structure"] == "Propreté Adaptée Est [fictive]"
    assert any(unescaped(c.value) == "Distances mesurées depuis le centre du territoire « département 94 » (saisi "
               "par l'utilisateur)." for c in test.caption)
    assert not any(w.value.startswith("Lieu d'exécution inconnu") for w in test.warning)
    assert_french(test)


def test_a_reviewer_is_told_the_place_is_unknown_without_the_form(demo, tmp_path):
    workspace, credentials = demo
    cleaning_tender(workspace, workspace.authenticate(*credentials["buyer"]), tmp_path, shared=True)
    test = logged_in(workspace, credentials, "reviewer").run(timeout=120)
    assert not test.exception
    assert any(w.value.startswith("Lieu d'exécution inconnu") for w in test.warning)
    assert "L'acheteur de la consultation peut indiquer le lieu d'exécution." in [c.value for c in test.caption]
    assert not [b for b in test.button if b.label.startswith("Classer")]


def test_no_credible_structure_is_said_with_the_levers_left(demo, tmp_path):
    workspace, credentials = demo
    buyer = workspace.authenticate(*credentials["buyer"])
    tender_id = workspace.create_tender(buyer, "Laser", False)
    rc = dce.write_docx(tmp_path / "RC_laser.docx", [
        (dce.H, "RÈGLEMENT DE LA CONSULTATION"),
        (dce.P, "Objet de la consultation : Acquisition d'une machine de prototypage laser de circuits imprimés"),
        (dce.P, "Code CPV principal : 38636110-6"),
        (dce.P, "Montant estimé du marché : 120 000 € HT"),
        (dce.P, "Lieu de livraison : Vitry-sur-Seine (94)"),
    ])
    workspace.add_documents(buyer, tender_id, [(rc.name, rc.read_bytes())])
    workspace.analyse(buyer, tender_id)
    test = logged_in(workspace, credentials, "buyer").run(timeout=120)
    assert not test.exception
    assert any(i.value == "Aucune structure crédible dans l'annuaire pour ce lot. Leviers qui restent possibles :"
               for i in test.info)
    levers = [m.value for m in test.markdown if m.value.startswith("- ")]
    assert len(levers) == 2 and "facilitateur" in levers[0] and "chaîne d'approvisionnement" in levers[1]
    assert "Distances mesurées depuis Vitry-sur-Seine (lieu de la consultation)." in [unescaped(c.value) for c in test.caption]
    assert not any("importez l'annuaire" in i.value for i in test.info)  # the directory is not empty
    assert_french(test)


def test_an_empty_directory_says_to_import_it(demo, tmp_path):
    workspace, credentials = demo
    workspace.remove_demo_suppliers(workspace.authenticate(*credentials["admin"]))
    buyer = workspace.authenticate(*credentials["buyer"])
    tender_id = workspace.create_tender(buyer, "Travaux", False)
    workspace.add_documents(buyer, tender_id, [(p.name, p.read_bytes()) for p in dce.works_tender(tmp_path)])
    workspace.analyse(buyer, tender_id)
    test = logged_in(workspace, credentials, "buyer").run(timeout=120)
    assert not test.exception
    empty = [i.value for i in test.info if "importez l'annuaire de votre territoire" in i.value]
    assert len(empty) == 3  # one per lot
    assert not any("Aucune structure crédible" in i.value for i in test.info)


def test_ranked_lot_says_where_distances_are_measured_from_and_the_place_can_change(analysed):
    workspace, credentials, buyer, tender_id = analysed
    test = logged_in(workspace, credentials, "buyer").run(timeout=120)
    assert not test.exception
    lines = [unescaped(c.value) for c in test.caption if c.value.startswith("Distances mesurées")]
    assert lines == ["Distances mesurées depuis Vitry-sur-Seine (lieu de la consultation)."] * 3
    assert [e.label for e in test.expander].count("Changer le lieu d'exécution") == 3
    test.text_input(key="lieu-texte-2").input("national")
    next(b for b in test.button if b.label == "Classer depuis ce lieu" and "lieu-2" in b.id).click().run(timeout=120)
    assert not test.exception and not test.error
    assert "Marché national (France entière) : la distance n'est pas prise en compte (saisi par l'utilisateur)." in \
        [unescaped(c.value) for c in test.caption]
    lot2 = workspace.review_items(buyer, tender_id)["lots"][1]
    assert lot2["matching"]["place"]["source"] == "user" and lot2["matching"]["outcome"] == "ranked"
    reviewer = logged_in(workspace, credentials, "reviewer").run(timeout=120)
    assert "Changer le lieu d'exécution" not in [e.label for e in reviewer.expander]
