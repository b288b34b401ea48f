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

import functools
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
    Ensure the service ``name`` of type ``service_type`` exists as described. Several
    services of that name and type fail the state, naming their ids and how to delete the
    extra ones.

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
    ret = __utils__["state_return.start"](name)
    if not name or not service_type:
        return __utils__["state_return.fail"](ret, "name and service_type are required")
    wanted = {"description": description, "enabled": bool(enabled)}
    label = f"Service '{name}' ({service_type})"
    try:
        services = __salt__["keystone_v3.service_list"](auth=auth, cache=True)
        found = _matching(services, name, service_type)
        if not found:
            new = {"name": name, "type": service_type}
            new.update({k: v for k, v in wanted.items() if v is not None})

            def create():
                created = __salt__["keystone_v3.service_create"](
                    name, service_type, description=description, enabled=enabled, auth=auth
                )
                return {**new, "id": created["id"]}

            return __utils__["state_return.create"](ret, label, new, create, __opts__["test"])
        if len(found) > 1:
            # Not one of them quietly: the catalog's endpoints would hang on either.
            endpoints = __salt__["keystone_v3.endpoint_list"](auth=auth, cache=True)
            comment = __utils__["state_return.duplicate_services"](name, found, endpoints)
            return __utils__["state_return.fail"](ret, comment)
        return __utils__["state_return.update"](
            ret,
            label,
            found[0],
            wanted,
            functools.partial(__salt__["keystone_v3.service_update"], auth=auth),
            __opts__["test"],
        )
    except CommandExecutionError as exc:
        return __utils__["state_return.error"](ret, exc, __opts__["test"], label, "created")
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
    ret = __utils__["state_return.start"](name)
    return __utils__["state_return.absent"](
        ret,
        f"Service '{name}'",
        lambda: _matching(
            __salt__["keystone_v3.service_list"](auth=auth, cache=True), name, service_type
        ),
        functools.partial(__salt__["keystone_v3.service_delete"], auth=auth),
        __opts__["test"],
        fields=("name", "type", "id"),
    )
