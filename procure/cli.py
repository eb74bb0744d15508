"""Command line: a thin layer over the library."""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

EXIT_OK = 0
EXIT_UNREADABLE = 2


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 1
    return args.handler(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="procure", description="Clauses sociales dans les marchés publics.")
    commands = parser.add_subparsers()
    analyze = commands.add_parser("analyze", help="analyser les documents d'une consultation (DCE)")
    analyze.add_argument("files", nargs="+", type=Path)
    analyze.add_argument("--json", type=Path, help="écrire l'analyse complète en JSON")
    analyze.set_defaults(handler=_analyze)
    reference = commands.add_parser("reference", help="données de référence")
    reference_commands = reference.add_subparsers()
    cpv = reference_commands.add_parser("import-cpv", help="importer la nomenclature CPV 2008 (CSV)")
    cpv.add_argument("path", type=Path)
    cpv.set_defaults(handler=_import_cpv)
    return parser


def _analyze(args: argparse.Namespace) -> int:
    from procure.extract import analyze
    from procure.report import summary_fr

    tender = analyze(args.files)
    print(summary_fr(tender))
    if args.json:
        args.json.write_text(json.dumps(tender.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"\nAnalyse écrite dans {args.json}")
    if not tender.readable:
        print("\nAucun document n'a pu être lu.", file=sys.stderr)
        return EXIT_UNREADABLE
    return EXIT_OK


def _import_cpv(args: argparse.Namespace) -> int:
    from procure.config import reference_dir
    from procure.cpv import _load

    try:
        nomenclature = _load(str(args.path))
    except (OSError, KeyError, UnicodeDecodeError) as exc:
        print(f"Nomenclature CPV illisible : {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    target = reference_dir() / "cpv2008_fr.csv"
    shutil.copyfile(args.path, target)
    print(f"{len(nomenclature.check_digits)} codes CPV importés dans {target}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
