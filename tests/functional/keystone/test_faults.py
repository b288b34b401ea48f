"""
The runbook's catalog through a fault proxy (tests/support/faults.py) in front of a real
Keystone: whatever one fault does to a run (a write hanging, HTTP 500 for a while,
Keystone killed after a write and restarted, a write's answer lost), the next run converges
and the one after it changes and writes nothing, leaving one of each object.
"""

import pytest

from tests.functional.keystone.conftest import auth_for, writes
from tests.functional.keystone.test_catalog import _apply, _pillar
from tests.support.faults import FaultProxy

pytestmark = pytest.mark.slow

FAULTS = {
    # every write of the 3 s from the first one accepted and never answered
    "hang": lambda proxy, server: proxy.hang(3.0, method="POST"),
    # HTTP 500 to everything for 1.5 s from the first request
    "500": lambda proxy, server: proxy.fail(seconds=1.5, status=500),
    # Keystone killed right after it made the first user, back 0.5 s later
    "restart": lambda proxy, server: proxy.restart(
        "POST", "/v3/users", server.stop, server.start, down=0.5
    ),
    # the first grant's answer lost, then nothing answers for 2 s
    "lost grant": lambda proxy, server: proxy.drop_answer("PUT", "/v3/projects/", down=2.0),
}


def _catalog(loaders, server):
    ks = loaders.modules.keystone_v3
    auth = auth_for(server)
    endpoints = ks.endpoint_list(auth=auth)
    return {
        "services": sorted((s["name"], s["type"]) for s in ks.service_list(auth=auth)),
        "endpoints": len(endpoints),
        "distinct endpoints": len({(e["service_id"], e["interface"]) for e in endpoints}),
        "users": sorted(u["name"] for u in ks.user_list(auth=auth)),
        "projects": sorted(p["name"] for p in ks.project_list(auth=auth)),
        "roles": sorted(r["name"] for r in ks.role_list(auth=auth)),
    }


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_after_a_fault_the_next_run_converges_and_the_one_after_changes_nothing(
    loaders, fresh_keystone, example_pillar, fault
):
    server = fresh_keystone()
    pillar = _pillar(example_pillar, server)
    with FaultProxy(server.base_url) as proxy:
        pillar["keystone"]["auth"]["auth_url"] = f"{proxy.url}/v3"
        armed = FAULTS[fault](proxy, server)
        _apply(loaders, pillar)  # the run the fault hits: it may fail
        assert armed.hits, f"the {fault} fault met no request"
        proxy.wait_restarted()
        proxy.clear()

        loaders.reset_state()  # the next run
        results = _apply(loaders, pillar)
        assert [(r.id, r.comment) for r in results if r.result is not True] == []

        loaders.reset_state()
        mark = server.mark()
        rerun = _apply(loaders, pillar)
        assert [(r.id, r.comment) for r in rerun if r.result is not True or r.changes] == []
        assert writes(server.requests(mark)) == []

    catalog = _catalog(loaders, server)
    roles = catalog.pop("roles")
    assert len(roles) == len(set(roles)) and {"admin", "_member_"} <= set(roles)
    assert catalog == {
        "services": [("glance", "image"), ("keystone", "identity"), ("nova", "compute")],
        "endpoints": 9,
        "distinct endpoints": 9,
        "users": ["admin", "demo", "glance", "nova"],
        "projects": ["admin", "demo", "service"],
    }
