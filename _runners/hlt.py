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
scan of the master's job cache. An answer is taken from the master's job cache entry of that
call (one jid, read once), not from its return event: any accepted minion can fire an event
``salt/job/<jid>/ret/<other id>`` naming another node in its data, while the job cache holds
the returns the master took in ``_return``, under the id it checked the sender against (see
:func:`_answers` for when that check holds). A node whose event answer has no cache entry is
``down``. The master keeps what each node last reported (``<cachedir>/hltcloud/status.json``,
from those cache entries only): a node that is down shows ``down`` with the last highstate
it reported. ``salt-run hlt.last_highstates`` reads every job of the cache (O(jobs)).
"""

import logging
import os
import time

import salt.minion
import salt.utils.jid

import salt.client

log = logging.getLogger(__name__)

__virtualname__ = "hlt"

STATUS_MEMO = ("hltcloud", "status.json")
UNCONFIGURED = {"state": "unconfigured", "failed": [], "applied": None}
# The master fires a return's event before it writes the return to the job cache
# (salt.utils.job.store_job): how long to wait for the entries of the answers heard.
CACHE_WAIT = 2.0


def __virtual__():
    return __virtualname__


def _node_ids():
    return __utils__["hltcloud_ids.node_ids"](__opts__.get("hltcloud_inventory"))


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


def _cached_returns(jid, heard, wait=CACHE_WAIT):
    """
    ``{minion_id: return}`` of job ``jid`` in the master's job cache (``master_job_cache``'s
    ``get_jid``; never ``ext_job_cache``, which minions write themselves), read until every
    id of ``heard`` is there or ``wait`` seconds passed.
    """
    if not __opts__.get("job_cache", True) or __opts__.get("ext_job_cache"):
        log.warning("hlt.status: the master keeps no job cache: every node shows as down")
        return {}
    mminion = salt.minion.MasterMinion(__opts__, states=False, rend=False, matcher=False)
    get_jid = mminion.returners[f"{__opts__['master_job_cache']}.get_jid"]
    deadline = time.monotonic() + wait
    while True:
        cached = get_jid(jid) or {}
        if set(heard) <= set(cached) or time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    return {mid: entry["return"] for mid, entry in cached.items() if "return" in entry}


def _answers(ids, timeout):
    """
    Each node's ``hltcloud.report`` answer, under an id the master vouches for:
    ``{minion_id: report}`` from the job cache entries of the call, for the ids of ``ids``.

    The call's return events (what ``LocalClient.cmd`` gathers) only tell when to stop
    waiting: their data's ``id`` is whatever the sender wrote. The job cache holds what
    the master's ``_return`` stored under the load's ``id``: checked against the sender's
    key by a Salt 3008 master on a per-minion session (request version 3, its minions); a
    Salt 3006.8 master checks it only with ``require_minion_sign_messages`` and
    ``drop_messages_signature_fail`` set (minions with ``minion_sign_messages``).
    """
    client = salt.client.get_local_client(__opts__["conf_file"])
    jid = salt.utils.jid.gen_jid(__opts__)
    heard = client.cmd(ids, "hltcloud.report", tgt_type="list", timeout=timeout, jid=jid) or {}
    heard = [mid for mid, ret in heard.items() if ret is not False]
    cached = _cached_returns(jid, heard)
    return {mid: cached[mid] for mid in ids if mid in cached}


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
    live = _answers(ids, int(timeout))
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
