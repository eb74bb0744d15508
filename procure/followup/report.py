"""The yearly consolidation as Word and XLSX, in French formats.

The Word report is what a territory sends to the national consolidation: key figures (contracts with a clause,
hours done, full-time equivalents, work contracts, participants), the table per buyer or territory, hours by
route (with a bar chart) and by trade, participants by public and contracts by type, and the method (the
1 607 h parameter with its date and source). Participants are counts by category only, said in the report.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from procure.followup.consolidation import ALL_LABEL, GROUP_LABELS, ConsolidationRow
from procure.followup.model import ContractType, PublicCategory, Route
from procure.outputs.annex import typo_fr
from procure.outputs.format_fr import format_date, format_int, format_number, format_percent

__all__ = ["write_consolidation_docx", "write_consolidation_xlsx", "total_of", "PRIVACY_FR"]

PRIVACY_FR = ("Les participants sont des nombres par catégorie de public, déclarés par les facilitateurs : procure "
              "n'enregistre aucun nom, aucune donnée de santé ou judiciaire, aucune fiche individuelle. Le "
              "facilitateur conserve les justificatifs (contrats, attestations d'éligibilité).")
COUNTING_FR = ("Chaque participant est compté une fois, le mois de son arrivée sur le lot, dans son public principal ; "
               "les contrats de travail sont comptés le mois de leur signature.")


def total_of(rows: Sequence[ConsolidationRow], year: int, label: str = ALL_LABEL) -> ConsolidationRow:
    """The sum of the groups' rows (buyers are counted once per group)."""
    if not rows:
        return ConsolidationRow(group=label, year=year, contracts=0, contracts_reporting=0, hours_done=0.0,
                                hours_due=0.0, fte=0.0, fte_hours=1607.0, fte_since=None, fte_source="")
    first = rows[0]
    total = replace(first, group=label, contracts=0, contracts_reporting=0, hours_done=0.0, hours_due=0.0, fte=0.0,
                    participants={}, contracts_by_type={}, hours_by_route={}, hours_by_trade={}, buyers=0)
    for row in rows:
        total.contracts += row.contracts
        total.contracts_reporting += row.contracts_reporting
        total.hours_done += row.hours_done
        total.hours_due += row.hours_due
        total.buyers += row.buyers
        for target, source in ((total.participants, row.participants), (total.contracts_by_type, row.contracts_by_type),
                               (total.hours_by_route, row.hours_by_route), (total.hours_by_trade, row.hours_by_trade)):
            for key, value in source.items():
                target[key] = target.get(key, 0) + value
    total.fte = total.hours_done / total.fte_hours if total.fte_hours else 0.0
    return total


def _split(rows: Sequence[ConsolidationRow], year: int) -> tuple[ConsolidationRow, list[ConsolidationRow]]:
    """(the whole, the groups): the « Ensemble » row of `consolidate(..., "all")` when given (its buyers are
    distinct, which a sum of groups cannot know), else the sum of the groups."""
    overall = [row for row in rows if row.group_by == "all" or row.group == ALL_LABEL]
    groups = [row for row in rows if row not in overall]
    return (overall[0] if overall else total_of(groups, year)), groups


def _group_label(groups: Sequence[ConsolidationRow], given: str | None) -> str:
    if given:
        return given
    return GROUP_LABELS.get(groups[0].group_by, "Groupe") if groups else "Groupe"


def _share(part: float, whole: float) -> str:
    return format_percent(part / whole, decimals=1) if whole else "–"


def _font(size: int):
    """DejaVu Sans (accents) when the system has it; Pillow's own font otherwise."""
    from PIL import ImageFont

    for name in ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def _bar_chart_png(values: list[tuple[str, float]], width: int = 1800, bar: int = 56) -> bytes:
    """Horizontal bars with their label and French figure (Pillow, no plotting library)."""
    from PIL import Image, ImageDraw

    label_font, value_font = _font(30), _font(28)
    height = 40 + bar * len(values) + 20
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    left = 40 + int(max((draw.textlength(label, font=label_font) for label, _ in values), default=0))
    right = width - 220
    top = max((v for _, v in values), default=0) or 1
    for index, (label, value) in enumerate(values):
        y = 30 + index * bar
        draw.text((20, y + 8), label, fill="#222222", font=label_font)
        length = int((right - left) * value / top)
        draw.rectangle([left, y + 6, left + max(length, 2), y + bar - 10], fill="#2E75B6")
        draw.text((left + length + 14, y + 10), f"{_h(value)} h", fill="#222222", font=value_font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _h(hours: float) -> str:
    """Whole hours, half up (680,5 → « 681 »: Babel alone rounds half to even)."""
    return format_int(Decimal(str(hours)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _table(document, header: list[str], rows: list[list[str]], first_cm: float | None = None):
    """A table whose first column holds the labels (wide) and the others figures (right-aligned)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    table = document.add_table(rows=1, cols=len(header))
    table.style = "Light Grid Accent 1"
    table.autofit = False
    usable = 16.0
    first = first_cm or (9.0 if len(header) <= 3 else 5.0)
    others = (usable - first) / max(len(header) - 1, 1)
    widths = [Cm(first)] + [Cm(others)] * (len(header) - 1)
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = typo_fr(text)
    for values in rows:
        cells = table.add_row().cells
        for index, (cell, text) in enumerate(zip(cells, values)):
            cell.text = typo_fr(text) if index == 0 else text
            if index:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for column, width in zip(table.columns, widths):
        column.width = width
        for cell in column.cells:
            cell.width = width
    return table


def write_consolidation_docx(rows: Sequence[ConsolidationRow], year: int, territory_label: str, path: str | Path,
                             group_label: str | None = None, generated: date | None = None) -> Path:
    """The yearly report. `rows`: what `consolidate` gives — the « Ensemble » row, the rows of one grouping
    (buyer, department, EPCI), or both (the « Ensemble » row is then the whole, never added to the groups)."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    generated = generated or date.today()
    total, groups = _split(rows, year)
    group_label = _group_label(groups, group_label)
    document = docx.Document()
    document.styles["Normal"].font.name = "Calibri"
    document.styles["Normal"].font.size = Pt(11)

    def p(text: str, style: str | None = None):
        return document.add_paragraph(typo_fr(text), style=style)

    title = document.add_paragraph(style="Title")
    title.add_run(typo_fr(f"Bilan {year} des clauses sociales d'insertion"))
    subtitle = document.add_paragraph(typo_fr(territory_label), style="Subtitle")
    subtitle.alignment = WD_ALIGN_PARAGRAPH.LEFT
    p(f"Année civile du 01/01/{year} au 31/12/{year}, d'après les relevés mensuels des facilitateurs enregistrés "
      f"dans procure au {format_date(generated)}. Indicateurs de la consolidation nationale des clauses sociales : "
      "marchés avec une clause, heures d'insertion réalisées, équivalents temps plein, contrats de travail, participants.")
    footer = document.sections[0].footer.paragraphs[0]
    footer.text = typo_fr(f"Bilan {year} des clauses sociales d'insertion — {territory_label}")

    document.add_heading(typo_fr("1. Chiffres clés"), level=1)
    key_rows = [
        ["Marchés (lots) avec une clause d'insertion en cours dans l'année", format_int(total.contracts)],
        ["dont lots avec des heures déclarées", format_int(total.contracts_reporting)],
        ["Acheteurs", format_int(total.buyers)],
        ["Heures d'insertion réalisées", f"{_h(total.hours_done)} h"],
        ["Heures dues sur l'année (prorata des engagements)", f"{_h(total.hours_due)} h"],
        ["Taux de réalisation", _share(total.hours_done, total.hours_due)],
        [f"Équivalents temps plein (heures ÷ {format_int(total.fte_hours)} h)", format_number(total.fte, decimals=1)],
        ["Contrats de travail", format_int(total.work_contracts_total)],
        ["Participants", format_int(total.participants_total)],
    ]
    _table(document, ["Indicateur", "Valeur"], key_rows)

    if groups:
        document.add_heading(typo_fr(f"2. Par {group_label.lower()}"), level=1)
        _table(document, [group_label, "Lots", "Heures réalisées", "Heures dues", "ETP", "Contrats", "Partici\u00adpants"],
               [[row.group, format_int(row.contracts), _h(row.hours_done), _h(row.hours_due),
                 format_number(row.fte, decimals=1), format_int(row.work_contracts_total),
                 format_int(row.participants_total)] for row in groups]
               + [["Ensemble", format_int(total.contracts), _h(total.hours_done), _h(total.hours_due),
                   format_number(total.fte, decimals=1), format_int(total.work_contracts_total),
                   format_int(total.participants_total)]])
        number = 3
    else:
        number = 2

    document.add_heading(typo_fr(f"{number}. Heures par modalité"), level=1)
    routes = [(route.label, total.hours_by_route.get(route, 0.0)) for route in Route]
    _table(document, ["Modalité", "Heures", "Part des heures"],
           [[label, _h(hours), _share(hours, total.hours_done)] for label, hours in routes])
    if total.hours_done:
        document.add_paragraph()
        document.add_picture(io.BytesIO(_bar_chart_png(routes)), width=Cm(16))

    document.add_heading(typo_fr(f"{number + 1}. Heures par métier"), level=1)
    trades = sorted(total.hours_by_trade.items(), key=lambda item: -item[1])
    if trades:
        _table(document, ["Métier", "Heures", "Part des heures"],
               [[trade, _h(hours), _share(hours, total.hours_done)] for trade, hours in trades])
    else:
        p("Aucune heure déclarée sur l'année.")

    document.add_heading(typo_fr(f"{number + 2}. Participants et contrats de travail"), level=1)
    _table(document, ["Public", "Participants", "Part"],
           [[category.label, format_int(total.participants.get(category, 0)),
             _share(total.participants.get(category, 0), total.participants_total)] for category in PublicCategory]
           + [["Total", format_int(total.participants_total), ""]])
    document.add_paragraph()
    _table(document, ["Type de contrat", "Contrats", "Part"],
           [[kind.label, format_int(total.contracts_by_type.get(kind, 0)),
             _share(total.contracts_by_type.get(kind, 0), total.work_contracts_total)] for kind in ContractType]
           + [["Total", format_int(total.work_contracts_total), ""]])

    document.add_heading(typo_fr(f"{number + 3}. Méthode et données personnelles"), level=1)
    since = f"valeur en vigueur depuis le {format_date(total.fte_since)}" if total.fte_since else "valeur par défaut"
    p(f"Équivalent temps plein : heures réalisées divisées par {format_int(total.fte_hours)} heures, durée annuelle "
      f"d'un temps plein ({since} ; source : {total.fte_source or 'clauses/parameters.yaml'}).")
    p("Heures dues : les engagements annuels au prorata des mois du marché compris dans l'année ; un engagement "
      "global réparti également sur la durée du marché, reconductions décidées comprises. Les relevés d'un mois "
      "hors de la durée du marché ne sont pas comptés.")
    p(COUNTING_FR)
    p(PRIVACY_FR)
    path = Path(path)
    document.save(str(path))
    return path


def write_consolidation_xlsx(rows: Sequence[ConsolidationRow], year: int, path: str | Path,
                             group_label: str | None = None) -> Path:
    """One row per group then the whole (« Ensemble »), every indicator as a number, French headers and number
    formats. `rows` as for `write_consolidation_docx`."""
    import openpyxl
    from openpyxl.styles import Alignment, Font

    from procure.market.practice import safe_cell

    total, groups = _split(rows, year)
    group_label = _group_label(groups, group_label)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = f"Bilan {year}"
    header = ([group_label, "Année", "Lots avec clause", "Lots avec heures déclarées", "Acheteurs",
               "Heures réalisées", "Heures dues", "ETP", "Contrats de travail", "Participants"]
              + [f"Heures : {route.label}" for route in Route]
              + [f"Part des heures : {route.label}" for route in Route]
              + [f"Participants : {category.label}" for category in PublicCategory]
              + [f"Contrats : {kind.label}" for kind in ContractType])
    sheet.append(header)
    for cell in sheet[1]:  # long French headers wrap in their column instead of being cut (seen printed by Calc)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[1].height = 60
    for row in groups + [total]:
        sheet.append([safe_cell(ALL_LABEL if row is total else row.group), year, row.contracts, row.contracts_reporting, row.buyers,
                      round(row.hours_done, 2), round(row.hours_due, 2), round(row.fte, 2),
                      row.work_contracts_total, row.participants_total]
                     + [round(row.hours_by_route.get(route, 0.0), 2) for route in Route]
                     + [row.route_share(route) for route in Route]
                     + [row.participants.get(category, 0) for category in PublicCategory]
                     + [row.contracts_by_type.get(kind, 0) for kind in ContractType])
    formats = {6: "#,##0", 7: "#,##0", 8: "#,##0.0"}
    routes = len(Route)
    for column in range(11, 11 + routes):
        formats[column] = "#,##0"
    for column in range(11 + routes, 11 + 2 * routes):
        formats[column] = "0.0%"
    for column_cells in sheet.iter_cols(min_row=2):
        number_format = formats.get(column_cells[0].column)
        if number_format:
            for cell in column_cells:
                cell.number_format = number_format
    for index in range(1, len(header) + 1):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = 14 if index > 1 else 36
    sheet.freeze_panes = "B2"

    trades = workbook.create_sheet("Heures par métier")
    trades.append(["Métier", "Heures", "Part des heures"])
    for cell in trades[1]:
        cell.font = Font(bold=True)
    for trade, hours in sorted(total.hours_by_trade.items(), key=lambda item: -item[1]):
        trades.append([safe_cell(trade), round(hours, 2), hours / total.hours_done if total.hours_done else None])
        trades.cell(trades.max_row, 2).number_format = "#,##0"
        trades.cell(trades.max_row, 3).number_format = "0.0%"
    trades.column_dimensions["A"].width = 36

    method = workbook.create_sheet("Méthode")
    since = format_date(total.fte_since) if total.fte_since else "non renseigné"
    for line in (f"ETP = heures réalisées ÷ {format_int(total.fte_hours)} h (paramètre fte_annual_hours en vigueur "
                 f"depuis le {since} ; source : {total.fte_source})",
                 COUNTING_FR, PRIVACY_FR):
        method.append([line])
        method.cell(method.max_row, 1).alignment = Alignment(wrap_text=True, vertical="top")
    method.column_dimensions["A"].width = 140
    path = Path(path)
    workbook.save(path)
    return path
