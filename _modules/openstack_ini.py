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

:depends: POSIX (``pwd``, ``grp``)
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

    HAS_POSIX = True
except ImportError:  # pragma: no cover - Windows
    HAS_POSIX = False

__virtualname__ = "openstack_ini"
__func_alias__ = {"set_": "set"}

log = logging.getLogger(__name__)

MASK = "***"
SECRET_WORDS = ("password", "token", "secret")
SECRET_NAMES = ("connection", "transport_url")
SECRET_SUFFIXES = ("_connection",)

# oslo_config.types.Boolean
TRUE_STRINGS = ("true", "1", "on", "yes")
FALSE_STRINGS = ("false", "0", "off", "no")


def __virtual__():
    if not HAS_POSIX:
        return (False, "openstack_ini needs the POSIX pwd and grp modules")
    return __virtualname__


# ---------------------------------------------------------------------------------------------
# Pure logic: values, masking, parsing, editing. No I/O below this line until "File I/O".
# ---------------------------------------------------------------------------------------------


def _is_secret(section, key, secret_keys=None):
    """
    Tell whether the value of ``section/key`` must be masked.
    """
    name = str(key).lower()
    if name in SECRET_NAMES or name.endswith(SECRET_SUFFIXES):
        return True
    if any(word in name for word in SECRET_WORDS):
        return True
    if secret_keys:
        return key in secret_keys or f"{section}/{key}" in secret_keys
    return False


def _mask(section, key, value, secret_keys=None):
    """
    Return ``value``, or ``***`` when ``section/key`` is a secret (``None`` stays ``None``).
    """
    if value is None or not _is_secret(section, key, secret_keys):
        return value
    return MASK


def _scalar_text(value, where):
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise SaltInvocationError(
        f"{where}: unsupported value type {type(value).__name__} "
        "(use a string, number, boolean, list or dict)"
    )


def _render_value(value, where="value"):
    """
    Return the text oslo.config reads back as ``value``.

    ``where`` (``section/key``) only names the setting in error messages; the value itself is never
    put in a message.
    """
    if value is None:
        raise SaltInvocationError(
            f"{where}: value is empty (None); give a value, or use openstack_ini.absent "
            "to remove the key"
        )
    if isinstance(value, (list, tuple)):
        items = [_scalar_text(item, where) for item in value]
        if any("," in item for item in items):
            raise SaltInvocationError(f"{where}: a list item contains ',' (oslo splits on it)")
        text = ",".join(items)
    elif isinstance(value, dict):
        pairs = []
        for dkey, dval in value.items():
            dkey, dval = _scalar_text(dkey, where), _scalar_text(dval, where)
            if any(c in dkey + dval for c in ",") or ":" in dkey:
                raise SaltInvocationError(f"{where}: a dict key or value contains ',' or ':'")
            pairs.append(f"{dkey}:{dval}")
        text = ",".join(pairs)
    else:
        text = _scalar_text(value, where)
    if "\n" in text or "\r" in text:
        raise SaltInvocationError(f"{where}: value contains a newline")
    if "\0" in text:
        raise SaltInvocationError(f"{where}: value contains a NUL character")
    if text != text.strip():
        raise SaltInvocationError(
            f"{where}: value starts or ends with whitespace, which oslo.config strips"
        )
    return text


def _value_matches(value, current):
    """
    Tell whether the file's text ``current`` already says ``value``.

    Text is compared as written (surrounding spaces ignored); a bool the way oslo.config reads
    booleans; a list item by item.
    """
    if current is None:
        return False
    current = current.strip()
    if isinstance(value, bool):
        truthy = TRUE_STRINGS if value else FALSE_STRINGS
        return current.lower() in truthy
    if isinstance(value, (list, tuple)):
        wanted = _render_value(value).split(",") if value else []
        have = [item.strip() for item in current.split(",")] if current else []
        return have == wanted
    return current == _render_value(value)


def _validate_section(section):
    """
    Raise ``SaltInvocationError`` unless ``section`` can be written as a ``[section]`` header.
    """
    if not isinstance(section, str) or not section:
        raise SaltInvocationError(f"section name {section!r} must be a non-empty string")
    if "]" in section or "\n" in section or "\r" in section:
        raise SaltInvocationError(f"section name {section!r} contains ']' or a newline")
    if section != section.strip():
        raise SaltInvocationError(f"section name {section!r} starts or ends with whitespace")


def _validate_key(section, key):
    """
    Raise ``SaltInvocationError`` unless ``key`` can be written as ``key = value``.
    """
    if not isinstance(key, str) or not key.strip():
        raise SaltInvocationError(f"[{section}]: key {key!r} must be a non-empty string")
    if "\n" in key or "\r" in key:
        raise SaltInvocationError(f"[{section}]: key {key!r} contains a newline")
    if "=" in key or ":" in key:
        raise SaltInvocationError(
            f"[{section}]: key {key!r} contains '=' or ':', which separate key and value"
        )
    if key != key.strip():
        raise SaltInvocationError(f"[{section}]: key {key!r} starts or ends with whitespace")
    if key[0] in "#;[":
        raise SaltInvocationError(f"[{section}]: key {key!r} starts with '#', ';' or '['")


def _validate_present(sections):
    """
    Check a ``{section: {key: value}}`` mapping; return ``{section: {key: text}}`` to write.
    """
    if not isinstance(sections, dict):
        raise SaltInvocationError("sections must be a mapping of {section: {key: value}}")
    rendered = {}
    for section, keys in sections.items():
        _validate_section(section)
        if not isinstance(keys, dict):
            raise SaltInvocationError(f"[{section}]: settings must be a mapping of {{key: value}}")
        rendered[section] = {}
        for key, value in keys.items():
            _validate_key(section, key)
            rendered[section][key] = _render_value(value, f"{section}/{key}")
    return rendered


def _validate_absent(sections):
    """
    Check a ``{section: [key, ...]}`` mapping; return it with every key list as a list.
    """
    if not isinstance(sections, dict):
        raise SaltInvocationError("sections must be a mapping of {section: [key, ...]}")
    checked = {}
    for section, keys in sections.items():
        _validate_section(section)
        if isinstance(keys, str):
            keys = [keys]
        if not isinstance(keys, (list, tuple, set)):
            raise SaltInvocationError(f"[{section}]: keys to remove must be a list of key names")
        for key in keys:
            _validate_key(section, key)
        checked[section] = list(keys)
    return checked


class _Line:
    """One physical line: ``kind`` is blank, comment, section, key or cont (continuation)."""

    __slots__ = ("cont", "key", "kind", "section", "text", "value")

    def __init__(self, kind, text, section=None, key=None, value=None):
        self.kind = kind
        self.text = text
        self.section = section
        self.key = key
        self.value = value
        self.cont = []  # indexes of continuation lines of a key line


def _split_assignment(body):
    """Split ``key = value`` as oslo does: at the first ``=`` or ``:``. None if neither."""
    positions = [pos for pos in (body.find("="), body.find(":")) if pos >= 0]
    if not positions:
        return None
    pos = min(positions)
    return body[:pos].strip(), pos


class IniDocument:
    """
    An ini file as lines, with edits recorded and applied in one pass by :meth:`render`.

    Raises ``CommandExecutionError`` when the text is malformed (see the module docstring).
    Error messages give line numbers and key names, never a line's text (it may hold a secret).
    """

    def __init__(self, text="", source="<text>"):
        self.source = source
        self.newline = "\r\n" if "\r\n" in text.split("\n", 1)[0] + "\n" else "\n"
        self.lines = []
        self.blocks = {}  # section -> [[header_index, last_index], ...]
        self.keys = {}  # (section, key) -> [line indexes]
        self._replace = {}  # line index -> (new text, new value)
        self._delete = set()  # line indexes
        self._after = {}  # line index -> [new line text or None (dropped again)]
        self._new_sections = {}  # section -> [new line text or None]
        self._new = {}  # (section, key) -> (list in _after or _new_sections, position, value)
        self._index = {}  # section -> its lines indexed once, see _section_index
        self._parse(text)

    # -- parsing ------------------------------------------------------------------------------

    def _error(self, lineno, what):
        raise CommandExecutionError(f"{self.source} is malformed: line {lineno}: {what}")

    def _parse(self, text):  # noqa: PLR0912 - one branch per kind of ini line
        raw_lines = text.split("\n")
        if raw_lines and raw_lines[-1] == "":
            raw_lines.pop()
        last = len(raw_lines) - 1
        section = None
        current_key = None  # index of the key line continuation lines belong to
        for index, raw in enumerate(raw_lines):
            line_text = raw if index == last and not text.endswith("\n") else raw + "\n"
            body = raw.rstrip()
            lineno = index + 1
            if not body:
                line = _Line("blank", line_text, section)
                current_key = None
            elif body[0] in " \t":
                if current_key is not None:
                    line = _Line("cont", line_text, section)
                    owner = self.lines[current_key]
                    owner.cont.append(index)
                    owner.value = owner.value + "\n" + body.strip()
                elif body.lstrip()[0] in "#;":
                    line = _Line("comment", line_text, section)
                else:
                    self._error(lineno, "indented line does not continue a key")
            elif body[0] == "[":
                if not body.endswith("]") or len(body) <= 2:
                    self._error(lineno, "section header without a name or without ']'")
                section = body[1:-1]
                line = _Line("section", line_text, section)
                self.blocks.setdefault(section, []).append([index, index])
                current_key = None
            elif body[0] in "#;":
                line = _Line("comment", line_text, section)
                current_key = None
            else:
                split = _split_assignment(body)
                if split is None:
                    self._error(lineno, "expected 'key = value', a [section] header or a comment")
                key, pos = split
                if not key:
                    self._error(lineno, "'=' without a key")
                if section is None:
                    self._error(lineno, f"key {key!r} comes before any [section] header")
                line = _Line("key", line_text, section, key, body[pos + 1 :].strip())
                self.keys.setdefault((section, key), []).append(index)
                current_key = index
            self.lines.append(line)
            if section is not None:
                self.blocks[section][-1][1] = index

    # -- reading ------------------------------------------------------------------------------

    def sections(self):
        """Section names in file order (a repeated section once)."""
        return list(self.blocks)

    def get(self, section, key):
        """The value oslo.config reads for ``section/key`` (last occurrence), or None."""
        if (section, key) in self._new:
            return self._new[(section, key)][2]
        found = self._live(section, key)
        if not found:
            return None
        if found[-1] in self._replace:
            return self._replace[found[-1]][1]
        return self.lines[found[-1]].value

    def as_dict(self):
        """``{section: {key: value}}`` as oslo.config would read the rendered text."""
        names = list(self.keys) + list(self._new)
        result = {section: {} for section in [*self.blocks, *self._new_sections]}
        for section, key in names:
            value = self.get(section, key)
            if value is not None:
                result[section][key] = value
        return result

    def _live(self, section, key):
        return [i for i in self.keys.get((section, key), ()) if i not in self._delete]

    # -- editing ------------------------------------------------------------------------------

    def _line_for(self, key, text, template=None):
        """The text of ``key = text``, keeping the separator spacing of ``template``."""
        if template is None:
            return f"{key} = {text}".rstrip() + self.newline
        body = template.text.rstrip("\r\n")
        ending = template.text[len(body) :] or self.newline
        pos = _split_assignment(body)[1]
        head = body[: pos + 1]
        rest = body[pos + 1 :]
        gap = rest[: len(rest) - len(rest.lstrip())]
        if not rest.strip():  # "key =" or "key=": mirror the space before the separator
            gap = " " if head[:-1] != head[:-1].rstrip() else ""
        return (head + gap + text).rstrip() + ending

    def _drop(self, index):
        self._delete.add(index)
        self._delete.update(self.lines[index].cont)
        self._replace.pop(index, None)

    def _section_index(self, section):
        """
        ``section``'s lines indexed once (then cached): ``(commented, keylines, nonblank)`` with
        the last commented-out default of each key (all blocks), and the key/continuation lines
        and the non-blank lines of its last block, in file order. New keys then cost no scan.
        """
        index = self._index.get(section)
        if index is not None:
            return index
        commented = {}
        for first, last in self.blocks[section]:
            for number in range(first + 1, last + 1):
                line = self.lines[number]
                if line.kind == "comment" and line.text[:1] in "#;":
                    split = _split_assignment(line.text[1:].strip())
                    if split:
                        commented[split[0]] = number
        first, last = self.blocks[section][-1]
        keylines, nonblank = [], []
        for number in range(first, last + 1):
            kind = self.lines[number].kind
            if kind in ("key", "cont"):
                keylines.append(number)
            if kind != "blank":
                nonblank.append(number)
        index = self._index[section] = (commented, keylines, nonblank)
        return index

    def _anchor(self, section, key):
        """Index of the line a new ``section/key`` goes after."""
        commented, keylines, nonblank = self._section_index(section)
        if key in commented:
            return commented[key]
        # The last live key line, else the last live non-blank line (the header at least).
        for candidates in (keylines, nonblank):
            for number in reversed(candidates):
                if number not in self._delete:
                    return number
        return self.blocks[section][-1][0]

    def set(self, section, key, text):
        """Make ``section/key`` read ``text``. Returns the old value (None if new)."""
        old = self.get(section, key)
        if (section, key) in self._new:
            container, position, _ = self._new[(section, key)]
            container[position] = self._line_for(key, text)
            self._new[(section, key)] = (container, position, text)
            return old
        found = self._live(section, key)
        if found:
            for index in found[:-1]:
                self._drop(index)
            target = self.lines[found[-1]]
            self._replace[found[-1]] = (self._line_for(key, text, target), text)
            self._delete.update(target.cont)
            return old
        if section in self.blocks:
            container = self._after.setdefault(self._anchor(section, key), [])
        else:
            container = self._new_sections.setdefault(section, [])
        container.append(self._line_for(key, text))
        self._new[(section, key)] = (container, len(container) - 1, text)
        return None

    def remove(self, section, key):
        """Remove every ``section/key`` line. Returns the old value (None if absent)."""
        old = self.get(section, key)
        if (section, key) in self._new:
            container, position, _ = self._new.pop((section, key))
            container[position] = None
        for index in self._live(section, key):
            self._drop(index)
        return old

    def render(self):
        """The text of the file with every recorded edit applied."""
        out = []
        for index, line in enumerate(self.lines):
            if index not in self._delete:
                out.append(self._replace[index][0] if index in self._replace else line.text)
            out.extend(new for new in self._after.get(index, ()) if new is not None)
        for section, new_lines in self._new_sections.items():
            kept = [new for new in new_lines if new is not None]
            if not kept:
                continue
            if out and out[-1].strip():
                if not out[-1].endswith("\n"):
                    out[-1] += self.newline
                out.append(self.newline)
            out.append(f"[{section}]{self.newline}")
            out.extend(kept)
        for index in range(len(out) - 1):
            if not out[index].endswith("\n"):
                out[index] += self.newline
        return "".join(out)


def _plan_present(doc, sections, values=None, secret_keys=None):
    """
    Record in ``doc`` the edits that make ``sections`` true; return the masked changes.

    ``sections`` is ``{section: {key: text}}`` from :func:`_validate_present`; ``values`` the
    original values (for bool/list aware comparison), defaulting to the texts.
    """
    changes = {}
    for section, keys in sections.items():
        for key, text in keys.items():
            wanted = values[section][key] if values else text
            current = doc.get(section, key)
            if current is not None and (current == text or _value_matches(wanted, current)):
                continue
            old = doc.set(section, key, text)
            changes[f"{section}/{key}"] = {
                "old": _mask(section, key, old, secret_keys),
                "new": _mask(section, key, text, secret_keys),
            }
    return changes


def _plan_absent(doc, sections, secret_keys=None):
    """
    Record in ``doc`` the removal of every ``{section: [key, ...]}`` key; return masked changes.
    """
    changes = {}
    for section, keys in sections.items():
        for key in keys:
            old = doc.remove(section, key)
            if old is not None:
                changes[f"{section}/{key}"] = {
                    "old": _mask(section, key, old, secret_keys),
                    "new": None,
                }
    return changes


# ---------------------------------------------------------------------------------------------
# File I/O
# ---------------------------------------------------------------------------------------------


def _target(name, follow_symlinks=False):
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


def _read(path, name):
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


def _load(name, missing_ok=False, follow_symlinks=False):
    """
    Return ``(path, doc, stat, text)``; ``doc`` is empty, ``stat`` and ``text`` None for a
    missing file.
    ``missing_ok``: a missing directory is not an error (see :func:`apply`).
    """
    path = _target(name, follow_symlinks)
    text, st = _read(path, name)
    if st is None and not missing_ok:
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            raise CommandExecutionError(
                f"{name} does not exist and its directory {directory} does not exist either"
            )
    return path, IniDocument(text or "", source=name), st, text


def _normalize_mode(mode):
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


def _plan_attrs(st, user, group, mode, missing_ok=False):
    """
    Return ``(uid, gid, mode_int, changes)``; None for what is left as it is. ``missing_ok``: a
    user or group that does not exist yet is reported as a change instead of an error.
    """
    uid = _owner_id(_uid, user, missing_ok)
    gid = _owner_id(_gid, group, missing_ok)
    mode = _normalize_mode(mode)
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


class _ConcurrentChange(CommandExecutionError):
    """The file changed between our read and our rename."""


_UNCHECKED = object()


def _write(path, name, text, st, uid, gid, mode, expected=_UNCHECKED):
    """
    Write ``text`` to ``path`` through a temp file + rename; keep or set owner and mode.

    ``expected``: the text read before the edit (None: the file did not exist). Just before the
    rename the file is read again; if it is not that any more, :class:`_ConcurrentChange` is
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
        if expected is not _UNCHECKED and _read(path, name)[0] != expected:
            raise _ConcurrentChange(f"{name} was changed by someone else while being edited")
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


def _set_attrs(path, name, uid, gid, mode):
    try:
        if uid is not None or gid is not None:
            os.chown(path, -1 if uid is None else uid, -1 if gid is None else gid)
        if mode is not None:
            os.chmod(path, mode)
    except OSError as exc:
        raise CommandExecutionError(f"{name}: cannot set owner or mode: {exc.strerror}") from None


def _commit(path, name, doc, st, attrs, changes, test, expected=_UNCHECKED):
    """
    Write what ``doc`` and ``attrs`` call for, unless ``test``. Returns ``changes``.
    ``expected``: see :func:`_write`.
    """
    uid, gid, mode, attr_changes = attrs
    text_changes = dict(changes)
    if st is None:
        changes = {"file": {"old": None, "new": "created"}, **changes}
    changes.update(attr_changes)
    if test or not changes:
        return changes
    if st is None or text_changes:
        _write(path, name, doc.render(), st, uid, gid, mode, expected)
    else:
        _set_attrs(
            path,
            name,
            uid if "user" in attr_changes else None,
            gid if "group" in attr_changes else None,
            mode if "mode" in attr_changes else None,
        )
    log.debug("openstack_ini: updated %s: %s", name, ", ".join(changes))
    return changes


# ---------------------------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------------------------


def target(name, follow_symlinks=False):
    """
    The file that writing ``name`` writes: ``name`` itself, or with ``follow_symlinks`` the
    target of the link it is (a link is refused otherwise).

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_ini.target /etc/nova/nova.conf follow_symlinks=True
    """
    return _target(name, follow_symlinks)


def get(name, section, key, default=None):
    """
    Return the value of ``key`` in ``[section]`` of the ini file ``name`` (as oslo.config
    reads it: the last occurrence), or ``default`` when the key or the file is missing.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_ini.get /etc/nova/nova.conf DEFAULT my_ip
    """
    path = _target(name, follow_symlinks=True)  # reading through a link writes nothing
    text, st = _read(path, name)
    if st is None:
        return default
    value = IniDocument(text, source=name).get(section, key)
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
    secret_keys = _secret_list(secret_keys)
    rendered = _validate_present(sections)
    missing_ok = bool(missing_ok and test)

    def edit():
        path, doc, st, text = _load(name, missing_ok, follow_symlinks)
        where = name if path == name else f"{name} (the file {path})"
        changes = _plan_present(doc, rendered, values=sections, secret_keys=secret_keys)
        file_mode = mode
        if mode is None and _holds_secret(rendered, secret_keys):
            if st is None:
                file_mode = "0640" if group is not None else "0600"
            elif any(_is_secret(*key.split("/", 1), secret_keys) for key in changes):
                # A secret written into a file others (or an unnamed group) may read.
                closed = 0o027 if group is not None else 0o077
                file_mode = f"{stat.S_IMODE(st.st_mode) & ~closed:04o}"
        attrs = _plan_attrs(st, user, group, file_mode, missing_ok)
        return _commit(path, where, doc, st, attrs, changes, test, expected=text)

    return _retry_once(name, edit)


def _holds_secret(rendered, secret_keys):
    """Tell whether a ``{section: {key: text}}`` mapping sets a key whose value is masked."""
    return any(
        _is_secret(section, key, secret_keys) for section, keys in rendered.items() for key in keys
    )


def _retry_once(name, edit):
    """
    Run ``edit`` (read, plan, write); once more when the file changed under it (the second
    run starts from the other writer's text). A second change fails the call.
    """
    try:
        return edit()
    except _ConcurrentChange:
        log.warning("openstack_ini: %s changed while being edited; editing it again", name)
    try:
        return edit()
    except _ConcurrentChange:
        raise CommandExecutionError(
            f"{name} was changed by someone else twice while being edited; not written, "
            "the other writes are kept: apply again"
        ) from None


def discard(name, sections, secret_keys=None, test=False, follow_symlinks=False):
    """
    Remove every key of a ``{section: [key, ...]}`` mapping from the ini file ``name``; return
    the changes. Comments (commented-out defaults included) and other keys stay. A missing file
    has nothing to remove. With ``test=True`` nothing is written.

    CLI Example:

    .. code-block:: bash

        salt '*' openstack_ini.discard /etc/nova/nova.conf '{DEFAULT: [verbose, debug]}'
    """
    secret_keys = _secret_list(secret_keys)
    checked = _validate_absent(sections)

    def edit():
        path = _target(name, follow_symlinks)
        text, st = _read(path, name)
        if st is None:
            return {}
        doc = IniDocument(text, source=name)
        changes = _plan_absent(doc, checked, secret_keys=secret_keys)
        if changes and not test:
            _write(path, name, doc.render(), st, None, None, None, expected=text)
            log.debug("openstack_ini: updated %s: removed %s", name, ", ".join(changes))
        return changes

    return _retry_once(name, edit)


def _secret_list(secret_keys):
    if secret_keys is None:
        return ()
    if isinstance(secret_keys, str):
        return (secret_keys,)
    if not isinstance(secret_keys, (list, tuple, set)) or not all(
        isinstance(item, str) for item in secret_keys
    ):
        raise SaltInvocationError("secret_keys must be a list of 'key' or 'section/key' names")
    return tuple(secret_keys)
