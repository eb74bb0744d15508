import tempfile
from datetime import date
from pathlib import Path

import streamlit as st

from procure.outputs.format_fr import format_int
from procure.service.app_views import default_territory, department_name, guide_document, parse_territory
from ui.common import current_user, date_field, french_date, workspace

user = current_user()
ws = workspace()
st.title("Guide « Donneurs d'ordre publics, mode d'emploi »")
st.write("Un guide Word pour les acheteurs d'un territoire : obligations datées, leviers avec leur rédaction type, "
         "pas à pas, structures inclusives locales avec une carte, chiffres des consultations analysées, glossaire "
         "et modèle de note.")
if "guide-territory" not in st.session_state:
    st.session_state["guide-territory"] = default_territory(ws, user)
spec = st.text_input("Territoire", key="guide-territory")
# A caption rather than the widget's help icon, whose accessible name Streamlit writes in English.
st.caption(("Proposé d'après les consultations de votre organisation ; modifiable. "
            if st.session_state["guide-territory"] else "Indiquez le territoire de votre organisation. ")
           + "Code du département (38 pour l'Isère), EPCI (epci:200054781) ou codes INSEE séparés par des virgules "
             "(94028,94081).")
name = department_name(spec.strip()) if spec.strip().isalnum() and len(spec.strip()) <= 3 else None
if name:
    st.markdown(f"Département : **{name}**")
on_text = date_field("Date des règles et des seuils", date.today(), key="guide-date")
if st.button("Générer le guide", type="primary"):
    if not spec.strip():
        st.error("Indiquez d'abord un territoire.")
        st.stop()
    try:
        on = french_date(on_text) or date.today()
    except ValueError as problem:
        st.error(f"Date invalide : {problem}.")
        st.stop()
    try:
        territory = parse_territory(spec)
    except ValueError as problem:
        st.error(f"Territoire invalide : {problem}")
        st.stop()
    if not territory.communes:
        st.error("Ce territoire ne contient aucune commune : vérifiez le code.")
        st.stop()
    with st.spinner("Rédaction du guide…"), tempfile.TemporaryDirectory() as folder:
        data, path = guide_document(ws, user, territory, on, Path(folder) / "guide.docx")
        st.session_state["guide"] = (territory.name, path.read_bytes(), len(data.suppliers),
                                     (data.figures or {}).get("lots", 0))
if "guide" in st.session_state:
    name, content, suppliers, lots = st.session_state["guide"]
    st.success(f"{name} : {format_int(suppliers)} structure(s) inclusive(s), {format_int(lots)} lot(s) analysé(s) "
               "sur le territoire.")
    st.download_button("Télécharger le guide (.docx)", content, file_name="donneurs-d-ordre-mode-d-emploi.docx",
                       mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
