"""
The runbook's first VM (salt/smoke/first_vm.sls) against the Compute API TEST DOUBLE,
from nothing to ACTIVE and back, as the demo user of the real test Keystone.
"""

import pytest

from tests.functional.nova.conftest import PUBLIC_KEY, apply

pytestmark = pytest.mark.slow

KEYPAIR = "smoke-first-vm-keypair-present"
SERVER = "smoke-first-vm-server-present"
SECOND = "smoke-first-vm-second-server-present"
CONSOLE = "smoke-first-vm-console-checked"


def demo_server(loaders, demo_auth, **args):
    """nova_server.present of a tiny CirrOS server on demo-net as the demo user."""
    args = {
        "name": "vm",
        "flavor": "m1.tiny",
        "image": "CirrOS Test Image",
        "networks": ["demo-net"],
        "auth": demo_auth,
        **args,
    }
    return loaders.states.nova_server.present(**args)


@pytest.fixture
def network(loaders, double, head_pillar):
    ret = apply(loaders, "nova.flat_network", head_pillar)["nova-flat-network-present"]
    assert ret.result is True, ret.comment
    return next(iter(double.networks.values()))


def test_first_vm_goes_from_nothing_to_active_with_a_console(loaders, double, head_pillar, network):
    results = apply(loaders, "smoke.first_vm", head_pillar)
    assert {sid: r.result for sid, r in results.items()} == {
        KEYPAIR: True,
        SERVER: True,
        SECOND: True,
        CONSOLE: True,
    }, {sid: r.comment for sid, r in results.items()}
    # the runbook's two VMs, demo-inst1 first
    server, second = sorted(double.servers.values(), key=lambda s: s["name"])
    assert (server["name"], second["name"]) == ("demo-inst1", "demo-inst2")
    assert second["status"] == "ACTIVE" and second["_networks"] == [network["id"]]
    assert server["status"] == "ACTIVE"
    assert server["name"] == "demo-inst1"
    assert server["flavor"]["id"] == "1"  # m1.tiny
    assert server["image"]["id"] == double.images[0]["id"]  # CirrOS Test Image
    assert server["key_name"] == "demo-key"
    assert server["security_groups"] == [{"name": "default"}]
    assert server["_networks"] == [network["id"]]
    # The first addresses after the gateway 203.0.113.25.
    assert server["addresses"] == {"demo-net": [{"addr": "203.0.113.26", "version": 4}]}
    assert second["addresses"] == {"demo-net": [{"addr": "203.0.113.27", "version": 4}]}
    assert results[SERVER].changes["new"]["status"] == "ACTIVE"
    assert "ACTIVE" in results[SERVER].comment
    assert "demo-net=203.0.113.26" in results[SERVER].comment
    # It was BUILD first: the state waited for it.
    assert server["_looks"] >= double.build_polls
    # `nova get-vnc-console demo-inst2 novnc`, as in the runbook
    console = results[CONSOLE].comment
    assert "demo-inst2" in console
    assert "http://cn43.internal:6080/vnc_auto.html?token=***" in console
    # The console token and the server's adminPass appear in no return.
    for ret in results.values():
        assert "adminPass" not in str(ret.changes)
    (pair,) = double.keypairs.values()
    assert pair["public_key"] == PUBLIC_KEY


def test_first_vm_second_run_changes_nothing(loaders, double, head_pillar, network):
    apply(loaders, "smoke.first_vm", head_pillar)
    start = len(double.requests)
    results = apply(loaders, "smoke.first_vm", head_pillar)
    assert {sid: (r.result, r.changes) for sid, r in results.items()} == {
        KEYPAIR: (True, {}),
        SERVER: (True, {}),
        SECOND: (True, {}),
        CONSOLE: (True, {}),
    }
    writes = [r for r in double.requests[start:] if r[0] != "GET"]
    # Only the console action (it makes a new console token each time).
    assert [r[1].rsplit("/", 1)[-1] for r in writes] == ["action"]
    assert len(double.servers) == 2


def test_first_vm_cleanup_removes_server_and_keypair(loaders, double, head_pillar, network):
    apply(loaders, "smoke.first_vm", head_pillar)
    results = apply(loaders, "smoke.first_vm_clean", head_pillar)
    assert all(r.result is True for r in results.values()), {
        sid: r.comment for sid, r in results.items()
    }
    assert results["smoke-first-vm-server-absent"].changes["old"]["name"] == "demo-inst1"
    assert results["smoke-first-vm-second-server-absent"].changes["old"]["name"] == "demo-inst2"
    assert double.servers == {}
    assert double.keypairs == {}
    # The network is free again: nova.flat_network.clean can delete it now.
    ret = apply(loaders, "nova.flat_network.clean", head_pillar)["nova-flat-network-absent"]
    assert ret.result is True, ret.comment
    again = apply(loaders, "smoke.first_vm_clean", head_pillar)
    assert all((r.result, r.changes) == (True, {}) for r in again.values())


def test_server_in_error_fails_with_the_fault_message(loaders, double, head_pillar, network):
    double.build_errors["demo-inst1"] = "No valid host was found. "
    results = apply(loaders, "smoke.first_vm", head_pillar)
    server = results[SERVER]
    assert server.result is False
    assert "went to ERROR: No valid host was found. (code 500)" in server.comment
    assert server.changes["new"]["status"] == "ERROR"
    # the second VM waits for the first, the console for the second
    assert results[SECOND].result is False and results[CONSOLE].result is False
    # A second run does not boot a second server: it says what to do.
    again = apply(loaders, "smoke.first_vm", head_pillar)[SERVER]
    assert again.result is False
    assert "in ERROR: No valid host was found." in again.comment
    assert "nova_server.absent" in again.comment
    assert len(double.servers) == 1


def test_server_still_building_after_the_timeout_fails(
    loaders, double, demo_auth, admin_auth, network
):
    double.build_polls = 1000
    ret = demo_server(
        loaders, demo_auth, name="slow-vm", timeout=1, interval=0.2, network_auth=admin_auth
    )
    assert ret.result is False
    assert "still BUILD after 1s (timeout)" in ret.comment


def test_first_vm_test_mode_boots_nothing(loaders, double, head_pillar, network):
    start = len(double.requests)
    results = apply(loaders, "smoke.first_vm", head_pillar, test=True)
    assert results[KEYPAIR].result is None
    assert results[SERVER].result is None
    assert results[SERVER].changes["new"]["flavor"] == "m1.tiny"
    assert double.servers == {} and double.keypairs == {}
    assert {r[0] for r in double.requests[start:]} == {"GET"}


def test_unknown_flavor_fails_before_booting(loaders, double, demo_auth, admin_auth, network):
    ret = demo_server(loaders, demo_auth, flavor="m1.huge", network_auth=admin_auth)
    assert ret.result is False
    assert "Nova has no flavor named 'm1.huge'" in ret.comment
    assert double.servers == {}


def test_keypair_with_another_key_fails_saying_what_to_do(loaders, double, demo_auth):
    first = loaders.states.nova_keypair.present(name="k1", public_key=PUBLIC_KEY, auth=demo_auth)
    assert first.result is True, first.comment
    other = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 other@host"
    ret = loaders.states.nova_keypair.present(name="k1", public_key=other, auth=demo_auth)
    assert ret.result is False
    assert "cannot change a keypair's key" in ret.comment
    assert "nova_keypair.absent" in ret.comment


def test_smoke_without_public_key_fails_saying_where_to_put_it(loaders, double, head_pillar):
    del head_pillar["smoke"]["first_vm"]["public_key"]
    (ret,) = apply(loaders, "smoke.first_vm", head_pillar).values()
    assert ret.result is False
    assert "pillar/demo-key.pub" in ret.comment
    assert double.requests == []


def test_demo_user_alone_cannot_find_the_admins_network(loaders, double, demo_auth, network):
    # Icehouse's os-tenant-networks shows the demo user only its project's networks (the
    # head's nova-api has no Flat network manager): demo-net, of no project, is not there.
    ret = demo_server(loaders, demo_auth)
    assert ret.result is False
    assert "no network(s) labelled 'demo-net' usable by this project" in ret.comment
    assert "network_auth" in ret.comment
    assert double.servers == {}


def test_first_vm_boots_as_the_demo_user_on_the_network_the_admin_found(
    loaders, double, head_pillar, network
):
    results = apply(loaders, "smoke.first_vm", head_pillar)
    assert results[SERVER].result is True, results[SERVER].comment
    boots = [r for r in double.requests if r[0] == "POST" and r[1].endswith("/servers")]
    # both boots went to the demo project's URL, the network was looked up in os-networks
    assert len(boots) == len(double.servers) == 2
    for boot, server in zip(boots, double.servers.values(), strict=True):
        assert boot[1].split("/")[2] == server["tenant_id"]
    assert any(r[1].endswith("/os-networks") and r[0] == "GET" for r in double.requests)
    assert not any(r[1].endswith("/os-tenant-networks") for r in double.requests)
