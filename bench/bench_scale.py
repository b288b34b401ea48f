"""
One master, M real minions: how the master's work grows from 5 to M compute nodes.

For each M in 5, 20 and BENCH_M (40; ``make bench-scale M=...``), a fresh cluster
(tests/support/storm.py): a salt-master on the host with the repo's master config, pillar
and pillar top, the inventory grown to the head cn43 and M compute nodes
(tests/support/localcluster.py's grown_inventory), the head's minion on the host and each
compute minion in its own network namespace with a real br100, its gateway and a guest's tap
(tests/support/netns.py), healing through the nova-network test double. The master's job
cache gets BENCH_DAYS (30) days of jobs for those nodes, written while the minions start
(bench/bench_status.py's month: an hourly drift job per node, a daily highstate). Then:

- **pillar**: each compute node's (up to 10) pillar compiled on the master (``pillar.show_pillar``
  through a RunnerClient in this process: the master's pillar code, no CLI start-up);
- **show_sls compute**: the real compute state tree compiled on 3 nodes one at a time (a
  LocalClient in this process). The top file is the stand-in's (below),
  so ``state.show_highstate`` would show the stand-in: ``state.show_sls compute`` is what the
  real top gives a compute node;
- **rollout**: ``rollout.highstate`` (what orch.cloud's compute step runs) over the M nodes
  with a STAND-IN highstate (three test states: the real one installs OpenStack, which this
  Debian host cannot), in batches of 25% of the nodes, two in flight (four batches at any M);
- **hlt.status**: ``hlt.status`` (the live table, every node answering), median of 3;
- **heal**: the gateway taken from one node at a time (3 nodes), then from every node at
  once (the storm); each node's latency from removal to the address back, polled from this
  process (one ``ip`` call per namespace and round: with M pending the poll sees a return
  up to M calls late, some 0.1 s at 40); each node's restarts and heal jobs read from its
  own minion log;
- **master**: RSS (summed over its processes) and CPU seconds (user + system, its
  processes and their reaped children) since it started, at the end.

Run as root (network namespaces), on the loopback and in the namespaces it makes only:

    .venv/bin/python -m pytest bench/bench_scale.py -p tests.conftest -q -s   # BENCH_M=40
"""

import datetime
import json
import os
import pathlib
import statistics
import tempfile
import threading
import time

import psutil
import pytest
import salt.config
import salt.loader
import salt.runner

import salt.client
from bench import bench_status
from tests.support.localcluster import REPO
from tests.support.netns import usable
from tests.support.storm import forget, single, storm, storm_cluster

M = int(os.environ.get("BENCH_M", "40"))
DAYS = int(os.environ.get("BENCH_DAYS", "30"))
PILLAR_SAMPLE = 10
# BENCH_SIZES="5 40": other cluster sizes than 5, 20 and M (each at most M)
SIZES = sorted(
    {int(n) for n in os.environ.get("BENCH_SIZES", f"5 20 {M}").split() if 0 < int(n) <= M}
)
# BENCH_ONLY=storm: the heal figures alone (heal 1, storm, the master's usage): no job
# cache, pillar, compile, rollout nor hlt.status
STORM_ONLY = os.environ.get("BENCH_ONLY", "") == "storm"
# BENCH_PIN=1: for the heals, the master's processes on one core and every minion (and what
# its jobs start) on the other, as on a farm where the master has its own machine: the
# minions then share one core among all of them, which a farm does not do either
PIN = os.environ.get("BENCH_PIN", "") == "1"
STANDIN_TOP = "base:\n  '*':\n    - standin\n"
STANDIN = "".join(
    f"standin-{n}:\n  test.succeed_without_changes:\n    - name: stand-in step {n}\n"
    for n in (1, 2, 3)
)


def _timed(func):
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def _load():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _month(root, ids, out):
    """DAYS of jobs for ``ids`` (bench_status.py's month) in the master cachedir root/master."""
    if bench_status.UTILS is None:
        bench_status.UTILS = salt.loader.utils(bench_status.master_opts(tempfile.gettempdir(), []))
    start = time.monotonic()
    now = datetime.datetime.now().replace(minute=0, second=0, microsecond=0)
    cachedir = bench_status.build(pathlib.Path(root), ids, DAYS, now)
    out["jobs"] = bench_status.count_jobs(cachedir)
    out["build_s"] = time.monotonic() - start


def _master_usage(master):
    proc = psutil.Process(master.pid)
    procs = [proc, *proc.children(recursive=True)]
    rss = cpu = 0.0
    for each in procs:
        try:
            times = each.cpu_times()
            rss += each.memory_info().rss
            cpu += times.user + times.system + times.children_user + times.children_system
        except psutil.NoSuchProcess:
            continue
    return {"rss_mib": rss / 2**20, "cpu_s": cpu, "processes": len(procs)}


def _times(proc):
    """(own, reaped children's) CPU seconds of ``proc``, or None when it is gone."""
    try:
        times = proc.cpu_times()
    except psutil.NoSuchProcess:
        return None
    return times.user + times.system, times.children_user + times.children_system


def _cpu_snapshot(cluster):
    """Every process's CPU times now, each in its part: ``master`` (its process tree),
    ``minions`` (the minion daemons and their long-lived children: beacons, receiving every
    publish), ``jobs`` (what the minions' job processes used, counted once they are reaped
    into their minion's children times, with their commands), ``bench`` (this process: the
    polling), ``other`` (the rest of the machine)."""
    mains = {minion.pid for _, minion in cluster.nodes.values()}
    if cluster.head:
        mains.add(cluster.head.pid)
    master = {cluster.master.pid}
    try:
        master |= {c.pid for c in psutil.Process(cluster.master.pid).children(recursive=True)}
    except psutil.NoSuchProcess:
        pass
    under = {}
    for pid in mains:
        try:
            for child in psutil.Process(pid).children(recursive=True):
                under[child.pid] = pid
        except psutil.NoSuchProcess:
            continue
    snap = {}
    for proc in psutil.process_iter():
        times = _times(proc)
        if times is None:
            continue
        if proc.pid in master:
            part = "master"
        elif proc.pid in mains or proc.pid in under:
            part = "minions"
        elif proc.pid == os.getpid():
            part = "bench"
        else:
            part = "other"
        snap[proc.pid] = (part, times, proc.pid in mains)
    return snap


def cpu_parts(before, after):
    """CPU seconds per part between two :func:`_cpu_snapshot`; a process that started in
    between counts whole. Children reaped by a minion daemon (its jobs) count as ``jobs``;
    any other process's reaped children count in its own part."""
    parts = {"master": 0.0, "minions": 0.0, "jobs": 0.0, "bench": 0.0, "other": 0.0}
    for pid, (part, (own, reaped), main) in after.items():
        old_part, (old_own, old_reaped), _ = before.get(pid, (part, (0.0, 0.0), main))
        if old_part != part:  # a pid reused by another process
            old_own = old_reaped = 0.0
        new_process = pid not in before and part == "minions" and not main
        parts["jobs" if new_process else part] += own - old_own
        parts["jobs" if main else part] += reaped - old_reaped
    return {key: round(value, 2) for key, value in parts.items()}


def _pin(pid, cores):
    """Put process ``pid`` and its children on ``cores`` (their later children inherit it)."""
    proc = psutil.Process(pid)
    for each in [proc, *proc.children(recursive=True)]:
        try:
            each.cpu_affinity(cores)
        except psutil.NoSuchProcess:
            continue


def pin(cluster):
    """The master on core 0, the minions on core 1 (BENCH_PIN)."""
    _pin(cluster.master.pid, [0])
    for _, minion in cluster.nodes.values():
        _pin(minion.pid, [1])
    if cluster.head:
        _pin(cluster.head.pid, [1])


def master_work(row, ids, runner, local, building):
    """The pillar, compile, rollout and hlt.status figures into ``row``."""
    pillars = []
    for minion_id in ids[:PILLAR_SAMPLE]:
        seconds, pillar = _timed(
            lambda m=minion_id: runner.cmd("pillar.show_pillar", [m], print_event=False)
        )
        assert pillar.get("selfheal") and not pillar.get("_errors"), (minion_id, pillar)
        pillars.append(seconds)
    row["pillar_s"] = statistics.median(pillars)

    shows = []
    for minion_id in ids[:3]:
        seconds, shown = _timed(
            lambda m=minion_id: local.cmd(m, "state.show_sls", ["compute"], timeout=600)
        )
        assert isinstance(shown.get(minion_id), dict), shown
        shows.append(seconds)
    row["show_s"] = statistics.median(shows)

    for key, kwarg in (("rollout_25_s", {"batch": "25%", "in_flight": 2}),):
        row[key], done = _timed(
            lambda k=kwarg: runner.cmd("rollout.highstate", [ids], kwarg=k, print_event=False)
        )
        assert done["result"] is True, done

    building[0].join()
    statuses = []
    for _ in range(3):
        seconds, table = _timed(lambda: runner.cmd("hlt.status", [], print_event=False))
        statuses.append(seconds)
    row["status_s"] = statistics.median(statuses)
    row["status_down"] = sorted(m for m, node in table["nodes"].items() if node["state"] == "down")


def measure(salt_factories, tmp_path, size):
    standin = tmp_path / "standin"
    standin.mkdir()
    (standin / "top.sls").write_text(STANDIN_TOP)
    (standin / "standin.sls").write_text(STANDIN)
    month = tmp_path / "month"  # bench_status.build writes the master's cache in month/master
    row = {"m": size, "load_before": _load()}
    started = time.monotonic()
    config = {
        "file_roots": {"base": [str(standin), str(REPO / "salt")]},
        "cachedir": str(month / "master"),
    }
    building = []

    def prepare(ids):
        """The month's jobs written while the minions start (joined before hlt.status)."""
        if STORM_ONLY:
            return
        thread = threading.Thread(target=_month, args=(month, [*ids, "cn43.internal"], row))
        thread.start()
        building.append(thread)

    with storm_cluster(
        salt_factories,
        tmp_path,
        size,
        head=True,
        master_config=config,
        prepare=prepare,
        starters=8,
    ) as cluster:
        row["start_s"] = time.monotonic() - started
        ids = cluster.ids
        opts = salt.config.master_config(str(cluster.master.config_file))
        opts["output"] = "json"  # hlt.status answers data, not its text table
        runner = salt.runner.RunnerClient(opts)
        local = salt.client.get_local_client(str(cluster.master.config_file))

        if not STORM_ONLY:
            master_work(row, ids, runner, local, building)
        if PIN and os.cpu_count() >= 2:
            pin(cluster)
            row["pinned"] = True
        forget(cluster)
        row["single_parts"] = {}
        row["single"] = single(cluster, ids[:3], parts=row["single_parts"])
        forget(cluster)
        snapshot = _cpu_snapshot(cluster)
        found = storm(cluster)
        row["storm_cpu_parts"] = cpu_parts(snapshot, _cpu_snapshot(cluster))
        row["storm"] = found
        row["storm_cpu_s"] = row["storm_cpu_parts"]["master"]  # the master's process tree
        row["master"] = _master_usage(cluster.master)
    row["load_after"] = _load()
    return row


def _fmt(value, digits=2):
    return "-" if value is None else f"{value:.{digits}f}"


def report(rows):
    first = rows[0]
    print(f"\n\nbench_scale: one master, M compute minions (each in a netns) + the head; {M=}")
    print(
        f"{'M':>4} {'start':>6} {'pillar':>7} {'show':>6}"
        f" {'roll25%':>8} {'status':>7} {'heal 1':>7} {'storm':>6} {'worst':>6}"
        f" {'RSS MiB':>8} {'CPU s':>6} {'storm CPU':>9}"
    )
    for row in rows:
        found = row["storm"]
        known = [x for x in found["latencies"] if x is not None]
        single_median = statistics.median([x for x in row["single"] if x is not None])
        row["single_median"] = single_median
        print(
            f"{row['m']:>4} {row['start_s']:>6.0f} {_fmt(row.get('pillar_s'), 3):>7}"
            f" {_fmt(row.get('show_s')):>6} {_fmt(row.get('rollout_25_s'), 1):>8}"
            f" {_fmt(row.get('status_s')):>7} {single_median:>7.2f} {_fmt(found['median']):>6}"
            f" {_fmt(max(known) if known else None):>6} {row['master']['rss_mib']:>8.0f}"
            f" {row['master']['cpu_s']:>6.0f} {row['storm_cpu_s']:>9.1f}"
        )
    print("seconds unless said; pillar: median per node on the master (up to 10 nodes); show:")
    print("state.show_sls compute, median of 3 nodes one at a time; roll25%: rollout.highstate of")
    print("the stand-in, batches of 25% of the nodes, two in flight; status: hlt.status, median of")
    print(f"3, {DAYS} days of jobs in the cache; heal 1: median of 3 nodes losing the gateway one")
    print(
        "at a time; storm: median (worst) heal when every node loses it at once; CPU: the master's"
    )
    print("since it started; storm CPU: the master's during the storm.")
    for row in rows:
        found = row["storm"]
        once = all(v == 1 for v in found["restarts"].values())
        one_job = all(v == 1 for v in found["jobs"].values())
        cache = (
            f"{row['jobs']} jobs in the cache ({DAYS} days, written in {row['build_s']:.0f} s"
            f" while the minions started); hlt.status down: {row['status_down']}; "
            if "jobs" in row
            else ""
        )
        one, many = row["single_parts"], found["parts"]
        print(
            f"M={row['m']}: {cache}heal 1 / storm medians: removal to the heal job"
            f" {_fmt(one['dispatch'])} / {_fmt(many['dispatch'])} s (from the beacon's firing"
            f" {_fmt(one.get('master'))} / {_fmt(many.get('master'))} s), job start to the restart"
            f" {_fmt(one['job'])} / {_fmt(many['job'])} s;"
            f" storm: restarts per node {sorted(set(found['restarts'].values()))}"
            f" (each once: {once}), heal jobs per node {sorted(set(found['jobs'].values()))}"
            f" (one each: {one_job}), heal publishes each node received"
            f" {sorted(set(found['received'].values()))},"
            f" double restarted {found['double_restarts']} times;"
            f" the storm's CPU seconds by part {row['storm_cpu_parts']};"
            f" load {row['load_before']} -> {row['load_after']}"
        )
    last = rows[-1]
    ratio = last["storm"]["median"] / first["single_median"]
    ratio_own = last["storm"]["median"] / last["single_median"]
    print(
        f"storm median at M={last['m']} / one node's heal (M={first['m']}): {ratio:.2f}x, "
        f"/ one node's heal in the same cluster: {ratio_own:.2f}x; target within 3x: "
        f"{'PASS' if ratio <= 3 else 'FAIL'}"
    )
    for key in ("pillar_s", "show_s", "rollout_25_s", "status_s"):
        if key not in last:
            continue
        print(f"  growth {key} M={first['m']} -> {last['m']}: {last[key] / first[key]:.2f}x")
    print(
        f"  growth master RSS: {last['master']['rss_mib'] / first['master']['rss_mib']:.2f}x,"
        f" CPU: {last['master']['cpu_s'] / first['master']['cpu_s']:.2f}x\n"
    )
    return ratio


@pytest.mark.requires_service(usable() and f"network namespaces: {usable()}")
def test_scale(salt_factories, tmp_path):
    rows = []
    for size in SIZES:
        path = tmp_path / f"m{size}"
        path.mkdir()
        rows.append(measure(salt_factories, path, size))
        print(f"\nM={size} done: {rows[-1]['load_before']} -> {rows[-1]['load_after']}", flush=True)
    report(rows)
    for row in rows:
        print(json.dumps(row, default=str))
    for row in rows:
        assert all(v == 1 for v in row["storm"]["restarts"].values()), row["storm"]
