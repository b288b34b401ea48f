"""
The local cluster: a real salt-master and one real salt-minion per inventory
node (cn43.internal ... cn47.internal) on loopback, via pytest-salt-factories.

The daemons run with the repo's own configuration (etc/salt/master,
etc/salt/minion, etc/salt/cluster.conf); only what a test host must differ in
is overridden, and said so below. Used by tests/integration and `make demo`
(tests/support/demo_cluster.py).
"""

import contextlib
import ipaddress
import logging
import pathlib
import shutil

import pytest
import yaml

from _utils import hltcloud_ids

REPO = pathlib.Path(__file__).resolve().parent.parent.parent
ETC = REPO / "etc" / "salt"
PATH_LISTS = (
    "grains_dirs",
    "module_dirs",
    "states_dirs",
    "beacons_dirs",
    "returner_dirs",
    "utils_dirs",
    "pillar_dirs",
    "runner_dirs",
)

log = logging.getLogger(__name__)


def _absolute(path):
    path = pathlib.Path(path)
    return str(path if path.is_absolute() else REPO / path)


def repo_config(name):
    """
    Return etc/salt/<name> as a dict, its ``include`` merged in and its
    checkout-relative paths made absolute, ready for salt-factories.
    """
    config = yaml.safe_load((ETC / name).read_text())
    includes = config.pop("include", None) or []
    for include in [includes] if isinstance(includes, str) else includes:
        included = yaml.safe_load((ETC / include).read_text())
        config = {**included, **config}
    for key in ("file_roots", "pillar_roots"):
        if key in config:
            config[key] = {env: [_absolute(p) for p in paths] for env, paths in config[key].items()}
    for key in PATH_LISTS:
        if key in config:
            config[key] = [_absolute(p) for p in config[key]]
    if "reactor" in config:
        config["reactor"] = [
            {tag: [_absolute(p) for p in paths] for tag, paths in entry.items()}
            for entry in config["reactor"]
        ]
    return config


def inventory():
    """The inventory from etc/salt/cluster.conf."""
    return yaml.safe_load((ETC / "cluster.conf").read_text())["hltcloud_inventory"]


def grown_inventory(total, mgmt=None, ib=None, first=100):
    """
    The inventory with compute nodes cn<first>, cn<first+1>, ... added until it has ``total``
    nodes, each on the next free host address of the mgmt network. ``mgmt``, ``ib``: other
    CIDRs for those networks (a /22 for 1000 nodes; ib then elsewhere, as no fabric is both).
    """
    grown = inventory()
    if mgmt:
        grown["networks"]["mgmt"]["cidr"] = mgmt
    if ib:
        grown["networks"]["ib"]["cidr"] = ib
    network = ipaddress.ip_network(grown["networks"]["mgmt"]["cidr"])
    taken = {node["ip"] for node in grown["nodes"].values()}
    free = (str(address) for address in network.hosts() if str(address) not in taken)
    number = first
    while len(grown["nodes"]) < total:
        grown["nodes"][f"cn{number}"] = {"role": "compute", "ip": next(free)}
        number += 1
    return grown


@contextlib.contextmanager
def inventory_written(checkout, grown):
    """``grown`` as the inventory of the checkout copy ``checkout``, the old one back after."""
    conf = checkout / "etc" / "salt" / "cluster.conf"
    original = conf.read_text()
    conf.write_text(yaml.safe_dump({"hltcloud_inventory": grown}))
    try:
        yield grown
    finally:
        conf.write_text(original)


def node_ids():
    """Minion ids of the inventory's nodes, e.g. ['cn43.internal', ...]."""
    return hltcloud_ids.node_ids(inventory())


def master_overrides(pillar_root):
    """The repo's master config, pillar read from ``pillar_root`` (a copy with test secrets)."""
    config = repo_config("master")
    config["pillar_roots"] = {"base": [str(pillar_root)]}
    config["interface"] = "127.0.0.1"
    return config


def minion_overrides():
    """
    The repo's minion config for a minion on this test host. The differences:
    no `master: cn43.internal` (salt-factories points it at the local master),
    no masterless file/pillar roots and module dirs (in the cluster, custom
    modules reach minions through `saltutil.sync_all`, as on the real nodes),
    no startup states (a highstate for real on this Debian host would install
    packages here), and Salt's default loop_interval back (see below).
    """
    config = repo_config("minion")
    for key in ("master", "file_roots", "pillar_roots", "ext_pillar", *PATH_LISTS):
        config.pop(key, None)
    config["startup_states"] = ""
    # Salt's default. salt-factories sets 0.05, but Salt 3008 runs beacons from a
    # 1 s periodic callback and counts a beacon's `interval` in loop_interval
    # steps, so 0.05 would stretch the 1 s bridge_gateway interval to 20 s.
    config["loop_interval"] = 1
    return config


def make_pillar_root(target):
    """
    Copy the repo's pillar tree to ``target`` and generate fresh secrets into it
    with the same tool as `make secrets`; the checkout's own secrets are never read.
    """
    from tools import make_secrets as secrets  # pylint: disable=import-outside-toplevel

    shutil.copytree(
        REPO / "pillar", target, ignore=shutil.ignore_patterns("secrets.yaml", "__pycache__")
    )
    secrets.main(["--file", str(pathlib.Path(target) / "secrets.yaml")])
    return pathlib.Path(target)


@pytest.fixture(scope="session")
def cluster_pillar_root(tmp_path_factory):
    return make_pillar_root(tmp_path_factory.mktemp("cluster") / "pillar")


@pytest.fixture(scope="session")
def cluster_master(salt_factories, cluster_pillar_root):
    factory = salt_factories.salt_master_daemon(
        "cn43-master", overrides=master_overrides(cluster_pillar_root)
    )
    with factory.started(start_timeout=120):
        yield factory


@pytest.fixture(scope="session")
def salt_cli(cluster_master):
    # Generous: on 2 loaded cores the first dry run of four minions (each refreshing
    # its package lists once per state run) has come close to 300 s.
    return cluster_master.salt_cli(timeout=600)


@pytest.fixture(scope="session")
def salt_run_cli(cluster_master):
    return cluster_master.salt_run_cli(timeout=120)


def start_minion(master, minion_id, overrides=None, stack=None):
    """Configure and start one minion of ``master``; returns the started factory."""
    config = minion_overrides()
    config.update(overrides or {})
    factory = master.salt_minion_daemon(minion_id, overrides=config)
    factory.start(start_timeout=120)
    return factory


def retire_minion(master, factory):
    """
    Stop a minion a test added to the session's cluster and delete its key, so that later
    globs (`cn4[4-7]*` matches an extra `cn44` or `cn47`) do not wait for it.
    """
    factory.terminate()
    ret = master.salt_key_cli().run("-d", factory.id, "-y")
    assert ret.returncode == 0, ret


def sync(salt_cli, target):
    """Sync the custom modules and grains to ``target`` (a glob) and check every minion answered."""
    ret = salt_cli.run("saltutil.sync_all", minion_tgt=target)
    assert ret.returncode == 0, ret
    return ret


def node_overrides(minion_id):
    """
    What one node's minion needs on this test host. The head's MariaDB binds to its
    inventory address (grain mgmt_ipv4), which the mariadb formula checks is one of the
    node's addresses (grain ipv4): on this host no interface has it, so the head's minion
    lists it beside the loopback as a static grain. Only grains change, nothing binds.
    """
    inv = inventory()
    node = inv["nodes"][minion_id.split(".")[0]]
    if node["role"] == "head" and node.get("ip"):
        return {"grains": {"ipv4": ["127.0.0.1", node["ip"]]}}
    return {}


@pytest.fixture(scope="session")
def cluster_minions(cluster_master, salt_cli):
    """Start one minion per inventory node; yield {minion_id: factory}."""
    minions = {}
    try:
        for minion_id in node_ids():
            minions[minion_id] = start_minion(cluster_master, minion_id, node_overrides(minion_id))
        sync(salt_cli, "cn4*")
        yield minions
    finally:
        for factory in minions.values():
            factory.terminate()
