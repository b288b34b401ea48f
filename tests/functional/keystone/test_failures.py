"""Failures over real HTTP: wrong credentials, Keystone down or not ready yet."""

import time

import pytest
from salt.exceptions import CommandExecutionError

from tests.functional.keystone.conftest import auth_for
from tests.support import keystone_server
from tests.support.faults import FaultProxy

pytestmark = pytest.mark.slow


def _no_traceback(ret):
    assert "Traceback" not in ret.comment
    assert ret.changes == {}


def test_wrong_admin_token_fails_naming_the_admin_token(loaders, keystone, unique):
    auth = dict(auth_for(keystone), token="not-the-admin-token")
    ret = loaders.states.keystone_project.present(name=unique("project"), auth=auth)
    assert ret.result is False
    assert "refused the admin token (HTTP 401)" in ret.comment
    assert keystone.url in ret.comment
    assert "not-the-admin-token" not in ret.comment
    _no_traceback(ret)


def test_wrong_password_auth_fails_naming_the_user(loaders, keystone):
    auth = {
        "auth_url": keystone.url,
        "username": "admin",
        "password": "THISISTHEWRONGPASSWORD",
        "project_name": "admin",
    }
    ret = loaders.states.keystone_role.present(name="admin", auth=auth)
    assert ret.result is False
    assert "refused password auth for user 'admin' on project 'admin' (HTTP 401)" in ret.comment
    assert "THISISTHEWRONGPASSWORD" not in ret.comment
    _no_traceback(ret)


def test_password_auth_works_instead_of_the_admin_token(loaders, keystone):
    auth = {
        "auth_url": keystone.url,
        "username": "admin",
        "password": keystone.admin_password,
        "project_name": "admin",
    }
    ret = loaders.states.keystone_role.present(name="admin", auth=auth)
    assert ret.result is True and ret.changes == {}


def test_missing_credentials_fail_saying_where_to_set_them(loaders, keystone):
    ret = loaders.states.keystone_role.present(name="admin", auth={"auth_url": keystone.url})
    assert ret.result is False
    assert "keystone:auth:token" in ret.comment


def test_keystone_down_is_retried_with_backoff_then_fails(loaders, keystone):
    url = f"http://127.0.0.1:{keystone_server.closed_port()}/v3"
    auth = {"auth_url": url, "token": keystone.admin_token, "retry_timeout": 2}
    started = time.monotonic()
    ret = loaders.states.keystone_project.present(name="demo", auth=auth)
    elapsed = time.monotonic() - started
    assert ret.result is False
    assert f"Keystone at {url} is not answering: connection refused after 3 attempt(s)" in (
        ret.comment
    )
    assert 1.4 <= elapsed < 5  # slept 0.5 s + 1 s, within the 2 s budget
    _no_traceback(ret)


def test_dry_run_asks_a_down_keystone_once_and_says_what_it_would_do(loaders, keystone):
    # The one dry-run rule of the Keystone, Glance and Nova states (_utils/state_return.py).
    url = f"http://127.0.0.1:{keystone_server.closed_port()}/v3"
    auth = {"auth_url": url, "token": keystone.admin_token, "retry_timeout": 30}
    started = time.monotonic()
    ret = loaders.states.keystone_project.present(name="demo", auth=auth, test=True)
    assert time.monotonic() - started < 2
    assert ret.result is None
    assert ret.comment.startswith("Project 'demo' would be created once Keystone is up")
    assert f"Keystone at {url} is not answering: connection refused after 1 attempt(s)" in (
        ret.comment
    )
    _no_traceback(ret)


def test_execution_module_raises_a_clean_error_when_keystone_is_down(loaders, keystone):
    url = f"http://127.0.0.1:{keystone_server.closed_port()}/v3"
    auth = {"auth_url": url, "token": keystone.admin_token, "retry_timeout": 0}
    with pytest.raises(CommandExecutionError, match="is not answering: connection refused"):
        loaders.modules.keystone_v3.project_list(auth=auth)


def test_one_run_waits_for_a_down_keystone_once_not_per_state(loaders, keystone, example_pillar):
    url = f"http://127.0.0.1:{keystone_server.closed_port()}/v3"
    example_pillar["keystone"]["auth"] = {
        "auth_url": url,
        "token": keystone.admin_token,
        "retry_timeout": 2,
    }
    example_pillar["cluster"] = {"head_fqdn": "cn43.internal"}
    started = time.monotonic()
    ret = loaders.modules.state.sls("keystone.catalog", pillar=example_pillar)
    elapsed = time.monotonic() - started
    # all but the catalog's first state, which only says where Keystone is
    results = [r for r in ret if r.id != "keystone-catalog-ready"]
    assert len(results) > 20
    assert all(r.result is False for r in results)
    waited = [r for r in results if "after 3 attempt(s)" in r.comment]
    once = [r for r in results if "already failed to answer earlier in this run" in r.comment]
    requisites = [r for r in results if "requisite failed" in r.comment]
    assert len(waited) == 1
    assert len(waited) + len(once) + len(requisites) == len(results)
    assert elapsed < 8  # one 1.5 s wait, then one attempt per state


@pytest.fixture
def warming_up(keystone):
    """A Keystone that answers 503 to its first two requests (it is still starting)."""
    with FaultProxy(keystone.base_url) as proxy:
        proxy.fail(times=2, status=503)
        yield proxy, f"{proxy.url}/v3"


def test_503_while_keystone_warms_up_is_retried(loaders, keystone, warming_up):
    proxy, url = warming_up
    auth = {"auth_url": url, "token": keystone.admin_token, "retry_timeout": 5}
    ret = loaders.states.keystone_role.present(name="admin", auth=auth)
    assert ret.result is True and ret.changes == {}
    # two 503s, then the list that answered
    assert [what for _, _, what in proxy.seen] == ["failed 503", "failed 503", "forwarded"]


def test_503_beyond_the_budget_fails_saying_so(loaders, keystone, warming_up):
    proxy, url = warming_up
    proxy.clear()
    proxy.fail(status=503)  # for ever
    auth = {"auth_url": url, "token": keystone.admin_token, "retry_timeout": 1}
    ret = loaders.states.keystone_role.present(name="admin", auth=auth)
    assert ret.result is False
    assert f"Keystone at {url} is not answering: HTTP 503 after 2 attempt(s)" in ret.comment
