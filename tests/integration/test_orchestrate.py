"""
`salt-run state.orchestrate orch.cloud test=True` on real daemons: a master and the five
inventory minions.

The orchestration (salt/orch/cloud.sls), top.sls, validate, common, the repository, the
whole compute bundle, the demo network (nova.flat_network) and the first VM
(smoke.first_vm) are the repo's own. One file is a stand-in, found first in the master's
file_roots, because what it replaces needs services this Debian host does not have
(MariaDB with the head's root password, Keystone on cn43.internal, which does not resolve
here; see `make demo` for the real head's dry run):

- head.sls: the real head's includes that can run here (validate, common, openstack.repo;
  its MariaDB, Keystone, Glance and Nova controller states are left out).

nova-api is not running on the head (it is not installed here, as on a new cluster), so
the network and the first VM each dry-run as one state saying what would be done.
"""

import json

import pytest
import yaml

from tests.support.localcluster import REPO, make_pillar_root, master_overrides, start_minion, sync
from tests.support.nova import PUBLIC_KEY
from tests.support.orchestration import (
    HEAD_STEP,
    NETWORK_STEP,
    SMOKE_STEP,
    job_minions,
    now_jid,
    orchestrate,
    state_jobs,
    step_returns,
)

pytestmark = pytest.mark.slow

HEAD = "cn43.internal"
COMPUTE = ("cn44.internal", "cn45.internal", "cn46.internal", "cn47.internal")
BATCHES = ("orch-compute-batch-1-of-2-configured", "orch-compute-batch-2-of-2-configured")
NETWORK = "nova-flat-network-present"
FIRST_VM = "smoke-first-vm-server-present"
# What of the real salt/head.sls can run on this host.
RUNNABLE_HERE = ("validate", "common", "openstack.repo", "nova.flat_network")


@pytest.fixture(scope="module")
def stand_in_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("orch-tree")
    real = yaml.safe_load((REPO / "salt" / "head.sls").read_text())["include"]
    kept = [sls for sls in real if sls in RUNNABLE_HERE]
    (root / "head.sls").write_text(yaml.safe_dump({"include": kept}))
    return root


@pytest.fixture(scope="module")
def orch_cluster(salt_factories, stand_in_root, tmp_path_factory):
    pillar = make_pillar_root(tmp_path_factory.mktemp("orch") / "pillar")
    # the demo user's public key, which a site copies there for the first VM
    (pillar / "demo-key.pub").write_text(PUBLIC_KEY + "\n")
    overrides = master_overrides(pillar)
    overrides["file_roots"] = {"base": [str(stand_in_root), str(REPO / "salt")]}
    master = salt_factories.salt_master_daemon("orch-master", overrides=overrides)
    minions = {}
    with master.started(start_timeout=120):
        try:
            for minion_id in (HEAD, *COMPUTE):
                minions[minion_id] = start_minion(master, minion_id)
            sync(master.salt_cli(timeout=300), "cn4*")
            yield master, minions
        finally:
            for factory in minions.values():
                factory.terminate()


def _by_id(steps):
    return {s["id"]: s for s in steps}


def _results(states):
    return {s["__id__"]: s["result"] for s in states.values()}


def test_dry_run_reaches_the_head_then_the_compute_batches_then_the_network(orch_cluster):
    master, _minions = orch_cluster
    retcode, steps = orchestrate(master, "test=True")
    assert [s["id"] for s in steps] == [HEAD_STEP, *BATCHES, NETWORK_STEP], steps
    assert retcode == 0, [(s["id"], s["comment"]) for s in steps]
    # Each step is its own job, one after the other, on exactly its nodes.
    jids = [s["__jid__"] for s in steps]
    assert jids == sorted(jids)
    targets = [job_minions(master, jid) for jid in jids]
    assert targets == [{HEAD}, set(COMPUTE[:2]), set(COMPUTE[2:]), {HEAD}]
    # test=True reached every node: nothing failed, the real compute bundle would change
    # things (a real run on this Debian host would have failed or changed it), nothing did.
    compute = {}
    for step in steps[1:3]:
        compute.update(step_returns(step))
    assert set(compute) == set(COMPUTE)
    for minion_id, states in compute.items():
        results = _results(states)
        assert False not in results.values(), (minion_id, results)
        assert None in results.values(), (minion_id, results)
        assert "nova-config-file-managed" in results
    # The head's step leaves the demo network to its own step, after the compute nodes.
    head_states = step_returns(steps[0]).get(HEAD) or {}
    assert NETWORK not in _results(head_states)
    (network,) = step_returns(steps[3])[HEAD].values()
    assert (network["__id__"], network["result"]) == (NETWORK, None)
    assert "network demo-net (203.0.113.24/29 on br100) would be created" in network["comment"]
    assert "(nova-api is not running yet: checked once it runs)" in network["comment"]


def test_smoke_pillar_adds_the_first_vm_after_the_network(orch_cluster):
    master, _minions = orch_cluster
    retcode, steps = orchestrate(
        master, "test=True", 'pillar={"smoke": true, "orch": {"batch": 4}}'
    )
    assert retcode == 0, [(s["id"], s["comment"]) for s in steps]
    assert [s["id"] for s in steps] == [
        HEAD_STEP,
        "orch-compute-batch-1-of-1-configured",
        NETWORK_STEP,
        SMOKE_STEP,
    ]
    assert set(step_returns(steps[1])) == set(COMPUTE)
    assert job_minions(master, steps[3]["__jid__"]) == {HEAD}
    assert _results(step_returns(steps[3])[HEAD]) == {FIRST_VM: None}


def test_a_failed_head_stops_the_run_before_any_compute_node(orch_cluster):
    master, _minions = orch_cluster
    since = now_jid()
    # The first state of the head's highstate (validate) refuses a string for a boolean.
    bad = json.dumps({"orch": {"pillar": {"flat_network": {"multi_host": "True"}}}})
    retcode, steps = orchestrate(master, "test=True", f"pillar={bad}")
    assert retcode != 0
    found = _by_id(steps)
    head = found[HEAD_STEP]
    assert head["result"] is False and HEAD in head["comment"], head
    assert "flat_network:multi_host" in json.dumps(head["changes"])
    for step_id in (*BATCHES, NETWORK_STEP):
        assert found[step_id]["result"] is False
        assert found[step_id]["comment"].startswith("One or more requisite failed")
        assert "__jid__" not in found[step_id]
    # No state job went to any node but the head.
    assert list(state_jobs(master, since).values()) == [[HEAD]]


def test_a_failed_compute_node_is_named_and_the_others_go_on(orch_cluster):
    """Last in this module: it stops cn45's minion for good."""
    master, minions = orch_cluster
    minions["cn45.internal"].terminate()
    retcode, steps = orchestrate(master, "test=True")
    assert retcode != 0
    found = _by_id(steps)
    first, second = found[BATCHES[0]], found[BATCHES[1]]
    assert first["result"] is False
    assert first["comment"].startswith("Run failed on minions: cn45.internal"), first
    assert "cn44.internal" not in first["comment"]
    # cn44, in the same batch, and the next batch were dry-run all the same.
    assert "cn44.internal" in step_returns(first)
    assert second["result"] is None and set(step_returns(second)) == set(COMPUTE[2:])
    assert found[NETWORK_STEP]["result"] is None
    assert [s["id"] for s in steps if s["result"] is False] == [BATCHES[0]]
