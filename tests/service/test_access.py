"""Access rules on a real database (SQLite and PostgreSQL): every role × every operation, and the holes of issue #11.

The expected matrix is written out by hand from the README's rules, not derived from procure.service.access.
"""

from functools import partial

import pytest
from sqlalchemy import update

import dce
from procure.db.models import LoginAttempts, TenderRow
from procure.directory.demo import demo_suppliers
from procure.directory.suppliers import ASP_SIAE, SupplierRepository
from procure.service import access
from procure.service.schema import Role
from procure.service.workspace import (
    SYSTEM,
    AccessDenied,
    AnalysisConflict,
    LoginThrottled,
    StaleAnalysis,
    Workspace,
)

PASSWORD = "motdepasse-solide"


@pytest.fixture
def world(sessions, tmp_path):
    """Two towns and the working group; town A has one private and one shared analysed tender."""
    SupplierRepository(sessions).upsert(demo_suppliers())
    ws = Workspace(sessions)
    town_a = ws.create_organisation("Ville A", actor=SYSTEM)
    town_b = ws.create_organisation("Ville B", actor=SYSTEM)
    group = ws.create_organisation("Groupe de travail", actor=SYSTEM)
    people = {
        "buyer_a": ("buyer", town_a),
        "buyer_b": ("buyer", town_b),
        "reviewer_a": ("reviewer", town_a),  # a reviewer inside the buyer's own organisation (issue #11)
        "reviewer_g": ("reviewer", group),
        "admin": ("admin", group),
        "former_a": ("buyer", town_a),  # deactivated after signing in
    }
    for name, (role, organisation) in people.items():
        ws.create_user(f"{name}@x.fr", PASSWORD, name, role, organisation, actor=SYSTEM)
    users = {name: ws.authenticate(f"{name}@x.fr", PASSWORD) for name in people}
    tenders = {}
    for kind, shared in (("private", False), ("shared", True)):
        tender_id = ws.create_tender(users["buyer_a"], f"Travaux {kind}", shared)
        folder = tmp_path / kind
        folder.mkdir()
        ws.add_documents(users["buyer_a"], tender_id, [(p.name, p.read_bytes()) for p in dce.works_tender(folder)])
        ws.analyse(users["buyer_a"], tender_id)
        tenders[kind] = tender_id
    ws.set_active(users["admin"], users["former_a"].id, False)
    return ws, users, tenders


# actor -> tender kind -> (see, edit, analyse, review)
EXPECTED = {
    "buyer_a": {"private": "TTTT", "shared": "TTTT"},
    "buyer_b": {"private": "FFFF", "shared": "FFFF"},
    "reviewer_a": {"private": "FFFF", "shared": "TFFT"},
    "reviewer_g": {"private": "FFFF", "shared": "TFFT"},
    "admin": {"private": "TTTT", "shared": "TTTT"},
    "former_a": {"private": "FFFF", "shared": "FFFF"},
}
ADMIN_ONLY = {
    "buyer_a": False,
    "buyer_b": False,
    "reviewer_a": False,
    "reviewer_g": False,
    "admin": True,
    "former_a": False,
}


def allowed(call) -> bool:
    try:
        call()
    except AccessDenied:
        return False
    return True


def observed(ws, admin, user, tender_id) -> str:
    """The four rights as the library grants them, by calling each entry point for real."""
    suggestion = ws.review_items(admin, tender_id)["lots"][0]["suggestions"][0]
    see = all(
        allowed(call)
        for call in (
            lambda: ws.review_items(user, tender_id),
            lambda: ws.documents(user, tender_id),
            lambda: ws.history(user, tender_id),
        )
    )
    if see != (tender_id in {t["id"] for t in _visible(ws, user)}):
        return "listing and reading disagree"
    edit = allowed(lambda: ws.add_documents(user, tender_id, [])) and allowed(
        lambda: ws.set_shared(user, tender_id, _shared(ws, tender_id))
    )
    review = allowed(lambda: ws.review(user, "suggestion", suggestion["id"], "comment", suggestion["version"], "vu"))
    analyse = allowed(lambda: ws.analyse(user, tender_id))
    if see and analyse != ws.can_analyse(user, tender_id):
        return "the UI's permission disagrees with the library"
    return "".join("T" if flag else "F" for flag in (see, edit, analyse, review))


def _visible(ws, user) -> list[dict]:
    try:
        return ws.visible_tenders(user)
    except AccessDenied:
        return []


def _shared(ws, tender_id) -> bool:
    with ws.sessions() as session:
        return session.get(TenderRow, tender_id).shared_with_group


def test_every_role_on_every_kind_of_tender(world):
    ws, users, tenders = world
    found = {
        name: {kind: observed(ws, users["admin"], users[name], tender_id) for kind, tender_id in tenders.items()}
        for name in EXPECTED
    }
    assert found == EXPECTED


def test_analysis_denied_to_those_who_may_only_review(world):
    ws, users, tenders = world
    for name in ("reviewer_a", "reviewer_g"):
        assert ws.permissions(users[name], tenders["shared"]) == {"edit": False, "analyse": False, "review": True}
        with pytest.raises(AccessDenied, match="Seul l'acheteur"):
            ws.analyse(users[name], tenders["shared"])
    with ws.sessions() as session:
        assert session.get(TenderRow, tenders["shared"]).analysis_version == 1


def test_admin_operations_need_an_administrator(world, tmp_path):
    ws, users, _ = world
    source = tmp_path / "siae.csv"  # one real row of the official list
    source.write_text(
        "MESURE,CODE_DEPARTEMENT,LIBELLE_DPT,CODE_POSTAL,COMMUNE,CODE_NAF2,NATURE_JURIDIQUE,SIRET,DENOMINATION_SOCIALE,"
        "NUM_RUE,NOM_RUE,CODE_POST_COM,LIB_COM\nETTI,001,AIN,01500,AMBERIEU EN BUGEY,7820Z,SCOP,41071771400035,"
        "AINTERIM'AIR,62,Avenue DU GEN SARRAIL,01500,AMBERIEU EN BUGEY\n",
        encoding="utf-8",
    )
    for name, expected in ADMIN_ONLY.items():
        user = users[name]
        calls = [
            (ws.users, (user,), {}),
            (ws.create_organisation, (f"Org de {name}",), {"actor": user}),
            (ws.create_user, (f"new-{name}@x.fr", PASSWORD, "Nouveau", "buyer", user.organisation_id), {"actor": user}),
            (ws.set_role, (user, users["buyer_b"].id, "buyer"), {}),
            (ws.set_active, (user, users["buyer_b"].id, True), {}),
            (ws.import_suppliers, (user, source, ASP_SIAE, "essai"), {}),
            (ws.remove_demo_suppliers, (user,), {}),
        ]
        outcomes = [allowed(partial(method, *args, **kwargs)) for method, args, kwargs in calls]
        assert outcomes == [expected] * len(outcomes), name
    with pytest.raises(AccessDenied):  # no acting user at all: refused, never taken as an administrator
        ws.create_organisation("Sans auteur")


def test_sql_visibility_says_what_the_policy_says(world):
    ws, users, _ = world
    for group_shared in (False, True):
        for name, user in users.items():
            if name == "former_a":
                continue
            with ws.sessions() as session:
                rows = session.query(TenderRow).all()
                by_policy = {t.id for t in rows if access.can_see(user, t)}
            assert {t["id"] for t in ws.visible_tenders(user)} == by_policy, (name, group_shared)
        with ws.sessions.begin() as session:
            session.execute(update(TenderRow).values(shared_with_group=not group_shared))


def test_deactivated_or_changed_account_takes_effect_at_once(world):
    ws, users, tenders = world
    assert ws.refresh(users["former_a"]) is None
    with pytest.raises(AccessDenied, match="désactivé"):
        ws.visible_tenders(users["former_a"])
    assert ws.authenticate("former_a@x.fr", PASSWORD) is None
    ws.set_role(users["admin"], users["buyer_a"].id, Role.REVIEWER)
    stale_session = users["buyer_a"]  # still says "buyer"
    assert ws.refresh(stale_session).role == Role.REVIEWER
    with pytest.raises(AccessDenied):
        ws.review_items(stale_session, tenders["private"])


def test_login_throttle_per_account_and_per_address(sessions, monkeypatch):
    ws = Workspace(sessions)
    organisation = ws.create_organisation("Ville", actor=SYSTEM)
    for name in ("victim", "other", "fresh"):
        ws.create_user(f"{name}@x.fr", PASSWORD, name, "buyer", organisation, actor=SYSTEM)
    for _ in range(5):
        assert ws.authenticate("victim@x.fr", "devine-1234", address="10.0.0.1") is None
    with pytest.raises(LoginThrottled, match="Trop de tentatives"):
        ws.authenticate("victim@x.fr", PASSWORD, address="10.0.0.2")  # the right password, refused for now
    assert ws.authenticate("other@x.fr", PASSWORD, address="10.0.0.1") is not None  # other accounts unaffected
    monkeypatch.setenv("PROCURE_LOGIN_MAX_FAILURES_PER_ADDRESS", "8")
    for attempt in range(3):  # spraying several accounts from one address
        assert ws.authenticate(f"absent{attempt}@x.fr", "devine-1234", address="10.0.0.1") is None
    with pytest.raises(LoginThrottled):
        ws.authenticate("fresh@x.fr", PASSWORD, address="10.0.0.1")
    assert ws.authenticate("fresh@x.fr", PASSWORD, address="10.0.0.3") is not None
    with ws.sessions.begin() as session:  # fifteen minutes later the window has slid past the failures
        session.execute(update(LoginAttempts).values(window_start=LoginAttempts.window_start - _minutes(16)))
    assert ws.authenticate("victim@x.fr", PASSWORD, address="10.0.0.1") is not None


def test_one_analysis_at_a_time(world):
    ws, users, tenders = world
    tender_id, buyer = tenders["private"], users["buyer_a"]
    refused = []

    def second_run(fraction, _text):
        if fraction == 0.1 and not refused:
            with pytest.raises(AnalysisConflict, match="déjà en cours") as caught:
                ws.analyse(buyer, tender_id)
            refused.append(caught.value)

    result = ws.analyse(buyer, tender_id, progress=second_run)
    assert refused and result.version == 2
    assert [lot["number"] for lot in ws.review_items(buyer, tender_id)["lots"]] == [1, 2, 3]
    ws.analyse(buyer, tender_id)  # the lease is released after a run
    assert ws.review_items(buyer, tender_id)["tender"]["version"] == 3


def test_expired_lease_still_never_writes_the_same_version_twice(world, monkeypatch):
    ws, users, tenders = world
    tender_id, buyer = tenders["private"], users["buyer_a"]
    monkeypatch.setenv("PROCURE_ANALYSIS_LEASE_MINUTES", "0")  # as if the first run had hung for too long
    inner = []

    def overtaken(fraction, _text):
        if fraction == 0.5 and not inner:
            inner.append(ws.analyse(buyer, tender_id))

    with pytest.raises(AnalysisConflict, match="vient d'être enregistrée"):
        ws.analyse(buyer, tender_id, progress=overtaken)
    assert inner[0].version == 2
    items = ws.review_items(buyer, tender_id)
    assert items["tender"]["version"] == 2 and [lot["number"] for lot in items["lots"]] == [1, 2, 3]


def test_decision_on_an_older_analysis_is_refused(world):
    ws, users, tenders = world
    tender_id, reviewer = tenders["shared"], users["reviewer_g"]
    old = ws.review_items(reviewer, tender_id)["lots"][0]["suggestions"][0]
    ws.analyse(users["buyer_a"], tender_id)
    with pytest.raises(StaleAnalysis, match="analyse antérieure"):
        ws.review(reviewer, "suggestion", old["id"], "accept", old["version"])
    current = ws.review_items(reviewer, tender_id)["lots"][0]["suggestions"][0]
    assert ws.review(reviewer, "suggestion", current["id"], "accept", current["version"]) == current["version"] + 1


def _minutes(count: int):
    from datetime import timedelta

    return timedelta(minutes=count)
