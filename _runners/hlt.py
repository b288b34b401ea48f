"""
The runbook's "Current status" table, live: ``salt-run hlt.status``.

For every node of the inventory: its role; its state, one of

- ``down``: it did not answer now;
- ``drained``: the kill switch's mark (grain ``hltcloud_drained``) is set;
- ``failed``: its last highstate (or ``state.apply`` of its role bundle) had a failing
  state, or was refused (pillar errors);
- ``configured``: its last highstate succeeded;
- ``unconfigured``: it never recorded a highstate;

when that highstate ran, and its drift: the summary the ``hltcloud-drift`` schedule keeps on
the node (``hltcloud.drift``: the highstate in test mode), ``in sync`` or the state IDs that
would change, each with a one-line reason. ``--out=json`` gives the same data.

The last highstate is the node's own record (``_utils/highstate_record.py``, kept by the
``hltcloud_highstate`` returner after each of its highstates), which ``hltcloud.report``
hands over with the drift and the drain mark: one call to every node, O(1) on each, and no
scan of the master's job cache. The master keeps what each node last reported
(``<cachedir>/hltcloud/status.json``, written only from a node's own answer, under that
node's id): a node that is down shows ``down`` with the last highstate it reported.
``salt-run hlt.last_highstates`` still reads the master's job cache (O(jobs)).
"""

import logging
import os

import salt.client

log = logging.getLogger(__name__)

__virtualname__ = "hlt"

STATUS_MEMO = ("hltcloud", "status.json")
UNCONFIGURED = {"state": "unconfigured", "failed": [], "applied": None}


def __virtual__():
    return __virtualname__


def _node_ids():
    inventory = __opts__.get("hltcloud_inventory") or {}
    domain = inventory.get("domain")
    nodes = inventory.get("nodes")
    if not isinstance(nodes, dict):
        return []
    return [f"{name}.{domain}" for name in sorted(n for n in nodes if isinstance(n, str))]


def _last_highstates(ids):
    """``{minion_id: {"state", "failed", "applied"}}`` from the newest highstate job of each."""
    jobs = __salt__["jobs.list_jobs"](
        search_function=["state.highstate", "state.apply"], display_progress=False
    )
    is_highstate = __utils__["highstate_record.is_highstate"]
    outcome = __utils__["highstate_record.outcome"]
    found = {}
    for jid in sorted(jobs, reverse=True):
        if len(found) == len(ids):
            break
        job = jobs[jid]
        if not is_highstate(job.get("Function"), job.get("Arguments")):
            continue
        returns = __salt__["jobs.lookup_jid"](jid, display_progress=False) or {}
        if "outputter" in returns and "data" in returns:  # state jobs come wrapped
            returns = returns["data"]
        for minion_id, ret in returns.items():
            if minion_id in ids and minion_id not in found:
                state, failed = outcome(ret)
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
    memo = os.path.join(__opts__["cachedir"], *STATUS_MEMO)
    last = __utils__["highstate_record.remember"](memo, ids, live)
    rows = []
    for minion_id in ids:
        name = minion_id.split(".")[0]
        report = live.get(minion_id)
        answered = isinstance(report, dict)
        record = last.get(minion_id) or UNCONFIGURED
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
    outcome (configured or failed, with the failing state IDs) and when it started. The
    master's own view, O(jobs): it reads every job of the cache (``keep_jobs_seconds``),
    where ``hlt.status`` asks each node for its record.

    CLI Example:

    .. code-block:: bash

        salt-run hlt.last_highstates
    """
    return _last_highstates(set(_node_ids()))
