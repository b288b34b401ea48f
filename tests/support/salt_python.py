"""
The requirement files the head's Salt installs into its own Python (salt_pip_requirements in
salt/parameters, installed by salt/salt_python.jinja): where they are and what they pin.
"""

import re
from dataclasses import dataclass

import yaml

from tests.support.localcluster import REPO

SALT = REPO / "salt"
PARAMETERS = SALT / "parameters"
KEY = "salt_pip_requirements"


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    hashes: tuple


def requirement_files():
    """
    {"<parameters file>:<formula>": path under salt/} for every salt_pip_requirements in
    salt/parameters' YAML files (defaults.yaml, and any os_family or os override).
    """
    found = {}

    def walk(node, where):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == KEY:
                    found[where] = value
                else:
                    walk(value, f"{where}:{key}")

    for data_file in sorted(PARAMETERS.glob("*.yaml")):
        walk(yaml.safe_load(data_file.read_text()) or {}, data_file.name)
    return found


def pins(path):
    """
    The pins of a requirements file, in order: one :class:`Pin` a requirement line (its
    ``\\`` continuations joined). A line that is not ``name==version`` followed only by
    ``--hash=sha256:...`` options raises ValueError (hash-checking mode needs exactly that).
    """
    text = re.sub(r"\\\n", " ", path.read_text())
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        spec, *options = line.split()
        name, sep, version = spec.partition("==")
        hashes = tuple(o.removeprefix("--hash=sha256:") for o in options)
        if (
            not sep
            or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name)
            or not re.fullmatch(r"[0-9][A-Za-z0-9.+!-]*", version)
            or not hashes
            or any(not o.startswith("--hash=sha256:") for o in options)
            or any(not re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes)
        ):
            raise ValueError(f"{path.name}:{number}: not 'name==version --hash=sha256:...': {line}")
        found.append(Pin(name, version, hashes))
    return found
