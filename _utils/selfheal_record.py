"""
Self-heal's records on a compute node, one set per bridge in the minion's cache directory:
``selfheal-<bridge>.json`` (the heal's history: last restart, failures, next wait,
give-up), ``selfheal-<bridge>.wanted`` (the beacon's last word that the address is wanted)
and ``selfheal-<bridge>.lock`` (one heal at a time). Written through a temporary file and
a rename. Reached as ``__utils__["selfheal_record.<function>"]`` by ``_modules/selfheal.py``.
"""

import fcntl
import json
import os


def path(cachedir, bridge, kind):
    """The record ``kind`` (json, wanted, lock) of ``bridge``."""
    return os.path.join(cachedir, f"selfheal-{bridge}.{kind}")


def read(cachedir, bridge, kind):
    """The record as a dict; {} when it is missing or not a JSON object."""
    try:
        with open(path(cachedir, bridge, kind), encoding="utf-8") as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def write(cachedir, bridge, kind, record):
    """Replace the record with ``record`` (a rename: a reader sees the old or the new)."""
    target = path(cachedir, bridge, kind)
    tmp = f"{target}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
    os.replace(tmp, target)


def remove(cachedir, bridge, kind):
    """Remove the record; True when there was one."""
    try:
        os.unlink(path(cachedir, bridge, kind))
    except FileNotFoundError:
        return False
    return True


def lock(cachedir, bridge):
    """Return an open, exclusively locked file, or None when another heal holds the lock."""
    handle = open(path(cachedir, bridge, "lock"), "a", encoding="ascii")  # pylint: disable=consider-using-with
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle
