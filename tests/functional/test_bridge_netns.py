"""
The bridge that the COMPILED ifcfg files of network.bridge give a compute node, built for real
with iproute2 in network namespaces. cn44's `network.bridge` is compiled masterless with RedHat
grains (as test_compute_highstate.py does) and the contents of its two `file.managed` states,
ifcfg-em1 and ifcfg-br100, are read the way the RedHat network scripts read them (ifup-eth):
DEVICE, TYPE, ONBOOT, HWADDR (the device must have that MAC, or ifup refuses it), BRIDGE
(enslave), BOOTPROTO (none, static IPADDR/PREFIX, or dhcp: a lease from a DHCP server that
knows the node by its MAC). The expectations come from elsewhere: the inventory (interfaces,
the node's address), the node's MAC (its grains) and the runbook (em1 in br100 without an
address, the node's address on br100, which carries em1's MAC). So a wrong ifcfg builds a
wrong bridge and a test below fails.

Then nova-network's flat-network gateway 203.0.113.25/29 goes on br100 beside the node's
address (runbook, "Run your first virtual machine"), and traffic is checked: the upstream
network reaches the node's address through em1, a VM on the bridge reaches its gateway.

What this does not show: the RedHat network scripts and dhclient themselves do not run on this
Debian host. Every namespace made here is deleted afterwards, and with it every link in it.
Needs root and `ip netns` (tests/conftest.py require_service).
"""

import json
import os
import shlex
import subprocess
import sys
import textwrap
import uuid

import pytest

from tests.functional.test_compute_highstate import (  # noqa: F401  (the checkout fixture)
    MACS,
    args_of,
    checkout,
    node_grains,
    node_ip,
    salt_call,
)
from tests.support.localcluster import inventory

NODE = "cn44.internal"
PHYSICAL = inventory()["interfaces"]["physical"]
BRIDGE = inventory()["interfaces"]["bridge"]
PREFIX = inventory()["networks"]["mgmt"]["cidr"].split("/")[1]
NODE_ADDRESS = f"{node_ip(NODE)}/{PREFIX}"
UPSTREAM_ADDRESS = f"10.162.128.1/{PREFIX}"
GATEWAY = "203.0.113.25/29"
VM_ADDRESS = "203.0.113.26/29"
# libvirt gives its tap devices fe:... MACs so that the bridge keeps the physical interface's
# (a Linux bridge takes its ports' lowest MAC).
TAP_MAC = "fe:16:3e:00:00:01"
# Unique per run: other engineers run netns tests on this host at the same time.
TAG = f"{os.getpid()}-{uuid.uuid4().hex[:6]}"


def ip(*args, netns=None, check=True):
    cmd = ["ip", *(["-n", netns] if netns else []), *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=check)


def _why_not():
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    probe = f"hltbr-probe-{TAG}"
    try:
        proc = ip("netns", "add", probe, check=False)
    except FileNotFoundError:
        return "iproute2's ip command is not installed"
    if proc.returncode != 0:
        return f"`ip netns add` failed: {proc.stderr.strip()}"
    ip("netns", "del", probe, check=False)
    return None


pytestmark = pytest.mark.requires_service(_why_not())


def parse_ifcfg(contents):
    """An ifcfg file as the network scripts read it (shell assignments): {KEY: value}."""
    values = {}
    for line in contents.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        (values[key],) = shlex.split(value) or [""]
    return values


@pytest.fixture(scope="module")
def ifcfg(checkout):
    """[ifcfg-em1, ifcfg-br100] of cn44's compiled network.bridge, parsed."""
    code, high = salt_call(
        checkout, NODE, "state.show_sls", "network.bridge", grains=node_grains(NODE)
    )
    assert code == 0 and isinstance(high, dict), high
    files = []
    for state_id in (
        "network-bridge-physical-ifcfg-managed",
        "network-bridge-bridge-ifcfg-managed",
    ):
        fun, args = args_of(high, state_id)
        assert fun == "file.managed"
        files.append(parse_ifcfg(args["contents"]))
    return files


def _mac(netns, dev):
    return json.loads(ip("-j", "link", "show", "dev", dev, netns=netns).stdout)[0]["address"]


def _exists(netns, dev):
    return ip("link", "show", "dev", dev, netns=netns, check=False).returncode == 0


def ifup(netns, cfg, leases):
    """
    What ifup-eth does with one ifcfg file, as far as this layout needs. ``leases`` is the
    DHCP server: {MAC: address}. Returns why the device was refused, or None.
    """
    dev = cfg["DEVICE"]
    if cfg.get("ONBOOT", "yes").lower() not in ("yes", "true"):
        return f"{dev}: ONBOOT={cfg['ONBOOT']}"
    if cfg.get("TYPE") == "Bridge":
        if not _exists(netns, dev):
            ip("link", "add", dev, "type", "bridge", netns=netns)
    elif not _exists(netns, dev):
        return f"{dev}: no such device"
    if cfg.get("HWADDR") and cfg["HWADDR"].lower() != _mac(netns, dev):
        return f"Device {dev} has different MAC address than expected, ignoring."
    if cfg.get("BRIDGE"):
        if not _exists(netns, cfg["BRIDGE"]):
            ip("link", "add", cfg["BRIDGE"], "type", "bridge", netns=netns)
        ip("link", "set", dev, "master", cfg["BRIDGE"], netns=netns)
    ip("link", "set", dev, "up", netns=netns)
    bootproto = cfg.get("BOOTPROTO", "none").lower()
    if bootproto in ("dhcp", "bootp"):
        lease = leases.get(_mac(netns, dev))
        if lease:
            ip("addr", "add", lease, "dev", dev, netns=netns)
    elif cfg.get("IPADDR"):
        ip("addr", "add", f"{cfg['IPADDR']}/{cfg.get('PREFIX', '24')}", "dev", dev, netns=netns)
    return None


@pytest.fixture
def compute_node(ifcfg):
    """
    Three namespaces: the compute node, its upstream network on the peer of the node's
    Ethernet device (MAC from the node's grains), and a VM on the peer of libvirt's tap
    device. The node's devices are then set up from the compiled ifcfg files: devices first,
    bridges after, as the network service does. Yields the names and ifup's refusals.
    """
    names = {role: f"hltbr-{role}-{TAG}" for role in ("node", "upstream", "vm")}
    node, upstream, vm = names["node"], names["upstream"], names["vm"]
    try:
        for name in names.values():
            ip("netns", "add", name)
            ip("link", "set", "lo", "up", netns=name)
        # The hardware: the Ethernet device with the node's MAC, cabled to upstream.
        ip("link", "add", PHYSICAL, "type", "veth", "peer", "name", "eth-peer", netns=node)
        ip("link", "set", PHYSICAL, "address", MACS[NODE], netns=node)
        ip("link", "set", "eth-peer", "netns", upstream, netns=node)
        ip("link", "set", "eth-peer", "up", netns=upstream)
        ip("addr", "add", UPSTREAM_ADDRESS, "dev", "eth-peer", netns=upstream)

        leases = {MACS[NODE]: NODE_ADDRESS}
        ordered = sorted(ifcfg, key=lambda cfg: cfg.get("TYPE") == "Bridge")
        refused = [why for why in (ifup(node, cfg, leases) for cfg in ordered) if why]

        # libvirt's tap device for a VM, on the bridge when there is one; nova-network adds
        # the flat network's gateway to the bridge when a VM of that network runs here.
        ip("link", "add", "vnet0", "type", "veth", "peer", "name", "vm-peer", netns=node)
        ip("link", "set", "vnet0", "address", TAP_MAC, netns=node)
        ip("link", "set", "vm-peer", "netns", vm, netns=node)
        ip("link", "set", "vm-peer", "up", netns=vm)
        ip("addr", "add", VM_ADDRESS, "dev", "vm-peer", netns=vm)
        if _exists(node, BRIDGE):
            ip("link", "set", "vnet0", "master", BRIDGE, netns=node)
            ip("addr", "add", GATEWAY, "dev", BRIDGE, netns=node)
        ip("link", "set", "vnet0", "up", netns=node)
        yield {**names, "refused": refused}
    finally:
        for name in names.values():
            ip("netns", "del", name, check=False)


def _link(netns, dev):
    proc = ip("-j", "addr", "show", "dev", dev, netns=netns, check=False)
    assert proc.returncode == 0, f"{dev} does not exist: {proc.stderr.strip()}"
    (link,) = json.loads(proc.stdout)
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
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = listener.stdout.readline()
        if not line:
            return False  # the address is not on any device of server_netns
        port = int(line)
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


def test_the_network_scripts_accept_both_ifcfg_files(compute_node):
    assert compute_node["refused"] == []


def test_em1_is_a_port_of_br100_without_an_address(compute_node):
    em1 = _link(compute_node["node"], PHYSICAL)
    assert em1.get("master") == BRIDGE
    assert _ipv4(em1) == []
    br100 = _link(compute_node["node"], BRIDGE)
    # As in the runbook's `ifconfig`: the bridge carries em1's MAC address (HWADDR).
    assert br100["address"] == em1["address"] == MACS[NODE]


def test_br100_carries_the_node_address_and_the_gateway_beside_it(compute_node):
    br100 = _link(compute_node["node"], BRIDGE)
    assert sorted(_ipv4(br100)) == sorted([NODE_ADDRESS, GATEWAY])
    routes = json.loads(ip("-j", "route", "show", "dev", BRIDGE, netns=compute_node["node"]).stdout)
    assert {r["dst"] for r in routes} == {"10.162.128.0/24", "203.0.113.24/29"}


def test_the_node_address_is_reached_through_em1(compute_node):
    assert _connects(compute_node["upstream"], compute_node["node"], NODE_ADDRESS)


def test_a_vm_on_the_bridge_reaches_its_gateway(compute_node):
    assert _connects(compute_node["vm"], compute_node["node"], GATEWAY)


def test_every_namespace_is_gone_afterwards():
    leftovers = [
        line.split()[0]
        for line in ip("netns", "list").stdout.splitlines()
        if line.startswith("hltbr-") and line.split()[0].endswith(f"-{TAG}")
    ]
    assert leftovers == []
