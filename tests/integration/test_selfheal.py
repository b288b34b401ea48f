"""
Self-healing br100, end to end on real daemons: a salt-master on the host and
the compute minion cn44.internal running inside a network namespace joined to
it by veth, with a real bridge br100 carrying the flat network's gateway
address and a guest's tap device (so the address is wanted). The test deletes
the address and watches the bridge_gateway beacon's event, the reactor's
selfheal.heal job and the address coming back.

nova-network cannot run here (no package on Debian 12): the service the heal
restarts is a test double (FakeNovaNetwork: an init script whose start re-adds
the address at once, or fails when told), named through pillar
``hltcloud:lookup:nova:network:service``, the map key the states read too.

Timing rules (2 shared cores): every wait polls for what it waits for; a
test starts from a clean heal history (``selfheal.forget``), not by sleeping
out the cool-down; the only fixed windows are those that check for silence.
"""

import itertools
import json
import pathlib
import time

import pytest
import salt.crypt

from tests.support.netns import usable
from tests.support.selfheal import MINION, clear_heal_gate, selfheal_cluster

pytestmark = [
    pytest.mark.slow,
    pytest.mark.requires_service(usable() and f"network namespaces: {usable()}"),
]

COOLDOWN = 3
BACKOFF_MAX = 6
GIVEUP_AFTER = 2
BEACON_TAG = f"salt/beacon/{MINION}/bridge_gateway/gateway_missing"
GIVEUP_TAG = "hltcloud/selfheal/giveup"


@pytest.fixture(scope="module")
def selfheal(salt_factories, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("selfheal")
    with selfheal_cluster(
        salt_factories,
        tmp,
        COOLDOWN,
        backoff_max=BACKOFF_MAX,
        giveup_after=GIVEUP_AFTER,
    ) as cluster:
        yield cluster


def _poll(check, timeout, every=0.2):
    """Call ``check`` until it returns something true; return that, or None at ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every)
    return check() or None


@pytest.fixture
def bridge(selfheal):
    """The bridge with its gateway and guest, the double healing, no heal history."""
    netns = selfheal.netns
    netns.add_gateway()
    netns.del_guest()
    netns.add_guest()
    selfheal.fake.set_mode("heal")
    ret = selfheal.cli.run("selfheal.forget", minion_tgt=MINION)
    assert ret.returncode == 0, ret
    # and no heal held or queued on the master from the test before (heal_gate.enqueue's)
    clear_heal_gate(selfheal.master)
    return netns


def _heal_jobs(event_listener, master, since):
    return [
        event
        for event in event_listener.get_events(
            [(master.id, f"salt/job/*/ret/{MINION}")], after_time=since
        )
        if event.data.get("fun") == "selfheal.heal"
    ]


def test_removed_gateway_fires_beacon_runs_reactor_and_comes_back(selfheal, bridge, event_listener):
    fake, master = selfheal.fake, selfheal.master
    before = len(fake.restarts())
    start = time.time()

    bridge.del_gateway()

    events = event_listener.wait_for_events([(master.id, BEACON_TAG)], after_time=start, timeout=30)
    assert events.found_all_events, "no gateway_missing beacon event"
    beacon = next(iter(events.matches)).data
    assert beacon["bridge"] == "br100" and beacon["gateway"] == "203.0.113.25/29"
    assert beacon["reason"] == "guests" and beacon["guests"] == ["dev:vnet0"]
    assert bridge.wait_for_gateway(timeout=30) is not None, "the gateway address did not come back"
    jobs = _poll(
        lambda: [
            job
            for job in _heal_jobs(event_listener, master, start)
            if job.data["return"]["action"] == "restarted"
        ],
        timeout=30,
    )
    assert jobs, "the reactor ran no selfheal.heal job that restarted"
    assert jobs[0].data["return"]["result"] is True
    assert len(fake.restarts()) == before + 1


def test_present_gateway_stays_silent(selfheal, bridge, event_listener):
    fake, master = selfheal.fake, selfheal.master
    start = time.time()
    before = len(fake.restarts())
    time.sleep(3)  # a window for silence: nothing to poll for
    assert not event_listener.get_events([(master.id, BEACON_TAG)], after_time=start)
    assert len(fake.restarts()) == before


def test_idle_node_without_the_gateway_stays_silent(selfheal, bridge, event_listener):
    """No guest on the node: nova-network takes the address away by design; nothing fires."""
    fake, master = selfheal.fake, selfheal.master
    bridge.del_guest()
    before = len(fake.restarts())
    start = time.time()
    bridge.del_gateway()
    try:
        time.sleep(3)  # a window for silence
        assert not event_listener.get_events([(master.id, BEACON_TAG)], after_time=start)
        assert len(fake.restarts()) == before
        assert not bridge.has_gateway()
    finally:
        bridge.add_gateway()


def test_flapping_restarts_are_at_least_the_cooldown_apart(selfheal, bridge):
    """The address is deleted every second for ten seconds; only the heal puts it back."""
    fake = selfheal.fake
    before = len(fake.restarts())
    for _ in range(10):
        bridge.del_gateway()
        time.sleep(1)
    times = fake.restart_times()[before:]
    assert times, "no restart while the address flapped"
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert all(gap >= COOLDOWN for gap in gaps), (COOLDOWN, gaps)
    assert bridge.wait_for_gateway(timeout=COOLDOWN + 30) is not None


def test_missing_bridge_logs_and_fires_nothing(selfheal, bridge, event_listener):
    netns, fake, master, minion, cli = (
        selfheal.netns,
        selfheal.fake,
        selfheal.master,
        selfheal.minion,
        selfheal.cli,
    )
    before = len(fake.restarts())
    log_file = minion.config["log_file"]
    with open(log_file, encoding="utf-8", errors="replace") as handle:
        offset = len(handle.read())

    def new_log():
        with open(log_file, encoding="utf-8", errors="replace") as handle:
            return handle.read()[offset:]

    netns.del_bridge()
    start = time.time()
    try:
        assert _poll(lambda: "bridge_gateway: bridge br100 does not exist" in new_log(), 30)
        status = cli.run("selfheal.status", minion_tgt=MINION)
        assert status.data["bridge_exists"] is False
        heal = cli.run("selfheal.heal", minion_tgt=MINION)
        assert heal.data["result"] is False
        assert "does not exist" in heal.data["comment"]
        assert not event_listener.get_events([(master.id, BEACON_TAG)], after_time=start)
    finally:
        netns.add_bridge()
        netns.del_guest()  # left detached by the bridge's removal
        netns.add_guest()
    assert "Traceback" not in new_log()
    assert len(fake.restarts()) == before


def test_failed_restarts_back_off_then_give_up_with_one_event(selfheal, bridge, event_listener):
    fake, master, cli = selfheal.fake, selfheal.master, selfheal.cli
    fake.set_mode("fail")
    before = len(fake.restarts())
    start = time.time()
    bridge.del_gateway()

    events = event_listener.wait_for_events(
        [(master.id, GIVEUP_TAG)], after_time=start, timeout=COOLDOWN * 2 + 60
    )
    assert events.found_all_events, "no giveup event"
    giveup = next(iter(events.matches)).data
    assert giveup["id"] == MINION
    assert giveup["data"]["failures"] == GIVEUP_AFTER
    assert giveup["data"]["guests"] == ["dev:vnet0"]
    assert giveup["data"]["service"] == fake.name
    times = fake.restart_times()[before:]
    assert len(times) == GIVEUP_AFTER
    # after the first failure the wait doubled: 2 x cool-down (at most the cap)
    assert times[1] - times[0] >= min(2 * COOLDOWN, BACKOFF_MAX), times
    jobs = _heal_jobs(event_listener, master, start)
    failed = [job.data["return"] for job in jobs if job.data["return"]["action"] == "restarted"]
    assert failed and all(ret["result"] is False for ret in failed), failed

    # quiet now: no beacon event, no restart, no second giveup event
    quiet_from = time.time()
    time.sleep(3)  # a window for silence
    assert not event_listener.get_events([(master.id, BEACON_TAG)], after_time=quiet_from + 1.5)
    assert len(event_listener.get_events([(master.id, GIVEUP_TAG)], after_time=start)) == 1
    assert len(fake.restarts()) == before + GIVEUP_AFTER

    # a new guest changes the picture: the heal tries again and, the double mended, heals
    fake.set_mode("heal")
    bridge.add_guest("vnet1")
    try:
        assert bridge.wait_for_gateway(timeout=60) is not None, "no heal after the guests changed"
        status = cli.run("selfheal.status", minion_tgt=MINION).data
        assert status["present"] is True and "gave_up" not in status["history"]
    finally:
        bridge.del_guest("vnet1")


def test_drained_node_is_left_alone_until_resumed(selfheal, bridge, event_listener):
    """The grain compute.killswitch sets: no beacon event, no restart; lifted, it heals."""
    fake, master, cli = selfheal.fake, selfheal.master, selfheal.cli
    ret = cli.run("grains.setval", "hltcloud_drained", True, minion_tgt=MINION)
    assert ret.returncode == 0, ret
    before = len(fake.restarts())
    try:
        start = time.time()
        bridge.del_gateway()
        time.sleep(3)  # a window for silence
        assert not event_listener.get_events([(master.id, BEACON_TAG)], after_time=start)
        heal = cli.run("selfheal.heal", minion_tgt=MINION).data
        assert heal["result"] is True and heal["comment"].startswith("node is drained")
        assert len(fake.restarts()) == before
        assert not bridge.has_gateway()
    finally:
        ret = cli.run("grains.setval", "hltcloud_drained", False, minion_tgt=MINION)
    assert ret.returncode == 0, ret
    assert bridge.wait_for_gateway(timeout=30) is not None, "not healed after the resume"


def test_heals_after_a_master_restart(selfheal, bridge):
    """
    The master restarts with a new session key; the first beacon event after it
    makes the minion authenticate again, and the heal goes through. Nothing
    else (no test.ping) wakes the minion up first.
    """
    fake, master = selfheal.fake, selfheal.master
    master.terminate()
    master.start()
    before = len(fake.restarts())

    bridge.del_gateway()

    assert bridge.wait_for_gateway(timeout=120) is not None, "not healed after the master restart"
    assert len(fake.restarts()) == before + 1
    assert selfheal.cli.run("test.ping", minion_tgt=MINION).data is True


def test_gateway_removed_while_the_master_is_down_is_healed_when_it_is_back(selfheal, bridge):
    fake, master = selfheal.fake, selfheal.master
    before = len(fake.restarts())
    master.terminate()
    try:
        bridge.del_gateway()
        time.sleep(3)  # the beacon fires into the void meanwhile
        assert not bridge.has_gateway()
        assert len(fake.restarts()) == before
    finally:
        master.start()
    assert bridge.wait_for_gateway(timeout=120) is not None, "not healed once the master was back"
    assert len(fake.restarts()) == before + 1


def _send_raw_events(cli, events):
    """What any accepted minion can do: hand the master events whose tags and data it chose."""
    ret = cli.run(
        "event.fire_master",
        "{}",
        "hltcloud/test/forged",
        f"preload={json.dumps({'events': events})}",
        minion_tgt=MINION,
    )
    assert ret.returncode == 0 and ret.data is True, ret


def _new_heal_jobs(event_listener, master, since):
    return [
        event.data
        for event in event_listener.get_events([(master.id, "salt/job/*/new")], after_time=since)
        if event.data.get("fun") == "selfheal.heal"
    ]


def test_forged_events_heal_only_the_inventory_compute_node_their_tag_names(
    selfheal, bridge, event_listener
):
    """
    cn44 (an accepted minion, so anyone who holds its key) sends raw events with tags and data
    of its choosing: "id": "*" in the data, other nodes' and no node's ids in the tag. The
    reactor publishes one heal, to cn45.internal alone as a list; nothing reaches cn44.
    """
    master, cli = selfheal.master, selfheal.cli
    # cn45.internal has an accepted key and no running minion: a job to it is published (and
    # seen on the bus) but never answered
    accepted = pathlib.Path(master.config["pki_dir"]) / "minions" / "cn45.internal"
    accepted.write_text(salt.crypt.gen_keys(2048)[1])
    try:
        forged = [
            {
                "tag": BEACON_TAG.replace(MINION, "cn45.internal"),
                "data": {"id": "*", "bridge": "br100"},
            },
            {"tag": "salt/beacon/*/bridge_gateway/gateway_missing", "data": {"id": "*"}},
            {
                "tag": "salt/beacon/rogue.internal/bridge_gateway/gateway_missing",
                "data": {"id": "*"},
            },
            {
                "tag": "salt/beacon/cn43.internal/bridge_gateway/gateway_missing",
                "data": {"id": MINION},
            },
        ]
        start = time.time()
        _send_raw_events(cli, forged)
        published = _poll(lambda: _new_heal_jobs(event_listener, master, start), timeout=20)
        assert published, "the reactor published no heal for the node the tag names"
        time.sleep(3)  # a window for anything else the reactor might still publish
        published = _new_heal_jobs(event_listener, master, start)
        assert [(job["tgt"], job["tgt_type"]) for job in published] == [(["cn45.internal"], "list")]
        assert _heal_jobs(event_listener, master, start) == []
    finally:
        accepted.unlink()


def test_a_heal_on_an_idle_node_restarts_nothing(selfheal, bridge, event_listener):
    """A forged event naming this node while no guest runs: the heal declines."""
    fake, master, cli = selfheal.fake, selfheal.master, selfheal.cli
    bridge.del_guest()
    before = len(fake.restarts())
    bridge.del_gateway()
    try:
        time.sleep(2)  # the beacon stays silent on an idle node (see above)
        start = time.time()
        _send_raw_events(cli, [{"tag": BEACON_TAG, "data": {"id": MINION}}])
        jobs = _poll(lambda: _heal_jobs(event_listener, master, start), timeout=20)
        assert jobs, "the reactor ran no heal on the node the tag names"
        heal = jobs[0].data["return"]
        assert heal["action"] == "none" and "idle node" in heal["comment"], heal
        assert len(fake.restarts()) == before
        assert not bridge.has_gateway()
    finally:
        bridge.add_gateway()


def test_the_heal_reads_the_service_from_the_files_the_node_kept(selfheal):
    """
    selfheal.service_name asks the master for no file: it reads the parameter files where
    the node's file client keeps them from its last fetch (a state run's), and fetches only
    those it lacks (here the first call, or after the node's cache was cleared).
    """
    cli = selfheal.cli
    kept = pathlib.Path(selfheal.minion.config["cachedir"]) / "files" / "base" / "parameters"
    log_file = pathlib.Path(selfheal.minion.config["log_file"])

    def call(*args):
        ret = cli.run(*args, minion_tgt=MINION)
        assert ret.returncode == 0, ret
        return ret.data

    def fetches(since):
        """The parameter files the minion's file client fetched after offset ``since``."""
        text = log_file.read_text(errors="replace")[since:]
        return [line for line in text.splitlines() if "** done ** 'parameters/" in line]

    for copy in kept.glob("*.yaml"):
        copy.unlink()
    offset = len(log_file.read_text(errors="replace"))
    assert call("selfheal.service_name") == selfheal.fake.name  # nothing kept: fetched
    assert len(fetches(offset)) == 3
    assert sorted(p.name for p in kept.glob("*.yaml")) == [
        "defaults.yaml",
        "osfamilymap.yaml",
        "osmap.yaml",
    ]
    defaults = kept / "defaults.yaml"
    defaults.write_text(defaults.read_text() + "\nkept_marker: the node's own copy\n")
    offset = len(log_file.read_text(errors="replace"))
    assert call("hltcloud.parameters", "fetch=False")["kept_marker"] == "the node's own copy"
    assert call("selfheal.service_name") == selfheal.fake.name
    assert fetches(offset) == []  # both read the kept files, asking the master for none
    assert "kept_marker" not in call("hltcloud.parameters")  # a state run fetches afresh
    assert "kept_marker" not in defaults.read_text()
