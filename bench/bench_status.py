"""
`salt-run hlt.status`: where each node's last highstate comes from, on a month of jobs.

Builds, under a temporary directory, a master job cache as the master writes it (Salt's own
``local_cache`` returner, tests/support/jobcache.py) for --minions ids (40) over --days (30):
per minion an hourly ``hltcloud.drift`` job (as if the schedule returned it: pillar/schedule.sls
has ``return_job: false``, so a real cache holds fewer of these) and a daily ``state.apply``
of every node but one, a spare that was never configured (so the scan never finds all nodes
and looks up every highstate job). The newest highstate fails one state on one node.

Then times, in the same run, on a one-day cache and on the whole month:

- **old**: the scan ``hlt.status`` did, ``hlt.last_highstates`` (``jobs.list_jobs``, then
  ``jobs.lookup_jid`` per highstate job), the runner's real code through Salt's runner loader;
- **new**: what ``hlt.status`` does instead: every node's own record read
  (``highstate_record.read``, what ``hltcloud.report`` adds on each node; here the 40 reads
  run one after another, in the cluster each node reads its own at the same time) and the
  master's memo updated with the answers (``highstate_record.remember``).

The live ``hltcloud.report`` call to every node is the same both ways and not counted. Both
ways must give every node the same state, failing states and time. Prints the medians of
--runs runs (5) and the ratios; exits 1 if they disagree or the new way is not at least 10x
faster on the month.

    .venv/bin/python bench/bench_status.py            # or --days 30 --minions 40 --runs 5
"""

import argparse
import datetime
import logging
import pathlib
import statistics
import sys
import tempfile
import time

import salt.config
import salt.loader

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.jobcache import (  # noqa: E402
    add_job,
    highstate_return,
    jid_at,
    local_cache,
)

FAILING = "issue-managed"


def master_opts(cachedir, ids):
    opts = salt.config.master_config(None)
    opts.update(
        {
            "cachedir": str(cachedir),
            "runner_dirs": [str(REPO / "_runners")],
            "utils_dirs": [str(REPO / "_utils")],
            "hltcloud_inventory": {
                "domain": "internal",
                "nodes": {i.split(".")[0]: {"role": "compute"} for i in ids},
            },
        }
    )
    return opts


def build(root, ids, days, now):
    """A master cachedir with ``days`` of jobs, and each node's record; returns the cachedir."""
    cachedir = root / "master"
    cache = local_cache(cachedir)
    configured = ids[:-1]
    highstate = None
    for hour in range(days * 24, 0, -1):
        when = now - datetime.timedelta(hours=hour)
        for serial, minion_id in enumerate(ids):
            drift = {"in_sync": True, "drift": {}, "failed": {}}
            add_job(cache, jid_at(when, serial), "hltcloud.drift", [], {minion_id: drift})
        if hour % 24 == 1:
            jid = jid_at(when, len(ids) + 1)
            failing = hour == 1
            returns = {
                m: highstate_return(failed=(FAILING,) if failing and m == ids[3] else ())
                for m in configured
            }
            add_job(cache, jid, "state.apply", [], returns, out="highstate")
            highstate = (jid, returns)
    # Each node keeps its own record of the newest one (the hltcloud_highstate returner).
    jid, returns = highstate
    for minion_id, ret in returns.items():
        job = {"fun": "state.apply", "fun_args": [], "jid": jid, "return": ret}
        UTILS["highstate_record.record"](node_opts(root, minion_id), job)
    return cachedir


def node_opts(root, minion_id):
    return {"cachedir": str(root / "nodes" / minion_id)}


def old_way(runners):
    return runners["hlt.last_highstates"]()


def new_way(root, cachedir, ids):
    reports = {m: {"highstate": UTILS["highstate_record.read"](node_opts(root, m))} for m in ids}
    memo = cachedir / "hltcloud" / "status.json"
    kept = UTILS["highstate_record.remember"](str(memo), ids, reports)
    return {m: record for m, record in kept.items() if record}


def timed(func, runs):
    samples, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), samples, result


def count_jobs(cachedir):
    return sum(1 for _ in (cachedir / "jobs").glob("*/*/.load.p"))


def measure(days, args, now):
    ids = [f"cn{n:03d}.internal" for n in range(1, args.minions + 1)]
    with tempfile.TemporaryDirectory(prefix="bench-status-") as tmp:
        root = pathlib.Path(tmp)
        start = time.perf_counter()
        cachedir = build(root, ids, days, now)
        built = time.perf_counter() - start
        opts = master_opts(cachedir, ids)
        runners = salt.loader.runner(opts, utils=salt.loader.utils(opts))
        old, old_samples, scanned = timed(lambda: old_way(runners), args.runs)
        new, new_samples, read = timed(lambda: new_way(root, cachedir, ids), args.runs)
        return {
            "days": days,
            "jobs": count_jobs(cachedir),
            "built": built,
            "old": old,
            "old_samples": old_samples,
            "new": new,
            "new_samples": new_samples,
            "agree": scanned == read and len(read) == len(ids) - 1,
        }


def main(argv=None):
    global UTILS  # noqa: PLW0603
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--minions", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    # Salt's jobs runner leaves a MasterMinion per call for the garbage collector to warn about.
    logging.getLogger("salt").setLevel(logging.ERROR)
    UTILS = salt.loader.utils(master_opts(tempfile.gettempdir(), []))
    now = datetime.datetime.now().replace(minute=0, second=0, microsecond=0)
    rows = [measure(days, args, now) for days in sorted({1, args.days})]
    print(f"\nhlt.status, each node's last highstate: {args.minions} minions, {args.runs} runs")
    print(f"{'cache':>9} {'jobs':>7} {'old scan (s)':>13} {'new read (s)':>13} {'old/new':>9}")
    for row in rows:
        print(
            f"{row['days']:>4} days {row['jobs']:>7} {row['old']:>13.3f} {row['new']:>13.4f}"
            f" {row['old'] / row['new']:>8.0f}x   (cache built in {row['built']:.0f} s)"
        )
    first, last = rows[0], rows[-1]
    print(
        f"month / one day: old {last['old'] / first['old']:.1f}x, "
        f"new {last['new'] / first['new']:.1f}x (flat: the new way reads no job)"
    )
    agree = all(row["agree"] for row in rows)
    print(f"both ways give every node the same state, failed states and time: {agree}")
    fast = last["old"] / last["new"] >= 10
    print(f"target: new at least 10x faster on {last['days']} days: {'PASS' if fast else 'FAIL'}\n")
    return 0 if agree and fast else 1


UTILS = None

if __name__ == "__main__":
    sys.exit(main())
