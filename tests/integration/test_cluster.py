"""The foundation on a real master and five real minions: targeting, roles, pillar, highstate."""

import time

import pytest

from tests.support.localcluster import inventory, node_ids, start_minion, sync

pytestmark = pytest.mark.slow

COMPUTE = {"cn44.internal", "cn45.internal", "cn46.internal", "cn47.internal"}
HEAD = {"cn43.internal"}


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


@pytest.mark.parametrize(
    ("minion_id", "expected"),
    [
        (
            "cn43.internal",
            {
                "mysql_root_password",
                "keystone_dbpass",
                "admin_token",
                "admin_pass",
                "demo_pass",
                "glance_dbpass",
                "glance_pass",
                "nova_dbpass",
                "nova_pass",
            },
        ),
        ("cn44.internal", {"nova_dbpass", "nova_pass"}),
    ],
)
def test_each_role_receives_only_its_secrets(salt_cli, cluster_minions, minion_id, expected):
    ret = salt_cli.run("pillar.get", "secrets", "unmask=True", minion_tgt=minion_id)
    assert ret.returncode == 0, ret
    secrets = ret.data
    assert set(secrets) == expected
    assert all(len(v) == 20 and int(v, 16) >= 0 for v in secrets.values())


@pytest.fixture(scope="module")
def stranger(cluster_master, salt_cli, cluster_minions):
    """A minion whose id is not in the inventory."""
    factory = start_minion(cluster_master, "cn99.internal")
    try:
        sync(salt_cli, "cn99.internal")
        yield factory
    finally:
        factory.terminate()


def test_unknown_minion_gets_no_role_and_an_empty_highstate(salt_cli, stranger):
    grains = salt_cli.run("grains.item", "role", minion_tgt=stranger.id)
    assert grains.data == {"role": ""}
    high = salt_cli.run("state.show_highstate", minion_tgt=stranger.id)
    assert high.data == {}
    pillar = salt_cli.run("pillar.items", "unmask=True", minion_tgt=stranger.id)
    assert pillar.data == {}


def test_static_role_grain_overrides_the_inventory(cluster_master, salt_cli, cluster_minions):
    factory = start_minion(cluster_master, "cn98.internal", {"grains": {"role": "compute"}})
    try:
        sync(salt_cli, factory.id)
        grains = salt_cli.run("grains.item", "role", minion_tgt=factory.id)
        assert grains.data == {"role": "compute"}
        pillar = salt_cli.run("pillar.get", "secrets", "unmask=True", minion_tgt=factory.id)
        assert set(pillar.data) == {"nova_dbpass", "nova_pass"}
    finally:
        factory.terminate()


def test_highstate_runs_when_a_minion_starts_with_its_custom_modules(
    cluster_master, salt_cli, cluster_minions, event_listener
):
    """
    startup_states: highstate (etc/salt/minion) on a minion that was never
    synced: the highstate syncs the custom modules itself before its states run
    (salt#40220), so nova.conf's openstack_ini state works on the first boot.
    The id is outside the inventory (the five are taken by the cluster), so
    role and address come as static grains. `test: True` keeps this host unchanged.
    """
    start = time.time()
    factory = start_minion(
        cluster_master,
        "cn97.internal",
        {
            "startup_states": "highstate",
            "test": True,
            "grains": {"role": "compute", "mgmt_ipv4": "10.162.128.97"},
        },
    )
    try:
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
