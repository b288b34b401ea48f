"""
Print one node's compiled highstate as JSON (``make show NODE=cn44.internal``).

Masterless against the checkout: ``salt-call --local --id NODE
state.show_highstate`` from the repo root, so the Saltfile's configuration
(etc/salt) applies. Read-only: nothing is changed on this machine and no secret
is ever made; without pillar/secrets.yaml it says to run ``make secrets`` and
fails. Secret values are masked in the JSON as the state output masks them
(``***``): the values of secret-looking keys (password, token, connection ...)
and every occurrence of a value from pillar/secrets.yaml. A node outside the
inventory has no role: this says so and prints its empty highstate.
"""

import json
import pathlib
import re
import subprocess
import sys

from _utils import ini_secret
from tools import make_secrets

REPO = pathlib.Path(__file__).resolve().parent.parent
SALT_CALL = pathlib.Path(sys.executable).parent / "salt-call"
SECRETS = REPO / "pillar" / "secrets.yaml"
MASK = ini_secret.MASK
MINION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class ShowError(Exception):
    """What keeps `make show` from showing; the message holds no secret."""


def is_secret_key(key):
    """True when a key's value is a secret by its name (the openstack_ini rule, one place)."""
    return ini_secret.is_secret(None, key)


def mask(data, values):
    """Return ``data`` with secret-named keys' values and every secret value replaced by ***."""
    if isinstance(data, dict):
        return {
            k: MASK
            if is_secret_key(k) and isinstance(v, (str, int, float)) and v != ""
            else mask(v, values)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [mask(item, values) for item in data]
    if isinstance(data, str):
        for value in values:
            data = data.replace(value, MASK)
    return data


def secret_values(path=SECRETS):
    """The values in pillar/secrets.yaml (to mask); refuses when there is none to read."""
    if not pathlib.Path(path).exists():
        raise ShowError(
            f"{path} does not exist: run `make secrets` first (make show never creates secrets)"
        )
    try:
        values = make_secrets.load(path)
    except make_secrets.SecretsFileError as exc:
        raise ShowError(str(exc)) from None
    # Longest first, so that no value is left half-masked inside a longer one.
    return sorted(set(values.values()), key=len, reverse=True)


def salt_call(node, values, *args):
    """Run salt-call masterless as ``node`` from the repo root; return its parsed JSON."""
    cmd = [str(SALT_CALL), "--id", node, "--out=json", "--log-level=quiet", *args]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    try:
        ret = json.loads(proc.stdout)["local"]
    except (ValueError, KeyError):
        ret = None
    # salt-call exits non-zero for an empty highstate too: only a non-mapping
    # answer (the list of errors, or no JSON at all) is a failure.
    if proc.returncode != 0 and not isinstance(ret, dict):
        text = "\n".join(ret) if isinstance(ret, list) else (proc.stderr or proc.stdout)
        raise ShowError(mask(text.strip(), values) or f"salt-call exited {proc.returncode}")
    return ret


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or not argv[0]:
        sys.stderr.write("usage: make show NODE=<minion id>, e.g. NODE=cn44.internal\n")
        return 2
    node = argv[0]
    if not MINION_ID.fullmatch(node):
        sys.stderr.write(
            f"{node!r} is not a minion id (letters, digits, '.', '-', '_'), e.g. cn44.internal\n"
        )
        return 2
    try:
        values = secret_values()
        role = salt_call(node, values, "grains.get", "role")
        high = salt_call(node, values, "state.show_highstate")
    except ShowError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    if not role:
        sys.stderr.write(
            f"{node}: not in the inventory (etc/salt/cluster.conf): no role, "
            "so its highstate is empty\n"
        )
    else:
        sys.stderr.write(f"{node}: role {role}, {len(high)} states\n")
    json.dump(mask(high, values), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
