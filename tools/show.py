"""
Print one node's compiled highstate as JSON (``make show NODE=cn44.internal``).

Masterless against the checkout: ``salt-call --local --id NODE
state.show_highstate`` from the repo root, so the Saltfile's configuration
(etc/salt) applies. Nothing is changed on this machine. A node outside the
inventory has no role: this says so and prints its empty highstate.
"""

import json
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent
SALT_CALL = pathlib.Path(sys.executable).parent / "salt-call"


def salt_call(node, *args):
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
        sys.stderr.write(proc.stderr or proc.stdout)
        raise SystemExit(proc.returncode or 1)
    return ret


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or not argv[0]:
        sys.stderr.write("usage: make show NODE=<minion id>, e.g. NODE=cn44.internal\n")
        return 2
    node = argv[0]
    role = salt_call(node, "grains.get", "role")
    high = salt_call(node, "state.show_highstate")
    if not role:
        sys.stderr.write(
            f"{node}: not in the inventory (etc/salt/cluster.conf): no role, "
            "so its highstate is empty\n"
        )
    else:
        sys.stderr.write(f"{node}: role {role}, {len(high)} states\n")
    json.dump(high, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
