"""
The firewall in the compiled highstates of cn43 (head) and cn44 (compute) with RedHat grains,
as in test_compute_highstate.py: masterless `salt-call state.show_lowstate` in a copy of the
checkout with its own secrets. Only compiling happens, no state runs. Checks that iptables is
enabled and started by one state only, after its rules file is written and loaded, and that a bad
pillar value becomes one failing state that names the key.
"""

import json
import subprocess

import pytest
import yaml

from _utils import hltcloud_schema as hltcloud
from tests.functional.test_compute_highstate import (  # noqa: F401
    MACS,
    REDHAT,
    SALT_CALL,
    args_of,
    checkout,
    salt_call,
)
from tests.support.localcluster import REPO, grown_inventory, inventory, inventory_written

NODES = ["cn43.internal", "cn44.internal"]


def grains(node):
    if node in MACS:
        return {**REDHAT, "hwaddr_interfaces": {"lo": "00:00:00:00:00:00", "em1": MACS[node]}}
    return dict(REDHAT)


@pytest.fixture(scope="module")
def lowstates(checkout):
    """{node: the highstate's low chunks, in execution order}, RedHat grains."""
    result = {}
    for node in NODES:
        code, low = salt_call(checkout, node, "state.show_lowstate", grains=grains(node))
        assert code == 0 and isinstance(low, list), low
        result[node] = low
    return result


@pytest.fixture
def unchecked_checkout(checkout):
    """
    The checkout without the master-side data check (the hltcloud_validate ext_pillar):
    the firewall's own check, for a pillar compiled without it. With it, such values
    are refused before any state renders (tests/functional/test_validation.py).
    """
    minion = checkout / "etc/salt/minion"
    text = minion.read_text()
    minion.write_text(text.replace("ext_pillar:\n  - hltcloud_validate: {}\n", ""))
    try:
        yield checkout
    finally:
        minion.write_text(text)


def _index(low, state_id):
    (index,) = [i for i, chunk in enumerate(low) if chunk["__id__"] == state_id]
    return index


# family: (boot service, rules file state, load state, service state, file, restore command)
FAMILIES = {
    "ipv4": (
        "iptables",
        "firewall-config-file-managed",
        "firewall-config-rules-loaded",
        "firewall-service-running",
        "/etc/sysconfig/iptables",
        "iptables-restore",
    ),
    "ipv6": (
        "ip6tables",
        "firewall-config-ipv6-file-managed",
        "firewall-config-ipv6-rules-loaded",
        "firewall-service-ipv6-running",
        "/etc/sysconfig/ip6tables",
        "ip6tables-restore",
    ),
}


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("node", NODES)
def test_the_service_is_enabled_only_by_the_firewall_after_its_rules_load(lowstates, node, family):
    name, file_id, loaded_id, service_id, path, restore = FAMILIES[family]
    low = lowstates[node]
    services = [c for c in low if c["state"] == "service" and c["name"] == name]
    assert [c["__id__"] for c in services] == [service_id]
    (service,) = services
    assert (service["fun"], service["enable"]) == ("running", True)
    # Its own family's states only: a failing ip6tables-restore leaves iptables alone. On the
    # head, whose rules match the nodes' ipset, the drop-in that restores it at boot too.
    dropin = [{"id": "firewall-config-ipset-boot-dropin-managed"}]
    extra = dropin if (node, family) == ("cn43.internal", "ipv4") else []
    assert service["require"] == [{"id": file_id}, {"id": loaded_id}, *extra]
    assert "watch" not in service  # a restart would flush the rules first
    rules = low[_index(low, file_id)]
    assert (rules["state"], rules["name"]) == ("file", path)
    assert rules["check_cmd"] == f"{restore} --test"
    loaded = low[_index(low, loaded_id)]
    assert loaded["name"] == f"{restore} {path}"
    # loaded again when firewalld's stop flushed the chains
    assert loaded["onchanges"] == [
        {"file": file_id},
        {"service": "firewall-conflicting-service-firewalld-dead"},
    ]
    # Fail closed: rules files written and checked -> firewalld off -> loaded -> service on.
    firewalld = low[_index(low, "firewall-conflicting-service-firewalld-dead")]
    assert firewalld["require"] == [
        {"file": "firewall-config-file-managed"},
        {"file": "firewall-config-ipv6-file-managed"},
    ]
    order = [
        _index(low, sid)
        for sid in (file_id, "firewall-conflicting-service-firewalld-dead", loaded_id, service_id)
    ]
    assert order == sorted(order)


@pytest.mark.parametrize("node", NODES)
def test_bad_data_leaves_firewalld_running(unchecked_checkout, node):
    # a port the rules template refuses (the schema is left out here): no rules file, and
    # firewalld keeps filtering
    bad = f"pillar={json.dumps({'firewall': {'open': ['abc']}})}"
    high = show_firewall(unchecked_checkout, node, bad)
    assert "not written" in args_of(high, "firewall-config-file-managed")[1]["comment"]
    assert not [sid for sid in high if "firewalld" in sid]


@pytest.mark.parametrize("node", NODES)
def test_the_firewall_is_the_roles_first_formula(lowstates, node):
    low = lowstates[node]
    # After the data check that changes nothing.
    assert low[0]["__id__"] == "hltcloud-data-validated"
    assert low[1]["__sls__"].startswith("firewall.")
    assert _index(low, "firewall-service-running") < _index(low, "common-service-network-running")


@pytest.mark.parametrize("node", NODES)
def test_ipv6_rules_accept_only_the_always_open_ports_and_forward_nothing(checkout, node):
    high = show_firewall(checkout, node)
    context = args_of(high, "firewall-config-ipv6-file-managed")[1]["context"]
    assert [(r["dport"], r["source"]) for r in context["accept"]] == [("22", None)]
    assert (context["family"], context["forward_reject"]) == (6, True)
    assert context["reject_with"] == "icmp6-adm-prohibited"
    assert context["icmp_types"] == []  # all of ICMPv6 is accepted: neighbour discovery


@pytest.mark.parametrize("node", NODES)
def test_common_no_longer_touches_iptables_or_firewalld(lowstates, node):
    common = [c for c in lowstates[node] if c["__sls__"].startswith("common")]
    assert common
    assert not [c for c in common if "iptables" in json.dumps(c) or "firewalld" in json.dumps(c)]


def _rules_context(checkout, node, *args):
    high = show_firewall(checkout, node, *args)
    return args_of(high, "firewall-config-file-managed")[1]["context"]


def show_firewall(checkout, node, *args):
    code, high = salt_call(checkout, node, "state.show_sls", "firewall", *args, grains=grains(node))
    assert code == 0 and isinstance(high, dict), high
    return high


def test_head_rules_open_the_runbook_and_salt_ports_and_restrict_mariadb_and_keystone_admin(
    checkout,
):
    context = _rules_context(checkout, "cn43.internal")
    anyone = sorted(
        r["dport"] for r in context["accept"] if r["source"] is None and r["set"] is None
    )
    assert anyone == sorted(["22", "8774", "8773", "8775", "6080", "5000", "9292", "4505:4506"])
    # The inventory's nodes: one ipset, one rule per port whatever their number.
    node_ips = sorted(node["ip"] for node in inventory()["nodes"].values())
    assert sorted(context["node_set"]["members"]) == node_ips
    assert (context["node_set"]["name"], context["node_set"]["type"]) == ("hlt-nodes", "hash:ip")
    for port in ("3306", "35357", "5672"):
        rules = [(r["source"], r["set"]) for r in context["accept"] if r["dport"] == port]
        assert rules == [(None, "hlt-nodes")], port
    closed = {(row["port"], row["mark"]) for row in context["closed"]}
    assert closed == {
        ("8776", "?"),
        ("5900-5999", ""),
        ("6081", "?"),
        ("6082", "?"),
        ("9191", "?"),
        ("9696", "?"),
    }
    assert context["forward_reject"] is True


def test_moving_keystone_admin_or_mariadb_moves_the_nodes_rule(checkout):
    # The rule's port is the service's own parameter (port_of), not a copy: a lookup
    # that moves Keystone's admin port moves nova.conf's auth_port and this rule together.
    lookup = {"openstack": {"apis": {"identity": {"admin_port": 35358}}}, "mariadb": {"port": 3307}}
    pillar = json.dumps({"hltcloud": {"lookup": lookup}})
    context = _rules_context(checkout, "cn43.internal", f"pillar={pillar}")
    nodes = sorted(r["dport"] for r in context["accept"] if r["set"] == "hlt-nodes")
    assert nodes == sorted(["3307", "35358", "5672"])


def test_the_head_loads_the_nodes_ipset_before_its_rules_and_at_boot(lowstates):
    low = lowstates["cn43.internal"]
    ipset_file = low[_index(low, "firewall-config-ipset-file-managed")]
    assert ipset_file["name"] == "/etc/sysconfig/hlt-ipset"
    assert ipset_file["context"]["members"] == sorted(
        node["ip"] for node in inventory()["nodes"].values()
    )
    loaded = low[_index(low, "firewall-config-ipset-loaded")]
    assert "ipset swap hlt-nodes-new hlt-nodes" in loaded["name"]
    assert "/usr/sbin/ipset save hlt-nodes" in loaded["unless"]
    # iptables-restore --test (the rules file's check) refuses a rule naming a missing set.
    rules = low[_index(low, "firewall-config-file-managed")]
    assert {"cmd": "firewall-config-ipset-loaded"} in rules["require"]
    dropin = low[_index(low, "firewall-config-ipset-boot-dropin-managed")]
    assert dropin["name"] == "/etc/systemd/system/iptables.service.d/hlt-ipset.conf"
    assert dropin["context"]["file"] == "/etc/sysconfig/hlt-ipset"
    order = [
        _index(low, sid)
        for sid in (
            "firewall-config-ipset-file-managed",
            "firewall-config-ipset-loaded",
            "firewall-config-file-managed",
            "firewall-config-rules-loaded",
            "firewall-service-running",
        )
    ]
    assert order == sorted(order)
    # iptables (RedHat) and the ipset tools, one package state
    assert "ipset" in low[_index(low, "firewall-packages-installed")]["pkgs"]


def test_compute_nodes_have_no_ipset(lowstates):
    # No rule of theirs matches the nodes: adding a node changes no compute node's firewall.
    assert not [c for c in lowstates["cn44.internal"] if "ipset" in c["__id__"]]


@pytest.mark.parametrize(
    ("total", "mgmt", "ib"),
    [(251, None, None), (1001, "10.162.128.0/22", "10.162.132.0/22")],
    ids=["250-compute", "1000-compute-in-a-22"],
)
def test_the_rules_do_not_grow_with_the_inventory(checkout, total, mgmt, ib):
    small = {node: _rules_context(checkout, node) for node in NODES}
    grown = grown_inventory(total, mgmt, ib)
    with inventory_written(checkout, grown):
        large = {node: _rules_context(checkout, node) for node in NODES}
    assert large["cn43.internal"]["errors"] == []
    # The same rules, the same number of them; only the set's members grew.
    assert large["cn43.internal"]["accept"] == small["cn43.internal"]["accept"]
    members = large["cn43.internal"]["node_set"]["members"]
    assert len(members) == total
    assert sorted(members) == sorted(node["ip"] for node in grown["nodes"].values())
    assert large["cn44.internal"] == small["cn44.internal"]


def test_compute_rules_open_vnc_and_leave_forward_to_nova_network(checkout):
    high = show_firewall(checkout, "cn44.internal")
    context = args_of(high, "firewall-config-file-managed")[1]["context"]
    # VNC from the head alone (novncproxy), not from every LAN host and guest
    head_ip = inventory()["nodes"]["cn43"]["ip"]
    assert [(r["dport"], r["source"], r["set"]) for r in context["accept"]] == [
        ("22", None, None),
        ("5900:5999", head_ip, None),
    ]
    assert context["forward_reject"] is False
    # After a reload the nova services that own filter chains rebuild them, where they run.
    for service in (
        "openstack-nova-network",
        "openstack-nova-metadata-api",
        "openstack-nova-compute",
    ):
        body = high[f"firewall-service-{service}-chains-restored"]["guarded"]
        assert "restarted_if_running" in body
        args = {k: v for arg in body if isinstance(arg, dict) for k, v in arg.items()}
        assert args["name"] == service
        assert args["onchanges"] == [
            {"id": "firewall-config-file-managed"},
            {"service": "firewall-service-running"},
        ]


def test_debian_names_are_netfilter_persistent_and_rules_v4(checkout):
    code, high = salt_call(checkout, "cn43.internal", "state.show_sls", "firewall")
    assert code == 0, high
    assert args_of(high, "firewall-config-file-managed")[1]["name"] == "/etc/iptables/rules.v4"
    assert args_of(high, "firewall-service-running")[1]["name"] == "netfilter-persistent"
    # netfilter-persistent loads rules.v6 as well: no second service.
    assert args_of(high, "firewall-config-ipv6-file-managed")[1]["name"] == "/etc/iptables/rules.v6"
    assert "firewall-service-ipv6-running" not in high


# Pillar firewall values the rules template refuses, and what it says: the schema must
# refuse each too (test_the_schema_refuses_what_the_rules_template_refuses).
BAD_FIREWALL = [
    ({"open": [70000]}, 'pillar firewall:open:0:port is "70000"'),
    ({"open": [{"port": "0"}]}, 'pillar firewall:open:0:port is "0"'),
    ({"open": [22, "9191-80"]}, 'pillar firewall:open:1:port is "9191-80"'),
    ({"open": ["ssh"]}, 'pillar firewall:open:0:port is "ssh"'),
    (
        {"open": [{"port": 9191, "sources": ["10.0.0.0/33"]}]},
        'pillar firewall:open:0:sources has "10.0.0.0/33"',
    ),
    (
        {"open": [{"port": 9191, "sources": []}]},
        "pillar firewall:open:0:sources is empty",
    ),
    (
        {"sources": {"35357": ["192.0.2.10", "10.0.0.300/24"]}},
        'pillar firewall:sources:35357 has "10.0.0.300/24"',
    ),
    ({"sources": {"3306": "192.0.2.0/24"}}, "pillar firewall:sources:3306 must be a list"),
    ({"sources": {"9292": ["192.0.2.10"]}}, "pillar firewall:sources:9292: 9292 is not a port"),
    ({"open": ["abc"]}, 'pillar firewall:open:0:port is "abc"'),
    ({"open": "80"}, "pillar firewall:open must be a list"),
    ({"sources": {"3306": ["10.0.0.300"]}}, 'pillar firewall:sources:3306 has "10.0.0.300"'),
    ({"sources": {"22": ["192.0.2.10"]}}, "pillar firewall:sources:22: 22 is not a port"),
    ({"sources": ["192.0.2.10"]}, "pillar firewall:sources must be a mapping"),
    # a typo would open the port to every source
    (
        {"open": [{"port": 5672, "source": ["192.0.2.10"]}]},
        "pillar firewall:open:0 has unknown key(s) source",
    ),
    ({"open": [{"port": 80, "service": 'web"x'}]}, "pillar firewall:open:0:service is"),
    ({"open": [{"port": 80, "service": "web\nCOMMIT"}]}, "pillar firewall:open:0:service is"),
]


@pytest.mark.parametrize(("pillar", "message"), BAD_FIREWALL)
def test_bad_pillar_value_is_one_failing_state_naming_the_key(unchecked_checkout, pillar, message):
    high = show_firewall(
        unchecked_checkout, "cn43.internal", f"pillar={json.dumps({'firewall': pillar})}"
    )
    fun, args = args_of(high, "firewall-config-file-managed")
    assert fun == "hltcloud.failed"
    assert message in args["comment"]
    assert args["comment"].startswith("/etc/sysconfig/iptables not written: ")
    failing = [sid for sid in high if args_of(high, sid)[0] == "hltcloud.failed"]
    assert failing == ["firewall-config-file-managed"]
    assert "firewall-config-rules-loaded" not in high
    # Both services require it (and nothing that is not there), so neither is enabled
    # nor started, and each fails naming it rather than a missing requisite.
    for service in ("firewall-service-running", "firewall-service-ipv6-running"):
        assert args_of(high, service)[1]["require"] == [{"id": "firewall-config-file-managed"}]
    assert "firewall-config-ipv6-file-managed" not in high


@pytest.mark.parametrize("pillar", [pillar for pillar, _ in BAD_FIREWALL], ids=json.dumps)
def test_the_schema_refuses_what_the_rules_template_refuses(pillar):
    # The schema (the ext_pillar, validate.sls) stops the run before any state: it refuses
    # each value the template refuses, with the nodes-only ports of the node's data.
    parameters = yaml.safe_load((REPO / "salt/parameters/defaults.yaml").read_text())
    nodes_ports = hltcloud.firewall_nodes_ports(parameters["firewall"], parameters)
    assert nodes_ports == ["3306", "35357", "5672"]
    problems = hltcloud.validate_pillar({"firewall": pillar}, nodes_ports)
    assert problems and all(p.startswith("firewall:") for p in problems), problems


def test_the_schema_stops_the_run_before_any_state(checkout):
    # with the ext_pillar, as on the master: no state renders, one line names the key
    bad = json.dumps({"firewall": {"open": ["abc"]}})
    args = ["--id", "cn43.internal", "--log-level=quiet", "state.show_sls", "firewall"]
    proc = subprocess.run(
        [SALT_CALL, *args, f"pillar={bad}"],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0
    assert "firewall:open:0:port: 'abc' is not a port or range" in proc.stderr
    assert "Traceback" not in proc.stderr
