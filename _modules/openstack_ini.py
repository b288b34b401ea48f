"""
Edit OpenStack (oslo.config) ini files line by line.

Replaces the runbook's ``openstack-config --set FILE SECTION KEY VALUE`` loop: a whole
``{section: {key: value}}`` mapping is applied with one read and at most one write.

How a file is read and edited:

- The file is kept as a list of lines. Comments, blank lines, key order, ``[DEFAULT]`` and every
  section and key that is not managed stay exactly as they are.
- Lines are read the way ``oslo_config.iniparser`` reads them: ``#`` and ``;`` start a comment
  in column 0; ``key = value`` or ``key: value`` (the first ``=`` or ``:`` splits); an indented line
  right after a key continues that key's value. A key before any ``[section]`` header, a header
  without its ``]``, and a line that is none of these make the file malformed: it is not touched.
- A value is compared as written, with the spaces around the separator ignored, so ``key=value``
  and ``key = value`` are equal and the line is not rewritten. Booleans compare as oslo.config
  reads them (``true``/``True``/``1``/``on``/``yes``) and lists item by item (``a, b`` equals
  ``["a", "b"]``). Quotes are not interpreted.
- A key that appears more than once in a section (blocks of a repeated ``[section]`` included)
  is read as oslo.config reads a single-valued option: the last one wins. If it already holds the
  wanted value nothing is written; otherwise the last line is rewritten and the earlier ones are
  removed, so the file says one thing. ``MultiStrOpt`` options (a key meant to be repeated) are
  not supported: managing one leaves a single line.
- A changed key keeps its line, spacing and position. A new key goes right after its
  commented-out default (``#connection=<None>``), which stays as a comment; without one it goes
  after the last key of the section (or its last non-blank line). New sections are appended at
  the end of the file.
- A file is written through a temporary file in the same directory and ``os.rename``, only when
  its text changes. Owner, group and mode are kept, or set when given. A file that is a
  symlink is refused (its target may be another service's world-readable file) unless
  ``follow_symlinks=True``; then the target is written and named in messages. A new file that
  holds a secret (see below) and is given no ``mode`` is created ``0640`` when a ``group`` is
  given, else ``0600``; an existing one that a secret is written into, given no ``mode``, loses
  its bits for others (and for the group unless ``group`` is given): a ``mode`` change.
- Just before the rename the file is read again: if someone else changed it since it was read,
  the whole edit is done once more on the new text; if it changes again, nothing is written and
  the call fails saying so. The other write is never lost (only a write landing between that
  last check and the rename itself could be: no lock is taken, as the OpenStack tools take none).

Values: ``str``; ``int`` and ``float``; ``bool`` as ``True``/``False``; ``list``/``tuple`` as
``a,b`` (oslo ``ListOpt``); ``dict`` as ``k1:v1,k2:v2`` (oslo ``DictOpt``). ``None``, a newline,
or spaces around a value are refused (oslo strips them, so such a value could never compare equal).

Secrets: keys named in ``secret_keys`` (``key`` or ``section/key``) and by default every key whose
name contains ``password``, ``token`` or ``secret``, or is ``connection``, ``*_connection`` or
``transport_url``, show as ``***`` in the changes returned. No value is ever logged.

Changes are returned as ``{"section/key": {"old": ..., "new": ...}}`` (``None`` for a key that is
not there) plus ``user``, ``group`` and ``mode`` entries when those change, and
``file: {"old": None, "new": "created"}`` when the file is created.

Layout: the ini grammar and edit planning are ``_utils/ini_document.py`` (no I/O), the file side
(symlink refusal, reading, the atomic commit, owner and mode) ``_utils/ini_file.py``, the secret
names ``_utils/ini_secret.py``; this module puts them together. The ``openstack_ini`` state reads
and plans a file once (:func:`plan_apply`, :func:`plan_discard`), writes once (:func:`commit`)
and reads it once more (:func:`verify`).

:depends: POSIX (``pwd``, ``grp``)
"""

import functools
import stat

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
    file_mode = mode
    if mode is None and _u("ini_secret.holds_secret")(rendered, secret_keys):
        if st is None:
            file_mode = "0640" if group is not None else "0600"
        elif _u("ini_secret.changes_secret")(changes, secret_keys):
            # A secret written into a file others (or an unnamed group) may read.
            closed = 0o027 if group is not None else 0o077
            file_mode = f"{stat.S_IMODE(st.st_mode) & ~closed:04o}"
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
    return _u("ini_file.edit")(
        name,
        path,
        name,
        text,
        st,
        doc,
        changes or {},
        None,
        _again(name, checked, secret_keys, follow_symlinks, fun="plan_discard"),
    )


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
    edit = plan_apply(
        name, sections, user, group, mode, secret_keys, missing_ok and test, follow_symlinks
    )
    if test or not edit.changes:
        return edit.changes
    return commit(edit).changes


def discard(name, sections, secret_keys=None, test=False, follow_symlinks=False):
    """
    Remove every key of a ``{section: [key, ...]}`` mapping from the ini file ``name``; return
    the changes. Comments (commented-out defaults included) and other keys stay. A missing file
    has nothing to remove. With ``test=True`` nothing is written.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_ini.discard /etc/nova/nova.conf '{DEFAULT: [verbose, debug]}'
    """
    edit = plan_discard(name, sections, secret_keys, follow_symlinks)
    if test or not edit.changes:
        return edit.changes
    return commit(edit).changes


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

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_ini.plan_apply /etc/nova/nova.conf '{DEFAULT: {my_ip: 10.0.0.5}}'
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

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_ini.plan_discard /etc/nova/nova.conf '{DEFAULT: [verbose]}'
    """
    secret_keys = _u("ini_secret.secret_list")(secret_keys)
    checked = _u("ini_document.validate_absent")(sections)
    return _planned_discard(name, checked, secret_keys, follow_symlinks)


def commit(edit):
    """
    Write an edit planned by :func:`plan_apply` or :func:`plan_discard` in this process, once
    (atomically; planned again once from the other writer's text if the file changed since it
    was read); return the edit written, whose ``changes`` are the answer.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_ini.apply /etc/nova/nova.conf '{DEFAULT: {my_ip: 10.0.0.5}}'
    """
    if not hasattr(edit, "replan"):
        raise SaltInvocationError(
            "commit takes an edit from plan_apply or plan_discard in the same process; "
            "from the command line use apply or discard"
        )
    return _u("ini_file.commit")(edit)


def verify(edit):
    """
    Read the file of a committed edit once more; return the changes still to make (``{}``
    when it holds what was written).

    CLI Example:

    .. code-block:: bash

        salt-call openstack_ini.apply /etc/nova/nova.conf '{DEFAULT: {my_ip: 10.0.0.5}}' test=True
    """
    if not hasattr(edit, "written"):
        raise SaltInvocationError("verify takes an edit returned by commit in the same process")
    return _u("ini_file.verify")(edit)
