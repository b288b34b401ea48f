"""
The namespace link of tests/support/netns.py on a host that already holds one
of its addresses: a namespace a killed run left behind (CI once failed all of
test_selfheal.py that way: the master's replies went to the stale link and the
minion never connected). Real links on the host, made and removed here.
"""

import ipaddress
import os
import socket
import subprocess
import sys

import pytest

from tests.conftest import require_service
from tests.support.netns import (
    LINK_RANGE,
    ComputeNetns,
    free_link,
    host_addresses,
    host_links,
    ip,
    usable,
)

CONNECT = "import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)"


class Picks:
    """A random source whose ``sample`` offers the given /30 indexes first."""

    def __init__(self, *indexes):
        self.indexes = list(indexes)

    def sample(self, population, count):
        rest = [i for i in population[:count] if i not in self.indexes]
        return self.indexes + rest


@pytest.fixture
def stale_link():
    reason = usable()
    if reason:
        require_service(f"network namespaces: {reason}")
    name = f"hlts{os.getpid() % 100000}"
    ip("link", "add", name, "type", "veth", "peer", "name", f"{name}p")
    try:
        yield name
    finally:
        ip("link", "del", name, check=False)


def subnet_of(index):
    return ipaddress.ip_network((int(LINK_RANGE.network_address) + 4 * index, 30))


def test_a_subnet_the_host_already_has_is_passed_over(stale_link):
    taken, free = 4321, 4322
    host = next(iter(subnet_of(taken).hosts()))
    ip("addr", "add", f"{host}/30", "dev", stale_link)
    name, host_ip, node_ip = free_link(Picks(taken, free))
    assert (name, host_ip, node_ip) == (
        f"hv{free}",
        *map(str, subnet_of(free).hosts()),
    )


def test_a_link_name_the_host_already_has_is_passed_over(stale_link):
    taken = 4323
    ip("link", "set", stale_link, "name", f"hv{taken}")
    try:
        name, _, _ = free_link(Picks(taken, taken + 1))
        assert name == f"hv{taken + 1}"
    finally:
        ip("link", "del", f"hv{taken}", check=False)


def test_two_namespaces_side_by_side_get_different_links():
    reason = usable()
    if reason:
        require_service(f"network namespaces: {reason}")
    first = ComputeNetns(f"hlt-l1-{os.getpid()}")
    second = ComputeNetns(f"hlt-l2-{os.getpid()}")
    try:
        first.setup()
        second.setup()
        assert first.host_link != second.host_link
        assert first.host_ip != second.host_ip
        addresses = host_addresses()
        assert {
            ipaddress.ip_address(first.host_ip),
            ipaddress.ip_address(second.host_ip),
        } <= addresses
        for ns in (first, second):
            # a TCP connection from the namespace to a listener on the host's end of its link,
            # the way the minion reaches the master
            with socket.create_server((ns.host_ip, 0)) as server:
                port = server.getsockname()[1]
                connect = subprocess.run(
                    [
                        "ip",
                        "netns",
                        "exec",
                        ns.name,
                        sys.executable,
                        "-c",
                        CONNECT,
                        ns.host_ip,
                        str(port),
                    ],
                    capture_output=True,
                    text=True,
                    timeout=30,
                    check=False,
                )
                assert connect.returncode == 0, connect.stderr
                server.settimeout(5)
                conn, (peer, _) = server.accept()
                conn.close()
                assert peer == ns.node_link_ip
    finally:
        second.teardown()
        first.teardown()
    assert not {first.host_link, second.host_link} & host_links()
