"""
The runbook's "Current status" table, live: ``salt-run hlt.status``.

For every node of the inventory: its role; its state, one of

- ``down``: it did not answer now;
- ``drained``: the kill switch's mark (grain ``hltcloud_drained``) is set;
- ``failed``: its last highstate (or ``state.apply`` of its role bundle) had a failing
  state, or was refused (pillar errors);
- ``configured``: its last highstate succeeded;
- ``unconfigured``: no highstate of it is in the master's job cache;

when that highstate ran, and its drift: the summary the ``hltcloud-drift`` schedule keeps on
the node (``hltcloud.drift``: the highstate in test mode), ``in sync`` or the state IDs that
would change, each with a one-line reason. ``--out=json`` gives the same data.

The last highstate comes from the master's job cache (``keep_jobs_seconds`` in
etc/salt/master): older runs show as ``unconfigured``.
"""

import logging

import salt.client

log = logging.getLogger(__name__)

__virtualname__ = "hlt"

ROLE_BUNDLES = ("head", "compute")


def __virtual__():
    return __virtualname__


def _node_ids():
    inventory = __opts__.get("hltcloud_inventory") or {}
    domain = inventory.get("domain")
    nodes = inventory.get("nodes")
    if not isinstance(nodes, dict):
        return []
    return [f"{name}.{domain}" for name in sorted(n for n in nodes if isinstance(n, str))]


def _is_test(args):
    for arg in args or []:
        if isinstance(arg, dict) and arg.get("test") in (True, "True", "true"):
            return True
        if isinstance(arg, str) and arg.replace(" ", "").lower() == "test=true":
            return True
    return False


def _is_highstate(job):
    """A real (not test mode) highstate, or a state.apply of a role bundle or of nothing."""
    args = job.get("Arguments") or []
    if _is_test(args):
        return False
    if job.get("Function") == "state.highstate":
        return True
    mods = [a for a in args if isinstance(a, str) and "=" not in a]
    return job.get("Function") == "state.apply" and (not mods or mods[0] in ROLE_BUNDLES)


def _outcome(ret):
    if isinstance(ret, dict) and ret and all(isinstance(r, dict) for r in ret.values()):
        failed = sorted(r.get("__id__", sid) for sid, r in ret.items() if r.get("result") is False)
        return ("failed", failed) if failed else ("configured", [])
    return "failed", [
        "refused: " + " ".join(map(str, ret if isinstance(ret, list) else [ret]))[:200]
    ]


def _last_highstates(ids):
    """``{minion_id: {"state", "failed", "applied"}}`` from the newest highstate job of each."""
    jobs = __salt__["jobs.list_jobs"](
        search_function=["state.highstate", "state.apply"], display_progress=False
    )
    found = {}
    for jid in sorted(jobs, reverse=True):
        if len(found) == len(ids):
            break
        job = jobs[jid]
        if not _is_highstate(job):
            continue
        returns = __salt__["jobs.lookup_jid"](jid, display_progress=False) or {}
        if "outputter" in returns and "data" in returns:  # state jobs come wrapped
            returns = returns["data"]
        for minion_id, ret in returns.items():
            if minion_id in ids and minion_id not in found:
                state, failed = _outcome(ret)
                found[minion_id] = {
                    "state": state,
                    "failed": failed,
                    "applied": job.get("StartTime"),
                }
    return found


def _drift_text(drift):
    if not drift:
        return "unknown (no drift check yet)"
    if drift.get("in_sync"):
        return "in sync"
    items = {
        **drift.get("drift", {}),
        **{k: "fails: " + v for k, v in drift.get("failed", {}).items()},
    }
    return "; ".join(f"{sid}: {why}" for sid, why in sorted(items.items()))


def _table(rows):
    head = ("Node", "Type", "Status", "Last applied", "Drift")
    lines = [
        [r["node"], r["role"] or "-", r["state"], r["applied"] or "-", r["drift_text"]]
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines, strict=True)]
    fmt = "| " + " | ".join(f"{{:<{w}}}" for w in widths[:-1]) + " | {} |"
    out = [
        fmt.format(*head),
        "|" + "|".join("-" * (w + 2) for w in widths[:-1]) + "|" + "-" * (widths[-1] + 2) + "|",
    ]
    out += [fmt.format(*line) for line in lines]
    return "\n".join(out)


def status(timeout=10):
    """
    The live status table of the inventory's nodes (``--out=json``: the same as data).

    CLI Example:

    .. code-block:: bash

        salt-run hlt.status
        salt-run hlt.status --out=json
    """
    ids = _node_ids()
    inventory = __opts__.get("hltcloud_inventory") or {}
    client = salt.client.get_local_client(__opts__["conf_file"])
    live = client.cmd(ids, "hltcloud.report", tgt_type="list", timeout=int(timeout)) or {}
    last = _last_highstates(set(ids))
    rows = []
    for minion_id in ids:
        name = minion_id.split(".")[0]
        report = live.get(minion_id)
        answered = isinstance(report, dict)
        record = last.get(minion_id, {"state": "unconfigured", "failed": [], "applied": None})
        if not answered:
            state = "down"
        elif report.get("drained"):
            state = "drained"
        else:
            state = record["state"]
        drift = report.get("drift") if answered else None
        rows.append(
            {
                "node": name,
                "id": minion_id,
                "role": (inventory.get("nodes", {}).get(name) or {}).get("role"),
                "state": state,
                "answers": answered,
                "applied": record["applied"],
                "failed_states": record["failed"],
                "drift": drift,
                "drift_text": _drift_text(drift) if answered else "unknown (node down)",
            }
        )
    if __opts__.get("output") in (None, "", "nested", "txt", "table"):
        return _table(rows)
    return {"nodes": {row.pop("id"): row for row in rows}}


def last_highstates():
    """
    The newest real highstate of each inventory node in the master's job cache: its
    outcome (configured or failed, with the failing state IDs) and when it started.

    CLI Example:

    .. code-block:: bash

        salt-run hlt.last_highstates
    """
    return _last_highstates(set(_node_ids()))
