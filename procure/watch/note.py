"""A Word note to one buyer from the watch: « vos avis du trimestre », what carries a social consideration,
what should under L2112-2-1, and for lots without one the levers and local structures that could answer."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from docx import Document
from docx.shared import Pt

from procure.text.format_fr import format_date, format_euros, format_int, format_percent
from procure.watch.assess import OBLIGATION_FR, WatchedNotice
from procure.watch.report import benchmarks

CAVEAT_FR = ("Lecture automatique des avis publiés par procure : chaque point est à vérifier sur l'avis et les pièces "
             "de la consultation avant d'en parler avec l'acheteur.")


def write_buyer_note(buyer: str, notices: list[WatchedNotice], out: str | Path, since: date | None = None,
                     until: date | None = None, today: date | None = None) -> Path:
    today = today or date.today()
    document = Document()
    document.styles["Normal"].font.name = "Calibri"
    document.styles["Normal"].font.size = Pt(11)
    document.add_heading(f"Vos avis publiés — {buyer}", level=0)
    document.add_paragraph(_period_fr(notices, since, until) + f" Note du groupe de travail achats responsables, "
                           f"{format_date(today, long=True)}.")
    document.add_paragraph(_summary_fr(notices, today))
    flagged = [n for n in notices if n.flagged]
    social = [n for n in notices if n.social and n.kind != "cancel"]
    others = [n for n in notices if n not in flagged and n not in social]
    _section(document, "À examiner ensemble en priorité", flagged, _flagged_lines,
             "Aucun avis de la période n'est à signaler : merci !")
    _section(document, "Avis comportant une considération sociale", social, _social_lines,
             "Aucun avis de la période ne comporte de considération sociale lue.")
    _section(document, "Autres avis", others, _other_lines, None)
    document.add_paragraph(CAVEAT_FR).runs[0].italic = True
    out = Path(out)
    document.save(out)
    return out


def _period_fr(notices: list[WatchedNotice], since: date | None, until: date | None) -> str:
    dates = sorted(n.published for n in notices if n.published)
    start, end = since or (dates[0] if dates else None), until or (dates[-1] if dates else None)
    if start and end:
        return f"Avis publiés du {format_date(start)} au {format_date(end)}."
    return "Avis lus par la veille."


def _summary_fr(notices: list[WatchedNotice], today: date) -> str:
    live = [n for n in notices if n.kind != "cancel"]
    marks = benchmarks(today)
    if not live:
        return "Aucun avis en cours sur la période."
    share = sum(n.social for n in live) / len(live)
    return (f"{format_int(len(live))} avis, dont {format_int(sum(n.social for n in live))} avec une considération "
            f"sociale ({format_percent(share)}), pour une cible nationale de {format_percent(marks['target'].value)} "
            f"et une part mesurée de {format_percent(marks['measured'].value, decimals=1)} au niveau national "
            f"(OECP, à vérifier). {format_int(sum(n.flagged for n in live))} avis à examiner en priorité.")


def _section(document, title: str, notices: list[WatchedNotice], lines, empty: str | None) -> None:
    if not notices and empty is None:
        return
    document.add_heading(title, level=1)
    if not notices:
        document.add_paragraph(empty)
    for notice in notices:
        document.add_heading(_title(notice), level=2)
        for line in lines(notice):
            document.add_paragraph(line, style="List Bullet")


def _title(notice: WatchedNotice) -> str:
    when = format_date(notice.published) if notice.published else "date inconnue"
    return f"{(notice.object or 'Objet non lu')[:120]} ({notice.record or notice.name}, {when})"


def _value_fr(notice: WatchedNotice) -> str:
    if notice.value_ht is None:
        return "Montant : non lu dans l'avis."
    kind = "montant maximum" if notice.value_is_maximum else "montant estimé"
    threshold = f", seuil européen {format_euros(notice.threshold_ht, cents=False)} HT" if notice.threshold_ht else ""
    return f"{kind.capitalize()} : {format_euros(notice.value_ht, cents=False)} HT{threshold}."


def _flagged_lines(notice: WatchedNotice) -> list[str]:
    lines = [_value_fr(notice), f"Condition d'exécution sociale (L2112-2-1) : {OBLIGATION_FR[notice.obligation]}. "
                                f"{notice.obligation_fr}", "Aucune considération sociale lue dans l'avis."]
    for lot in notice.lots:
        if lot.provisions:
            continue
        levers = " ; ".join(lot.levers[:3]) or "à voir avec le facilitateur"
        local = ""
        if lot.structures:
            local = (f" {format_int(lot.structures)} structure(s) inclusive(s) locale(s) crédible(s)"
                     + (f", dont {', '.join(lot.strongest)}" if lot.strongest else "") + ".")
        elif lot.structures == 0:
            local = " Aucune structure inclusive locale crédible dans l'annuaire."
        lines.append(f"Lot {lot.number}{' — ' + lot.title if lot.title else ''} : leviers possibles : {levers}.{local}")
    return lines


def _social_lines(notice: WatchedNotice) -> list[str]:
    lines = [_value_fr(notice)]
    for provision in notice.provisions:
        lot = f"lot {provision['lot']}" if provision.get("lot") else "toute la consultation"
        lines.append(f"{provision['label']} ({lot}) : « {provision['passage'][:200]} » ({provision['where']}).")
    return lines


def _other_lines(notice: WatchedNotice) -> list[str]:
    state = "Avis d'annulation." if notice.kind == "cancel" else (
        f"Condition d'exécution sociale (L2112-2-1) : {OBLIGATION_FR[notice.obligation]}.")
    return [_value_fr(notice), state]
