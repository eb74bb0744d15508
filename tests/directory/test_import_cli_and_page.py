"""`procure suppliers import` with the format found from the file, and the directory page showing each source."""
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from procure.cli import main

APP = str(Path(__file__).resolve().parents[2] / "app.py")
ENGLISH = re.compile(r"\b(Upload|Browse files|Drag and drop|rejected|warning|ignored|None|NaN|nan|True|False)\b")
RESTOS = "40046135600133"


def finess_line(shared_data, tmp_path):
    lines = (shared_data / "finess" / "etalab-cs1100502-stock-20260512-0339_15lines.csv").read_bytes().decode("latin-1").split("\n")
    fields = lines[1].split(";")
    fields[18], fields[22] = "246", RESTOS
    path = tmp_path / "etalab-finess.csv"
    path.write_bytes("\n".join([lines[0], ";".join(fields), *lines[2:]]).encode("latin-1"))
    return path


def test_cli_detects_each_format_and_says_bad_files_in_french(shared_data, tmp_path, capsys):
    annuaire = shared_data / "annuaire-entreprises" / "api_responses" / "site_e2e-mock_search-400461356.json"
    assert main(["suppliers", "import", str(annuaire)]) == 0
    out = capsys.readouterr().out
    assert "site_e2e-mock_search-400461356.json : 1 ajoutée(s)" in out
    assert main(["suppliers", "import", str(finess_line(shared_data, tmp_path)), "--format", "finess"]) == 0
    out = capsys.readouterr().out
    assert "1 mise(s) à jour" in out and "catégorie FINESS hors travail protégé" in out
    unknown = tmp_path / "inconnu.csv"
    unknown.write_text("a;b\n1;2\n", encoding="utf-8")
    assert main(["suppliers", "import", str(unknown)]) == 2
    err = capsys.readouterr().err
    assert "Import impossible : Format du fichier non reconnu" in err and "Traceback" not in err
    assert main(["suppliers", "import", str(shared_data / "data-inclusion" / "valideur_template_example_rows.json")]) == 2
    assert "2 ligne(s) laissée(s) de côté" in capsys.readouterr().out  # nothing inclusive in it: said, nothing lost


def page_text(test) -> str:
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success",
                 "metric", "button", "text_input", "selectbox"):
        for element in getattr(test, kind, []):
            for attribute in ("value", "label", "placeholder", "options"):
                value = getattr(element, attribute, None)
                parts.extend(str(v) for v in value) if isinstance(value, list) else parts.append(str(value or ""))
    return "\n".join(parts)


def test_directory_page_shows_sources_side_by_side(shared_data, tmp_path, monkeypatch):
    from procure.db import get_engine, session_factory
    from procure.directory.demo import setup_demo
    from procure.directory.imports import import_file
    from procure.directory.repository import SupplierRepository
    from procure.service.workspace import Workspace

    monkeypatch.setenv("PROCURE_DATABASE_URL", f"sqlite:///{tmp_path / 'app.sqlite'}")
    sessions = session_factory(get_engine())
    workspace, repository = Workspace(sessions), SupplierRepository(sessions)
    credentials = {role: (email, password) for email, password, role in setup_demo(workspace, repository)}
    import_file(repository, shared_data / "annuaire-entreprises" / "unites_legales_flat_from_api.csv", None, "Annuaire 2026")
    import_file(repository, finess_line(shared_data, tmp_path), None, "FINESS 2026-05")
    test = AppTest.from_file(APP, default_timeout=60)
    test.session_state["user"] = workspace.authenticate(*credentials["admin"])
    test.run()
    test.switch_page("ui/annuaire.py").run()
    assert not test.exception
    conflicts = next(d.value for d in test.dataframe if "Ce que dit chaque source" in d.value.columns)
    (row,) = conflicts.to_dict("records")
    assert row["SIRET"] == RESTOS and "ESAT (FINESS 2026-05)" in row["Ce que dit chaque source"]
    formats = next(s for s in test.selectbox if s.label == "Format")
    assert formats.value == "auto" and formats.options[0] == "Reconnu d'après l'en-tête du fichier"
    assert any(option.startswith("Annuaire des entreprises") for option in formats.options)
    next(t for t in test.text_input if t.label == "SIRET de la structure").input(RESTOS).run()
    assert not test.exception
    provenance = next(d.value for d in test.dataframe if "Valeur retenue" in d.value.columns).set_index("Donnée")
    assert provenance.loc["Types", "Valeur retenue"] == "ACI, ESAT, ESS"
    assert provenance.loc["Raison sociale", "Source"] == "Annuaire 2026"
    per_file = next(d.value for d in test.dataframe if "Autres informations" in d.value.columns)
    assert list(per_file["Source"]) == ["FINESS 2026-05", "Annuaire 2026"]
    assert "finess : 010000024" in per_file.iloc[0]["Autres informations"]
    assert any("ne s'accordent pas sur le type" in w.value for w in test.warning)
    found = ENGLISH.findall(page_text(test))
    assert not found, f"texte anglais visible : {sorted(set(found))}"
