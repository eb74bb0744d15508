"""User and document texts shown as text, never as Markdown or links (issue 26, D8).

Rendered with a CommonMark parser (markdown-it-py), and checked against the patterns GFM's autolink literal
uses after parsing (mdast-util-gfm-autolink-literal, the plugin of Streamlit's front end).
"""

import re
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from procure.service.workspace import SYSTEM, Workspace

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the app's ui package, as Streamlit finds it
from ui.common import WORD_JOINER, plain  # noqa: E402

HOSTILE = [
    "Mairie ![i](http://127.0.0.1:9/p.png) **GRAS** www.example.org",
    "**GRAS** [clic](javascript:alert(1)) :red[rouge] $x^2$ <img src=x onerror=alert(1)>",
    "Gros œuvre www.example.org http://127.0.0.1:9/x contact@mairie.fr",
    "Le lot 3 (=HYPERLINK(\"http://127.0.0.1:9\";\"x\"))",
    "- liste\n1. numéro\n> citation\n# titre",
    "Vitry-sur-Seine (94) \u202egpj.exe",
]
# The three finders of mdast-util-gfm-autolink-literal, applied to text nodes once escapes are resolved.
GFM_AUTOLINKS = [
    re.compile(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.IGNORECASE),
    re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)"),
]
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def _text_nodes(markdown: str) -> list[str]:
    tokens = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(markdown)
    return [child.content for token in tokens if token.children for child in token.children if child.type == "text"]


@pytest.mark.parametrize("text", HOSTILE)
def test_plain_text_renders_as_the_same_text_without_markup_or_links(text):
    html = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(plain(text))
    assert not re.search(r"<(strong|em|img|a|h\d|ul|ol|li|blockquote|code|script)\b", html)
    for node in _text_nodes(plain(text)):
        assert not any(finder.search(node) for finder in GFM_AUTOLINKS), node
    seen = _ESCAPE.sub(r"\1", plain(text)).replace(WORD_JOINER, "")
    assert seen == text.replace("\u202e", "")  # the reader sees the text itself, minus the reversal


def test_the_unescaped_text_would_have_been_a_link():
    """The finders do match the raw texts: the test above can fail."""
    assert all(any(f.search(HOSTILE[i]) for f in GFM_AUTOLINKS) for i in (0, 2, 3))


def test_sidebar_shows_names_as_text(tmp_path, monkeypatch):
    monkeypatch.setenv("PROCURE_DATABASE_URL", f"sqlite:///{tmp_path / 'app.sqlite'}")
    from procure.db import get_engine, session_factory

    ws = Workspace(session_factory(get_engine()))
    organisation = ws.create_organisation(HOSTILE[0], actor=SYSTEM)
    ws.create_user("b@x.fr", "motdepasse-solide", HOSTILE[1], "buyer", organisation, actor=SYSTEM)
    test = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=60)
    test.session_state["user"] = ws.authenticate("b@x.fr", "motdepasse-solide")
    test.run()
    assert not test.exception
    captions = [c.value for c in test.sidebar.caption]
    assert f"Connecté : {plain(HOSTILE[1])}" in captions and plain(HOSTILE[0]) in captions
    for caption in captions:
        html = MarkdownIt("commonmark").render(caption)
        assert "<img" not in html and "<strong" not in html and "<a " not in html
