"""The one registry of procure's settings (environment variables), and where procure keeps its own files.

Every `PROCURE_*` variable is declared here with its default and a French help line, and read through
`get()`; the README's configuration table is checked against this registry by tests/project/test_docs.py.
Values are read at each call, never cached, so that tests and long-running apps see a changed environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None  # None: not set, the code falls back to its own behaviour (described in default_fr)
    help_fr: str
    default_fr: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "PROCURE_HOME",
        None,
        "dossier des données de procure (base SQLite, référentiels importés)",
        "`~/.local/share/procure`",
    ),
    Setting(
        "PROCURE_DATABASE_URL",
        None,
        "base partagée, p. ex. `postgresql+psycopg://user@hôte/procure`",
        "SQLite dans `PROCURE_HOME`",
    ),
    Setting(
        "PROCURE_SHARED_DATA",
        None,
        "données de référence (`cpv/`, `siae/`, `decp/`) pour les tests et les imports",
        "`../shared/data` en CI",
    ),
    Setting("PROCURE_CPV_FILE", None, "nomenclature CPV 2008 (CSV) à utiliser directement", "aucune"),
    Setting(
        "PROCURE_DECP_STORE",
        None,
        "dossier du magasin d'analyse des DECP (fichiers Parquet lus par DuckDB pour le tableau de bord)",
        "`decp-parquet/` dans `PROCURE_HOME`",
    ),
    Setting("PROCURE_CLAUSES", None, "autre bibliothèque de clauses et paramètres datés", "`clauses/`"),
    Setting("PROCURE_CACHE", None, "cache de l'index des communes", "`~/.cache/procure`"),
    Setting("PROCURE_TESSERACT", None, "binaire tesseract ; vide pour désactiver l'OCR", "`tesseract` du système"),
    Setting("PROCURE_MAX_FILE_MB", "100", "taille maximale d'un fichier déposé (Mo)", "100 Mo"),
    Setting("PROCURE_MAX_PAGES", "2000", "nombre maximal de pages d'un fichier déposé", "2 000 pages"),
    Setting("PROCURE_LOGIN_MAX_FAILURES", "5", "échecs de connexion tolérés par compte avant blocage temporaire", "5"),
    Setting(
        "PROCURE_LOGIN_MAX_FAILURES_PER_ADDRESS",
        "20",
        "échecs de connexion tolérés par adresse réseau avant blocage temporaire",
        "20",
    ),
    Setting(
        "PROCURE_TRUSTED_PROXY_HEADER",
        None,
        "en-tête posé par le proxy de confiance devant l'application, qui donne l'adresse du client "
        "(p. ex. `X-Forwarded-For`, dernière adresse retenue)",
        "aucun : adresse de la connexion",
    ),
    Setting("PROCURE_LOGIN_LOCK_MINUTES", "15", "durée de la fenêtre de comptage et du blocage (minutes)", "15"),
    Setting(
        "PROCURE_ANALYSIS_LEASE_MINUTES",
        "30",
        "au-delà de cette durée, une analyse interrompue ne bloque plus la consultation",
        "30",
    ),
    Setting(
        "PROCURE_ANALYSIS_WORKERS",
        None,
        "analyses menées en même temps par chaque processus qui analyse (l'application, ou chaque `procure worker`) ; les autres attendent leur tour",
        "nombre de cœurs de la machine",
    ),
    Setting(
        "PROCURE_ANALYSIS_HEARTBEAT_SECONDS",
        "60",
        "une analyse sans nouvelle (page lue, étape franchie) depuis ce nombre de secondes est tenue pour bloquée : "
        "son programme de lecture est arrêté et la consultation libérée",
        "60",
    ),
    Setting(
        "PROCURE_ANALYSIS_IN_APP",
        "1",
        "`0` : les serveurs de l'application ne mènent aucune analyse, elles attendent les processus "
        "`procure worker` (plusieurs serveurs derrière un proxy)",
        "1 : l'application lance elle-même les analyses",
    ),
    Setting(
        "PROCURE_SESSION_SECRET",
        None,
        "clé de signature des sessions (32 caractères au moins), la même pour tous les serveurs de l'application ; "
        "la changer déconnecte tout le monde",
        "fichier `session-secret` créé dans `PROCURE_HOME`",
    ),
    Setting("PROCURE_OCR_DOCUMENT_SECONDS", None, "temps d'OCR permis par document (secondes)", "300"),
    Setting("PROCURE_OCR_MAX_PAGES", "200", "pages scannées lues par OCR dans un même document, au plus", "200"),
    Setting(
        "PROCURE_LOG_LEVEL",
        "INFO",
        "niveau du journal de procure (`DEBUG`, `INFO`, `WARNING`, `ERROR`) ; les erreurs internes y sont toujours "
        "écrites avec leur trace",
        "`INFO`",
    ),
    Setting(
        "PROCURE_LOG_FILE",
        None,
        "fichier où écrire aussi le journal (l'application et `procure worker` l'écrivent sur la sortie d'erreur)",
        "ligne de commande : `procure.log` dans `PROCURE_HOME` ; application : aucun",
    ),
    Setting(
        "PROCURE_WORKER_TEST_FAULT",
        None,
        "tests seulement : fait tomber le programme d'analyse (`segv`, `abort`, `hang`, `exit`) pour vérifier que "
        "l'application y survit",
        "aucun",
    ),
    Setting(
        "PROCURE_TEST_POSTGRES_URL",
        None,
        "serveur PostgreSQL des tests (posé par `make test`)",
        "démarré sur 127.0.0.1:55432",
    ),
)
REGISTRY = {setting.name: setting for setting in SETTINGS}


def raw(name: str) -> str | None:
    """The value as set in the environment, empty string included (None when unset)."""
    _declared(name)
    return os.environ.get(name)


def get(name: str) -> str | None:
    """The configured value, or the registry default when unset or empty."""
    return raw(name) or REGISTRY[name].default


def get_int(name: str) -> int:
    value = get(name)
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} doit être un nombre entier (valeur lue : {value!r})") from None


def get_path(name: str) -> Path | None:
    value = get(name)
    return Path(value).expanduser() if value else None


def _declared(name: str) -> None:
    if name not in REGISTRY:  # a typo would silently read nothing
        raise KeyError(f"paramètre inconnu : {name} (déclarez-le dans procure.settings.SETTINGS)")


def data_home() -> Path:
    path = get_path("PROCURE_HOME") or Path.home() / ".local" / "share" / "procure"
    path.mkdir(parents=True, exist_ok=True)
    return path


def reference_dir() -> Path:
    path = data_home() / "reference"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    path = get_path("PROCURE_CACHE") or Path.home() / ".cache" / "procure"
    path.mkdir(parents=True, exist_ok=True)
    return path


def package_or_checkout_dir(name: str) -> Path:
    """`clauses/` or `models/`: inside the installed package (wheel), else at the root of the checkout.

    The folders stay at the top of the repository, where jurists and maintainers look for them; the wheel maps
    them into `procure/` (see `[tool.setuptools.package-dir]` in pyproject.toml).
    """
    installed = Path(__file__).resolve().parent / name
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[1] / name
