"""
Masterless ``salt-call`` in a copy of the checkout (tests/support/checkout.py), as a node:
the compute nodes' grains stand in through static grains, and compiled states are read back.

Used by the highstate tests (tests/functional/test_compute_highstate.py and the tests that
compile other SLS files the same way) and by bench/bench_firewall.py.
"""

import json
import pathlib
import subprocess
import sys

import yaml

SALT_CALL = str(pathlib.Path(sys.executable).parent / "salt-call")
# cn44's is the runbook's (HWADDR=00:30:48:C9:A2:4A); the others are made up.
MACS = {
    "cn44.internal": "00:30:48:c9:a2:4a",
    "cn45.internal": "52:54:00:00:00:45",
    "cn46.internal": "52:54:00:00:00:46",
    "cn47.internal": "52:54:00:00:00:47",
}
# The runbook's platform. tests/functional/test_os_release_data.py compiles CentOS 7 too.
REDHAT = {"os_family": "RedHat", "os": "Fedora", "osmajorrelease": 19}


def salt_call(checkout, node, *args, grains=None, env=None):
    """
    Run salt-call masterless as ``node`` with ``grains`` as static grains (and ``env`` as its
    environment); return its exit code and JSON.
    """
    grains_file = checkout / "etc" / "salt" / "grains"
    if grains:
        grains_file.write_text(yaml.safe_dump(grains))
    else:
        grains_file.unlink(missing_ok=True)
    try:
        proc = subprocess.run(
            [SALT_CALL, "--id", node, "--out=json", "--log-level=quiet", *args],
            cwd=checkout,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        grains_file.unlink(missing_ok=True)
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)["local"]


def args_of(high, state_id):
    """The arguments of one state in a compiled highstate: (function, {arg: value})."""
    body = high[state_id]
    module = next(key for key in body if not key.startswith("__"))
    fun = next(item for item in body[module] if isinstance(item, str))
    args = {}
    for item in body[module]:
        if isinstance(item, dict):
            args.update(item)
    return f"{module}.{fun}", args


def node_grains(node):
    """A compute node's grains: the runbook's platform and its em1 MAC address."""
    return {**REDHAT, "hwaddr_interfaces": {"lo": "00:00:00:00:00:00", "em1": MACS[node]}}
