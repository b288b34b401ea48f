"""
The steps the ``keystone_*`` state modules share: report in test mode or act, create,
update the fields that differ, delete.

State modules reach them as ``__utils__["keystone_states.<function>"]``. They are plain
functions: the state passes in what they need (its ``ret``, a label such as
``"Project 'demo'"`` that starts every comment, ``__opts__["test"]`` and callables that
do the Keystone I/O through ``__salt__``), so they need no loader dunders and can be
called the same way from unit tests. Each returns the filled ``ret``.

A minion loads this module from ``utils_dirs`` or, once synced (``saltutil.sync_all``;
``salt/_utils`` links here), from its cache, as it does the state modules.
"""

from salt.exceptions import CommandExecutionError


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


def _would(ret, changes, comment):
    ret.update(result=None, changes=changes, comment=comment)
    return ret


def act(ret, test, changes, would, done, action):
    """
    In test mode report ``changes`` with the comment ``would`` and result None; otherwise
    call ``action()`` and report ``changes`` with the comment ``done``.
    """
    if test:
        return _would(ret, changes, would)
    action()
    ret.update(changes=changes, comment=done)
    return ret


def differences(current, wanted):
    """The fields of ``wanted`` (a None value: not managed) that differ from ``current``."""
    return {k: v for k, v in wanted.items() if v is not None and current.get(k) != v}


def create(ret, label, new, make, test):
    """
    Create the missing object: ``new`` is what test mode reports; ``make()`` creates the
    object and returns the ``new`` side of the changes.
    """
    if test:
        return _would(ret, {"old": None, "new": new}, f"{label} would be created")
    ret.update(changes={"old": None, "new": make()}, comment=f"{label} created")
    return ret


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
        return _would(ret, {"old": old, "new": diff}, f"{label} would be updated{how}{note}")
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
    changes. A ``CommandExecutionError`` fails the state with its message.
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
        return act(ret, test, changes, f"{label} would be deleted", f"{label} deleted", delete_all)
    except CommandExecutionError as exc:
        ret.update(result=False, comment=str(exc))
    return ret
