"""The menu's permissions per role, written out by hand from the README's rules (not derived from the code)."""

from dataclasses import asdict

import pytest

from procure.service.access import UserInfo, permissions

EXPECTED = {
    #                sees_tenders create_tender follow_clauses create_commitment facilitator accounts imports directory
    "buyer":       (True,        True,         True,          True,             False,      False,   False,  False),
    "reviewer":    (True,        False,        True,          False,            False,      False,   False,  False),
    "admin":       (True,        True,         True,          True,             False,      True,    True,   True),
    "facilitator": (False,       False,        True,          False,            True,       False,   False,  False),
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_permissions_of_each_role(role):
    user = UserInfo(id=7, email="x@y.fr", display_name="X", role=role, organisation_id=3, organisation="Ville")
    assert tuple(asdict(permissions(user)).values()) == EXPECTED[role]


def test_an_operator_without_an_account_files_no_tender():
    """The command line acts as an administrator but is no user: a DCE always has a person who filed it."""
    from procure.service.access import SYSTEM

    allowed = permissions(SYSTEM)
    assert allowed.manage_accounts and allowed.import_reference_data and not allowed.create_tender
