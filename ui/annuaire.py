import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from procure.directory.suppliers import FORMATS, KIND_LABELS_FR, import_file
from ui.common import current_user, suppliers

user = current_user()
repository = suppliers()
st.title("Annuaire des structures inclusives")
directory = repository.all()
if directory and not repository.has_real_records():
    st.warning("Annuaire de démonstration : ces structures sont FICTIVES. Importez la liste officielle de votre territoire.")
kinds = st.multiselect("Types", sorted(KIND_LABELS_FR), format_func=lambda k: f"{k} — {KIND_LABELS_FR[k]}")
department = st.text_input("Département (code)", max_chars=3)
rows = [s for s in directory if (not kinds or set(kinds) & set(s.kinds)) and (not department or s.department == department)]
st.caption(f"{len(rows)} structure(s) sur {len(directory)}")
st.dataframe(pd.DataFrame([{"SIRET": s.siret, "Nom": s.name, "Types": ", ".join(s.kinds), "NAF": s.naf,
                            "Activité": s.naf_label, "Commune": s.commune_name, "Département": s.department,
                            "Effectif": s.headcount, "Source": s.source, "Fictive": "oui" if s.demo else ""} for s in rows]),
             hide_index=True, use_container_width=True)

if user.role != "admin":
    st.caption("Les imports sont réservés aux administrateurs.")
    st.stop()
st.header("Importer des structures")
formats = {"asp-siae": "Liste officielle des SIAE (ASP)", "marche-inclusion": "Export du marché de l'inclusion",
           "finess": "Extrait FINESS (ESAT, catégorie 246)"}
with st.form("import"):
    chosen = st.selectbox("Format", list(formats), format_func=formats.get)
    upload = st.file_uploader("Fichier CSV ou XLSX", type=["csv", "txt", "xlsx"])
    submitted = st.form_submit_button("Importer", type="primary")
if submitted and upload:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(upload.name).name
        path.write_bytes(upload.getvalue())
        try:
            report = import_file(repository, path, FORMATS[chosen], upload.name)
        except (ValueError, KeyError, OSError) as problem:
            st.error(f"Import impossible : {problem}")
            st.stop()
    st.success(report.summary_fr())
    issues = [r for r in report.rows if r.status in ("rejected", "warning")]
    if issues:
        st.dataframe(pd.DataFrame([{"Ligne": r.line, "SIRET": r.siret, "Statut": r.status, "Motif": r.reason} for r in issues]),
                     hide_index=True)
    if repository.has_real_records() and st.button("Retirer les structures fictives de démonstration"):
        st.info(f"{repository.delete_demo()} structure(s) fictive(s) retirée(s).")
