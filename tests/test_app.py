from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_app_starts_in_french():
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception
    assert "clauses sociales" in app.title[0].value
