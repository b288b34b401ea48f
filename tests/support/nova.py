"""
The Compute API TEST DOUBLE (tests/support/compute_double.py) behind its own copy of the
test Keystone: the module-scoped fixtures the functional and the integration Nova tests
share, and what they check of the runbook's demo network.

Import the fixtures into a test module or conftest:
    from tests.functional.keystone.conftest import keystone_template  # noqa: F401
    from tests.support.nova import double, nova_keystone  # noqa: F401
"""

import pytest

from tests.support.compute_double import ComputeDouble

# The runbook's `nova network-create demo-net --bridge br100 --multi-host T
# --fixed-range-v4 203.0.113.24/29`, with em1 (cluster.conf) as the bridge interface.
DEMO_NET = {
    "label": "demo-net",
    "cidr": "203.0.113.24/29",
    "bridge": "br100",
    "bridge_interface": "em1",
    "multi_host": True,
}

# The demo user's public key (the runbook's demo-key.pub); the double checks only its form.
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3Qta2V5LWZvci10aGUtc21va2U demo@cn43"


@pytest.fixture(scope="module")
def nova_keystone(keystone_template, tmp_path_factory):
    server = keystone_template.clone(tmp_path_factory.mktemp("keystone-nova"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def double(nova_keystone):
    compute = ComputeDouble(nova_keystone.url).start()
    try:
        yield compute
    finally:
        compute.stop()
