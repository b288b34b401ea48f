"""keystone_user.present / absent against a real Keystone."""

import logging

import pytest

from tests.functional.keystone.conftest import writes

pytestmark = pytest.mark.slow

PASSWORD = "5ecre7a1b2c3d4e5f6a7"
OTHER_PASSWORD = "0ther7a1b2c3d4e5f6a7"


@pytest.fixture
def project(loaders, auth, unique):
    return loaders.modules.keystone_v3.project_create(unique("project"), auth=auth)


@pytest.mark.parametrize("testmode", [True, False])
def test_present_creates_the_user_with_email_and_default_project(
    loaders, keystone, auth, unique, project, testmode
):
    name = unique("user")
    mark = keystone.mark()
    ret = loaders.states.keystone_user.present(
        name=name,
        password=PASSWORD,
        email="dario.berzano@cern.ch",
        default_project=project["name"],
        auth=auth,
        test=testmode,
    )
    assert (ret.result is None) is testmode
    assert ret.changes["new"]["password"] == "***"
    assert ret.changes["new"]["default_project"] == project["name"]
    user = loaders.modules.keystone_v3.user_get(name, auth=auth)
    if testmode:
        assert user is None
        assert writes(keystone.requests(mark)) == []
        return
    assert user["email"] == "dario.berzano@cern.ch"
    assert user["enabled"] is True
    assert user["default_project_id"] == project["id"]
    check = loaders.modules.keystone_v3.token_check(name, PASSWORD, auth=auth)
    assert check == {"valid": True, "status": 201}


def test_rerun_checks_the_password_once_and_writes_nothing(
    loaders, keystone, auth, unique, project
):
    name = unique("user")
    args = dict(
        name=name,
        password=PASSWORD,
        email="dario.berzano@cern.ch",
        default_project=project["name"],
        auth=auth,
    )
    assert loaders.states.keystone_user.present(**args).result is True
    mark = keystone.mark()
    ret = loaders.states.keystone_user.present(**args)
    assert ret.result is True
    assert ret.changes == {}
    assert sorted(keystone.requests(mark)) == [
        ("GET", "/v3/projects?domain_id=default", 200),
        ("GET", "/v3/users?domain_id=default", 200),
        ("POST", "/v3/auth/tokens", 201),
    ]


@pytest.mark.parametrize("testmode", [True, False])
def test_password_is_changed_only_when_it_no_longer_yields_a_token(
    loaders, keystone, auth, unique, testmode
):
    name = unique("user")
    user = loaders.modules.keystone_v3.user_create(name, password=OTHER_PASSWORD, auth=auth)
    mark = keystone.mark()
    ret = loaders.states.keystone_user.present(
        name=name, password=PASSWORD, auth=auth, test=testmode
    )
    assert (ret.result is None) is testmode
    assert ret.changes == {"old": {"password": "***"}, "new": {"password": "*** (changed)"}}
    patches = [r for r in writes(keystone.requests(mark)) if r[0] == "PATCH"]
    check = loaders.modules.keystone_v3.token_check(name, PASSWORD, auth=auth)
    if testmode:
        assert patches == [] and check["valid"] is False
        return
    assert patches == [("PATCH", f"/v3/users/{user['id']}", 200)]
    assert check["valid"] is True
    assert "password changed" in ret.comment
    mark = keystone.mark()
    again = loaders.states.keystone_user.present(name=name, password=PASSWORD, auth=auth)
    assert again.result is True and again.changes == {}
    assert writes(keystone.requests(mark)) == []


def test_no_secret_in_changes_comment_or_logs(loaders, keystone, auth, unique, caplog):
    name = unique("user")
    loaders.modules.keystone_v3.user_create(name, password=OTHER_PASSWORD, auth=auth)
    with caplog.at_level(logging.DEBUG):
        # state.single directly: saltfactories' `loaders.states` wrapper would log
        # the call's arguments itself, and every logger is checked here.
        ret = loaders.modules.state.single(
            "keystone_user.present",
            name=name,
            password=PASSWORD,
            email="dario.berzano@cern.ch",
            auth=auth,
        )
    assert ret.result is True, ret
    assert "password changed" in ret.comment
    assert PASSWORD not in repr(ret.full_return)
    logged = [f"{r.name}: {r.getMessage()}" for r in caplog.records]
    assert [m for m in logged if "keystone" in m], "expected our modules' records at DEBUG"
    assert not [m for m in logged if PASSWORD in m or auth["token"] in m]


def test_disabled_user_is_disabled_and_its_password_not_checked(loaders, keystone, auth, unique):
    name = unique("user")
    loaders.modules.keystone_v3.user_create(name, password=PASSWORD, auth=auth)
    ret = loaders.states.keystone_user.present(
        name=name, password=OTHER_PASSWORD, enabled=False, auth=auth
    )
    assert ret.result is True
    assert ret.changes == {"old": {"enabled": True}, "new": {"enabled": False}}
    mark = keystone.mark()
    again = loaders.states.keystone_user.present(
        name=name, password=OTHER_PASSWORD, enabled=False, auth=auth
    )
    assert again.result is True and again.changes == {}
    assert "not checked" in again.comment
    assert [r for r in keystone.requests(mark) if r[1] == "/v3/auth/tokens"] == []


def test_enabling_a_user_checks_its_password_afterwards(loaders, keystone, auth, unique):
    name = unique("user")
    loaders.modules.keystone_v3.user_create(name, password=OTHER_PASSWORD, enabled=False, auth=auth)
    ret = loaders.states.keystone_user.present(name=name, password=PASSWORD, auth=auth)
    assert ret.result is True
    assert ret.changes["new"] == {"enabled": True, "password": "*** (changed)"}
    assert loaders.modules.keystone_v3.token_check(name, PASSWORD, auth=auth)["valid"]


def test_missing_default_project_fails_clearly(loaders, auth, unique):
    ret = loaders.states.keystone_user.present(
        name=unique("user"), default_project="no-such-project", auth=auth
    )
    assert ret.result is False
    assert "default project 'no-such-project'" in ret.comment


@pytest.mark.parametrize("testmode", [True, False])
def test_absent_deletes_the_user(loaders, auth, unique, testmode):
    name = unique("user")
    loaders.modules.keystone_v3.user_create(name, auth=auth)
    ret = loaders.states.keystone_user.absent(name=name, auth=auth, test=testmode)
    assert (ret.result is None) is testmode
    exists = loaders.modules.keystone_v3.user_get(name, auth=auth) is not None
    assert exists is testmode
