"""
Manage settings in OpenStack (oslo.config) ini files, one state per file.

Replaces the runbook's one-process-per-key ``openstack-config --set`` loop with data:

.. code-block:: yaml

    glance-api-config-file-managed:
      openstack_ini.present:
        - name: /etc/glance/glance-api.conf
        - user: root
        - group: glance
        - mode: "0640"
        - sections:
            database:
              connection: mysql://glance:GLANCE_DBPASS@localhost/glance
            keystone_authtoken:
              auth_uri: http://cn43.internal:5000
              auth_port: 35357
              admin_password: GLANCE_PASS
            paste_deploy:
              flavor: keystone

    nova-config-verbose-absent:
      openstack_ini.absent:
        - name: /etc/nova/nova.conf
        - sections:
            DEFAULT:
              - verbose

The file is read and edited by the ``openstack_ini`` execution module (which does all the I/O):
comments, blank lines, order and unmanaged keys are kept, and the file is written only when
something changes. Changes are reported as ``{"section/key": {"old": ..., "new": ...}}`` plus
``user``, ``group``, ``mode`` and ``file`` (created) entries; secret values show as ``***``.
"""

from salt.exceptions import SaltException

__virtualname__ = "openstack_ini"


def __virtual__():
    if "openstack_ini.plan_apply" in __salt__:
        return __virtualname__
    return (False, "the openstack_ini execution module is not available")


def _call(fun, *args, **kwargs):
    return __salt__[f"openstack_ini.{fun}"](*args, **kwargs)


def _test_mode():
    return bool(__opts__.get("test"))


def _listing(changes):
    return ", ".join(changes)


def _failure(name, exc):
    message = str(exc)
    return message if name in message else f"{name}: {message}"


def _ret(fun, *args):
    """The shared return shape (_utils/state_return.py), as the OpenStack API states use it."""
    return __utils__[f"state_return.{fun}"](*args)


def _run(ret, plan, follow_symlinks=False):
    """
    The seven steps around ``plan()``, which checks the ask, reads the file and plans the edit
    (once): already right, test-mode answer, write it once, read it once more.
    """
    name = ret["name"]
    try:
        edit = plan()
        if follow_symlinks and edit.path != name:  # comments name the file written
            name = f"{name} (the file {edit.path})"
    except SaltException as exc:
        return _ret("fail", ret, _failure(name, exc))
    if not edit.changes:
        return _ret("ok", ret, f"{name} is already in the desired state")
    if _test_mode():
        return _ret("would", ret, edit.changes, f"{name}: would change {_listing(edit.changes)}")
    try:
        edit = _call("commit", edit)
        ret["changes"] = edit.changes
        left = _call("verify", edit)
    except SaltException as exc:
        return _ret("fail", ret, f"Failed to update: {_failure(name, exc)}")
    if left:
        return _ret("fail", ret, f"{name} still differs after the update: {_listing(left)}")
    return _ret("changed", ret, edit.changes, f"{name}: changed {_listing(edit.changes)}")


def present(
    name, sections, user=None, group=None, mode=None, secret_keys=None, follow_symlinks=False
):
    """
    Make sure the ini file ``name`` holds every setting of ``sections``.

    name
        Absolute path of the file. A missing file is created when its directory exists.

    sections
        ``{section: {key: value}}``. Values: string, number, boolean (written ``True`` /
        ``False``), list (written ``a,b``) or dict (written ``k1:v1,k2:v2``). Keys and sections
        not listed are left alone.

    user, group, mode
        Owner, group and mode of the file (``mode`` as a quoted octal string, ``"0640"``).
        Kept as they are when not given, except that writing a secret into a file others
        may read (or an unnamed group) takes those bits away.

    follow_symlinks
        A ``name`` that is a symlink is refused (its settings, secrets too, would land in
        the link's target) unless this is True; then the target is written.

    secret_keys
        Extra key names (``key`` or ``section/key``) whose values are shown as ``***``. Keys
        named like ``*password*``, ``*token*``, ``*secret*``, ``connection``, ``*_connection``
        and ``transport_url`` always are.
    """
    ret = _ret("start", name)
    if not isinstance(sections, dict):
        return _ret(
            "fail", ret, f"{name}: sections must be a mapping of {{section: {{key: value}}}}"
        )

    def plan():
        # In a dry run the package that makes the directory, user and group has not run:
        # their absence is part of the answer (result None), not a failure.
        return _call(
            "plan_apply",
            name,
            sections,
            user=user,
            group=group,
            mode=mode,
            secret_keys=secret_keys,
            missing_ok=_test_mode(),
            follow_symlinks=follow_symlinks,
        )

    return _run(ret, plan, follow_symlinks)


def absent(name, sections, secret_keys=None, follow_symlinks=False):
    """
    Make sure the keys of ``sections`` are not set in the ini file ``name``.

    name
        Absolute path of the file. A missing file has nothing to remove.

    sections
        ``{section: [key, ...]}``. Every occurrence of each key is removed; comments (including
        commented-out defaults), other keys and the section headers stay.

    secret_keys
        Extra key names whose old values are shown as ``***`` (see :func:`present`).

    follow_symlinks
        As for :func:`present`.
    """
    ret = _ret("start", name)
    if not isinstance(sections, dict):
        return _ret("fail", ret, f"{name}: sections must be a mapping of {{section: [key, ...]}}")

    def plan():
        return _call(
            "plan_discard", name, sections, secret_keys=secret_keys, follow_symlinks=follow_symlinks
        )

    return _run(ret, plan, follow_symlinks)
