"""The one schema of the inventory and the pillar (_utils/hltcloud_schema.py): a line a problem."""

import copy

import pytest
import yaml

from _utils import hltcloud_schema as hltcloud
from tests.support.localcluster import ETC

INVENTORY = yaml.safe_load((ETC / "cluster.conf").read_text())["hltcloud_inventory"]
SECRET = "0123456789abcdef0123"
PILLAR = {
    "flat_network": {"label": "demo-net", "cidr": "203.0.113.24/29", "multi_host": True},
    "selfheal": {"bridge": "br100", "network": "203.0.113.24/29", "cooldown": 30, "timeout": 10},
    "secrets": {"nova_pass": SECRET, "nova_dbpass": SECRET},
    "keystone": {
        "auth": {"auth_url": "http://cn43.internal:35357/v3"},
        "users": {"admin": {"email": "dario.berzano@cern.ch"}},
        "services": {
            "glance": {
                "type": "image",
                "endpoints": {
                    "public": "http://cn43.internal:9292",
                    "internal": "http://cn43.internal:9292",
                    "admin": "http://cn43.internal:9292",
                },
            }
        },
    },
}


def _inventory(nodes):
    inventory = copy.deepcopy(INVENTORY)
    inventory["nodes"].update(nodes)
    return inventory


def _pillar(path, value):
    pillar = copy.deepcopy(PILLAR)
    *parents, last = path.split(":")
    target = pillar
    for key in parents:
        target = target[key]
    target[last] = value
    return pillar


def test_the_repository_inventory_and_a_sound_pillar_pass():
    assert hltcloud.check(INVENTORY, PILLAR, "cn44.internal", {"mgmt_ipv4": "10.162.128.64"}) == []


@pytest.mark.parametrize(
    "nodes, key, words",
    [
        ({"cn45": {"role": "compute", "ip": "10.162.128.300"}}, "nodes:cn45:ip", "not an IPv4"),
        (
            {"cn45": {"role": "compute", "ip": "127.0.0.1; rm -rf /"}},
            "nodes:cn45:ip",
            "not an IPv4",
        ),
        ({"cn45": {"role": "comptue", "ip": "10.162.128.65"}}, "nodes:cn45:role", "not a role"),
        ({"cn45": None}, "nodes:cn45", "is empty"),
        (
            {"cn45": {"role": "head", "ip": "10.162.128.65"}},
            "nodes",
            "exactly one node must have role head, found cn43, cn45",
        ),
        ({"cn43": {"role": "compute", "ip": "10.162.128.63"}}, "nodes", "found none"),
        ({"CN48": {"role": "compute", "ip": "10.162.128.88"}}, "nodes:CN48", "lower-case"),
        ({"cn48": {"role": "compute", "ip": "10.162.128.64"}}, "nodes:cn48:ip", "listed twice"),
        (
            {"cn48": {"role": "compute", "ip": "10.162.130.8"}},
            "nodes:cn48:ip",
            "outside the mgmt network",
        ),
        (
            {"cn48": {"role": "compute", "ip": "10.162.128.0"}},
            "nodes:cn48:ip",
            "is the network address of 10.162.128.0/24",
        ),
        (
            {"cn48": {"role": "compute", "ip": "10.162.128.255"}},
            "nodes:cn48:ip",
            "is the broadcast address of 10.162.128.0/24",
        ),
        ({48: {"role": "compute", "ip": "10.162.128.68"}}, "nodes:48", "a string"),
        ({"c" * 59: {"role": "compute", "ip": "10.162.128.68"}}, "nodes:" + "c" * 59, "58"),
        (
            {"cn44-ib": {"role": "compute", "ip": "10.162.128.68"}},
            "nodes:cn44-ib",
            "is also the ib host name of node cn44",
        ),
        ({"cn48": {"role": ["compute"], "ip": "10.162.128.68"}}, "nodes:cn48:role", "not a role"),
    ],
)
def test_inventory_problems_are_one_line_naming_the_key(nodes, key, words):
    problems = hltcloud.validate_inventory(_inventory(nodes))
    assert len(problems) == 1, problems
    assert problems[0].startswith("hltcloud_inventory:" + key + ":")
    assert words in problems[0]


def test_a_bad_network_cidr_and_a_long_interface_name_are_named():
    inventory = copy.deepcopy(INVENTORY)
    inventory["networks"]["mgmt"]["cidr"] = "10.162.128.0/33"
    inventory["interfaces"]["bridge"] = "br100-much-too-long"
    problems = hltcloud.validate_inventory(inventory)
    assert [p.split(": ")[0] for p in problems] == [
        "hltcloud_inventory:networks:mgmt:cidr",
        "hltcloud_inventory:interfaces:bridge",
    ]


def test_a_node_without_ip_is_named_whatever_it_reports():
    # the head's firewall lets the nodes in by these addresses: none may be left out
    inventory = _inventory({"cn45": {"role": "compute"}})
    message = (
        "hltcloud_inventory:nodes:cn45:ip: is missing: the head's firewall lets the nodes "
        "reach MariaDB, Keystone admin and Qpid by these addresses"
    )
    assert hltcloud.check(inventory, {}, "cn45.internal", {"role": "compute"}) == [message]
    assert hltcloud.check(inventory, {}, "cn45.internal", {"mgmt_ipv4": "10.162.128.65"}) == [
        message
    ]


def test_a_node_whose_address_is_not_its_inventory_ip_is_named():
    inventory = _inventory({"cn45": {"role": "compute", "ip": "10.162.128.65"}})
    own = {"ipv4": ["127.0.0.1", "10.162.128.65", "203.0.113.25"]}
    assert hltcloud.check(inventory, {}, "cn45.internal", own) == []
    # no address in the mgmt network (br100 not up yet, a test host): nothing to compare
    assert hltcloud.check(inventory, {}, "cn45.internal", {"ipv4": ["127.0.0.1"]}) == []
    # mgmt_ipv4 falls back to the inventory's ip: the node's own addresses count, not it
    other = {"ipv4": ["127.0.0.1", "10.162.128.99"], "mgmt_ipv4": "10.162.128.65"}
    problems = hltcloud.check(inventory, {}, "cn45.internal", other)
    assert problems == [
        "hltcloud_inventory:nodes:cn45:ip: is 10.162.128.65 but the node's addresses in the mgmt "
        "network are 10.162.128.99 (grain ipv4): the head's firewall would refuse it on "
        "MariaDB, Keystone admin and Qpid; correct the inventory"
    ]


@pytest.mark.parametrize(
    "path, value, words",
    [
        ("flat_network:cidr", "203.0.113.24/33", "not a valid IPv4 CIDR"),
        ("flat_network:gateway", "203.0.113.1", "not a host address of 203.0.113.24/29"),
        ("flat_network:network_size", 254, "larger than 203.0.113.24/29 (8 addresses)"),
        ("flat_network:bridge", "br100", "is the inventory's interfaces:bridge"),
        ("flat_network:bridge_interface", "em1", "is the inventory's interfaces:physical"),
        ("flat_network:multi_host", "True", "not a boolean"),
        ("selfheal:bridge", "br100:1", "not a Linux interface name"),
        ("selfheal:cooldown", "30s", "not a positive number"),
        ("selfheal:backoff_max", 0, "not a positive number"),
        ("selfheal:giveup_after", 2.5, "not a whole number"),
        ("selfheal:giveup_after", "5", "not a whole number"),
        (
            "keystone:services:glance:endpoints:public",
            "ftp://cn43.internal:9292",
            "not an http(s) URL",
        ),
        ("keystone:services:glance:endpoints:admin", "http://cn43.internal:99999", "out of range"),
        ("keystone:users:admin:email", "dario.berzano", "not an email address"),
        ("keystone:services:glance:endpoints", {}, "is empty"),
        ("keystone:services:glance", None, "is empty"),
    ],
)
def test_pillar_problems_are_one_line_naming_the_key(path, value, words):
    problems = hltcloud.validate_pillar(_pillar(path, value))
    assert len(problems) == 1, problems
    assert problems[0].startswith(path + ": ")
    assert words in problems[0]


@pytest.mark.parametrize("value", [["a", "list"], {"a": "dict"}, "short", "0123456789ABCDEF0123"])
def test_a_malformed_secret_is_named_without_its_value(value):
    problems = hltcloud.validate_pillar(_pillar("secrets:nova_pass", value))
    assert len(problems) == 1
    assert problems[0].startswith("secrets:nova_pass: is not 20 hex digits (0-9, a-f)")
    assert str(value) not in problems[0]


def test_a_port_out_of_range_in_the_firewall_pillar_is_named():
    problems = hltcloud.validate_pillar({"firewall": {"open": [{"port": 70000}]}})
    assert problems == ["firewall:open:0:port: 70000: outside 1-65535 or not low-high"]


def test_a_node_written_twice_in_the_inventory_file_leaves_no_inventory_and_a_log_line(
    tmp_path, caplog
):
    import salt.config  # pylint: disable=import-outside-toplevel

    text = (ETC / "cluster.conf").read_text()
    text = text.replace("    cn47:", "    cn44: {role: compute, ip: 10.162.128.74}\n    cn47:")
    (tmp_path / "cluster.conf").write_text(text)
    (tmp_path / "master").write_text("include: cluster.conf\n")
    opts = salt.config.master_config(str(tmp_path / "master"))
    # Salt's YAML loader refuses the file; the pillar then names cluster.conf (cluster.jinja).
    assert "hltcloud_inventory" not in opts
    assert "found conflicting ID 'cn44'" in caplog.text


def test_nodes_written_as_a_list_are_one_line():
    inventory = copy.deepcopy(INVENTORY)
    inventory["nodes"] = [{name: node} for name, node in INVENTORY["nodes"].items()]
    assert hltcloud.validate_inventory(inventory) == [
        "hltcloud_inventory:nodes: must be a mapping (one entry per node), not list"
    ]


def test_the_bridge_cannot_be_the_physical_interface():
    inventory = copy.deepcopy(INVENTORY)
    inventory["interfaces"]["bridge"] = inventory["interfaces"]["physical"]
    (problem,) = hltcloud.validate_inventory(inventory)
    assert problem.startswith("hltcloud_inventory:interfaces:bridge: 'em1' is also the physical")


def test_networks_that_share_addresses_are_named():
    inventory = copy.deepcopy(INVENTORY)
    inventory["networks"]["ib"]["cidr"] = "10.162.128.128/25"
    assert hltcloud.validate_inventory(inventory) == [
        "hltcloud_inventory:networks:mgmt:cidr: 10.162.128.0/24 overlaps network ib "
        "(10.162.128.128/25)"
    ]


def test_a_mgmt_cidr_with_host_bits_is_named():
    inventory = copy.deepcopy(INVENTORY)
    inventory["networks"]["mgmt"]["cidr"] = "10.162.128.1/24"
    (problem,) = hltcloud.validate_inventory(inventory)
    assert problem.startswith("hltcloud_inventory:networks:mgmt:cidr: '10.162.128.1/24' is not")


def test_a_flat_network_on_the_nodes_lan_is_named():
    pillar = _pillar("flat_network:cidr", "10.162.128.248/29")
    pillar["selfheal"]["network"] = "10.162.128.248/29"
    assert hltcloud.check(INVENTORY, pillar, "cn44.internal", {}) == [
        "flat_network:cidr: 10.162.128.248/29 overlaps the inventory's network mgmt "
        "(10.162.128.0/24): guests would get the nodes' addresses"
    ]


def test_every_self_heal_default_is_checked_by_its_type():
    # SELFHEAL_DEFAULTS are what selfheal.heal reads; the schema checks exactly those.
    for name, default in hltcloud.SELFHEAL_DEFAULTS.items():
        problems = hltcloud.validate_pillar(_pillar(f"selfheal:{name}", -1))
        assert [p.split(": ")[0] for p in problems] == [f"selfheal:{name}"], name
        assert hltcloud.validate_pillar(_pillar(f"selfheal:{name}", default)) == [], name
    assert hltcloud.validate_pillar(_pillar("selfheal:unknown_setting", -1)) == []


@pytest.mark.parametrize(
    ("default", "good", "bad", "words"),
    [
        (2.5, 0.5, "0.5", "not a positive number"),
        (3, 7, 2.5, "not a whole number"),
        (True, False, "yes", "not a boolean"),
        ("eth0", "em1", 5, "is not a str"),
    ],
)
def test_a_new_self_heal_default_is_checked_without_a_schema_line(
    monkeypatch, default, good, bad, words
):
    monkeypatch.setitem(hltcloud.SELFHEAL_DEFAULTS, "new_setting", default)
    assert hltcloud.validate_pillar(_pillar("selfheal:new_setting", good)) == []
    problems = hltcloud.validate_pillar(_pillar("selfheal:new_setting", bad))
    assert len(problems) == 1 and problems[0].startswith("selfheal:new_setting: "), problems
    assert words in problems[0]


@pytest.mark.parametrize(
    ("path", "value", "line"),
    [
        (
            "selfheal:bridge",
            "br200",
            "selfheal:bridge: 'br200' is not the inventory's interfaces:bridge 'br100': self-heal "
            "would watch a bridge nova-network does not use",
        ),
        (
            "selfheal:network",
            "203.0.113.32/29",
            "selfheal:network: '203.0.113.32/29' is not flat_network:cidr '203.0.113.24/29': "
            "self-heal would restore another gateway",
        ),
    ],
)
def test_self_heal_watches_the_inventory_bridge_and_the_flat_network(path, value, line):
    assert hltcloud.check(INVENTORY, _pillar(path, value), "cn44.internal", {}) == [line]
