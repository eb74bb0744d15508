import pandas as pd
import streamlit as st

from procure import law
from ui.common import current_user, euros, workspace

user = current_user()
stats = workspace().dashboard(user)
st.title("Tableau de bord")
first, second, third, fourth = st.columns(4)
first.metric("Consultations", stats["tenders"])
second.metric("Lots", stats["lots"])
third.metric("Heures d'insertion retenues", stats["accepted_insertion_hours"])
fourth.metric("Structures retenues", stats["accepted_matches"])
st.caption(f"Montant estimé des lots : {euros(stats['amount_ht'])}")
levers = law.levers()
table = pd.DataFrame([{"Levier": levers[lever].title if lever in levers else lever, "Proposé": v["suggested"],
                       "Déjà présent": v["present"], "Accepté": v["accepted"], "Rejeté": v["rejected"]}
                      for lever, v in sorted(stats["by_lever"].items())])
if table.empty:
    st.info("Aucune consultation analysée pour l'instant.")
else:
    st.bar_chart(table.set_index("Levier")[["Proposé", "Accepté", "Rejeté"]])
    st.dataframe(table, hide_index=True, use_container_width=True)
    st.download_button("Exporter (CSV)", table.to_csv(index=False).encode("utf-8"), "tableau-de-bord.csv", "text/csv")
