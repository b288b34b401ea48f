"""
The requirement files the head's Salt installs into its own Python (salt_pip_requirements in
salt/parameters, installed by requirements_installed of salt/macros.jinja): where they are and
what they pin.
"""

from dataclasses import dataclass

import yaml

from _states.salt_python import _pins
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
    """The pins of a requirements file as the state reads them (_states/salt_python.py)."""
    return [Pin(*pin) for pin in _pins(path.read_text())]


def write_old_keystone_pins(target):
    """
    keystone-salt-requirements.txt as it would be with the pin of keystoneauth1 before the fix
    (5.18.1 with its wheel's sha256: it requires Python >= 3.11 and stevedore >= 5.9.1).
    """
    text = (PARAMETERS / "keystone-salt-requirements.txt").read_text()
    start = text.index("keystoneauth1==")
    end = text.index("\n", text.index("--hash", start))
    target.write_text(
        text[:start]
        + "keystoneauth1==5.18.1 \\\n    --hash=sha256:"
        + "2440f1f29e4aaaaf771893e8da7c098ca27548210dc13e964b53fd2aaaedd6b0"
        + text[end:]
    )
    return target
