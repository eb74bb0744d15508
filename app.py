"""Streamlit entry point: a thin layer over the procure library (all texts in French)."""
from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from procure.extract import analyze
from procure.report import describe_place

st.set_page_config(page_title="procure — clauses sociales", layout="wide")
st.title("procure : clauses sociales dans vos marchés publics")
st.caption("Déposez les pièces d'une consultation (RC, CCAP, CCTP, AE, BPU) au format PDF ou Word.")

uploads = st.file_uploader("Pièces du DCE", type=["pdf", "docx"], accept_multiple_files=True)
if uploads and st.button("Analyser le dossier", type="primary"):
    progress = st.progress(0.0, text="Lecture des documents…")
    with tempfile.TemporaryDirectory(prefix="procure-upload-") as folder:
        files = []
        for upload in uploads:
            path = Path(folder) / Path(upload.name).name
            path.write_bytes(upload.getvalue())
            files.append((path, upload.name))

        def report(done: int, total: int, name: str) -> None:
            progress.progress(done / max(total, 1), text=f"Lecture de {name}…" if name else "Analyse…")

        st.session_state["tender"] = analyze(files, progress=report)
    progress.empty()

tender = st.session_state.get("tender")
if tender is not None:
    for problem in tender.problems:
        (st.error if problem.fatal else st.warning)(f"{problem.file} : {problem.message}")
    if tender.readable:
        st.subheader("Consultation")
        for label, fact in [("Acheteur", tender.buyer), ("Objet", tender.object), ("Référence", tender.reference)]:
            st.markdown(f"**{label}** : {fact.value if fact else '—'}" + (f"  \n_{fact.evidence.where()}_" if fact and fact.evidence else ""))
        st.subheader(f"Lots ({len(tender.lots)})")
        for lot in tender.lots:
            with st.expander(f"Lot {lot.number} : {lot.title.value if lot.title else 'sans intitulé'}", expanded=True):
                st.write("CPV : " + (", ".join(c.full for c in lot.cpv_codes) or "non trouvé"))
                st.write(f"Montant estimé : {lot.estimated_amount.value if lot.estimated_amount else 'non trouvé'}")
                st.write(f"Lieu d'exécution : {describe_place(lot.place.value) if lot.place else 'non trouvé'}")
                for provision in tender.provisions_for(lot.number):
                    st.info(f"{provision.label_fr} — {provision.evidence.where()}\n\n« {provision.evidence.passage} »")
