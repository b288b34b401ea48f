"""
The firewall formula applied for real, with real packets: `salt-call state.apply firewall` as
cn43.internal (head) and cn44.internal (compute) runs inside a network namespace of its own (so
its iptables-restore changes only that namespace), and a peer namespace joined to it by veth
connects to TCP listeners inside it: from a source in no allowed list (198.51.100.2), from a
source pillar allows for the nodes-only ports (198.51.100.3), and from cn44's inventory address
(10.162.128.64, an address inside the test's own namespaces), and over IPv6 (2001:db8:f00::/64,
a documentation prefix on the same veth).

Debian names apply on this host: the rules file is pointed at a temp dir through pillar
`hltcloud:lookup:firewall:rules_file`, the package list is the installed `iptables`, and the boot
service (netfilter-persistent) and nova-network are init-script test doubles
(tests/support/firewall.py). Systemd is not PID 1 here, so Salt's systemd service module runs in
offline mode and does nothing; the copy's minion config disables it, which leaves Salt's
debian_service: it drives the init scripts through `service`, as this host boots them.

What this does not show: the RedHat iptables service and Fedora's kernel; the RedHat names and
the order of the compiled highstates are checked in test_firewall_highstate.py.
"""

import ipaddress
import json
import os

import pytest

from tests.support import firewall as fw
from tests.support.checkout import checkout_with_secrets
from tests.support.firewall import (
    PEER_ALLOWED,
    PEER_DENIED,
    PEER_HEAD,
    PEER_INVENTORY,
    PEER_IP6,
)
from tests.support.localcluster import grown_inventory, inventory_written

HEAD_OPEN = [22, 4505, 4506, 5000, 6080, 8773, 8774, 8775, 9292]
HEAD_QUESTION = [6081, 6082, 8776, 9191, 9696]  # "?" on the head, 35357 aside
HEAD_NOT_NEEDED = [5900, 5999]  # VNC: blank on the head
HEAD_NODES_ONLY = [3306, 5672, 35357]  # MariaDB, Qpid, Keystone admin
COMPUTE_OPEN = [22]
COMPUTE_HEAD_ONLY = [5900, 5901, 5950, 5999]  # VNC, for novncproxy on the head
COMPUTE_CLOSED = [5899, 6000, 6082, 9191, 9696, 8774, 5000, 3306, 35357, 4505, 5672]

WHY_NOT = fw.why_not()


@pytest.fixture(scope="module", autouse=True)
def _usable():
    if WHY_NOT is None:
        return
    if os.environ.get("HLT_REQUIRE_SERVICES") == "1":
        pytest.fail(f"firewall tests cannot run here: {WHY_NOT}")
    pytest.skip(WHY_NOT)


def _checkout(tmp_path_factory, name):
    """A copy of the checkout with its own secrets, driving services through init scripts."""
    target = checkout_with_secrets(tmp_path_factory.mktemp(name) / "hlt-cloud")
    with (target / "etc" / "salt" / "minion").open("a") as minion:
        minion.write("\ndisable_modules:\n  - systemd_service\n")
    return target


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    return _checkout(tmp_path_factory, "firewall-checkout")


def _pillar(paths, service, nova=None, **firewall):
    lookup = {
        "firewall": {
            "pkgs": ["iptables", "ipset"],  # installed; iptables-persistent is not
            "service": service,
            "rules_file": str(paths / "rules.v4"),
            "ipset": {"file": str(paths / "ipsets")},
            "ipv6": {"rules_file": str(paths / "rules.v6")},
        },
        "nova": {
            "network": {
                "service": nova or f"hltfw-no-such-service-{os.getpid()}",
                "metadata_service": f"hltfw-no-such-service-{os.getpid()}",
            },
            "compute": {"service": f"hltfw-no-such-service-{os.getpid()}"},
        },
    }
    return {"hltcloud": {"lookup": lookup}, "firewall": firewall}


def _apply_raw(net, checkout, node, bindir, pillar):
    return fw.salt_call_in(
        net.node,
        checkout,
        node,
        "state.apply",
        "firewall",
        f"pillar={json.dumps(pillar)}",
        path_prefix=str(bindir),
    )


def _apply(net, checkout, node, bindir, pillar):
    code, ret = _apply_raw(net, checkout, node, bindir, pillar)
    return code, fw.by_id(ret)


def _changed(states):
    return {sid for sid, state in states.items() if state["changes"]}


def _failed(states):
    return {sid: state["comment"] for sid, state in states.items() if state["result"] is False}


def _stop_holder(holder, stopfile):
    stopfile.touch()
    counts = json.loads(holder.stdout.readline())
    holder.wait()
    stopfile.unlink()
    return counts


@pytest.fixture(scope="module")
def head(checkout, tmp_path_factory):
    """
    The head's firewall applied twice in a fresh namespace, with an SSH connection held from the
    peer during the first run. Yields a dict of what happened.
    """
    paths = tmp_path_factory.mktemp("firewall-head")
    net = fw.NodeAndPeer("head").setup()
    service = fw.InitScript(f"hltfw-boot-{fw.letters()}", fw.boot_loads(paths), paths)
    service.install()
    bindir = fw.insserv_stand_in(paths / "bin")
    sources = {"3306": [f"{PEER_ALLOWED}/32"], "35357": [PEER_ALLOWED]}
    pillar = _pillar(paths, service.name, sources=sources)
    try:
        net.listen(sorted({*HEAD_OPEN, *HEAD_QUESTION, *HEAD_NOT_NEEDED, *HEAD_NODES_ONLY}))
        before = net.connect(PEER_DENIED, [*HEAD_QUESTION, *HEAD_NODES_ONLY])
        before6 = net.connect(PEER_IP6, [22, *HEAD_OPEN, *HEAD_NODES_ONLY])
        stopfile = paths / "stop"
        holder = net.hold(PEER_DENIED, 22, stopfile)
        first = _apply(net, checkout, "cn43.internal", bindir, pillar)
        ssh = _stop_holder(holder, stopfile)
        second = _apply(net, checkout, "cn43.internal", bindir, pillar)
        yield {
            "net": net,
            "paths": paths,
            "bindir": bindir,
            "pillar": pillar,
            "service": service,
            "before": before,
            "before6": before6,
            "first": first,
            "second": second,
            "ssh": ssh,
        }
    finally:
        net.teardown()
        service.remove()


def test_head_first_run_writes_loads_then_enables_and_starts_iptables(head):
    code, states = head["first"]
    assert code == 0, _failed(states)
    assert _changed(states) == {
        "firewall-config-ipset-file-managed",
        "firewall-config-ipset-loaded",
        "firewall-config-file-managed",
        "firewall-config-rules-loaded",
        "firewall-config-ipv6-file-managed",
        "firewall-config-ipv6-rules-loaded",
        "firewall-service-running",
    }, states["firewall-service-running"]
    order = {sid: state["__run_num__"] for sid, state in states.items()}
    assert order["firewall-config-ipset-loaded"] < order["firewall-config-file-managed"]
    assert order["firewall-config-file-managed"] < order["firewall-config-rules-loaded"]
    assert order["firewall-config-rules-loaded"] < order["firewall-service-running"]
    assert head["service"].enabled()
    assert head["service"].calls() == ["start"]
    assert (head["paths"] / "rules.v4").stat().st_mode & 0o777 == 0o600
    assert (head["paths"] / "rules.v6").stat().st_mode & 0o777 == 0o600


def test_head_second_run_changes_nothing(head):
    code, states = head["second"]
    assert code == 0, _failed(states)
    assert _changed(states) == set()
    assert head["service"].calls() == ["start"]


def test_listeners_answer_before_the_rules_load(head):
    assert set(head["before"].values()) == {"ok"}


def test_head_runbook_and_salt_ports_are_open_to_anyone(head):
    net = head["net"]
    assert net.open_ports(PEER_DENIED, HEAD_OPEN) == HEAD_OPEN


def test_head_question_and_blank_ports_are_closed(head):
    net = head["net"]
    result = net.connect(PEER_DENIED, [*HEAD_QUESTION, *HEAD_NOT_NEEDED])
    assert "ok" not in result.values(), result
    # REJECT, not a silent drop: the client is told at once.
    assert set(result.values()) == {"EHOSTUNREACH"}


def test_mariadb_qpid_and_keystone_admin_are_closed_to_other_sources(head):
    assert head["net"].open_ports(PEER_DENIED, HEAD_NODES_ONLY) == []


def test_mariadb_qpid_and_keystone_admin_are_open_to_inventory_nodes_and_pillar_sources(head):
    net = head["net"]
    assert net.open_ports(PEER_INVENTORY, HEAD_NODES_ONLY) == HEAD_NODES_ONLY
    assert net.open_ports(PEER_ALLOWED, [3306, 35357]) == [3306, 35357]  # their sources


def test_ssh_stays_reachable_while_the_rules_are_first_applied(head):
    ssh = head["ssh"]
    assert ssh["echo_failures"] == 0 and ssh["connect_failures"] == 0, ssh
    assert ssh["echoes"] > 0 and ssh["connects"] > 0, ssh


def test_over_ipv6_only_ssh_stays_open(head):
    # Before the rules every listener answered over IPv6 too: what firewalld's end left.
    assert set(head["before6"].values()) == {"ok"}
    net = head["net"]
    result = net.connect(PEER_IP6, [*HEAD_OPEN, *HEAD_NODES_ONLY])
    assert {port for port, answer in result.items() if answer == "ok"} == {22}
    # Rejected at once (icmp6-adm-prohibited), not dropped.
    assert {answer for port, answer in result.items() if port != 22} == {"EACCES"}
    assert "-A FORWARD -j REJECT --reject-with icmp6-adm-prohibited" in net.ip6tables(
        "-S", "FORWARD"
    )


def test_head_forward_chain_rejects(head):
    assert "-A FORWARD -j REJECT --reject-with icmp-host-prohibited" in head["net"].iptables(
        "-S", "FORWARD"
    )


def test_pillar_opens_a_question_port_and_ssh_stays_up_during_the_reload(head, checkout):
    net, paths = head["net"], head["paths"]
    assert net.open_ports(PEER_ALLOWED, [9191]) == []
    pillar = json.loads(json.dumps(head["pillar"]))
    pillar["firewall"]["open"] = [{"port": 9191, "sources": [f"{PEER_ALLOWED}/32"]}, 6081]
    stopfile = paths / "stop"
    holder = net.hold(PEER_DENIED, 22, stopfile)
    code, states = _apply(net, checkout, "cn43.internal", head["bindir"], pillar)
    ssh = _stop_holder(holder, stopfile)
    assert code == 0, _failed(states)
    assert _changed(states) == {"firewall-config-file-managed", "firewall-config-rules-loaded"}
    assert ssh["echo_failures"] == 0 and ssh["connect_failures"] == 0, ssh
    assert net.open_ports(PEER_ALLOWED, [9191, 6081]) == [6081, 9191]
    assert net.open_ports(PEER_DENIED, [9191, 6081]) == [6081]
    # Still one rule set, not two: the reload replaced the table.
    assert net.iptables("-S", "INPUT").count("--dport 22 ") == 1
    # The boot service was not restarted for it.
    assert head["service"].calls() == ["start"]


@pytest.fixture(scope="module")
def compute(checkout, tmp_path_factory):
    """
    cn44's firewall in a fresh namespace: first a run with a bad pillar port, then a good run,
    then nova-network (test double) started and adding its chain, then a reload.
    """
    paths = tmp_path_factory.mktemp("firewall-compute")
    net = fw.NodeAndPeer("cn").setup()
    rules = paths / "rules.v4"
    tag = fw.letters()
    service = fw.InitScript(f"hltfw-boot-{tag}", fw.boot_loads(paths), paths).install()
    nova_chain = (
        f"ip netns exec {net.node} sh -c "
        "'iptables -N nova-network-INPUT 2>/dev/null; "
        "iptables -C INPUT -j nova-network-INPUT 2>/dev/null || "
        "iptables -I INPUT -j nova-network-INPUT'"
    )
    nova = fw.InitScript(f"hltfw-nova-{tag}", nova_chain, paths).install()
    bindir = fw.insserv_stand_in(paths / "bin")
    try:
        net.listen(sorted({*COMPUTE_OPEN, *COMPUTE_HEAD_ONLY, *COMPUTE_CLOSED}))
        bad = _apply_raw(
            net,
            checkout,
            "cn44.internal",
            bindir,
            _pillar(paths, service.name, nova.name, open=[70000]),
        )
        bad_rules = net.iptables("-S")
        bad_file = rules.exists()
        bad_service = (service.calls(), service.enabled())
        pillar = _pillar(paths, service.name, nova.name)
        first = _apply(net, checkout, "cn44.internal", bindir, pillar)
        second = _apply(net, checkout, "cn44.internal", bindir, pillar)
        yield {
            "net": net,
            "paths": paths,
            "bindir": bindir,
            "service": service,
            "nova": nova,
            "bad": bad,
            "bad_rules": bad_rules,
            "bad_file": bad_file,
            "bad_service": bad_service,
            "first": first,
            "second": second,
            "pillar": pillar,
        }
    finally:
        net.teardown()
        service.remove()
        nova.remove()


def test_bad_pillar_port_stops_the_run_naming_the_key_and_loads_nothing(compute):
    # The schema (ext_pillar / validate) refuses what rules.jinja refuses, so the run stops
    # before any state: no file, no rules, no boot service.  That the template refuses the
    # same inputs on its own: test_firewall_highstate.py, test_the_schema_refuses_what_...
    code, ret = compute["bad"]
    assert code != 0
    assert isinstance(ret, list), ret
    assert any("firewall:open:0:port: 70000" in line for line in ret), ret
    assert compute["bad_file"] is False
    assert compute["bad_rules"].split("\n")[:3] == [
        "-P INPUT ACCEPT",
        "-P FORWARD ACCEPT",
        "-P OUTPUT ACCEPT",
    ]
    assert "-A INPUT" not in compute["bad_rules"]
    assert compute["bad_service"] == ([], False)  # never started, never enabled


def test_compute_first_run_loads_and_second_changes_nothing(compute):
    code, states = compute["first"]
    assert code == 0, _failed(states)
    assert {
        "firewall-config-file-managed",
        "firewall-config-rules-loaded",
        "firewall-config-ipv6-file-managed",
        "firewall-config-ipv6-rules-loaded",
        "firewall-service-running",
    } <= _changed(states)
    code, states = compute["second"]
    assert code == 0, _failed(states)
    assert _changed(states) == set()


def test_compute_ssh_is_open(compute):
    assert compute["net"].open_ports(PEER_DENIED, COMPUTE_OPEN) == COMPUTE_OPEN


def test_compute_vnc_range_is_open_to_the_head_only(compute):
    net = compute["net"]
    assert net.open_ports(PEER_HEAD, COMPUTE_HEAD_ONLY) == COMPUTE_HEAD_ONLY
    # a LAN host, another compute node: no guest's console
    assert net.open_ports(PEER_DENIED, COMPUTE_HEAD_ONLY) == []
    assert net.open_ports(PEER_INVENTORY, COMPUTE_HEAD_ONLY) == []


def test_compute_other_ports_are_closed(compute):
    assert compute["net"].open_ports(PEER_INVENTORY, COMPUTE_CLOSED) == []


def test_compute_forward_chain_is_left_to_nova_network(compute):
    assert compute["net"].iptables("-S", "FORWARD").split("\n")[0] == "-P FORWARD ACCEPT"
    assert "-A FORWARD" not in compute["net"].iptables("-S", "FORWARD")


def test_reload_gives_nova_network_its_chains_back(compute, checkout):
    net, nova = compute["net"], compute["nova"]
    fw.run("service", nova.name, "start")
    assert "-A INPUT -j nova-network-INPUT" in net.iptables("-S", "INPUT")
    pillar = json.loads(json.dumps(compute["pillar"]))
    pillar["firewall"]["open"] = [6082]
    code, states = _apply(net, checkout, "cn44.internal", compute["bindir"], pillar)
    assert code == 0, _failed(states)
    restored = f"firewall-service-{nova.name}-chains-restored"
    assert states[restored]["changes"], states[restored]
    assert nova.calls() == ["start", "restart"]
    rules = net.iptables("-S", "INPUT")
    assert "-A INPUT -j nova-network-INPUT" in rules
    assert "--dport 6082" in rules
    assert net.open_ports(PEER_DENIED, [6082]) == [6082]


@pytest.fixture(scope="module")
def head250(tmp_path_factory):
    """
    The head's firewall with an inventory of 250 compute nodes, in a fresh namespace; the peer
    has a grown node's address (cn345) and a LAN address that is no node's.
    """
    checkout = _checkout(tmp_path_factory, "firewall-checkout-250")
    paths = tmp_path_factory.mktemp("firewall-head-250")
    grown = grown_inventory(251)
    taken = {node["ip"] for node in grown["nodes"].values()}
    mgmt = ipaddress.ip_network(grown["networks"]["mgmt"]["cidr"])
    net = fw.NodeAndPeer("h250").setup()
    service = fw.InitScript(f"hltfw-boot-{fw.letters()}", fw.boot_loads(paths), paths).install()
    bindir = fw.insserv_stand_in(paths / "bin")
    pillar = _pillar(paths, service.name)
    try:
        member = net.add_peer(grown["nodes"]["cn345"]["ip"])
        outsider = net.add_peer(max(str(a) for a in mgmt.hosts() if str(a) not in taken))
        net.listen(HEAD_NODES_ONLY)
        with inventory_written(checkout, grown):
            first = _apply(net, checkout, "cn43.internal", bindir, pillar)
        yield {
            "net": net,
            "checkout": checkout,
            "paths": paths,
            "bindir": bindir,
            "pillar": pillar,
            "service": service,
            "grown": grown,
            "member": member,
            "outsider": outsider,
            "first": first,
        }
    finally:
        net.teardown()
        service.remove()


def test_at_250_nodes_a_node_reaches_mariadb_keystone_admin_and_qpid_and_the_lan_does_not(
    head250,
):
    code, states = head250["first"]
    assert code == 0, _failed(states)
    net = head250["net"]
    assert net.open_ports(head250["member"], HEAD_NODES_ONLY) == HEAD_NODES_ONLY
    assert net.open_ports(PEER_INVENTORY, HEAD_NODES_ONLY) == HEAD_NODES_ONLY
    result = net.connect(head250["outsider"], HEAD_NODES_ONLY)
    assert set(result.values()) == {"EHOSTUNREACH"}, result


def test_at_250_nodes_the_head_has_one_rule_per_nodes_port_and_one_set(head250):
    net = head250["net"]
    rules = net.iptables("-S", "INPUT").splitlines()
    for port in HEAD_NODES_ONLY:
        (rule,) = [r for r in rules if f"--dport {port} " in r]
        assert "-m set --match-set hlt-nodes src" in rule
    members = [line for line in net.ipset("list", "hlt-nodes").splitlines() if line[:1].isdigit()]
    assert sorted(members) == sorted(node["ip"] for node in head250["grown"]["nodes"].values())


def test_a_node_left_out_of_the_inventory_is_refused_and_only_the_set_changes(head250):
    net, checkout = head250["net"], head250["checkout"]
    smaller = json.loads(json.dumps(head250["grown"]))
    del smaller["nodes"]["cn345"]
    args = (net, checkout, "cn43.internal", head250["bindir"], head250["pillar"])
    rules_before = net.iptables("-S")
    with inventory_written(checkout, smaller):
        code, states = _apply(*args)
        again = _apply(*args)
    assert code == 0, _failed(states)
    # Swapped in; the rules (and so the nova chains) were not reloaded.
    swapped = {"firewall-config-ipset-file-managed", "firewall-config-ipset-loaded"}
    assert _changed(states) == swapped
    assert net.iptables("-S") == rules_before
    assert net.open_ports(head250["member"], HEAD_NODES_ONLY) == []
    assert net.open_ports(PEER_INVENTORY, HEAD_NODES_ONLY) == HEAD_NODES_ONLY
    assert again[0] == 0 and _changed(again[1]) == set()
    assert "hlt-nodes-new" not in net.ipset("list", "-n")


def test_the_boot_service_loads_the_set_before_the_rules(head250):
    # A boot, in this namespace: no rules, no set, then the boot service (the double of
    # netfilter-persistent with ipset-persistent's plugin) from the files the states wrote.
    net = head250["net"]
    net.iptables("-F")
    net.ipset("destroy", "hlt-nodes")
    assert net.ipset("list", "-n") == ""
    fw.run("ip", "netns", "exec", net.node, "service", head250["service"].name, "restart")
    assert net.open_ports(PEER_INVENTORY, HEAD_NODES_ONLY) == HEAD_NODES_ONLY
    result = net.connect(head250["outsider"], HEAD_NODES_ONLY)
    assert set(result.values()) == {"EHOSTUNREACH"}, result
