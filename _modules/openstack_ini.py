"""
Edit OpenStack (oslo.config) ini files line by line.

Replaces the runbook's ``openstack-config --set FILE SECTION KEY VALUE`` loop: a whole
``{section: {key: value}}`` mapping is applied with one read and at most one write.

How a file is read and edited (details: ``_utils/ini_document.py``): as lines, the way
``oslo_config.iniparser`` reads it; comments, blank lines, order and unmanaged keys stay; a
value is compared as oslo.config reads it, so an equal one is not rewritten; the last of a
repeated key wins; a new key goes right after its commented-out default. A malformed file is
not touched. How it is written (``_utils/ini_file.py``): only when its text changes, through a
temporary file in the same directory and a rename, owner and mode kept; a symlink is refused
unless ``follow_symlinks=True``; a file a secret goes into is closed to others; a write by
someone else meanwhile is kept. Secret values show as ``***`` (names: ``_utils/ini_secret.py``).

Values: ``str``; ``int`` and ``float``; ``bool`` as ``True``/``False``; ``list``/``tuple`` as
``a,b`` (oslo ``ListOpt``); ``dict`` as ``k1:v1,k2:v2`` (oslo ``DictOpt``). ``None``, a newline,
or spaces around a value are refused (oslo strips them, so such a value could never compare equal).

Changes are returned as ``{"section/key": {"old": ..., "new": ...}}`` (``None`` for a key that is
not there) plus ``user``, ``group`` and ``mode`` entries when those change, and
``file: {"old": None, "new": "created"}`` when the file is created.

The ``openstack_ini`` state reads and plans a file once (:func:`plan_apply`,
:func:`plan_discard`), writes once (:func:`commit`) and reads it once more (:func:`verify`).

:depends: POSIX (``pwd``, ``grp``)
"""

import functools

from salt.exceptions import SaltInvocationError

try:
    import grp  # noqa: F401  (_utils/ini_file.py uses them)
    import pwd  # noqa: F401

    HAS_POSIX = True
except ImportError:  # pragma: no cover - Windows
    HAS_POSIX = False

__virtualname__ = "openstack_ini"
__func_alias__ = {"set_": "set"}


def __virtual__():
    if not HAS_POSIX:
        return (False, "openstack_ini needs the POSIX pwd and grp modules")
    return __virtualname__


def _u(name):
    """A function of ``_utils``' ini pieces: ``ini_document``, ``ini_file``, ``ini_secret``."""
    return __utils__[name]


def _again(*args, fun="plan_apply"):
    """
    The edit's ``replan``: the same ask read and planned again, through the loader (``commit``
    and ``verify`` in ``_utils`` call it, outside this module's loader context).
    """
    return functools.partial(__salt__[f"openstack_ini.{fun}"], *args)


def _planned_apply(name, rendered, values, user, group, mode, secret_keys, missing_ok, symlinks):
    """Read ``name`` and plan the settings ``rendered`` (from ``values``) into it: an edit."""
    path, text, st = _u("ini_file.load")(name, missing_ok, symlinks)
    where = name if path == name else f"{name} (the file {path})"
    doc = _u("ini_document.parse")(text or "", name)
    changes = _u("ini_document.plan_present")(
        doc, rendered, values, _u("ini_secret.masker")(secret_keys)
    )
    file_mode = _u("ini_secret.file_mode")(rendered, changes, st, mode, group, secret_keys)
    attrs = _u("ini_file.plan_attrs")(st, user, group, file_mode, missing_ok)
    again = (name, values, user, group, mode, secret_keys, missing_ok, symlinks)
    return _u("ini_file.edit")(name, path, where, text, st, doc, changes, attrs, _again(*again))


def _planned_discard(name, checked, secret_keys, follow_symlinks):
    """Read ``name`` and plan the removal of the keys ``checked``: an edit."""
    path = _u("ini_file.target")(name, follow_symlinks)
    text, st = _u("ini_file.read")(path, name)
    doc = changes = None
    if st is not None:
        doc = _u("ini_document.parse")(text, name)
        changes = _u("ini_document.plan_absent")(doc, checked, _u("ini_secret.masker")(secret_keys))
    again = _again(name, checked, secret_keys, follow_symlinks, fun="plan_discard")
    return _u("ini_file.edit")(name, path, name, text, st, doc, changes or {}, None, again)


def target(name, follow_symlinks=False):
    """
    The file that writing ``name`` writes: ``name`` itself, or with ``follow_symlinks`` the
    target of the link it is (a link is refused otherwise).

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_ini.target /etc/nova/nova.conf follow_symlinks=True
    """
    return _u("ini_file.target")(name, follow_symlinks)


def get(name, section, key, default=None):
    """
    Return the value of ``key`` in ``[section]`` of the ini file ``name`` (as oslo.config
    reads it: the last occurrence), or ``default`` when the key or the file is missing.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_ini.get /etc/nova/nova.conf DEFAULT my_ip
    """
    path = _u("ini_file.target")(name, follow_symlinks=True)  # reading a link writes nothing
    text, st = _u("ini_file.read")(path, name)
    if st is None:
        return default
    value = _u("ini_document.parse")(text, name).get(section, key)
    return default if value is None else value


def set_(name, section, key, value, secret_keys=None, test=False):
    """
    Set one ``key`` in ``[section]`` of the ini file ``name``; return the changes.

    Creates the key, section or file as needed (the directory must exist). Returns ``{}`` when
    the value is already there; the file is then not written.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_ini.set /etc/glance/glance-api.conf paste_deploy flavor keystone
    """
    return apply(name, {section: {key: value}}, secret_keys=secret_keys, test=test)


def remove(name, section, key, secret_keys=None, test=False):
    """
    Remove ``key`` (every occurrence) from ``[section]`` of the ini file ``name``; return the
    changes. A missing key or file is not an error.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_ini.remove /etc/nova/nova.conf DEFAULT verbose
    """
    return discard(name, {section: [key]}, secret_keys=secret_keys, test=test)


def apply(
    name,
    sections,
    user=None,
    group=None,
    mode=None,
    secret_keys=None,
    test=False,
    missing_ok=False,
    follow_symlinks=False,
):
    """
    Make the ini file ``name`` hold every ``{section: {key: value}}`` setting; return the changes.

    One read and at most one write: nothing is written when the file already says it all.
    ``user``, ``group`` and ``mode`` set the file's owner and mode (kept when not given). With
    ``test=True`` nothing is written and the changes that would be made are returned. Secret
    values show as ``***`` (see the module docstring).

    ``missing_ok`` (only with ``test=True``): a missing directory, user or group is not an
    error but part of the answer, for a dry run in which an earlier state (the package that
    makes ``/etc/nova`` and the ``nova`` group) has not run yet.

    ``follow_symlinks``: write the target of a ``name`` that is a symlink (refused otherwise).

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_ini.apply /etc/glance/glance-api.conf \\
            '{paste_deploy: {flavor: keystone}, keystone_authtoken: {auth_port: 35357}}' \\
            user=root group=glance mode=0640 test=True
    """
    missing_ok = missing_ok and test
    return _changes(
        plan_apply(name, sections, user, group, mode, secret_keys, missing_ok, follow_symlinks),
        test,
    )


def discard(name, sections, secret_keys=None, test=False, follow_symlinks=False):
    """
    Remove every key of a ``{section: [key, ...]}`` mapping from the ini file ``name``; return
    the changes. Comments (commented-out defaults included) and other keys stay. A missing file
    has nothing to remove. With ``test=True`` nothing is written.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_ini.discard /etc/nova/nova.conf '{DEFAULT: [verbose, debug]}'
    """
    return _changes(plan_discard(name, sections, secret_keys, follow_symlinks), test)


def _changes(edit, test):
    """The changes ``edit`` makes: written unless ``test`` (or nothing to change)."""
    return edit.changes if test or not edit.changes else commit(edit).changes


def plan_apply(
    name,
    sections,
    user=None,
    group=None,
    mode=None,
    secret_keys=None,
    missing_ok=False,
    follow_symlinks=False,
):
    """
    Check the ask, read the ini file ``name`` once and plan :func:`apply`'s edit without
    writing: return it (``edit.changes`` are the changes it makes; its text shows only the
    file and the changed keys). :func:`commit` writes it, :func:`verify` checks it. This is
    what the ``openstack_ini.present`` state does; from the command line use ``apply``.
    ``missing_ok``: as for :func:`apply`, for an edit that is not committed.

    Not a command-line call: the plan is a Python object for the state in the same process
    (the shell's way is :func:`apply`, with ``test=True`` for a dry run).
    """
    secret_keys = _u("ini_secret.secret_list")(secret_keys)
    rendered = _u("ini_document.validate_present")(sections)
    return _planned_apply(
        name, rendered, sections, user, group, mode, secret_keys, bool(missing_ok), follow_symlinks
    )


def plan_discard(name, sections, secret_keys=None, follow_symlinks=False):
    """
    Check the ask, read the ini file ``name`` once and plan :func:`discard`'s edit without
    writing: return it (see :func:`plan_apply`).

    Not a command-line call (see :func:`plan_apply`); the shell's way is :func:`discard`.
    """
    secret_keys = _u("ini_secret.secret_list")(secret_keys)
    checked = _u("ini_document.validate_absent")(sections)
    return _planned_discard(name, checked, secret_keys, follow_symlinks)


def _planned(edit, fun):
    if not hasattr(edit, "replan"):
        raise SaltInvocationError(
            f"{fun} takes the edit plan_apply or plan_discard returned in the same process; "
            "from the command line use apply or discard"
        )
    return _u(f"ini_file.{fun}")(edit)


def commit(edit):
    """
    Write an edit from :func:`plan_apply` or :func:`plan_discard` (same process) once,
    atomically (planned again once from another writer's text if the file changed since it
    was read); return the edit written, whose ``changes`` are the answer.

    CLI Example (the shell's way to plan and commit in one call):

    .. code-block:: bash

        salt '*' openstack_ini.apply /etc/nova/nova.conf '{DEFAULT: {my_ip: 10.0.0.5}}'
    """
    return _planned(edit, "commit")


def verify(edit):
    """
    Read the file of an edit :func:`commit` wrote once more; return the changes still to
    make (``{}``: it holds what was written).

    CLI Example (the shell's way: a dry run answers what still differs):

    .. code-block:: bash

        salt '*' openstack_ini.apply /etc/nova/nova.conf '{DEFAULT: {my_ip: 10.0.0.5}}' test=True
    """
    return _planned(edit, "verify")
