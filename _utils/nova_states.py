"""
The steps the ``nova_*`` state modules (networks, keypairs, servers) share.

Compute objects are created or deleted, never updated: nova-network has no update call for
a network, a keypair's key cannot change, and a server booted from the wrong flavor or image
is not "fixed" in place by a state. So ``present`` is: read, already right?, cannot become
right (a conflict: result False with what to do, never a silent delete and re-create)?,
test mode answer, create, check what came back.

State modules reach these as ``__utils__["nova_states.<function>"]``; they are plain
functions (the state passes in its ``ret``, a label such as ``"Network 'demo-net'"`` that
starts every comment, ``__opts__["test"]`` and callables that do the I/O through
``__salt__``), so unit tests call them directly. Each returns the filled ``ret``.
"""

from salt.exceptions import CommandExecutionError


def new_ret(name):
    return {"name": name, "result": True, "changes": {}, "comment": ""}


def invalid(ret, label, problems):
    """Validation failed before any call: result False listing every problem."""
    ret.update(result=False, comment=f"{label}: " + "; ".join(problems))
    return ret


def _would(ret, label, verb, changes, test, reason):
    """The answer for an object that must be created or deleted: in test mode what would
    be done (and, when ``reason`` says it cannot be yet, that a run now would fail);
    otherwise, with a ``reason``, the failure. None when the real run may go on."""
    if test:
        comment = f"{label} would be {verb}"
        if reason:
            comment += f"; a run now would fail: {reason}"
        ret.update(result=None, changes=changes, comment=comment)
        return ret
    if reason:
        ret.update(result=False, comment=f"{label}: {reason}")
        return ret
    return None


def present(ret, label, find, create, test, new, conflict=None, settle=None, blocked=None):
    """
    Make sure the object exists.

    find()
        The current object, or None.
    conflict(current)
        A comment when the current object differs in a way that cannot be changed in place
        (the state fails with it), or None.
    settle(current)
        For an existing object that is right but maybe not ready (a server in BUILD):
        ``(result, comment)``; default ``(True, "<label> is already in the desired state")``.
    create()
        Create it and return ``(object_for_changes, result, comment)``; ``result`` False
        when it was created but did not become usable (a server that went to ERROR).
    new
        What test mode reports as the new object.
    blocked()
        Asked only when the object must be created: None, or why it cannot be yet (what
        it needs is not there). The state then fails with that reason; in test mode it
        is result None, the reason said beside what would be created.

    A ``CommandExecutionError`` anywhere fails the state with its message.
    """
    try:
        current = find()
        if current is not None:
            problem = conflict(current) if conflict else None
            if problem:
                ret.update(result=False, comment=f"{label}: {problem}")
                return ret
            if settle is None:
                ret["comment"] = f"{label} is already in the desired state"
                return ret
            result, comment = settle(current)
            ret.update(result=result, comment=comment)
            return ret
        reason = blocked() if blocked else None
        if _would(ret, label, "created", {"old": None, "new": new}, test, reason):
            return ret
        created, result, comment = create()
        ret.update(result=result, changes={"old": None, "new": created}, comment=comment)
    except CommandExecutionError as exc:
        ret.update(result=False, comment=f"{label}: {exc}")
    return ret


def absent(ret, label, find, delete, test, fields=("name", "id"), blocked=None):
    """
    Delete every object ``find()`` returns (a list; empty when there is none) with
    ``delete(obj)``, which returns None or a comment saying what went wrong.
    ``blocked()``, asked only when there is something to delete, as for ``present``.
    """
    try:
        found = find()
        if not found:
            ret["comment"] = f"{label} is already absent"
            return ret
        old = [{k: obj.get(k) for k in fields} for obj in found]
        changes = {"old": old[0] if len(old) == 1 else old, "new": None}
        reason = blocked() if blocked else None
        if _would(ret, label, "deleted", changes, test, reason):
            return ret
        problems = [p for p in (delete(obj) for obj in found) if p]
        ret["changes"] = changes
        if problems:
            ret.update(result=False, comment=f"{label}: " + "; ".join(problems))
        else:
            ret["comment"] = f"{label} deleted"
    except CommandExecutionError as exc:
        ret.update(result=False, comment=f"{label}: {exc}")
    return ret
