"""
The checkout used masterless from its root, as an admin does: the Saltfile,
etc/salt and `make show`. Runs the real salt-call (no daemons) in a copy of the
checkout so its secrets are the test's own.
"""

import json
import pathlib
import subprocess
import sys

import pytest

from tests.support.checkout import copy_checkout
from tests.support.localcluster import node_ids

PY = sys.executable


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
