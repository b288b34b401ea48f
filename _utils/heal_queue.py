"""
The self-heal's gate and dispatch queue on the master, in files under its cachedir, shared
by the reactor's render (``heal_gate.enqueue``, _modules/heal_gate.py) and the runner that
publishes (``heal_gate.dispatch``, _runners/heal_gate.py): two loaders of one process, and a
master restart between them, see the same files.

- **Hold**: one empty file per node, ``hltcloud/heal-gate/<minion id>``; its modification
  time is when a heal was last queued for the node. While younger than ``hold`` seconds, the
  node's next beacon events queue nothing.
- **Queue**: one empty file per node waiting for its heal's publish,
  ``hltcloud/heal-queue/<minion id>``. The dispatcher that unlinks an entry owns it; an
  entry older than ``MAX_AGE`` (a dispatcher was lost, the master stopped) is dropped: the
  node's beacon fires again while its address is still missing, and queues it afresh.
- **Dispatcher**: the file ``hltcloud/heal-dispatch`` exists while one dispatcher runs. The
  event whose entry finds none creates it (``O_EXCL``) and has the reactor start one; the
  dispatcher publishes what is queued, one job for all of it, again until the queue is empty,
  then removes the file and looks once more (an entry queued in between is its, or the next
  event's). One publish per batch instead of one per node: a switch flap that takes the
  gateway from every node at once costs a few publishes, not one per node, each of which
  every minion receives and decrypts. A dispatcher gone for ``STALE`` seconds (the master
  stopped during one) is replaced by the next event's.

Every id here is checked by the caller against the inventory; :func:`_path` refuses any name
that is not a plain minion id.
"""

import logging
import os
import re
import time

log = logging.getLogger(__name__)

GATE_DIR = ("hltcloud", "heal-gate")
QUEUE_DIR = ("hltcloud", "heal-queue")
DISPATCHER = ("hltcloud", "heal-dispatch")
DEFAULT_HOLD = 15.0
STALE = 30.0
MAX_AGE = 120.0  # seconds a queued heal waits at most (selfheal.want's window on the node)
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")


def _path(cachedir, where, minion_id):
    if not isinstance(minion_id, str) or not SAFE_ID.match(minion_id):
        raise ValueError(f"{minion_id!r} is not a minion id")
    return os.path.join(cachedir, *where, minion_id)


def _unlink(path):
    """Remove ``path``; one already gone (another thread's) is no error."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _touch(path, now):
    """Create ``path`` or set its time, on the descriptor: a file another thread unlinks
    meanwhile is created anew, never an error."""
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        os.utime(fd, (now, now))
    finally:
        os.close(fd)


def hold_seconds(hold):
    """``hold`` (the master's ``hltcloud_heal_hold``) as seconds, 0 or more; None: the
    default, 15."""
    hold = float(DEFAULT_HOLD if hold is None else hold)
    if not hold >= 0:
        raise ValueError(f"the heal hold must be 0 or more seconds, not {hold!r}")
    return hold


def claim(cachedir, minion_id, hold=None, now=None):
    """
    True when no heal was queued for ``minion_id`` in the last ``hold`` seconds (then its
    hold starts now); False while one is held.
    """
    hold = hold_seconds(hold)
    path = _path(cachedir, GATE_DIR, minion_id)
    now = time.time() if now is None else now
    try:
        since = now - os.stat(path).st_mtime
    except FileNotFoundError:
        since = None
    if since is not None and 0 <= since < hold:
        return False
    _touch(path, now)
    return True


def unhold(cachedir, minion_ids):
    """End the holds of ``minion_ids`` (their heals were not published)."""
    for minion_id in minion_ids:
        _unlink(_path(cachedir, GATE_DIR, minion_id))


def _dispatcher(cachedir):
    return os.path.join(cachedir, *DISPATCHER)


def lead(cachedir, now=None):
    """
    Become the dispatcher: True when none was running (or the one named was gone for
    ``STALE`` seconds), False while one runs.
    """
    path = _dispatcher(cachedir)
    now = time.time() if now is None else now
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    for _ in range(2):
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            return True
        except FileExistsError:
            try:
                age = now - os.stat(path).st_mtime
            except FileNotFoundError:
                continue  # released since: try once more
            if -1.0 <= age <= STALE:  # more than 1 s ahead of now: the clock stepped back
                return False
            log.warning("heal_queue: the heal dispatcher's mark is %.0f s old: replacing it", age)
            os.utime(path, (now, now))
            return True
    return False


def enqueue(cachedir, minion_id, hold=None, now=None):
    """
    Queue a heal of ``minion_id`` unless one is held (:func:`claim`). True when the caller
    must start the dispatcher (:func:`lead`), False when one runs or the node is held.
    """
    now = time.time() if now is None else now
    if not claim(cachedir, minion_id, hold, now):
        return False
    _touch(_path(cachedir, QUEUE_DIR, minion_id), now)
    return lead(cachedir, now)


def queued(cachedir):
    """The ids queued now, sorted."""
    try:
        names = os.listdir(os.path.join(cachedir, *QUEUE_DIR))
    except FileNotFoundError:
        return []
    return sorted(name for name in names if SAFE_ID.match(name))


def take(cachedir, now=None):
    """
    Take the queue: ``(ids, dropped)``, each entry unlinked by this call (an entry another
    dispatcher unlinked first is its). ``dropped``: entries older than ``MAX_AGE``.
    """
    now = time.time() if now is None else now
    ids, dropped = [], []
    for minion_id in queued(cachedir):
        path = _path(cachedir, QUEUE_DIR, minion_id)
        try:
            age = now - os.stat(path).st_mtime
            os.unlink(path)
        except FileNotFoundError:
            continue
        (dropped if age > MAX_AGE else ids).append(minion_id)
    return ids, dropped


def dispatch(cachedir, publish, allowed=None):
    """
    The dispatcher's loop (the caller holds :func:`lead`): publish the queue with
    ``publish(ids)`` (True when published) until it is empty, then release. ``allowed(id)``:
    whether an id may be healed (the inventory's compute nodes); others are dropped. A batch
    that was not published ends its nodes' holds, so their next beacon event queues again;
    so does an error, which also releases.

    Returns ``{"published": [[ids], ...], "failed": [ids], "dropped": [ids]}``.
    """
    done = {"published": [], "failed": [], "dropped": []}
    path = _dispatcher(cachedir)
    ids = []
    try:
        while True:
            ids, dropped = take(cachedir)
            refused = [minion_id for minion_id in ids if allowed and not allowed(minion_id)]
            done["dropped"] += dropped + refused
            ids = [minion_id for minion_id in ids if minion_id not in refused]
            if ids:
                if publish(ids):
                    done["published"].append(ids)
                else:
                    unhold(cachedir, ids)
                    done["failed"] += ids
                ids = []
                try:
                    os.utime(path)  # still running
                except FileNotFoundError:
                    pass
                continue
            _unlink(path)
            if not queued(cachedir) or not lead(cachedir):
                return done
    except BaseException:
        unhold(cachedir, ids)
        _unlink(path)
        raise
