"""
Keystone v3 catalog services, matched by name and type.

.. code-block:: yaml

    keystone-service-glance-present:
      keystone_service.present:
        - name: glance
        - service_type: image
        - description: OpenStack Image Service

``keystone-manage bootstrap`` already made ``keystone`` (identity): the state finds and
converges it rather than adding a second one. Credentials: see ``keystone_v3``.
"""

import logging

from salt.exceptions import CommandExecutionError

log = logging.getLogger(__name__)

__virtualname__ = "keystone_service"


def __virtual__():
    if "keystone_v3.service_list" in __salt__:
        return __virtualname__
    return (False, "keystone_service: the keystone_v3 execution module is not available")


def _matching(services, name, service_type):
    return sorted(
        (
            s
            for s in services
            if s.get("name") == name and (service_type is None or s.get("type") == service_type)
        ),
        key=lambda s: s["id"],
    )


def present(name, service_type, description=None, enabled=True, auth=None):
    """
    Ensure the service ``name`` of type ``service_type`` exists as described.

    name
        Service name (``keystone``, ``glance``, ``nova``).
    service_type
        Service type (``identity``, ``image``, ``compute``).
    description
        Description; left alone when not given.
    enabled
        Whether the service is enabled (default True).
    auth
        Keystone credentials overriding ``keystone:auth``.
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    if not name or not service_type:
        ret.update(result=False, comment="name and service_type are required")
        return ret
    wanted = {"description": description, "enabled": bool(enabled)}
    label = f"Service '{name}' ({service_type})"
    try:
        services = __salt__["keystone_v3.service_list"](auth=auth, cache=True)
        found = _matching(services, name, service_type)
        if not found:
            new = {"name": name, "type": service_type}
            new.update({k: v for k, v in wanted.items() if v is not None})
            if __opts__["test"]:
                ret.update(
                    result=None,
                    changes={"old": None, "new": new},
                    comment=f"{label} would be created",
                )
                return ret
            created = __salt__["keystone_v3.service_create"](
                name, service_type, description=description, enabled=enabled, auth=auth
            )
            new["id"] = created["id"]
            ret.update(changes={"old": None, "new": new}, comment=f"{label} created")
            return ret
        current = found[0]
        extra = ""
        if len(found) > 1:
            extra = " ({} duplicates left alone: {})".format(
                len(found) - 1, ", ".join(s["id"] for s in found[1:])
            )
        diff = {k: v for k, v in wanted.items() if v is not None and current.get(k) != v}
        if not diff:
            ret["comment"] = f"{label} is already in the desired state{extra}"
            return ret
        old = {k: current.get(k) for k in diff}
        if __opts__["test"]:
            ret.update(
                result=None,
                changes={"old": old, "new": diff},
                comment=f"{label} would be updated{extra}",
            )
            return ret
        updated = __salt__["keystone_v3.service_update"](current["id"], auth=auth, **diff)
        ret["changes"] = {"old": old, "new": {k: updated.get(k) for k in diff}}
        ret["comment"] = f"{label} updated{extra}"
    except CommandExecutionError as exc:
        ret.update(result=False, comment=str(exc))
    return ret


def absent(name, service_type=None, auth=None):
    """
    Ensure no service called ``name`` (of ``service_type``, if given) exists; Keystone
    deletes their endpoints with them.

    name
        Service name.
    service_type
        Only services of this type (default: any type).
    auth
        Keystone credentials overriding ``keystone:auth``.
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    try:
        services = __salt__["keystone_v3.service_list"](auth=auth, cache=True)
        found = _matching(services, name, service_type)
        if not found:
            ret["comment"] = f"Service '{name}' is already absent"
            return ret
        changes = {
            "old": [{"name": s["name"], "type": s["type"], "id": s["id"]} for s in found],
            "new": None,
        }
        if __opts__["test"]:
            ret.update(result=None, changes=changes, comment=f"Service '{name}' would be deleted")
            return ret
        for service in found:
            __salt__["keystone_v3.service_delete"](service["id"], auth=auth)
        ret.update(changes=changes, comment=f"Service '{name}' deleted")
    except CommandExecutionError as exc:
        ret.update(result=False, comment=str(exc))
    return ret
