"""
Keystone v3 global roles (``admin``, ``_member_``, ...).

.. code-block:: yaml

    keystone-role-_member_-present:
      keystone_role.present:
        - name: _member_

Credentials: see the ``keystone_v3`` execution module.
"""

import functools
import logging

from salt.exceptions import CommandExecutionError

log = logging.getLogger(__name__)

__virtualname__ = "keystone_role"


def __virtual__():
    if "keystone_v3.role_list" in __salt__:
        return __virtualname__
    return (False, "keystone_role: the keystone_v3 execution module is not available")


def _create(name, auth):
    created = __salt__["keystone_v3.role_create"](name, auth=auth)
    return {"name": created["name"], "id": created["id"]}


def present(name, auth=None):
    """
    Ensure the global role exists.

    name
        Role name.
    auth
        Keystone credentials overriding ``keystone:auth``.
    """
    ret = __utils__["state_return.start"](name)
    if not name or not isinstance(name, str):
        return __utils__["state_return.fail"](ret, "name must be a non-empty string")
    try:
        if __salt__["keystone_v3.role_get"](name, auth=auth, cache=True) is not None:
            ret["comment"] = f"Role '{name}' already exists"
            return ret
        return __utils__["state_return.create"](
            ret, f"Role '{name}'", {"name": name}, lambda: _create(name, auth), __opts__["test"]
        )
    except CommandExecutionError as exc:
        return __utils__["state_return.error"](
            ret, exc, __opts__["test"], f"Role '{name}'", "created"
        )
    return ret


def absent(name, auth=None):
    """
    Ensure the global role does not exist (deleting it revokes every grant of it).

    name
        Role name.
    auth
        Keystone credentials overriding ``keystone:auth``.
    """
    ret = __utils__["state_return.start"](name)
    return __utils__["state_return.absent"](
        ret,
        f"Role '{name}'",
        lambda: __salt__["keystone_v3.role_get"](name, auth=auth, cache=True),
        functools.partial(__salt__["keystone_v3.role_delete"], auth=auth),
        __opts__["test"],
    )
