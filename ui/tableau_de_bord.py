import io

import pandas as pd
import streamlit as st

from procure import law
from procure.market.practice import decp_facts, lever_counts, lot_facts, practice_table
from ui.common import current_user, euros, workspace

user = current_user()
ws = workspace()
st.title("Tableau de bord")
stats = ws.dashboard(user)
first, second, third, fourth = st.columns(4)
first.metric("Consultations", stats["tenders"])
second.metric("Lots", stats["lots"])
third.metric("Heures d'insertion retenues", stats["accepted_insertion_hours"])
fourth.metric("Structures retenues", stats["accepted_matches"])
st.caption(f"Montant estimé des lots : {euros(stats['amount_ht'])}")

st.header("Pratiques d'achat par acheteur et par période")
visible = [t["id"] for t in ws.visible_tenders(user)]
lots = lot_facts(ws.sessions, visible)
include_decp = st.toggle("Inclure les marchés publics importés (DECP)", value=True)
table = practice_table(lots, decp_facts(ws.sessions) if include_decp else None)
if table.empty:
    st.info("Aucune donnée : analysez des consultations ou importez des marchés DECP (procure decp import).")
    st.stop()
target = law.parameter("national_social_target", pd.Timestamp.today().date())
organisations = sorted(table["organisation"].dropna().unique())
chosen = st.multiselect("Acheteurs", organisations, default=organisations[:5])
shown = table[table["organisation"].isin(chosen)] if chosen else table
labels = {"source": "Source", "organisation": "Acheteur", "year": "Année", "lots_or_contracts": "Lots ou marchés",
          "with_social": "Avec disposition sociale", "share_social": "Part", "target": "Cible nationale",
          "amount_ht": "Montant HT", "amount_social_ht": "Montant avec disposition sociale HT", "reserved": "Réservés",
          "insertion_hours": "Heures d'insertion prévues"}
st.dataframe(shown.rename(columns=labels), hide_index=True, use_container_width=True)
evolution = shown.pivot_table(index="year", columns="organisation", values="share_social", aggfunc="mean")
evolution[f"Cible nationale ({target.value:.0%})"] = target.value
st.subheader("Part des lots et marchés avec une disposition sociale")
st.line_chart(evolution)
counts = lever_counts(lots)
if not counts.empty:
    names = {lever_id: lever.title for lever_id, lever in law.levers().items()}
    st.subheader("Leviers utilisés (consultations analysées)")
    st.bar_chart(counts.assign(lever=counts["lever"].map(names)).pivot_table(index="lever", columns="organisation",
                                                                              values="lots", aggfunc="sum"))
left, right = st.columns(2)
left.download_button("Exporter (CSV)", shown.rename(columns=labels).to_csv(index=False).encode("utf-8"),
                     "pratiques-achat.csv", "text/csv")
buffer = io.BytesIO()
shown.rename(columns=labels).to_excel(buffer, index=False)
right.download_button("Exporter (XLSX)", buffer.getvalue(), "pratiques-achat.xlsx",
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
