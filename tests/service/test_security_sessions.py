"""Sessions revoked on the server and the session secret (issue 26, D5, D6, D7), on SQLite and PostgreSQL."""

import os
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer
from streamlit.testing.v1 import AppTest

from procure import settings
from procure.service import session_token
from procure.service.session_token import (
    SessionSecretUnavailable,
    issue_token,
    revoke_tokens,
    secret_key,
    user_from_token,
)
from procure.service.workspace import SYSTEM, Workspace

PASSWORD = "motdepasse-solide"
APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def accounts(sessions):
    ws = Workspace(sessions)
    organisation = ws.create_organisation("Ville", actor=SYSTEM)
    ws.create_user("a@x.fr", PASSWORD, "A", "admin", organisation, actor=SYSTEM)
    ws.create_user("b@x.fr", PASSWORD, "B", "buyer", organisation, actor=SYSTEM)
    return ws, ws.authenticate("a@x.fr", PASSWORD), ws.authenticate("b@x.fr", PASSWORD)


def test_sign_out_ends_every_copy_of_the_cookie(accounts, sessions):
    ws, _, buyer = accounts
    copied = issue_token(sessions, buyer)  # the cookie, copied before « Se déconnecter »
    assert user_from_token(sessions, copied) == buyer
    revoke_tokens(sessions, buyer.id)
    assert user_from_token(sessions, copied) is None
    fresh = issue_token(sessions, ws.authenticate("b@x.fr", PASSWORD))  # signing in again works
    assert user_from_token(sessions, fresh) == buyer and user_from_token(sessions, copied) is None


def test_reactivation_does_not_revive_old_cookies(accounts, sessions):
    ws, admin, buyer = accounts
    token = issue_token(sessions, buyer)
    ws.set_active(admin, buyer.id, False)
    assert user_from_token(sessions, token) is None
    ws.set_active(admin, buyer.id, True)
    assert user_from_token(sessions, token) is None
    assert user_from_token(sessions, issue_token(sessions, buyer)) == buyer


def test_a_password_change_ends_the_sessions(accounts, sessions):
    ws, admin, buyer = accounts
    token = issue_token(sessions, buyer)
    ws.set_password("b@x.fr", "un autre mot de passe", actor=admin)
    assert user_from_token(sessions, token) is None


def test_an_empty_secret_is_replaced_never_used(accounts, sessions):
    _, _, buyer = accounts
    path = settings.data_home() / "session-secret"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")  # what a full disk or a crash between create and write left behind
    path.chmod(0o644)
    forged = URLSafeTimedSerializer("", salt=session_token._SALT).dumps({"uid": buyer.id, "pw": "x", "tv": 0})
    key = secret_key()
    assert len(key) == 64 and path.read_text() == key
    assert path.stat().st_mode & 0o777 == 0o600
    assert user_from_token(sessions, forged) is None


def test_a_failed_write_leaves_no_key_file(monkeypatch):
    def full_disk(_descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    settings.data_home().mkdir(parents=True, exist_ok=True)
    with pytest.raises(SessionSecretUnavailable, match="ne peut être lu ni créé"):
        secret_key()
    assert list(settings.data_home().iterdir()) == []
    monkeypatch.undo()
    assert len(secret_key()) == 64


def test_an_unreadable_secret_is_a_french_error(sessions):
    (settings.data_home() / "session-secret").mkdir(parents=True)  # stands for a file procure cannot read
    with pytest.raises(SessionSecretUnavailable, match="secret de session"):
        user_from_token(sessions, "a.b.c")


def test_the_app_says_in_french_that_the_secret_is_unreadable(tmp_path, monkeypatch):
    monkeypatch.setenv("PROCURE_DATABASE_URL", f"sqlite:///{tmp_path / 'app.sqlite'}")
    from procure.db import get_engine, session_factory

    ws = Workspace(session_factory(get_engine()))
    ws.create_user("b@x.fr", PASSWORD, "B", "buyer", ws.create_organisation("Ville", actor=SYSTEM), actor=SYSTEM)
    (settings.data_home() / "session-secret").mkdir(parents=True)
    test = AppTest.from_file(APP, default_timeout=60).run()
    test.text_input[0].input("b@x.fr")
    test.text_input[1].input(PASSWORD)
    test.button[0].click().run()
    assert not test.exception
    assert any("clé de session" in e.value for e in test.error)
    assert "user" not in test.session_state or test.session_state["user"] is None


def test_sign_out_in_the_app_revokes_the_token(tmp_path, monkeypatch):
    monkeypatch.setenv("PROCURE_DATABASE_URL", f"sqlite:///{tmp_path / 'app.sqlite'}")
    from procure.db import get_engine, session_factory

    sessions = session_factory(get_engine())
    ws = Workspace(sessions)
    ws.create_user("b@x.fr", PASSWORD, "B", "buyer", ws.create_organisation("Ville", actor=SYSTEM), actor=SYSTEM)
    test = AppTest.from_file(APP, default_timeout=60).run()
    test.text_input[0].input("b@x.fr")
    test.text_input[1].input(PASSWORD)
    test.button[0].click().run()
    token = test.session_state["session_token"]
    assert user_from_token(sessions, token) is not None
    next(b for b in test.sidebar.button if b.label == "Se déconnecter").click().run()
    assert not test.exception
    assert user_from_token(sessions, token) is None  # the copied cookie is refused by the server


def test_migration_0010_keeps_existing_accounts(database_url):
    """An instance upgraded from 0009: its users get token version 0 and can sign in and out."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from procure.db import MIGRATIONS, make_engine, migrate, session_factory

    engine = make_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0009")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO organisations (name, demo) VALUES ('Ville', false)"))
        connection.execute(text(
            "INSERT INTO users (email, display_name, password_hash, role, organisation_id, active) "
            "SELECT 'b@x.fr', 'B', 'x', 'buyer', id, true FROM organisations"))
    migrate(engine)
    sessions = session_factory(engine)
    ws = Workspace(sessions)
    ws.set_password("b@x.fr", PASSWORD, actor=SYSTEM)
    buyer = ws.authenticate("b@x.fr", PASSWORD)
    token = issue_token(sessions, buyer)
    assert user_from_token(sessions, token) == buyer
    revoke_tokens(sessions, buyer.id)
    assert user_from_token(sessions, token) is None
    engine.dispose()
