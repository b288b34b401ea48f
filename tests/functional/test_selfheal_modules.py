"""
The selfheal execution module and the bridge_gateway beacon through Salt's
loaders, against real interfaces of a network namespace (ip netns exec runs
each check there, tests/support/selfheal_runner.py), restarting the
nova-network test double (tests/support/netns.py: re-adds the address at once,
or fails, stays silent or is slow when told). The service name comes from the
map (pillar ``hltcloud:lookup`` names the double, as it would rename the real
service). No daemons: the end-to-end path is tests/integration/test_selfheal.py.
"""

import json
import os
import pathlib
import subprocess
import sys
import threading

import pytest
import salt.loader
import yaml

from tests.conftest import require_service
from tests.support.checkout import checkout_with_secrets
from tests.support.netns import ComputeNetns, FakeNovaNetwork, usable
from tests.support.selfheal_runner import run_in_netns

CONFIG = [{"bridge": "br100"}, {"network": "203.0.113.24/29"}, {"interval": 1}]
# every look says what it found (the repeats' own test sets its `repeat`)
EVERY_LOOK = [*CONFIG, {"repeat": 0}]
GATEWAY = "203.0.113.25/29"
MISSING = {"tag": "gateway_missing", "bridge": "br100", "gateway": GATEWAY}


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
        ([*CONFIG, {"repeat": -1}], "'repeat' must be 0 to 300 seconds"),
        ([*CONFIG, {"repeat": "often"}], "'repeat' must be 0 to 300 seconds"),
        ([*CONFIG, {"repeat": float("inf")}], "'repeat' must be 0 to 300 seconds"),
        ([*CONFIG, {"repeat": float("nan")}], "'repeat' must be 0 to 300 seconds"),
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
    beacons["bridge_gateway.beacon"](config)
    fds = len(os.listdir("/proc/self/fd"))
    threads = threading.active_count()
    for _ in range(50):
        beacons["bridge_gateway.beacon"](config)
    assert len(os.listdir("/proc/self/fd")) == fds
    assert threading.active_count() == threads


def test_addresses_reads_this_hosts_iproute(loaders):
    assert "127.0.0.1/8" in loaders.modules.selfheal.addresses("lo")
    assert loaders.modules.selfheal.addresses("hltnobr0") is None


# --- in a namespace: a real br100, guests as tap devices, the nova-network double --------


@pytest.fixture(scope="module")
def netns():
    reason = usable()
    if reason:
        require_service(f"network namespaces: {reason}")
    ns = ComputeNetns(f"hlt-fn-{os.getpid()}")
    try:
        yield ns.setup()
    finally:
        ns.teardown()


@pytest.fixture(scope="module")
def double(netns, tmp_path_factory):
    fake = FakeNovaNetwork(f"hlt-fn-nova-network-{os.getpid()}")
    fake.install(tmp_path_factory.mktemp("double"))
    try:
        yield fake
    finally:
        fake.remove()


@pytest.fixture
def node(netns, double):
    """The bridge with its gateway, no guest, the double healing; cleaned up after."""
    netns.add_gateway()
    double.set_mode("heal")
    double.log.write_text("")
    yield netns
    for name in ("vnet0", "vnet1", "tap-extra"):
        netns.del_guest(name)
    if not netns.has_gateway():
        netns.del_bridge()
        netns.add_bridge()


@pytest.fixture
def busy_node(node):
    """The same, with a guest running: a heal is wanted when the address goes."""
    node.add_guest("vnet0")
    return node


def run(netns, double, tmp_path, steps, grains=None, **selfheal):
    settings = {"bridge": "br100", "network": "203.0.113.24/29", "cooldown": 30, "timeout": 5}
    settings.update(selfheal)
    spec = {
        "cachedir": str(tmp_path / "cache"),
        "selfheal": settings,
        "pillar": {"hltcloud": {"lookup": {"nova": {"network": {"service": double.name}}}}},
        "grains": grains or {},
        "steps": steps,
    }
    (tmp_path / "cache").mkdir(exist_ok=True)
    return run_in_netns(netns.name, spec)


HEAL = {"call": "selfheal.heal"}
BEACON = {"beacon": EVERY_LOOK}
DEL_GATEWAY = {"sh": f"ip addr del {GATEWAY} dev br100"}
ADD_GATEWAY = {"sh": f"ip addr replace {GATEWAY} dev br100"}
HISTORY = {"call": "selfheal.status"}


def _guest(name="vnet0"):
    return {
        "sh": f"ip tuntap add dev {name} mode tap && ip link set {name} master br100 "
        f"&& ip link set {name} up"
    }


def _missing(reason, guests):
    return [{**MISSING, "reason": reason, "guests": guests}]


def test_beacon_is_silent_while_the_gateway_is_on_the_bridge(node, double, tmp_path):
    out = run(node, double, tmp_path, [_guest(), BEACON])
    assert out["results"][1] == []


def test_beacon_fires_while_a_guest_runs_and_the_gateway_is_missing(node, double, tmp_path):
    out = run(node, double, tmp_path, [_guest(), DEL_GATEWAY, BEACON, BEACON])
    # level-triggered: fires again on the next interval
    assert out["results"][2] == out["results"][3] == _missing("guests", ["dev:vnet0"])


def test_beacon_fires_at_once_then_every_repeat_seconds_while_it_stays_missing(
    node, double, tmp_path
):
    beacon = {"beacon": [*CONFIG, {"repeat": 3}]}
    wait = {"sh": "sleep 3.2"}
    steps = [_guest(), DEL_GATEWAY, beacon, beacon, wait, beacon, ADD_GATEWAY, beacon]
    steps += [DEL_GATEWAY, beacon]  # back, then missing again: a new loss, told at once
    out = run(node, double, tmp_path, steps)
    fired = [out["results"][i] for i in (2, 3, 5, 7, 9)]
    missing = _missing("guests", ["dev:vnet0"])
    assert fired == [missing, [], missing, [], missing]


def test_beacon_is_silent_on_an_idle_node_without_the_gateway(node, double, tmp_path):
    out = run(node, double, tmp_path, [DEL_GATEWAY, BEACON, BEACON])
    assert out["results"][1:3] == [[], []]


def test_beacon_sees_guests_a_bridge_restart_left_outside_the_bridge(node, double, tmp_path):
    # `service network restart` re-creates br100: the running guests' taps stay outside it
    steps = [
        _guest(),
        {"sh": "ip link del br100 && ip link add br100 type bridge && ip link set br100 up"},
        BEACON,
    ]
    out = run(node, double, tmp_path, steps)
    assert out["results"][2] == _missing("guests", ["dev:vnet0"])


def test_beacon_remembers_an_address_seen_since_nova_network_started(node, double, tmp_path):
    # no guest it can see, but nova-network put the address there: it is wanted
    out = run(node, double, tmp_path, [BEACON, DEL_GATEWAY, BEACON])
    assert out["results"][0] == []
    assert out["results"][2] == _missing("seen since nova-network started", [])


def test_beacon_forgets_the_address_when_nova_network_restarts(node, double, tmp_path):
    fake = tmp_path / "nova-network"  # a process named as nova-network's command
    fake.symlink_to("/bin/sleep")
    pidfile = tmp_path / "second.pid"
    first = subprocess.Popen([str(fake), "60"])  # pylint: disable=consider-using-with
    try:
        same = run(node, double, tmp_path, [BEACON, DEL_GATEWAY, BEACON])
        assert same["results"][2] == _missing("seen since nova-network started", [])
        restart = {"sh": f"kill {first.pid}; {fake} 60 >/dev/null 2>&1 & echo $! > {pidfile}"}
        out = run(node, double, tmp_path, [ADD_GATEWAY, BEACON, restart, DEL_GATEWAY, BEACON])
        assert out["results"][4] == []
    finally:
        first.kill()
        first.wait()
        if pidfile.exists():
            os.kill(int(pidfile.read_text()), 9)


def test_beacon_goes_quiet_when_the_last_guest_leaves(node, double, tmp_path):
    # nova-network removes the address itself after the last guest
    steps = [_guest(), BEACON, {"sh": "ip link del vnet0"}, DEL_GATEWAY, BEACON]
    out = run(node, double, tmp_path, steps)
    assert out["results"][4] == []


def test_beacon_stays_quiet_when_it_looks_between_the_last_guest_and_the_address_going(
    node, double, tmp_path
):
    # A look while the address is still there after the last guest left must not make it
    # "seen": nova-network takes it away a moment later, by design (CI once caught this).
    steps = [_guest(), BEACON, {"sh": "ip link del vnet0"}, BEACON, DEL_GATEWAY, BEACON]
    out = run(node, double, tmp_path, steps)
    assert out["results"][3] == []
    assert out["results"][5] == []


def test_beacon_is_silent_on_a_drained_node(node, double, tmp_path):
    out = run(node, double, tmp_path, [_guest(), DEL_GATEWAY, BEACON], {"hltcloud_drained": True})
    assert out["results"][2] == []


def test_heal_restarts_the_maps_service_and_the_address_is_back(busy_node, double, tmp_path):
    out = run(busy_node, double, tmp_path, [DEL_GATEWAY, HEAL, HISTORY])
    heal = out["results"][1]
    assert heal["result"] is True and heal["action"] == "restarted", heal
    assert double.name in heal["comment"]
    assert busy_node.has_gateway()
    assert len(double.restarts()) == 1
    history = out["results"][2]["history"]
    assert history["failures"] == 0 and history["wait"] == 30


def test_heal_on_a_drained_node_does_nothing_and_says_why(busy_node, double, tmp_path):
    out = run(busy_node, double, tmp_path, [DEL_GATEWAY, HEAL], {"hltcloud_drained": True})
    heal = out["results"][1]
    assert heal["result"] is True and heal["action"] == "none"
    assert heal["comment"].startswith("node is drained (kill switch)")
    assert double.restarts() == []
    assert not busy_node.has_gateway()


def _killswitch_mark(tmp_path):
    """
    The kill switch's first state (compute.killswitch: grains.present, order 1) run by a
    salt-call of its own, as the kill switch is another job than the heal: it writes the
    grains file beside ``run``'s minion config and leaves the heal's loaded grains as they
    were.
    """
    conf = tmp_path / "cache"
    conf.mkdir(exist_ok=True)
    (conf / "minion").write_text(
        yaml.safe_dump(
            {
                "id": "cn44.internal",
                "root_dir": str(tmp_path / "killswitch"),
                "file_client": "local",
            }
        )
    )
    salt_call = pathlib.Path(sys.executable).with_name("salt-call")
    return (
        f"{salt_call} --local -c {conf} --out=json --log-level=quiet "
        "state.single grains.present name=hltcloud_drained value=True"
    )


def test_heal_the_kill_switch_overtook_under_the_lock_restarts_nothing(busy_node, double, tmp_path):
    # The heal passes its first check (not drained), then, just before it takes its lock,
    # the kill switch sets the mark: the restart must not undo the kill switch.
    killswitch = {"before": "_lock", "of": "selfheal.heal", "run": _killswitch_mark(tmp_path)}
    out = run(busy_node, double, tmp_path, [DEL_GATEWAY, killswitch, HEAL])
    assert out["hooks"] == [0], out  # the heal reached its lock; the mark was set
    assert yaml.safe_load((tmp_path / "cache" / "grains").read_text()) == {"hltcloud_drained": True}
    heal = out["results"][2]
    assert heal["result"] is True and heal["action"] == "none", heal
    assert heal["comment"].startswith("node is drained (kill switch)")
    assert double.restarts() == []
    assert not busy_node.has_gateway()


def test_heal_on_an_idle_node_does_nothing_whoever_asked(node, double, tmp_path):
    # no guest, and the node's beacon never asked: nova-network took the address away
    out = run(node, double, tmp_path, [DEL_GATEWAY, HEAL])
    heal = out["results"][1]
    assert heal["result"] is True and heal["action"] == "none", heal
    assert "an idle node needs no gateway" in heal["comment"]
    assert double.restarts() == []
    assert not node.has_gateway()


def test_heal_without_guests_acts_when_the_nodes_beacon_asked(node, double, tmp_path):
    # the beacon fires for an address it saw since nova-network started, no guest seen
    want = {"call": "selfheal.want", "kwargs": {"bridge": "br100", "reason": "seen"}}
    out = run(node, double, tmp_path, [DEL_GATEWAY, want, HEAL])
    assert out["results"][2]["action"] == "restarted", out["results"][2]
    assert node.has_gateway()
    assert len(double.restarts()) == 1


def test_a_firing_beacon_records_that_it_asked(node, double, tmp_path):
    steps = [_guest(), DEL_GATEWAY, BEACON, {"sh": "ip link del vnet0"}, HEAL]
    out = run(node, double, tmp_path, steps)
    assert out["results"][2] == _missing("guests", ["dev:vnet0"])
    # the guest is gone by the time the heal comes: the beacon's word still counts
    assert out["results"][4]["action"] == "restarted", out["results"][4]


def test_a_failed_restart_is_reported_failed_and_stamped_after_the_attempt(
    busy_node, double, tmp_path
):
    double.set_mode("fail")
    out = run(busy_node, double, tmp_path, [DEL_GATEWAY, HISTORY, HEAL, HISTORY, HEAL])
    before, failed, after, again = out["results"][1:]
    assert before["history"] == {}
    assert failed["result"] is False and failed["action"] == "restarted"
    assert f"restarting {double.name} failed" in failed["comment"]
    assert after["history"]["failures"] == 1
    assert again["result"] is True and again["action"] == "skipped"
    assert len(double.restarts()) == 1


def test_the_cooldown_counts_from_the_end_of_the_attempt(busy_node, double, tmp_path):
    # the double takes 2 s; a stamp taken before the restart would have expired by then
    double.set_mode("slow")
    out = run(busy_node, double, tmp_path, [DEL_GATEWAY, HEAL, DEL_GATEWAY, HEAL], cooldown=1.5)
    assert out["results"][1]["action"] == "restarted"
    assert out["results"][3]["action"] == "skipped", out["results"][3]
    assert len(double.restarts()) == 1


def test_heal_fails_when_the_address_does_not_come_back_in_time(busy_node, double, tmp_path):
    double.set_mode("silent")
    out = run(busy_node, double, tmp_path, [DEL_GATEWAY, HEAL], timeout=1)
    heal = out["results"][1]
    assert heal["result"] is False and heal["action"] == "restarted"
    assert f"{GATEWAY} is not back on br100 after 1s" in heal["comment"]
    assert heal["elapsed"] >= 1


def test_a_second_heal_while_one_runs_answers_already_running(busy_node, double, tmp_path):
    double.set_mode("slow")
    steps = [
        DEL_GATEWAY,
        {"background": "selfheal.heal"},
        {"wait_lines": str(double.log), "count": 1},
        HEAL,
        {"join": True},
    ]
    out = run(busy_node, double, tmp_path, steps)
    second, first = out["results"][3], out["results"][4]
    assert second == {
        "result": True,
        "action": "skipped",
        "comment": "a heal of br100 is already running",
    }
    assert first["result"] is True and first["action"] == "restarted"
    assert len(double.restarts()) == 1


def test_heal_within_the_cooldown_is_skipped(busy_node, double, tmp_path):
    out = run(busy_node, double, tmp_path, [DEL_GATEWAY, HEAL, DEL_GATEWAY, HEAL])
    heal = out["results"][3]
    assert heal["result"] is True and heal["action"] == "skipped"
    assert "next one in" in heal["comment"]
    assert len(double.restarts()) == 1
    assert not busy_node.has_gateway()


def test_the_wait_doubles_after_each_failed_restart_up_to_the_cap(busy_node, double, tmp_path):
    double.set_mode("fail")
    steps = [DEL_GATEWAY]
    for _ in range(4):
        steps += [HEAL, HISTORY, {"sleep": 0.45}]
    out = run(busy_node, double, tmp_path, steps, cooldown=0.1, backoff_max=0.4, giveup_after=10)
    waits = [out["results"][i]["history"]["wait"] for i in (2, 5, 8, 11)]
    assert waits == [0.2, 0.4, 0.4, 0.4]
    assert [out["results"][i]["history"]["failures"] for i in (2, 5, 8, 11)] == [1, 2, 3, 4]
    assert len(double.restarts()) == 4


def test_give_up_sends_one_event_and_stays_quiet_until_the_guests_change(node, double, tmp_path):
    double.set_mode("fail")
    steps = [_guest(), DEL_GATEWAY, HEAL, HEAL, HEAL, BEACON, _guest("vnet1"), BEACON, HEAL]
    out = run(node, double, tmp_path, steps, cooldown=0, giveup_after=2)
    first, second, third, quiet, _, fires, fresh = out["results"][2:]
    assert first["action"] == "restarted" and first["result"] is False
    assert second["action"] == "gave_up" and second["result"] is False
    assert third["action"] == "gave_up" and "gave up after 2 failed restarts" in third["comment"]
    assert quiet == []
    assert out["events"] == [
        [
            "hltcloud/selfheal/giveup",
            {
                "bridge": "br100",
                "gateway": GATEWAY,
                "service": double.name,
                "failures": 2,
                "guests": ["dev:vnet0"],
                "comment": second["comment"].split("; giving up")[0],
            },
        ]
    ]
    assert fires == _missing("guests", ["dev:vnet0", "dev:vnet1"])
    assert fresh["action"] == "restarted" and "in a row: 1" in fresh["comment"]
    assert len(double.restarts()) == 3


def test_give_up_is_lifted_when_the_address_comes_back(node, double, tmp_path):
    double.set_mode("fail")
    steps = [_guest(), DEL_GATEWAY, HEAL, BEACON, ADD_GATEWAY, BEACON, DEL_GATEWAY, BEACON]
    out = run(node, double, tmp_path, steps, cooldown=0, giveup_after=1)
    assert out["results"][2]["action"] == "gave_up"
    assert out["results"][3] == []
    assert out["results"][7] == _missing("guests", ["dev:vnet0"])


# --- one source for the service name ------------------------------------------------------

PY = sys.executable
SALT_CALL = str(pathlib.Path(PY).parent / "salt-call")


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    target = checkout_with_secrets(tmp_path_factory.mktemp("selfheal-checkout") / "hlt-cloud")
    return target


def _salt_call(checkout, grains, *args):
    (checkout / "etc" / "salt" / "grains").write_text(yaml.safe_dump(grains))
    proc = subprocess.run(
        [SALT_CALL, "--id", "cn44.internal", "--out=json", "--log-level=quiet", *args],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and proc.stdout, proc.stderr
    return json.loads(proc.stdout)["local"]


@pytest.mark.parametrize(
    ("os_family", "runbook_name"),
    [("RedHat", "openstack-nova-network"), ("Debian", "nova-network")],
)
def test_heal_restarts_the_service_the_compiled_compute_state_runs(
    checkout, os_family, runbook_name
):
    grains = {"os_family": os_family, "hwaddr_interfaces": {"em1": "00:30:48:c9:a2:4a"}}
    high = _salt_call(checkout, grains, "state.show_sls", "compute")
    state = high["nova-network-service-running"]["service"]
    name = next(arg["name"] for arg in state if isinstance(arg, dict) and "name" in arg)
    assert _salt_call(checkout, grains, "selfheal.service_name") == name == runbook_name


def test_the_pillar_names_no_service_and_repeats_no_default(checkout):
    # The service is the map's, the settings selfheal's own defaults: the pillar holds
    # only what the inventory and the flat network decide.
    pillar = _salt_call(checkout, {"os_family": "RedHat"}, "pillar.items")
    assert set(pillar["selfheal"]) == {"bridge", "network"}
