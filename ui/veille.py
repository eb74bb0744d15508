import tempfile
from pathlib import Path

import streamlit as st

from procure.outputs.format_fr import format_int, format_percent
from procure.service.app_views import default_territory
from procure.service.watch import buyer_note, export_bytes, notice_frame, share_benchmarks, share_frame
from procure.service.workspace import AccessDenied
from ui.common import current_user, french_date, plain, workspace

user = current_user()
ws = workspace()
st.title("Veille des avis publiés")
st.write("Les avis de marché d'un territoire, lus un par un : ceux qui comportent une considération sociale, ceux "
         "qui le devraient (condition d'exécution sociale obligatoire, article L2112-2-1, pour les consultations "
         "lancées depuis le 21 août 2026 au-dessus des seuils européens) et, pour les lots sans disposition, les "
         "leviers possibles et les structures inclusives locales qui pourraient répondre.")

if ws.can_read_notices(user):
    with st.expander("Lire de nouveaux avis", expanded=False), st.form("lecture-avis", clear_on_submit=True):
        st.caption("Avis eForms (XML de TED), exports de l'open data du BOAMP (JSON, un ou plusieurs milliers "
                   "d'avis), avis en PDF. Un avis déjà lu n'est pas relu ; un avis rectificatif ou d'annulation met "
                   "à jour l'avis qu'il modifie.")
        uploads = st.file_uploader("Fichiers d'avis", accept_multiple_files=True)
        submitted = st.form_submit_button("Lire les avis", type="primary")
    if submitted and uploads:
        line = st.empty()
        try:
            with st.spinner("Lecture des avis…"):
                run = ws.read_notices(user, [(u.name, u.getvalue()) for u in uploads],
                                      progress=lambda seen, text: line.caption(plain(f"Avis {seen} : {text}")))
        except AccessDenied as denied:
            st.error(str(denied))
            st.stop()
        line.empty()
        st.success(f"{format_int(run.read)} avis lu(s), dont {format_int(run.flagged)} à signaler ; "
                   f"{format_int(run.skipped)} déjà connu(s) ; {format_int(len(run.failures))} illisible(s).")
        for failure in run.failures:
            st.error(plain(f"{failure.name} : {failure.message}"))

if "veille-territoire" not in st.session_state:
    st.session_state["veille-territoire"] = default_territory(ws, user)
left, middle, right = st.columns(3)
territory = left.text_input("Territoire", key="veille-territoire")
left.caption("Département (94), commune (code INSEE) ou EPCI (SIREN) ; vide : tous les avis lus.")
since_text = middle.text_input("Publiés depuis (JJ/MM/AAAA)", key="veille-depuis", placeholder="JJ/MM/AAAA")
until_text = middle.text_input("Publiés jusqu'au (JJ/MM/AAAA)", key="veille-jusque", placeholder="JJ/MM/AAAA")
buyer = right.text_input("Acheteur (une partie du nom)", key="veille-acheteur")
flagged_only = right.checkbox("Seulement les avis à signaler", key="veille-signaler")
try:
    since, until = french_date(since_text), french_date(until_text)
except ValueError as problem:
    st.error(f"Date invalide : {problem}.")
    st.stop()

# The shares are those of every notice of the territory; the flag only narrows the list shown.
every = ws.watched_notices(user, territory=territory.strip() or None, since=since, until=until,
                           buyer=buyer.strip() or None)
notices = [n for n in every if n.flagged] if flagged_only else every
if not notices:
    st.info("Aucun avis lu pour ces critères." + (" Lisez des avis avec le cadre ci-dessus."
                                                  if ws.can_read_notices(user) else ""))
    st.stop()

marks = share_benchmarks()
live = [n for n in every if n.kind != "cancel"]
social = sum(n.social for n in live)
first, second, third = st.columns(3)
first.metric("Avis" + (" à signaler" if flagged_only else ""), format_int(len(notices)))
second.metric("Avec une considération sociale", format_percent(social / len(live)) if live else "—")
third.metric("À signaler au groupe de travail", format_int(sum(n.flagged for n in every)))
st.caption(f"Cible nationale : {format_percent(marks['target'].value)} des marchés avec une considération sociale "
           f"({marks['target'].reference}) ; part mesurée : {format_percent(marks['measured'].value, decimals=1)} "
           f"({marks['measured'].reference}, à vérifier).")

table = notice_frame(notices)
st.subheader("Avis")
st.dataframe(table, hide_index=True, width="stretch")
csv_column, xlsx_column = st.columns(2)
csv_column.download_button("Exporter en CSV (Excel)", export_bytes(table, "csv"), file_name="veille-avis.csv",
                           mime="text/csv")
xlsx_column.download_button("Exporter en XLSX", export_bytes(table, "xlsx"), file_name="veille-avis.xlsx",
                            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

by_buyer, by_month = st.columns(2)
for column, by, title in ((by_buyer, "buyer", "Par acheteur"), (by_month, "month", "Par mois")):
    shares = share_frame(every, by)
    shares["Part sociale"] = shares["Part sociale"].map(format_percent)  # French « 25 % », not « 25.00% »
    column.subheader(title)
    column.dataframe(shares, hide_index=True, width="stretch")

# A Word note for one buyer, when the buyer filter names exactly one.
buyers = sorted({n.buyer for n in every if n.buyer})
if buyer.strip() and len(buyers) == 1:
    st.subheader("Note à l'acheteur")
    if st.button(f"Préparer la note Word pour {plain(buyers[0])}"):
        with tempfile.TemporaryDirectory() as folder:
            path = buyer_note(buyers[0], [n for n in every if n.buyer == buyers[0]], Path(folder) / "note.docx",
                              since, until)
            st.session_state["veille-note"] = (buyers[0], path.read_bytes())
    if st.session_state.get("veille-note", ("",))[0] == buyers[0]:
        st.download_button("Télécharger la note (.docx)", st.session_state["veille-note"][1],
                           file_name="vos-avis-publies.docx",
                           mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
elif buyer.strip() and len(buyers) > 1:
    st.caption(f"{len(buyers)} acheteurs correspondent : précisez le nom pour préparer une note Word.")
else:
    st.caption("Indiquez un acheteur pour préparer sa note Word « vos avis publiés ».")
