"""
Run the selfheal module and the bridge_gateway beacon through Salt's loaders
INSIDE a network namespace (``ip netns exec``), for the functional tests.

One process runs a list of steps and prints one JSON line with their
results, so the beacon's memory (its ``__context__``) lasts across steps as it
does in a minion. ``event.send`` is replaced by a recorder (there is no
minion event bus in a functional test; tests/integration/test_selfheal.py sees
the real event reach the master).

Steps: ``{"call": "selfheal.heal", "kwargs": {...}}``, ``{"beacon": [config]}``,
``{"sh": "ip addr del ..."}``, ``{"background": "selfheal.heal", "kwargs": ...}``
(in a thread), ``{"wait_lines": path, "count": n}`` (poll a file), ``{"join": true}``,
``{"before": "_lock", "of": "selfheal.heal", "run": "..."}`` (from then on, the command runs
each time ``of``'s module calls its function ``before``: something that happens between two
steps of a call, at a chosen point; its return codes are the result's ``hooks``).
"""

import json
import os
import subprocess
import sys
import threading
import time

from tests.conftest import REPO


def _background(fun, kwargs, out):
    out["ret"] = fun(**kwargs)


def run_steps(spec):
    import salt.config  # pylint: disable=import-outside-toplevel
    import salt.loader  # pylint: disable=import-outside-toplevel

    opts = salt.config.minion_config(None)
    opts.update(
        {
            "id": "cn44.internal",
            "cachedir": spec["cachedir"],
            "extension_modules": os.path.join(spec["cachedir"], "extmods"),
            "file_client": "local",
            "file_roots": {"base": [str(REPO / "salt")]},
            "module_dirs": [str(REPO / "_modules")],
            "utils_dirs": [str(REPO / "_utils")],
            "beacons_dirs": [str(REPO / "_beacons")],
            # The grains file (grains.setval's) is the one beside it.
            "conf_file": spec.get("conf_file") or os.path.join(spec["cachedir"], "minion"),
            "selfheal": spec.get("selfheal", {}),
        }
    )
    opts["grains"] = salt.loader.grains(opts)
    opts["grains"].update(spec.get("grains", {}))
    opts["pillar"] = spec.get("pillar", {})
    mods = salt.loader.minion_mods(opts, utils=salt.loader.utils(opts))
    sent = []
    mods["event.send"] = lambda tag, data=None, **kwargs: sent.append([tag, data]) or True
    beacons = salt.loader.beacons(opts, mods)
    results, threads, hooks = [], [], []
    for step in spec["steps"]:
        if "call" in step:
            results.append(mods[step["call"]](**step.get("kwargs", {})))
        elif "beacon" in step:
            results.append(beacons["bridge_gateway.beacon"](step["beacon"]))
        elif "sh" in step:
            proc = subprocess.run(
                step["sh"], shell=True, capture_output=True, text=True, check=False
            )
            results.append(proc.returncode)
        elif "background" in step:
            out = {}
            thread = threading.Thread(
                target=_background, args=(mods[step["background"]], step.get("kwargs", {}), out)
            )
            thread.start()
            threads.append((thread, out))
            results.append(None)
        elif "wait_lines" in step:
            deadline = time.monotonic() + step.get("timeout", 20)
            while time.monotonic() < deadline:
                with open(step["wait_lines"], encoding="utf-8") as handle:
                    if len([line for line in handle if line.strip()]) >= step["count"]:
                        break
                time.sleep(0.02)
            results.append(None)
        elif "join" in step:
            for thread, out in threads:
                thread.join()
                results.append(out.get("ret"))
            threads.clear()
        elif "before" in step:
            _hook(mods[step["of"]].__globals__, step["before"], step["run"], hooks)
            results.append(None)
        elif "sleep" in step:
            time.sleep(step["sleep"])
            results.append(None)
    return {"results": results, "events": sent, "hooks": hooks}


def _hook(namespace, name, command, hooks):
    original = namespace[name]

    def hooked(*args, **kwargs):
        proc = subprocess.run(command, shell=True, capture_output=True, text=True, check=False)
        hooks.append(proc.returncode if proc.returncode == 0 else proc.stderr[-2000:])
        return original(*args, **kwargs)

    namespace[name] = hooked


def run_in_netns(netns, spec, timeout=120):
    """Run ``spec``'s steps in namespace ``netns``; return {"results": [...], "events": [...]}."""
    proc = subprocess.run(
        ["ip", "netns", "exec", netns, sys.executable, "-m", "tests.support.selfheal_runner"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    print(json.dumps(run_steps(json.load(sys.stdin))))
