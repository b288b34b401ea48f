"""
Run ``salt-run state.orchestrate orch.cloud`` on a local cluster's master and read its steps.
Used by tests/integration/test_orchestrate.py and `make demo` (tests/support/demo_cluster.py).
"""

import json

HEAD_STEP = "orch-head-configured"
COMPUTE_STEP = "orch-compute-configured"
NETWORK_STEP = "orch-demo-network-present"
SMOKE_STEP = "orch-smoke-first-vm"


def orchestrate(master, *args, timeout=900):
    """
    Run the orchestration with ``args`` (e.g. ``"test=True"``, ``"pillar=..."``); return
    ``(retcode, steps)``, ``steps`` a list of the step results in the order they ran,
    each with its ``id``.
    """
    ret = master.salt_run_cli(timeout=timeout).run(
        "state.orchestrate", "orch.cloud", *args, "--out=json"
    )
    data = ret.data if isinstance(ret.data, dict) else json.loads(ret.stdout)
    runs = data.get("data", data)
    assert isinstance(runs, dict) and len(runs) == 1, ret
    (states,) = runs.values()
    assert isinstance(states, dict), states
    steps = []
    for key, step in states.items():
        steps.append({**step, "id": step.get("__id__") or key.split("_|-")[1]})
    steps.sort(key=lambda s: s["__run_num__"])
    return ret.returncode, steps


def step_returns(step):
    """``{minion_id: its state results}`` a ``salt.state`` step carries in its changes."""
    return (step.get("changes") or {}).get("ret") or {}


def job_minions(master, jid):
    """The minions that returned for job ``jid``, from the master's job cache."""
    ret = master.salt_run_cli(timeout=120).run("jobs.lookup_jid", jid, "--out=json")
    assert ret.returncode == 0, ret
    data = ret.data if isinstance(ret.data, dict) else json.loads(ret.stdout or "{}")
    if "outputter" in data and "data" in data:
        data = data["data"]
    return set(data)


def state_jobs(master, since_jid):
    """``{jid: target}`` of every state.highstate / state.sls job newer than ``since_jid``."""
    ret = master.salt_run_cli(timeout=120).run(
        "jobs.list_jobs",
        'search_function=["state.highstate", "state.sls", "state.apply"]',
        "display_progress=False",
        "--out=json",
    )
    assert ret.returncode == 0, ret
    jobs = ret.data if isinstance(ret.data, dict) else json.loads(ret.stdout or "{}")
    return {jid: jobs[jid].get("Target") for jid in sorted(jobs) if jid > since_jid}


def now_jid():
    """A jid for this moment: every job started later has a greater one (same clock and format)."""
    import salt.utils.jid  # pylint: disable=import-outside-toplevel

    return salt.utils.jid.gen_jid({})
