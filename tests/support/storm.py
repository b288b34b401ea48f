"""
A switch flap on real daemons: one salt-master on the host and N compute minions, each in
its own network namespace with a real br100, its gateway address and a guest's tap device
(tests/support/netns.py), all healing through the same nova-network test double; the
repo's pillar with the self-heal test overrides (tests/support/selfheal.py) and an inventory
grown to hold them (tests/support/localcluster.py). Used by
tests/integration/test_selfheal_storm.py (3 nodes) and bench/bench_scale.py (5 to 40).

The master listens on the host end of the first namespace's link; every other namespace
reaches that address through its own link (a host route in the namespace: the host answers
for any of its addresses on any link), so no daemon listens beyond those links.

:func:`storm` takes the gateway from every node at once and times each node's heal;
:func:`restarts` counts the restarts each node's own minion logged (selfheal.heal's
"restarting" line), so "each node healed once" is read from the node, not from the master.
"""

import concurrent.futures
import contextlib
import datetime
import pathlib
import re
import statistics
import time

import attr

from tests.support.localcluster import (
    grown_inventory,
    master_overrides,
    node_overrides,
    start_minion,
)
from tests.support.netns import ComputeNetns, FakeNovaNetwork, NetnsSaltMinion, ip
from tests.support.selfheal import _minion_config, clear_heal_gate, selfheal_pillar_root

HEAD = "cn43.internal"
RESTART_LINE = "restarting"  # selfheal.heal: "selfheal: <gw> missing from <br>, restarting <svc>"
HEAL_JOB = "Executing command selfheal.heal with jid"  # the minion, as each job starts
BEACON_FIRED = "handling event tag '__beacons_return'"  # the minion, its beacon fired (debug)
HEAL_PUBLISH = "PubChannel received:"  # the minion, each publish it receives (Salt 3008, debug)


@attr.s
class StormCluster:
    master = attr.ib()
    fake = attr.ib()
    nodes = attr.ib()  # {minion id: (ComputeNetns, minion factory)}
    head = attr.ib(default=None)
    cli = attr.ib(default=None)

    @property
    def ids(self):
        return sorted(self.nodes)


def compute_ids(count):
    """The ids of ``count`` compute nodes of the inventory grown to hold them, and it."""
    grown = grown_inventory(0)
    computes = sum(1 for node in grown["nodes"].values() if node["role"] == "compute")
    grown = grown_inventory(len(grown["nodes"]) + max(0, count - computes))
    names = sorted(n for n, node in grown["nodes"].items() if node["role"] == "compute")
    return [f"{n}.{grown['domain']}" for n in names[:count]], grown


@contextlib.contextmanager
def storm_cluster(
    salt_factories,
    tmp_path,
    count,
    cooldown=30,
    head=False,
    master_config=None,
    prepare=None,
    starters=4,
):
    """
    Start ``count`` compute minions in namespaces (and the head ``cn43.internal`` on the host
    when ``head``), their modules synced and pillar refreshed: their beacons run. Yields a
    StormCluster; on exit every process, namespace, link and file made here is removed.
    ``master_config``: more master options (e.g. file_roots); ``prepare``: called with the
    compute ids once the master runs; ``starters``: minions started at a time.
    """
    ids, grown = compute_ids(count)
    tag = str(int(time.time() * 1000) % 10**7)
    with contextlib.ExitStack() as undo:
        spaces = {}
        for minion_id in ids:
            netns = ComputeNetns(f"hlt-{minion_id.split('.')[0]}-{tag}")
            undo.callback(netns.teardown)
            netns.setup()
            netns.add_guest()
            spaces[minion_id] = netns
        first = spaces[ids[0]]
        for netns in spaces.values():
            if netns is not first:
                ip("route", "add", f"{first.host_ip}/32", "via", netns.host_ip, netns=netns.name)
        fake = FakeNovaNetwork(f"hlt-storm-nova-network-{tag}")
        undo.callback(fake.remove)
        fake.install(tmp_path)
        pillar = selfheal_pillar_root(tmp_path / "pillar", fake.name, cooldown)
        config = master_overrides(pillar)
        config.update(
            {
                "interface": first.host_ip,
                "hltcloud_inventory": grown,
                **(master_config or {}),
            }
        )
        master = salt_factories.salt_master_daemon(f"storm-master-{tag}", overrides=config)
        undo.callback(master.terminate)
        master.start(start_timeout=120)
        if prepare:
            prepare(ids)
        cluster = StormCluster(master=master, fake=fake, nodes={})

        def start(minion_id):
            netns = spaces[minion_id]
            minion_config = _minion_config(netns.host_ip)
            minion_config["master"] = first.host_ip
            # Every namespace's br100 has the same address (netns.NODE_IP): the node's
            # inventory address is listed beside it as a static grain, as node_overrides
            # does for the head, so the pillar's address check passes. Only grains change.
            address = grown["nodes"][minion_id.split(".")[0]]["ip"]
            minion_config["grains"] = {"ipv4": ["127.0.0.1", netns.node_link_ip, address]}
            minion = master.salt_minion_daemon(
                minion_id,
                overrides=minion_config,
                factory_class=NetnsSaltMinion,
                netns=netns.name,
            )
            undo.callback(minion.terminate)
            minion.start(start_timeout=300)
            cluster.nodes[minion_id] = (netns, minion)

        # A few at a time: each start mostly waits for the minion's first connection.
        with concurrent.futures.ThreadPoolExecutor(max_workers=starters) as pool:
            for done in [pool.submit(start, minion_id) for minion_id in ids]:
                done.result()
        if head:
            cluster.head = start_minion(
                master, HEAD, {**node_overrides(HEAD), "master": first.host_ip}
            )
            undo.callback(cluster.head.terminate)
        cluster.cli = master.salt_cli(timeout=300)
        for fun, *args in (("saltutil.sync_all",), ("saltutil.refresh_pillar", "wait=True")):
            ret = cluster.cli.run(fun, *args, minion_tgt="*")
            assert ret.returncode == 0, ret
        # What a real node's state runs leave in its file cache (map.jinja fetches the
        # parameter files; the hourly drift check keeps them fresh), where the heal reads
        # the service name from: selfheal.service_name.
        ret = cluster.cli.run("-L", "hltcloud.parameters", minion_tgt=",".join(ids))
        assert ret.returncode == 0, ret
        yield cluster


def _logged(cluster, *words):
    counts = {}
    for minion_id, (_, minion) in cluster.nodes.items():
        log = pathlib.Path(minion.config["log_file"])
        text = log.read_text(errors="replace") if log.exists() else ""
        counts[minion_id] = sum(1 for line in text.splitlines() if all(w in line for w in words))
    return counts


def restarts(cluster):
    """{minion id: restarts its own minion logged so far}."""
    return _logged(cluster, "selfheal:", RESTART_LINE)


def heal_jobs(cluster):
    """{minion id: selfheal.heal jobs its own minion logged starting so far}."""
    return _logged(cluster, HEAL_JOB)


def heal_publishes(cluster):
    """
    {minion id: selfheal.heal publishes its minion received so far, its own and others'}
    (Salt 3008 logs each publish a minion receives at debug, the job's load with it).
    """
    return _logged(cluster, HEAL_PUBLISH, "'fun': 'selfheal.heal'")


def forget(cluster):
    """A clean slate: no heal history on the nodes, no heal held or queued on the master."""
    ret = cluster.cli.run("-L", "selfheal.forget", minion_tgt=",".join(cluster.ids))
    assert ret.returncode == 0, ret
    clear_heal_gate(cluster.master)


LOG_TIME = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\]")


def _first_after(lines, since, *words):
    """Wall time (s) of the first log line at or after ``since`` holding all ``words``."""
    for line in lines:
        found = LOG_TIME.match(line)
        if not found or not all(w in line for w in words):
            continue
        at = datetime.datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
        if at >= since - 0.001:  # the log keeps milliseconds
            return at
    return None


def timeline(cluster, removed):
    """
    Where each node's heal time went, read from its own minion log: {minion id: {"dispatch":
    removal to its heal job starting (beacon interval, event, reactor, publish), "master":
    the part of it from the beacon's firing on the node (the event to the master, the
    reactor, the publish, its delivery), "job": job start to the restart (the job's process
    and heal's checks)}}; None where not logged. ``removed``: {minion id: wall time the
    gateway was taken}.
    """
    found = {}
    for minion_id, since in removed.items():
        log = pathlib.Path(cluster.nodes[minion_id][1].config["log_file"])
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
        start = _first_after(lines, since, HEAL_JOB)
        restart = _first_after(lines, since, "selfheal:", RESTART_LINE)
        fired = _first_after(lines, since, BEACON_FIRED)
        found[minion_id] = {
            "dispatch": None if start is None else start - since,
            "master": None if start is None or fired is None else start - fired,
            "job": None if start is None or restart is None else restart - start,
        }
    return found


def _medians(parts):
    """{part: median over the nodes that logged it}."""
    out = {}
    for key in ("dispatch", "master", "job"):
        known = [p[key] for p in parts.values() if p[key] is not None]
        out[key] = statistics.median(known) if known else None
    return out


def heal_times(spaces, timeout, poll=0.02, removed_at=None):
    """
    Take the gateway from every namespace in ``spaces`` (a list) one right after the other,
    then poll them in turn until each has it back; return one latency (s) per namespace,
    None for one not back within ``timeout``. One ``ip`` call per check, so with N
    namespaces pending a node's return is seen up to N calls late.
    """
    removed = {}
    for netns in spaces:
        netns.del_gateway()
        removed[netns.name] = time.monotonic()
        if removed_at is not None:
            removed_at[netns.name] = time.time()
    latencies, pending = {}, list(spaces)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for netns in list(pending):
            if netns.has_gateway():
                latencies[netns.name] = time.monotonic() - removed[netns.name]
                pending.remove(netns)
        time.sleep(poll)
    return [latencies.get(netns.name) for netns in spaces]


def storm(cluster, timeout=120, settle=5):
    """
    Every node loses the gateway at once. Returns {"latencies": [...], "median",
    "restarts": {id: restarts during the storm}, "jobs": {id: heal jobs during the storm},
    "received": {id: heal publishes it received, its own and others'},
    "double_restarts": total in the double's log}; waits ``settle`` seconds after the last
    heal so that a late heal of a node is seen too.
    """
    before, double_before = restarts(cluster), len(cluster.fake.restarts())
    jobs_before, received_before = heal_jobs(cluster), heal_publishes(cluster)
    spaces = [cluster.nodes[m][0] for m in cluster.ids]
    removed_at = {}
    latencies = heal_times(spaces, timeout, removed_at=removed_at)
    time.sleep(settle)
    after, jobs, received = restarts(cluster), heal_jobs(cluster), heal_publishes(cluster)
    known = [x for x in latencies if x is not None]
    parts = timeline(cluster, {m: removed_at[cluster.nodes[m][0].name] for m in cluster.ids})
    return {
        "latencies": latencies,
        "median": statistics.median(known) if known else None,
        "parts": _medians(parts),
        "restarts": {m: after[m] - before[m] for m in cluster.ids},
        "jobs": {m: jobs[m] - jobs_before[m] for m in cluster.ids},
        "received": {m: received[m] - received_before[m] for m in cluster.ids},
        "double_restarts": len(cluster.fake.restarts()) - double_before,
    }


def single(cluster, minion_ids, timeout=60, parts=None):
    """
    One node at a time loses the gateway: each one's heal latency (s), in order. ``parts``:
    a dict to fill with the :func:`timeline` medians of those heals.
    """
    latencies, removed = [], {}
    for minion_id in minion_ids:
        removed_at = {}
        netns = cluster.nodes[minion_id][0]
        latencies.append(heal_times([netns], timeout, removed_at=removed_at)[0])
        removed[minion_id] = removed_at[netns.name]
    if parts is not None:
        time.sleep(1)  # the last heal's lines reach its log
        parts.update(_medians(timeline(cluster, removed)))
    return latencies
