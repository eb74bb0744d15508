"""`procure match` end to end: a real DOCX tender, the real ASP importer, the real database, the real CLI."""
import csv

from dce import H, P, T, write_docx
from procure.cli import main

HEADER = ["MESURE", "CODE_DEPARTEMENT", "LIBELLE_DPT", "CODE_POSTAL", "COMMUNE", "CODE_NAF2", "NATURE_JURIDIQUE", "SIRET",
          "DENOMINATION_SOCIALE", "NUM_RUE", "NOM_RUE", "CODE_POST_COM", "LIB_COM"]
ROWS = [  # name look-alikes of the laser lot, and one structure that really maintains green spaces in Tarbes
    ["ETTI", "084", "VAUCLUSE", "84000", "AVIGNON", "7820Z", "SARL", "41071771400035", "LASER 84", "1", "Rue A", "84000", "AVIGNON"],
    ["AI", "065", "HAUTES PYRENEES", "65000", "TARBES", "7830Z", "Association", "34356040500023", "ASSOC AGRISERVICES LASER",
     "2", "Rue B", "65000", "TARBES"],
    ["ACI", "065", "HAUTES PYRENEES", "65000", "TARBES", "5911A", "Association", "53069516200012", "ASSOC LOIN DES MACHINES",
     "3", "Rue C", "65000", "TARBES"],
    ["ACI", "065", "HAUTES PYRENEES", "65000", "TARBES", "8130Z", "Association", "84137691600018", "ASSOC JARDINS DE L'ADOUR",
     "4", "Rue D", "65000", "TARBES"],
]


def school_tender(folder, with_place=True):
    buyer = "École nationale d'ingénieurs de Tarbes" if with_place else "Groupement d'intérêt public pour la formation"
    lines = [(H, "Règlement de la consultation"),
             (P, f"Acheteur : {buyer}"),
             (P, "Objet de la consultation : Équipements du laboratoire d'électronique et entretien du campus"),
             (P, "Procédure : procédure adaptée (article R2123-1 du code de la commande publique).")]
    if with_place:
        lines.append((P, "Lieu d'exécution : Tarbes (65)"))
    lines += [(H, "Article 2 – Allotissement"),
              (T, [["Lot", "Désignation", "Code CPV", "Montant estimé (€ HT)"],
                   ["1", "Acquisition d'une machine de prototypage laser de circuits imprimés", "38636110-6", "45 000,00"],
                   ["2", "Entretien des espaces verts du campus", "77310000-6", "60 000,00"]])]
    return write_docx(folder / "RC_ecole.docx", lines)


def import_directory(tmp_path):
    path = tmp_path / "siae.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(ROWS)
    assert main(["suppliers", "import", str(path), "--format", "asp-siae"]) == 0


def test_laser_lot_gets_the_honest_answer_and_green_spaces_a_credible_structure(tmp_path, capsys):
    import_directory(tmp_path)
    rc = school_tender(tmp_path)
    capsys.readouterr()
    assert main(["match", str(rc), "--lot", "1", "--radius", "1000"]) == 0
    laser = capsys.readouterr().out
    assert "Aucune structure crédible dans l'annuaire pour ce lot" in laser
    assert "clause d'insertion" in laser and "chaîne d'approvisionnement" in laser
    assert "confiance faible" in laser  # the weak names are shown as such, never as a recommendation
    assert main(["match", str(rc), "--lot", "2"]) == 0
    green = capsys.readouterr().out
    first = green.split("\n  1. ", 1)[1] if "\n  1. " in green else green
    assert first.startswith("ASSOC JARDINS DE L'ADOUR") and "confiance forte" in green
    assert "LASER 84" not in green  # in Avignon, beyond the 50 km radius


def test_unknown_place_is_asked_for_then_given(tmp_path, capsys):
    import_directory(tmp_path)
    rc = school_tender(tmp_path, with_place=False)
    capsys.readouterr()
    assert main(["match", str(rc), "--lot", "2"]) == 2
    assert "précisez une commune, un département ou « national »" in capsys.readouterr().err
    assert main(["match", str(rc), "--lot", "2", "--place", "65440"]) == 0
    assert "ASSOC JARDINS DE L'ADOUR" in capsys.readouterr().out
    assert main(["match", str(rc), "--lot", "2", "--place", "Nulle-Part-sur-Mer"]) == 2
    assert "introuvable" in capsys.readouterr().err
