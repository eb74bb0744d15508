"""Command line: a thin layer over the library."""
from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
from datetime import date
from pathlib import Path

EXIT_OK = 0
EXIT_UNREADABLE = 2


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 1
    from procure.errors import ProcureError
    from procure.law.schema import ClauseLibraryError
    from procure.logs import cli_log_file, configure_logging

    # The terminal is the user's: the log goes to a file; --debug (and the worker, a server) also write it there.
    journal = configure_logging(console=args.debug or args.handler is _worker, file=cli_log_file(),
                                level=logging.DEBUG if args.debug else None)

    try:
        return args.handler(args)
    except ClauseLibraryError as error:  # a broken clauses/ file: say which file and key, no traceback
        print(str(error), file=sys.stderr)
        return 1
    except ProcureError as error:  # bad input or a limit reached: the French message says what to do
        print(f"Erreur : {error.message_fr}", file=sys.stderr)
        return EXIT_UNREADABLE
    except MemoryError:
        print("Erreur : mémoire insuffisante pour traiter ces données (fichier trop volumineux ?).", file=sys.stderr)
        return EXIT_UNREADABLE
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130
    except Exception as error:  # a bug: no traceback for the user, the log keeps it for maintainers
        logging.getLogger("procure.cli").exception("erreur inattendue : procure %s", " ".join(argv or sys.argv[1:]))
        where = f" ; le détail est dans le journal {journal}" if journal else ""
        print(f"Erreur inattendue de procure ({type(error).__name__}){where}. Merci de la signaler avec la commande "
              "lancée.", file=sys.stderr)
        return 1


CATEGORIES = {"central": "central", "locale": "local", "entite-adjudicatrice": "contracting_entity"}


def _law_options(command: argparse.ArgumentParser) -> None:
    """What the documents may not say but the thresholds depend on (L2112-2-1)."""
    command.add_argument("--categorie", choices=list(CATEGORIES),
                         help="catégorie de l'acheteur quand le dossier ne la dit pas : central (État), locale "
                              "(collectivité, établissement local), entite-adjudicatrice (réseaux)")
    defence = command.add_mutually_exclusive_group()
    defence.add_argument("--defense-securite", action="store_true",
                         help="marché de défense ou de sécurité (hors du champ de L2112-2-1)")
    defence.add_argument("--non-defense-securite", action="store_true",
                         help="le marché n'est pas de défense ou de sécurité, quoi qu'en dise la lecture du dossier")


def _answers(args: argparse.Namespace):
    """The buyer's answers given on the command line, for `advise` (the same use case as the app)."""
    from procure.advice.advise import TenderAnswers

    defence = True if getattr(args, "defense_securite", False) else False if getattr(args, "non_defense_securite", False) else None
    category = getattr(args, "categorie", None)
    return TenderAnswers(on=getattr(args, "date", None), category=CATEGORIES.get(category) if category else None,
                         defence=defence)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="procure", description="Clauses sociales dans les marchés publics.")
    parser.add_argument("--debug", action="store_true",
                        help="journal détaillé (niveau DEBUG), écrit aussi sur la sortie d'erreur")
    commands = parser.add_subparsers()
    analyze = commands.add_parser("analyze", help="analyser les documents d'une consultation (DCE)")
    analyze.add_argument("files", nargs="+", type=Path)
    analyze.add_argument("--json", type=Path, help="écrire l'analyse complète en JSON")
    analyze.set_defaults(handler=_analyze)
    suggest = commands.add_parser("suggest", help="proposer des clauses sociales par lot")
    suggest.add_argument("files", nargs="+", type=Path)
    suggest.add_argument("--date", type=_iso_date, help="date de lancement de la consultation (AAAA-MM-JJ)")
    _law_options(suggest)
    suggest.set_defaults(handler=_suggest)
    annex = commands.add_parser("annex", help="générer l'annexe Word des clauses proposées")
    annex.add_argument("files", nargs="+", type=Path)
    annex.add_argument("--out", type=Path, required=True, help="fichier .docx à écrire")
    annex.add_argument("--date", type=_iso_date, help="date de lancement de la consultation (AAAA-MM-JJ)")
    _law_options(annex)
    annex.set_defaults(handler=_annex)
    tracked = commands.add_parser("tracked", help="insérer les clauses proposées dans votre CCAP ou RC (Word, "
                                                  "modifications suivies)")
    tracked.add_argument("files", nargs="+", type=Path, help="pièces de la consultation à analyser")
    tracked.add_argument("--into", type=Path, required=True, help="votre CCAP ou RC au format .docx (jamais modifié)")
    tracked.add_argument("--out", type=Path, required=True, help="fichier .docx à écrire")
    tracked.add_argument("--lever", action="append", help="dispositif à insérer (insertion_clause, social_criterion…) ; "
                                                          "par défaut : les dispositifs obligatoires et recommandés")
    tracked.add_argument("--date", type=_iso_date, help="date de lancement de la consultation (AAAA-MM-JJ)")
    _law_options(tracked)
    tracked.set_defaults(handler=_tracked)
    suppliers = commands.add_parser("suppliers", help="annuaire des structures inclusives")
    supplier_commands = suppliers.add_subparsers()
    imp = supplier_commands.add_parser("import", help="importer un fichier de structures (CSV, XLSX, JSON, .gz)")
    imp.add_argument("path", type=Path)
    imp.add_argument("--format", default="auto", help="auto (d'après l'en-tête, par défaut), annuaire, finess, lemarche, "
                     "data-inclusion, asp-siae ou mapping",
                     choices=["auto", "annuaire", "finess", "lemarche", "data-inclusion", "asp-siae", "marche-inclusion", "mapping"])
    imp.add_argument("--map", nargs="*", default=[], metavar="CHAMP=COLONNE",
                     help="format 'mapping' : siret=…, name=…, kind=… (ou fixed_kind=EA), naf=…, postcode=…, commune=…, insee=…, activities=…, headcount=…")
    imp.add_argument("--source", help="nom de la source (par défaut : le nom du fichier)")
    imp.add_argument("--source-date", type=_iso_date)
    imp.set_defaults(handler=_import_suppliers)
    match = commands.add_parser("match", help="structures inclusives pour un lot")
    match.add_argument("files", nargs="+", type=Path)
    match.add_argument("--lot", type=int, required=True)
    match.add_argument("--lever", help="levier visé (reserved_siae, reserved_disability, insertion_clause…)")
    match.add_argument("--radius", type=float, default=50.0, help="rayon en km (50 par défaut)")
    match.add_argument("--scope", choices=["epci", "department", "region"],
                       help="ne garder que les structures de l'EPCI, du département ou de la région du lieu d'exécution")
    match.add_argument("--top", type=int, default=10)
    match.add_argument("--place", help="lieu d'exécution si le DCE n'en donne pas : commune, code INSEE ou postal, "
                                       "département (94) ou « national »")
    match.add_argument("--show-excluded", action="store_true", help="lister aussi les structures écartées et pourquoi")
    match.set_defaults(handler=_match)
    models = commands.add_parser("models", help="modèles appris sur les marchés publics réels")
    model_commands = models.add_subparsers()
    train = model_commands.add_parser("train", help="entraîner le classifieur CPV sur des données DECP")
    train.add_argument("--data", type=Path, required=True, help="export DECP (CSV aplati 2019 ou JSON 2024)")
    train.add_argument("--out", type=Path, help="dossier du modèle (par défaut : models/)")
    train.add_argument("--seed", type=int, default=42)
    train.set_defaults(handler=_train_models)
    decp = commands.add_parser("decp", help="marchés publics attribués (données ouvertes DECP)")
    decp_commands = decp.add_subparsers()
    decp_import = decp_commands.add_parser("import", help="importer un export DECP (decp.csv consolidé de data.gouv.fr, CSV aplati 2019 ou JSON 2024)")
    decp_import.add_argument("path", type=Path)
    decp_import.set_defaults(handler=_import_decp)
    similar = commands.add_parser("similar", help="marchés réels comparables à un lot")
    similar.add_argument("files", nargs="+", type=Path)
    similar.add_argument("--lot", type=int, required=True)
    similar.add_argument("--top", type=int, default=5)
    similar.set_defaults(handler=_similar)
    guide = commands.add_parser("guide", help="guide « Donneurs d'ordre publics, mode d'emploi » d'un territoire")
    guide.add_argument("--territory", required=True,
                       help="département (94 ou dep:94), EPCI (epci:200054781) ou liste de codes INSEE (94028,94081)")
    guide.add_argument("--out", type=Path, required=True)
    guide.add_argument("--date", type=_iso_date, help="date des règles et seuils (par défaut : aujourd'hui)")
    guide.set_defaults(handler=_guide)
    practice = commands.add_parser("practice", help="pratiques d'achat par acheteur et par année (CSV ou XLSX)")
    practice.add_argument("--out", type=Path, required=True, help="fichier .csv ou .xlsx")
    practice.set_defaults(handler=_practice)
    watch = commands.add_parser("veille", help="veille des avis publiés d'un territoire (eForms, BOAMP, PDF)")
    watch.add_argument("paths", nargs="+", type=Path, help="fichiers ou dossiers d'avis (XML eForms, export BOAMP JSON, PDF)")
    watch.add_argument("--territoire", help="département (94), commune (code INSEE) ou EPCI (SIREN) à afficher")
    watch.add_argument("--depuis", type=_iso_date, help="avis publiés à partir de cette date (AAAA-MM-JJ)")
    watch.add_argument("--csv", type=Path, help="écrire la liste des avis en CSV (Excel français)")
    watch.add_argument("--xlsx", type=Path, help="écrire la liste des avis en XLSX")
    watch.add_argument("--note-acheteur", help="acheteur (une partie du nom) pour qui écrire la note Word")
    watch.add_argument("--note", type=Path, help="note Word « vos avis publiés » de cet acheteur (.docx)")
    watch.set_defaults(handler=_watch)
    from procure.followup.command import add_followup_parser

    add_followup_parser(commands)  # procure suivi import | alertes | bilan | modele (issue 25)
    demo = commands.add_parser("demo-setup", help="créer la base de démonstration et afficher les identifiants")
    demo.set_defaults(handler=_demo_setup)
    reference = commands.add_parser("reference", help="données de référence")
    reference_commands = reference.add_subparsers()
    cpv = reference_commands.add_parser("import-cpv", help="importer la nomenclature CPV 2008 (CSV)")
    cpv.add_argument("path", type=Path)
    cpv.set_defaults(handler=_import_cpv)
    worker = commands.add_parser("worker", help="mener les analyses en attente, à part des serveurs de l'application")
    worker.add_argument("--analyses", type=int, help="analyses menées en même temps (défaut : PROCURE_ANALYSIS_WORKERS)")
    worker.add_argument("--migrer-seulement", action="store_true", help="mettre la base à jour, puis s'arrêter")
    worker.set_defaults(handler=_worker)
    return parser


def _worker(args: argparse.Namespace) -> int:
    from procure.service.jobs import worker_main

    return worker_main(args.analyses, args.migrer_seulement)


def _analyze(args: argparse.Namespace) -> int:
    from procure.extract import analyze, analyze_notices
    from procure.outputs.report import summary_fr

    if len(args.files) == 1 and Path(args.files[0]).suffix.lower() == ".json":
        tenders = analyze_notices(args.files[0])  # a BOAMP export: one consultation per notice
        if len(tenders) > 1:
            return _analyze_each(tenders, args)
    tender = analyze(args.files)
    print(summary_fr(tender))
    if args.json:
        args.json.write_text(json.dumps(tender.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"\nAnalyse écrite dans {args.json}")
    if not tender.readable:
        print("\nAucun document n'a pu être lu.", file=sys.stderr)
        return EXIT_UNREADABLE
    return EXIT_OK


def _analyze_each(tenders: list, args: argparse.Namespace) -> int:
    from procure.outputs.report import summary_fr

    for position, tender in enumerate(tenders, 1):
        print(f"{'=' * 20} Avis {position} sur {len(tenders)} {'=' * 20}")
        print(summary_fr(tender))
        print()
    if args.json:
        args.json.write_text(json.dumps([t.to_dict() for t in tenders], ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"Analyses écrites dans {args.json}")
    return EXIT_OK if any(t.readable for t in tenders) else EXIT_UNREADABLE


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"date invalide « {text} » : format attendu AAAA-MM-JJ") from exc


def _analysed(files: list[Path]):
    from procure.extract import analyze

    tender = analyze(files)
    for problem in tender.problems:
        print(f"{'ERREUR' if problem.fatal else 'Attention'} — {problem.file} : {problem.message}", file=sys.stderr)
    return tender


def _suggest(args: argparse.Namespace) -> int:
    from procure.advice.advise import advise
    from procure.advice.report import advice_fr

    tender = _analysed(args.files)
    if not tender.readable:
        print("Aucun document n'a pu être lu.", file=sys.stderr)
        return EXIT_UNREADABLE
    print(advice_fr(advise(tender, _answers(args))))
    return EXIT_OK


def _annex(args: argparse.Namespace) -> int:
    from procure.advice.advise import advise
    from procure.outputs.annex import write_annex

    tender = _analysed(args.files)
    if not tender.readable:
        print("Aucun document n'a pu être lu : annexe non générée.", file=sys.stderr)
        return EXIT_UNREADABLE
    try:
        write_annex(advise(tender, _answers(args)), args.out)
    except OSError as exc:
        print(f"Impossible d'écrire {args.out} : {exc.strerror}", file=sys.stderr)
        return EXIT_UNREADABLE
    print(f"Annexe écrite dans {args.out}")
    return EXIT_OK


def _tracked(args: argparse.Namespace) -> int:
    from procure.advice.advise import advise
    from procure.outputs.tracked import clauses_from_advice, insert_clauses

    if args.into.suffix.lower() != ".docx" or not args.into.is_file():
        print(f"« {args.into} » : indiquez votre CCAP ou RC au format Word (.docx).", file=sys.stderr)
        return EXIT_UNREADABLE
    if args.out.resolve() == args.into.resolve():
        print("Le fichier écrit doit être différent de l'original, qui n'est jamais modifié.", file=sys.stderr)
        return 1
    files = list(args.files) + ([args.into] if args.into.resolve() not in {f.resolve() for f in args.files} else [])
    tender = _analysed(files)
    if not tender.readable:
        print("Aucun document n'a pu être lu : rien n'est inséré.", file=sys.stderr)
        return EXIT_UNREADABLE
    clauses = clauses_from_advice(advise(tender, _answers(args)), args.into.name, args.lever)
    if not clauses:
        print("Aucune clause à insérer dans ce document (déjà présentes, ou destinées à une autre pièce).")
        return EXIT_OK
    try:
        result = insert_clauses(args.into, clauses, args.out)
    except ValueError as exc:
        print(f"Insertion impossible : {exc}.", file=sys.stderr)
        return EXIT_UNREADABLE
    except OSError as exc:
        print(f"Impossible d'écrire {args.out} : {exc.strerror}", file=sys.stderr)
        return EXIT_UNREADABLE
    print(result.summary_fr())
    print(f"Document écrit dans {args.out} : ouvrez-le dans Word ou LibreOffice pour accepter ou refuser chaque ajout.")
    return EXIT_OK


def _import_suppliers(args: argparse.Namespace) -> int:
    from procure.db import session_factory
    from procure.directory.suppliers import FORMATS, SupplierRepository, import_file, mapping_from_pairs
    from procure.errors import ProcureError

    if args.format == "mapping":
        malformed = [item for item in args.map if "=" not in item]
        if malformed:
            print(f"--map : « {malformed[0]} » n'est pas de la forme CHAMP=COLONNE.", file=sys.stderr)
            return 1
        try:
            mapping = mapping_from_pairs(dict(item.split("=", 1) for item in args.map))
        except ProcureError as error:
            print(error.message_fr, file=sys.stderr)
            return 1
    else:
        mapping = FORMATS[args.format]
    try:
        report = import_file(SupplierRepository(session_factory()), args.path, mapping, args.source or args.path.name,
                             args.source_date, progress=_progress)
    except ProcureError as error:
        print(f"Import impossible : {error.message_fr}", file=sys.stderr)
        return EXIT_UNREADABLE
    for row in report.rows:
        if row.status in ("rejected", "warning"):
            print(f"  ligne {row.line} ({row.siret or 'sans SIRET'}) : {row.reason}")
    print(report.summary_fr())
    accepted = report.count("added") + report.count("updated") + report.count("unchanged")
    return EXIT_OK if accepted else EXIT_UNREADABLE


def _match(args: argparse.Namespace) -> int:
    from procure.db import session_factory
    from procure.directory.suppliers import SupplierRepository
    from procure.market.similar import ContractRepository
    from procure.matching.match import LotQuery, SupplierIndex
    from procure.matching.place import from_user

    tender = _analysed(args.files)
    lot = tender.lot(args.lot)
    if lot is None:
        print(f"Lot {args.lot} introuvable (lots : {', '.join(str(lot.number) for lot in tender.lots) or 'aucun'}).", file=sys.stderr)
        return EXIT_UNREADABLE
    suppliers = SupplierRepository(session_factory()).all()
    if not suppliers:
        print("Annuaire vide : importez des structures avec « procure suppliers import ».", file=sys.stderr)
        return EXIT_UNREADABLE
    query = LotQuery.from_lot(lot, args.lever, args.radius, tender=tender)
    query.scope = args.scope
    if args.place:
        place = from_user(args.place)
        if place is None:
            print(f"Lieu « {args.place} » introuvable : donnez une commune, un code INSEE ou postal, un département "
                  "ou « national ».", file=sys.stderr)
            return EXIT_UNREADABLE
        query.set_place(place)
    contracts = ContractRepository(session_factory()).frame()  # past awards, when DECP contracts were imported
    try:
        result = SupplierIndex(suppliers, contracts if not contracts.empty else None).match(query, top=args.top)
    except ValueError as problem:
        print(f"Appariement impossible : {problem}", file=sys.stderr)
        return EXIT_UNREADABLE
    if result.needs_place:
        print(f"Lot {lot.number} : {result.summary_fr()} (option --place)", file=sys.stderr)
        return EXIT_UNREADABLE
    print(f"Lot {lot.number} : {lot.title.value if lot.title else ''} — {len(result.ranked)} structure(s) classée(s), "
          f"{result.excluded_count} écartée(s)")
    print(result.summary_fr())
    for rank, m in enumerate(result.ranked, 1):
        demo = " [FICTIVE — démonstration]" if m.supplier.demo else ""
        print(f"{rank:>3}. {m.supplier.name}{demo} (SIRET {m.supplier.siret})")
        print(f"     {m.explanation_fr}")
    if args.show_excluded:
        for exclusion in result.excluded():
            print(f"  écartée : {exclusion.supplier.name} — {exclusion.reason}")
    return EXIT_OK


def _progress(count: int, text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _read_decp(path: Path):
    """A DECP export as a cleaned frame, or None after saying why it could not be read; bad values are listed."""
    from procure.errors import ProcureError
    from procure.market.decp import read_any

    try:
        frame = read_any(path)
    except ProcureError as error:
        print(f"Export DECP illisible : {error.message_fr}", file=sys.stderr)
        return None
    problems = frame.attrs.get("problems", [])
    for problem in problems[:MAX_LISTED_PROBLEMS]:
        print(f"  {problem}", file=sys.stderr)
    if len(problems) > MAX_LISTED_PROBLEMS:
        print(f"  … et {len(problems) - MAX_LISTED_PROBLEMS} autre(s) remarque(s)", file=sys.stderr)
    return frame


MAX_LISTED_PROBLEMS = 30


def _train_models(args: argparse.Namespace) -> int:
    from procure.market import classifier

    frame = _read_decp(args.data)
    if frame is None:
        return EXIT_UNREADABLE
    bundle, metrics = classifier.train(frame, seed=args.seed)
    path = classifier.save(bundle, metrics, args.out or classifier.MODELS_DIR,
                           f"{args.data.name} : {len(frame)} marchés après nettoyage, dont "
                           f"{int(frame['division'].notna().sum())} avec un code CPV valide")
    print(f"Modèle écrit dans {path}")
    print(f"Division : top-1 {metrics['division_top1']:.3f}, top-3 {metrics['division_top3']:.3f} ; "
          f"groupe : top-1 {metrics['group_top1']:.3f} (test mis de côté : {metrics['test_rows']} marchés)")
    return EXIT_OK


def _import_decp(args: argparse.Namespace) -> int:
    """Streamed into the database and the Parquet analysis store, any size (procure.market.decp.import_decp)."""
    from procure.db import session_factory
    from procure.errors import ProcureError
    from procure.market.decp import import_decp

    shown = {"step": -1}

    def progress(fraction: float, text: str) -> None:
        if int(fraction * 10) > shown["step"]:  # one line per tenth of the file
            shown["step"] = int(fraction * 10)
            print(f"  {fraction:4.0%} {text}", file=sys.stderr, flush=True)

    try:
        report = import_decp(args.path, session_factory(), progress=progress)
    except ProcureError as error:
        print(f"Export DECP illisible, rien n'a été importé : {error.message_fr}", file=sys.stderr)
        return EXIT_UNREADABLE
    problems = report.problems
    for problem in problems[:MAX_LISTED_PROBLEMS]:
        print(f"  {problem}", file=sys.stderr)
    if len(problems) > MAX_LISTED_PROBLEMS:
        print(f"  … et {len(problems) - MAX_LISTED_PROBLEMS} autre(s) remarque(s)", file=sys.stderr)
    if report.stats.kept == 0:
        print(f"Aucun marché n'a pu être importé : {report.records} marché(s) dans le fichier, aucun n'est utilisable"
              + (" (détail ci-dessus)." if problems else "."), file=sys.stderr)
        return EXIT_UNREADABLE
    print(report.summary_fr() + (" (détail ci-dessus)." if problems else "."))
    return EXIT_OK


def _similar(args: argparse.Namespace) -> int:
    from procure.advice.advise import advise
    from procure.db import session_factory
    from procure.market.similar import ContractRepository, SimilarIndex

    tender = _analysed(args.files)
    lot_advice = next((advice for advice in advise(tender, _answers(args)).lots if advice.lot.number == args.lot), None)
    if lot_advice is None:
        print(f"Lot {args.lot} introuvable.", file=sys.stderr)
        return EXIT_UNREADABLE
    contracts = ContractRepository(session_factory()).frame()
    if contracts.empty:
        print("Aucun marché importé : utilisez « procure decp import ».", file=sys.stderr)
        return EXIT_UNREADABLE
    index = SimilarIndex(contracts)
    amount = float(lot_advice.amount_ht) if lot_advice.amount_ht else None
    title = lot_advice.lot.title.value if lot_advice.lot.title else ""
    for contract in index.similar(title, lot_advice.cpv, amount, args.top):
        print(f"- {contract.describe_fr()}")
    share = index.social_share(lot_advice.cpv[:2]) if lot_advice.cpv else None
    if share:
        print(f"Division {lot_advice.cpv[:2]} : {share[0]} marchés, {share[1]:.0%} avec une disposition sociale visible.")
    return EXIT_OK


def _guide(args: argparse.Namespace) -> int:
    from procure.db import session_factory
    from procure.market.practice import Territory
    from procure.outputs.guide import guide_data, write_guide

    try:
        territory = Territory.parse(args.territory)
    except ValueError as exc:
        print(f"Territoire invalide : {exc}", file=sys.stderr)
        return 1
    if not territory.communes:
        print(f"Territoire vide : « {args.territory} » ne désigne aucune commune.", file=sys.stderr)
        return 1
    data = guide_data(session_factory(), territory, args.date or date.today())
    write_guide(data, args.out)
    print(f"Guide écrit dans {args.out} ({territory.name}, {len(data.suppliers)} structure(s) inclusive(s)).")
    return EXIT_OK


def _practice(args: argparse.Namespace) -> int:
    from procure.db import session_factory
    from procure.market.practice import decp_facts, export, lot_facts, practice_table

    sessions = session_factory()
    table = practice_table(lot_facts(sessions), decp_facts(sessions))
    export(table, args.out)
    print(f"{len(table)} ligne(s) écrite(s) dans {args.out}")
    return EXIT_OK


def _watch(args: argparse.Namespace) -> int:
    from procure.watch.command import watch_command

    return watch_command(args.paths, args.territoire, args.depuis, args.csv, args.xlsx, args.note_acheteur, args.note)


def _demo_setup(args: argparse.Namespace) -> int:
    from procure.db import database_url, session_factory
    from procure.directory.demo import setup_demo
    from procure.directory.suppliers import SupplierRepository
    from procure.service.workspace import ROLES, Workspace

    sessions = session_factory()
    repository = SupplierRepository(sessions)
    credentials = setup_demo(Workspace(sessions), repository)
    print(f"Base : {database_url()}")
    print("Comptes de démonstration (mots de passe renouvelés à chaque lancement) :")
    for email, password, role in credentials:
        print(f"  {ROLES[role]:<30} {email:<24} mot de passe : {password}")
    if not repository.has_real_records():
        print("Annuaire : structures FICTIVES de démonstration (importez la liste officielle avec « procure suppliers import »).")
    return EXIT_OK


def _import_cpv(args: argparse.Namespace) -> int:
    from procure.reference.cpv import _load
    from procure.settings import reference_dir

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
