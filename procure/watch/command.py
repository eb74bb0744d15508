"""`procure veille`: read the notices given, then list the territory's notices, those to act on first."""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from procure.text.format_fr import format_euros, format_int, format_percent
from procure.watch.assess import OBLIGATION_FR, WatchedNotice

EXIT_OK, EXIT_NOTHING = 0, 2


def watch_command(paths: list[Path], territory: str | None, since: date | None, csv: Path | None,
                  xlsx: Path | None, note_buyer: str | None = None, note: Path | None = None) -> int:
    from procure.db import session_factory
    from procure.watch.report import benchmarks, notice_table
    from procure.watch.run import run_watch, supplier_index
    from procure.watch.store import WatchStore

    sessions = session_factory()
    store = WatchStore(sessions)
    run = run_watch(paths, store, supplier_index(sessions),
                    progress=lambda seen, text: print(f"[{seen}] {text}", file=sys.stderr, flush=True))
    print(f"{format_int(run.read)} avis lu(s), {format_int(run.skipped)} déjà connu(s), "
          f"{format_int(len(run.failures))} illisible(s).")
    for failure in run.failures:
        print(f"  illisible : {failure.name} — {failure.message}")
    notices = store.notices(territory=territory, since=since)
    marks = benchmarks()
    social = [n for n in notices if n.kind != "cancel"]
    share = sum(n.social for n in social) / len(social) if social else None
    scope = f" du territoire {territory}" if territory else ""
    print(f"\n{format_int(len(notices))} avis{scope}"
          + (f", dont {format_percent(share)} avec une considération sociale (cible nationale "
             f"{format_percent(marks['target'].value)}, part mesurée {format_percent(marks['measured'].value)} "
             f"selon l'OECP, à vérifier)" if share is not None else "") + ".")
    for notice in sorted(notices, key=lambda n: not n.flagged):
        print(_line(notice))
    for path, kind in ((csv, "csv"), (xlsx, "xlsx")):
        if path:
            from procure.market.practice import export

            export(notice_table(notices), path.with_suffix(f".{kind}"))
            print(f"Liste écrite dans {path.with_suffix(f'.{kind}')}")
    if note:
        return _note(store, note_buyer, territory, since, note)
    return EXIT_OK if notices or run.read else EXIT_NOTHING


def _note(store, buyer: str | None, territory: str | None, since: date | None, out: Path) -> int:
    from procure.watch.note import write_buyer_note

    if not buyer:
        print("Indiquez l'acheteur de la note avec --note-acheteur.", file=sys.stderr)
        return EXIT_NOTHING
    notices = store.notices(territory=territory, since=since, buyer=buyer)
    names = sorted({n.buyer for n in notices if n.buyer})
    if len(names) != 1:
        found = ", ".join(names[:10]) or "aucun"
        print(f"« {buyer} » désigne {len(names)} acheteur(s) ({found}) : précisez le nom.", file=sys.stderr)
        return EXIT_NOTHING
    write_buyer_note(names[0], notices, out.with_suffix(".docx"), since=since)
    print(f"Note de {names[0]} écrite dans {out.with_suffix('.docx')}")
    return EXIT_OK


def _line(notice: WatchedNotice) -> str:
    flag = "À SIGNALER — " if notice.flagged else ""
    when = notice.published.strftime("%d/%m/%Y") if notice.published else "date inconnue"
    value = format_euros(notice.value_ht) + " HT" if notice.value_ht is not None else "montant inconnu"
    provisions = ", ".join(dict.fromkeys(p["label"] for p in notice.provisions)) or "aucune disposition sociale"
    kind = {"cancel": " [annulé]", "change": " [rectifié]"}.get(notice.kind, "")
    lines = [f"- {flag}{notice.record or notice.name}{kind} ({when}) {notice.buyer or 'acheteur non lu'} : "
             f"{(notice.object or '')[:90]}",
             f"    {value} ; L2112-2-1 : {OBLIGATION_FR[notice.obligation]} ; {provisions}"]
    for lot in notice.lots:
        if lot.provisions or not lot.levers:
            continue
        local = (f" ; {format_int(lot.structures)} structure(s) locale(s) crédible(s)"
                 + (f" ({', '.join(lot.strongest)})" if lot.strongest else "")) if lot.structures is not None else ""
        lines.append(f"    lot {lot.number} : {lot.levers[0]}{local}")
    return "\n".join(lines)
