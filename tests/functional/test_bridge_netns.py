"""
The bridge layout the ifcfg files of network.bridge ask for, built for real with iproute2 in
network namespaces: em1 (a veth end: dummy, vlan and bond devices do not exist on this kernel)
enslaved to br100, the node's address on br100 and none on em1 (ifcfg-em1: BRIDGE=br100,
BOOTPROTO=none; ifcfg-br100: BOOTPROTO=dhcp), and nova-network's flat-network gateway
203.0.113.25/29 as a second address on br100 beside it (runbook, "Run your first virtual
machine"). Traffic is checked through it: the upstream network reaches the node's address
through em1, a VM on the bridge reaches its gateway.

What this does not show: the RedHat network scripts (ifup/ifdown reading the ifcfg files,
dhclient) do not run on this Debian host; the addresses are set with `ip` the way they leave
them. Every namespace made here is deleted afterwards, and with it every link in it. Needs root
and `ip netns`; skipped otherwise.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

NODE_ADDRESS = "10.162.128.64/24"
UPSTREAM_ADDRESS = "10.162.128.1/24"
GATEWAY = "203.0.113.25/29"
VM_ADDRESS = "203.0.113.26/29"
# em1's MAC is the runbook's; libvirt gives its tap devices fe:... MACs so that the bridge
# keeps the physical interface's (a Linux bridge takes its ports' lowest MAC).
MACS = {"em1": "00:30:48:c9:a2:4a", "vnet0": "fe:16:3e:00:00:01"}


def ip(*args, netns=None, check=True):
    cmd = ["ip", *(["-n", netns] if netns else []), *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=check)


def _why_not():
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    probe = f"hltbr-probe-{os.getpid()}"
    try:
        proc = ip("netns", "add", probe, check=False)
    except FileNotFoundError:
        return "iproute2's ip command is not installed"
    if proc.returncode != 0:
        return f"`ip netns add` failed: {proc.stderr.strip()}"
    ip("netns", "del", probe, check=False)
    return None


WHY_NOT = _why_not()
pytestmark = pytest.mark.skipif(WHY_NOT is not None, reason=str(WHY_NOT))


@pytest.fixture
def compute_node():
    """
    Three namespaces: the compute node (br100 with em1 and vnet0 enslaved), its upstream
    network on em1's peer, and a VM on vnet0's peer. Yields their names.
    """
    tag = os.getpid()
    names = {role: f"hltbr-{role}-{tag}" for role in ("node", "upstream", "vm")}
    try:
        for name in names.values():
            ip("netns", "add", name)
        node, upstream, vm = names["node"], names["upstream"], names["vm"]
        ip("link", "add", "br100", "type", "bridge", netns=node)
        for port, peer, far in (("em1", "em1-peer", upstream), ("vnet0", "vnet0-peer", vm)):
            ip("link", "add", port, "type", "veth", "peer", "name", peer, netns=node)
            ip("link", "set", port, "address", MACS[port], netns=node)
            ip("link", "set", peer, "netns", far, netns=node)
            ip("link", "set", port, "master", "br100", netns=node)
            ip("link", "set", port, "up", netns=node)
            ip("link", "set", peer, "up", netns=far)
            ip("link", "set", "lo", "up", netns=far)
        ip("link", "set", "lo", "up", netns=node)
        ip("link", "set", "br100", "up", netns=node)
        # ifcfg-br100 (DHCP) gives the bridge the node's address; ifcfg-em1 none to em1.
        ip("addr", "add", NODE_ADDRESS, "dev", "br100", netns=node)
        # nova-network adds the flat network's gateway when a VM of that network runs here.
        ip("addr", "add", GATEWAY, "dev", "br100", netns=node)
        ip("addr", "add", UPSTREAM_ADDRESS, "dev", "em1-peer", netns=upstream)
        ip("addr", "add", VM_ADDRESS, "dev", "vnet0-peer", netns=vm)
        yield names
    finally:
        for name in names.values():
            ip("netns", "del", name, check=False)


def _link(netns, dev):
    (link,) = json.loads(ip("-j", "addr", "show", "dev", dev, netns=netns).stdout)
    return link


def _ipv4(link):
    return [f"{a['local']}/{a['prefixlen']}" for a in link["addr_info"] if a["family"] == "inet"]


def _connects(client_netns, server_netns, address):
    """True when a TCP client in ``client_netns`` reaches a listener on ``address``."""
    host = address.split("/")[0]
    server = textwrap.dedent(
        f"""
        import socket, sys
        s = socket.create_server(({host!r}, 0))
        s.settimeout(10)
        print(s.getsockname()[1], flush=True)
        conn, _ = s.accept()
        conn.sendall(b"ok")
        """
    )
    listener = subprocess.Popen(
        ["ip", "netns", "exec", server_netns, sys.executable, "-c", server],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(listener.stdout.readline())
        client = (
            "import socket; "
            f"c = socket.create_connection(({host!r}, {port}), timeout=5); "
            "print(c.recv(2).decode())"
        )
        proc = subprocess.run(
            ["ip", "netns", "exec", client_netns, sys.executable, "-c", client],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        return proc.returncode == 0 and proc.stdout.strip() == "ok"
    finally:
        listener.kill()
        listener.wait()


def test_em1_is_a_port_of_br100_without_an_address(compute_node):
    em1 = _link(compute_node["node"], "em1")
    assert em1["master"] == "br100"
    assert _ipv4(em1) == []
    br100 = _link(compute_node["node"], "br100")
    # As in the runbook's `ifconfig`: the bridge carries em1's MAC address (HWADDR).
    assert br100["address"] == em1["address"] == MACS["em1"]


def test_br100_carries_the_node_address_and_the_gateway_beside_it(compute_node):
    br100 = _link(compute_node["node"], "br100")
    assert sorted(_ipv4(br100)) == sorted([NODE_ADDRESS, GATEWAY])
    routes = json.loads(
        ip("-j", "route", "show", "dev", "br100", netns=compute_node["node"]).stdout
    )
    assert {r["dst"] for r in routes} == {"10.162.128.0/24", "203.0.113.24/29"}


def test_the_node_address_is_reached_through_em1(compute_node):
    assert _connects(compute_node["upstream"], compute_node["node"], NODE_ADDRESS)


def test_a_vm_on_the_bridge_reaches_its_gateway(compute_node):
    assert _connects(compute_node["vm"], compute_node["node"], GATEWAY)


def test_every_namespace_is_gone_afterwards():
    leftovers = [
        line.split()[0]
        for line in ip("netns", "list").stdout.splitlines()
        if line.startswith("hltbr-") and line.split()[0].endswith(f"-{os.getpid()}")
    ]
    assert leftovers == []
