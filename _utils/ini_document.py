"""
An OpenStack (oslo.config) ini file as text: read it, plan edits, render it. No I/O.

How a text is read and edited:

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
The ``openstack_ini`` execution module reaches these as ``__utils__["ini_document.<function>"]``:
:func:`validate_present` and :func:`validate_absent` check what is asked, :func:`parse` reads a
text into an :class:`IniDocument`, :func:`plan_present` and :func:`plan_absent` record in it
the edits that make the ask true and return the changes, ``IniDocument.render`` gives the new
text. Plain functions, no loader dunders: unit tests import this module directly.
"""

from salt.exceptions import CommandExecutionError, SaltInvocationError

# oslo_config.types.Boolean
TRUE_STRINGS = ("true", "1", "on", "yes")
FALSE_STRINGS = ("false", "0", "off", "no")


def _shown(section, key, value):
    return value


def parse(text, source="<text>"):
    """Read ``text`` (the contents of ``source``) into an :class:`IniDocument`."""
    return IniDocument(text, source=source)


def _scalar_text(value, where):
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise SaltInvocationError(
        f"{where}: unsupported value type {type(value).__name__} "
        "(use a string, number, boolean, list or dict)"
    )


def render_value(value, where="value"):
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


def value_matches(value, current):
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
        wanted = render_value(value).split(",") if value else []
        have = [item.strip() for item in current.split(",")] if current else []
        return have == wanted
    return current == render_value(value)


def validate_section(section):
    """
    Raise ``SaltInvocationError`` unless ``section`` can be written as a ``[section]`` header.
    """
    if not isinstance(section, str) or not section:
        raise SaltInvocationError(f"section name {section!r} must be a non-empty string")
    if "]" in section or "\n" in section or "\r" in section:
        raise SaltInvocationError(f"section name {section!r} contains ']' or a newline")
    if section != section.strip():
        raise SaltInvocationError(f"section name {section!r} starts or ends with whitespace")


def validate_key(section, key):
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


def validate_present(sections):
    """
    Check a ``{section: {key: value}}`` mapping; return ``{section: {key: text}}`` to write.
    """
    if not isinstance(sections, dict):
        raise SaltInvocationError("sections must be a mapping of {section: {key: value}}")
    rendered = {}
    for section, keys in sections.items():
        validate_section(section)
        if not isinstance(keys, dict):
            raise SaltInvocationError(f"[{section}]: settings must be a mapping of {{key: value}}")
        rendered[section] = {}
        for key, value in keys.items():
            validate_key(section, key)
            rendered[section][key] = render_value(value, f"{section}/{key}")
    return rendered


def validate_absent(sections):
    """
    Check a ``{section: [key, ...]}`` mapping; return it with every key list as a list.
    """
    if not isinstance(sections, dict):
        raise SaltInvocationError("sections must be a mapping of {section: [key, ...]}")
    checked = {}
    for section, keys in sections.items():
        validate_section(section)
        if isinstance(keys, str):
            keys = [keys]
        if not isinstance(keys, (list, tuple, set)):
            raise SaltInvocationError(f"[{section}]: keys to remove must be a list of key names")
        for key in keys:
            validate_key(section, key)
        checked[section] = list(keys)
    return checked


class _Key:
    """A key line: its ``key``, its ``value`` (continuation lines joined) and ``cont``, the
    indexes of its continuation lines."""

    __slots__ = ("cont", "key", "value")

    def __init__(self, key, value):
        self.key = key
        self.value = value
        self.cont = []


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
        self.texts = []  # every physical line's text, its line ending included
        self.blocks = {}  # section -> [[header_index, last_index], ...]
        self.keys = {}  # (section, key) -> [line indexes]
        self._key_lines = {}  # line index -> _Key, for the key lines only
        self._cont = set()  # indexes of continuation lines
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
        """
        Read ``text`` in one pass. Comment and blank lines (most of a packaged file) are only
        kept as text; key lines, continuation lines and headers are indexed.
        """
        raw_lines = text.split("\n")
        if raw_lines and raw_lines[-1] == "":
            raw_lines.pop()
        self.texts = [raw + "\n" for raw in raw_lines]
        if raw_lines and not text.endswith("\n"):
            self.texts[-1] = raw_lines[-1]
        blocks, keys, key_lines = self.blocks, self.keys, self._key_lines
        section = None
        current = None  # the _Key continuation lines belong to
        for index, raw in enumerate(raw_lines):
            first = raw[:1]
            if first in {"#", ";"}:  # a comment in column 0
                current = None
                continue
            body = raw.rstrip()
            if not body:  # blank
                current = None
            elif first in {" ", "\t"}:
                if current is not None:
                    current.cont.append(index)
                    self._cont.add(index)
                    current.value = current.value + "\n" + body.strip()
                elif body.lstrip()[0] not in "#;":
                    self._error(index + 1, "indented line does not continue a key")
            elif first == "[":
                if not body.endswith("]") or len(body) <= 2:
                    self._error(index + 1, "section header without a name or without ']'")
                if section is not None:
                    blocks[section][-1][1] = index - 1
                section = body[1:-1]
                blocks.setdefault(section, []).append([index, index])
                current = None
            else:
                split = _split_assignment(body)
                if split is None:
                    self._error(
                        index + 1, "expected 'key = value', a [section] header or a comment"
                    )
                key, pos = split
                if not key:
                    self._error(index + 1, "'=' without a key")
                if section is None:
                    self._error(index + 1, f"key {key!r} comes before any [section] header")
                current = key_lines[index] = _Key(key, body[pos + 1 :].strip())
                keys.setdefault((section, key), []).append(index)
        if section is not None:
            blocks[section][-1][1] = len(raw_lines) - 1

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
        return self._key_lines[found[-1]].value

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
        body = template.rstrip("\r\n")
        ending = template[len(body) :] or self.newline
        pos = _split_assignment(body)[1]
        head = body[: pos + 1]
        rest = body[pos + 1 :]
        gap = rest[: len(rest) - len(rest.lstrip())]
        if not rest.strip():  # "key =" or "key=": mirror the space before the separator
            gap = " " if head[:-1] != head[:-1].rstrip() else ""
        return (head + gap + text).rstrip() + ending

    def _drop(self, index):
        self._delete.add(index)
        self._delete.update(self._key_lines[index].cont)
        self._replace.pop(index, None)

    def _section_index(self, section):
        """
        ``section``'s lines indexed once (then cached): ``(commented, keylines)``, the last
        commented-out default of each key (all blocks) and the key/continuation lines of its
        last block, in file order. New keys then cost no scan.
        """
        index = self._index.get(section)
        if index is not None:
            return index
        commented = {}
        texts = self.texts
        for first, last in self.blocks[section]:
            for number in range(first + 1, last + 1):
                text = texts[number]
                if text[:1] in ("#", ";"):
                    split = _split_assignment(text[1:].strip())
                    if split:
                        commented[split[0]] = number
        first, last = self.blocks[section][-1]
        keylines = sorted(
            number for number in (*self._key_lines, *self._cont) if first <= number <= last
        )
        index = self._index[section] = (commented, keylines)
        return index

    def _anchor(self, section, key):
        """Index of the line a new ``section/key`` goes after."""
        commented, keylines = self._section_index(section)
        if key in commented:
            return commented[key]
        # The last live key line, else the last live non-blank line (the header at least).
        for number in reversed(keylines):
            if number not in self._delete:
                return number
        first, last = self.blocks[section][-1]
        for number in range(last, first, -1):
            if number not in self._delete and self.texts[number].strip():
                return number
        return first

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
            self._replace[found[-1]] = (self._line_for(key, text, self.texts[found[-1]]), text)
            self._delete.update(self._key_lines[found[-1]].cont)
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
        out = self.texts[:]
        for index, (new, _) in self._replace.items():
            out[index] = new
        for index in self._delete:
            out[index] = ""
        for index, new_lines in self._after.items():
            kept = "".join(new for new in new_lines if new is not None)
            if kept:
                out[index] = self._ended(out[index]) + kept
        text = "".join(out)
        for section, new_lines in self._new_sections.items():
            kept = "".join(new for new in new_lines if new is not None)
            if not kept:
                continue
            last_line = text[text.rfind("\n", 0, len(text) - 1) + 1 :]
            text = self._ended(text)
            if last_line.strip():
                text += self.newline
            text += f"[{section}]{self.newline}{kept}"
        return text

    def _ended(self, text):
        """``text`` with a line ending, unless empty (only a file's last line may lack one)."""
        return text + self.newline if text and not text.endswith("\n") else text


def plan_present(doc, sections, values=None, shown=_shown):
    """
    Record in ``doc`` the edits that make ``sections`` true; return the changes.

    ``sections`` is ``{section: {key: text}}`` from :func:`validate_present`; ``values`` the
    original values (for bool/list aware comparison), defaulting to the texts. ``shown(section,
    key, value)`` gives what the changes show of a value (``ini_secret.masker``: ``***`` for a
    secret).
    """
    changes = {}
    for section, keys in sections.items():
        for key, text in keys.items():
            wanted = values[section][key] if values else text
            current = doc.get(section, key)
            if current is not None and (current == text or value_matches(wanted, current)):
                continue
            old = doc.set(section, key, text)
            changes[f"{section}/{key}"] = {
                "old": shown(section, key, old),
                "new": shown(section, key, text),
            }
    return changes


def plan_absent(doc, sections, shown=_shown):
    """
    Record in ``doc`` the removal of every ``{section: [key, ...]}`` key; return the changes
    (old values as ``shown`` gives them, see :func:`plan_present`).
    """
    changes = {}
    for section, keys in sections.items():
        for key in keys:
            old = doc.remove(section, key)
            if old is not None:
                changes[f"{section}/{key}"] = {
                    "old": shown(section, key, old),
                    "new": None,
                }
    return changes
