"""Copies of the checkout for tests that run salt-call from a checkout's root, as admins do."""

import shutil
import subprocess
import sys

import salt.config

from tests.support.localcluster import REPO

NOT_COPIED = (".git", ".venv", ".local", "secrets.yaml", "__pycache__", ".pytest_cache")


def copy_checkout(target):
    """
    Copy the checkout to ``target`` without its secrets, venv and caches; give
    the copy's minion config a root_dir of its own, so that its salt-call has
    its own cache, pki and proc dirs (salt-call refuses a state function while
    another salt-call on this host runs one from the same proc dir).
    """
    shutil.copytree(REPO, target, symlinks=True, ignore=shutil.ignore_patterns(*NOT_COPIED))
    with (target / "etc" / "salt" / "minion").open("a") as minion:
        minion.write(f"\nroot_dir: {target / '.salt-root'}\n")
    return target


def checkout_with_secrets(target):
    """:func:`copy_checkout`, then `make secrets` in the copy: its own pillar/secrets.yaml."""
    copy_checkout(target)
    proc = subprocess.run(
        [sys.executable, "-m", "tools.make_secrets"],
        cwd=target,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"make secrets failed in {target}: {proc.stderr}")
    return target


def repo_minion_opts(root, minion_id="functional.internal", **extra):
    """
    In-process minion options (for Salt's loaders) that load the repo's custom
    modules straight from the checkout, with every writable path under ``root``.
    """
    opts = salt.config.minion_config(None)
    opts.update(
        {
            "id": minion_id,
            "root_dir": str(root),
            # Not /etc/salt/minion: grains.setval and the drained mark's reader use the
            # grains file beside it (root/grains).
            "conf_file": str(root / "minion"),
            "cachedir": str(root / "cache"),
            # Not the default /var/cache/salt/minion/extmods: modules synced there by any
            # salt-call on this host would shadow the checkout's.
            "extension_modules": str(root / "extmods"),
            "pki_dir": str(root / "pki"),
            "sock_dir": str(root / "sock"),
            "file_client": "local",
            "file_roots": {"base": [str(REPO / "salt")]},
            "pillar_roots": {"base": [str(root / "pillar")]},
            "module_dirs": [str(REPO / "_modules")],
            "states_dirs": [str(REPO / "_states")],
            "grains_dirs": [str(REPO / "_grains")],
            "utils_dirs": [str(REPO / "_utils")],
            "beacons_dirs": [str(REPO / "_beacons")],
            "returner_dirs": [str(REPO / "_returners")],
            "test": False,
        }
    )
    opts.update(extra)
    return opts
