"""`procure suivi` on a real database (SQLite and PostgreSQL): the facilitator's file imported twice, an export read
through a JSON mapping, the alerts with the penalty at stake, the yearly report in Word and XLSX read back."""
import json
from datetime import date

import openpyxl
import pytest
from followup_world import build_world, months, statement_csv

from procure.cli import main


@pytest.fixture
def followed(sessions, database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("PROCURE_DATABASE_URL", database_url)
    world = build_world(sessions, tmp_path / "dce")
    ws, users = world["ws"], world["users"]
    (view,) = ws.followup.commitments_from_analysis(users["buyer_a"], world["tender"], date(2026, 1, 1),
                                                    holder_name="Bâtir SA", lots=[1], duration_months=48).created
    return view.commitment.key


def test_import_alerts_and_report(followed, tmp_path, capsys):
    statements = tmp_path / "releve.csv"
    statements.write_bytes(statement_csv([{"key": followed, "month": f"{m:%m/%Y}", "hours_direct_hire": "100",
                                           "participants_rsa": "1", "contracts_cddi": "1"}
                                          for m in months(2026, 1, 6)]))
    assert main(["suivi", "import", str(statements), "--date", "2026-07-15"]) == 0
    assert "6 relevé(s) ajouté(s)" in capsys.readouterr().out
    assert main(["suivi", "import", str(statements), "--date", "2026-07-15"]) == 0
    assert "0 relevé(s) ajouté(s), 0 corrigé(s), 6 inchangé(s)" in capsys.readouterr().out

    export = tmp_path / "export-mde.csv"  # the facilitator's own export, July, with its own column names
    export.write_text(f"N° lot;Période;Heures CDI/CDD\n{followed};07/2026;90\ninconnu;07/2026;5\n", encoding="utf-8")
    mapping = json.dumps({"key": "N° lot", "month": "Période", "hours_direct_hire": "Heures CDI/CDD"})
    assert main(["suivi", "import", str(export), "--correspondance", mapping, "--date", "2026-08-02"]) == 0
    out = capsys.readouterr().out
    assert "1 relevé(s) ajouté(s)" in out and "ligne 3 :" in out and "inconnu" in out
    assert main(["suivi", "import", str(export), "--correspondance", "{pas du json", "--date", "2026-08-02"]) == 2
    assert "Correspondance illisible" in capsys.readouterr().err

    assert main(["suivi", "alertes", "--date", "2026-08-02"]) == 0
    out = capsys.readouterr().out
    assert "Pénalités encourues" in out and "100,00" in out and "Article 14" in out

    assert main(["suivi", "bilan", "--annee", "2026", "--territoire", "94", "--out", str(tmp_path / "bilan.xlsx")]) == 0
    assert "690 heures réalisées" in capsys.readouterr().out.replace("\u202f", " ")
    workbook = openpyxl.load_workbook(tmp_path / "bilan.xlsx")
    cells = [cell for row in workbook.active.iter_rows(values_only=True) for cell in row]
    assert 690 in cells
    assert main(["suivi", "bilan", "--annee", "2026", "--out", str(tmp_path / "bilan.docx")]) == 0
    import docx

    document = docx.Document(tmp_path / "bilan.docx")
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "690" in cells and "Ville A" in cells
    assert main(["suivi", "bilan", "--annee", "2026", "--territoire", "13", "--out", str(tmp_path / "b.docx")]) == 2


def test_template_is_written_and_a_missing_file_is_said(tmp_path, capsys):
    assert main(["suivi", "modele", "--out", str(tmp_path / "releve.xlsx")]) == 0
    assert openpyxl.load_workbook(tmp_path / "releve.xlsx").active["A1"].value == "Référence du lot"
    assert main(["suivi", "import", str(tmp_path / "absent.csv")]) == 2
    assert "introuvable" in capsys.readouterr().err
