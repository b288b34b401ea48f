"""
The secrets' format and the grammar of pillar/secrets.yaml, in one place.

A secret is 10 random bytes as 20 lower-case hex digits, as ``make secrets`` makes them (the
runbook's ``openssl rand -hex 10``); a secret's name is a Python-like identifier. The file
holds comments, blank lines and one ``name: <value>`` per line (name and value optionally
quoted), each name once. It is checked line by line, never parsed as YAML, and read as
bytes: a byte that is not UTF-8 fails its line like any other character that is not part of
a name or a value. A message names the file, the line and the key, never a value.

Readers: tools/make_secrets.py (and through it tools/show.py), pillar/lib/secrets.jinja
(through ``hltcloud.secrets_file``) and the schema (``_utils/hltcloud_schema.py``). Reached as
``__utils__["hltcloud_secrets.<function>"]``; pure Python, also imported from the checkout.
"""

import re

BYTES = 10
LENGTH = 2 * BYTES
WHAT = f"{LENGTH} hex digits (0-9, a-f)"
NAME = r"[A-Za-z_][A-Za-z0-9_]*"
HEX = rf"[0-9a-f]{{{LENGTH}}}"
VALUE = re.compile(rf"^{HEX}$")
_LINE = re.compile(rf"^(?:'({NAME})'|\"({NAME})\"|({NAME}))[ \t]*:(.*)$")
_VALUE = re.compile(rf"^(?:[ \t]+(?:'({HEX})'|\"({HEX})\"|({HEX}))(?:[ \t]+#.*)?)[ \t]*$")


class SecretsFileError(Exception):
    """The secrets file cannot be used; the message names file, line and key, never a value."""


def is_secret(value):
    """True when ``value`` is a well-formed secret (a str of :data:`LENGTH` lower-case hex)."""
    return isinstance(value, str) and VALUE.match(value) is not None


def parse(text, where):
    """
    Return {name: value} from the text of a secrets file, checked line by line.
    Raise :class:`SecretsFileError` for the first line that is not ``name: <value>``,
    a comment or blank, or that repeats a name.
    """
    values, first_line = {}, {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        at = f"{where}, line {number}"
        parts = _LINE.match(line)
        if not parts:
            raise SecretsFileError(
                f"{at}: expected one secret per line as `name: <{LENGTH} hex digits>`. "
                "Fix or delete that line, then run `make secrets`."
            )
        name = parts[1] or parts[2] or parts[3]
        value = _VALUE.match(parts[4])
        if name in first_line:
            raise SecretsFileError(
                f"{at}: secret '{name}' is given twice (also on line {first_line[name]}). "
                "Delete one of them."
            )
        if not value:
            raise SecretsFileError(
                f"{at}: secret '{name}' is not a string of {WHAT}. "
                "Delete that line and run `make secrets` to generate it."
            )
        first_line[name] = number
        values[name] = value[1] or value[2] or value[3]
    return values


def decode(data):
    """The text of the file's bytes: a byte that is not UTF-8 becomes U+FFFD, which no name
    or value matches, so its line is refused by name."""
    return data.decode("utf-8", "replace")


def read(path):
    """
    ``{"secrets": {name: value}, "error": None}`` from the file at ``path``, or
    ``{"secrets": {}, "error": "<one line>"}``; never raises, never shows a value.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return {"secrets": {}, "error": f"{path}: cannot read it ({exc.strerror})."}
    try:
        return {"secrets": parse(decode(data), path), "error": None}
    except SecretsFileError as exc:
        return {"secrets": {}, "error": str(exc)}
