"""
nova_network through salt/nova/flat_network against the Compute API TEST DOUBLE, found
through the real test Keystone's catalog.
"""

import json
import time
import urllib.request

import pytest

from tests.functional.keystone.conftest import auth_for
from tests.functional.nova.conftest import apply
from tests.support import keystone_server
from tests.support.nova import DEMO_NET

pytestmark = pytest.mark.slow

SLS = "nova.flat_network"
ID = "nova-flat-network-present"


def posts(double, path):
    return [r for r in double.requests if r[0] == "POST" and r[1].endswith(path)]


def test_flat_network_creates_the_runbooks_demo_network(
    loaders, double, head_pillar, nova_keystone
):
    ret = apply(loaders, SLS, head_pillar)[ID]
    assert ret.result is True, ret.comment
    (net,) = double.networks.values()
    assert {key: net[key] for key in DEMO_NET} == DEMO_NET
    assert net["gateway"] == "203.0.113.25"
    assert ret.changes["new"]["id"] == net["id"]
    # Found through the catalog: /v2/<the admin project's id>/os-networks.
    admin_project = loaders.modules.keystone_v3.project_list(
        auth={"auth_url": nova_keystone.url, "token": nova_keystone.admin_token}
    )
    admin_id = next(p["id"] for p in admin_project if p["name"] == "admin")
    assert posts(double, "/os-networks") == [("POST", f"/v2/{admin_id}/os-networks", 200)]


def test_second_run_changes_nothing(loaders, double, head_pillar):
    assert apply(loaders, SLS, head_pillar)[ID].result is True
    before = len(double.requests)
    ret = apply(loaders, SLS, head_pillar)[ID]
    assert (ret.result, ret.changes) == (True, {})
    assert "already in the desired state" in ret.comment
    assert [r[0] for r in double.requests[before:]] == ["GET"]


def test_conflicting_cidr_fails_and_leaves_the_network_alone(loaders, double, head_pillar):
    assert apply(loaders, SLS, head_pillar)[ID].result is True
    (net,) = double.networks.values()
    head_pillar["flat_network"]["cidr"] = "203.0.113.32/29"
    before = len(double.requests)
    ret = apply(loaders, SLS, head_pillar)[ID]
    assert ret.result is False
    assert ret.changes == {}
    assert "cidr is '203.0.113.24/29', wanted '203.0.113.32/29'" in ret.comment
    assert "nova-network cannot change cidr of an existing network in place" in ret.comment
    assert f"nova network-delete {net['id']}" in ret.comment
    assert [r[0] for r in double.requests[before:]] == ["GET"]
    assert list(double.networks) == [net["id"]]


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("bridge", "br200", "bridge is 'br100', wanted 'br200'"),
        ("multi_host", False, "multi_host is True, wanted False"),
    ],
)
def test_conflicting_bridge_or_multi_host_fails(loaders, double, head_pillar, key, value, words):
    assert apply(loaders, SLS, head_pillar)[ID].result is True
    if key == "bridge":  # the inventory's interfaces:bridge, the one key
        head_pillar["cluster"]["interfaces"] = {**head_pillar["cluster"]["interfaces"], key: value}
    else:
        head_pillar["flat_network"][key] = value
    ret = apply(loaders, SLS, head_pillar)[ID]
    assert ret.result is False
    assert words in ret.comment
    assert "cannot change" in ret.comment


def test_clean_deletes_the_network(loaders, double, head_pillar):
    assert apply(loaders, SLS, head_pillar)[ID].result is True
    ret = apply(loaders, "nova.flat_network.clean", head_pillar)["nova-flat-network-absent"]
    assert ret.result is True, ret.comment
    assert ret.changes["old"]["label"] == "demo-net"
    assert double.networks == {}
    again = apply(loaders, "nova.flat_network.clean", head_pillar)["nova-flat-network-absent"]
    assert (again.result, again.changes) == (True, {})


@pytest.mark.parametrize("sls", [SLS, "nova.flat_network.clean"])
def test_test_mode_reports_and_changes_nothing(loaders, double, head_pillar, sls):
    if sls != SLS:
        assert apply(loaders, SLS, head_pillar)[ID].result is True
    before = dict(double.networks)
    start = len(double.requests)
    (ret,) = apply(loaders, sls, head_pillar, test=True).values()
    assert ret.result is None
    assert "would be" in ret.comment
    assert ret.changes
    assert double.networks == before
    assert {r[0] for r in double.requests[start:]} == {"GET"}


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (422, "Network label is required"),
        (409, "There was a conflict when trying to complete your request."),
        (500, "The server has either erred or is incapable of performing the requested operation."),
    ],
)
def test_api_error_fails_clearly(loaders, double, head_pillar, status, message):
    double.inject("POST", r"^/os-networks$", status, message)
    ret = apply(loaders, SLS, head_pillar)[ID]
    assert ret.result is False
    assert ret.changes == {}
    assert f"HTTP {status}: {message}" in ret.comment
    assert "POST /os-networks on Nova" in ret.comment
    assert "Traceback" not in ret.comment
    assert head_pillar["nova"]["auth"]["password"] not in ret.comment


def test_expired_token_mid_run_is_renewed_once(loaders, double, head_pillar, nova_keystone):
    # The token expires right after the run's first request (GET /os-networks): the
    # look at os-services gets HTTP 401, the client logs in again once and sends it again.
    double.expire_after = 1
    logins_before = len(logins(nova_keystone))
    ret = apply(loaders, SLS, head_pillar)[ID]
    assert ret.result is True, ret.comment
    assert len(logins(nova_keystone)) == logins_before + 2  # the first login and one re-auth
    assert [(r[0], r[1].rsplit("/", 1)[-1], r[2]) for r in double.requests] == [
        ("GET", "os-networks", 200),
        ("GET", "os-services", 401),
        ("GET", "os-services", 200),
        ("POST", "os-networks", 200),
    ]
    assert len(set(double.tokens)) == 2
    assert len(double.networks) == 1


def test_token_refused_after_the_reauth_is_tried_once_more_a_second_later(
    loaders, double, head_pillar, nova_keystone
):
    # Nova refuses the first token and the one keystoneauth fetches at once (as after a
    # password reset in the same second); a token of the next second is accepted.
    double.inject("GET", r"^/os-networks$", 401)
    double.inject("GET", r"^/os-networks$", 401)
    logins_before = len(logins(nova_keystone))
    ret = apply(loaders, SLS, head_pillar)[ID]
    assert ret.result is True, ret.comment
    assert [(r[0], r[2]) for r in double.requests] == [
        ("GET", 401),
        ("GET", 401),
        ("GET", 200),
        ("GET", 200),  # os-services: a nova-network is up
        ("POST", 200),
    ]
    assert len(logins(nova_keystone)) == logins_before + 3
    assert len(double.networks) == 1


def test_service_that_never_accepts_a_token_fails_saying_where_to_look(
    loaders, double, head_pillar
):
    for _ in range(3):
        double.inject("GET", r"^/os-networks$", 401)
    ret = apply(loaders, SLS, head_pillar)[ID]
    assert ret.result is False
    assert "refused password auth for user 'admin' on project 'admin' (HTTP 401)" in ret.comment
    assert "Nova did not accept it (check its [keystone_authtoken] settings)" in ret.comment
    assert [(r[0], r[2]) for r in double.requests] == [("GET", 401)] * 3
    assert double.networks == {}


def test_password_reset_during_the_run_costs_one_more_try(
    loaders, double, head_pillar, nova_keystone
):
    # What a catalog run that resets the admin password does to the states after it (CI
    # once failed the first VM on it): Keystone revokes the admin's tokens, and counts
    # those issued in the same second as revoked too. The reset happens as Nova gets the
    # run's first request, early in a second, so keystoneauth's immediate re-auth falls
    # in that second; the client's one more try, a second later, gets through.
    admin = loaders.modules.keystone_v3.user_get("admin", auth=auth_for(nova_keystone))
    body = {"user": {"password": head_pillar["nova"]["auth"]["password"]}}

    def reset_admin_password():
        if time.time() % 1 > 0.5:
            time.sleep(1.0 - time.time() % 1)
        request = urllib.request.Request(
            f"{nova_keystone.url}/users/{admin['id']}",
            data=json.dumps(body).encode(),
            method="PATCH",
            headers={"X-Auth-Token": nova_keystone.admin_token, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10):
            pass

    double.before_next.append(reset_admin_password)
    ret = apply(loaders, SLS, head_pillar)[ID]
    assert ret.result is True, ret.comment
    assert [(r[0], r[2]) for r in double.requests] == [
        ("GET", 401),  # the token from before the reset
        ("GET", 401),  # keystoneauth's new one, from the reset's second
        ("GET", 200),  # ours, a second later
        ("GET", 200),  # os-services: a nova-network is up
        ("POST", 200),
    ]
    assert len(double.networks) == 1


def logins(server):
    return [r for r in server.requests() if r[:2] == ("POST", "/v3/auth/tokens")]


def test_wrong_password_fails_without_showing_it(loaders, double, head_pillar):
    head_pillar["nova"]["auth"]["password"] = "THIS-IS-THE-WRONG-PASSWORD"
    ret = apply(loaders, SLS, head_pillar)[ID]
    assert ret.result is False
    assert "refused password auth for user 'admin' on project 'admin' (HTTP 401)" in ret.comment
    assert "THIS-IS-THE-WRONG-PASSWORD" not in ret.comment
    assert double.requests == []


def test_demo_user_cannot_create_networks(loaders, double, demo_auth):
    ret = loaders.states.nova_network.present(
        name="demo-try", cidr="198.51.100.8/29", bridge="br100", multi_host=True, auth=demo_auth
    )
    assert ret.result is False
    assert "HTTP 403" in ret.comment


@pytest.mark.parametrize("testmode", [True, False])
def test_keystone_down_fails_clearly_and_dry_run_does_not_wait(loaders, testmode):
    # A real run fails; a dry run (nothing would start Keystone meanwhile) asks once and
    # says what it would do once Keystone is up, as the Keystone and Glance states do.
    auth = {
        "auth_url": f"http://127.0.0.1:{keystone_server.closed_port()}/v3",
        "username": "admin",
        "password": "THE-ADMIN-PASSWORD",
        "project_name": "admin",
        "retry_timeout": 6,
    }
    started = time.monotonic()
    ret = loaders.states.nova_network.present(
        name="demo-net", cidr="203.0.113.24/29", bridge="br100", auth=auth, test=testmode
    )
    took = time.monotonic() - started
    assert ret.result is (None if testmode else False)
    if testmode:
        assert ret.comment.startswith("Network 'demo-net' would be created once Keystone is up")
    assert "is not answering" in ret.comment
    assert "THE-ADMIN-PASSWORD" not in ret.comment
    # A real run waits for retry_timeout (nova-api may be starting: sleeps of 0.5 + 1 + 2 s
    # fit in 6 s); a dry run tries once.
    if testmode:
        assert took < 2, took
    else:
        assert took >= 3.5, took


NO_NETWORK_SERVICE = "no nova-network service is up yet: apply the compute nodes first"


def test_no_nova_network_up_refuses_in_one_line_and_sends_no_create(loaders, double, head_pillar):
    # A head applied before any compute node: os-services lists no nova-network up (one
    # whose reports stopped counts as down), and a create would hang for the RPC timeout.
    double.service_up("nova-network", "cn44.internal", up=False)
    ret = apply(loaders, SLS, head_pillar)[ID]
    assert ret.result is False
    assert ret.comment == f"Network 'demo-net': {NO_NETWORK_SERVICE}"
    assert ret.changes == {}
    assert posts(double, "/os-networks") == []
    assert double.networks == {}


def test_no_nova_network_up_dry_run_says_a_run_now_would_fail(loaders, double, head_pillar):
    double.service_up("nova-network", "cn44.internal", up=False)
    ret = apply(loaders, SLS, head_pillar, test=True)[ID]
    assert ret.result is None
    assert ret.comment == (
        f"Network 'demo-net' would be created; a run now would fail: {NO_NETWORK_SERVICE}"
    )
    assert ret.changes["new"]["label"] == "demo-net"


def test_existing_network_needs_no_nova_network(loaders, double, head_pillar):
    assert apply(loaders, SLS, head_pillar)[ID].result is True
    double.service_up("nova-network", "cn44.internal", up=False)
    ret = apply(loaders, SLS, head_pillar)[ID]
    assert (ret.result, ret.changes) == (True, {})
    assert "already in the desired state" in ret.comment


def test_clean_with_no_nova_network_up_deletes_nothing_and_says_why(loaders, double, head_pillar):
    assert apply(loaders, SLS, head_pillar)[ID].result is True
    double.service_up("nova-network", "cn44.internal", up=False)
    ret = apply(loaders, "nova.flat_network.clean", head_pillar)["nova-flat-network-absent"]
    assert (ret.result, ret.changes) == (False, {})
    assert ret.comment == (
        "Network 'demo-net': no nova-network service is up: a network is deleted through one "
        "(start nova-network on a compute node first)"
    )
    assert len(double.networks) == 1
    assert not [r for r in double.requests if r[0] == "DELETE"]
