"""The one error type of the library: whatever goes wrong with a user's input ends as a French message."""
from __future__ import annotations

from pathlib import Path


class ProcureError(Exception):
    """An expected failure (bad file, bad value, limit reached); `message_fr` is shown to the user as is."""

    def __init__(self, message_fr: str):
        super().__init__(message_fr)
        self.message_fr = message_fr

    def __str__(self) -> str:
        return self.message_fr


def shown(value: object, width: int = 40) -> str:
    """A value quoted in a French message: printable and short."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(value))
    return text if len(text) <= width else text[:width] + "…"


def input_file_size(path: Path) -> int:
    """The size of a file a user gives to an import, or a French error: a folder, a missing file, a NUL in
    the name, an empty file."""
    try:
        if path.is_dir():
            raise ProcureError(f"« {shown(path.name)} » est un dossier, pas un fichier.")
        size = path.stat().st_size
    except ValueError as exc:
        raise ProcureError("Nom de fichier invalide (caractère nul).") from exc
    except OSError as exc:
        raise ProcureError(f"Fichier « {shown(path.name)} » introuvable ou inaccessible.") from exc
    if size == 0:
        raise ProcureError("Le fichier est vide (0 octet).")
    return size
