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

# The demo user's public key (the runbook's demo-key.pub from a plain `ssh-keygen`: RSA, which
# the OpenSSH 6.2 of Fedora 19 reads; nova-api fingerprints it with ssh-keygen -l). Its MD5
# fingerprint, as `ssh-keygen -l -E md5` prints it, is PUBLIC_KEY_FINGERPRINT.
PUBLIC_KEY = (
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDRxz5cs0s7Q4pGi4IA0/KNWch2mWPytN5t5RoO/D4KMs/W2BY62"
    "Oxzav0RwE66EwwGXV2HN19uDlLPVKaINjM7vCmuNRIoRQVpqqRzBXi8knpouxDB4zuc5uY6lcd0NqiMttDABXh/o"
    "bcIQsLcPUgUwVr6BSils7ldAyl+4zfYg4dRFTp/WwnsVh0HnDPZVvPBUQZk/hCefmomCJ87abEbnUxuPlkuHLLOSb"
    "PG+75ryglJ7Upzfy5q+40hnmb+RDqizucTRIij1I+V0+Gx0jPJGY+bO4CTOdKDjHAW8D6FCSwnu9fiTIdlByjRdH"
    "pATKP2VnXBNpBVeCNh1z9rgRcX demo@cn43"
)
PUBLIC_KEY_FINGERPRINT = "91:e0:2e:31:f2:4f:40:c6:0f:f9:66:15:44:1a:57:2a"


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
