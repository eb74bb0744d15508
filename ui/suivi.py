import tempfile
from datetime import date, timedelta
from pathlib import Path

import altair as alt
import streamlit as st

from procure.followup.model import ContractType, PublicCategory, Route
from procure.outputs.format_fr import format_euros, format_int, format_number
from procure.service.followup import (
    CommitmentConflict,
    consolidation_frames,
    file_columns,
    progress_frame,
    template_bytes,
    template_fields,
)
from procure.service.workspace import AccessDenied, ProcureError, permissions
from ui.common import current_user, date_field, french_date, plain, workspace

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
NOT_MAPPED = "(aucune colonne)"

user = current_user()
ws = workspace()
followup = ws.followup
st.title("Suivi des clauses")
st.write("Les heures d'insertion promises par les titulaires des lots attribués et celles que le facilitateur relève "
         "chaque mois : heures dues à ce jour, réalisées, écart, projection, alertes avant les pénalités et bilan "
         "annuel aux indicateurs de la consolidation nationale. Les participants ne sont comptés que par catégorie : "
         "procure n'enregistre aucun nom ni aucune donnée individuelle ; le facilitateur garde les justificatifs.")

try:
    today = french_date(date_field("Date d'examen", date.today(), key="suivi-date")) or date.today()
except ValueError as problem:
    st.error(f"Date invalide : {problem}.")
    st.stop()

try:
    items = followup.progress(user, today)
except AccessDenied as denied:
    st.error(str(denied))
    st.stop()
views = [view for view, _ in items]
may_create = permissions(user).create_commitment
enterable = [view for view in views if view.can_enter_statements]

commitments_tab, statements_tab, alerts_tab, report_tab = st.tabs(
    ["Engagements", "Relevés mensuels", "Alertes", "Bilan annuel"])


def _french(frame):
    """Figures written the French way (« 3 000 », « 0,4 ») for reading; the exports keep numbers."""
    shown = frame.copy()
    for column in shown.columns:
        if column == "ETP":
            shown[column] = shown[column].map(lambda v: format_number(v, 1))
        elif shown[column].dtype.kind in "if":
            shown[column] = shown[column].map(lambda v: "—" if v != v else format_int(v))
    return shown


def _label(view) -> str:
    c = view.commitment
    return f"{c.key} — {c.lot_title} ({c.holder_name or 'titulaire à renseigner'})"


# ---------------------------------------------------------------- commitments
with commitments_tab:
    if items:
        st.dataframe(_french(progress_frame(items)), hide_index=True, width="stretch")
    else:
        st.info("Aucun engagement suivi pour le moment." + (
            " Suivez les lots d'une consultation analysée ou saisissez un engagement ci-dessous." if may_create else
            " Les acheteurs qui vous désignent comme facilitateur d'un lot le font apparaître ici."
            if permissions(user).follows_as_facilitator else ""))
    if may_create:
        facilitators = followup.facilitator_organisations(user)
        choices = [None, *facilitators]

        def _facilitator_name(value):
            return "Aucun facilitateur désigné" if value is None else facilitators[value]

        tenders = [t for t in ws.visible_tenders(user) if t.version]
        with st.expander("Suivre les lots d'une consultation analysée", expanded=not items):
            if not tenders:
                st.caption("Aucune consultation analysée : déposez et analysez un DCE d'abord.")
            else:
                with st.form("suivi-analyse"):
                    chosen = st.selectbox("Consultation", tenders, format_func=lambda t: plain(t.title))
                    start_text = date_field("Début d'exécution", None, key="suivi-analyse-debut")
                    holder = st.text_input("Titulaire (raison sociale)")
                    siret = st.text_input("SIRET du titulaire")
                    facilitator = st.selectbox("Facilitateur de la clause", choices, format_func=_facilitator_name)
                    st.caption("Heures (par an ou au total), durée, lieu et métier sont repris de l'analyse examinée ; "
                               "la pénalité par heure non réalisée est cherchée dans les pièces, avec son article.")
                    go = st.form_submit_button("Suivre les lots à clause d'insertion", type="primary")
                if go:
                    try:
                        start = french_date(start_text)
                        if start is None:
                            raise ProcureError("Indiquez la date de début d'exécution du marché.")
                        made = followup.commitments_from_analysis(user, chosen.id, start, holder_name=holder,
                                                                  holder_siret=siret or None,
                                                                  facilitator_organisation_id=facilitator)
                    except (ProcureError, AccessDenied, ValueError) as problem:
                        st.error(getattr(problem, "message_fr", None) or str(problem))
                    else:
                        for view in made.created:
                            st.success(plain(f"Lot suivi : {view.commitment.key} — {view.commitment.lot_title}"))
                        for reason in made.skipped:
                            st.info(plain(reason))
                        if made.created:
                            st.rerun()
        with st.expander("Saisir un engagement à la main"):
            with st.form("suivi-main", clear_on_submit=False):
                left, right = st.columns(2)
                key = left.text_input("Référence du lot (citée par les relevés)", placeholder="2026-014/lot2")
                title = right.text_input("Intitulé du lot")
                holder = left.text_input("Titulaire (raison sociale)", key="suivi-main-titulaire")
                siret = right.text_input("SIRET du titulaire", key="suivi-main-siret")
                start_text = date_field("Début d'exécution", None, key="suivi-main-debut")
                duration = right.number_input("Durée initiale (mois)", min_value=1, max_value=240, value=12)
                per_year = left.number_input("Heures d'insertion par an", min_value=0.0, step=10.0, value=0.0)
                total = right.number_input("ou heures au total", min_value=0.0, step=10.0, value=0.0)
                penalty = left.text_input("Pénalité par heure non réalisée (€)", placeholder="100")
                department = right.text_input("Département du lieu d'exécution", placeholder="94")
                facilitator = left.selectbox("Facilitateur de la clause", choices, format_func=_facilitator_name,
                                             key="suivi-main-facilitateur")
                evidence = st.text_input("Article du marché (preuve)", placeholder="CCAP, article 9")
                go = st.form_submit_button("Enregistrer l'engagement", type="primary")
            if go:
                try:
                    start = french_date(start_text)
                    if start is None:
                        raise ProcureError("Indiquez la date de début d'exécution du marché.")
                    followup.create_commitment(
                        user, key=key, lot_title=title, start=start, duration_months=int(duration),
                        holder_name=holder, holder_siret=siret or None, hours_per_year=per_year or None,
                        hours_total=total or None, penalty_per_hour=penalty or None, department=department or None,
                        facilitator_organisation_id=facilitator, evidence=evidence or None)
                except (ProcureError, AccessDenied, ValueError) as problem:
                    st.error(getattr(problem, "message_fr", None) or str(problem))
                else:
                    st.success(plain(f"Engagement « {key} » enregistré."))
                    st.rerun()

    if views:
        st.subheader("Détail d'un engagement")
        selected = st.selectbox("Engagement", views, format_func=lambda v: plain(_label(v)), key="suivi-detail")
        state = dict((view.id, p) for view, p in items)[selected.id]
        c = selected.commitment
        first, second, third, fourth = st.columns(4)
        first.metric("Dues à ce jour", f"{format_int(state.due_to_date)} h")
        second.metric("Réalisées", f"{format_int(state.done)} h")
        third.metric("Écart", f"{format_int(state.gap)} h")
        fourth.metric("Projection fin de marché", f"{format_int(state.projection_contract_end)} h"
                      if state.projection_contract_end is not None else "—")
        if c.evidence:
            st.caption(plain(f"Preuve : {c.evidence}"))
        if state.years:
            st.dataframe([{"Année du marché": y.index, "Du": y.start.strftime("%d/%m/%Y"),
                           "Au": (y.end - timedelta(days=1)).strftime("%d/%m/%Y"),
                           "Heures dues sur l'année": format_int(y.due), "Dues à ce jour": format_int(y.due_to_date),
                           "Réalisées": format_int(y.done),
                           "Projection": format_int(y.projection) if y.projection is not None else "—"}
                          for y in state.years], hide_index=True, width="stretch")
        if selected.can_edit:
            with st.expander("Modifier l'engagement (titulaire, reconductions, pénalité, facilitateur)"):
                with st.form(f"suivi-modifier-{selected.id}"):
                    holder = st.text_input("Titulaire", value=c.holder_name)
                    siret = st.text_input("SIRET du titulaire", value=c.holder_siret or "")
                    renewals = st.text_input("Reconductions décidées (mois, séparés par des virgules)",
                                             value=", ".join(str(m) for m in c.renewals_months))
                    penalty = st.text_input("Pénalité par heure non réalisée (€)",
                                            value=format_number(c.penalty_per_hour, 2)
                                            if c.penalty_per_hour is not None else "")
                    facilitators = followup.facilitator_organisations(user)
                    options = [None, *facilitators]
                    facilitator = st.selectbox(
                        "Facilitateur de la clause", options,
                        index=options.index(selected.facilitator_organisation_id)
                        if selected.facilitator_organisation_id in options else 0,
                        format_func=lambda v: "Aucun facilitateur désigné" if v is None else facilitators[v])
                    go = st.form_submit_button("Enregistrer les modifications")
                if go:
                    try:
                        months = [int(m) for m in renewals.replace(";", ",").split(",") if m.strip()]
                        followup.edit_commitment(user, selected.id, selected.version, holder_name=holder,
                                                 holder_siret=siret or None, renewals_months=months,
                                                 penalty_per_hour=penalty.replace("\u202f", "").replace(" ", "")
                                                 or None, facilitator_organisation_id=facilitator)
                    except ValueError:
                        st.error("Reconductions : indiquez des nombres de mois (p. ex. 12, 12).")
                    except (ProcureError, AccessDenied, CommitmentConflict) as problem:
                        st.error(getattr(problem, "message_fr", None) or str(problem))
                    else:
                        st.success("Engagement modifié.")
                        st.rerun()
        with st.expander("Historique (relevés, corrections, modifications)"):
            for event in followup.history(user, selected.id):
                month = f" de {event['month']:%m/%Y}" if event["month"] else ""
                source = f" ({event['source']})" if event["source"] else ""
                st.caption(plain(f"{event['when']:%d/%m/%Y %H:%M} — {event['who']} {event['action_label']}{month}"
                                 f"{source}"))

# ---------------------------------------------------------------- statements
with statements_tab:
    st.caption("Le facilitateur remplit le modèle chaque mois (une ligne par lot et par mois) ou importe son propre "
               "export en indiquant ses colonnes. Réimporter un fichier ne crée pas de doublon ; une case vide ou à "
               "zéro ne remplace jamais un chiffre déjà enregistré.")
    csv_column, xlsx_column = st.columns(2)
    csv_column.download_button("Télécharger le modèle (CSV)", template_bytes("csv"), file_name="releve_mensuel.csv",
                               mime="text/csv")
    xlsx_column.download_button("Télécharger le modèle (XLSX)", template_bytes("xlsx"),
                                file_name="releve_mensuel.xlsx", mime=XLSX)
    if not enterable:
        st.info("Aucun lot dont vous saisissez les relevés.")
    else:
        upload = st.file_uploader("Relevé mensuel (CSV ou XLSX)", type=["csv", "xlsx"], key="suivi-fichier")
        if upload is not None:
            content = upload.getvalue()
            fields = template_fields()
            try:
                columns = file_columns(content, upload.name)
            except ProcureError as problem:
                st.error(problem.message_fr)
                columns = None
            if columns is not None:
                folded = {column.casefold().strip() for column in columns}
                as_template = all(fields[f].casefold() in folded for f in ("key", "month"))
                mapping: dict[str, str] = {}
                with st.expander("Correspondance des colonnes", expanded=not as_template):
                    if as_template:
                        st.caption("Les colonnes du modèle sont reconnues ; indiquez-en d'autres seulement si votre "
                                   "fichier les nomme autrement.")
                    else:
                        st.caption("Ce fichier n'a pas les colonnes du modèle : indiquez pour chaque donnée la colonne "
                                   "de votre fichier qui la contient.")
                    options = [NOT_MAPPED, *columns]
                    halves = st.columns(2)
                    for index, (field_id, label) in enumerate(fields.items()):
                        default = next((c for c in columns if c.casefold().strip() == label.casefold()), NOT_MAPPED)
                        picked = halves[index % 2].selectbox(label, options, index=options.index(default),
                                                             key=f"suivi-map-{field_id}")
                        if picked != NOT_MAPPED and picked != default:
                            mapping[field_id] = picked
                if st.button("Importer le relevé", type="primary"):
                    try:
                        outcome = followup.import_statements(user, content, upload.name, mapping or None, today)
                    except (ProcureError, AccessDenied) as problem:
                        st.error(getattr(problem, "message_fr", None) or str(problem))
                    else:
                        st.success(plain(outcome.summary_fr()))
                        for problem in outcome.problems:
                            st.warning(plain(f"Ligne {problem.row} : {problem.message_fr}"))
                        for kept in outcome.kept:
                            st.caption(plain(kept))

        st.subheader("Saisir un relevé")
        with st.form("suivi-saisie"):
            chosen = st.selectbox("Lot", enterable, format_func=lambda v: plain(_label(v)))
            month_text = st.text_input("Mois (MM/AAAA)", value=today.strftime("%m/%Y"))
            st.caption("Heures réalisées dans le mois, par modalité (0 pour corriger un chiffre à zéro ; vide : "
                       "inchangé).")
            hour_columns = st.columns(len(Route))
            hours = {route.value: hour_columns[i].number_input(route.label, min_value=0.0, step=1.0, value=None)
                     for i, route in enumerate(Route)}
            with st.expander("Participants et contrats de travail du mois (nombres seulement)"):
                people = {c.value: st.number_input(c.label, min_value=0, step=1, value=None, key=f"p-{c.value}")
                          for c in PublicCategory}
                contracts = {k.value: st.number_input(k.label, min_value=0, step=1, value=None, key=f"c-{k.value}")
                             for k in ContractType}
            go = st.form_submit_button("Enregistrer le relevé", type="primary")
        if go:
            try:
                month_value = french_date(f"01/{month_text.strip()}")
                outcome = followup.enter_statement(user, chosen.id, month_value, hours, people, contracts, today=today)
            except ValueError:
                st.error(f"Mois « {plain(month_text)} » illisible : attendu MM/AAAA (par exemple 03/2026).")
            except (ProcureError, AccessDenied) as problem:
                st.error(getattr(problem, "message_fr", None) or str(problem))
            else:
                st.success(plain(outcome.summary_fr()))

# ---------------------------------------------------------------- alerts
with alerts_tab:
    by = st.radio("Regrouper par", ["acheteur", "titulaire"], horizontal=True, key="suivi-alertes-par")
    grouped = followup.alerts(user, today)["buyer" if by == "acheteur" else "holder"]
    found = [alert for alerts in grouped.values() for alert in alerts]
    if not found:
        st.success(f"Aucune alerte au {today:%d/%m/%Y}.")
    else:
        exposure = sum((a.exposure_eur for a in found if a.exposure_eur), start=0)
        left, right = st.columns(2)
        left.metric("Alertes", format_int(len(found)))
        right.metric("Pénalités encourues ou dues", format_euros(exposure) if exposure else "—")
        for group, alerts in grouped.items():
            st.subheader(plain(group))
            for alert in alerts:
                text = plain(f"{alert.kind.label} — {alert.message}")
                (st.error if alert.exposure_eur else st.warning)(text)

# ---------------------------------------------------------------- yearly report
with report_tab:
    left, middle, right = st.columns(3)
    year = left.number_input("Année", min_value=2000, max_value=2100, value=today.year, step=1, key="suivi-annee")
    territory = middle.text_input("Territoire", key="suivi-territoire", placeholder="94, ou SIREN d'un EPCI")
    middle.caption("Département (94) ou EPCI (SIREN) ; vide : tous les lots que vous suivez.")
    groupings = {"buyer": "Acheteur", "department": "Département", "epci": "EPCI"}
    group_by = right.selectbox("Par", list(groupings), format_func=groupings.get, key="suivi-par")
    rows = followup.consolidation(user, int(year), territory.strip() or None, group_by)
    if not rows:
        st.info(f"Aucun marché à clause suivi en {int(year)} pour ces critères.")
    else:
        whole = rows[0]
        cells = st.columns(5)
        cells[0].metric("Marchés à clause", format_int(whole.contracts))
        cells[1].metric("Heures réalisées", format_int(whole.hours_done))
        cells[2].metric("Équivalents temps plein", format_number(whole.fte, 1))
        cells[3].metric("Participants", format_int(whole.participants_total))
        cells[4].metric("Contrats de travail", format_int(whole.work_contracts_total))
        st.caption(f"ETP : {format_int(whole.fte_hours)} heures par an ({plain(whole.fte_source)}) ; heures dues sur "
                   f"l'année : {format_int(whole.hours_due)}.")
        frames = consolidation_frames(rows)
        charts = st.columns(2)
        for index, (name, label, value, title) in enumerate((
                ("routes", "Modalité", "Heures", "Heures par modalité"),
                ("trades", "Métier", "Heures", "Heures par métier"),
                ("publics", "Public", "Participants", "Participants par public"),
                ("contracts", "Contrat", "Contrats", "Contrats de travail par type"))):
            frame = frames[name]
            column = charts[index % 2]
            column.caption(title)
            if frame.empty or not frame[value].sum():
                column.caption("Rien de déclaré pour cette année.")
                continue
            chart = alt.Chart(frame).mark_bar().encode(
                y=alt.Y(f"{label}:N", sort=None, title=None, axis=alt.Axis(labelLimit=300, labelOverlap=False)),
                x=alt.X(f"{value}:Q", title=value, axis=alt.Axis(format="d", tickMinStep=1)),
                tooltip=[alt.Tooltip(f"{label}:N"), alt.Tooltip(f"{value}:Q", format="d")])
            height = max(30 * len(frame), 90)
            column.altair_chart(chart.properties(height=height), width="stretch", height=height + 60)
        st.dataframe(_french(frames["groups"]), hide_index=True, width="stretch")
        wanted = (int(year), territory.strip(), group_by)
        if st.button("Préparer le bilan Word et XLSX"):
            with tempfile.TemporaryDirectory() as folder:
                word = followup.export_consolidation(user, int(year), Path(folder) / "bilan.docx",
                                                     territory.strip() or None, group_by).read_bytes()
                sheet = followup.export_consolidation(user, int(year), Path(folder) / "bilan.xlsx",
                                                      territory.strip() or None, group_by).read_bytes()
            st.session_state["suivi-bilan"] = (wanted, word, sheet)
        prepared = st.session_state.get("suivi-bilan")
        if prepared and prepared[0] == wanted:
            word_column, xlsx_column = st.columns(2)
            word_column.download_button("Télécharger le bilan (Word)", prepared[1],
                                        file_name=f"bilan-clauses-{int(year)}.docx", mime=DOCX)
            xlsx_column.download_button("Télécharger le bilan (XLSX)", prepared[2],
                                        file_name=f"bilan-clauses-{int(year)}.xlsx", mime=XLSX)
