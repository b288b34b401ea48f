"""
Configure many nodes from the master, batch by batch: what ``orch.cloud``'s compute step runs
(through the ``hltcloud.rollout`` state), so that 250 nodes are one step, not 125.

- Batches of ``batch`` nodes, a count (``10``) or a share of the nodes (``"10%"``, rounded up).
- ``in_flight`` batches at a time: a batch starts as soon as one of the running ones ends.
- ``stop_after``: once that many nodes failed, no batch starts any more (the running ones
  end); the nodes never started are named. None: every batch runs.
- A node fails when its highstate has a failing state, was refused (pillar errors) or did
  not answer: each is named with the reason. Salt's own ``batch`` is not used: it leaves
  out a minion that does not answer, counting it as neither failed nor done.
- The time each batch took in the last real run is kept in the master's cachedir
  (``hltcloud/rollout-<name>.json``); :func:`plan` reports it, for a dry run to say how long
  the next run will take.

CLI Example:

.. code-block:: bash

    salt-run rollout.plan '[cn44.internal, cn45.internal, cn46.internal]' batch=2
    salt-run rollout.highstate '[cn44.internal, cn45.internal]' batch=50% test=True
"""

import concurrent.futures
import json
import logging
import math
import os
import re
import tempfile
import time

from salt.exceptions import SaltInvocationError

import salt.client

log = logging.getLogger(__name__)

__virtualname__ = "rollout"

PERCENT = re.compile(r"^\s*(\d{1,3})\s*%\s*$")
NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DEFAULT_TIMEOUT = 10


def __virtual__():
    return __virtualname__


# -- the plan -------------------------------------------------------------------------------------


def _whole(value, key, minimum=1):
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SaltInvocationError(
            f"{key} must be a whole number of at least {minimum}, not {value!r}"
        )
    return value


def batch_size(count, batch):
    """The number of nodes per batch: ``batch`` nodes, or ``"N%"`` of ``count`` rounded up."""
    match = PERCENT.match(batch) if isinstance(batch, str) else None
    if match:
        share = int(match.group(1))
        if not 1 <= share <= 100:
            raise SaltInvocationError(f"batch {batch!r}: a share of the nodes is 1% to 100%")
        return max(1, math.ceil(count * share / 100))
    return _whole(batch, "batch (a number of nodes or a share such as '10%')")


def _targets(targets):
    if not isinstance(targets, (list, tuple)) or not targets:
        raise SaltInvocationError("targets must be a non-empty list of minion ids")
    if not all(isinstance(t, str) and t for t in targets):
        raise SaltInvocationError("targets must be minion ids (strings)")
    if len(set(targets)) != len(targets):
        raise SaltInvocationError("targets lists a minion id twice")
    return list(targets)


def _settings(targets, batch, in_flight, stop_after, name):
    targets = _targets(targets)
    size = batch_size(len(targets), batch)
    in_flight = _whole(in_flight, "in_flight")
    if stop_after is not None:
        stop_after = _whole(stop_after, "stop_after")
    if not isinstance(name, str) or not NAME.match(name):
        raise SaltInvocationError(f"name {name!r}: letters, digits, '_' and '-' only")
    batches = [targets[i : i + size] for i in range(0, len(targets), size)]
    return targets, batches, in_flight, stop_after


def _record_path(name):
    return os.path.join(__opts__["cachedir"], "hltcloud", f"rollout-{name}.json")


def _last_run(name):
    """The record of the last real run: ``{"batch_size", "seconds": [...], "ended"}`` or None."""
    try:
        with open(_record_path(name), encoding="utf-8") as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("seconds"), list):
        return None
    return record


def _keep(name, record):
    path = _record_path(name)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".rollout-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
        os.rename(tmp, path)
    except OSError as exc:
        log.warning("rollout: cannot keep the batch times in %s: %s", path, exc.strerror)
        try:
            os.unlink(tmp)
        except OSError:
            pass


def _describe(nodes, batches, in_flight, stop_after):
    size = len(batches[0])
    text = (
        f"{nodes} node(s) in {len(batches)} batch(es) of {size}"
        f"{'' if nodes % size == 0 or len(batches) == 1 else f' (the last of {nodes % size})'}, "
        f"{in_flight} at a time"
    )
    if stop_after is not None:
        text += f", no new batch once {stop_after} node(s) failed"
    return text


def _last_text(record):
    if not record:
        return "no real run recorded yet"
    seconds = ", ".join(f"{n}: {s:.0f} s" for n, s in enumerate(record["seconds"], start=1))
    return f"the last real run (batches of {record.get('batch_size')}) took {seconds}"


def _refused(exc):
    """A call with unusable arguments: one line, and the runner's job fails."""
    __context__["retcode"] = 1
    return {"result": False, "error": str(exc), "comment": str(exc)}


def plan(targets, batch=2, in_flight=1, stop_after=None, name="compute"):
    """
    What :func:`highstate` would do, without doing it: the batches, and how long each batch of
    the last real run took.

    CLI Example:

    .. code-block:: bash

        salt-run rollout.plan '[cn44.internal, cn45.internal, cn46.internal]' batch=2
    """
    try:
        targets, batches, in_flight, stop_after = _settings(
            targets, batch, in_flight, stop_after, name
        )
    except SaltInvocationError as exc:
        return _refused(exc)
    record = _last_run(name)
    return {
        "batches": batches,
        "in_flight": in_flight,
        "stop_after": stop_after,
        "last_run": record,
        "comment": f"{_describe(len(targets), batches, in_flight, stop_after)}; "
        f"{_last_text(record)}",
    }


# -- the run --------------------------------------------------------------------------------------


def _outcome(answer, test):
    """``(state, detail)`` of one node's answer: changed/would change/in sync/failed."""
    ret = answer.get("ret") if isinstance(answer, dict) and "ret" in answer else answer
    if isinstance(ret, dict) and ret and all(isinstance(r, dict) for r in ret.values()):
        failed = sorted(r.get("__id__", sid) for sid, r in ret.items() if r.get("result") is False)
        if failed:
            return "failed", "failed states: " + ", ".join(failed)
        changed = sum(1 for r in ret.values() if r.get("changes") or r.get("result") is None)
        if not changed:
            return "in sync", ""
        return ("would change" if test else "changed"), f"{changed} state(s)"
    silent = ret is None or ret is False  # absent, or False: LocalClient.cmd on 3006.8
    if silent or (isinstance(ret, str) and ret.startswith("Minion did not return")):
        detail = "did not answer"  # (3008 fills in this text for a silent node)
    elif isinstance(ret, list):
        detail = "refused: " + " ".join(map(str, ret))[:300]
    else:
        detail = str(ret)[:300] or "no state ran"
    return "failed", detail


def _run_batch(members, pillar, test, timeout):
    """Highstate ``members`` (one job); ``{id: (state, detail)}`` and the seconds it took."""
    kwarg = {}
    if pillar:
        kwarg["pillar"] = pillar
    if test:
        kwarg["test"] = True
    start = time.monotonic()
    try:
        client = salt.client.get_local_client(__opts__["conf_file"])
        try:
            answers = client.cmd(
                members,
                "state.highstate",
                tgt_type="list",
                kwarg=kwarg,
                timeout=timeout,
                full_return=True,
                expect_minions=True,  # a silent node is in the answer (3008's default)
            )
        finally:
            client.destroy()
    except Exception as exc:  # pylint: disable=broad-except
        # The master did not take the job (SaltClientError, a full queue...): this batch's
        # nodes fail, named with the reason, and the other batches go on.
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        log.error("rollout: the batch %s could not run: %s", members, reason)
        return {m: ("failed", f"not run: {reason}") for m in members}, time.monotonic() - start
    seconds = time.monotonic() - start
    return {m: _outcome((answers or {}).get(m), test) for m in members}, seconds


def _summary(outcomes, not_started, test):
    failed = {m: d for m, (s, d) in outcomes.items() if s == "failed"}
    counts = {}
    for state, _ in outcomes.values():
        counts[state] = counts.get(state, 0) + 1
    parts = [f"{n} {s}" for s, n in sorted(counts.items())]
    if not_started:
        parts.append(f"{len(not_started)} not started")
    text = ("dry run: " if test else "") + ", ".join(parts)
    if failed:
        text += ". Failed: " + "; ".join(f"{m} ({d})" for m, d in sorted(failed.items()))
    if not_started:
        text += ". Not started (stop_after reached): " + ", ".join(not_started)
    return text


def highstate(
    targets,
    batch=2,
    in_flight=1,
    stop_after=None,
    pillar=None,
    test=False,
    timeout=None,
    name="compute",
):
    """
    Highstate ``targets`` batch by batch (see the module's notes); return
    ``{"result", "comment", "nodes": {id: {"state", "detail"}}, "batches": [...],
    "not_started": [...]}``. ``result`` is False when a node failed or was not started; a
    dry run (``test=True``) changes nothing on the nodes and records no times.

    CLI Example:

    .. code-block:: bash

        salt-run rollout.highstate '[cn44.internal, cn45.internal]' batch=50% in_flight=2
    """
    try:
        targets, batches, in_flight, stop_after = _settings(
            targets, batch, in_flight, stop_after, name
        )
        if pillar is not None and not isinstance(pillar, dict):
            raise SaltInvocationError("pillar must be a mapping")
        # Seconds before the nodes that have not returned are asked whether they still run
        # the job (one that says so is waited for; one that does not answer fails). Not the
        # CLI's --timeout, which salt-run sets for itself.
        timeout = _whole(timeout, "timeout") if timeout is not None else DEFAULT_TIMEOUT
    except SaltInvocationError as exc:
        return _refused(exc)
    test = test is True or str(test).lower() == "true"
    outcomes, times, pending = {}, {}, list(enumerate(batches))
    with concurrent.futures.ThreadPoolExecutor(max_workers=in_flight) as pool:
        running = {}
        while pending or running:
            failed = sum(1 for s, _ in outcomes.values() if s == "failed")
            stop = stop_after is not None and failed >= stop_after
            while pending and not stop and len(running) < in_flight:
                index, members = pending.pop(0)
                running[pool.submit(_run_batch, members, pillar, test, timeout)] = index
            if not running:
                break
            done, _ = concurrent.futures.wait(
                running, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in done:
                index = running.pop(future)
                result, seconds = future.result()
                outcomes.update(result)
                times[index] = seconds
    not_started = [m for _, members in pending for m in members]
    if not test and not pending:
        _keep(
            name,
            {
                "batch_size": len(batches[0]),
                "seconds": [round(times[i], 1) for i in range(len(batches))],
                "ended": time.time(),
            },
        )
    ok = not not_started and all(s != "failed" for s, _ in outcomes.values())
    if not ok:
        __context__["retcode"] = 1
    return {
        "result": ok,
        "comment": _summary(outcomes, not_started, test),
        "nodes": {m: {"state": s, "detail": d} for m, (s, d) in sorted(outcomes.items())},
        "batches": [
            {"members": members, "seconds": round(times[i], 1)}
            for i, members in enumerate(batches)
            if i in times
        ],
        "not_started": not_started,
    }
