"""
Rebuilding the master from `make master-backup`'s archive (tools/master_archive.py), on real
daemons: master A with two inventory minions (keys accepted, A's fingerprint pinned on them)
is backed up and stopped; master B, in a new directory with a new copy of the checkout, gets
the archive with `make master-restore`'s tool and starts on A's address and ports. The
minions that were A's answer B, no key is accepted again, and B serves them the secrets A had.
"""

import os
import pathlib
import shutil
import stat
import subprocess
import sys
import time

import pytest
import salt.utils.crypt
import yaml

from tests.support.checkout import copy_checkout
from tests.support.localcluster import ETC, REPO, make_pillar_root, master_overrides, start_minion

pytestmark = pytest.mark.slow

NODES = ("cn43.internal", "cn44.internal")
COMPUTE_SECRETS = ("nova_dbpass", "nova_pass")


def _tool(*args):
    """The tool behind `make master-backup` / `make master-restore`, as the operator runs it."""
    proc = subprocess.run(
        [sys.executable, "-m", "tools.master_archive", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _old_checkout(root):
    """What git does not hold of the old master's checkout: its secrets and its inventory."""
    make_pillar_root(root / "pillar")
    (root / "etc" / "salt").mkdir(parents=True)
    shutil.copy(ETC / "cluster.conf", root / "etc" / "salt" / "cluster.conf")
    return root


def _keys(factory, folder):
    """{minion id: key} of one of ``factory``'s key folders (minions, minions_pre ...)."""
    pki = pathlib.Path(factory.config["pki_dir"]) / folder
    return {path.name: path.read_bytes() for path in sorted(pki.iterdir())}


def _answers(master, deadline):
    """test.ping through ``master`` until every node answers True (or the deadline passes)."""
    cli = master.salt_cli(timeout=30)
    while True:
        ret = cli.run("test.ping", minion_tgt="cn4[34].internal")
        answered = ret.data if isinstance(ret.data, dict) else {}
        if all(answered.get(node) is True for node in NODES) or time.monotonic() > deadline:
            return answered
        time.sleep(2)


def test_the_minions_answer_a_master_rebuilt_from_the_archive_without_a_key_accepted_again(
    salt_factories, tmp_path
):
    old_checkout = _old_checkout(tmp_path / "old-checkout")
    master_a = salt_factories.salt_master_daemon(
        "rebuild-a", overrides=master_overrides(old_checkout / "pillar")
    )
    archive = tmp_path / "archive" / "master.tgz"
    archive.parent.mkdir()
    minions = []
    try:
        with master_a.started(start_timeout=120):
            finger = salt.utils.crypt.pem_finger(
                os.path.join(master_a.config["pki_dir"], "master.pub"), sum_type="sha256"
            )
            # as on the real nodes: each minion pins its master's key (`make master-finger`)
            for node in NODES:
                minions.append(start_minion(master_a, node, {"master_finger": finger}))
            assert _answers(master_a, time.monotonic() + 60) == dict.fromkeys(NODES, True)
            accepted = _keys(master_a, "minions")
            assert sorted(accepted) == sorted(NODES)
            _tool("backup", "--to", str(archive), "--checkout", str(old_checkout),
                  "--config", master_a.config_file)  # fmt: skip
        assert stat.S_IMODE(archive.stat().st_mode) == 0o600

        # The new master: a new directory, a new checkout without secrets, A's address and ports.
        new_checkout = copy_checkout(tmp_path / "new-checkout")
        assert not (new_checkout / "pillar" / "secrets.yaml").exists()
        overrides = master_overrides(new_checkout / "pillar")
        for port in ("ret_port", "publish_port"):
            overrides[port] = master_a.config[port]
        auth_events = []
        master_b = salt_factories.salt_master_daemon(
            "rebuild-b",
            overrides=overrides,
            # salt-factories accepts every pending key by default; here nothing is accepted
            on_auth_event_callback=lambda _master, payload: auth_events.append(payload),
        )
        assert master_b.config["pki_dir"] != master_a.config["pki_dir"]
        out = _tool("restore", "--from", str(archive), "--checkout", str(new_checkout),
                    "--config", master_b.config_file)  # fmt: skip
        assert f"master key {finger}" in out

        with master_b.started(start_timeout=120):
            assert _answers(master_b, time.monotonic() + 120) == dict.fromkeys(NODES, True)
            # the keys are the ones A accepted; no key was accepted or left pending again
            assert _keys(master_b, "minions") == accepted
            assert _keys(master_b, "minions_pre") == {}
            # (the auth events the master forwards may come late under load: none may be
            # anything but an accept; the keys above are the proof)
            assert [event for event in auth_events if event.get("act") != "accept"] == []
            listed = master_b.salt_key_cli().run("-L", "--out=json")
            assert listed.data["minions"] == sorted(NODES), listed
            assert listed.data["minions_pre"] == [], listed
            # and B serves the secrets the old checkout had, by minion id
            old_secrets = yaml.safe_load((old_checkout / "pillar" / "secrets.yaml").read_text())
            ret = master_b.salt_cli(timeout=60).run(
                "pillar.item", "secrets", "unmask=True", minion_tgt="cn44.internal"
            )
            assert ret.returncode == 0, ret
            assert ret.data["secrets"] == {k: old_secrets[k] for k in COMPUTE_SECRETS}
    finally:
        for factory in minions:
            factory.terminate()
