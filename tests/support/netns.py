"""
A compute node's network in a Linux network namespace, for the self-healing
tests and benchmark: the namespace is joined to the host by a veth pair (the
master listens on the host end), and holds a real bridge br100 with a veth
standing in for em1 (dummy, vlan and bond devices do not exist on this
kernel), the node's address and the flat network's gateway address.

Each namespace's link to the host gets its own /30 out of 198.18.0.0/15 (the
benchmarking range) and its own host-side link name, both unused on the host
when it is made: a namespace left behind by a killed run, or one of a run
going on beside this one, holding the same address would take the replies of
the master and the minion would never connect.

Every namespace, link, file and process made here is removed by ``teardown``.
"""

import ipaddress
import os
import pathlib
import random
import subprocess
import textwrap
import time

import attr
from saltfactories.daemons.minion import SaltMinion

LINK_RANGE = ipaddress.ip_network("198.18.0.0/15")
PREFIX = 30
NODE_IP = "10.162.128.64/24"


def ip(*args, netns=None, check=True):
    """Run ``ip`` (in ``netns`` when given); return the CompletedProcess."""
    cmd = ["ip", *(["-n", netns] if netns else []), *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=check)


def usable():
    """Return None when namespaces can be made here, else the reason they cannot."""
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    name = f"hlt-probe-{os.getpid()}"
    proc = ip("netns", "add", name, check=False)
    if proc.returncode != 0:
        return f"ip netns add failed: {proc.stderr.strip()}"
    ip("netns", "del", name, check=False)
    return None


def host_addresses():
    """Every IPv4 address on the host's links."""
    out = ip("-4", "-o", "addr", "show").stdout
    return {ipaddress.ip_address(line.split()[3].split("/")[0]) for line in out.splitlines()}


def host_links():
    return {
        line.split()[1].split("@")[0].rstrip(":") for line in ip("-o", "link").stdout.splitlines()
    }


def free_link(rng=random):
    """
    ``(link name, host address, node address)`` for a new host-namespace link:
    a /30 of LINK_RANGE none of whose addresses the host has, and a link name
    the host does not have. Picked at random, so two runs side by side do not
    race for the first free one.
    """
    used, links = host_addresses(), host_links()
    count = LINK_RANGE.num_addresses // 4
    for index in rng.sample(range(count), 200):
        subnet = ipaddress.ip_network((int(LINK_RANGE.network_address) + 4 * index, PREFIX))
        host, node = list(subnet.hosts())
        name = f"hv{index}"
        if name not in links and not used & set(subnet):
            return name, str(host), str(node)
    raise RuntimeError(f"no free /{PREFIX} in {LINK_RANGE} for a namespace link")


@attr.s
class ComputeNetns:
    """br100 + em1 stand-in in a namespace named ``name``, joined to the host by veth."""

    name = attr.ib()
    bridge = attr.ib(default="br100")
    gateway = attr.ib(default="203.0.113.25/29")
    host_link = attr.ib(default=None, init=False)
    host_ip = attr.ib(default=None, init=False)
    node_link_ip = attr.ib(default=None, init=False)

    def setup(self):
        """Make the namespace and its link; ``host_ip`` is then the host's end (the master's)."""
        ip("netns", "add", self.name)
        # The peer is made inside the namespace: no host-side name to collide on. A run
        # beside this one may take the picked name between the look and the add: pick again.
        for attempt in range(3):
            link, self.host_ip, self.node_link_ip = free_link()
            made = ip(
                *("link", "add", link, "type", "veth"),
                *("peer", "name", "uplink", "netns", self.name),
                check=attempt == 2,
            )
            if made.returncode == 0:
                break
        self.host_link = link  # ours from here on: teardown removes it
        ip("addr", "add", f"{self.host_ip}/{PREFIX}", "dev", self.host_link)
        ip("link", "set", self.host_link, "up")
        ip("link", "set", "lo", "up", netns=self.name)
        ip("addr", "add", f"{self.node_link_ip}/{PREFIX}", "dev", "uplink", netns=self.name)
        ip("link", "set", "uplink", "up", netns=self.name)
        self.add_bridge()
        return self

    def add_bridge(self):
        """The compute node's bridge with em1 (a veth end) enslaved, its address and gateway."""
        ns = self.name
        ip("link", "add", self.bridge, "type", "bridge", netns=ns)
        ip("link", "add", "em1", "type", "veth", "peer", "name", "em1-peer", netns=ns)
        ip("link", "set", "em1", "master", self.bridge, netns=ns)
        for link in ("em1", "em1-peer", self.bridge):
            ip("link", "set", link, "up", netns=ns)
        ip("addr", "add", NODE_IP, "dev", self.bridge, netns=ns)
        self.add_gateway()

    def del_bridge(self):
        ip("link", "del", "em1", netns=self.name, check=False)
        ip("link", "del", self.bridge, netns=self.name, check=False)

    def add_gateway(self):
        ip("addr", "replace", self.gateway, "dev", self.bridge, netns=self.name)

    def add_guest(self, name="vnet0"):
        """A guest's tap device (what libvirt makes for a VM's NIC), enslaved to the bridge."""
        ip("tuntap", "add", "dev", name, "mode", "tap", netns=self.name)
        ip("link", "set", name, "master", self.bridge, netns=self.name)
        ip("link", "set", name, "up", netns=self.name)

    def del_guest(self, name="vnet0"):
        ip("link", "del", name, netns=self.name, check=False)

    def del_gateway(self):
        ip("addr", "del", self.gateway, "dev", self.bridge, netns=self.name, check=False)

    def has_gateway(self):
        proc = ip("-4", "-o", "addr", "show", "dev", self.bridge, netns=self.name, check=False)
        return f" {self.gateway} " in proc.stdout

    def wait_for_gateway(self, timeout, poll=0.02):
        """Seconds until the gateway address is back, or None after ``timeout``."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.has_gateway():
                return time.monotonic() - start
            time.sleep(poll)
        return None

    def teardown(self):
        if self.host_link:
            ip("link", "del", self.host_link, check=False)
        ip("netns", "del", self.name, check=False)


@attr.s
class FakeNovaNetwork:
    """
    TEST DOUBLE for nova-network, which has no package on Debian 12: an init
    script under /etc/init.d whose start/restart re-adds the flat network's
    gateway address to the bridge AT ONCE, as nova-network does when it starts
    (the real daemon takes seconds), and logs each call so tests can count
    restarts. ``set_mode`` makes later restarts misbehave: ``fail`` exits 1,
    ``silent`` exits 0 without re-adding the address, ``slow`` re-adds it after
    ``slow_seconds``.
    """

    name = attr.ib()
    bridge = attr.ib(default="br100")
    gateway = attr.ib(default="203.0.113.25/29")
    log = attr.ib(default=None)
    slow_seconds = attr.ib(default=2)

    @property
    def script(self):
        return pathlib.Path("/etc/init.d") / self.name

    @property
    def mode_file(self):
        return self.log.with_suffix(".mode")

    def install(self, logdir):
        self.log = pathlib.Path(logdir) / f"{self.name}.log"
        self.log.write_text("")
        self.set_mode("heal")
        self.script.write_text(
            textwrap.dedent(
                f"""\
                #!/bin/sh
                # hlt-cloud test double for nova-network (tests/support/netns.py):
                # start/restart re-adds the gateway address like nova-network does,
                # unless the test set another mode (fail, silent, slow).
                mode=$(cat {self.mode_file} 2>/dev/null)
                case "$1" in
                  start|restart|force-reload)
                    echo "$1 $(date +%s.%N) $mode" >> {self.log}
                    case "$mode" in
                      fail) exit 1 ;;
                      silent) exit 0 ;;
                      slow) sleep {self.slow_seconds} ;;
                    esac
                    ip addr replace {self.gateway} dev {self.bridge}
                    ;;
                  stop|status) ;;
                  *) echo "usage: $0 start|stop|restart|status"; exit 3 ;;
                esac
                exit 0
                """
            )
        )
        self.script.chmod(0o755)
        return self

    def set_mode(self, mode):
        assert mode in ("heal", "fail", "silent", "slow"), mode
        self.mode_file.write_text(mode)

    def restarts(self):
        return [line for line in self.log.read_text().splitlines() if line]

    def restart_times(self):
        return [float(line.split()[1]) for line in self.restarts()]

    def wait_for_restarts(self, count, timeout, poll=0.05):
        """Poll until the double logged ``count`` calls; return whether it did in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.restarts()) >= count:
                return True
            time.sleep(poll)
        return len(self.restarts()) >= count

    def remove(self):
        self.script.unlink(missing_ok=True)


@attr.s(kw_only=True, slots=True)
class NetnsSaltMinion(SaltMinion):
    """A salt-minion started with ``ip netns exec <netns>``: it lives in the node's namespace."""

    netns = attr.ib()

    def cmdline(self, *args):
        return ["ip", "netns", "exec", self.netns, *SaltMinion.cmdline(self, *args)]
