"""
`salt -G role:head state.apply nova.flat_network` and `... smoke.first_vm` through a real
master and the cn43 minion, with the head's real pillar (pillar/cluster.sls, nova.sls,
smoke.sls, fresh secrets); only the Keystone URL is given on the command line. Keystone
is the real test Keystone, its catalog converged first by `state.apply keystone.catalog`
on the same minion; Nova is the Compute API TEST DOUBLE (tests/support/compute_double.py)
that the catalog's `%(tenant_id)s` endpoint points to.
"""

import json

import pytest

from tests.functional.keystone.conftest import keystone_template  # noqa: F401 (fixture)
from tests.support.localcluster import make_pillar_root, master_overrides, start_minion, sync
from tests.support.nova import (  # noqa: F401 (fixtures)
    DEMO_NET,
    PUBLIC_KEY,
    double,
    nova_keystone,
)

pytestmark = pytest.mark.slow

HEAD = "cn43.internal"


@pytest.fixture(scope="module")
def pillar_root(tmp_path_factory):
    root = make_pillar_root(tmp_path_factory.mktemp("nova-head") / "pillar")
    (root / "demo-key.pub").write_text(PUBLIC_KEY + "\n")
    return root


@pytest.fixture(scope="module")
def head(salt_factories, pillar_root):
    master = salt_factories.salt_master_daemon(
        "nova-head-master", overrides=master_overrides(pillar_root)
    )
    with master.started(start_timeout=120):
        cli = master.salt_cli(timeout=300)
        minion = start_minion(master, HEAD)
        try:
            sync(cli, HEAD)
            yield cli
        finally:
            minion.terminate()


def run(cli, sls, pillar):
    ret = cli.run("-G", "state.apply", sls, f"pillar={json.dumps(pillar)}", minion_tgt="role:head")
    assert set(ret.data or {}) == {HEAD}, ret
    states = ret.data[HEAD]
    assert isinstance(states, dict), states
    return {s["__id__"]: s for s in states.values()}


@pytest.fixture(scope="module")
def catalog(head, nova_keystone, double):
    """The head's own keystone.catalog, pointed at the test Keystone and the double."""
    urls = {i: nova_keystone.url for i in ("public", "internal", "admin")}
    nova = {i: double.endpoint for i in ("public", "internal", "admin")}
    unused = {i: "http://127.0.0.1:9/unused" for i in ("public", "internal", "admin")}
    override = {
        "keystone": {
            "auth": {"auth_url": nova_keystone.url, "token": nova_keystone.admin_token},
            "services": {
                "keystone": {"endpoints": urls},
                "nova": {"endpoints": nova},
                "glance": {"endpoints": unused},
            },
        }
    }
    states = run(head, "keystone.catalog", override)
    assert {sid: s["comment"] for sid, s in states.items() if s["result"] is not True} == {}
    return nova_keystone.url


def with_auth(url, *keys):
    """A pillar override giving only the Keystone URL at ``keys`` + auth."""
    override = {"auth": {"auth_url": url, "retry_timeout": 5}}
    for key in reversed(keys):
        override = {key: override}
    return override


@pytest.fixture
def nova_network_up(double):
    """cn44 runs nova-network (the double's nova-api answers a network RPC in time)."""
    double.rpc_timeout = 2
    double.service_up("nova-network", "cn44.internal")
    yield
    double.service_up("nova-network", "cn44.internal", up=False)


def test_flat_network_before_any_nova_network_refuses_in_one_line(head, catalog, double):
    states = run(head, "nova.flat_network", with_auth(catalog, "nova"))
    ret = states["nova-flat-network-present"]
    assert ret["result"] is False
    assert ret["comment"] == (
        "Network 'demo-net': no nova-network service is up yet: apply the compute nodes first"
    )
    assert double.networks == {}
    assert not [r for r in double.requests if r[0] == "POST"]


def test_flat_network_on_the_head_creates_the_demo_network(head, catalog, double, nova_network_up):
    states = run(head, "nova.flat_network", with_auth(catalog, "nova"))
    ret = states["nova-flat-network-present"]
    assert ret["result"] is True, ret["comment"]
    (net,) = double.networks.values()
    assert {key: net[key] for key in DEMO_NET} == DEMO_NET
    again = run(head, "nova.flat_network", with_auth(catalog, "nova"))
    assert again["nova-flat-network-present"]["changes"] == {}
    assert again["nova-flat-network-present"]["result"] is True


def test_first_vm_smoke_on_the_head_boots_and_cleans_up(head, catalog, double, nova_network_up):
    run(head, "nova.flat_network", with_auth(catalog, "nova"))
    # the demo user boots; the admin (nova:auth) looks the network up
    smoke = {**with_auth(catalog, "smoke", "first_vm"), **with_auth(catalog, "nova")}
    states = run(head, "smoke.first_vm", smoke)
    assert {sid: s["result"] for sid, s in states.items()} == {
        "smoke-first-vm-keypair-present": True,
        "smoke-first-vm-server-present": True,
        "smoke-first-vm-second-server-present": True,
        "smoke-first-vm-console-checked": True,
    }, {sid: s["comment"] for sid, s in states.items()}
    assert sorted((s["name"], s["status"]) for s in double.servers.values()) == [
        ("demo-inst1", "ACTIVE"),
        ("demo-inst2", "ACTIVE"),
    ]
    assert "token=***" in states["smoke-first-vm-console-checked"]["comment"]
    # The keypair belongs to the demo user, with the key of pillar/demo-key.pub.
    (pair,) = double.keypairs.values()
    assert pair["public_key"] == PUBLIC_KEY
    again = run(head, "smoke.first_vm", smoke)
    assert all(s["result"] is True for s in again.values())
    assert again["smoke-first-vm-server-present"]["changes"] == {}
    clean = run(head, "smoke.first_vm_clean", with_auth(catalog, "smoke", "first_vm"))
    assert all(s["result"] is True for s in clean.values()), clean
    assert double.servers == {} and double.keypairs == {}
    gone = run(head, "nova.flat_network.clean", with_auth(catalog, "nova"))
    assert gone["nova-flat-network-absent"]["result"] is True
    assert double.networks == {}
