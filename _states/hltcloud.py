"""
The stand-in states of ``salt/macros.jinja`` (``failed()`` and ``pending()``), and ``ready``
for the sound branch of the same ID, with the same answer on Salt 3006.8 (the nodes'
onedir) and 3008. And ``rollout``, the orchestration's step that configures the compute
nodes batch by batch (the ``rollout`` runner, ``_runners/rollout.py``).

Salt's ``test.configurable_test_state`` cannot stand in for them on both: 3006.8 reports
``result: False`` as True in test mode, and refuses ``allow_test_mode_failure`` (3007.0) with
"Passed invalid arguments", which stops the whole state run instead of failing one state.
"""

__virtualname__ = "hltcloud"


def __virtual__():
    return __virtualname__


def ready(name, comment=""):
    """
    Succeed and change nothing: the sound branch of an ID that has a ``failed`` or ``pending``
    branch and that another SLS extends (``extend:`` names the state module, so every branch
    of such an ID must be an ``hltcloud`` state).

    .. code-block:: yaml

        keystone-catalog-ready:
          hltcloud.ready:
            - name: Keystone at http://cn43.internal:35357/v3
    """
    return {"name": name, "changes": {}, "result": True, "comment": comment or name}


def failed(name, comment):
    """
    Fail, change nothing and say why: the same in a real run and under ``test=True``. What a
    formula renders instead of its real states when its data is unusable; the other states
    of the run go on (and those that require this one fail with it).

    .. code-block:: yaml

        nova-config-file-managed:
          hltcloud.failed:
            - name: /etc/nova/nova.conf
            - comment: "nova.conf not written: pillar secrets:nova_pass is missing on cn44"
    """
    return {"name": name, "changes": {}, "result": False, "comment": comment}


def pending(name, comment):
    """
    Stand, in a dry run, for states that cannot be checked yet (their server is not running):
    result None with what would be done. A formula renders it only under ``test=True``; a real
    run that gets it anyway fails, as it would have done nothing of what it says.

    .. code-block:: yaml

        keystone-catalog-ready:
          hltcloud.pending:
            - name: the catalog would be converged
            - comment: the catalog would be converged (keystone is not running yet)
    """
    if __opts__["test"]:
        return {"name": name, "changes": {"would": comment}, "result": None, "comment": comment}
    return {
        "name": name,
        "changes": {},
        "result": False,
        "comment": f"Not applied: this state stands in for others only in a dry run: {comment}",
    }


def rollout(name, targets, batch=2, in_flight=1, stop_after=None, pillar=None):
    """
    An orchestration step (``salt-run state.orchestrate``): highstate ``targets`` from the
    master, ``batch`` nodes at a time (a count or ``"10%"``), ``in_flight`` batches at once,
    no new batch once ``stop_after`` nodes failed (None: all run). Every node that failed,
    was refused or did not answer is named in the comment; ``changes`` has each node's
    outcome. Under ``test=True`` the nodes run their highstate in test mode and the comment
    starts with the plan: how many batches and how long each took in the last real run.

    .. code-block:: yaml

        orch-compute-configured:
          hltcloud.rollout:
            - name: the compute nodes
            - targets: [cn44.internal, cn45.internal, cn46.internal, cn47.internal]
            - batch: 10%
            - in_flight: 3
            - stop_after: 5
    """
    ret = {"name": name, "changes": {}, "result": False, "comment": ""}
    runner = __salt__["saltutil.runner"]
    settings = {
        "targets": targets,
        "batch": batch,
        "in_flight": in_flight,
        "stop_after": stop_after,
    }
    plan = runner("rollout.plan", **settings)
    if not isinstance(plan, dict) or plan.get("error") or "comment" not in plan:
        ret["comment"] = (
            f"{name}: " + str(plan.get("error") if isinstance(plan, dict) else plan).strip()
        )
        return ret
    test = bool(__opts__["test"])
    run = runner("rollout.highstate", pillar=pillar, test=test, **settings)
    if not isinstance(run, dict) or "nodes" not in run:
        ret["comment"] = f"{name}: the rollout runner failed: " + str(run).strip()[:500]
        return ret
    ret["changes"] = {"nodes": run["nodes"], "batches": run["batches"]}
    if run["not_started"]:
        ret["changes"]["not_started"] = run["not_started"]
    states = {node["state"] for node in run["nodes"].values()}
    if not run["result"]:
        ret["result"] = False
    elif test:
        ret["result"] = None if "would change" in states else True
    else:
        ret["result"] = True
    if not test and states <= {"in sync"} and ret["result"]:
        ret["changes"] = {}
    ret["comment"] = f"{name}: {plan['comment']}. {run['comment']}"
    return ret


def stopped(name, steps, done, finish, rollback):
    """
    The last state of an orchestration whose steps run one after the other (each requires the
    one before), run with ``onfail`` on all of them: fail with one comment that names the first
    step that failed, what the steps before it did (``done``, one line per step, in order) and
    what is not done, and how to ``finish`` or ``rollback``. Reads the steps' results from the
    running orchestration (``__running__``).

    .. code-block:: yaml

        rotate-nova_pass-stopped:
          hltcloud.stopped:
            - name: the rotation of nova_pass
            - steps: [rotate-nova_pass-account-changed, rotate-nova_pass-verified]
            - done: [the Keystone user nova on cn43.internal, the check of the new value]
            - finish: run `salt-run state.orchestrate orch.rotate ...` again
            - rollback: put the old value back and run the same command
            - onfail:
              - salt: rotate-nova_pass-account-changed
              - salt: rotate-nova_pass-verified
    """
    results = {}
    for tag, result in (globals().get("__running__") or {}).items():
        parts = tag.split("_|-")
        results[result.get("__id__") or (parts[1] if len(parts) > 1 else tag)] = result
    failed_at = None
    for index, step in enumerate(steps):
        if (results.get(step) or {}).get("result") is False:
            failed_at = index
            break
    if failed_at is None:
        failed_at = next((i for i, step in enumerate(steps) if step not in results), len(steps))
    if failed_at >= len(steps):
        return {"name": name, "changes": {}, "result": True, "comment": f"{name}: every step ran"}
    why = str((results.get(steps[failed_at]) or {}).get("comment") or "it did not run").strip()
    if "Traceback (most recent call last)" in why:  # an exception in the step: its last line
        why = why.splitlines()[-1]
    why = " ".join(why.split())[:500]
    lines = [
        f"{name} stopped at step {failed_at + 1} of {len(steps)}, {done[failed_at]}: {why}.",
        "Done: " + ("; ".join(done[:failed_at]) if failed_at else "nothing") + ".",
        "Not done: " + "; ".join(done[failed_at:]) + ".",
        f"To finish: {finish}.",
        f"To roll back: {rollback}.",
    ]
    return {"name": name, "changes": {}, "result": False, "comment": " ".join(lines)}
