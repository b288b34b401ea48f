"""
tools/master_finger.py (`make master-finger`): the line that pins the master's key on the
minions, checked against what a Salt minion compares when it meets a master (salt/crypt.py:
pem_finger of the master's public key with the minion's hash_type) on a key made here.
"""

import subprocess
import sys

import salt.config
import salt.crypt
import salt.utils.crypt
import yaml

from tests.conftest import REPO
from tools import master_finger


def _master_key(pki_dir):
    pki_dir.mkdir(parents=True)
    private, public = salt.crypt.gen_keys(2048)
    (pki_dir / "master.pem").write_text(private)
    (pki_dir / "master.pub").write_text(public)
    return pki_dir / "master.pub"


def _run(*args):
    return subprocess.run(
        [sys.executable, "-m", "tools.master_finger", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_line_is_what_a_minion_compares_with_its_masters_key(tmp_path):
    key = _master_key(tmp_path / "pki")
    proc = _run("--pki-dir", str(tmp_path / "pki"))
    assert proc.returncode == 0, proc.stderr
    pinned = yaml.safe_load(proc.stdout)["master_finger"]
    minion_hash = salt.config.DEFAULT_MINION_OPTS["hash_type"]
    assert pinned == salt.utils.crypt.pem_finger(str(key), sum_type=minion_hash)
    # another master's key does not match it
    other = _master_key(tmp_path / "other")
    assert pinned != salt.utils.crypt.pem_finger(str(other), sum_type=minion_hash)


def test_the_masters_pki_dir_and_hash_type_come_from_its_config(tmp_path):
    config = tmp_path / "master"
    config.write_text(f"pki_dir: {tmp_path / 'pki'}\nhash_type: sha512\n")
    assert master_finger.master_settings(config) == (str(tmp_path / "pki"), "sha512")
    # the repo's master config sets neither: Salt's defaults
    assert master_finger.master_settings() == ("/etc/salt/pki/master", "sha256")


def test_no_key_yet_is_one_line_and_exit_1(tmp_path):
    proc = _run("--pki-dir", str(tmp_path))
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        f"make master-finger: {tmp_path / 'master.pub'} does not exist: start the master once "
        "(it makes its key), then run this again"
    ]
