"""
Keystone v3 projects (the runbook's "tenants"), in the default domain unless told.

.. code-block:: yaml

    keystone-project-service-present:
      keystone_project.present:
        - name: service
        - description: Service Tenant

Credentials: see the ``keystone_v3`` execution module (``keystone:auth`` in pillar or
minion config, or ``auth: {...}`` here).
"""

import logging

from salt.exceptions import CommandExecutionError

log = logging.getLogger(__name__)

__virtualname__ = "keystone_project"


def __virtual__():
    if "keystone_v3.project_list" in __salt__:
        return __virtualname__
    return (False, "keystone_project: the keystone_v3 execution module is not available")


def _wanted_changes(current, wanted):
    """The fields of ``wanted`` (None = unmanaged) that differ from ``current``."""
    return {k: v for k, v in wanted.items() if v is not None and current.get(k) != v}


def _create(ret, name, wanted, domain, auth):
    new = {"name": name, "domain_id": domain, **{k: v for k, v in wanted.items() if v is not None}}
    if __opts__["test"]:
        ret.update(
            result=None,
            changes={"old": None, "new": new},
            comment=f"Project '{name}' would be created",
        )
        return ret
    created = __salt__["keystone_v3.project_create"](
        name, description=wanted["description"], enabled=wanted["enabled"], domain=domain, auth=auth
    )
    ret["changes"] = {"old": None, "new": {k: created.get(k) for k in ("id", *new)}}
    ret["comment"] = f"Project '{name}' created"
    return ret


def _update(ret, current, wanted, auth):
    name = current["name"]
    diff = _wanted_changes(current, wanted)
    if not diff:
        ret["comment"] = f"Project '{name}' is already in the desired state"
        return ret
    old = {k: current.get(k) for k in diff}
    if __opts__["test"]:
        ret.update(
            result=None,
            changes={"old": old, "new": diff},
            comment=f"Project '{name}' would be updated",
        )
        return ret
    updated = __salt__["keystone_v3.project_update"](current["id"], auth=auth, **diff)
    ret["changes"] = {"old": old, "new": {k: updated.get(k) for k in diff}}
    left = _wanted_changes(updated, diff)
    if left:
        ret.update(
            result=False, comment=f"Keystone did not apply {sorted(left)} to project '{name}'"
        )
    else:
        ret["comment"] = f"Project '{name}' updated"
    return ret


def present(name, description=None, enabled=True, domain="default", auth=None):
    """
    Ensure the project exists with this description and enabled flag.

    name
        Project name.
    description
        Description; left alone when not given.
    enabled
        Whether the project is enabled (default True).
    domain
        Domain id (default ``default``).
    auth
        Keystone credentials overriding ``keystone:auth``.
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    if not name or not isinstance(name, str):
        ret.update(result=False, comment="name must be a non-empty string")
        return ret
    wanted = {"description": description, "enabled": bool(enabled)}
    try:
        current = __salt__["keystone_v3.project_get"](name, domain=domain, auth=auth, cache=True)
        if current is None:
            return _create(ret, name, wanted, domain, auth)
        return _update(ret, current, wanted, auth)
    except CommandExecutionError as exc:
        ret.update(result=False, comment=str(exc))
    return ret


def absent(name, domain="default", auth=None):
    """
    Ensure no project of this name exists in the domain.

    name
        Project name.
    domain
        Domain id (default ``default``).
    auth
        Keystone credentials overriding ``keystone:auth``.
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    try:
        current = __salt__["keystone_v3.project_get"](name, domain=domain, auth=auth, cache=True)
        if current is None:
            ret["comment"] = f"Project '{name}' is already absent"
            return ret
        changes = {"old": {"name": name, "id": current["id"]}, "new": None}
        if __opts__["test"]:
            ret.update(result=None, changes=changes, comment=f"Project '{name}' would be deleted")
            return ret
        __salt__["keystone_v3.project_delete"](current["id"], auth=auth)
        ret.update(changes=changes, comment=f"Project '{name}' deleted")
    except CommandExecutionError as exc:
        ret.update(result=False, comment=str(exc))
    return ret
