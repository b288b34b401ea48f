"""
The inventory → minion-id rule (``cnXX.<domain>``, _utils/hltcloud_ids.py) read the same
way by every reader: the pillar top (pillar/top.sls, compiled by Salt's real pillar code
in-process, as the master does), the ``hltcloud.node_name`` the ext_pillar asks, the grains,
``salt-run hlt.status``'s node list and the tests' local cluster.
"""

import importlib.util
import shutil

import pytest
import salt.loader

from _utils import hltcloud_ids
from tests.functional.test_secrets_file import GOOD, _lines, compile_pillar
from tests.support import localcluster
from tests.support.checkout import repo_minion_opts
from tests.support.localcluster import REPO, inventory

# minion id: the inventory node it is, or None
IDS = {
    "cn43.internal": "cn43",
    "cn44.internal": "cn44",
    "cn47.internal": "cn47",
    "cn44": None,  # short: a second key for the node would get its secrets too
    "cn44.": None,
    "cn44.internal.": None,
    "cn44.other": None,
    "cn44.internal.evil": None,
    "CN44.internal": None,
    "cn44.INTERNAL": None,
    "Cn44.Internal": None,
    "cn43,cn43.internal": None,
    ".internal": None,
    "cn4*.internal": None,
    "cn99.internal": None,
    "rogue.internal": None,
}


def _load(path, name, **dunders):
    spec = importlib.util.spec_from_file_location(name, REPO / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for key, value in dunders.items():
        setattr(module, key, value)
    return module


@pytest.fixture(scope="module")
def execution_modules(tmp_path_factory):
    opts = repo_minion_opts(tmp_path_factory.mktemp("ids"), hltcloud_inventory=inventory())
    return salt.loader.minion_mods(opts, utils=salt.loader.utils(opts))


@pytest.fixture(scope="module")
def pillar_root(tmp_path_factory):
    target = tmp_path_factory.mktemp("ids-pillar") / "pillar"
    shutil.copytree(
        REPO / "pillar", target, ignore=shutil.ignore_patterns("secrets.yaml", "__pycache__")
    )
    (target / "secrets.yaml").write_text(_lines(GOOD))
    return target


@pytest.mark.parametrize(("minion_id", "name"), sorted(IDS.items()))
def test_every_reader_finds_the_same_node_for_an_id(
    execution_modules, pillar_root, monkeypatch, minion_id, name
):
    inv = inventory()
    grains = _load(
        "_grains/hltcloud.py",
        "hltcloud_grains_ids",
        __opts__={"hltcloud_inventory": inv, "id": minion_id},
        __utils__={"hltcloud_ids.node_name": hltcloud_ids.node_name},
    )
    monkeypatch.setattr(grains.salt.utils.network, "interfaces", lambda: {})
    pillar = compile_pillar(pillar_root, minion_id)
    role = inv["nodes"][name]["role"] if name else None
    found = {
        "rule": hltcloud_ids.node_name(inv, minion_id),
        "module": execution_modules["hltcloud.node_name"](inv, minion_id),
        "grains": grains.hltcloud().get("hlt_node"),
        # the top gives a node its cluster data and its role's secrets, an outsider nothing
        "top": pillar["cluster"]["nodes"][name]["fqdn"] == minion_id and name
        if "cluster" in pillar
        else None,
        "top role": {"head": "keystone", "compute": "selfheal"}.get(role) in pillar
        if role
        else pillar == {},
    }
    assert found == {"rule": name, "module": name, "grains": name, "top": name, "top role": True}


def test_every_node_list_is_the_inventorys_ids():
    inv = inventory()
    runner = _load(
        "_runners/hlt.py",
        "hlt_runner_ids",
        __opts__={"hltcloud_inventory": inv},
        __utils__={"hltcloud_ids.node_ids": hltcloud_ids.node_ids},
    )
    ids = runner._node_ids()  # pylint: disable=protected-access
    assert ids == localcluster.node_ids() == hltcloud_ids.node_ids(inv)
    assert ids == [f"{name}.{inv['domain']}" for name in sorted(inv["nodes"])]
    assert [hltcloud_ids.node_name(inv, minion_id) for minion_id in ids] == sorted(inv["nodes"])


def test_no_state_or_pillar_file_builds_an_id_itself():
    # The orchestrations (salt/orch/cloud.sls, rotate.sls) and the pillar name the nodes
    # through hltcloud.node_id / node_name, not by joining name and domain again.
    joined = []
    for path in sorted([*REPO.glob("salt/**/*.sls"), *REPO.glob("salt/**/*.jinja")]) + sorted(
        [*REPO.glob("pillar/**/*.sls"), *REPO.glob("pillar/**/*.jinja")]
    ):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if '~ "." ~' in line and "domain" in line:
                joined.append(f"{path.relative_to(REPO)}:{number}")
    assert joined == []
