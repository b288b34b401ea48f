"""Copies of the checkout for tests that run salt-call from a checkout's root, as admins do."""

import contextlib
import hashlib
import shutil
import subprocess
import sys

import salt.config
import yaml

from tests.support import loopback
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


# What an operator writes into the parameters before the first run (README, "Pinned
# downloads"): the sha256 of the RPMs fetched by URL. Here the sha256 of made-up files,
# which rpms_on_the_loopback() serves to a dry run (nothing is fetched from elsewhere).
RPM_FILES = {
    "release_rpm_sha256": ("rdo-release-icehouse-3.noarch.rpm", b"test rpm: rdo-release\n"),
    "python-oslo-config": (
        "python-oslo-config-1.2.0-0.5.a3.fc20.noarch.rpm",
        b"test rpm: python-oslo-config\n",
    ),
}
PINS = {key: hashlib.sha256(data).hexdigest() for key, (_, data) in RPM_FILES.items()}


def pin_downloads(target, base_url=None):
    """
    Write :data:`PINS` into the copy's salt/parameters, where they have no default; with
    ``base_url``, point the RPMs' URLs there too (see :func:`rpms_on_the_loopback`).
    """
    parameters = target / "salt" / "parameters"
    family = yaml.safe_load((parameters / "osfamilymap.yaml").read_text())
    repo = family["RedHat"]["openstack"]["repo"]
    repo["release_rpm_sha256"] = PINS["release_rpm_sha256"]
    releases = yaml.safe_load((parameters / "osmap.yaml").read_text())
    rpm = releases["Fedora"][19]["openstack"]["repo"]["rpms"]["python-oslo-config"]
    rpm["sha256"] = PINS["python-oslo-config"]
    if base_url:
        repo["release_rpm"] = f"{base_url}/{RPM_FILES['release_rpm_sha256'][0]}"
        rpm["source"] = f"{base_url}/{RPM_FILES['python-oslo-config'][0]}"
    (parameters / "osfamilymap.yaml").write_text(yaml.safe_dump(family))
    (parameters / "osmap.yaml").write_text(yaml.safe_dump(releases))
    return target


@contextlib.contextmanager
def rpms_on_the_loopback():
    """An HTTP server on 127.0.0.1 serving :data:`RPM_FILES`; yields its base URL."""
    files = dict(RPM_FILES.values())

    class Handler(loopback.Handler):
        def _handle(self):
            data = files.get(self.path.lstrip("/")) if self.command == "GET" else None
            if data is None:
                self.send_error(404)
                return
            self.reply(200, data, content_type=None)

    with loopback.serve(Handler) as port:
        yield f"http://127.0.0.1:{port}"


def checkout_with_secrets(target, pins=True):
    """
    :func:`copy_checkout`, then `make secrets` in the copy: its own pillar/secrets.yaml;
    with ``pins`` the RPMs' sha256 too (:func:`pin_downloads`), as an operator's checkout.
    """
    copy_checkout(target)
    if pins:
        pin_downloads(target)
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


def static_grains(root, grains):
    """A minion config file with static ``grains`` (Salt's loader reads them from there)."""
    conf = root / "minion-grains.conf"
    conf.write_text(yaml.safe_dump({"grains": grains}))
    return str(conf)


def sls_root(root, sls_files):
    """
    A file root of a test's own under ``root``: ``{name: text}`` written as
    ``hltcloud_test/<name>.sls`` (applied as ``hltcloud_test.<name>``). Returns ``root``.
    """
    (root / "hltcloud_test").mkdir(parents=True, exist_ok=True)
    for name, text in sls_files.items():
        (root / "hltcloud_test" / f"{name}.sls").write_text(text)
    return root


def head_minion_opts(root, states_root, **grains):
    """
    :func:`repo_minion_opts` for the head on this host: the checkout's states plus the test's
    own (``states_root``, :func:`sls_root`), and static grains where this host's loopback
    stands for cn43's mgmt address (the services' bind-address), plus ``grains``.
    """
    opts = repo_minion_opts(root)
    opts["file_roots"] = {"base": [*opts["file_roots"]["base"], str(states_root)]}
    opts["conf_file"] = static_grains(root, {"mgmt_ipv4": "127.0.0.1", **grains})
    return opts
