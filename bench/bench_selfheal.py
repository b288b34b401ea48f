"""
Heal latency of the self-healing bridge: gateway address removed -> back.

Real daemons as in tests/integration/test_selfheal.py: a salt-master on the
host, cn44.internal's minion in a network namespace with a real br100, the
bridge_gateway beacon (interval 1 s, as in pillar/selfheal.sls), the reactor
and selfheal.heal, restarting the nova-network test double (nova-network does
not exist on Debian 12). The double re-adds the address INSTANTLY when
restarted; the real nova-network takes seconds to start (loading Python, its
database and message queue connections) before it re-adds it, so the figures
measure the detection + reactor + heal path, not a real restart.
The cool-down is set to 0 so that every removal is healed; removals are spaced
by 2 s. The runbook's way (the dhclient exit hook) has no equivalent to time
here: it only ran on a DHCP renewal and blocked the boot.

Run (as root, needs iproute2):
    .venv/bin/python -m pytest bench/bench_selfheal.py -p tests.conftest -q -s

Targets: median <= 2 s, max <= 5 s over at least 10 removals.
"""

import os
import statistics
import time

import pytest

from tests.support.netns import usable
from tests.support.selfheal import selfheal_cluster

REMOVALS = int(os.environ.get("BENCH_REMOVALS", "12"))


@pytest.mark.requires_service(usable() and f"network namespaces: {usable()}")
def test_heal_latency(salt_factories, tmp_path):
    with selfheal_cluster(salt_factories, tmp_path, cooldown=0) as cluster:
        netns = cluster.netns
        # warm-up: the first job on a fresh minion loads its modules
        netns.del_gateway()
        assert netns.wait_for_gateway(timeout=30) is not None
        latencies = []
        for _ in range(REMOVALS):
            time.sleep(2)
            netns.del_gateway()
            latency = netns.wait_for_gateway(timeout=30)
            assert latency is not None, "the address did not come back within 30 s"
            latencies.append(latency)
    median, worst = statistics.median(latencies), max(latencies)
    print(f"\n\nheal latency, gateway removed -> back, {len(latencies)} removals (beacon 1 s):")
    print("  measured with the nova-network TEST DOUBLE, which re-adds the address instantly;")
    print("  a real nova-network restart adds its own start-up time on top")
    print("  each: " + " ".join(f"{x:.2f}" for x in latencies))
    print(f"  median {median:.2f} s   max {worst:.2f} s   min {min(latencies):.2f} s")
    print(f"  target median <= 2 s: {'PASS' if median <= 2 else 'FAIL'}")
    print(f"  target max    <= 5 s: {'PASS' if worst <= 5 else 'FAIL'}\n")
    assert median <= 2 and worst <= 5
