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

import functools
import logging

from salt.exceptions import CommandExecutionError

log = logging.getLogger(__name__)

__virtualname__ = "keystone_project"


def __virtual__():
    if "keystone_v3.project_list" in __salt__:
        return __virtualname__
    return (False, "keystone_project: the keystone_v3 execution module is not available")


def _create(ret, name, wanted, domain, auth):
    new = {"name": name, "domain_id": domain, **{k: v for k, v in wanted.items() if v is not None}}

    def create():
        created = __salt__["keystone_v3.project_create"](
            name,
            description=wanted["description"],
            enabled=wanted["enabled"],
            domain=domain,
            auth=auth,
        )
        return {k: created.get(k) for k in ("id", *new)}

    return __utils__["state_return.create"](ret, f"Project '{name}'", new, create, __opts__["test"])


def _update(ret, current, wanted, auth):
    name = current["name"]
    return __utils__["state_return.update"](
        ret,
        f"Project '{name}'",
        current,
        wanted,
        functools.partial(__salt__["keystone_v3.project_update"], auth=auth),
        __opts__["test"],
        unapplied=lambda left: f"Keystone did not apply {left} to project '{name}'",
    )


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
    ret = __utils__["state_return.start"](name)
    if not name or not isinstance(name, str):
        return __utils__["state_return.fail"](ret, "name must be a non-empty string")
    wanted = {"description": description, "enabled": bool(enabled)}
    try:
        current = __salt__["keystone_v3.project_get"](name, domain=domain, auth=auth, cache=True)
        if current is None:
            return _create(ret, name, wanted, domain, auth)
        return _update(ret, current, wanted, auth)
    except CommandExecutionError as exc:
        return __utils__["state_return.error"](
            ret, exc, __opts__["test"], f"Project '{name}'", "created"
        )
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
    ret = __utils__["state_return.start"](name)
    return __utils__["state_return.absent"](
        ret,
        f"Project '{name}'",
        lambda: __salt__["keystone_v3.project_get"](name, domain=domain, auth=auth, cache=True),
        functools.partial(__salt__["keystone_v3.project_delete"], auth=auth),
        __opts__["test"],
    )
