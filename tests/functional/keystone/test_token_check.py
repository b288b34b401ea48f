"""The runbook's verification: the admin password gets a token, a wrong one HTTP 401."""

import pytest

from tests.support import keystone_server

pytestmark = pytest.mark.slow


def test_admin_password_gets_a_token_and_a_wrong_one_401(loaders, keystone, auth):
    ks = loaders.modules.keystone_v3
    right = ks.token_check("admin", keystone.admin_password, project="admin", auth=auth)
    wrong = ks.token_check("admin", "THISISTHEWRONGPASSWORD", project="admin", auth=auth)
    assert right == {"valid": True, "status": 201}
    assert wrong == {"valid": False, "status": 401}


def test_token_check_needs_only_the_auth_url(loaders, keystone):
    check = loaders.modules.keystone_v3.token_check(
        "admin", keystone.admin_password, auth={"auth_url": keystone.url}
    )
    assert check["valid"] is True


@pytest.mark.parametrize("testmode", [True, False])
def test_token_valid_state_passes_for_the_admin(loaders, keystone, auth, testmode):
    ret = loaders.states.keystone_user.token_valid(
        name="admin", password=keystone.admin_password, project="admin", auth=auth, test=testmode
    )
    assert ret.result is True
    assert ret.changes == {}
    assert "got a token for project 'admin' (HTTP 201)" in ret.comment
    assert "a wrong password was refused (HTTP 401)" in ret.comment


@pytest.mark.parametrize("testmode", [True, False])
def test_token_valid_state_fails_for_a_wrong_password(loaders, auth, testmode):
    ret = loaders.states.keystone_user.token_valid(
        name="admin",
        password="THISISTHEWRONGPASSWORD",
        project="admin",
        auth=auth,
        test=testmode,
    )
    assert ret.result is (None if testmode else False)
    assert "got no token for project 'admin' with its password (HTTP 401)" in ret.comment
    assert "THISISTHEWRONGPASSWORD" not in ret.comment


def test_token_valid_state_fails_clearly_when_keystone_is_down(loaders, keystone):
    url = f"http://127.0.0.1:{keystone_server.closed_port()}/v3"
    ret = loaders.states.keystone_user.token_valid(
        name="admin", password=keystone.admin_password, auth={"auth_url": url, "retry_timeout": 0}
    )
    assert ret.result is False
    assert "is not answering: connection refused" in ret.comment
