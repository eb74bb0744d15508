import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from procure.service.workspace import DECISIONS_FR, AccessDenied, ReviewConflict
from ui.common import current_user, euros, workspace

ACTIONS_FR = {"accept": "a accepté", "reject": "a rejeté", "comment": "a commenté", "reset": "a remis à examiner"}

user = current_user()
ws = workspace()
st.title("Consultations")
tenders = ws.visible_tenders(user)
if not tenders:
    st.info("Aucune consultation visible pour vous. Déposez un DCE ou demandez à un acheteur de la partager avec le groupe.")
    st.page_link("ui/deposer.py", label="Déposer un DCE", icon=":material/upload_file:")
    st.stop()

labels = {t["id"]: f"{t['title']} — {t['organisation']}" + (" (partagée)" if t["shared"] else "") for t in tenders}
ids = list(labels)
chosen = st.session_state.get("tender_id")
tender_id = st.selectbox("Consultation", ids, index=ids.index(chosen) if chosen in ids else 0, format_func=labels.get)
st.session_state["tender_id"] = tender_id
items = ws.review_items(user, tender_id)
can_review = ws.can_review(user, tender_id)
analysis = items["tender"]["analysis"] or {}


def fact(label: str, value, evidence=None) -> None:
    where = ""
    if evidence:
        page = f", p. {evidence['page']}" if evidence.get("page") else f", § {evidence['block'] + 1}"
        where = f"  \n:gray[{evidence['file']}{page} — « {evidence['passage'][:200]} »]"
    st.markdown(f"**{label}** : {value if value not in (None, '') else '—'}{where}")


def fact_of(data: dict | None, label: str, render=lambda v: v) -> None:
    if not data:
        fact(label, None)
    else:
        fact(label, render(data["value"]), data.get("evidence"))


def place(value) -> str:
    return f"{value['name']} ({value['department']}, INSEE {value['insee']})" if isinstance(value, dict) else f"{value} (non reconnue)"


def decide(kind: str, item: dict) -> None:
    st.caption(f"Décision : **{DECISIONS_FR[item['decision']]}**"
               + (f" par {item['decided_by']} le {item['decided_at']:%d/%m/%Y %H:%M}" if item.get("decided_at") else ""))
    if not can_review:
        return
    key = f"{kind}-{item['id']}-{item['version']}"
    left, middle, right = st.columns([1, 1, 3])
    comment = right.text_input("Commentaire", key=f"comment-{key}", label_visibility="collapsed", placeholder="Commentaire")
    for column, action, label in ((left, "accept", "Accepter"), (middle, "reject", "Rejeter")):
        if column.button(label, key=f"{action}-{key}", disabled=item["decision"] == f"{action}ed"):
            _apply(kind, item, action, comment)
    if right.button("Commenter", key=f"commenter-{key}"):
        _apply(kind, item, "comment", comment)


def _apply(kind: str, item: dict, action: str, comment: str) -> None:
    try:
        ws.review(user, kind, item["id"], action, item["version"], comment)
    except ReviewConflict as conflict:
        st.error(str(conflict))
        return
    except (AccessDenied, ValueError) as problem:
        st.error(f"Action impossible : {problem}")
        return
    st.rerun()


# ---------------------------------------------------------------- the tender
with st.container(border=True):
    left, right = st.columns(2)
    with left:
        fact_of(analysis.get("buyer"), "Acheteur")
        fact_of(analysis.get("object"), "Objet")
        fact_of(analysis.get("reference"), "Référence")
    with right:
        fact_of(analysis.get("procedure"), "Procédure", lambda v: v["label"])
        fact_of(analysis.get("place"), "Lieu d'exécution", place)
        for key, label in (("publication", "Envoi de l'avis"), ("offers_deadline", "Date limite des offres")):
            if key in analysis.get("dates", {}):
                fact_of(analysis["dates"][key], label)
for document in ws.documents(user, tender_id):
    if document["problem"]:
        st.error(f"{document['filename']} : {document['problem']}")
if user.role in ("buyer", "admin"):  # reviewers do not change what the buyer shares
    shared = st.toggle("Partagée avec le groupe de travail", value=items["tender"]["shared"])
    if shared != items["tender"]["shared"]:
        try:
            ws.set_shared(user, tender_id, shared)
            st.rerun()
        except AccessDenied as denied:
            st.error(str(denied))

# ---------------------------------------------------------------- lots
if not items["lots"]:
    st.warning("Aucun lot n'a été trouvé dans les documents lus.")
lot_facts = {lot["number"]: lot for lot in analysis.get("lots", [])}
for lot in items["lots"]:
    st.header(f"Lot {lot['number']} : {lot['title'] or 'sans intitulé'}")
    details = lot_facts.get(lot["number"], {})
    with st.expander("Données du lot et leurs sources", expanded=False):
        for code, evidence in details.get("cpv", []):
            fact("CPV", f"{code['code']}-{code['check_digit'] or '?'} {code.get('label') or ''}", evidence)
        fact("Montant estimé", euros(lot["amount_ht"]), (details.get("estimated_amount") or {}).get("evidence"))
        fact_of(details.get("duration_months"), "Durée", lambda m: f"{m} mois")
        fact_of(details.get("place"), "Lieu d'exécution", place)
    tab_suggestions, tab_matches = st.tabs(["Clauses proposées", "Structures inclusives"])
    with tab_suggestions:
        for item in lot["suggestions"]:
            with st.container(border=True):
                st.subheader(f"{item['title']} — {item['status']}")
                st.caption(f"Score {item['score']:.2f} · Fondement : {', '.join(item['legal_basis'])} · "
                           f"Ancien code : {', '.join(item['old_articles']) or 'aucun équivalent'}")
                for reason in item["reasons"]:
                    st.markdown(f"- {reason}")
                if item.get("hours"):
                    st.markdown("**Calcul des heures d'insertion**")
                    for number, step in enumerate(item["hours"]["steps"], 1):
                        st.markdown(f"{number}. {step}")
                with st.expander(f"Rédaction proposée pour le {item['target_document']}"):
                    for paragraph in item["clause_paragraphs"]:
                        st.markdown(f"> {paragraph}")
                for check in item["points_to_check"]:
                    st.warning(check, icon=":material/fact_check:")
                decide("suggestion", item)
    with tab_matches:
        if not lot["matches"]:
            st.info("Aucune structure de l'annuaire ne correspond : importez l'annuaire de votre territoire.")
        else:
            table = pd.DataFrame([{"Rang": m["rank"], "Structure": m["supplier"]["name"], "Type": m["supplier"]["kinds"],
                                   "Commune": m["supplier"]["commune"], "Score": round(m["score"], 2),
                                   "Distance (km)": None if m["distance_km"] is None else round(m["distance_km"], 1),
                                   "Décision": DECISIONS_FR[m["decision"]]} for m in lot["matches"]])
            st.dataframe(table, hide_index=True, use_container_width=True)
            located = [m for m in lot["matches"] if m["supplier"]["latitude"] is not None]
            if located:
                st.map(pd.DataFrame({"lat": [m["supplier"]["latitude"] for m in located],
                                     "lon": [m["supplier"]["longitude"] for m in located]}), size=300)
            for m in lot["matches"]:
                with st.container(border=True):
                    demo = " — :orange[structure fictive de démonstration]" if m["supplier"]["demo"] else ""
                    st.markdown(f"**{m['rank']}. {m['supplier']['name']}**{demo}")
                    st.caption(m["explanation"])
                    decide("match", m)

# ---------------------------------------------------------------- history and annex
st.header("Historique des décisions")
history = ws.history(user, tender_id)
if history:
    st.dataframe(pd.DataFrame([{"Quand": e["when"], "Qui": e["who"], "Action": ACTIONS_FR[e["action"]],
                                "Élément": f"{e['target_type']} n° {e['target_id']} (version {e['version']})",
                                "Commentaire": e["comment"] or ""} for e in history]), hide_index=True, use_container_width=True)
else:
    st.caption("Aucune décision pour l'instant.")

st.header("Annexe Word")
st.write("Clauses non rejetées, calcul des heures, références juridiques et structures retenues par le groupe.")
if st.button("Préparer l'annexe Word", type="primary"):
    with st.spinner("Génération de l'annexe…"), tempfile.TemporaryDirectory() as folder:
        path = ws.annex(user, tender_id, Path(folder) / "annexe.docx")
        st.session_state[f"annex-{tender_id}"] = path.read_bytes()
if f"annex-{tender_id}" in st.session_state:
    st.download_button("Télécharger l'annexe (.docx)", st.session_state[f"annex-{tender_id}"],
                       file_name=f"annexe-clauses-sociales-{tender_id}.docx",
                       mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
if can_review and st.button("Relancer l'analyse"):
    with st.spinner("Nouvelle analyse…"):
        ws.analyse(user, tender_id)
    st.rerun()
