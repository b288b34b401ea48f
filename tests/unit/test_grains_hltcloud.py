"""The role and management-address grains, from the inventory in etc/salt/cluster.conf."""

import importlib.util

import pytest

from _utils import hltcloud_ids
from tests.support.localcluster import REPO, inventory


@pytest.fixture
def grains_module(monkeypatch):
    spec = importlib.util.spec_from_file_location("hltcloud_grains", REPO / "_grains/hltcloud.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.__opts__ = {"hltcloud_inventory": inventory()}
    module.__utils__ = {"hltcloud_ids.node_name": hltcloud_ids.node_name}
    monkeypatch.setattr(module.salt.utils.network, "interfaces", lambda: {})
    return module


def _grains(module, minion_id, interfaces=None, monkeypatch=None):
    module.__opts__["id"] = minion_id
    if interfaces is not None:
        monkeypatch.setattr(module.salt.utils.network, "interfaces", lambda: interfaces)
    return module.hltcloud()


@pytest.mark.parametrize(
    ("minion_id", "role"),
    [
        ("cn43.internal", "head"),
        ("cn44.internal", "compute"),
        ("cn47.internal", "compute"),
    ],
)
def test_inventory_nodes_get_their_role(grains_module, minion_id, role):
    assert _grains(grains_module, minion_id)["role"] == role


@pytest.mark.parametrize(
    "minion_id", ["cn99.internal", "cn43.example.org", "cn4", "cn43x.internal", "cn43", "", None]
)
def test_unknown_host_gets_no_role(grains_module, minion_id):
    grains = _grains(grains_module, minion_id)
    assert "role" not in grains
    assert "hlt_node" not in grains
    assert "mgmt_ipv4" not in grains


def test_no_inventory_gives_no_grains(grains_module):
    grains_module.__opts__ = {"id": "cn43.internal"}
    assert grains_module.hltcloud() == {}


def test_bridge_address_in_mgmt_network_wins(grains_module, monkeypatch):
    interfaces = {
        "lo": {"inet": [{"address": "127.0.0.1"}]},
        "ib0": {"inet": [{"address": "10.162.130.64"}]},
        "br100": {"inet": [{"address": "203.0.113.25"}, {"address": "10.162.128.164"}]},
        "em1": {"inet": [{"address": "10.162.128.200"}]},
    }
    grains = _grains(grains_module, "cn44.internal", interfaces, monkeypatch)
    assert grains["mgmt_ipv4"] == "10.162.128.164"


def test_physical_interface_before_other_interfaces(grains_module, monkeypatch):
    interfaces = {
        "aaa0": {"inet": [{"address": "10.162.128.250"}]},
        "em1": {"inet": [{"address": "10.162.128.164"}]},
    }
    grains = _grains(grains_module, "cn44.internal", interfaces, monkeypatch)
    assert grains["mgmt_ipv4"] == "10.162.128.164"


def test_inventory_address_when_no_interface_is_in_the_mgmt_network(grains_module, monkeypatch):
    interfaces = {"eth0": {"inet": [{"address": "192.0.2.10"}]}}
    assert (
        _grains(grains_module, "cn45.internal", interfaces, monkeypatch)["mgmt_ipv4"]
        == (inventory()["nodes"]["cn45"]["ip"])
    )


def test_unknown_host_with_mgmt_address_gets_the_address_but_no_role(grains_module, monkeypatch):
    interfaces = {"em1": {"inet": [{"address": "10.162.128.99"}]}}
    grains = _grains(grains_module, "cn99.internal", interfaces, monkeypatch)
    assert grains == {"mgmt_ipv4": "10.162.128.99"}


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("networks", "mgmt", "cidr"), "10.162.128.1/24"),  # host bits
        (("networks", "mgmt", "cidr"), 24),
        (("networks", "mgmt"), ["10.162.128.0/24"]),
        (("networks",), "10.162.128.0/24"),
        (("interfaces",), ["em1", "br100"]),
        (("nodes",), [{"cn44": {"role": "compute"}}]),
        (("nodes", "cn44"), "compute"),
        (("nodes", "cn44", "role"), ["compute"]),
        (("nodes", "cn44", "ip"), 167936064),
    ],
)
def test_an_unsound_inventory_never_raises_in_the_grains(grains_module, where, value):
    # The master's hltcloud_validate names the key in one line; a grains traceback on every
    # minion (no role, no mgmt_ipv4 for any targeting) must not come first.
    target = grains_module.__opts__["hltcloud_inventory"]
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    grains = _grains(grains_module, "cn44.internal")
    assert isinstance(grains.get("role", ""), str)
    assert isinstance(grains.get("mgmt_ipv4", ""), str)
