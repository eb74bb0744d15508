"""The login throttle under simultaneous attempts (issue 26, D2, D9), on SQLite and PostgreSQL."""

import collections
import threading

import pytest

from procure.service.workspace import SYSTEM, LoginThrottled, Workspace

PASSWORD = "motdepasse-solide"


@pytest.fixture
def ws(sessions):
    ws = Workspace(sessions)
    organisation = ws.create_organisation("Ville", actor=SYSTEM)
    ws.create_user("v@x.fr", PASSWORD, "V", "buyer", organisation, actor=SYSTEM)
    return ws


def _at_once(count: int, attempt) -> collections.Counter:
    outcome, gate, lock = collections.Counter(), threading.Barrier(count), threading.Lock()

    def run(i):
        gate.wait()
        try:
            result = "ok" if attempt(i) else "wrong"
        except LoginThrottled:
            result = "throttled"
        with lock:
            outcome[result] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcome


def test_thirty_simultaneous_guesses_check_at_most_five(ws):
    """The review's reproduction: 30 threads, each from its own address, the right password last."""
    outcome = _at_once(
        30, lambda i: ws.authenticate("v@x.fr", PASSWORD if i == 29 else f"faux-{i}-xx", address=f"10.0.0.{i}")
    )
    assert sum(outcome.values()) == 30
    assert outcome["wrong"] + outcome["ok"] <= 5
    assert outcome["throttled"] >= 25
    if outcome["ok"] == 0:  # the right password came after the lock: still refused now
        with pytest.raises(LoginThrottled):
            ws.authenticate("v@x.fr", PASSWORD, address="10.0.1.1")


def test_thirty_simultaneous_wrong_guesses_lock_the_account(ws):
    outcome = _at_once(30, lambda i: ws.authenticate("V@x.fr ", f"faux-{i}-xx", address=f"10.0.0.{i}"))
    assert outcome == {"wrong": 5, "throttled": 25}
    with pytest.raises(LoginThrottled, match="Trop de tentatives"):
        ws.authenticate("v@x.fr", PASSWORD, address="10.0.9.9")


def test_simultaneous_guesses_from_one_address_stop_at_its_limit(ws, monkeypatch):
    monkeypatch.setenv("PROCURE_LOGIN_MAX_FAILURES_PER_ADDRESS", "7")
    outcome = _at_once(30, lambda i: ws.authenticate(f"absent{i}@x.fr", "faux-mot-de-passe", address="203.0.113.7"))
    assert outcome == {"wrong": 7, "throttled": 23}


def test_a_very_long_email_is_counted_like_any_other(ws):
    email = "a" * 240 + "@x.fr"  # longer than any column: the counter keys on a digest
    for _ in range(5):
        assert ws.authenticate(email, "faux-mot-de-passe") is None
    with pytest.raises(LoginThrottled):
        ws.authenticate(email, "faux-mot-de-passe")


def test_client_address_comes_from_the_trusted_proxy_header_only(monkeypatch):
    from procure.service.accounts import client_address

    forged = {"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}
    assert client_address("127.0.0.1", forged) == "127.0.0.1"  # no proxy configured: the header is the client's
    assert client_address(None, None) == "locale"  # a loopback peer still has one counter
    monkeypatch.setenv("PROCURE_TRUSTED_PROXY_HEADER", "x-forwarded-for")
    assert client_address("127.0.0.1", forged) == "203.0.113.7"  # the entry the proxy appended
    assert client_address("127.0.0.1", {}) == "127.0.0.1"


def test_loopback_attempts_share_one_address_limit(ws, monkeypatch):
    from procure.service.accounts import client_address

    monkeypatch.setenv("PROCURE_LOGIN_MAX_FAILURES_PER_ADDRESS", "3")
    for i in range(3):
        assert ws.authenticate(f"absent{i}@x.fr", "faux-mot-de-passe", address=client_address(None, {})) is None
    with pytest.raises(LoginThrottled):
        ws.authenticate("v@x.fr", PASSWORD, address=client_address(None, {}))
