"""
Keystone v3 users, and the runbook's "does this password get a token?" check.

.. code-block:: yaml

    keystone-user-glance-present:
      keystone_user.present:
        - name: glance
        - password: {{ pillar['secrets']['glance_pass'] | json }}
        - email: dario.berzano@cern.ch

    keystone-admin-token-valid:
      keystone_user.token_valid:
        - name: admin
        - password: {{ pillar['secrets']['admin_pass'] | json }}
        - project: admin

The password is set when the user is created and changed only when Keystone no longer
issues a token for it; it never appears in ``changes``, ``comment`` or logs.
Credentials: see the ``keystone_v3`` execution module.
"""

import functools
import logging
import secrets

from salt.exceptions import CommandExecutionError

log = logging.getLogger(__name__)

__virtualname__ = "keystone_user"

HIDDEN = "***"


def __virtual__():
    if "keystone_v3.user_list" in __salt__:
        return __virtualname__
    return (False, "keystone_user: the keystone_v3 execution module is not available")


def _project_names(projects):
    return {p["id"]: p["name"] for p in projects}


def _shown(fields, projects):
    """``fields`` with ``default_project_id`` shown as the project's name."""
    shown = dict(fields)
    if "default_project_id" in shown:
        pid = shown.pop("default_project_id")
        shown["default_project"] = _project_names(projects).get(pid, pid)
    return shown


def _password_ok(name, password, domain, auth):
    check = __salt__["keystone_v3.token_check"](name, password, user_domain=domain, auth=auth)
    return check["valid"]


def _failed(ret, comment, changes=None):
    return __utils__["state_return.fail"](ret, comment, changes or None)


def _wanted(name, email, enabled, default_project, domain, auth):
    """The attributes to converge, the projects listed, notes, and a problem or None."""
    projects, project_id, notes = [], None, []
    if default_project is not None:
        projects = __salt__["keystone_v3.project_list"](domain=domain, auth=auth, cache=True)
        project = next((p for p in projects if p["name"] == default_project), None)
        if project is not None:
            project_id = project["id"]
        elif __opts__["test"]:
            project_id = default_project
            notes.append(f"project '{default_project}' does not exist yet")
        else:
            problem = f"default project '{default_project}' of user '{name}' does not exist"
            return None, projects, notes, problem
    wanted = {"email": email, "enabled": bool(enabled), "default_project_id": project_id}
    return wanted, projects, notes, None


def _create(ret, name, password, wanted, projects, domain, auth):
    new = {"name": name, "domain_id": domain}
    new.update(_shown({k: v for k, v in wanted.items() if v is not None}, projects))
    if password is not None:
        new["password"] = HIDDEN

    def create():
        created = __salt__["keystone_v3.user_create"](
            name,
            password=password,
            email=wanted["email"],
            enabled=wanted["enabled"],
            default_project_id=wanted["default_project_id"],
            domain=domain,
            auth=auth,
        )
        return {**new, "id": created["id"]}

    return __utils__["state_return.create"](ret, f"User '{name}'", new, create, __opts__["test"])


def _password_plan(current, password, wanted, domain, auth, notes):
    """``(change_now, check_after_enabling)`` for the password of an existing user."""
    if password is None:
        return False, False
    if not wanted["enabled"]:
        notes.append("password not checked: the user is disabled")
        return False, False
    if not current.get("enabled", True):
        # A disabled user gets no token whatever its password: check once enabled.
        if __opts__["test"]:
            notes.append("password will be checked once the user is enabled")
        return False, True
    return not _password_ok(current["name"], password, domain, auth), False


def _with_notes(comment, notes):
    return "{} ({})".format(comment, "; ".join(notes)) if notes else comment


def _update(ret, current, password, wanted, projects, notes, domain, auth):
    name = current["name"]
    diff = __utils__["state_return.differences"](current, wanted)
    change_password, check_later = _password_plan(current, password, wanted, domain, auth, notes)
    if not diff and not change_password and not check_later:
        ret["comment"] = _with_notes(f"User '{name}' is already in the desired state", notes)
        return ret
    old = _shown({k: current.get(k) for k in diff}, projects)
    new = _shown(diff, projects)
    if change_password:
        old["password"], new["password"] = HIDDEN, HIDDEN + " (changed)"
    if __opts__["test"]:
        ret.update(
            result=None,
            changes={"old": old, "new": new},
            comment=_with_notes(f"User '{name}' would be updated", notes),
        )
        return ret

    password_sent = False
    if diff:
        # A password already known to be wrong goes in the same request.
        updated = __salt__["keystone_v3.user_update"](
            current["id"], password=password if change_password else None, auth=auth, **diff
        )
        password_sent = change_password
        left = __utils__["state_return.differences"](updated, diff)
        if left:
            return _failed(ret, f"Keystone did not apply {sorted(left)} to user '{name}'")
    if check_later and not _password_ok(name, password, domain, auth):
        change_password = True
        old["password"], new["password"] = HIDDEN, HIDDEN + " (changed)"
    ret["changes"] = {"old": old, "new": new}
    if change_password:
        if not password_sent:
            __salt__["keystone_v3.user_set_password"](current["id"], password, auth=auth)
        if not _password_ok(name, password, domain, auth):
            return _failed(ret, f"password of user '{name}' was set but still yields no token")
    if not old and not new:
        ret["changes"] = {}
    done = " (password changed)" if change_password else ""
    ret["comment"] = f"User '{name}' updated{done}"
    return ret


def present(
    name,
    password=None,
    email=None,
    enabled=True,
    default_project=None,
    domain="default",
    auth=None,
):
    """
    Ensure the user exists with this email, enabled flag, default project and password.

    name
        User name.
    password
        Set at creation; afterwards changed only when it no longer yields a token
        (checked by asking Keystone for an unscoped token; not checked while the user is
        disabled). Left alone when not given.
    email
        Email address; left alone when not given.
    enabled
        Whether the user may log in (default True).
    default_project
        Name of the user's default project (in ``domain``); left alone when not given.
    domain
        Domain id of the user and of its default project (default ``default``).
    auth
        Keystone credentials overriding ``keystone:auth``.
    """
    ret = __utils__["state_return.start"](name)
    if not name or not isinstance(name, str):
        return _failed(ret, "name must be a non-empty string")
    if password is not None and not isinstance(password, str):
        return _failed(ret, f"password of user '{name}' must be a string (quote it in YAML)")
    try:
        current = __salt__["keystone_v3.user_get"](name, domain=domain, auth=auth, cache=True)
        wanted, projects, notes, problem = _wanted(
            name, email, enabled, default_project, domain, auth
        )
        if problem:
            return _failed(ret, problem)
        if current is None:
            return _create(ret, name, password, wanted, projects, domain, auth)
        return _update(ret, current, password, wanted, projects, notes, domain, auth)
    except CommandExecutionError as exc:
        hide = (password,) if password else ()
        return __utils__["state_return.error"](
            ret, exc, __opts__["test"], f"User '{name}'", secrets=hide
        )


def absent(name, domain="default", auth=None):
    """
    Ensure no user of this name exists in the domain.

    name
        User name.
    domain
        Domain id (default ``default``).
    auth
        Keystone credentials overriding ``keystone:auth``.
    """
    ret = __utils__["state_return.start"](name)
    return __utils__["state_return.absent"](
        ret,
        f"User '{name}'",
        lambda: __salt__["keystone_v3.user_get"](name, domain=domain, auth=auth, cache=True),
        functools.partial(__salt__["keystone_v3.user_delete"], auth=auth),
        __opts__["test"],
    )


def token_valid(
    name,
    password,
    project=None,
    domain="default",
    project_domain="default",
    check_wrong_password=True,
    auth=None,
):
    """
    Check, as the runbook does after setting up Keystone, that the user's password gets a
    token and (unless ``check_wrong_password`` is False) that a wrong one gets HTTP 401.
    Makes no changes.

    name
        User name.
    password
        The password that must work.
    project
        Project to scope the token to (unscoped when not given).
    domain
        The user's domain id (default ``default``).
    project_domain
        The project's domain id (default ``default``).
    check_wrong_password
        Also check that a random wrong password is refused (default True).
    auth
        Only its ``auth_url`` and retry settings are used.
    """
    ret = __utils__["state_return.start"](name)
    if not isinstance(password, str) or not password:
        return __utils__["state_return.fail"](ret, "password must be a non-empty string")
    scope = f"project '{project}'" if project else "no project (unscoped)"
    problems = []
    findings = []

    def check(secret):
        return __salt__["keystone_v3.token_check"](
            name,
            secret,
            project=project,
            user_domain=domain,
            project_domain=project_domain,
            auth=auth,
        )

    try:
        right = check(password)
        if right["valid"]:
            findings.append(
                "user '{}' got a token for {} (HTTP {})".format(name, scope, right["status"])
            )
        else:
            problems.append(
                "user '{}' got no token for {} with its password (HTTP {})".format(
                    name, scope, right["status"]
                )
            )
        if check_wrong_password:
            wrong = secrets.token_hex(16)
            while wrong == password:  # pragma: no cover - 1 in 2**128
                wrong = secrets.token_hex(16)
            bad = check(wrong)
            if bad["valid"]:
                problems.append(f"Keystone issued user '{name}' a token for a wrong password")
            else:
                findings.append("a wrong password was refused (HTTP {})".format(bad["status"]))
    except CommandExecutionError as exc:
        label = f"The token of user '{name}'"
        return __utils__["state_return.error"](
            ret, exc, __opts__["test"], label, "checked", secrets=(password,)
        )
    if problems:
        # In test mode earlier states may not have run yet: say what would fail.
        ret["result"] = None if __opts__["test"] else False
        ret["comment"] = "; ".join(problems + findings)
        return ret
    ret["comment"] = "; ".join(findings)
    return ret
