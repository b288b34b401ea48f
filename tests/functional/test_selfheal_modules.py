"""
The selfheal execution module and the bridge_gateway beacon through Salt's
loaders, against real interfaces of a network namespace (ip netns exec runs
each check there). No daemons: the end-to-end path is tests/integration/test_selfheal.py.
"""

import os
import subprocess
import sys
import textwrap

import pytest
import salt.loader

from tests.conftest import REPO, require_service
from tests.support.netns import ComputeNetns, usable

CONFIG = [{"bridge": "br100"}, {"network": "203.0.113.24/29"}, {"interval": 1}]


@pytest.fixture
def beacons(loaders):
    return salt.loader.beacons(loaders.opts, loaders.modules)


@pytest.mark.parametrize(
    ("network", "gateway"),
    [("203.0.113.24/29", "203.0.113.25/29"), ("10.0.0.0/24", "10.0.0.1/24")],
)
def test_gateway_is_the_first_host_of_the_flat_network(loaders, network, gateway):
    assert loaders.modules.selfheal.gateway(network) == gateway


@pytest.mark.parametrize("network", ["203.0.113.25/29", "nonsense", "203.0.113.24/32", None])
def test_bad_network_is_refused(loaders, network):
    with pytest.raises(Exception, match="network"):
        loaders.modules.selfheal.gateway(network)


def test_validate_accepts_the_pillar_configuration(beacons):
    assert beacons["bridge_gateway.validate"](CONFIG) == (True, "Valid beacon configuration")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ([{"network": "203.0.113.24/29"}], "'bridge'"),
        ([{"bridge": "br100"}, {"network": "203.0.113.25/29"}], "not an IPv4 network"),
        ({"bridge": "br100"}, "list"),
    ],
)
def test_validate_refuses_bad_configuration(beacons, config, message):
    valid, comment = beacons["bridge_gateway.validate"](config)
    assert valid is False
    assert message in comment


def test_missing_bridge_logs_a_line_and_fires_nothing(beacons, caplog):
    config = [{"bridge": "hltnobr0"}, {"network": "203.0.113.24/29"}]
    for _ in range(3):
        assert beacons["bridge_gateway.beacon"](config) == []
    lines = [r for r in caplog.records if "bridge hltnobr0 does not exist" in r.getMessage()]
    assert len(lines) == 3


def test_checks_leak_no_file_descriptor_or_thread(beacons):
    config = [{"bridge": "lo"}, {"network": "203.0.113.24/29"}]
    import threading

    beacons["bridge_gateway.beacon"](config)
    fds = len(os.listdir("/proc/self/fd"))
    threads = threading.active_count()
    for _ in range(50):
        assert beacons["bridge_gateway.beacon"](config) == [
            {"tag": "gateway_missing", "bridge": "lo", "gateway": "203.0.113.25/29"}
        ]
    assert len(os.listdir("/proc/self/fd")) == fds
    assert threading.active_count() == threads


@pytest.fixture(scope="module")
def netns():
    reason = usable()
    if reason:
        require_service(f"network namespaces: {reason}")
    ns = ComputeNetns(f"hlt-fn-{os.getpid()}").setup()
    try:
        yield ns
    finally:
        ns.teardown()


def _beacon_in(netns):
    """Run the beacon once inside ``netns`` through Salt's loaders; return its events."""
    code = textwrap.dedent(
        f"""
        import json, salt.config, salt.loader
        opts = salt.config.minion_config(None)
        opts.update(module_dirs=[{str(REPO / "_modules")!r}],
                    beacons_dirs=[{str(REPO / "_beacons")!r}], file_client="local")
        opts["grains"] = salt.loader.grains(opts)
        beacons = salt.loader.beacons(opts, salt.loader.minion_mods(opts))
        print(json.dumps(beacons["bridge_gateway.beacon"]({CONFIG!r})))
        """
    )
    proc = subprocess.run(
        ["ip", "netns", "exec", netns.name, sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip().splitlines()[-1]


def test_beacon_is_silent_while_the_gateway_is_on_the_bridge(netns):
    netns.add_gateway()
    assert _beacon_in(netns) == "[]"


def test_beacon_fires_while_the_gateway_is_missing(netns):
    netns.del_gateway()
    try:
        assert _beacon_in(netns) == (
            '[{"tag": "gateway_missing", "bridge": "br100", "gateway": "203.0.113.25/29"}]'
        )
        # level-triggered: fires again on the next interval
        assert _beacon_in(netns) != "[]"
    finally:
        netns.add_gateway()
