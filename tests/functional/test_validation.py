"""
Bad inventory or pillar data, end to end: the real salt-call in a copy of the checkout,
as an admin runs it. The master-side check (the hltcloud_validate ext_pillar) refuses
the run with one line naming the key, no traceback, no state runs; the first state of
the highstate (salt/validate.sls) stops a run whose pillar was not checked.
"""

import json
import pathlib
import re
import subprocess
import sys

import pytest

from tests.support.checkout import checkout_with_secrets

pytestmark = pytest.mark.slow

PY = sys.executable
SALT_CALL = str(pathlib.Path(PY).parent / "salt-call")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    checkout = checkout_with_secrets(tmp_path_factory.mktemp("validation") / "hlt-cloud")
    return checkout


@pytest.fixture
def checkout(pristine, tmp_path):
    """A fresh copy of the prepared checkout for one case (its own salt root)."""
    import shutil  # pylint: disable=import-outside-toplevel

    target = tmp_path / "hlt-cloud"
    shutil.copytree(pristine, target, symlinks=True, ignore=shutil.ignore_patterns(".salt-root"))
    minion = target / "etc/salt/minion"
    minion.write_text(
        re.sub(r"\nroot_dir: .*\n", f"\nroot_dir: {target / '.salt-root'}\n", minion.read_text())
    )
    return target


def _edit(path, old, new):
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def _mtimes(checkout):
    """
    Every file of the checkout but Salt's own caches: the copy's root_dir (.salt-root) and
    the Saltfile's salt-call cachedir under the git-ignored .local/ (Salt 3006.8 makes it
    there).
    """
    return {
        p: p.stat().st_mtime_ns
        for p in checkout.rglob("*")
        if not {".salt-root", ".local"} & set(p.relative_to(checkout).parts)
    }


def _apply(checkout, *args, node="cn44.internal"):
    return subprocess.run(
        [SALT_CALL, "--id", node, "--out=json", "--log-level=quiet", "state.apply", *args],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
    )


CONF = "etc/salt/cluster.conf"
FLAT = "pillar/flat_network.yaml"
CASES = {
    "ip-not-ipv4": (
        CONF,
        "cn45: {role: compute, ip: 10.162.128.65}",
        "cn45: {role: compute, ip: 10.162.128.300}",
        "hltcloud_inventory:nodes:cn45:ip: '10.162.128.300' is not an IPv4 address",
    ),
    "ip-with-a-shell-command": (
        CONF,
        "cn45: {role: compute, ip: 10.162.128.65}",
        "cn45: {role: compute, ip: '127.0.0.1; rm -rf /'}",
        "hltcloud_inventory:nodes:cn45:ip: '127.0.0.1; rm -rf /' is not an IPv4 address",
    ),
    "node-without-ip": (
        CONF,
        "cn45: {role: compute, ip: 10.162.128.65}",
        "cn45: {role: compute}",
        "hltcloud_inventory:nodes:cn45:ip: is missing: the head's firewall lets the nodes",
    ),
    "role-typo": (
        CONF,
        "cn45: {role: compute, ip: 10.162.128.65}",
        "cn45: {role: comptue, ip: 10.162.128.65}",
        "hltcloud_inventory:nodes:cn45:role: 'comptue' is not a role (head or compute)",
    ),
    "empty-node-entry": (
        CONF,
        "cn45: {role: compute, ip: 10.162.128.65}",
        "cn45:",
        "hltcloud_inventory:nodes:cn45: is empty",
    ),
    "two-heads": (
        CONF,
        "cn45: {role: compute, ip: 10.162.128.65}",
        "cn45: {role: head, ip: 10.162.128.65}",
        "hltcloud_inventory:nodes: exactly one node must have role head, found cn43, cn45",
    ),
    "bad-flat-cidr": (
        FLAT,
        "cidr: 203.0.113.24/29",
        "cidr: 203.0.113.24/40",
        "flat_network:cidr: '203.0.113.24/40' is not a valid IPv4 CIDR",
    ),
    "multi-host-as-a-string": (
        FLAT,
        "multi_host: true",
        'multi_host: "True"',
        "flat_network:multi_host: 'True' is not a boolean",
    ),
    "nodes-as-a-list": (
        CONF,
        "    cn43: {role: head, ip: 10.162.128.63}\n"
        "    cn44: {role: compute, ip: 10.162.128.64}\n"
        "    cn45: {role: compute, ip: 10.162.128.65}\n"
        "    cn46: {role: compute, ip: 10.162.128.66}\n"
        "    cn47: {role: compute, ip: 10.162.128.67}",
        "    - cn43: {role: head, ip: 10.162.128.63}\n"
        "    - cn44: {role: compute, ip: 10.162.128.64}\n"
        "    - cn45: {role: compute, ip: 10.162.128.65}\n"
        "    - cn46: {role: compute, ip: 10.162.128.66}\n"
        "    - cn47: {role: compute, ip: 10.162.128.67}",
        "hltcloud_inventory:nodes: must be a mapping (one entry per node), not list",
    ),
    "bridge-is-the-physical-interface": (
        CONF,
        "bridge: br100 ",
        "bridge: em1 ",
        "hltcloud_inventory:interfaces:bridge: 'em1' is also the physical interface",
    ),
    "overlapping-networks": (
        CONF,
        "cidr: 10.162.130.0/24",
        "cidr: 10.162.0.0/16",
        "hltcloud_inventory:networks:mgmt:cidr: 10.162.128.0/24 overlaps network ib",
    ),
    "node-named-like-another-nodes-ipmi-host": (
        CONF,
        "cn45: {role: compute, ip: 10.162.128.65}",
        "cn44-mgmt: {role: compute, ip: 10.162.128.65}",
        "hltcloud_inventory:nodes:cn44-mgmt: is also the mgmt host name of node cn44",
    ),
    "flat-network-on-the-nodes-lan": (
        FLAT,
        "cidr: 203.0.113.24/29",
        "cidr: 10.162.128.200/29",
        "flat_network:cidr: 10.162.128.200/29 overlaps the inventory's network mgmt",
    ),
    "role-as-a-list": (
        CONF,
        "cn45: {role: compute, ip: 10.162.128.65}",
        "cn45: {role: [compute], ip: 10.162.128.65}",
        "hltcloud_inventory:nodes:cn45:role: ['compute'] is not a role (head or compute)",
    ),
    "role-as-a-mapping": (
        CONF,
        "cn45: {role: compute, ip: 10.162.128.65}",
        "cn45: {role: {compute: true}, ip: 10.162.128.65}",
        "hltcloud_inventory:nodes:cn45:role: {'compute': True} is not a role (head or compute)",
    ),
    "integer-node-name": (
        CONF,
        "cn45: {role: compute, ip: 10.162.128.65}",
        "45: {role: compute, ip: 10.162.128.65}",
        "hltcloud_inventory:nodes:45: a node name is a short lower-case host name",
    ),
    "mgmt-cidr-with-host-bits": (
        CONF,
        "cidr: 10.162.128.0/24",
        "cidr: 10.162.128.1/24",
        "hltcloud_inventory:networks:mgmt:cidr: '10.162.128.1/24' is not a valid IPv4 CIDR",
    ),
    "network-address-as-ip": (
        CONF,
        "cn45: {role: compute, ip: 10.162.128.65}",
        "cn45: {role: compute, ip: 10.162.128.0}",
        "hltcloud_inventory:nodes:cn45:ip: 10.162.128.0 is the network address of",
    ),
    "broadcast-address-as-ip": (
        CONF,
        "cn45: {role: compute, ip: 10.162.128.65}",
        "cn45: {role: compute, ip: 10.162.128.255}",
        "hltcloud_inventory:nodes:cn45:ip: 10.162.128.255 is the broadcast address of",
    ),
    "long-interface-name": (
        CONF,
        "bridge: br100 ",
        "bridge: br100-far-too-long ",
        "hltcloud_inventory:interfaces:bridge: 'br100-far-too-long' is not a Linux interface",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_data_refuses_the_run_with_one_line_naming_the_key(checkout, case):
    path, old, new, line = CASES[case]
    _edit(checkout / path, old, new)
    before = _mtimes(checkout)
    proc = _apply(checkout, "test=True")
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert line in output
    assert "Traceback" not in output and "jinja" not in output.lower()
    assert len(output.splitlines()) < 10, output
    # No state ran: the answer is the pillar's error list, not state results.
    answer = json.loads(proc.stdout)["local"]
    assert isinstance(answer, list)
    assert not any("_|-" in str(item) for item in answer)
    after = _mtimes(checkout)
    assert after == before


def test_sound_data_passes_the_first_state_of_the_highstate(checkout):
    proc = _apply(checkout, "test=True")
    results = json.loads(proc.stdout)["local"]
    assert isinstance(results, dict), proc.stdout + proc.stderr
    first = min(results.values(), key=lambda r: r["__run_num__"])
    assert first["__id__"] == "hltcloud-data-validated"
    assert first["result"] is True


def test_the_first_state_stops_a_run_whose_pillar_was_not_checked(checkout, tmp_path):
    # A minion config without the ext_pillar (e.g. an old master): the state still stops the
    # run (for real: failhard does not act in test mode). The probe SLS writes one temp file
    # after the check; it must not exist afterwards.
    _edit(checkout / "etc/salt/minion", "ext_pillar:\n  - hltcloud_validate: {}\n", "")
    _edit(checkout / FLAT, "multi_host: true", 'multi_host: "True"')
    probe = tmp_path / "written-after-the-check"
    (checkout / "salt/validate_probe.sls").write_text(
        f"include:\n  - validate\n{probe}:\n  file.managed:\n    - contents: probe\n"
    )
    proc = _apply(checkout, "validate_probe")
    results = json.loads(proc.stdout)["local"]
    assert isinstance(results, dict), proc.stdout + proc.stderr
    ordered = sorted(results.values(), key=lambda r: r["__run_num__"])
    assert ordered[0]["__id__"] == "hltcloud-data-validated"
    assert ordered[0]["result"] is False
    assert (
        ordered[0]["comment"]
        == "flat_network:multi_host: 'True' is not a boolean: write true or false without quotes"
    )
    assert not probe.exists()
