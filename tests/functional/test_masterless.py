"""
The checkout used masterless from its root, as an admin does: the Saltfile,
etc/salt and `make show`. Runs the real salt-call (no daemons) in a copy of the
checkout so its secrets are the test's own.
"""

import json
import os
import pathlib
import re
import subprocess
import sys

import pytest
import yaml

from tests.support.checkout import copy_checkout
from tests.support.localcluster import node_ids

PY = sys.executable


def _own_lines(stderr):
    """stderr without make's own lines ("make: ...", and "make[1]: Entering directory"
    when `make test` runs this under another make)."""
    return [line for line in stderr.splitlines() if not re.match(r"make(\[\d+\])?: ", line)]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    return copy_checkout(tmp_path_factory.mktemp("checkout") / "hlt-cloud")


def _run(checkout, *args):
    return subprocess.run(args, cwd=checkout, capture_output=True, text=True, check=False)


def _salt_call(checkout, node, *args):
    salt_call = str(pathlib.Path(PY).parent / "salt-call")
    return _run(checkout, salt_call, "--id", node, "--out=json", "--log-level=quiet", *args)


def _show(checkout, node):
    return _run(checkout, PY, "-m", "tools.show", node)


@pytest.fixture(scope="module")
def with_secrets(checkout):
    proc = _run(checkout, PY, "-m", "tools.make_secrets")
    assert proc.returncode == 0, proc.stderr
    yield checkout
    (checkout / "pillar/secrets.yaml").unlink()


def _make_show(checkout, node):
    """`make show NODE=<node>` in the copy, with the shared venv and without reinstalling it."""
    venv = checkout / ".venv"
    if not venv.exists():
        venv.symlink_to(pathlib.Path(PY).parent.parent)
    # The copy's requirements.txt older than the venv's stamp: `make venv` has nothing to do.
    os.utime(checkout / "requirements.txt", (0, 0))
    return _run(checkout, "make", "--no-print-directory", "show", f"NODE={node}")


def _secret_values(checkout):
    return list(yaml.safe_load((checkout / "pillar/secrets.yaml").read_text()).values())


def test_make_show_without_secrets_says_run_make_secrets_and_creates_none(checkout):
    assert not (checkout / "pillar/secrets.yaml").exists()
    proc = _make_show(checkout, "cn44.internal")
    assert proc.returncode != 0
    assert proc.stdout == ""
    (line,) = _own_lines(proc.stderr)
    assert "does not exist: run `make secrets` first" in line
    assert not (checkout / "pillar/secrets.yaml").exists()
    assert not list((checkout / "pillar").glob(".secrets.*"))


def test_make_show_passes_node_as_one_argument_and_runs_nothing(checkout, tmp_path):
    for attempt, node in enumerate(
        [
            f'x"; touch {tmp_path}/pwned0; "',
            f"x'; touch {tmp_path}/pwned1; '",
            f"$(shell touch {tmp_path}/pwned2)",
            f"`touch {tmp_path}/pwned3`$$(touch {tmp_path}/pwned4)",
        ]
    ):
        proc = _make_show(checkout, node)
        assert proc.returncode != 0, attempt
        assert "is not a minion id" in proc.stderr, (attempt, proc.stderr)
        assert list(tmp_path.iterdir()) == [], attempt


def test_make_show_of_a_broken_secrets_file_is_one_line_without_a_value(checkout):
    path = checkout / "pillar/secrets.yaml"
    path.write_text("nova_pass: [9f8e7d6c5b4a39281706]\n")
    try:
        proc = _make_show(checkout, "cn44.internal")
        assert path.read_text() == "nova_pass: [9f8e7d6c5b4a39281706]\n"
    finally:
        path.unlink()
    assert proc.returncode != 0
    (line,) = _own_lines(proc.stderr)
    assert line.startswith(f"{path}, line 1: secret 'nova_pass' is not a string of 20 hex")
    assert "9f8e7d6c5b4a39281706" not in proc.stdout + proc.stderr


def test_missing_secrets_give_one_clear_error_naming_make_secrets(checkout):
    assert not (checkout / "pillar/secrets.yaml").exists()
    proc = _salt_call(checkout, "cn44.internal", "state.show_highstate")
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert "`make secrets`" in output
    assert "Traceback" not in output
    assert "jinja" not in output.lower()


@pytest.mark.parametrize("node", node_ids())
def test_make_show_prints_each_node_highstate_as_json(with_secrets, node):
    proc = _show(with_secrets, node)
    assert proc.returncode == 0, proc.stderr
    high = json.loads(proc.stdout)
    assert "common-packages-installed" in high
    assert "role " in proc.stderr


def test_make_show_says_an_unknown_node_has_no_role(with_secrets):
    proc = _show(with_secrets, "cn99.internal")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {}
    assert "not in the inventory" in proc.stderr


def test_masterless_pillar_has_cluster_data_and_role_secrets(with_secrets):
    proc = _salt_call(with_secrets, "cn45.internal", "pillar.items", "unmask=True")
    assert proc.returncode == 0, proc.stderr
    pillar = json.loads(proc.stdout)["local"]
    assert pillar["cluster"]["head_fqdn"] == "cn43.internal"
    assert pillar["cluster"]["nodes"]["cn45"]["mgmt_fqdn"] == "cn45-mgmt.internal"
    assert pillar["flat_network"]["cidr"] == "203.0.113.24/29"
    assert set(pillar["secrets"]) == {"nova_dbpass", "nova_pass"}


def test_make_show_masks_every_secret_value(with_secrets):
    proc = _make_show(with_secrets, "cn43.internal")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)
    shown = proc.stdout + proc.stderr
    values = _secret_values(with_secrets)
    assert [v for v in values if v in shown] == []
    compute = _make_show(with_secrets, "cn44.internal")
    assert compute.returncode == 0, compute.stderr
    sections = next(
        arg["sections"]
        for arg in high_args(json.loads(compute.stdout), "nova-config-file-managed")
        if "sections" in arg
    )
    assert sections["database"]["connection"] == "***"
    assert sections["keystone_authtoken"]["admin_password"] == "***"
    assert sections["keystone_authtoken"]["admin_user"] == "nova"
    assert [v for v in values if v in compute.stdout] == []


def high_args(high, state_id):
    body = high[state_id]
    module = next(key for key in body if not key.startswith("__"))
    return [item for item in body[module] if isinstance(item, dict)]


def test_a_secret_removed_from_the_file_is_the_one_line_error_of_the_run(with_secrets):
    """The real path: pillar/lib/secrets.jinja reads the file, no pillar override."""
    path = with_secrets / "pillar/secrets.yaml"
    original = path.read_text()
    path.write_text("".join(line for line in original.splitlines(True) if "nova_pass" not in line))
    try:
        proc = _salt_call(with_secrets, "cn44.internal", "state.show_highstate")
    finally:
        path.write_text(original)
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    # Salt's "Pillar failed to render" followed by our one line, and nothing else.
    message = (
        "Secret 'nova_pass' is missing from pillar/secrets.yaml. Run `make secrets`: "
        "it adds missing secrets and keeps the existing ones."
    )
    listed = [line for line in output.splitlines() if line.lstrip(' "-').startswith("Secret")]
    assert len(listed) == 1 and message in listed[0], output
    assert "Traceback" not in output and "jinja" not in output.lower()
    values = _secret_values(with_secrets)
    assert [v for v in values if v in proc.stdout + proc.stderr] == []


@pytest.mark.parametrize("node", ["cn99.internal", "cn44.internal", "rogue.example.org"])
def test_masterless_role_head_grain_brings_no_head_secret(with_secrets, node):
    """The issue's reproduction: etc/salt/grains with `role: head`, then pillar.items."""
    grains = with_secrets / "etc/salt/grains"
    grains.write_text("role: head\n")
    try:
        proc = _salt_call(with_secrets, node, "pillar.items", "unmask=True")
    finally:
        grains.unlink()
    assert proc.returncode == 0, proc.stderr
    pillar = json.loads(proc.stdout)["local"]
    values = yaml.safe_load((with_secrets / "pillar/secrets.yaml").read_text())
    head_only = {k: v for k, v in values.items() if k not in ("nova_dbpass", "nova_pass")}
    assert [k for k, v in head_only.items() if v in proc.stdout + proc.stderr] == []
    if node == "cn44.internal":
        assert pillar["secrets"] == {k: values[k] for k in ("nova_dbpass", "nova_pass")}
    else:
        assert pillar == {}
