"""The one error type of the library: whatever goes wrong with a user's input ends as a French message."""
from __future__ import annotations


class ProcureError(Exception):
    """An expected failure (bad file, bad value, limit reached); `message_fr` is shown to the user as is."""

    def __init__(self, message_fr: str):
        super().__init__(message_fr)
        self.message_fr = message_fr

    def __str__(self) -> str:
        return self.message_fr
