"""Shared helpers of the Streamlit pages: cached resources, the signed-in user, French text and formats."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from procure.outputs.format_fr import format_datetime, format_euros, where_fr
from procure.service.app_views import database_url, open_workspace
from procure.service.workspace import ROLES, UserInfo, Workspace

# The signs that make Markdown (links, images, emphasis, code, HTML, formulas, emoji codes, tables, headings).
_MARKDOWN_SPECIALS = {ord(c): "\\" + c for c in "\\`*_[]<>~$:|#"}
WORD_JOINER = "\u2060"
_AUTOLINK_START = re.compile(r"(?i)(https?|ftp|mailto|www(?=\.)|@)")
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")  # « \u202egpj.exe » would be shown reversed


CHOOSE_FR = "Choisissez…"  # selectbox and multiselect placeholder (Streamlit's is "Choose an option")
# Streamlit writes "No results" in a select's list when the search matches nothing, and offers no parameter for it:
# the text is hidden and French put in its place.
NO_RESULT_CSS = ("<style>"
                 "[role='listbox'][data-empty='true'] [role='option'] span {font-size: 0;}"
                 "[role='listbox'][data-empty='true'] [role='option'] span::after "
                 "{content: 'Aucun résultat'; font-size: 1rem;}"
                 "</style>")


@st.cache_resource(show_spinner=False)
def _workspace(url: str) -> Workspace:
    return open_workspace(url)


def workspace() -> Workspace:
    # Keyed by URL so that a changed PROCURE_DATABASE_URL (or tests) never reuse another database.
    return _workspace(database_url())


def current_user() -> UserInfo:
    user = st.session_state.get("user")
    if user is not None:  # re-read at each page: a deactivated account or a changed role takes effect at once
        user = workspace().refresh(user)
        st.session_state["user"] = user
    if user is None:
        st.session_state.pop("user", None)
        st.warning("Veuillez vous connecter.")
        st.stop()
    return user


def role_label(user: UserInfo) -> str:
    return f"{user.display_name} — {ROLES[user.role]} ({user.organisation})"


def plain(text: object) -> str:
    """Text from a document or a file name, safe inside st.markdown: every Markdown sign is escaped.

    A passage must never become a link, a remote image, a formula ($…$), an emoji code or coloured text.
    """
    escaped = _BIDI_CONTROLS.sub("", str(text)).translate(_MARKDOWN_SPECIALS)
    # GFM turns bare URLs and e-mails into links after the escapes are read: an invisible word joiner breaks
    # the patterns it looks for (« http:// », « www. », « x@y.fr ») without changing what the reader sees.
    escaped = _AUTOLINK_START.sub("\\1" + WORD_JOINER, escaped)
    # A line starting with "-", "+", ">" or "1." would become a list or a quote.
    escaped = re.sub(r"(?m)^(\s*)([-+>])", r"\1\\\2", escaped)
    return re.sub(r"(?m)^(\s*\d+)\.", r"\1\\.", escaped)


def local_datetime(value) -> str:
    """« 01/12/2026 à 23:38 » in the user's time zone (the browser's, else Paris); the database keeps UTC."""
    if not isinstance(value, datetime):
        return format_datetime(value)
    if value.tzinfo is None:  # SQLite returns naive datetimes: they were written in UTC
        value = value.replace(tzinfo=UTC)
    try:
        zone = ZoneInfo(st.context.timezone or "Europe/Paris")
    except (ZoneInfoNotFoundError, TypeError, ValueError):
        zone = ZoneInfo("Europe/Paris")
    return format_datetime(value.astimezone(zone))


def date_field(label: str, value: date | None, key: str) -> str:
    """A date typed as JJ/MM/AAAA (read it with `french_date`): Streamlit's picker opens an English calendar."""
    return st.text_input(f"{label} (JJ/MM/AAAA)", value=value.strftime("%d/%m/%Y") if value else "", key=key,
                         placeholder="JJ/MM/AAAA")


def french_date(text: str) -> date | None:
    """15/07/2026 → date; empty → None; anything else → ValueError with a French message."""
    if not text.strip():
        return None
    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except ValueError:
        raise ValueError(f"« {text.strip()} » n'est pas une date au format JJ/MM/AAAA (par exemple 15/07/2026)") from None


def euros(value: float | None) -> str:
    return format_euros(value, cents=False, tax="HT", missing="—")


def evidence_line(evidence: dict | None, value: object = None) -> str | None:
    """« RC.pdf, p. 3 — « passage » », escaped for Markdown, the value found in bold; None without evidence."""
    if not evidence:
        return None
    where = where_fr(evidence, quote=False)  # a Word file has no page: the quoted passage is how to find it
    passage = _whole_words(str(evidence.get("passage") or ""))
    found = passage.lower().find(str(value).lower()) if value not in (None, "") and len(str(value)) >= 3 else -1
    if found < 0:
        return plain(f"{where} — « {passage} »")
    end = found + len(str(value))
    return (plain(f"{where} — « {passage[:found]}") + "**" + plain(passage[found:end]) + "**"
            + plain(f"{passage[end:]} »"))


def _whole_words(passage: str) -> str:
    """A passage cut out of a longer text starts and ends on whole words, with « … » where it was cut."""
    text = " ".join(passage.split())
    if len(text) < 100:  # a short passage is a whole paragraph or cell
        return text
    if not (text[:1].isupper() or text[:1].isdigit()) and " " in text:
        text = "…" + text.split(" ", 1)[1]
    if text[-1:] not in ".;:!?»)" and " " in text:
        text = text.rsplit(" ", 1)[0] + "…"
    return text
