"""
Keystone v3 global roles (``admin``, ``_member_``, ...).

.. code-block:: yaml

    keystone-role-_member_-present:
      keystone_role.present:
        - name: _member_

Credentials: see the ``keystone_v3`` execution module.
"""

import logging

from salt.exceptions import CommandExecutionError

log = logging.getLogger(__name__)

__virtualname__ = "keystone_role"


def __virtual__():
    if "keystone_v3.role_list" in __salt__:
        return __virtualname__
    return (False, "keystone_role: the keystone_v3 execution module is not available")


def present(name, auth=None):
    """
    Ensure the global role exists.

    name
        Role name.
    auth
        Keystone credentials overriding ``keystone:auth``.
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    if not name or not isinstance(name, str):
        ret.update(result=False, comment="name must be a non-empty string")
        return ret
    try:
        if __salt__["keystone_v3.role_get"](name, auth=auth, cache=True) is not None:
            ret["comment"] = f"Role '{name}' already exists"
            return ret
        if __opts__["test"]:
            ret.update(
                result=None,
                changes={"old": None, "new": {"name": name}},
                comment=f"Role '{name}' would be created",
            )
            return ret
        created = __salt__["keystone_v3.role_create"](name, auth=auth)
        ret.update(
            changes={"old": None, "new": {"name": created["name"], "id": created["id"]}},
            comment=f"Role '{name}' created",
        )
    except CommandExecutionError as exc:
        ret.update(result=False, comment=str(exc))
    return ret


def absent(name, auth=None):
    """
    Ensure the global role does not exist (deleting it revokes every grant of it).

    name
        Role name.
    auth
        Keystone credentials overriding ``keystone:auth``.
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    try:
        current = __salt__["keystone_v3.role_get"](name, auth=auth, cache=True)
        if current is None:
            ret["comment"] = f"Role '{name}' is already absent"
            return ret
        changes = {"old": {"name": name, "id": current["id"]}, "new": None}
        if __opts__["test"]:
            ret.update(result=None, changes=changes, comment=f"Role '{name}' would be deleted")
            return ret
        __salt__["keystone_v3.role_delete"](current["id"], auth=auth)
        ret.update(changes=changes, comment=f"Role '{name}' deleted")
    except CommandExecutionError as exc:
        ret.update(result=False, comment=str(exc))
    return ret
