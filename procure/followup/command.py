"""`procure suivi`: the clause follow-up at the command line (import of monthly statements, alerts, yearly report).

The command line acts as the operator (an administrator, `service.access.SYSTEM`), on the database procure opens
(`PROCURE_DATABASE_URL` or SQLite in `PROCURE_HOME`).
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

EXIT_OK, EXIT_NOTHING = 0, 2


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"date invalide « {text} » : attendu AAAA-MM-JJ") from error


def add_followup_parser(commands) -> None:
    """Register `procure suivi …` on the CLI's sub-commands."""
    followup = commands.add_parser("suivi", help="suivi des clauses d'insertion après attribution (relevés, alertes, bilan)")
    actions = followup.add_subparsers()
    imports = actions.add_parser("import", help="importer un relevé mensuel du facilitateur (CSV ou XLSX)")
    imports.add_argument("path", type=Path, help="relevé au format du modèle (procure suivi modele) ou export à faire correspondre")
    imports.add_argument("--correspondance", help="correspondance des colonnes en JSON, p. ex. "
                         "'{\"key\": \"N° lot\", \"month\": \"Période\", \"hours_direct_hire\": \"Heures\"}', "
                         "ou le chemin d'un fichier JSON")
    imports.add_argument("--date", type=_iso_date, help="date du jour pour refuser les mois à venir (AAAA-MM-JJ)")
    imports.set_defaults(handler=_import)
    alerts = actions.add_parser("alertes", help="lots en retard, fins d'année proches, pénalités encourues")
    alerts.add_argument("--date", type=_iso_date, help="date de l'examen (par défaut : aujourd'hui)")
    alerts.add_argument("--par", choices=("acheteur", "titulaire"), default="acheteur", help="regroupement")
    alerts.set_defaults(handler=_alerts)
    report = actions.add_parser("bilan", help="bilan annuel (heures, ETP, participants, contrats) en Word ou XLSX")
    report.add_argument("--annee", type=int, required=True)
    report.add_argument("--territoire", help="département (94) ou EPCI (SIREN, ou epci:SIREN) ; par défaut : tout")
    report.add_argument("--out", type=Path, required=True, help="bilan.docx ou bilan.xlsx")
    report.set_defaults(handler=_report)
    template = actions.add_parser("modele", help="écrire le modèle de relevé mensuel (CSV ou XLSX)")
    template.add_argument("--out", type=Path, required=True, help="releve.xlsx ou releve.csv")
    template.set_defaults(handler=_template)


def _workspace():
    from procure.db import session_factory
    from procure.service.workspace import Workspace

    return Workspace(session_factory())


def _mapping(text: str | None) -> dict | None:
    from procure.errors import ProcureError

    if not text:
        return None
    source = Path(text)
    try:
        raw = source.read_text(encoding="utf-8") if not text.lstrip().startswith("{") and source.is_file() else text
        mapping = json.loads(raw)
    except (OSError, ValueError) as error:
        raise ProcureError(f"Correspondance illisible : {error}. Attendu un objet JSON "
                           "{\"champ\": \"colonne de votre fichier\"}.") from error
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise ProcureError("Correspondance : un objet JSON {\"champ\": \"colonne de votre fichier\"} est attendu.")
    return mapping


def _import(args: argparse.Namespace) -> int:
    from procure.errors import ProcureError
    from procure.service.access import SYSTEM

    if not args.path.is_file():
        raise ProcureError(f"Fichier introuvable : {args.path}")
    outcome = _workspace().followup.import_statements(SYSTEM, args.path.read_bytes(), args.path.name,
                                                      _mapping(args.correspondance), today=args.date)
    print(outcome.summary_fr())
    for problem in outcome.problems:
        print(f"  ligne {problem.row} : {problem.message_fr}")
    for kept in outcome.kept:
        print(f"  {kept}")
    return EXIT_OK if outcome.added or outcome.corrected or outcome.unchanged else EXIT_NOTHING


def _alerts(args: argparse.Namespace) -> int:
    from procure.service.access import SYSTEM
    from procure.text.format_fr import format_date, format_euros

    today = args.date or date.today()
    grouped = _workspace().followup.alerts(SYSTEM, today=today)["buyer" if args.par == "acheteur" else "holder"]
    count = sum(len(found) for found in grouped.values())
    if not count:
        print(f"Aucune alerte au {format_date(today)}.")
        return EXIT_OK
    exposure = sum((a.exposure_eur for found in grouped.values() for a in found if a.exposure_eur), start=0)
    print(f"{count} alerte(s) au {format_date(today)}"
          + (f", pénalités encourues ou dues : {format_euros(exposure)}" if exposure else "") + ".")
    for group, found in grouped.items():
        print(f"\n{group}")
        for alert in found:
            print(f"  - [{alert.kind.label}] {alert.message}")
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from procure.service.access import SYSTEM
    from procure.text.format_fr import format_int, format_number

    if args.out.suffix.lower() not in (".docx", ".xlsx"):
        print("Indiquez un fichier .docx (Word) ou .xlsx avec --out.", file=sys.stderr)
        return EXIT_NOTHING
    followup = _workspace().followup
    rows = followup.consolidation(SYSTEM, args.annee, args.territoire)
    if not rows:
        print(f"Aucun marché à clause suivi en {args.annee}" + (f" sur le territoire {args.territoire}"
                                                                 if args.territoire else "") + ".")
        return EXIT_NOTHING
    whole = rows[0]
    print(f"{args.annee} : {format_int(whole.contracts)} marché(s) à clause, {format_int(whole.hours_done)} heures "
          f"réalisées sur {format_int(whole.hours_due)} dues, {format_number(whole.fte, 1)} ETP "
          f"({format_int(whole.fte_hours)} h par ETP), {format_int(whole.participants_total)} participant(s), "
          f"{format_int(whole.work_contracts_total)} contrat(s) de travail.")
    path = followup.export_consolidation(SYSTEM, args.annee, args.out, args.territoire)
    print(f"Bilan écrit dans {path}")
    return EXIT_OK


def _template(args: argparse.Namespace) -> int:
    import shutil

    from procure.followup.statements import TEMPLATE_DIR

    suffix = args.out.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        print("Indiquez un fichier .csv ou .xlsx avec --out.", file=sys.stderr)
        return EXIT_NOTHING
    shutil.copyfile(TEMPLATE_DIR / f"releve_mensuel{suffix}", args.out)
    print(f"Modèle de relevé mensuel écrit dans {args.out} (mode d'emploi : {TEMPLATE_DIR / 'README.md'}).")
    return EXIT_OK
