"""DECP imports of any size (the national file included) for the import page: streamed into the database and the
Parquet analysis store, with progress, a French line per record set aside, nothing written when the file fails."""
from __future__ import annotations

import logging
from pathlib import Path

from procure.service.access import ADMIN_ONLY_FR, require
from procure.service.app_views import ImportProgress, ImportResult

log = logging.getLogger("procure.admin")


def import_decp_streamed(workspace, actor, path: Path, filename: str | None = None,
                         progress: ImportProgress | None = None) -> ImportResult:
    """Import a DECP export (consolidated decp.csv or Parquet of data.gouv.fr, flat CSV of 2019, .gz, JSON of the
    2022/2024 format) as `procure decp import` does. Idempotent: a contract already stored is counted unchanged."""
    from procure.errors import ProcureError
    from procure.market.decp import import_decp

    require(workspace.can_import_reference_data(actor), ADMIN_ONLY_FR)
    result = ImportResult(filename or Path(path).name)
    report = progress or (lambda fraction, text: None)
    report(0.0, f"Lecture de {result.filename}…")
    try:
        imported = import_decp(Path(path), workspace.sessions, progress=report)
    except ProcureError as error:
        result.error = f"export DECP illisible, rien n'a été importé : {error.message_fr}"
        return result
    except Exception:  # a reader bug must not reach the page; the log keeps it
        log.exception("DECP import of %s", result.filename)
        result.error = ("export DECP illisible, rien n'a été importé : ni un decp.csv ou Parquet consolidé, ni un CSV "
                        "DECP aplati 2019, ni un JSON DECP (vérifiez le fichier ; l'erreur est notée dans le journal du "
                        "serveur)")
        return result
    result.problems = list(imported.problems)
    result.added, result.unchanged = imported.added, imported.unchanged
    if imported.stats.kept == 0:
        result.error = (f"aucun marché n'a pu être importé : {imported.records} marché(s) dans le fichier, aucun n'est "
                        "utilisable (détail ci-dessous)")
        return result
    report(1.0, f"{result.filename} : terminé")
    log.info("DECP import of %s by %s: %s added, %s unchanged, %s set aside", result.filename, actor.email,
             result.added, result.unchanged, len(result.problems))
    return result
