"""keystone_role and keystone_role_grant against a real Keystone."""

import pytest

from tests.functional.keystone.conftest import writes

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("testmode", [True, False])
def test_role_present_creates_the_role(loaders, keystone, auth, unique, testmode):
    name = unique("role")
    mark = keystone.mark()
    ret = loaders.states.keystone_role.present(name=name, auth=auth, test=testmode)
    assert (ret.result is None) is testmode
    assert ret.changes["new"]["name"] == name
    exists = loaders.modules.keystone_v3.role_get(name, auth=auth) is not None
    assert exists is not testmode
    if testmode:
        assert writes(keystone.requests(mark)) == []


def test_role_made_by_bootstrap_is_left_alone(loaders, keystone, auth):
    mark = keystone.mark()
    ret = loaders.states.keystone_role.present(name="admin", auth=auth)
    assert ret.result is True and ret.changes == {}
    assert keystone.requests(mark) == [("GET", "/v3/roles", 200)]


@pytest.mark.parametrize("testmode", [True, False])
def test_role_absent_deletes_the_role(loaders, auth, unique, testmode):
    name = unique("role")
    loaders.modules.keystone_v3.role_create(name, auth=auth)
    ret = loaders.states.keystone_role.absent(name=name, auth=auth, test=testmode)
    assert (ret.result is None) is testmode
    exists = loaders.modules.keystone_v3.role_get(name, auth=auth) is not None
    assert exists is testmode


@pytest.fixture
def trio(loaders, auth, unique):
    ks = loaders.modules.keystone_v3
    return {
        "user": ks.user_create(unique("user"), auth=auth)["name"],
        "project": ks.project_create(unique("project"), auth=auth)["name"],
        "role": ks.role_create(unique("role"), auth=auth)["name"],
    }


def _granted(loaders, auth, trio):
    ks = loaders.modules.keystone_v3
    wanted = {
        "user_id": ks.user_get(trio["user"], auth=auth)["id"],
        "project_id": ks.project_get(trio["project"], auth=auth)["id"],
        "role_id": ks.role_get(trio["role"], auth=auth)["id"],
    }
    return wanted in ks.role_assignment_list(auth=auth)


@pytest.mark.parametrize("testmode", [True, False])
def test_grant_present_grants_the_role_once(loaders, keystone, auth, trio, testmode):
    ret = loaders.states.keystone_role_grant.present(
        name="grant",
        user=trio["user"],
        project=trio["project"],
        role=trio["role"],
        auth=auth,
        test=testmode,
    )
    assert (ret.result is None) is testmode
    assert ret.changes == {"old": None, "new": trio}
    assert _granted(loaders, auth, trio) is not testmode
    if testmode:
        return
    mark = keystone.mark()
    again = loaders.states.keystone_role_grant.present(
        name="grant", user=trio["user"], project=trio["project"], role=trio["role"], auth=auth
    )
    assert again.result is True and again.changes == {}
    assert writes(keystone.requests(mark)) == []
    assert len(keystone.requests(mark)) == 4  # one list per type: users, projects, roles, grants


def test_grant_role_defaults_to_the_state_name(loaders, auth, trio):
    ret = loaders.states.keystone_role_grant.present(
        name=trio["role"], user=trio["user"], project=trio["project"], auth=auth
    )
    assert ret.result is True
    assert _granted(loaders, auth, trio)


@pytest.mark.parametrize("testmode", [True, False])
def test_grant_absent_revokes_the_role(loaders, auth, trio, testmode):
    loaders.states.keystone_role_grant.present(name="grant", auth=auth, **trio)
    ret = loaders.states.keystone_role_grant.absent(name="grant", auth=auth, test=testmode, **trio)
    assert (ret.result is None) is testmode
    assert ret.changes == {"old": trio, "new": None}
    assert _granted(loaders, auth, trio) is testmode


@pytest.mark.parametrize("testmode", [True, False])
def test_grant_to_a_missing_user_fails_or_is_pending_in_test_mode(loaders, auth, trio, testmode):
    ret = loaders.states.keystone_role_grant.present(
        name="grant",
        user="no-such-user",
        project=trio["project"],
        role=trio["role"],
        auth=auth,
        test=testmode,
    )
    assert ret.result is (None if testmode else False)
    assert "user 'no-such-user'" in ret.comment
