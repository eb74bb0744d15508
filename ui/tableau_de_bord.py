import altair as alt
import pandas as pd
import streamlit as st

from procure.outputs.format_fr import format_euros, format_int, format_number, format_percent
from procure.service.app_views import UNUSABLE_BUYER_FR, csv_bytes, default_buyers, lever_titles, practice, xlsx_bytes
from ui.common import current_user, euros, workspace

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
table, levers, target = practice(ws, user, include_decp)
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
