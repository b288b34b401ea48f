"""
The hourly drift check's cost on one node: `salt-call --id cn44.internal state.apply compute
test=True`, masterless, in a copy of the checkout with its own secrets (as the functional
tests make it), on this Debian host, the Salt of the Python running this file.

Each run counts the package tools Salt calls (tests/support/package_tools.py: a wrapper first
on PATH; apt with an empty source list under the run's own directory, so a refresh stays on
this host) and the time of the package states (Salt's own `duration`). Prints, for --runs runs
(3), the wall time of each, their median, the package states and the calls per run.
--host-apt keeps this host's apt sources (the refreshes then go to its mirrors, as on a
real node); --converged makes every package of the role one this host has (the hourly check
on a converged node: package_tools.converged_pillar); --repo measures another checkout (e.g.
a worktree of an older commit).

    .venv/bin/python bench/bench_dryrun.py            # or --runs 5, --host-apt, --repo DIR
"""

import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support import checkout as checkouts  # noqa: E402
from tests.support.package_tools import calls, converged_pillar, counting_env  # noqa: E402

SALT_CALL = str(pathlib.Path(sys.executable).parent / "salt-call")
NODE = "cn44.internal"


def one_run(checkout, workdir, host_apt, converged):
    env, log = counting_env(workdir)
    if host_apt:
        env.pop("APT_CONFIG")
    args = ["--id", NODE, "--out=json", "--log-level=quiet", "state.apply", "compute", "test=True"]
    if converged:
        args.append(converged_pillar())
    start = time.perf_counter()
    proc = subprocess.run(
        [SALT_CALL, *args], cwd=checkout, env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    ret = json.loads(proc.stdout)["local"]
    if not isinstance(ret, dict):
        raise SystemExit(f"the dry run did not run: {ret}")
    packages = {
        tag.split("_|-")[1]: state.get("duration", 0.0) / 1000
        for tag, state in ret.items()
        if tag.startswith("pkg_|-")
    }
    return wall, packages, {kind: len(found) for kind, found in calls(log).items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--host-apt", action="store_true")
    parser.add_argument("--converged", action="store_true")
    parser.add_argument("--repo", type=pathlib.Path, default=None)
    opts = parser.parse_args()
    if opts.repo:
        checkouts.REPO = opts.repo.resolve()
    with tempfile.TemporaryDirectory(prefix="bench-dryrun-") as tmp:
        tmp = pathlib.Path(tmp)
        checkout = checkouts.checkout_with_secrets(tmp / "hlt-cloud")
        walls = []
        for run in range(opts.runs):
            workdir = tmp / f"run{run}"
            workdir.mkdir()
            wall, packages, counted = one_run(checkout, workdir, opts.host_apt, opts.converged)
            walls.append(wall)
            states = ", ".join(f"{sid} {secs:.2f} s" for sid, secs in packages.items())
            print(f"run {run + 1}: {wall:.2f} s; package states: {states}; calls: {counted}")
        print(
            f"state.apply compute test=True ({'host apt' if opts.host_apt else 'apt offline'},"
            f"{' converged,' if opts.converged else ''}"
            f" {opts.runs} runs): median {statistics.median(walls):.2f} s"
        )


if __name__ == "__main__":
    main()
