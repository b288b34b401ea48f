"""
File and service actions that check their own condition, instead of Salt's ``onlyif`` /
``unless`` / ``creates``: for a state with any of those Salt looks up
``<module>.mod_run_check``, which no state module has (``cmd`` included); the run's first such
miss makes Salt's loader load every state module and, through their ``__virtual__``, every
execution module. That was about 1.5 s of a compute dry run on Salt 3008 and up to 0.9 s on
3006.8 (bench/README.md, bench_dryrun). The compute highstate, which every compute node runs
in test mode each hour, now has no run check at all (test_state_tree_run.py); the head keeps
its ``cmd.run`` guards and pays the load once a run.

.. code-block:: yaml

    firewall-service-openstack-nova-network-chains-restored:
      guarded.restarted_if_running:
        - name: openstack-nova-network

    network-dhclient-runbook-hook-absent:
      guarded.absent_if_matches:
        - name: /etc/dhcp/dhclient-exit-hooks
        - pattern: '\\s*systemctl\\s+restart\\s+openstack-nova-network\\s*'

    network-bridge-physical-ifcfg-backed-up:
      guarded.copied_once:
        - name: /etc/sysconfig/network-scripts.orig-hltcloud/ifcfg-em1
        - source: /etc/sysconfig/network-scripts/ifcfg-em1
        - marker: "# Managed by Salt (hlt-cloud, network.bridge): do not edit by hand."

    network-bridge-physical-ifcfg-restored:
      guarded.restored:
        - name: /etc/sysconfig/network-scripts/ifcfg-em1
        - backup: /etc/sysconfig/network-scripts.orig-hltcloud/ifcfg-em1

Each reads what it acts on, is already right (result True, no changes) when there is nothing
to do, answers a dry run with result None and what it would do, acts, and reads again; an
error is result False with one comment (the shape of _utils/state_return.py). The file I/O
is the execution module's (_modules/hltcloud_files.py), which refuses a path that is not
absolute.
"""

import difflib
import re

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "guarded"


def __virtual__():
    return __virtualname__


def _ret(name):
    return __utils__["state_return.start"](name)


def _read(path):
    """The file's bytes, or None when there is no file."""
    return __salt__["hltcloud_files.read"](path)


def _text(data):
    return data.decode("utf-8", errors="replace")


def _apply(ret, plan):
    """
    The steps every state here shares around ``plan()``, which reads what the state acts on
    and returns a comment (already right: nothing to do) or ``(changes, would, act, done)``:
    the dry run's answer is ``would``; else ``act()`` does it, reads it again and returns
    what is wrong (result False) or None (result True, comment ``done``).
    """
    returns = __utils__  # the one return shape, _utils/state_return.py
    try:
        step = plan()
        if isinstance(step, str):
            return returns["state_return.ok"](ret, step)
        changes, would, act, done = step
        if __opts__["test"]:
            return returns["state_return.would"](ret, changes, would)
        problem = act()
    except (OSError, CommandExecutionError, SaltInvocationError) as exc:
        # hltcloud_files raises SaltInvocationError for a path that is not absolute
        return returns["state_return.fail"](ret, f"{ret['name']}: {exc}")
    if problem:
        return returns["state_return.fail"](ret, problem, changes)
    return returns["state_return.changed"](ret, changes, done)


def restarted_if_running(name):
    """
    Restart the service ``name`` if it runs (after a firewall reload, so that it puts its own
    iptables chains back); one that does not run stays stopped. Used with ``onchanges``.
    """
    ret = _ret(name)
    if not isinstance(name, str) or not name:
        return __utils__["state_return.fail"](ret, f"no service name: {name!r}")

    def restart():
        if not __salt__["service.restart"](name):
            raise CommandExecutionError("did not restart (service.restart failed)")
        if not __salt__["service.status"](name):
            return f"{name} was restarted but is not running"
        return None

    def plan():
        if not __salt__["service.status"](name):
            return f"{name} is not running: nothing to restart"
        return {"restarted": name}, f"{name} would be restarted", restart, f"{name} restarted"

    return _apply(ret, plan)


def absent_if_matches(name, pattern):
    """
    Remove the file ``name`` only when its whole content matches the regular expression
    ``pattern`` (``re.fullmatch``); a file with anything else in it is left alone.
    """
    ret = _ret(name)
    try:
        regex = re.compile(pattern)
    except (re.error, TypeError) as exc:
        return __utils__["state_return.fail"](ret, f"bad pattern {pattern!r}: {exc}")

    def remove():
        __salt__["hltcloud_files.remove"](name)
        return (
            f"{name} is still there after its removal"
            if __salt__["hltcloud_files.exists"](name)
            else None
        )

    def plan():
        data = _read(name)
        if data is None:
            return f"{name} is already absent"
        if not regex.fullmatch(_text(data)):
            return f"{name} holds more than the pattern: left alone"
        return {"removed": name}, f"{name} would be removed", remove, f"{name} removed"

    return _apply(ret, plan)


def copied_once(name, source, marker):
    """
    Copy ``source`` to ``name`` once (parent directories made, mode, times, owner and group
    kept): only while ``name`` is missing, only an existing ``source``, and never a
    ``source`` that has the line ``marker`` (a file this formula wrote itself).
    """
    ret = _ret(name)
    read = {}

    def copy():
        __salt__["hltcloud_files.copy"](source, name)
        return None if _read(name) == read["data"] else f"{name} differs from {source}"

    def plan():
        if __salt__["hltcloud_files.exists"](name):
            return f"{name} is already there: not copied again"
        read["data"] = _read(source)
        if read["data"] is None:
            return f"there is no {source}: nothing to copy"
        if marker in _text(read["data"]).splitlines():
            return f"{source} is this formula's own file: not copied"
        done = f"{source} copied to {name}"
        return {name: source}, f"{source} would be copied to {name}", copy, done

    return _apply(ret, plan)


def restored(name, backup):
    """
    Give the file ``name`` the content of ``backup`` when there is a backup (a missing
    ``name`` is made with the backup's mode; an existing one keeps its own); with no backup
    there is nothing to do.
    """
    ret = _ret(name)
    read = {}

    def restore():
        if read["current"] is None:
            __salt__["hltcloud_files.copy"](backup, name)
        else:
            __salt__["hltcloud_files.replace"](name, read["wanted"])
        return None if _read(name) == read["wanted"] else f"{name} differs from {backup}"

    def plan():
        read.update(wanted=_read(backup), current=_read(name))
        if read["wanted"] is None:
            return f"there is no {backup}: nothing to restore"
        if read["current"] == read["wanted"]:
            return f"{name} already has the content of {backup}"
        old, new = (_text(read[key] or b"").splitlines(True) for key in ("current", "wanted"))
        diff = "".join(difflib.unified_diff(old, new, name, backup)) or "new file"
        done = f"{name} restored from {backup}"
        return {"diff": diff}, f"{name} would be restored from {backup}", restore, done

    return _apply(ret, plan)
