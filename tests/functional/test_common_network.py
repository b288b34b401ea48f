"""
`common` on both roles (runbook, "Getting started" and "Disable any fancy network
managers": `service NetworkManager stop; service network start`): the network service is
started and enabled, not only enabled, right after NetworkManager stops and before the run
downloads anything more or rewrites an ifcfg file. Compiled with RedHat grains (masterless
`salt-call state.show_lowstate`, as test_compute_highstate.py): the low chunks come in the
order the minion runs them.
"""

import pytest

from tests.functional.test_compute_highstate import (  # noqa: F401  (the checkout fixture)
    checkout,
    node_grains,
    salt_call,
)

NETWORK = "common-service-network-running"
MANAGERS = ("common-service-NetworkManager-dead", "common-service-firewalld-dead")


@pytest.fixture(scope="module", params=["cn43.internal", "cn44.internal"], ids=["head", "compute"])
def lowstate(request, checkout):
    node = request.param
    grains = node_grains(node) if node != "cn43.internal" else {"os_family": "RedHat"}
    code, low = salt_call(checkout, node, "state.show_lowstate", grains=grains)
    assert code == 0 and isinstance(low, list) and low, low
    return low


def _index(low, state_id):
    (index,) = [i for i, chunk in enumerate(low) if chunk["__id__"] == state_id]
    return index


def test_network_is_started_and_enabled_once_networkmanager_is_stopped(lowstate):
    chunk = lowstate[_index(lowstate, NETWORK)]
    assert (chunk["state"], chunk["fun"], chunk["name"], chunk["enable"]) == (
        "service",
        "running",
        "network",
        True,
    )
    assert {"service": "common-service-NetworkManager-dead"} in chunk["require"]
    manager = lowstate[_index(lowstate, MANAGERS[0])]
    assert (manager["fun"], manager["name"], manager["enable"]) == (
        "dead",
        "NetworkManager",
        False,
    )


def test_nothing_but_stopping_managers_runs_between_networkmanager_and_network(lowstate):
    start, network = _index(lowstate, MANAGERS[0]), _index(lowstate, NETWORK)
    assert start < network
    between = {chunk["__id__"] for chunk in lowstate[start + 1 : network]}
    assert between <= set(MANAGERS), between


def test_no_download_or_ifcfg_change_before_network_is_started(lowstate):
    network = _index(lowstate, NETWORK)
    before = [
        chunk["__id__"]
        for chunk in lowstate[:network]
        if chunk["state"] in ("pkg", "file", "cmd", "openstack_ini", "module")
        and chunk["__sls__"] != "common.package"
        and not chunk["__sls__"].startswith("firewall.")
    ]
    assert before == []
    # Only the firewall's and common's own packages come first, while NetworkManager
    # still runs (the firewall is the first formula: iptables only with its rules).
    assert {c["__sls__"] for c in lowstate[:network] if c["state"] == "pkg"} <= {
        "common.package",
        "firewall.package.install",
    }
