"""
A node's last highstate, kept on the node: what ``salt-run hlt.status`` shows as its state
(configured or failed, with the failing state IDs) and when it ran.

One meaning of "a highstate" and of its outcome, shared by the writer and the readers:

- a real (not test mode) ``state.highstate``, or a ``state.apply`` of a role bundle or of
  nothing (the top file);
- ``configured`` when every state passed; ``failed`` with the IDs of the failing states, or
  with ``refused: <reason>`` when Salt refused the run (pillar errors, render errors).

The ``hltcloud_highstate`` returner (``_returners/``, the minion's ``return`` in
etc/salt/minion) calls :func:`record` after every job of the node, from the node's own job
return; ``hltcloud.report`` reads it back with :func:`read`. So the record is what the node
says about itself, read in O(1), and no node can write another's file. The status runner keeps
what each node last reported on the master (:func:`remember`), for the nodes that are down,
taking each answer from the master's job cache (``hlt._answers``: where the master holds it
under the id it checked the sender against), never from a return event's data.
``salt-run hlt.last_highstates`` reads the same meaning out of the master's job cache
(O(jobs)).
Reached as ``__utils__["highstate_record.<function>"]`` (a returner, which has no
``__utils__``, loads it with ``salt.loader.utils``).
"""

import json
import logging
import os
import tempfile

import salt.utils.jid

log = logging.getLogger(__name__)

ROLE_BUNDLES = ("head", "compute")
RECORD = ("hltcloud", "last_highstate.json")
# Another state run held the node: nothing ran, the last record stands (as hltcloud.drift).
BUSY = "is running as PID"


def is_test(args):
    """True when a job's arguments (a job's ``arg`` list, or salt-call's strings) ask test mode."""
    for arg in args or []:
        if isinstance(arg, dict) and arg.get("test") in (True, "True", "true"):
            return True
        if isinstance(arg, str) and arg.replace(" ", "").lower() == "test=true":
            return True
    return False


def is_highstate(fun, args):
    """A real (not test mode) highstate, or a state.apply of a role bundle or of nothing."""
    if is_test(args):
        return False
    if fun == "state.highstate":
        return True
    mods = [a for a in args or [] if isinstance(a, str) and "=" not in a]
    return fun == "state.apply" and (not mods or mods[0] in ROLE_BUNDLES)


def outcome(ret):
    """``(state, failed)`` of a highstate's return: configured, or failed with its state IDs."""
    if isinstance(ret, dict) and ret and all(isinstance(r, dict) for r in ret.values()):
        failed = sorted(r.get("__id__", sid) for sid, r in ret.items() if r.get("result") is False)
        return ("failed", failed) if failed else ("configured", [])
    return "failed", [
        "refused: " + " ".join(map(str, ret if isinstance(ret, list) else [ret]))[:200]
    ]


def started(jid):
    """When a job started, as the master's job cache says it (``StartTime``); now for no jid."""
    return salt.utils.jid.jid_to_time(str(jid or "")) or salt.utils.jid.jid_to_time(
        salt.utils.jid.gen_jid({})
    )


def _dump(target, data):
    """Write ``data`` as JSON to ``target`` through a temp file and a rename."""
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=os.path.dirname(target), prefix=".hltcloud.", delete=False
    ) as stream:
        json.dump(data, stream)
    os.replace(stream.name, target)


def _load(source):
    try:
        with open(source, encoding="utf-8") as stream:
            return json.load(stream)
    except (OSError, ValueError):
        return None


def path(opts):
    """The record's file: ``<cachedir>/hltcloud/last_highstate.json``."""
    return os.path.join(opts["cachedir"], *RECORD)


def record(opts, job):
    """
    Keep ``job`` (a job return as a returner gets it: ``fun``, ``fun_args``, ``return``,
    ``jid``) as the node's last highstate when it is one; return the record, or None.
    """
    if not is_highstate(job.get("fun"), job.get("fun_args")):
        return None
    ret = job.get("return")
    if isinstance(ret, list) and any(BUSY in str(line) for line in ret):
        return None
    state, failed = outcome(ret)
    kept = {"state": state, "failed": failed, "applied": started(job.get("jid"))}
    _dump(path(opts), kept)
    return kept


def valid(kept):
    """``kept`` when it has a record's shape (a node's report may hold anything), else None."""
    if (
        isinstance(kept, dict)
        and kept.get("state") in ("configured", "failed")
        and isinstance(kept.get("failed"), list)
        and all(isinstance(sid, str) for sid in kept["failed"])
        and isinstance(kept.get("applied"), str)
    ):
        return {key: kept[key] for key in ("state", "failed", "applied")}
    return None


def read(opts):
    """The node's last highstate record, or None (none yet, or unreadable)."""
    return valid(_load(path(opts)))


def remember(memo, ids, reports):
    """
    The master's memo (file ``memo``) of the last highstate each node of ``ids`` reported,
    updated with ``reports`` (``{minion_id: hltcloud.report answer}``; the caller vouches
    for the ids: the status runner passes only the master's job cache entries of its call)
    and written back when it changed. Returns ``{minion_id: record or None}``.
    """
    kept = _load(memo)
    kept = kept if isinstance(kept, dict) else {}
    seen = {
        minion_id: valid(reports[minion_id].get("highstate"))
        for minion_id in ids
        if isinstance(reports.get(minion_id), dict)
    }
    if any(kept.get(minion_id) != record for minion_id, record in seen.items()):
        kept = {minion_id: valid(kept.get(minion_id)) for minion_id in ids} | seen
        try:
            _dump(memo, kept)
        except OSError as exc:
            log.warning("could not keep the nodes' last highstates in %s: %s", memo, exc)
    return kept
