"""
The runbook's demo network and first VMs (nova.flat_network, smoke.first_vm) through a
fault proxy (tests/support/faults.py) in front of the Compute API TEST DOUBLE: a create
whose answer is lost is looked up, not sent again, so one run makes exactly one server,
keypair and network; after any fault the next run converges and the one after changes
nothing, and no object is there twice.
"""

import re

import pytest

from tests.functional.nova.conftest import apply
from tests.support.faults import FaultProxy

pytestmark = pytest.mark.slow

SERVERS = re.compile(r"^/v2/[^/]+/servers$")
KEYPAIRS = re.compile(r"^/v2/[^/]+/os-keypairs$")
NETWORKS = re.compile(r"^/v2/[^/]+/os-networks$")
SERVER = "smoke-first-vm-server-present"


@pytest.fixture(scope="module")
def proxy(double):
    with FaultProxy(double.url) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def compute_endpoint(proxy):
    """The catalog's nova endpoints: the proxy."""
    return proxy.url + "/v2/%(tenant_id)s"


@pytest.fixture(autouse=True)
def _no_fault(proxy):
    proxy.clear()
    proxy.seen.clear()
    yield
    proxy.wait_restarted()
    proxy.clear()


def run(loaders, pillar):
    """One run of the head's demo network, then the first VMs: {state id: result}."""
    loaders.reset_state()
    results = apply(loaders, "nova.flat_network", pillar)
    results.update(apply(loaders, "smoke.first_vm", pillar))
    return results


def failures(results):
    return {sid: r.comment for sid, r in results.items() if r.result is not True}


def assert_one_of_each(double):
    names = sorted(s["name"] for s in double.servers.values())
    assert names == ["demo-inst1", "demo-inst2"]
    assert [k for _, k in double.keypairs] == ["demo-key"]
    assert [n["label"] for n in double.networks.values()] == ["demo-net"]


def assert_next_runs_converge(loaders, double, pillar):
    assert failures(run(loaders, pillar)) == {}
    start = len(double.requests)
    again = run(loaders, pillar)
    assert {sid: r.comment for sid, r in again.items() if r.result is not True or r.changes} == {}
    writes = [r for r in double.requests[start:] if r[0] != "GET"]
    assert [r[1].rsplit("/", 1)[-1] for r in writes] == ["action"]  # the console check
    assert_one_of_each(double)


@pytest.mark.parametrize(
    "path, kind",
    [(SERVERS, "server"), (KEYPAIRS, "keypair"), (NETWORKS, "network")],
    ids=["server", "keypair", "network"],
)
def test_a_create_whose_answer_is_lost_is_found_not_made_twice(
    loaders, double, proxy, head_pillar, path, kind
):
    lost = proxy.drop_answer("POST", path, down=1.0)
    results = run(loaders, head_pillar)
    assert failures(results) == {}
    assert len(lost.hits) == 1
    assert_one_of_each(double)
    posts = [r for r in double.requests if r[0] == "POST" and path.match(r[1].split("?")[0])]
    assert len(posts) == (2 if kind == "server" else 1)  # demo-inst1 and demo-inst2
    assert_next_runs_converge(loaders, double, head_pillar)


def test_a_lost_server_create_is_taken_with_its_id_and_waited_for(
    loaders, double, proxy, head_pillar
):
    proxy.drop_answer("POST", SERVERS, down=1.0)
    results = run(loaders, head_pillar)
    server = next(s for s in double.servers.values() if s["name"] == "demo-inst1")
    assert results[SERVER].changes["new"]["id"] == server["id"]
    assert results[SERVER].changes["new"]["status"] == "ACTIVE"
    assert server["status"] == "ACTIVE"


def test_a_lost_server_create_that_was_not_applied_fails_and_the_next_run_boots_one(
    loaders, double, proxy, head_pillar
):
    proxy.drop_answer("POST", SERVERS, apply=False)
    results = run(loaders, head_pillar)
    comment = failures(results)[SERVER]
    assert "connection closed without an answer" in comment
    assert (
        "Nova holds no server named 'demo-inst1' created since the call began now, so it was "
        "not applied: apply again to create it"
    ) in comment
    assert "demo-inst1" not in {s["name"] for s in double.servers.values()}
    proxy.clear()
    assert_next_runs_converge(loaders, double, head_pillar)


def test_a_lost_create_with_two_servers_of_its_name_fails_naming_both(
    loaders, double, proxy, head_pillar, demo_auth
):
    nova = loaders.modules.nova_compute
    apply(loaders, "nova.flat_network", head_pillar)
    (network,) = double.networks.values()
    flavor, image = "1", double.images[0]["id"]
    # Two POSTs of one name inside the window: the first answered, the second lost.
    first = nova.server_create("twin", flavor, image, [network["id"]], auth=demo_auth)
    proxy.drop_answer("POST", SERVERS)
    twice = "Nova now holds 2 objects matching server named 'twin' created since the call"
    with pytest.raises(Exception, match=twice) as raised:
        nova.server_create("twin", flavor, image, [network["id"]], auth=demo_auth)
    (second,) = [s["id"] for s in double.servers.values() if s["id"] != first["id"]]
    assert first["id"] in str(raised.value) and second in str(raised.value)
    assert "delete the extra ones" in str(raised.value)


def test_an_older_server_of_the_name_is_not_taken_for_a_lost_create(
    loaders, double, proxy, head_pillar, demo_auth
):
    nova = loaders.modules.nova_compute
    apply(loaders, "nova.flat_network", head_pillar)
    (network,) = double.networks.values()
    old = nova.server_create("old", "1", double.images[0]["id"], [network["id"]], auth=demo_auth)
    double.servers[old["id"]]["created"] = "2014-05-01T10:20:30Z"
    proxy.drop_answer("POST", SERVERS, apply=False)
    with pytest.raises(Exception, match="it was not applied"):
        nova.server_create("old", "1", double.images[0]["id"], [network["id"]], auth=demo_auth)
    assert [s["id"] for s in double.servers.values()] == [old["id"]]


FAULTS = {
    # every POST of the 3 s from the first one accepted and never answered
    "hang": lambda proxy, double: proxy.hang(3.0, method="POST"),
    # HTTP 500 to everything for 1.5 s from the first request
    "500": lambda proxy, double: proxy.fail(seconds=1.5, status=500),
    # nova-api killed right after it took the first server, back a second later
    "restart": lambda proxy, double: proxy.restart(
        "POST", SERVERS, double.stop, double.start, down=1.0
    ),
    # a keypair's answer lost, then no answer at all for longer than the retry budget
    "long outage": lambda proxy, double: proxy.drop_answer("POST", KEYPAIRS, down=4.0),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_after_a_fault_the_next_run_converges_and_the_one_after_changes_nothing(
    loaders, double, proxy, head_pillar, fault
):
    armed = FAULTS[fault](proxy, double)
    run(loaders, head_pillar)  # the run the fault hits: it may fail
    assert armed.hits, f"the {fault} fault met no request"
    proxy.wait_restarted()
    proxy.clear()
    assert_next_runs_converge(loaders, double, head_pillar)
