import streamlit as st

from procure.outputs.format_fr import format_int
from procure.service.workspace import AccessDenied, AnalysisConflict
from ui.common import current_user, plain, workspace

user = current_user()
st.title("Déposer un dossier de consultation")
st.write("Pièces acceptées : RC, CCAP, CCTP, AE, BPU, DPGF… au format PDF, Word (.docx) ou Excel (.xlsx), et les "
         "avis eForms publiés (XML de TED, JSON de l'open data du BOAMP), 100 Mo au plus par fichier. Chaque fichier "
         "illisible est signalé sans empêcher l'analyse des autres.")
with st.form("depot", clear_on_submit=False):
    title = st.text_input("Intitulé de la consultation (facultatif : repris de l'objet du RC)")
    shared = st.checkbox("Partager avec le groupe de travail achats responsables")
    st.caption("Glissez les fichiers dans le cadre ci-dessous ou cliquez sur « Parcourir » ; "
               "vous pouvez en choisir plusieurs à la fois.")
    # Every type is let through: procure says in French why a .doc or an .odt cannot be read, file by file,
    # where Streamlit's own filter would answer in English.
    uploads = st.file_uploader("Pièces du DCE", accept_multiple_files=True)
    submitted = st.form_submit_button("Analyser le dossier", type="primary")
if submitted:
    if not uploads:
        st.error("Ajoutez au moins un fichier.")
        st.stop()
    ws = workspace()
    try:
        tender_id = ws.create_tender(user, title or "Consultation déposée", shared)
    except AccessDenied as denied:
        st.error(str(denied))
        st.stop()
    with st.status(f"Dépôt de {format_int(len(uploads))} fichier(s)…", expanded=True) as status:
        saving = st.progress(0.0)
        for number, upload in enumerate(uploads, 1):
            saving.progress(number / len(uploads), text=f"Enregistrement de {upload.name} ({number}/{len(uploads)})")
            stored = ws.add_documents(user, tender_id, [(upload.name, upload.getvalue())])
            st.write(f":material/check: {plain(upload.name)} : enregistré" if stored
                     else f":material/content_copy: {plain(upload.name)} : déjà déposé (même contenu), ignoré")
        analysing = st.progress(0.0, text="Analyse des pièces…")
        try:
            ws.analyse(user, tender_id, progress=lambda fraction, text: analysing.progress(fraction, text=text))
        except AnalysisConflict as busy:
            status.update(label=str(busy), state="error")
            st.stop()
        documents = ws.documents(user, tender_id)
        for document in documents:
            kind = f" ({document['doc_type']})" if document.get("doc_type") else ""
            if document["problem"]:
                st.write(f":material/error: {plain(document['filename'])}{plain(kind)} : {plain(document['problem'])}")
            else:
                st.write(f":material/task_alt: {plain(document['filename'])}{plain(kind)} : lu et analysé")
        problems = [d for d in documents if d["problem"]]
        status.update(label=f"Analyse enregistrée : {format_int(len(documents) - len(problems))} fichier(s) lu(s), "
                            f"{format_int(len(problems))} illisible(s).", state="error" if problems else "complete",
                      expanded=True)
    st.session_state["tender_id"] = tender_id
    for document in problems:
        st.error(plain(f"{document['filename']} : {document['problem']}"))
    if not problems:
        st.switch_page("ui/consultations.py")
    st.page_link("ui/consultations.py", label="Voir la consultation", icon=":material/arrow_forward:")
