"""
Print the line that pins the master's key on a minion (``make master-finger`` on cn43).

A minion that knows the fingerprint of its master's public key refuses any other master
(Salt's ``master_finger``): a host that answers for cn43.internal on the LAN while a node
enrols does not get to send it states as root. This reads the master's public key
(``master.pub`` in the master's ``pki_dir``: etc/salt/master's, else Salt's default
``/etc/salt/pki/master``) and prints, for ``/etc/salt/minion.d/master_finger.conf`` on
every node, before its salt-minion first starts::

    master_finger: 'b1:2c:...'

The digest is the one ``salt-key -F master`` shows with the master's ``hash_type``
(sha256 unless etc/salt/master says otherwise): the minion compares it the same way.

Usage: ``python -m tools.master_finger [--pki-dir DIR]``. Exit 1 with one line when the key
is not there (the master has never started).
"""

import argparse
import pathlib
import sys

import salt.utils.crypt
import yaml

REPO = pathlib.Path(__file__).resolve().parent.parent
MASTER_CONFIG = REPO / "etc" / "salt" / "master"
DEFAULT_PKI_DIR = "/etc/salt/pki/master"


def master_settings(config=MASTER_CONFIG):
    """(pki_dir, hash_type) of the master's configuration, with Salt's defaults."""
    try:
        data = yaml.safe_load(pathlib.Path(config).read_text()) or {}
    except (OSError, yaml.YAMLError):
        data = {}
    return data.get("pki_dir") or DEFAULT_PKI_DIR, data.get("hash_type") or "sha256"


def finger_line(pki_dir, hash_type="sha256"):
    """The ``master_finger: '...'`` line for the master key in ``pki_dir``."""
    key = pathlib.Path(pki_dir) / "master.pub"
    if not key.is_file():
        raise FileNotFoundError(
            f"{key} does not exist: start the master once (it makes its key), then run this again"
        )
    finger = salt.utils.crypt.pem_finger(str(key), sum_type=hash_type)
    return f"master_finger: '{finger}'"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0].strip())
    parser.add_argument("--pki-dir", help="the master's pki_dir (default: etc/salt/master's)")
    args = parser.parse_args(argv)
    pki_dir, hash_type = master_settings()
    try:
        print(finger_line(args.pki_dir or pki_dir, hash_type))
    except FileNotFoundError as exc:
        print(f"make master-finger: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
