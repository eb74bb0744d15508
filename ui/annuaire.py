import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from procure.errors import ProcureError
from procure.outputs.format_fr import format_date, format_int
from procure.service.app_views import KIND_LABELS_FR, directory_overview, import_directory_file
from procure.service.workspace import AccessDenied
from ui.common import current_user, date_field, french_date, workspace

# French words for the import report (the library keeps codes).
ROW_STATUS_FR = {"added": "ajoutée", "updated": "mise à jour", "unchanged": "inchangée", "rejected": "refusée",
                 "warning": "importée avec avertissement"}
FIELD_LABELS_FR = {"name": "Raison sociale", "kinds": "Types", "naf": "NAF", "address": "Adresse", "commune_insee": "Commune",
                   "activities": "Activités", "headcount": "Effectif"}

user = current_user()
ws = workspace()
st.title("Annuaire des structures inclusives")
overview = directory_overview(ws)
formats_fr = ws.directory_formats() | {"ancien": "import antérieur", "direct": "ajout direct"}

# ---------------------------------------------------------------- what the directory really holds
first, second, third = st.columns(3)
first.metric("Structures réelles", format_int(overview.real))
second.metric("Structures fictives (démonstration)", format_int(overview.fictitious))
source_counts = ws.supplier_source_counts()  # one line per imported file, with its own date
third.metric("Sources importées", format_int(len([s for s in source_counts if not s.demo])))
if overview.fictitious and not overview.real:
    st.warning("Annuaire de démonstration : toutes les structures sont FICTIVES. Importez la liste officielle de "
               "votre territoire avant de vous en servir pour un marché.")
elif overview.fictitious:
    st.warning(f"L'annuaire mélange {format_int(overview.real)} structure(s) réelle(s) et "
               f"{format_int(overview.fictitious)} structure(s) fictive(s) de démonstration, marquées « fictive ». "
               "Un administrateur peut retirer les structures fictives ci-dessous.")
if source_counts:
    st.dataframe(pd.DataFrame([{"Source": s.source, "Format": formats_fr.get(s.format, s.format),
                                "Date des données": format_date(s.source_date, missing="non datée"),
                                "Structures": s.count, "Nature": "fictive (démonstration)" if s.demo else "réelle"}
                               for s in source_counts]), hide_index=True, width="stretch")

# ---------------------------------------------------------------- search
st.header("Rechercher")
left, right, demo_column = st.columns([3, 1, 1])
kinds = left.multiselect("Types de structure", sorted(KIND_LABELS_FR), format_func=lambda k: f"{k} — {KIND_LABELS_FR[k]}",
                         placeholder="Tous les types")
department = right.text_input("Département (code)", max_chars=3, placeholder="p. ex. 38")
hide_demo = demo_column.toggle("Masquer les fictives", value=bool(overview.real))
conflicts = ws.supplier_kind_conflicts()
rows = [s for s in overview.suppliers if (not kinds or set(kinds) & set(s.kinds))
        and (not department or s.department == department.strip().upper().zfill(2))
        and not (hide_demo and s.demo)]
st.caption(f"{format_int(len(rows))} structure(s) affichée(s) sur {format_int(len(overview.suppliers))}")
st.dataframe(pd.DataFrame([{"SIRET": s.siret, "Nom": s.name, "Types": ", ".join(s.kinds),
                            "Désaccord de type": "oui" if s.siret in conflicts else "", "NAF": s.naf or "",
                            "Activité": s.naf_label or "", "Commune": s.commune_name or "commune inconnue",
                            "Département": s.department or "", "Effectif": format_int(s.headcount, missing="inconnu"),
                            "Source": s.source, "Fictive": "oui" if s.demo else "non"} for s in rows[:5000]]),
             hide_index=True, width="stretch")
if len(rows) > 5000:
    st.caption("Seules les 5 000 premières structures sont affichées : précisez le type ou le département.")

# ---------------------------------------------------------------- sources side by side
if conflicts:
    st.subheader("Types en désaccord entre sources")
    st.caption("Ces structures sont rangées sous chacun des types que leurs sources donnent : vérifiez lequel est le "
               "bon avant de vous en servir pour un marché réservé.")
    names = {s.siret: s.name for s in overview.suppliers}
    st.dataframe(pd.DataFrame([{"SIRET": siret, "Nom": names.get(siret, ""), "Ce que dit chaque source": text}
                               for siret, text in list(conflicts.items())[:2000]]), hide_index=True, width="stretch")

st.subheader("D'où vient chaque donnée d'une structure")
wanted = st.text_input("SIRET de la structure", max_chars=20, placeholder="14 chiffres, p. ex. 40046135600133")
if wanted.strip():
    merged, sources = ws.supplier_sources("".join(wanted.split()))
    if merged is None:
        st.info("Aucune structure de l'annuaire n'a ce SIRET.")
    else:
        shown = {"kinds": ", ".join(merged.values["kinds"].split(",")),
                 "commune_insee": merged.values.get("commune_name") or merged.values.get("commune_insee")}
        st.dataframe(pd.DataFrame([{"Donnée": label, "Valeur retenue": shown.get(key, merged.values.get(key)) or "",
                                    "Source": merged.provenance.get(key, "")}
                                   for key, label in FIELD_LABELS_FR.items()]).astype(str), hide_index=True, width="stretch")
        if merged.kind_conflict:
            st.warning(f"Les sources ne s'accordent pas sur le type : {merged.kind_conflict}.")
        st.caption("Ce que dit chaque fichier importé, du plus ancien au plus récent :")
        st.dataframe(pd.DataFrame([{"Source": v.source, "Format": v.format, "Date des données": format_date(v.source_date, missing="non datée"),
                                    "Raison sociale": v.name or "", "Types": ", ".join(v.kinds), "NAF": v.naf or "",
                                    "Commune": v.commune_name or "", "Activités": (v.activities or "")[:200],
                                    "Effectif": format_int(v.headcount, missing=""),
                                    "Autres informations": ", ".join(f"{k} : {val}" for k, val in v.details.items())}
                                   for v in sources]).astype(str), hide_index=True, width="stretch")

if not ws.can_manage_directory(user):
    st.caption("Les imports et le retrait des structures fictives sont réservés aux administrateurs.")
    st.stop()

# ---------------------------------------------------------------- administration of the directory
if overview.fictitious:
    st.header("Structures fictives de démonstration")
    st.write(f"{format_int(overview.fictitious)} structure(s) fictive(s) apparaissent dans les appariements, les annexes "
             "et les guides tant qu'elles ne sont pas retirées.")
    if st.button("Retirer les structures fictives de démonstration", icon=":material/delete:"):
        try:
            removed = ws.remove_demo_suppliers(user)
        except AccessDenied as denied:
            st.error(str(denied))
        else:
            st.session_state["directory-notice"] = (f"{format_int(removed)} structure(s) fictive(s) retirée(s). "
                                                    "Relancez l'analyse des consultations pour mettre à jour leurs "
                                                    "appariements.")
            st.rerun()
if "directory-notice" in st.session_state:
    st.success(st.session_state.pop("directory-notice"))

st.header("Importer des structures")
with st.form("import"):
    formats = {code: label for code, label in ws.directory_formats().items() if code not in ("mapping", "marche-inclusion")}
    chosen = st.selectbox("Format", list(formats), format_func=formats.get)
    source_date = date_field("Date des données (date de l'extraction, facultative)", None, key="import-date")
    st.caption("Fichier CSV (ou .csv.gz), Excel (.xlsx) ou JSON, 200 Mo au plus : glissez-le dans le cadre ou cliquez "
               "sur « Parcourir ». Annuaire des entreprises, extraction FINESS, marché de l'inclusion, data·inclusion "
               "ou liste ASP : le format est reconnu d'après l'en-tête. Une structure déjà connue garde ce que ses "
               "autres sources disent ; un fichier plus pauvre n'efface rien.")
    upload = st.file_uploader("Fichier CSV, XLSX ou JSON")  # the importer refuses other files with a French reason
    submitted = st.form_submit_button("Importer", type="primary")
if submitted and not upload:
    st.error("Choisissez d'abord le fichier à importer.")
if submitted and upload:
    try:
        source_date = french_date(source_date)
    except ValueError as problem:
        st.error(f"Import impossible : {problem}.")
        st.stop()
    with st.spinner(f"Import de {upload.name}…"), tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"import{''.join(Path(upload.name).suffixes[-2:]).lower()[:12]}"  # the user's name may not fit on disk
        path.write_bytes(upload.getvalue())
        try:
            report = import_directory_file(ws, user, path, chosen, upload.name,
                                           source_date)
        except (ProcureError, ValueError, KeyError, OSError, AccessDenied) as problem:  # ProcureError: French message
            st.error(f"Import impossible : {problem}")
            st.stop()
    st.success(report.summary_fr())
    issues = [r for r in report.rows if r.status in ("rejected", "warning")]
    if issues:
        st.dataframe(pd.DataFrame([{"Ligne": r.line, "SIRET": r.siret, "Statut": ROW_STATUS_FR.get(r.status, r.status),
                                    "Motif": r.reason} for r in issues]), hide_index=True, width="stretch")
    st.button("Actualiser l'annuaire", icon=":material/refresh:")
