"""Imports of reference data by an administrator: DECP contracts (past awards, buying practice) and the CPV
nomenclature, as `procure decp import` and `procure reference import-cpv` do, with progress and a French result
per file."""
import tempfile
from pathlib import Path

import streamlit as st

from procure.outputs.format_fr import format_int
from procure.service.app_views import import_cpv_file, reference_status
from procure.service.decp_imports import import_decp_streamed
from procure.service.workspace import AccessDenied
from ui.common import current_user, plain, workspace

MAX_LISTED = 30

user = current_user()
ws = workspace()
st.title("Imports de données de référence")
if not ws.can_import_reference_data(user):
    st.error("Accès réservé aux administrateurs.")
    st.stop()


def _saved(upload, folder: Path) -> Path:
    """The upload on disk under its own name: the reader chooses the format from the extension (.json, .csv, .gz)."""
    path = folder / Path(upload.name).name
    path.write_bytes(upload.getvalue())
    return path


def _problems(result) -> None:
    if result.problems:
        with st.expander(f"{format_int(len(result.problems))} valeur(s) ou marché(s) écarté(s) : le détail"):
            st.text("\n".join(result.problems[:MAX_LISTED]))
            if len(result.problems) > MAX_LISTED:
                st.caption(f"… et {format_int(len(result.problems) - MAX_LISTED)} autre(s).")


summary = st.container()  # filled at the end, so that it counts what this run imported

# ---------------------------------------------------------------- DECP
st.header("Marchés publics attribués (DECP)")
st.write("Les données essentielles de la commande publique servent aux marchés comparables proposés dans l'analyse et "
         "au tableau de bord des pratiques d'achat. Formats acceptés : decp.csv consolidé de data.gouv.fr (CSV ou "
         "Parquet, une ligne par marché et titulaire), CSV aplati 2019 (éventuellement compressé en .gz) et JSON DECP "
         "2022/2024. Le fichier est lu par morceaux, quelle que soit sa taille ; un marché déjà importé n'est pas ajouté "
         "deux fois, et un fichier illisible n'importe rien.")
st.caption("Le fichier national (1,5 million de marchés) dépasse souvent la taille d'envoi permise par le navigateur : "
           "importez-le sur le serveur avec « procure decp import decp.parquet » (environ une minute).")
with st.form("import-decp", clear_on_submit=True):
    decp_files = st.file_uploader("Fichiers DECP", accept_multiple_files=True, key="decp-files")
    decp_submitted = st.form_submit_button("Importer les marchés", type="primary")
if decp_submitted:
    if not decp_files:
        st.error("Ajoutez au moins un fichier DECP.")
    with tempfile.TemporaryDirectory() as folder:
        for upload in decp_files or []:
            with st.status(f"Import de {plain(upload.name)}…", expanded=True) as box:
                bar = st.progress(0.0)
                try:
                    result = import_decp_streamed(
                        ws, user, _saved(upload, Path(folder)), upload.name,
                        progress=lambda fraction, text, bar=bar: bar.progress(min(1.0, fraction), text=plain(text)))
                except AccessDenied as refused:
                    box.update(label=str(refused), state="error")
                    st.stop()
                if result.ok:
                    box.update(label=f"{plain(upload.name)} : {format_int(result.added)} marché(s) ajouté(s), "
                                     f"{format_int(result.unchanged)} déjà présent(s)"
                                     + (f", {format_int(len(result.problems))} écarté(s)" if result.problems else ""),
                               state="complete", expanded=bool(result.problems))
                else:
                    box.update(label=f"{plain(upload.name)} : rien n'a été importé", state="error")
                    st.error(plain(f"{upload.name} : {result.error}."))
                _problems(result)

# ---------------------------------------------------------------- CPV
st.header("Nomenclature CPV 2008")
st.write("La nomenclature officielle (règlement (CE) n° 213/2008) permet de vérifier les codes CPV lus dans les "
         "dossiers et d'afficher leur libellé. Format : CSV UTF-8 avec les colonnes « code » (45000000-7) et "
         "« libelle_fr ». Elle remplace la nomenclature importée auparavant.")
with st.form("import-cpv", clear_on_submit=True):
    cpv_file = st.file_uploader("Fichier de la nomenclature (CSV)", key="cpv-file")
    cpv_submitted = st.form_submit_button("Importer la nomenclature", type="primary")
if cpv_submitted:
    if cpv_file is None:
        st.error("Ajoutez le fichier de la nomenclature.")
    else:
        with tempfile.TemporaryDirectory() as folder, st.spinner(f"Import de {plain(cpv_file.name)}…"):
            result = import_cpv_file(ws, user, _saved(cpv_file, Path(folder)), cpv_file.name)
        if result.ok:
            st.success(plain(f"{cpv_file.name} : {format_int(result.added)} codes CPV importés."))
            if result.note:
                st.warning(plain(f"Attention : {result.note}."))
        else:
            st.error(plain(f"{cpv_file.name} : nomenclature non importée, {result.error}."))

status = reference_status(ws)
with summary:
    left, right = st.columns(2)
    left.metric("Marchés publiés (DECP) enregistrés", format_int(status.contracts))
    right.metric("Codes CPV connus", format_int(status.cpv_codes))
    st.caption("Nomenclature CPV lue : " + (plain(status.cpv_source) if status.cpv_source else
                                            "aucune (les codes CPV ne sont pas vérifiés)"))
