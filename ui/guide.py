import tempfile
from datetime import date
from pathlib import Path

import streamlit as st

from procure.outputs.guide import guide_data, write_guide
from procure.market.practice import Territory
from ui.common import current_user, workspace

user = current_user()
ws = workspace()
st.title("Guide « Donneurs d'ordre publics, mode d'emploi »")
st.write("Un guide Word pour les acheteurs d'un territoire : obligations datées, leviers avec leur rédaction type, "
         "pas à pas, structures inclusives locales, chiffres des consultations analysées, glossaire et modèle de note.")
spec = st.text_input("Territoire", value="94",
                     help="Département (94), EPCI (epci:200054781) ou codes INSEE séparés par des virgules (94028,94081)")
on = st.date_input("Date des règles et des seuils", value=date.today(), format="DD/MM/YYYY")
if st.button("Générer le guide", type="primary"):
    try:
        territory = Territory.parse(spec)
    except ValueError as problem:
        st.error(f"Territoire invalide : {problem}")
        st.stop()
    if not territory.communes:
        st.error("Ce territoire ne contient aucune commune.")
        st.stop()
    visible = [t["id"] for t in ws.visible_tenders(user)]
    with st.spinner("Rédaction du guide…"), tempfile.TemporaryDirectory() as folder:
        data = guide_data(ws.sessions, territory, on, visible)
        st.session_state["guide"] = (territory.name, write_guide(data, Path(folder) / "guide.docx").read_bytes())
    st.success(f"{territory.name} : {len(data.suppliers)} structure(s) inclusive(s), "
               f"{(data.figures or {}).get('lots', 0)} lot(s) analysé(s) sur le territoire.")
if "guide" in st.session_state:
    name, content = st.session_state["guide"]
    st.download_button("Télécharger le guide (.docx)", content, file_name="donneurs-d-ordre-mode-d-emploi.docx",
                       mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
