"""
A switch flap on real daemons: three compute minions, each in its own network namespace
with br100, its gateway and a guest (tests/support/storm.py), lose the gateway at once. The
nova-network test double takes SLOW seconds to restart, so each beacon fires a few more times
while its node's heal is in flight: the master's reactor still queues one heal per node
(reactor/bridge_gateway.sls, heal_gate.enqueue) and its dispatcher publishes them
(runner heal_gate.dispatch, lists of ids), each node starts one heal job and restarts
the double once, both counted in that node's own minion log, and every address comes back.
The 5 to 40 minion figures are in bench/bench_scale.py.
"""

import pathlib

import pytest

from tests.support.netns import usable
from tests.support.storm import storm, storm_cluster

pytestmark = [
    pytest.mark.slow,
    pytest.mark.requires_service(usable() and f"network namespaces: {usable()}"),
]

NODES = 3
SLOW = 3


def test_every_node_loses_the_gateway_at_once_each_is_healed_once(salt_factories, tmp_path):
    with storm_cluster(salt_factories, tmp_path, NODES) as cluster:
        cluster.fake.slow_seconds = SLOW  # read when the double is written: rewrite it
        cluster.fake.install(tmp_path)
        cluster.fake.set_mode("slow")
        found = storm(cluster, timeout=60)
        kept = pathlib.Path(cluster.master.config["cachedir"]) / "hltcloud"
        held = sorted(mark.name for mark in (kept / "heal-gate").glob("*"))
        queued = sorted(entry.name for entry in (kept / "heal-queue").glob("*"))
        dispatching = (kept / "heal-dispatch").exists()
    assert None not in found["latencies"], f"a gateway did not come back: {found}"
    assert min(found["latencies"]) >= SLOW, found
    assert found["jobs"] == {minion_id: 1 for minion_id in cluster.ids}, found
    assert found["restarts"] == {minion_id: 1 for minion_id in cluster.ids}, found
    assert found["double_restarts"] == NODES, found
    assert held == cluster.ids
    assert queued == [] and not dispatching  # every heal published, the dispatcher ended
