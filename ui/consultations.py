import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from procure.model import BUYER_CATEGORY_LABELS_FR, PROVISION_LABELS_FR, BuyerCategory
from procure.outputs.format_fr import format_distance, format_hours, format_percent
from procure.outputs.report import date_hour_fr
from procure.service.schema import SuggestionStatus
from procure.service.workspace import (
    DECISIONS_FR,
    AccessDenied,
    AnalysisConflict,
    ProcureError,
    ReviewConflict,
    permissions,
)
from ui.analysis_status import show_analysis_state
from ui.common import CHOOSE_FR, NO_RESULT_CSS, current_user, euros, evidence_line, local_datetime, plain, workspace
from ui.consultation_admin import consultation_actions, tender_label, tender_list
from ui.maps import lot_map, place_communes

ACTIONS_FR = {"accept": "a accepté", "reject": "a rejeté", "comment": "a commenté", "reset": "a remis à examiner"}
CONFLICT_FR = ("Quelqu'un a décidé entre-temps : rechargez la page pour voir sa décision avant de décider. "
               "Votre commentaire est conservé.")
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PROVISION_LABELS = {getattr(kind, "value", kind): label for kind, label in PROVISION_LABELS_FR.items()}
PLACE_INPUT_FR = "Commune, département ou « national »"
AMOUNT_LABELS_FR = {"maximum": "Montant maximum", "minimum": "Montant minimum", "total": "Montant total",
                    "estimate": "Montant estimé"}
GONE_FR = ("La consultation « {title} » n'est plus visible pour vous : l'acheteur a retiré son partage avec le groupe "
           "de travail, ou l'a archivée. Aucune décision n'y a été enregistrée depuis.")
DECISION_BUTTONS = {"accept": "accept", "reject": "reject", "commenter": "comment"}

user = current_user()
ws = workspace()
st.title("Consultations")


def gone(chosen: int) -> None:
    """The consultation on screen stopped being visible (unshared, archived) between two clicks (walkthrough G1).

    A decision clicked on it is sent to the service, which refuses it with its own French message; the page says
    so instead of silently showing another consultation."""
    for key, value in list(st.session_state.items()):
        button, _, rest = str(key).partition("-")
        kind, _, target = rest.partition("-")
        if value is not True or button not in DECISION_BUTTONS or kind not in ("suggestion", "match") or not target.isdigit():
            continue
        version, _ = st.session_state.get(f"seen-{kind}-{target}", (0, None))
        comment = st.session_state.get(f"comment-{kind}-{target}") or ""
        if DECISION_BUTTONS[button] == "comment" and not comment.strip():
            continue
        try:
            ws.review(user, kind, int(target), DECISION_BUTTONS[button], version, comment)
        except (AccessDenied, ReviewConflict, ValueError) as refused:
            st.error(str(refused), icon=":material/block:")
            return
        st.success("Votre décision a été enregistrée.")
        return
    st.warning(GONE_FR.format(title=plain(st.session_state.get("tender_title", "sans titre"))),
               icon=":material/visibility_off:")


tenders = tender_list(ws, user)
chosen = st.session_state.get("tender_id")
if chosen is not None and chosen not in {t.id for t in tenders}:
    gone(chosen)  # said once: the page then shows what is still visible
    st.session_state.pop("tender_id", None)
if not tenders:
    st.info("Aucune consultation visible pour vous. Déposez un DCE ou demandez à un acheteur de la partager avec le groupe.")
    if permissions(user).create_tender:
        st.page_link("ui/deposer.py", label="Déposer un DCE", icon=":material/upload_file:")
    st.stop()

labels = {t.id: tender_label(t) for t in tenders}
ids = list(labels)
st.html(NO_RESULT_CSS)  # the selector's "No results" when the search matches nothing, in French
tender_id = st.selectbox("Consultation", ids, index=ids.index(chosen) if chosen in ids else 0, format_func=labels.get,
                         placeholder=CHOOSE_FR)
st.session_state["tender_id"] = tender_id
st.session_state["tender_title"] = next(t.title for t in tenders if t.id == tender_id)
items = ws.review_items(user, tender_id)
permissions = ws.permissions(user, tender_id)
consultation_actions(ws, user, tender_id)
can_review = permissions["review"]
stored = items.tender.analysis  # service.schema.StoredAnalysis, None before the first analysis
analysis = stored.as_dict() if stored is not None else {}  # the facts below still read its JSON form by key
analysis_state = show_analysis_state(ws, user, tender_id)  # queued, running (live), done, failed with the reason


# ---------------------------------------------------------------- facts and their passages

def reanalyse() -> bool:
    """Queue a new analysis (run by a worker process, its state shown above); False, with the French message,
    if refused."""
    try:
        ws.enqueue_analysis(user, tender_id)
    except AccessDenied as refused:
        st.error(str(refused))
        return False
    return True


def fact(label: str, value, evidence: dict | None = None) -> None:
    """A value read in the documents, with the passage it comes from (file, page), rendered as plain text."""
    shown = plain(value) if value not in (None, "") else "non trouvé dans le dossier"
    st.markdown(f"**{label}** : {shown}")
    line = evidence_line(evidence, value)
    if line:
        st.caption(line)


def fact_of(data: dict | None, label: str, render=lambda v: v) -> None:
    if not data:
        fact(label, None)
    else:
        fact(label, render(data["value"]), data.get("evidence"))


def place_text(value) -> str:
    if isinstance(value, dict) and "insee" in value:
        return f"{value['name']} ({value['department']}, code INSEE {value['insee']})"
    if isinstance(value, dict):
        communes = ", ".join(c["name"] for c in place_communes(value))
        label = value.get("label") or communes
        if value.get("scope") == "unknown" or not (communes or value.get("departments") or value.get("region")):
            return f"{label} (lieu non reconnu)"
        return label + (f" — {communes}" if communes and communes not in label else "")
    return f"{value} (lieu non reconnu)"


def amount_text(value) -> str:
    if isinstance(value, dict):
        return euros(value.get("value")) if value.get("tax", "HT") == "HT" else f"{euros(value.get('value'))[:-3]} TTC"
    return euros(value)


def amount_facts(stored: dict | None, fallback) -> None:
    """« Montant maximum » or « Montant estimé » (what the documents call the figure), and the estimate printed beside
    a framework's maximum, on its own line: a ceiling is never shown as an estimate (walkthrough B7)."""
    value = (stored or {}).get("value", fallback)
    if value in (None, ""):
        fact("Montant", None)
        return
    kind = value.get("kind") if isinstance(value, dict) else None
    fact(AMOUNT_LABELS_FR.get(kind, "Montant estimé"), amount_text(value), (stored or {}).get("evidence"))
    estimate = value.get("estimate") if isinstance(value, dict) else None
    if estimate is not None and kind != "estimate":
        fact("Montant estimé", amount_text({"value": estimate, "tax": value.get("tax") or "HT"}))
        st.caption("Estimation imprimée dans la même pièce que le maximum : les heures d'insertion sont calculées sur "
                   "elle, le maximum reste un plafond.")


def provision_text(provision: dict) -> str:
    text = PROVISION_LABELS.get(provision["kind"], provision["kind"])
    if provision.get("hours"):
        text += f" : {format_hours(provision['hours'])}" + (" par an" if provision.get("hours_per") == "year" else "")
    if provision.get("weight_percent"):
        text += f" (pondération {format_percent(provision['weight_percent'] / 100)})"
    if provision.get("articles"):
        text += f" — {', '.join(provision['articles'])}"
    return text


def provisions_block(provisions: list[dict], title: str) -> None:
    if not provisions:
        return
    st.markdown(f"**{title}**")
    for provision in provisions:
        fact("Déjà présent", provision_text(provision), provision.get("evidence"))


# ---------------------------------------------------------------- decisions, with conflict detection

def decide(kind: str, item) -> None:
    """Accept / reject / comment buttons.

    The version sent is the one the user was shown first: if someone else decided since, the page says so
    (and the service refuses the stale decision) until the user reloads; the comment being typed is kept.
    """
    if item.decided_at:
        st.caption(f"Décision : **{DECISIONS_FR[item.decision]}** par {plain(item.decided_by)} "
                   f"le {local_datetime(item.decided_at)}")
    else:
        st.caption(f"Décision : **{DECISIONS_FR[item.decision]}**")
    if not can_review:
        return
    key = f"{kind}-{item.id}"
    seen_key, conflict_key = f"seen-{key}", f"conflict-{key}"
    seen_version, seen_decision = st.session_state.setdefault(seen_key, (item.version, item.decision))
    left, middle, right = st.columns([1, 1, 3])
    comment = right.text_input("Commentaire", key=f"comment-{key}", label_visibility="collapsed",
                               placeholder="Commentaire (facultatif pour accepter ou rejeter)")
    clicked = None
    for column, action, label in ((left, "accept", "Accepter"), (middle, "reject", "Rejeter")):
        if column.button(label, key=f"{action}-{key}", disabled=seen_decision == f"{action}ed"):
            clicked = action
    if right.button("Commenter", key=f"commenter-{key}"):
        clicked = "comment"
    if clicked:
        _apply(kind, item, clicked, comment, seen_version, conflict_key)
    if st.session_state.get(conflict_key) or seen_version != item.version:
        st.error(CONFLICT_FR, icon=":material/sync_problem:")
        if st.button("Recharger", key=f"reload-{key}", icon=":material/refresh:"):
            st.session_state.pop(conflict_key, None)
            st.session_state[seen_key] = (item.version, item.decision)
            st.rerun()


def _apply(kind: str, item, action: str, comment: str, version: int, conflict_key: str) -> None:
    if action == "comment" and not comment.strip():
        st.warning("Écrivez d'abord votre commentaire.")
        return
    try:
        ws.review(user, kind, item.id, action, version, comment)
    except ReviewConflict:
        st.session_state[conflict_key] = True
        return
    except (AccessDenied, ValueError) as problem:
        st.error(f"Action impossible : {problem}")
        return
    st.session_state.pop(f"comment-{kind}-{item.id}", None)
    st.session_state.pop(f"seen-{kind}-{item.id}", None)
    st.rerun()


# ---------------------------------------------------------------- the tender
with st.container(border=True):
    left, right = st.columns(2)
    with left:
        fact_of(analysis.get("buyer"), "Acheteur")
        fact_of(analysis.get("object"), "Objet")
        fact_of(analysis.get("reference"), "Référence")
    with right:
        fact_of(analysis.get("procedure"), "Procédure", lambda v: v["label"] if isinstance(v, dict) else v)
        fact_of(analysis.get("place"), "Lieu d'exécution", place_text)
        times = analysis.get("times") or {}  # absent from analyses stored before hours were read: dates alone
        for key, label in (("publication", "Envoi de l'avis"), ("offers_deadline", "Date limite des offres")):
            if key in analysis.get("dates", {}):
                fact_of(analysis["dates"][key], label, lambda v, key=key: date_hour_fr(v, times.get(key), long=True))
    provisions_block([p for p in analysis.get("provisions", []) if p.get("lot") is None],
                     "Dispositions sociales déjà présentes pour toute la consultation")



def tender_place_form() -> None:
    """One place typed for the whole consultation: every lot without its own place in the documents takes it and is
    matched again from it (walkthrough B19); a lot can still be given another place in its structures tab."""
    lots = items.lots
    if len(lots) < 2 or not permissions["analyse"]:  # one lot: its own form says the same
        return
    notice = st.session_state.pop(f"lieu-consultation-notice-{tender_id}", None)
    if notice:
        st.success(notice)
    waiting = [lot.number for lot in lots if lot.matching["outcome"] == "needs_place"]
    title = "Lieu d'exécution de la consultation"
    box = st.container(border=True) if waiting else st.expander(title)
    with box:
        if waiting:
            st.markdown(f"**{title}**")
            st.caption(f"Le dossier ne donne pas de lieu d'exécution pour {len(waiting)} lot(s) sur {len(lots)} : "
                       "indiquez-le une fois, chaque lot sans lieu propre le reprend.")
        else:
            st.caption("Appliqué à chaque lot dont le dossier ne donne pas de lieu propre (un lieu saisi pour un lot est "
                       "remplacé) ; un lot peut ensuite recevoir un autre lieu dans son onglet « Structures inclusives ».")
        with st.form(f"lieu-consultation-{tender_id}"):
            text = st.text_input(title, key=f"lieu-consultation-texte-{tender_id}",
                                 placeholder="Commune, département ou « national » : par exemple Tarbes, 65 ou national")
            submitted = st.form_submit_button("Appliquer aux lots")
    if not submitted:
        return
    try:
        with st.spinner("Recherche des structures pour chaque lot…"):
            result = ws.set_tender_place(user, tender_id, text)
    except (AccessDenied, AnalysisConflict, ProcureError) as problem:
        st.error(str(problem))
        return
    st.session_state[f"lieu-consultation-notice-{tender_id}"] = result.summary_fr()
    st.rerun()


tender_place_form()

documents = ws.documents(user, tender_id)
with st.expander(f"Pièces du dossier ({len(documents)})"):
    for document in documents:
        kind = f" — {document['doc_type']}" if document.get("doc_type") else ""
        if document["problem"]:
            st.error(plain(f"{document['filename']}{kind} : {document['problem']}"))
        else:
            st.markdown(f":material/description: {plain(document['filename'])}{plain(kind)}")
        # An unreadable piece can be taken out (and a corrected one added below), then the tender analysed again.
        if permissions["edit"] and st.button("Retirer cette pièce", key=f"retirer-{document['id']}",
                                             icon=":material/delete:"):
            ws.remove_document(user, tender_id, document["id"])
            st.rerun()
    if permissions["edit"]:
        with st.form("ajout-pieces", clear_on_submit=True):
            # No type filter: Streamlit's refusal is English, procure's reading error is French and per file.
            added = st.file_uploader("Ajouter ou remplacer des pièces (PDF, Word .docx, Excel .xlsx, avis eForms .xml ou .json)",
                                     accept_multiple_files=True)
            submitted = st.form_submit_button("Ajouter et relancer l'analyse")
        if submitted and added:
            stored = ws.add_documents(user, tender_id, [(f.name, f.getvalue()) for f in added])
            if reanalyse():
                st.session_state["tender-notice"] = (f"{len(stored)} pièce(s) ajoutée(s), analyse relancée ; "
                                                     "les décisions déjà prises sont conservées."
                                                     + "".join(f" {w}" for w in stored.warnings))
                st.rerun()
if "tender-notice" in st.session_state:
    st.success(st.session_state.pop("tender-notice"))
if permissions["edit"]:  # reviewers do not change what the buyer shares
    shared = st.toggle("Partagée avec le groupe de travail", value=items.tender.shared)
    if shared != items.tender.shared:
        try:
            ws.set_shared(user, tender_id, shared)
            st.rerun()
        except AccessDenied as denied:
            st.error(str(denied))


def buyer_category_choice() -> None:
    """When the documents do not say what kind of buyer this is, the buyer says it: it sets the threshold of
    the L2112-2-1 obligation (140 000 € for the State, 216 000 € for local authorities, 432 000 € for
    contracting entities)."""
    read = (analysis.get("buyer_category") or {}).get("value")
    chosen = ws.buyer_category(user, tender_id)
    if read and not chosen:
        return
    st.caption("La catégorie de l'acheteur fixe le seuil européen de l'obligation de condition sociale "
               "(L2112-2-1) : " + ("le dossier ne la précise pas." if not read else "choisie par l'utilisateur."))
    options = [""] + [category.value for category in BuyerCategory]
    labels = {"": "Non précisée (les seuils des trois catégories sont indiqués)"}
    labels.update({category.value: label[:1].upper() + label[1:] for category, label in BUYER_CATEGORY_LABELS_FR.items()})
    choice = st.selectbox("Catégorie de l'acheteur", options, index=options.index(chosen or ""),
                          format_func=labels.__getitem__, key=f"categorie-{tender_id}")
    if choice != (chosen or "") and st.button("Enregistrer la catégorie et relancer l'analyse"):
        try:
            ws.set_buyer_category(user, tender_id, choice or None)
        except AccessDenied as refused:
            st.error(str(refused))
        else:
            if reanalyse():
                st.rerun()


def defence_choice() -> None:
    """A contract the documents put under the defence and security part of the code is out of the L2112-2-1
    obligation: the buyer confirms or corrects that reading (shown only when it matters)."""
    read = (analysis.get("defence_security") or {}).get("value")
    chosen = ws.defence_security(user, tender_id)
    if not read and chosen is None:
        return
    st.caption("Le dossier place ce marché dans la partie défense et sécurité du code : il est alors hors du champ de "
               "l'obligation de condition sociale (L2112-2-1)." if read else
               "Réponse enregistrée sur la nature défense ou sécurité du marché.")
    options = ["", "oui", "non"]
    labels = {"": "Selon la lecture du dossier", "oui": "Oui, marché de défense ou de sécurité",
              "non": "Non, marché ordinaire"}
    current = "" if chosen is None else "oui" if chosen else "non"
    choice = st.selectbox("Marché de défense ou de sécurité", options, index=options.index(current),
                          format_func=labels.__getitem__, key=f"defense-{tender_id}")
    if choice != current and st.button("Enregistrer la réponse et relancer l'analyse"):
        try:
            ws.set_defence_security(user, tender_id, None if choice == "" else choice == "oui")
        except AccessDenied as refused:
            st.error(str(refused))
        else:
            if reanalyse():
                st.rerun()


if permissions["edit"] and permissions["analyse"]:
    buyer_category_choice()
    defence_choice()

# ---------------------------------------------------------------- structures of a lot

def place_form(lot, button: str) -> None:
    """The place of execution typed by the user: the lot is matched again from it (buyers and administrators)."""
    number = lot.number
    with st.form(f"lieu-{number}"):
        text = st.text_input(PLACE_INPUT_FR, key=f"lieu-texte-{number}", placeholder="par exemple Tarbes, 65 ou national")
        submitted = st.form_submit_button(button)
    if not submitted:
        return
    try:
        with st.spinner("Recherche des structures…"):
            outcome = ws.set_lot_place(user, tender_id, number, text)
    except (AccessDenied, AnalysisConflict, ProcureError) as problem:
        st.error(str(problem))
        return
    st.session_state[f"lieu-notice-{number}"] = f"Lieu d'exécution enregistré : {outcome.label}."
    st.rerun()


def place_line(lot) -> None:
    """Where distances are measured from, and a way to change it."""
    place = lot.matching["place"]
    if place:
        st.caption(plain(place["sentence"]))
    if permissions["analyse"]:
        with st.expander("Changer le lieu d'exécution"):
            place_form(lot, "Classer depuis ce lieu")


def matches_table(lot, details: dict) -> None:
    matching = lot.matching
    if matching.get("credible_sentence"):
        st.markdown(plain(matching["credible_sentence"]))
    table = pd.DataFrame([{"Rang": m.rank, "Structure": m.supplier.name,
                           "Type": (m.supplier.kinds or "").replace(",", ", "),
                           "Commune": m.supplier.commune or "commune inconnue",
                           # The label says how credible the activity evidence is; the model's probability,
                           # spread over thousands of structures, reads as a misleadingly low percentage.
                           "Confiance": m.confidence or "—",
                           "Distance": format_distance(m.distance_km),
                           "Fictive": "oui" if m.supplier.demo else "non",
                           "Décision": DECISIONS_FR[m.decision]} for m in lot.matches])
    st.dataframe(table, hide_index=True, width="stretch")
    place_line(lot)
    place = lot.matching["place"] or {}
    # The documents' place draws its whole territory; a place typed by the user or the buyer's commune its own.
    shown = (details.get("place") or {}).get("value") if place.get("source") in ("lot", "tender", None) else None
    chart = lot_map(shown or place.get("map"), lot.matches)
    if chart is not None:
        st.altair_chart(chart, width="stretch")
    detailed = matching.get("shown") or len(lot.matches)
    for m in lot.matches[:detailed]:
        match_card(m)
    rest = lot.matches[detailed:]
    if rest:
        with st.expander(f"Voir les {len(rest)} autres structures crédibles"):
            for m in rest:
                match_card(m)


def match_card(m) -> None:
    with st.container(border=True):
        demo = " — :orange[structure fictive de démonstration]" if m.supplier.demo else ""
        st.markdown(f"**{m.rank}\\. {plain(m.supplier.name)}**{demo}")
        st.caption(plain(m.explanation))
        decide("match", m)


def matches_tab(lot, details: dict) -> None:
    """The structures of a lot, or why there are none: place to give, nothing credible, empty directory."""
    matching = lot.matching
    notice = st.session_state.pop(f"lieu-notice-{lot.number}", None)
    if notice:
        st.success(notice)
    outcome = matching["outcome"]
    if outcome == "needs_place":
        st.warning(matching["message"], icon=":material/location_off:")  # procure's own words
        if permissions["analyse"]:
            place_form(lot, "Classer les structures depuis ce lieu")
        else:
            st.caption("L'acheteur de la consultation peut indiquer le lieu d'exécution.")
    elif outcome == "no_credible":
        st.info(matching["message"] + " Leviers qui restent possibles :")
        for lever in matching["other_levers"]:
            st.markdown(f"- {lever}")
        place_line(lot)
    elif lot.matches:
        matches_table(lot, details)
    elif outcome == "ranked":  # every structure ranked was removed from the directory since the analysis
        st.info("Les structures retenues ont été retirées de l'annuaire depuis l'analyse : relancez l'analyse.")
        place_line(lot)
    else:  # an empty directory, or an old analysis that did not record its outcome
        st.info(matching["message"])


# ---------------------------------------------------------------- lots
if not items.lots:
    st.warning("Aucun lot n'a été trouvé dans les documents lus.")
lot_facts = {lot["number"]: lot for lot in analysis.get("lots", [])}
for lot in items.lots:
    st.header(f"Lot {lot.number} : {plain(lot.title or 'sans intitulé')}")
    details = lot_facts.get(lot.number, {})
    if details.get("cpv_doubt"):  # the levers proposed below depend on the code: say it before them
        st.warning(plain("Code CPV à vérifier : " + details["cpv_doubt"]), icon=":material/fact_check:")
    with st.expander("Données du lot et leurs sources", expanded=False):
        for code, evidence in details.get("cpv", []):
            fact("CPV", f"{code['code']}-{code['check_digit'] or '?'} {code.get('label') or ''}", evidence)
        amount_facts(details.get("estimated_amount"), lot.amount_ht)
        fact_of(details.get("duration_months"), "Durée", lambda m: f"{m} mois")
        fact_of(details.get("place"), "Lieu d'exécution", place_text)
    provisions_block(details.get("provisions", []), "Dispositions sociales déjà présentes dans ce lot")
    tab_suggestions, tab_matches = st.tabs(["Clauses proposées", "Structures inclusives"])
    with tab_suggestions:
        if not lot.suggestions:
            st.info("Aucune clause proposée pour ce lot : ni son objet ni son code CPV n'ont permis de rattacher un levier "
                    "social. Vérifiez le CPV dans « Données du lot » ; le guide du territoire présente les huit leviers.")
        for item in lot.suggestions:
            payload = item.payload  # service.schema.StoredSuggestion: what the analysis stored
            with st.container(border=True):
                st.subheader(f"{plain(payload.title)} — {plain(item.status_label)}")
                st.caption(f"Pertinence {format_percent(item.score)} · Fondement : {', '.join(payload.legal_basis)} · "
                           f"Ancien code : {plain(', '.join(payload.old_articles) or 'aucun équivalent')}")
                for reason in payload.reasons:
                    st.markdown(f"- {plain(reason)}")
                if item.status == SuggestionStatus.PRESENT:
                    same = [p for p in details.get("provisions", []) + analysis.get("provisions", [])
                            if p["kind"] == item.lever_id]
                    for provision in same:
                        fact("Passage du dossier", provision_text(provision), provision.get("evidence"))
                if payload.hours:
                    st.markdown("**Calcul des heures d'insertion**")
                    for number, step in enumerate(payload.hours.steps, 1):
                        st.markdown(f"{number}\\. {plain(step)}")
                with st.expander(f"Rédaction proposée pour le {plain(payload.target_document)}"):
                    for paragraph in payload.clause_paragraphs:
                        st.markdown(f"> {plain(paragraph)}")
                for check in payload.points_to_check:
                    st.warning(plain(check), icon=":material/fact_check:")
                decide("suggestion", item)
    with tab_matches:
        matches_tab(lot, details)

# ---------------------------------------------------------------- history, annex, tracked changes
st.header("Historique des décisions")
targets = {("suggestion", s.id): f"Lot {lot.number} — {s.payload.title}" for lot in items.lots for s in lot.suggestions}
targets |= {("match", m.id): f"Lot {lot.number} — structure {m.supplier.name}" for lot in items.lots for m in lot.matches}
history = ws.history(user, tender_id)
if history:
    st.dataframe(pd.DataFrame([{"Quand": local_datetime(e.when), "Qui": e.who, "Action": ACTIONS_FR[e.action],
                                "Élément": targets.get((e.target_type, e.target_id), "élément d'une analyse précédente"),
                                "Commentaire": e.comment or ""} for e in reversed(history)]),
                 hide_index=True, width="stretch")
else:
    st.caption("Aucune décision pour l'instant.")

st.header("Annexe Word")
st.write("Clauses non rejetées, calcul des heures, références juridiques, qui a décidé quoi, et structures retenues.")
if st.button("Préparer l'annexe Word", type="primary"):
    with st.spinner("Génération de l'annexe…"), tempfile.TemporaryDirectory() as folder:
        try:  # from the stored analysis: a consultation never analysed gets procure's French reason
            path = ws.annex(user, tender_id, Path(folder) / "annexe.docx")
            st.session_state[f"annex-{tender_id}"] = path.read_bytes()
        except ProcureError as problem:
            st.error(str(problem))
if f"annex-{tender_id}" in st.session_state:
    st.download_button("Télécharger l'annexe (.docx)", st.session_state[f"annex-{tender_id}"],
                       file_name=f"annexe-clauses-sociales-{tender_id}.docx", mime=DOCX_MIME)

st.header("Clauses dans votre CCAP ou RC (suivi des modifications)")
# Clauses go into the buyer's own CCAP or RC (or CCP); an AE or a CCTP is not where they belong.
word_documents = [d for d in documents if d["filename"].lower().endswith(".docx") and not d["problem"]
                  and (d.get("doc_type") or "").upper() in ("CCAP", "RC", "CCP", "")]
if not word_documents:
    st.caption("Le CCAP et le RC de ce dossier ne sont pas au format Word : ajoutez leur version .docx dans « Pièces du "
               "dossier » pour y insérer les clauses acceptées en suivi des modifications.")
else:
    st.write("Les clauses acceptées sont insérées dans votre document en suivi des modifications (auteur « procure ») : "
             "le service juridique les accepte ou les refuse dans Word. Votre original n'est pas modifié.")
    names = {d["filename"]: d["filename"] + (f" ({d['doc_type']})" if d.get("doc_type") else "") for d in word_documents}
    # The document the accepted clauses are written for comes first (a reserved lot goes to the RC, a clause to the CCAP).
    wanted = [kind for s in items.suggestions()
              if s.decision == "accepted" and s.status != SuggestionStatus.PRESENT
              for kind in s.payload.target_document.replace(",", " ").split()]
    ranked = sorted(word_documents, key=lambda d: (-wanted.count((d.get("doc_type") or "").upper()),
                                                  (d.get("doc_type") or "").upper() != "CCAP"))
    preferred = ranked[0]["filename"]
    filename = st.selectbox("Document Word", list(names), index=list(names).index(preferred), format_func=names.get)
    if st.button("Préparer le document avec les clauses en suivi des modifications"):
        with st.spinner("Insertion des clauses…"), tempfile.TemporaryDirectory() as folder:
            try:
                result = ws.tracked_document(user, tender_id, filename, Path(folder) / "suivi.docx")
                summary = result.summary_fr() if hasattr(result, "summary_fr") else ""
                st.session_state[f"tracked-{tender_id}"] = (filename, Path(getattr(result, "path", result)).read_bytes(),
                                                            summary)
            except (AccessDenied, ValueError) as problem:
                st.error(f"Insertion impossible : {problem}")
    if f"tracked-{tender_id}" in st.session_state:
        name, content, summary = st.session_state[f"tracked-{tender_id}"]
        if summary:
            st.info("  \n".join(plain(line.strip()) for line in summary.splitlines()))
        st.download_button("Télécharger le document modifié (.docx)", content, mime=DOCX_MIME,
                           file_name=f"{Path(name).stem}-clauses-sociales-suivi.docx")

if permissions["analyse"] and st.button("Relancer l'analyse") and reanalyse():
    st.rerun()
