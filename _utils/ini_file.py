"""
The file side of an ini edit: find the file, read it, commit new text atomically, check it.

- A file is written through a temporary file in the same directory and ``os.rename``, only when
  its text changes. Owner, group and mode are kept, or set when given. A file that is a
  symlink is refused (its target may be another service's world-readable file) unless
  ``follow_symlinks=True``; then the target is written and named in messages. A new file that
  holds a secret (``ini_secret``) and is given no ``mode`` is created ``0640`` when a ``group`` is
  given, else ``0600``; an existing one that a secret is written into, given no ``mode``, loses
  its bits for others (and for the group unless ``group`` is given): a ``mode`` change.
- Just before the rename the file is read again: if someone else changed it since it was read,
  the whole edit is done once more on the new text; if it changes again, nothing is written and
  the call fails saying so. The other write is never lost (only a write landing between that
  last check and the rename itself could be: no lock is taken, as the OpenStack tools take none).

Functions: :func:`target` (the symlink rule), :func:`read`, :func:`load`, :func:`plan_attrs`
(owner and mode), :func:`write` (temporary file, ``fsync``, rename; :class:`ConcurrentChange`
when the file changed since it was read), :func:`edit` (one read-and-planned edit, an
:class:`Edit`), :func:`commit` (write it once, planned once more from another writer's text)
and :func:`verify` (read the file again: what still differs). The ``openstack_ini`` execution
module reaches them as ``__utils__["ini_file.<function>"]``; no loader dunders.
"""

import contextlib
import logging
import os
import secrets as _random
import stat

from salt.exceptions import CommandExecutionError, SaltInvocationError

try:
    import grp
    import pwd
except ImportError:  # pragma: no cover - Windows; the execution module refuses to load
    grp = pwd = None

log = logging.getLogger(__name__)


def target(name, follow_symlinks=False):
    if not isinstance(name, str) or not name:
        raise SaltInvocationError("the file name must be a non-empty path")
    if not os.path.isabs(name):
        raise SaltInvocationError(f"{name}: the file name must be an absolute path")
    path = os.path.realpath(name)
    if os.path.islink(name) and not follow_symlinks:
        raise CommandExecutionError(
            f"{name} is a symlink to {path}: not followed, as its settings (secrets too) would "
            "land in that file; replace the link by the file, or give follow_symlinks: True"
        )
    return path


def read(path, name):
    """Return ``(text, stat)`` of ``path``, or ``(None, None)`` when it does not exist."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        raise CommandExecutionError(f"{name}: cannot stat the file: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise CommandExecutionError(f"{name} is a directory, not an ini file")
    if not stat.S_ISREG(st.st_mode):
        raise CommandExecutionError(f"{name} is not a regular file")
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise CommandExecutionError(f"{name}: cannot read the file: {exc.strerror}") from None
    try:
        return data.decode("utf-8"), st
    except UnicodeDecodeError as exc:
        raise CommandExecutionError(
            f"{name}: not UTF-8 text (byte {exc.start}); not an ini file we can edit"
        ) from None


def load(name, missing_ok=False, follow_symlinks=False):
    """
    Return ``(path, text, stat)`` of the file ``name`` writes (see :func:`target`); ``text``
    and ``stat`` are None for a missing file. ``missing_ok``: a missing directory is not an
    error (a dry run before the package that makes it).
    """
    path = target(name, follow_symlinks)
    text, st = read(path, name)
    if st is None and not missing_ok:
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            raise CommandExecutionError(
                f"{name} does not exist and its directory {directory} does not exist either"
            )
    return path, text, st


def normalize_mode(mode):
    """
    Return ``mode`` as a four-digit octal string (``"0640"``), or None.

    Accepts ``"0640"``, ``"640"``, ``"0o640"`` and ints read like Salt's ``file.managed`` does
    (``640`` means ``0640``; quote modes in YAML).
    """
    if mode is None:
        return None
    text = str(mode).strip().strip("'\"").replace("0o", "0", 1).lstrip("0").zfill(4)
    if len(text) > 4 or any(c not in "01234567" for c in text):
        raise SaltInvocationError(f"mode {mode!r} is not an octal file mode like '0640'")
    return text


def _uid(user):
    if isinstance(user, int):
        return user
    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        raise SaltInvocationError(f"user {user!r} does not exist") from None


def _gid(group):
    if isinstance(group, int):
        return group
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise SaltInvocationError(f"group {group!r} does not exist") from None


def _user_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group_name(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _owner_id(lookup, name, missing_ok):
    """``lookup(name)``, or None when ``missing_ok`` and the user or group does not exist yet."""
    if name is None:
        return None
    try:
        return lookup(name)
    except SaltInvocationError:
        if missing_ok:
            return None
        raise


def plan_attrs(st, user, group, mode, missing_ok=False):
    """
    Return ``(uid, gid, mode_int, changes)``; None for what is left as it is. ``missing_ok``: a
    user or group that does not exist yet is reported as a change instead of an error.
    """
    uid = _owner_id(_uid, user, missing_ok)
    gid = _owner_id(_gid, group, missing_ok)
    mode = normalize_mode(mode)
    changes = {}
    old_user = _user_name(st.st_uid) if st else None
    old_group = _group_name(st.st_gid) if st else None
    old_mode = f"{stat.S_IMODE(st.st_mode):04o}" if st else None
    if user is not None and uid is None:
        changes["user"] = {"old": old_user, "new": str(user)}
    elif uid is not None and (st is None or st.st_uid != uid):
        changes["user"] = {"old": old_user, "new": _user_name(uid)}
    if group is not None and gid is None:
        changes["group"] = {"old": old_group, "new": str(group)}
    elif gid is not None and (st is None or st.st_gid != gid):
        changes["group"] = {"old": old_group, "new": _group_name(gid)}
    if mode is not None and old_mode != mode:
        changes["mode"] = {"old": old_mode, "new": mode}
    return uid, gid, int(mode, 8) if mode else None, changes


class ConcurrentChange(CommandExecutionError):
    """The file changed between our read and our rename."""


_UNCHECKED = object()


def write(path, name, text, st, uid, gid, mode, expected=_UNCHECKED):
    """
    Write ``text`` to ``path`` through a temp file + rename; keep or set owner and mode.

    ``expected``: the text read before the edit (None: the file did not exist). Just before the
    rename the file is read again; if it is not that any more, :class:`ConcurrentChange` is
    raised and nothing is written.
    """
    directory, base = os.path.split(path)
    tmp = None
    try:
        for _ in range(10):
            candidate = os.path.join(directory, f".{base}.{_random.token_hex(4)}.tmp")
            try:
                fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            tmp = candidate
            break
        else:
            raise CommandExecutionError(f"{name}: cannot pick a temporary file name")
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        if st is not None:
            uid = st.st_uid if uid is None else uid
            gid = st.st_gid if gid is None else gid
            mode = stat.S_IMODE(st.st_mode) if mode is None else mode
        elif mode is None:
            mode = 0o666 & ~_umask()
        if uid is not None or gid is not None:
            os.chown(tmp, -1 if uid is None else uid, -1 if gid is None else gid)
        os.chmod(tmp, mode)
        if expected is not _UNCHECKED and read(path, name)[0] != expected:
            raise ConcurrentChange(f"{name} was changed by someone else while being edited")
        os.rename(tmp, path)
        tmp = None
    except OSError as exc:
        raise CommandExecutionError(f"{name}: cannot write the file: {exc.strerror}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _umask():
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current


def set_attrs(path, name, uid, gid, mode):
    try:
        if uid is not None or gid is not None:
            os.chown(path, -1 if uid is None else uid, -1 if gid is None else gid)
        if mode is not None:
            os.chmod(path, mode)
    except OSError as exc:
        raise CommandExecutionError(f"{name}: cannot set owner or mode: {exc.strerror}") from None


class Edit:
    """
    One planned edit of a file: what was read (``text``, ``st``), the document with the
    edits recorded (``doc``), the owner/mode plan (``attrs``: uid, gid, mode, changes) and the
    changes to report. ``replan()`` reads and plans the same ask again (after another writer).
    Its ``repr`` names the file and the changed keys only: no value, so no secret.
    """

    __slots__ = (
        "attrs",
        "changes",
        "doc",
        "name",
        "path",
        "replan",
        "st",
        "text",
        "text_changes",
        "where",
        "written",
    )

    def __init__(self, name, path, where, text, st, doc, text_changes, attrs, replan):
        self.name = name
        self.path = path
        self.where = where
        self.text = text
        self.st = st
        self.doc = doc
        self.text_changes = text_changes
        self.attrs = attrs
        self.replan = replan
        self.written = None  # the text written by commit
        changes = dict(text_changes)
        if attrs is not None:  # an edit that may create the file and set its owner and mode
            if st is None:
                changes = {"file": {"old": None, "new": "created"}, **changes}
            changes.update(attrs[3])
        elif st is None:  # nothing to remove from a missing file
            changes = {}
        self.changes = changes

    def __repr__(self):
        return f"<ini edit of {self.where}: {', '.join(self.changes) or 'nothing to change'}>"


def edit(name, path, where, text, st, doc, text_changes, attrs, replan):
    """Wrap a planned edit (see :class:`Edit`); ``attrs`` None for a removal."""
    return Edit(name, path, where, text, st, doc, text_changes, attrs, replan)


def _apply(planned):
    uid, gid, mode, attr_changes = planned.attrs or (None, None, None, {})
    if not planned.changes:  # another writer's text already says it all
        planned.written = planned.text
        return planned
    if planned.st is None or planned.text_changes:
        planned.written = planned.doc.render()
        write(
            planned.path,
            planned.where,
            planned.written,
            planned.st,
            uid,
            gid,
            mode,
            expected=planned.text,
        )
    else:
        planned.written = planned.text
        set_attrs(
            planned.path,
            planned.where,
            uid if "user" in attr_changes else None,
            gid if "group" in attr_changes else None,
            mode if "mode" in attr_changes else None,
        )
    log.debug("openstack_ini: updated %s: %s", planned.where, ", ".join(planned.changes))
    return planned


def commit(planned):
    """
    Write what ``planned`` calls for, once; return the edit written (its ``changes`` are the
    answer). When the file changed under it, the edit is read and planned again from the other
    writer's text and written; a second change fails the call and writes nothing.
    """
    try:
        return _apply(planned)
    except ConcurrentChange:
        log.warning("openstack_ini: %s changed while being edited; editing it again", planned.name)
    try:
        return _apply(planned.replan())
    except ConcurrentChange:
        raise CommandExecutionError(
            f"{planned.name} was changed by someone else twice while being edited; not written, "
            "the other writes are kept: apply again"
        ) from None


def verify(committed):
    """
    Read the file once more after :func:`commit`; return the changes still to make (``{}``:
    it holds what was written, with the owner and mode planned). Only when it does not is
    the ask planned again, to say which keys differ.
    """
    text, st = read(committed.path, committed.where)
    uid, gid, mode, _ = committed.attrs or (None, None, None, {})
    if (
        text == committed.written
        and (uid is None or st.st_uid == uid)
        and (gid is None or st.st_gid == gid)
        and (mode is None or stat.S_IMODE(st.st_mode) == mode)
    ):
        return {}
    return committed.replan().changes
