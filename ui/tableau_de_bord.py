import altair as alt
import pandas as pd
import streamlit as st

from procure.outputs.format_fr import format_euros, format_int, format_number, format_percent
from procure.service.app_views import UNUSABLE_BUYER_FR, csv_bytes, default_buyers, lever_titles, practice, xlsx_bytes
from procure.service.dashboard import DecpFigures, ShareRow
from ui.common import current_user, euros, plain, workspace

LABELS = {"source": "Source", "organisation": "Acheteur", "year": "Année", "lots_or_contracts": "Lots ou marchés",
          "with_social": "Avec disposition sociale", "share_social": "Part avec disposition sociale",
          "target": "Cible nationale", "amount_ht": "Montant HT", "amount_social_ht": "Montant avec disposition sociale HT",
          "reserved": "Réservés", "insertion_hours": "Heures d'insertion prévues"}
SOURCES_FR = {"procure": "consultations analysées", "decp": "marchés publiés (DECP)"}

user = current_user()
ws = workspace()
st.title("Tableau de bord")
stats = ws.dashboard(user)
first, second, third, fourth = st.columns(4)
first.metric("Consultations", format_int(stats["tenders"]))
second.metric("Lots", format_int(stats["lots"]))
# The same figure as the export's « Heures d'insertion prévues » column (procure.service.dashboard).
third.metric("Heures d'insertion prévues", format_int(stats["planned_insertion_hours"]),
             help="Pour une clause déjà écrite dans le dossier : les heures qu'il indique ; pour une clause proposée "
                  "par procure et acceptée : le volume calculé. Même total que la colonne de l'export.")
fourth.metric("Structures retenues", format_int(stats["accepted_matches"]))
notes = [f"Montant cumulé des lots, tel que lu dans les pièces (estimation ou maximum) : {euros(stats['amount_ht'])}."]
if stats["present_clauses_without_hours"]:
    notes.append(f"{format_int(stats['present_clauses_without_hours'])} clause(s) d'insertion déjà présente(s) "
                 "n'indiquent pas de volume d'heures : elles comptent pour 0 heure.")
notes.append("Les consultations archivées ne sont pas comptées.")
st.caption(" ".join(notes))

st.header("Pratiques d'achat par acheteur et par année")
include_decp = st.toggle("Inclure les marchés publics importés (DECP)", value=True)
# The consultations come from the database (a few thousand lots at most); the published contracts from the Parquet
# analysis store through DuckDB, computed once per import (procure.service.dashboard.DecpFigures).
table, levers, target = practice(ws, user, False)
figures = DecpFigures(ws.sessions)
decp = figures.dashboard() if include_decp else None


def buyer_table(rows: list[ShareRow]) -> pd.DataFrame:
    """DECP buyer-years in the columns of the practice table."""
    frame = pd.DataFrame([{"source": "decp", "organisation": r.label, "year": r.year, "lots_or_contracts": r.contracts,
                           "with_social": r.with_social, "share_social": round(r.share, 3), "target": target,
                           "amount_ht": r.amount_ht, "amount_social_ht": r.amount_social_ht, "reserved": r.reserved,
                           "insertion_hours": 0} for r in rows], columns=list(table.columns) or list(LABELS))
    return frame


if decp is not None and decp.contracts:
    search = st.text_input("Rechercher un acheteur des marchés publiés", placeholder="nom ou partie du nom",
                           help=f"{format_int(decp.contracts)} marchés publiés importés ; les 200 acheteurs qui en "
                                "ont le plus sont proposés, ou ceux dont le nom contient les mots saisis.")
    found = figures.buyers(search, limit=200)
    own = [name for name in figures.buyers(user.organisation or "", limit=20) if name == user.organisation]
    analysed = sorted(set(table["organisation"].dropna())) if not table.empty else []
    # Opens on the user's own organisation when it publishes, else on the five buyers with the most contracts.
    defaults = own or ([] if analysed else [name for name in found[:5] if name != UNUSABLE_BUYER_FR])
    decp_chosen = st.multiselect("Acheteurs des marchés publiés (DECP)", list(dict.fromkeys(own + found)),
                                 default=defaults, placeholder="Aucun acheteur des marchés publiés", select_all=False)
    if decp_chosen:
        extra = buyer_table(figures.buyer_rows(decp_chosen))
        table = pd.concat([table, extra], ignore_index=True) if not table.empty else extra
if table.empty:
    st.info("Aucune donnée : analysez des consultations ou importez des marchés publiés (DECP) avec "
            "« procure decp import ».")
    st.stop()
# Opens on the user's own organisation; names published as codes or budget labels are grouped at the end.
organisations = sorted(o for o in table["organisation"].dropna().unique() if o != UNUSABLE_BUYER_FR)
if UNUSABLE_BUYER_FR in set(table["organisation"]):
    organisations.append(UNUSABLE_BUYER_FR)
chosen = st.multiselect("Acheteurs", organisations, default=default_buyers(table, user),
                        placeholder="Tous les acheteurs", select_all=False)  # no English "Select all"
if UNUSABLE_BUYER_FR in organisations:
    st.caption(f"« {UNUSABLE_BUYER_FR} » regroupe les marchés publiés sous un nom qui ne désigne pas d'acheteur "
               "(un numéro, « BUDGET PRINCIPAL »…).")
shown = table[table["organisation"].isin(chosen)] if chosen else table
shown = shown.assign(source=shown["source"].map(lambda s: SOURCES_FR.get(s, s)))

# ---------------------------------------------------------------- share of contracts with a social provision
st.subheader("Part des lots et marchés avec une disposition sociale")
st.caption(f"La ligne pointillée rouge est la cible nationale : {format_percent(target)} des marchés avec une "
           "considération sociale.")
share = shown.assign(Année=pd.to_datetime(shown["year"].astype(str), format="%Y"),
                     Part=shown["share_social"], Acheteur=shown["organisation"] + " — " + shown["source"],
                     Libellé=shown["share_social"].map(format_percent),
                     Lots=shown["lots_or_contracts"].map(format_int))
lines = alt.Chart(share).mark_line(point=alt.OverlayMarkDef(size=90, filled=True), strokeWidth=2.5).encode(
    x=alt.X("Année:T", timeUnit="year", title="Année", axis=alt.Axis(format="%Y", tickCount="year")),
    y=alt.Y("Part:Q", title="Part des lots ou marchés", scale=alt.Scale(domain=[0, 1]),
            axis=alt.Axis(labelExpr="format(datum.value * 100, 'd') + ' %'", titleLimit=0)),
    color=alt.Color("Acheteur:N", legend=alt.Legend(orient="bottom", columns=1, labelLimit=600, title=None)),
    tooltip=[alt.Tooltip("Acheteur:N"), alt.Tooltip("year:O", title="Année"),
             alt.Tooltip("Libellé:N", title="Part"), alt.Tooltip("Lots:N", title="Lots ou marchés")])
rule = alt.Chart(pd.DataFrame({"Cible": [target], "Libellé": [f"Cible nationale {format_percent(target)}"]})).encode(
    y="Cible:Q")
reference = rule.mark_rule(color="#c00", strokeDash=[6, 4], strokeWidth=2) + rule.mark_text(
    align="left", dx=4, dy=-8, color="#c00", fontWeight="bold").encode(text="Libellé:N", x=alt.value(0))
st.altair_chart((lines + reference).properties(height=380), width="stretch")

# ---------------------------------------------------------------- levers used
if not levers.empty:
    st.subheader("Leviers utilisés dans les consultations analysées")
    titles = lever_titles()
    bars = levers.assign(Levier=levers["lever"].map(lambda lever: titles.get(lever, lever)),
                         Acheteur=levers["organisation"], Lots=levers["lots"],
                         Montant=levers["amount_ht"].map(lambda v: format_euros(v, cents=False, tax="HT")))
    chart = alt.Chart(bars).mark_bar().encode(
        y=alt.Y("Levier:N", title=None, sort="-x", axis=alt.Axis(labelLimit=0)),
        x=alt.X("Lots:Q", title="Nombre de lots", axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("Acheteur:N", legend=alt.Legend(orient="bottom", title=None, labelLimit=600)),
        tooltip=[alt.Tooltip("Levier:N"), alt.Tooltip("Acheteur:N"), alt.Tooltip("Lots:Q", title="Lots"),
                 alt.Tooltip("Montant:N", title="Montant des lots")])
    st.altair_chart(chart.properties(height=max(160, 42 * bars["Levier"].nunique())), width="stretch")

# ---------------------------------------------------------------- the table, shown and exported in French
st.subheader("Détail")
readable = shown.assign(share_social=shown["share_social"].map(format_percent),
                        target=shown["target"].map(format_percent),
                        amount_ht=shown["amount_ht"].map(lambda v: format_euros(v, cents=False)),
                        amount_social_ht=shown["amount_social_ht"].map(lambda v: format_euros(v, cents=False)),
                        insertion_hours=shown["insertion_hours"].map(format_int),
                        year=shown["year"].astype(int).astype(str)).rename(columns=LABELS)
st.dataframe(readable, hide_index=True, width="stretch")
exported = shown.rename(columns=LABELS)
left, right = st.columns(2)
# French Excel opens a CSV in columns only with ';', a decimal comma and a BOM; texts are made inert for spreadsheets.
left.download_button("Exporter la sélection pour Excel (CSV)", csv_bytes(exported), "pratiques-achat.csv", "text/csv")
right.download_button("Exporter la sélection (XLSX)", xlsx_bytes(exported), "pratiques-achat.xlsx",
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
st.caption(f"Parts et cible en valeur décimale dans les exports (0,3 = 30 %) ; {format_number(len(exported))} ligne(s).")

# ---------------------------------------------------------------- published contracts at national scale
if decp is not None and decp.contracts:
    bench = decp.benchmark
    st.header("Marchés publiés (DECP) : part avec une considération sociale")
    first, second, third, fourth = st.columns(4)
    first.metric("Marchés publiés importés", format_int(decp.contracts))
    second.metric("Avec une considération sociale", format_percent(decp.with_social / decp.dated if decp.dated else 0))
    third.metric("Cible nationale", format_percent(bench.target), help=plain(bench.target_reference))
    fourth.metric(f"Part observée (OECP {bench.observed_year})", format_percent(bench.observed, decimals=1),
                  help=plain(bench.observed_reference))
    st.caption(f"Ligne rouge : cible nationale de {format_percent(bench.target)} ; ligne grise : "
               f"{format_percent(bench.observed, decimals=1)} des contrats recensés en {bench.observed_year} par l'OECP. Une "
               "considération sociale est celle que le marché déclare (clause, critère, marché réservé) ou que son "
               "objet mentionne.")
    references = pd.DataFrame({"Part": [bench.target, bench.observed],
                               "Repère": [f"Cible {format_percent(bench.target)}",
                                          f"OECP {bench.observed_year} {format_percent(bench.observed, decimals=1)}"]})

    def rules(axis: str):
        encoding = {axis: alt.Y("Part:Q") if axis == "y" else alt.X("Part:Q")}
        base = alt.Chart(references).encode(
            color=alt.Color("Repère:N", scale=alt.Scale(range=["#c00", "#777"]), legend=alt.Legend(orient="bottom", title=None)),
            **encoding)
        return base.mark_rule(strokeDash=[6, 4], strokeWidth=2)

    def shares(rows, label: str) -> pd.DataFrame:
        return pd.DataFrame([{label: r.label, "Part": r.share, "Marchés": r.contracts, "Libellé": format_percent(r.share),
                              "Nombre": format_int(r.contracts)} for r in rows])

    years = shares([r for r in decp.by_year if r.contracts], "Année")
    st.subheader("Par année de notification")
    year_bars = alt.Chart(years).mark_bar(color="#4c78a8").encode(
        x=alt.X("Année:O", title="Année", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("Part:Q", title="Part des marchés", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(labelExpr="format(datum.value * 100, 'd') + ' %'", titleLimit=0)),
        tooltip=[alt.Tooltip("Année:O"), alt.Tooltip("Libellé:N", title="Part"), alt.Tooltip("Nombre:N", title="Marchés")])
    st.altair_chart((year_bars + rules("y")).properties(height=300), width="stretch")

    st.subheader("Par division CPV (les 15 qui comptent le plus de marchés)")
    divisions = shares(decp.by_division[:15], "Division")
    division_bars = alt.Chart(divisions).mark_bar(color="#4c78a8").encode(
        y=alt.Y("Division:N", title=None, sort=None, axis=alt.Axis(labelLimit=420)),
        x=alt.X("Part:Q", title="Part des marchés", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(labelExpr="format(datum.value * 100, 'd') + ' %'")),
        tooltip=[alt.Tooltip("Division:N"), alt.Tooltip("Libellé:N", title="Part"), alt.Tooltip("Nombre:N", title="Marchés")])
    st.altair_chart((division_bars + rules("x")).properties(height=32 * len(divisions) + 60), width="stretch")

    st.subheader("Par nature du marché")
    natures = shares(decp.by_nature[:10], "Nature")
    nature_bars = alt.Chart(natures).mark_bar(color="#4c78a8").encode(
        y=alt.Y("Nature:N", title=None, sort=None, axis=alt.Axis(labelLimit=420)),
        x=alt.X("Part:Q", title="Part des marchés", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(labelExpr="format(datum.value * 100, 'd') + ' %'")),
        tooltip=[alt.Tooltip("Nature:N"), alt.Tooltip("Libellé:N", title="Part"), alt.Tooltip("Nombre:N", title="Marchés")])
    st.altair_chart((nature_bars + rules("x")).properties(height=32 * len(natures) + 60), width="stretch")
