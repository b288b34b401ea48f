"""
The Compute API TEST DOUBLE (tests/support/compute_double.py) behind the real test Keystone.

One Keystone per module (a copy of the keystone tests' template), its catalog converged by
our own salt/keystone/catalog.sls from pillar/keystone.example.yaml with two changes: the
identity endpoints point at that Keystone and the nova service's ``%(tenant_id)s``
endpoints at the double. The nova_* modules then find the double the way they find Nova on
cn43: through the catalog of a password-scoped token.
"""

import copy
import time

import pytest
import yaml

from tests.conftest import REPO
from tests.functional.keystone.conftest import (  # noqa: F401 (fixtures)
    EXAMPLE_PILLAR,
    auth_for,
    keystone_template,
)
from tests.support.localcluster import inventory
from tests.support.nova import PUBLIC_KEY, double, nova_keystone  # noqa: F401 (fixtures)


@pytest.fixture(scope="module")
def example_catalog():
    return yaml.safe_load(EXAMPLE_PILLAR.read_text())["keystone"]


@pytest.fixture(scope="module")
def compute_endpoint(double):
    """The nova endpoints' URL in the catalog: the double's (a test module may put a
    proxy in front of it)."""
    return double.endpoint


@pytest.fixture(scope="module")
def catalog(loaders, nova_keystone, compute_endpoint, example_catalog):
    """Converge the runbook's catalog, with nova's endpoints on the double."""
    keystone = copy.deepcopy(example_catalog)
    keystone["auth"] = auth_for(nova_keystone)
    keystone["services"]["keystone"]["endpoints"] = {
        interface: nova_keystone.url for interface in ("public", "internal", "admin")
    }
    keystone["services"]["nova"]["endpoints"] = {
        interface: compute_endpoint for interface in ("public", "internal", "admin")
    }
    keystone["services"].pop("glance", None)
    pillar = {"keystone": keystone, "cluster": {"head_fqdn": "cn43.internal"}}
    results = list(loaders.modules.state.sls("keystone.catalog", pillar=pillar))
    assert results and [r.id for r in results if r.result is not True] == []
    loaders.reset_state()
    # The catalog set the admin's password, and Keystone revokes the tokens issued in
    # that second: the client copes (test_password_reset_just_before_the_run_does_not_fail_it),
    # but the tests that count requests start in the next second.
    time.sleep(1.05 - time.time() % 1)
    return keystone


def user_auth(server, catalog, user, project):
    return {
        "auth_url": server.url,
        "username": user,
        "password": catalog["users"][user]["password"],
        "project_name": project,
        "retry_timeout": 2,
        "timeout": 10,
    }


@pytest.fixture
def admin_auth(nova_keystone, catalog):
    return user_auth(nova_keystone, catalog, "admin", "admin")


@pytest.fixture
def demo_auth(nova_keystone, catalog):
    return user_auth(nova_keystone, catalog, "demo", "demo")


# Seconds the double's nova-api waits for a nova-network to answer (Icehouse: 60).
RPC_TIMEOUT = 1.5


@pytest.fixture(autouse=True)
def _clean_double(request):
    """A cluster whose compute node cn44 runs nova-network (the double's own default is a
    new cluster, with none): the tests of a cluster without one say so."""
    if "double" in request.fixturenames:
        double = request.getfixturevalue("double")
        double.reset()
        double.rpc_timeout = RPC_TIMEOUT
        double.service_up("nova-network", "cn44.internal")
    yield


@pytest.fixture
def head_pillar(admin_auth, demo_auth):
    """The head's pillar for nova.flat_network and smoke.first_vm, built from the same
    files as pillar/cluster.sls, pillar/nova.sls and pillar/smoke.sls, with the test
    Keystone's credentials."""
    cluster = inventory()
    flat_network = yaml.safe_load((REPO / "pillar" / "flat_network.yaml").read_text())
    return {
        "cluster": {
            "head_fqdn": "cn43.internal",
            "interfaces": cluster["interfaces"],
        },
        "flat_network": flat_network,
        "nova": {"auth": admin_auth},
        "smoke": {
            "first_vm": {
                "auth": demo_auth,
                "public_key": PUBLIC_KEY,
            }
        },
    }


def apply(loaders, sls, pillar, test=False):
    results = list(loaders.modules.state.sls(sls, pillar=pillar, test=test))
    assert results, f"{sls} rendered no states"
    return {r.id: r for r in results}
