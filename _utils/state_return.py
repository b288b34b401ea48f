"""
The one shape of a custom state's return, shared by the ``keystone_*``, ``nova_*`` and
``glance_image`` state modules (and open to any other: plain functions, no loader dunders).

``start(name)`` makes the ``ret``; every other function fills it and returns it:

- ``ok(ret, comment)``: result True, nothing changed.
- ``changed(ret, changes, comment)``: result True, ``changes`` made.
- ``would(ret, changes, comment)``: result None, ``changes`` that a real run would make.
- ``fail(ret, comment)``: result False (``changes`` kept unless given).
- ``error(ret, exc, test, ...)``: a ``CommandExecutionError`` from the execution module
  as one line; in a dry run, a service that does not answer (the shared client's
  ``OpenStackUnavailable``, its ``service`` naming which) is not a failure but result
  None: "<label> would be <verb> once <service> is up", the same words for Keystone,
  Glance and Nova. A real run fails.

Comments pass through ``scrub`` with the secrets the state names (``secrets=``): a
password in an error message becomes ``***``.

Two flows are built on them. Keystone objects (``keystone_*``, and Glance's ``absent``)
are created, updated in place or deleted: ``create``, ``update``, ``absent``. Compute
objects (``nova_*``) are created or deleted, never updated: nova-network has no update
call for a network, a keypair's key cannot change, and a server booted from the wrong
flavor or image is not "fixed" in place by a state. So ``present`` is: read, already
right?, cannot become right (a conflict: result False with what to do, never a silent
delete and re-create)?, test mode answer, create, check what came back; ``absent_each``
deletes what it finds one by one.

States reach this module as ``__utils__["state_return.<function>"]`` and pass in what
the flows need (their ``ret``, a label such as ``"Project 'demo'"`` that starts every
comment, ``__opts__["test"]`` and callables that do the I/O through ``__salt__``), so
unit tests call them directly. Each returns the filled ``ret``. A minion loads it from
``utils_dirs`` or, once synced (``saltutil.sync_all``; ``salt/_utils`` links here), from
its cache, as it does the state modules.
"""

from salt.exceptions import CommandExecutionError


def start(name):
    """The return of a state called ``name`` before it looked at anything."""
    return {"name": name, "result": True, "changes": {}, "comment": ""}


def scrub(text, secrets=()):
    """``text`` with every secret of 4 characters or more replaced by ``***``."""
    text = str(text)
    for secret in secrets:
        if secret and isinstance(secret, str) and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def ok(ret, comment, secrets=()):
    ret.update(result=True, comment=scrub(comment, secrets))
    return ret


def changed(ret, changes, comment, secrets=()):
    ret.update(result=True, changes=changes, comment=scrub(comment, secrets))
    return ret


def would(ret, changes, comment, secrets=()):
    ret.update(result=None, changes=changes, comment=scrub(comment, secrets))
    return ret


def fail(ret, comment, changes=None, secrets=()):
    ret.update(result=False, comment=scrub(comment, secrets))
    if changes is not None:
        ret["changes"] = changes
    return ret


def _down_service(exc):
    # The service of the shared client's OpenStackUnavailable, read off the exception
    # (the state and the client may come from different loaders: no class is compared).
    names = {cls.__name__ for cls in type(exc).__mro__}
    if "OpenStackUnavailable" not in names:
        return None
    return getattr(exc, "service", None) or "the service"


def error(ret, exc, test, label="", verb="created", prefix=False, secrets=()):
    """
    The state's answer to ``exc``: result False with its message (``"<label>: <exc>"``
    with ``prefix``), or, in a dry run whose service did not answer, result None: ``label``
    would be ``verb`` (created, deleted, updated ...) once that service is up.
    """
    service = _down_service(exc) if test else None
    if service:
        comment = f"{label} would be {verb} once {service} is up (not checked: {exc})"
        return would(ret, ret.get("changes") or {}, comment.lstrip(), secrets)
    return fail(ret, f"{label}: {exc}" if prefix and label else str(exc), secrets=secrets)


# -- created, updated in place, deleted (Keystone) ----------------------------------------------


def duplicate_services(name, found, endpoints):
    """
    The failure comment for ``found``, several services called ``name`` of one type (a
    create sent twice): each id with its endpoints (from ``endpoints``), and how to delete
    the extra one (Keystone deletes its endpoints with it). Neither is picked: the
    endpoints of the run would hang on either.
    """
    types = sorted({s.get("type") for s in found}, key=str)
    counts = {s["id"]: sum(ep.get("service_id") == s["id"] for ep in endpoints) for s in found}
    ids = ", ".join(
        f"{sid} ({count or 'no'} endpoint{'' if count == 1 else 's'})"
        for sid, count in sorted(counts.items())
    )
    return (
        f"{len(found)} services are named '{name}' of type '{types[0]}': {ids}; keep one "
        "and delete the others with `salt-call keystone_v3.service_delete <id>` on the "
        "head (or the v2.0 CLI: `keystone service-delete <id>`; the API: DELETE "
        "/v3/services/<id>), which deletes their endpoints too, then apply again"
    )


def act(ret, test, changes, planned, done, action):
    """
    In test mode report ``changes`` with the comment ``planned`` and result None; otherwise
    call ``action()`` and report ``changes`` with the comment ``done``.
    """
    if test:
        return would(ret, changes, planned)
    action()
    return changed(ret, changes, done)


def differences(current, wanted):
    """The fields of ``wanted`` (a None value: not managed) that differ from ``current``."""
    return {k: v for k, v in wanted.items() if v is not None and current.get(k) != v}


def create(ret, label, new, make, test):
    """
    Create the missing object: ``new`` is what test mode reports; ``make()`` creates the
    object and returns the ``new`` side of the changes.
    """
    if test:
        return would(ret, {"old": None, "new": new}, f"{label} would be created")
    return changed(ret, {"old": None, "new": make()}, f"{label} created")


def update(ret, label, current, wanted, patch, test, note="", in_place=False, unapplied=None):
    """
    Update the fields of ``wanted`` that differ from ``current`` with
    ``patch(current["id"], **diff)``, which returns the updated object.

    note
        Appended to the comments (unless the update was not applied).
    in_place
        Say that the object was updated in place, and its id.
    unapplied
        ``unapplied(fields)`` is the comment (and the result False) when Keystone returns
        the object with some ``fields`` still differing; unchecked when None.
    """
    diff = differences(current, wanted)
    if not diff:
        ret["comment"] = f"{label} is already in the desired state{note}"
        return ret
    old = {k: current.get(k) for k in diff}
    how = " in place" if in_place else ""
    if test:
        return would(ret, {"old": old, "new": diff}, f"{label} would be updated{how}{note}")
    updated = patch(current["id"], **diff)
    ret["changes"] = {"old": old, "new": {k: updated.get(k) for k in diff}}
    left = differences(updated, diff)
    if left and unapplied is not None:
        ret.update(result=False, comment=unapplied(sorted(left)))
    else:
        where = f"{how} (id {current['id']})" if in_place else ""
        ret["comment"] = f"{label} updated{where}{note}"
    return ret


def absent(ret, label, get, delete, test, fields=("name", "id")):
    """
    Delete what ``get()`` returns (an object, a list of objects, or None or ``[]`` when
    there is none) with ``delete(id)``, reporting its ``fields`` as the old side of the
    changes. A ``CommandExecutionError`` fails the state with its message (``error``).
    """
    try:
        found = get()
        if not found:
            ret["comment"] = f"{label} is already absent"
            return ret
        objects = found if isinstance(found, list) else [found]
        old = [{k: obj[k] for k in fields} for obj in objects]

        def delete_all():
            for obj in objects:
                delete(obj["id"])

        changes = {"old": old if isinstance(found, list) else old[0], "new": None}
        planned, done = f"{label} would be deleted", f"{label} deleted"
        return act(ret, test, changes, planned, done, delete_all)
    except CommandExecutionError as exc:
        return error(ret, exc, test, label, "deleted")


# -- created or deleted, never updated (Nova) ---------------------------------------------------


def invalid(ret, label, problems):
    """Validation failed before any call: result False listing every problem."""
    return fail(ret, f"{label}: " + "; ".join(problems))


def _would_or_fail(ret, label, verb, changes, test, reason):
    """The answer for an object that must be created or deleted: in test mode what would
    be done (and, when ``reason`` says it cannot be yet, that a run now would fail);
    otherwise, with a ``reason``, the failure. None when the real run may go on."""
    if test:
        comment = f"{label} would be {verb}"
        if reason:
            comment += f"; a run now would fail: {reason}"
        return would(ret, changes, comment)
    if reason:
        return fail(ret, f"{label}: {reason}")
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

    A ``CommandExecutionError`` anywhere fails the state with its message (``error``: in
    a dry run, Nova not answering is "would be created once Nova is up").
    """
    try:
        current = find()
        if current is not None:
            problem = conflict(current) if conflict else None
            if problem:
                return fail(ret, f"{label}: {problem}")
            if settle is None:
                return ok(ret, f"{label} is already in the desired state")
            result, comment = settle(current)
            ret.update(result=result, comment=comment)
            return ret
        reason = blocked() if blocked else None
        if _would_or_fail(ret, label, "created", {"old": None, "new": new}, test, reason):
            return ret
        created, result, comment = create()
        ret.update(result=result, changes={"old": None, "new": created}, comment=comment)
    except CommandExecutionError as exc:
        return error(ret, exc, test, label, "created", prefix=True)
    return ret


def absent_each(ret, label, find, delete, test, fields=("name", "id"), blocked=None):
    """
    Delete every object ``find()`` returns (a list; empty when there is none) with
    ``delete(obj)``, which returns None or a comment saying what went wrong.
    ``blocked()``, asked only when there is something to delete, as for ``present``.
    """
    try:
        found = find()
        if not found:
            return ok(ret, f"{label} is already absent")
        old = [{k: obj.get(k) for k in fields} for obj in found]
        changes = {"old": old[0] if len(old) == 1 else old, "new": None}
        reason = blocked() if blocked else None
        if _would_or_fail(ret, label, "deleted", changes, test, reason):
            return ret
        problems = [p for p in (delete(obj) for obj in found) if p]
        if problems:
            return fail(ret, f"{label}: " + "; ".join(problems), changes)
        return changed(ret, changes, f"{label} deleted")
    except CommandExecutionError as exc:
        return error(ret, exc, test, label, "deleted", prefix=True)
