"""Administration of accounts on a real database (SQLite and PostgreSQL): deactivate and reactivate, change a
role, reset a password (temporary, to be changed at the next sign-in), remove the demonstration accounts. Each
action ends the account's open sessions, is refused to anyone but an administrator, and is written to the log."""

import logging

import pytest

from procure.db.models import LoginAttempts, ReviewEvent, User
from procure.directory.demo import GROUP_ORGANISATION, setup_demo
from procure.directory.suppliers import SupplierRepository
from procure.service.accounts import PasswordChangeRequired
from procure.service.session_token import issue_token, user_from_token
from procure.service.workspace import SYSTEM, AccessDenied, LoginThrottled, Workspace

PASSWORD = "motdepasse-solide"


@pytest.fixture
def office(sessions):
    ws = Workspace(sessions)
    town = ws.create_organisation("Ville de Vitry-sur-Seine", actor=SYSTEM)
    it = ws.create_organisation("Direction du numérique", actor=SYSTEM)
    users = {}
    for email, role, organisation in [("acheteuse@vitry.fr", "buyer", town), ("relecteur@vitry.fr", "reviewer", town),
                                      ("admin@vitry.fr", "admin", it), ("admin2@vitry.fr", "admin", it)]:
        ws.create_user(email, PASSWORD, email.split("@")[0], role, organisation, actor=SYSTEM)
        users[email.split("@")[0]] = ws.authenticate(email, PASSWORD)
    return ws, users


def test_a_deactivated_account_cannot_sign_in_and_its_open_session_ends(office):
    ws, u = office
    token = issue_token(ws.sessions, u["acheteuse"])
    assert user_from_token(ws.sessions, token) == u["acheteuse"]
    with pytest.raises(ValueError, match="propre compte"):
        ws.set_active(u["admin"], u["admin"].id, False)
    ws.set_active(u["admin"], u["acheteuse"].id, False)
    assert ws.authenticate("acheteuse@vitry.fr", PASSWORD) is None
    assert user_from_token(ws.sessions, token) is None and ws.refresh(u["acheteuse"]) is None
    with pytest.raises(AccessDenied, match="désactivé"):
        ws.visible_tenders(u["acheteuse"])
    assert not next(a for a in ws.accounts_overview(u["admin"]) if a.email == "acheteuse@vitry.fr").active
    ws.set_active(u["admin"], u["acheteuse"].id, True)
    assert ws.authenticate("acheteuse@vitry.fr", PASSWORD) is not None
    assert user_from_token(ws.sessions, token) is None  # a reactivation never revives the cookies of before


def test_a_role_change_takes_effect_at_once_and_ends_the_sessions(office):
    ws, u = office
    token = issue_token(ws.sessions, u["acheteuse"])
    ws.set_role(u["admin"], u["acheteuse"].id, "reviewer")
    assert user_from_token(ws.sessions, token) is None
    with pytest.raises(AccessDenied, match="acheteurs"):
        ws.create_tender(u["acheteuse"], "Consultation")  # the old session object carries the old role: re-read
    assert ws.authenticate("acheteuse@vitry.fr", PASSWORD).role == "reviewer"
    with pytest.raises(ValueError, match="propre rôle"):
        ws.set_role(u["admin"], u["admin"].id, "buyer")
    with pytest.raises(ValueError, match="rôle inconnu"):
        ws.set_role(u["admin"], u["relecteur"].id, "chef")
    ws.set_role(u["admin"], u["admin2"].id, "buyer")  # another administrator may be demoted
    assert ws.authenticate("admin2@vitry.fr", PASSWORD).role == "buyer"


def test_a_reset_password_is_temporary_and_must_be_changed_before_anything_else(office):
    ws, u = office
    token = issue_token(ws.sessions, u["acheteuse"])
    for _ in range(6):  # the account is locked out, as in the walkthrough's A1
        try:
            ws.authenticate("acheteuse@vitry.fr", "mauvais")
        except LoginThrottled:
            pass
    with pytest.raises(LoginThrottled):
        ws.authenticate("acheteuse@vitry.fr", PASSWORD)
    temporary = ws.reset_password(u["admin"], u["acheteuse"].id)
    assert len(temporary) >= 12 and temporary != ws.reset_password(u["admin"], u["relecteur"].id)
    with ws.sessions() as session:
        stored = session.query(User).filter_by(email="acheteuse@vitry.fr").one()
        assert stored.must_change_password and temporary not in stored.password_hash
        assert session.query(LoginAttempts).filter(LoginAttempts.key.startswith("compte:")).count() <= 1
    assert user_from_token(ws.sessions, token) is None  # the open session ended
    assert ws.authenticate("acheteuse@vitry.fr", PASSWORD) is None  # the old password is gone
    signed = ws.authenticate("acheteuse@vitry.fr", temporary)
    assert signed is not None and signed.must_change_password
    fresh_token = issue_token(ws.sessions, signed)
    assert user_from_token(ws.sessions, fresh_token).must_change_password
    assert ws.refresh(signed).must_change_password  # still signed in, but only to change the password
    with pytest.raises(PasswordChangeRequired, match="nouveau mot de passe"):
        ws.visible_tenders(signed)
    with pytest.raises(PasswordChangeRequired):
        ws.create_tender(signed, "Consultation")
    with pytest.raises(ValueError, match="différent du mot de passe provisoire"):
        ws.change_own_password(signed, temporary, temporary)
    with pytest.raises(ValueError, match="différents"):
        ws.change_own_password(signed, "nouveau-secret-1", "nouveau-secret-2")
    with pytest.raises(ValueError, match="8 caractères"):
        ws.change_own_password(signed, "court", "court")
    changed = ws.change_own_password(signed, "nouveau-secret-1", "nouveau-secret-1")
    assert not changed.must_change_password
    assert user_from_token(ws.sessions, fresh_token) is None  # sessions on the temporary password end
    assert ws.authenticate("acheteuse@vitry.fr", temporary) is None
    assert ws.visible_tenders(ws.authenticate("acheteuse@vitry.fr", "nouveau-secret-1")) == []


def test_only_an_administrator_administers(office):
    ws, u = office
    for user in (u["acheteuse"], u["relecteur"]):
        for action in (lambda who: ws.set_active(who, u["admin"].id, False),
                       lambda who: ws.set_role(who, who.id, "admin"),
                       lambda who: ws.reset_password(who, u["admin"].id),
                       ws.remove_demo_accounts, ws.accounts_overview):
            with pytest.raises(AccessDenied, match="administrateurs"):
                action(user)
        assert not ws.can_import_reference_data(user)
    assert ws.can_import_reference_data(u["admin"])
    assert ws.authenticate("admin@vitry.fr", PASSWORD).role == "admin"


def test_demo_accounts_removed_but_the_audit_trail_and_the_acting_admin_kept(sessions, tmp_path):
    import dce

    ws = Workspace(sessions)
    credentials = {email: password for email, password, _ in setup_demo(ws, SupplierRepository(sessions))}
    demo_buyer = ws.authenticate("acheteur@demo.procure", credentials["acheteur@demo.procure"])
    demo_admin = ws.authenticate("admin@demo.procure", credentials["admin@demo.procure"])
    tender_id = ws.create_tender(demo_buyer, "Essai de démonstration")
    ws.add_documents(demo_buyer, tender_id, [(p.name, p.read_bytes()) for p in dce.works_tender(tmp_path)])
    town = ws.create_organisation("Ville de Rennes", actor=SYSTEM)
    ws.create_user("admin@rennes.fr", PASSWORD, "Admin Rennes", "admin", town, actor=SYSTEM)
    real_admin = ws.authenticate("admin@rennes.fr", PASSWORD)

    first = ws.remove_demo_accounts(demo_admin)  # the demo admin never removes itself
    assert first.kept == ["admin@demo.procure"] and "admin@demo.procure" not in first.deleted
    assert ws.authenticate("admin@demo.procure", credentials["admin@demo.procure"]) is not None
    second = ws.remove_demo_accounts(real_admin)
    assert "admin@demo.procure" in second.deleted and "groupe@demo.procure" in first.deleted
    # The demo buyer filed a tender: kept for the trail, but deactivated.
    assert first.deactivated == ["acheteur@demo.procure"]
    assert ws.authenticate("acheteur@demo.procure", credentials["acheteur@demo.procure"]) is None
    emails = {a.email for a in ws.accounts_overview(real_admin)}
    assert emails == {"admin@rennes.fr", "acheteur@demo.procure"}
    organisations = {name for _, name in ws.organisations()}
    assert GROUP_ORGANISATION in second.organisations and GROUP_ORGANISATION not in organisations
    assert "Ville de démonstration (fictive)" in organisations  # it still holds a tender
    assert {t["id"] for t in ws.visible_tenders(real_admin)} == {tender_id}


def test_every_administration_action_is_logged_without_the_password(office, caplog):
    ws, u = office
    caplog.set_level(logging.INFO, logger="procure.admin")
    ws.set_active(u["admin"], u["relecteur"].id, False)
    ws.set_active(u["admin"], u["relecteur"].id, True)
    ws.set_role(u["admin"], u["relecteur"].id, "buyer")
    temporary = ws.reset_password(u["admin"], u["relecteur"].id)
    records = [r.getMessage() for r in caplog.records if r.name == "procure.admin"]
    assert len(records) == 4 and all("relecteur@vitry.fr" in r and "admin@vitry.fr" in r for r in records)
    assert [w for r in records for w in ("deactivated", "reactivated", "role", "password reset") if w in r] == [
        "deactivated", "reactivated", "role", "password reset"]
    assert not any(temporary in r for r in records)
    with ws.sessions() as session:
        assert session.query(ReviewEvent).count() == 0
