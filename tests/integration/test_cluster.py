"""The foundation on a real master and five real minions: targeting, roles, pillar, highstate."""

import json
import pathlib
import shutil
import time

import pytest
import salt.config
import yaml

from tests.support.localcluster import inventory, node_ids, retire_minion, start_minion, sync
from tools.make_secrets import CATALOG as CATALOG_FILE

pytestmark = pytest.mark.slow

COMPUTE = {"cn44.internal", "cn45.internal", "cn46.internal", "cn47.internal"}
HEAD = {"cn43.internal"}
CATALOG = yaml.safe_load(CATALOG_FILE.read_text())
COMPUTE_SECRETS = ("nova_dbpass", "nova_pass")


def _targets(ret):
    assert ret.returncode == 0, ret
    return set(ret.data)


def test_glob_reaches_exactly_the_four_compute_nodes(salt_cli, cluster_minions):
    assert _targets(salt_cli.run("test.ping", minion_tgt="cn4[4-7]*")) == COMPUTE


def test_role_grain_targets_the_head_alone(salt_cli, cluster_minions):
    assert _targets(salt_cli.run("-G", "test.ping", minion_tgt="role:head")) == HEAD
    assert _targets(salt_cli.run("-G", "test.ping", minion_tgt="role:compute")) == COMPUTE


def test_grains_follow_the_inventory(salt_cli, cluster_minions):
    nodes = inventory()["nodes"]
    ret = salt_cli.run("grains.item", "role", "hlt_node", "mgmt_ipv4", minion_tgt="cn4*")
    assert ret.returncode == 0, ret
    for minion_id, grains in ret.data.items():
        node = minion_id.split(".")[0]
        # No interface of this test host is in 10.162.128.0/24, so the address
        # is the inventory's for this very node, never another node's.
        assert grains == {
            "role": nodes[node]["role"],
            "hlt_node": node,
            "mgmt_ipv4": nodes[node]["ip"],
        }


def test_highstate_compiles_on_every_node(salt_cli, cluster_minions):
    ret = salt_cli.run("state.show_highstate", minion_tgt="cn4*")
    assert ret.returncode == 0, ret
    assert set(ret.data) == set(node_ids())
    for minion_id, high in ret.data.items():
        # A render error comes back as a list of messages, a highstate as a dict.
        assert isinstance(high, dict) and high, (minion_id, high)
        assert "common-packages-installed" in high
        # the RDO repository state is one state shared by head and compute nodes
        assert any(sid.startswith("openstack-repo-") for sid in high), sorted(high)


def test_compute_dry_run_succeeds_on_the_compute_nodes(salt_cli, cluster_minions):
    ret = salt_cli.run("state.apply", "compute", "test=True", minion_tgt="cn4[4-7]*")
    assert ret.returncode == 0, ret
    assert set(ret.data) == COMPUTE
    for minion_id, states in ret.data.items():
        assert isinstance(states, dict) and states, (minion_id, states)
        failed = {sid: s["comment"] for sid, s in states.items() if s["result"] is False}
        assert not failed, (minion_id, failed)


@pytest.fixture(scope="module")
def secret_values(cluster_pillar_root):
    """The cluster's secrets as the master holds them: {name: value}."""
    return yaml.safe_load((cluster_pillar_root / "secrets.yaml").read_text())


@pytest.fixture(scope="module")
def head_only(secret_values):
    """The secrets only the head may have: {name: value}."""
    return {k: v for k, v in secret_values.items() if k not in COMPUTE_SECRETS}


def _pillar(salt_cli, minion_id):
    ret = salt_cli.run("pillar.items", "unmask=True", minion_tgt=minion_id)
    assert ret.returncode == 0, ret
    return ret.data


def test_the_head_receives_every_secret(salt_cli, cluster_minions, secret_values):
    pillar = _pillar(salt_cli, "cn43.internal")
    assert set(secret_values) == set(CATALOG)
    assert pillar["secrets"] == secret_values
    assert pillar["keystone"]["auth"]["token"] == secret_values["admin_token"]


@pytest.mark.parametrize("minion_id", sorted(COMPUTE))
def test_a_compute_node_receives_only_nova_dbpass_and_nova_pass(
    salt_cli, cluster_minions, secret_values, head_only, minion_id
):
    pillar = _pillar(salt_cli, minion_id)
    assert pillar["secrets"] == {k: secret_values[k] for k in COMPUTE_SECRETS}
    assert "keystone" not in pillar
    shown = json.dumps(pillar)
    assert [name for name, value in head_only.items() if value in shown] == []


@pytest.fixture(scope="module")
def stranger(cluster_master, salt_cli, cluster_minions):
    """A minion whose id is not in the inventory."""
    factory = start_minion(cluster_master, "cn99.internal")
    try:
        sync(salt_cli, "cn99.internal")
        yield factory
    finally:
        retire_minion(cluster_master, factory)


def test_unknown_minion_gets_no_role_and_an_empty_highstate(salt_cli, stranger):
    grains = salt_cli.run("grains.item", "role", minion_tgt=stranger.id)
    assert grains.data == {"role": ""}
    high = salt_cli.run("state.show_highstate", minion_tgt=stranger.id)
    assert high.data == {}
    pillar = salt_cli.run("pillar.items", "unmask=True", minion_tgt=stranger.id)
    assert pillar.data == {}


@pytest.fixture(scope="module")
def spoofers(cluster_master, salt_cli, cluster_minions):
    """
    Two minions that claim `role: head` through a static grain: rogue.example.org,
    outside the inventory, and cn44, an inventory compute node's short name (not its id:
    a node has one id, cn44.internal, so one accepted key gets its secrets).
    """
    factories = {}
    try:
        for minion_id in ("rogue.example.org", "cn44"):
            factories[minion_id] = start_minion(
                cluster_master, minion_id, {"grains": {"role": "head"}}
            )
            sync(salt_cli, minion_id)
            ret = salt_cli.run("saltutil.refresh_pillar", "wait=True", minion_tgt=minion_id)
            assert ret.returncode == 0, ret
        yield factories
    finally:
        for factory in factories.values():
            retire_minion(cluster_master, factory)


@pytest.mark.parametrize("minion_id", ["rogue.example.org", "cn44"])
def test_a_spoofed_role_grain_shows_but_brings_no_head_secret(
    salt_cli, spoofers, head_only, minion_id
):
    grains = salt_cli.run("grains.item", "role", minion_tgt=minion_id)
    assert grains.data == {"role": "head"}  # the grain is the minion's own say: display only
    pillar = _pillar(salt_cli, minion_id)
    shown = json.dumps(pillar)
    assert [name for name, value in head_only.items() if value in shown] == []
    assert "keystone" not in pillar


@pytest.mark.parametrize("minion_id", ["rogue.example.org", "cn44"])
def test_a_minion_outside_the_inventory_gets_no_pillar_whatever_its_grains(
    salt_cli, spoofers, minion_id
):
    assert _pillar(salt_cli, minion_id) == {}


def test_an_inventory_node_claiming_head_gets_its_own_compute_share(
    salt_cli, cluster_minions, secret_values
):
    # cn44.internal itself sets `role: head` as a static grain (its grains file).
    node = "cn44.internal"
    ret = salt_cli.run("grains.setval", "role", "head", minion_tgt=node)
    assert ret.returncode == 0, ret
    try:
        assert salt_cli.run("grains.item", "role", minion_tgt=node).data == {"role": "head"}
        ret = salt_cli.run("saltutil.refresh_pillar", "wait=True", minion_tgt=node)
        assert ret.returncode == 0, ret
        pillar = _pillar(salt_cli, node)
        assert pillar["secrets"] == {k: secret_values[k] for k in COMPUTE_SECRETS}
        assert "keystone" not in pillar
        assert pillar["cluster"]["head_fqdn"] == "cn43.internal"
    finally:
        salt_cli.run("grains.delkey", "role", "force=True", minion_tgt=node)
        salt_cli.run("saltutil.refresh_grains", minion_tgt=node)
        salt_cli.run("saltutil.refresh_pillar", "wait=True", minion_tgt=node)
    assert salt_cli.run("grains.item", "role", minion_tgt=node).data == {"role": "compute"}


def test_static_role_grain_gives_states_but_no_pillar_outside_the_inventory(
    cluster_master, salt_cli, cluster_minions
):
    factory = start_minion(cluster_master, "cn98.internal", {"grains": {"role": "compute"}})
    try:
        sync(salt_cli, factory.id)
        grains = salt_cli.run("grains.item", "role", minion_tgt=factory.id)
        assert grains.data == {"role": "compute"}
        assert _pillar(salt_cli, factory.id) == {}
        high = salt_cli.run("state.show_highstate", minion_tgt=factory.id)
        assert "nova-config-file-managed" in high.data
    finally:
        retire_minion(cluster_master, factory)


def test_highstate_runs_when_a_minion_starts_with_its_custom_modules(
    cluster_master, salt_cli, cluster_minions, event_listener
):
    """
    startup_states: highstate (etc/salt/minion) on a minion that was never
    synced: the highstate syncs the custom modules itself before its states run
    (salt#40220), so nova.conf's openstack_ini state works on the first boot.
    The cluster's cn47.internal (a node has one id) is stopped, its synced modules
    removed and its config given startup_states, then started: its key stays the
    accepted one, its pillar and secrets are cn47's. Role and address come as static
    grains, as the hltcloud grains are not synced yet when a first boot's highstate
    picks its states. `test: True` keeps this host unchanged. Afterwards the minion
    gets its own config back.
    """
    factory = cluster_minions["cn47.internal"]
    config_file = pathlib.Path(factory.config_file)
    original = config_file.read_text()
    config = yaml.safe_load(original)
    first_boot = {
        **config,
        "startup_states": "highstate",
        "test": True,
        "grains": {
            **(config.get("grains") or {}),
            "role": "compute",
            "mgmt_ipv4": inventory()["nodes"]["cn47"]["ip"],
        },
    }
    factory.terminate()
    try:
        extmods = pathlib.Path(salt.config.minion_config(str(config_file))["extension_modules"])
        assert extmods.is_dir(), extmods  # synced before: now it never was
        shutil.rmtree(extmods)
        config_file.write_text(yaml.safe_dump(first_boot))
        start = time.time()
        factory.start(start_timeout=120)
        tag = f"salt/job/*/ret/{factory.id}"
        deadline = time.time() + 180
        returns = []
        while time.time() < deadline and not returns:
            returns = [
                e
                for e in event_listener.get_events([(cluster_master.id, tag)], after_time=start)
                if e.data.get("fun") == "state.highstate"
            ]
            time.sleep(1)
        assert returns, "no highstate return after the minion started"
        states = returns[0].data["return"]
        assert isinstance(states, dict) and states, states
        assert any("openstack_ini_|-nova-config-file-managed" in sid for sid in states), [
            (sid, s["comment"]) for sid, s in states.items() if "nova-config" in sid
        ]
        failed = {sid: s["comment"] for sid, s in states.items() if s["result"] is False}
        assert not failed, failed
    finally:
        factory.terminate()
        config_file.write_text(original)
        factory.start(start_timeout=120)
        sync(salt_cli, factory.id)
