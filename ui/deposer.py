import streamlit as st

from ui.common import current_user, workspace

user = current_user()
st.title("Déposer un dossier de consultation")
st.write("Pièces acceptées : RC, CCAP, CCTP, AE, BPU… au format PDF, Word (.docx) ou Excel (.xlsx). Chaque fichier illisible est "
         "signalé sans empêcher l'analyse des autres.")
with st.form("depot", clear_on_submit=False):
    title = st.text_input("Intitulé de la consultation (facultatif : repris de l'objet du RC)")
    shared = st.checkbox("Partager avec le groupe de travail achats responsables")
    uploads = st.file_uploader("Pièces du DCE", type=["pdf", "docx", "xlsx"], accept_multiple_files=True)
    submitted = st.form_submit_button("Analyser le dossier", type="primary")
if submitted:
    if not uploads:
        st.error("Ajoutez au moins un fichier.")
        st.stop()
    ws = workspace()
    tender_id = ws.create_tender(user, title or "Consultation déposée", shared)
    ws.add_documents(user, tender_id, [(u.name, u.getvalue()) for u in uploads])
    progress = st.progress(0.0, text="Enregistrement des documents…")
    ws.analyse(user, tender_id, progress=lambda fraction, text: progress.progress(fraction, text=text))
    problems = [d for d in ws.documents(user, tender_id) if d["problem"]]
    for document in problems:
        st.error(f"{document['filename']} : {document['problem']}")
    st.session_state["tender_id"] = tender_id
    st.success("Analyse enregistrée.")
    if not problems:
        st.switch_page("ui/consultations.py")
    st.page_link("ui/consultations.py", label="Voir la consultation", icon=":material/arrow_forward:")
