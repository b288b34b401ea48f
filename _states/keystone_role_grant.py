"""
Grants of a Keystone v3 role to a user on a project (the runbook's ``user-role-add``).

.. code-block:: yaml

    keystone-grant-glance-service-admin:
      keystone_role_grant.present:
        - role: admin
        - user: glance
        - project: service

``role`` defaults to ``name``. Credentials: see the ``keystone_v3`` execution module.
"""

import functools
import logging

from salt.exceptions import CommandExecutionError

log = logging.getLogger(__name__)

__virtualname__ = "keystone_role_grant"


def __virtual__():
    if "keystone_v3.role_assignment_list" in __salt__:
        return __virtualname__
    return (False, "keystone_role_grant: the keystone_v3 execution module is not available")


def _lookup(user, project, role, user_domain, project_domain, auth):
    """The ids of the user, project and role (None where missing) and the names missing."""
    found = {
        "user": __salt__["keystone_v3.user_get"](user, domain=user_domain, auth=auth, cache=True),
        "project": __salt__["keystone_v3.project_get"](
            project, domain=project_domain, auth=auth, cache=True
        ),
        "role": __salt__["keystone_v3.role_get"](role, auth=auth, cache=True),
    }
    names = {"user": user, "project": project, "role": role}
    missing = [f"{kind} '{names[kind]}'" for kind, obj in found.items() if obj is None]
    ids = {kind: (obj or {}).get("id") for kind, obj in found.items()}
    return ids, missing


def _granted(ids, auth):
    grants = __salt__["keystone_v3.role_assignment_list"](auth=auth, cache=True)
    wanted = {"user_id": ids["user"], "project_id": ids["project"], "role_id": ids["role"]}
    return wanted in grants


def _ensure(held, name, user, project, role, user_domain, project_domain, auth):
    """What :func:`present` (``held`` True) and :func:`absent` (False) share."""
    role = role or name
    ret = __utils__["state_return.start"](name)
    grant = {"user": user, "project": project, "role": role}
    label = f"role '{role}' of user '{user}' on project '{project}'"
    try:
        ids, missing = _lookup(user, project, role, user_domain, project_domain, auth)
        if missing and held:
            if __opts__["test"]:
                ret.update(
                    result=None,
                    changes={"old": None, "new": grant},
                    comment="Grant of {} would be made once {} exist(s)".format(
                        label, " and ".join(missing)
                    ),
                )
            else:
                ret.update(
                    result=False,
                    comment="Cannot grant {}: {} not found".format(label, " and ".join(missing)),
                )
            return ret
        holds = not missing and _granted(ids, auth)
        if holds == held:
            state = "already exists" if held else "is already absent"
            ret["comment"] = f"Grant of {label} {state}"
            return ret
        if held:
            changes, would, done = {"old": None, "new": grant}, "would be made", "Granted"
        else:
            changes, would, done = {"old": grant, "new": None}, "would be revoked", "Revoked"
        write = __salt__["keystone_v3.role_grant" if held else "keystone_v3.role_revoke"]
        return __utils__["state_return.act"](
            ret,
            __opts__["test"],
            changes,
            f"Grant of {label} {would}",
            f"{done} {label}",
            functools.partial(write, ids["user"], ids["project"], ids["role"], auth=auth),
        )
    except CommandExecutionError as exc:
        return __utils__["state_return.error"](
            ret, exc, __opts__["test"], f"Grant of {label}", "made"
        )
    return ret


def present(
    name,
    user,
    project,
    role=None,
    user_domain="default",
    project_domain="default",
    auth=None,
):
    """
    Ensure ``user`` holds ``role`` on ``project``.

    name
        State name; also the role when ``role`` is not given.
    user
        User name.
    project
        Project name.
    role
        Role name (default: ``name``).
    user_domain, project_domain
        Domain ids (default ``default``).
    auth
        Keystone credentials overriding ``keystone:auth``.
    """
    return _ensure(True, name, user, project, role, user_domain, project_domain, auth)


def absent(
    name,
    user,
    project,
    role=None,
    user_domain="default",
    project_domain="default",
    auth=None,
):
    """
    Ensure ``user`` does not hold ``role`` on ``project`` (directly).

    Arguments as for :func:`present`; a missing user, project or role means no grant.
    """
    return _ensure(False, name, user, project, role, user_domain, project_domain, auth)
