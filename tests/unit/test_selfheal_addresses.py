"""
The selfheal module's pure parts (what the node shows: _utils/selfheal_node.py): reading
``ip -o -4 addr show`` as iproute 3.9 (Fedora 19),
3.10/4.11 (CentOS 7) and 6.x print it, the guests seen in sysfs, nova-network's process
identity in /proc, and the back-off. The outputs are in tests/unit/files/ip-o-4-addr/ (see
its README for where each comes from).
"""

import importlib.util
import os

import pytest

from _utils import selfheal_node
from tests.conftest import REPO

SAMPLES = REPO / "tests" / "unit" / "files" / "ip-o-4-addr"


@pytest.fixture(scope="module")
def selfheal():
    spec = importlib.util.spec_from_file_location("selfheal", REPO / "_modules" / "selfheal.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def node():
    return selfheal_node


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("iproute-3.9-fedora19-gateway.txt", ["10.162.128.64/24", "203.0.113.25/29"]),
        ("iproute-3.9-fedora19-idle.txt", ["10.162.128.64/24"]),
        ("iproute-3.9-old-kernel-no-cacheinfo.txt", ["10.162.128.65/24", "203.0.113.25/29"]),
        (
            "iproute-3.10-centos7-dhcp-label-secondary.txt",
            ["10.162.128.64/24", "203.0.113.25/29", "10.162.128.99/24"],
        ),
        (
            "iproute-4.11-centos7-noprefixroute.txt",
            ["10.162.128.66/24", "203.0.113.25/29", "10.162.128.199/24"],
        ),
        ("iproute-4.11-peer.txt", ["192.0.2.1/32"]),
        (
            "iproute-6.1-debian12-label-secondary-dynamic.txt",
            ["10.162.128.64/24", "203.0.113.25/29", "10.162.128.99/24"],
        ),
        ("iproute-6.1-debian12-peer.txt", ["192.0.2.1/32"]),
        ("iproute-6.1-debian12-no-address.txt", []),
    ],
)
def test_every_iproute_versions_oneline_output_gives_the_same_addresses(node, sample, expected):
    assert node.parse_addresses((SAMPLES / sample).read_text()) == expected


def test_the_json_option_iproute_3_and_4_lack_is_not_used(node):
    source = (REPO / "_utils" / "selfheal_node.py").read_text()
    assert '"-j"' not in source and "json.loads(proc" not in source


def test_inet6_and_link_lines_are_ignored(node):
    text = (
        "5: br100    inet6 fe80::230:48ff:fec9:a24a/64 scope link \\       valid_lft forever\n"
        "5: br100: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP\n"
    )
    assert node.parse_addresses(text) == []


def _sysfs(root, bridge, enslaved=(), others=()):
    """A /sys/class/net look-alike: ``enslaved`` on ``bridge``, ``others`` name -> master."""
    (root / bridge / "brif").mkdir(parents=True)
    for name in enslaved:
        (root / name).mkdir()
        os.symlink(f"../{bridge}", root / name / "master")
        (root / bridge / "brif" / name).mkdir()
    for name, master in dict(others).items():
        (root / name).mkdir()
        if master:
            os.symlink(f"../{master}", root / name / "master")
    return str(root)


def test_guests_on_the_bridge_are_seen(node, tmp_path):
    sysfs = _sysfs(tmp_path, "br100", enslaved=["em1", "vnet0", "tap3f2c1a9b-77"])
    assert node.instances("br100", sysfs=sysfs) == {
        "enslaved": ["tap3f2c1a9b-77", "vnet0"],
        "detached": [],
    }


def test_taps_left_outside_a_recreated_bridge_are_seen_as_detached(node, tmp_path):
    sysfs = _sysfs(tmp_path, "br100", enslaved=["em1"], others={"vnet0": None, "tap1": "virbr0"})
    assert node.instances("br100", sysfs=sysfs) == {"enslaved": [], "detached": ["vnet0"]}


def test_an_idle_node_has_no_guests(node, tmp_path):
    sysfs = _sysfs(tmp_path, "br100", enslaved=["em1"], others={"lo": None, "uplink": None})
    assert node.instances("br100", sysfs=sysfs) == {"enslaved": [], "detached": []}
    assert node.instances("br-none", sysfs=sysfs) == {"enslaved": [], "detached": []}


def _proc(root, pid, argv, start):
    (root / str(pid)).mkdir()
    (root / str(pid) / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    fields = ["S"] + ["0"] * 18 + [str(start)] + ["0"] * 30
    (root / str(pid) / "stat").write_text(f"{pid} (name with ) paren) {' '.join(fields)}\n")


def test_nova_network_process_is_its_first_started_process(node, tmp_path):
    _proc(tmp_path, 120, ["/usr/bin/python", "/usr/bin/nova-network", "--logfile", "x"], 5000)
    _proc(tmp_path, 131, ["/usr/bin/python", "/usr/bin/nova-network"], 5100)  # a worker
    _proc(tmp_path, 140, ["/usr/bin/python", "/usr/bin/nova-compute"], 4000)
    _proc(tmp_path, 150, ["grep", "nova-network"], 100)
    (tmp_path / "self").mkdir()
    assert node.nova_network_process(proc=str(tmp_path)) == "120:5000"


def test_no_nova_network_process_is_none(node, tmp_path):
    _proc(tmp_path, 140, ["/usr/bin/python", "/usr/bin/nova-compute"], 4000)
    assert node.nova_network_process(proc=str(tmp_path)) is None


def test_the_wait_doubles_after_each_failed_restart_up_to_the_cap(selfheal):
    conf = {"cooldown": 30, "backoff_max": 600}
    waits = [selfheal._next_wait(conf, failures) for failures in range(7)]
    assert waits == [30, 60, 120, 240, 480, 600, 600]


def test_a_cap_below_the_cooldown_keeps_the_cooldown(selfheal):
    assert selfheal._next_wait({"cooldown": 30, "backoff_max": 10}, 3) == 30
