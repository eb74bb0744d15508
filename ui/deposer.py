import streamlit as st

from procure.outputs.format_fr import format_int
from procure.service.workspace import AccessDenied
from ui.analysis_status import show_analysis_state
from ui.common import current_user, plain, workspace

# The analysis runs in a worker process, never in this server (procure.service.jobs): the page saves the files,
# queues the analysis and follows its state, kept in the database and in the address (?suivi=<id>), so that F5
# shows the same analysis going on.
FOLLOW = "suivi"

user = current_user()
ws = workspace()
ws.start_analysis_dispatcher()
st.title("Déposer un dossier de consultation")
st.write("Pièces acceptées : RC, CCAP, CCTP, AE, BPU, DPGF… au format PDF, Word (.docx) ou Excel (.xlsx), et les "
         "avis eForms publiés (XML de TED, JSON de l'open data du BOAMP), 100 Mo au plus par fichier. Chaque fichier "
         "illisible est signalé sans empêcher l'analyse des autres.")
with st.form("depot", clear_on_submit=True):  # emptied once sent: a second click does not file the DCE twice
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
    try:
        tender_id = ws.create_tender(user, title or "Consultation déposée", shared)
    except AccessDenied as denied:
        st.error(str(denied))
        st.stop()
    saved = []
    with st.status(f"Dépôt de {format_int(len(uploads))} fichier(s)…", expanded=True) as status:
        saving = st.progress(0.0)
        for number, upload in enumerate(uploads, 1):
            saving.progress(number / len(uploads), text=f"Enregistrement de {upload.name} ({number}/{len(uploads)})")
            stored = ws.add_documents(user, tender_id, [(upload.name, upload.getvalue())])
            saved.append(f":material/check: {plain(upload.name)} : enregistré" if stored
                         else f":material/content_copy: {plain(upload.name)} : déjà déposé (même contenu), ignoré")
            saved.extend(f":material/warning: {plain(warning)}" for warning in stored.warnings)  # "RC (2).pdf"
        status.update(label=f"{format_int(len(uploads))} fichier(s) enregistré(s) : analyse demandée.", state="complete",
                      expanded=False)
    try:
        ws.enqueue_analysis(user, tender_id)
    except AccessDenied as denied:
        st.error(str(denied))
        st.stop()
    st.session_state["tender_id"] = tender_id
    st.session_state["deposer-saved"] = (tender_id, saved)
    st.session_state["deposer-open"] = tender_id  # open the consultation once the analysis ends without a problem
    st.query_params[FOLLOW] = str(tender_id)

followed = st.query_params.get(FOLLOW)
if followed and followed.isdigit():
    tender_id = int(followed)
    kept = st.session_state.get("deposer-saved")
    if kept and kept[0] == tender_id:
        with st.expander("Fichiers enregistrés", expanded=False):
            for line in kept[1]:
                st.write(line)
    state = show_analysis_state(ws, user, tender_id)
    if state == "done":
        documents = ws.documents(user, tender_id)
        for document in documents:
            kind = f" ({document['doc_type']})" if document.get("doc_type") else ""
            if document["problem"]:
                icon = ":material/report:" if document.get("doc_type") else ":material/error:"
                st.write(f"{icon} {plain(document['filename'])}{plain(kind)} : {plain(document['problem'])}")
            else:
                st.write(f":material/task_alt: {plain(document['filename'])}{plain(kind)} : lu et analysé")
        problems = [d for d in documents if d["problem"]]
        unread = [d for d in problems if not d.get("doc_type")]  # a piece read with a note has its type
        st.caption(f"{format_int(len(documents) - len(unread))} fichier(s) lu(s), "
                   f"{format_int(len(unread))} illisible(s).")
        for document in problems:
            show = st.error if document in unread else st.warning
            show(plain(f"{document['filename']} : {document['problem']}"))
        if st.session_state.pop("deposer-open", None) == tender_id and not problems:
            st.session_state["tender_id"] = tender_id
            st.switch_page("ui/consultations.py")
    if state in ("done", "failed"):
        st.session_state["tender_id"] = tender_id
        st.page_link("ui/consultations.py", label="Voir la consultation", icon=":material/arrow_forward:")
