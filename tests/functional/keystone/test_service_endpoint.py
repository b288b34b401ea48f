"""keystone_service and keystone_endpoint against a real Keystone."""

import pytest

from tests.functional.keystone.conftest import auth_for, writes

pytestmark = pytest.mark.slow

COMPUTE = "http://cn43.internal:8774/v2/%(tenant_id)s"


def _endpoints(loaders, auth, service_id):
    return {
        ep["interface"]: ep
        for ep in loaders.modules.keystone_v3.endpoint_list(auth=auth)
        if ep["service_id"] == service_id
    }


@pytest.fixture
def service(loaders, auth, unique):
    return loaders.modules.keystone_v3.service_create(unique("nova"), "compute", auth=auth)


@pytest.mark.parametrize("testmode", [True, False])
def test_service_present_creates_the_service(loaders, keystone, auth, unique, testmode):
    name = unique("glance")
    mark = keystone.mark()
    ret = loaders.states.keystone_service.present(
        name=name,
        service_type="image",
        description="OpenStack Image Service",
        auth=auth,
        test=testmode,
    )
    assert (ret.result is None) is testmode
    assert ret.changes["new"]["type"] == "image"
    found = [s for s in loaders.modules.keystone_v3.service_list(auth=auth) if s["name"] == name]
    assert len(found) == (0 if testmode else 1)
    if testmode:
        assert writes(keystone.requests(mark)) == []


def test_bootstrap_identity_service_is_converged_not_duplicated(loaders, fresh_keystone):
    server = fresh_keystone()
    auth = auth_for(server)
    ret = loaders.states.keystone_service.present(
        name="keystone", service_type="identity", description="OpenStack Identity", auth=auth
    )
    assert ret.result is True
    assert ret.changes == {
        "old": {"description": None},
        "new": {"description": "OpenStack Identity"},
    }
    identity = [
        s for s in loaders.modules.keystone_v3.service_list(auth=auth) if s["type"] == "identity"
    ]
    assert len(identity) == 1


@pytest.mark.parametrize("testmode", [True, False])
def test_endpoint_present_creates_one_endpoint_per_interface(
    loaders, keystone, auth, service, testmode
):
    mark = keystone.mark()
    for interface in ("public", "internal", "admin"):
        ret = loaders.states.keystone_endpoint.present(
            name=f"{service['name']}-{interface}",
            service=service["name"],
            interface=interface,
            url=COMPUTE,
            auth=auth,
            test=testmode,
        )
        assert (ret.result is None) is testmode
        assert ret.changes["new"]["url"] == COMPUTE
    endpoints = _endpoints(loaders, auth, service["id"])
    if testmode:
        assert endpoints == {}
        assert writes(keystone.requests(mark)) == []
        return
    assert sorted(endpoints) == ["admin", "internal", "public"]
    assert {ep["url"] for ep in endpoints.values()} == {COMPUTE}  # %(tenant_id)s kept literally
    # The runbook's region, in both keys (Icehouse reads `region`, Juno+ `region_id`).
    assert {(ep["region"], ep["region_id"]) for ep in endpoints.values()} == {
        ("regionOne", "regionOne")
    }


@pytest.mark.parametrize("testmode", [True, False])
def test_changed_url_is_updated_in_place_and_other_interfaces_untouched(
    loaders, keystone, auth, service, testmode
):
    ks = loaders.modules.keystone_v3
    for interface in ("public", "internal", "admin"):
        ks.endpoint_create(service["id"], interface, "http://cn43.internal:5000/v2.0", auth=auth)
    before = _endpoints(loaders, auth, service["id"])
    mark = keystone.mark()
    ret = loaders.states.keystone_endpoint.present(
        name="admin-url",
        service=service["name"],
        interface="admin",
        url="http://cn43.internal:35357/v2.0",
        auth=auth,
        test=testmode,
    )
    assert (ret.result is None) is testmode
    assert ret.changes == {
        "old": {"url": "http://cn43.internal:5000/v2.0"},
        "new": {"url": "http://cn43.internal:35357/v2.0"},
    }
    after = _endpoints(loaders, auth, service["id"])
    assert {i: ep["id"] for i, ep in after.items()} == {i: ep["id"] for i, ep in before.items()}
    assert after["public"] == before["public"] and after["internal"] == before["internal"]
    if testmode:
        assert after["admin"] == before["admin"]
        assert writes(keystone.requests(mark)) == []
    else:
        assert after["admin"]["url"] == "http://cn43.internal:35357/v2.0"
        assert writes(keystone.requests(mark)) == [
            ("PATCH", f"/v3/endpoints/{before['admin']['id']}", 200)
        ]


def test_three_interfaces_with_different_urls_converge_and_stay(loaders, keystone, auth, service):
    urls = {
        "public": "http://cn43.internal:5000/v2.0",
        "internal": "http://cn43.internal:5000/v2.0",
        "admin": "http://cn43.internal:35357/v2.0",
    }

    def apply():
        return [
            loaders.states.keystone_endpoint.present(
                name=f"ep-{i}", service=service["name"], interface=i, url=u, auth=auth
            )
            for i, u in urls.items()
        ]

    assert all(r.result is True for r in apply())
    mark = keystone.mark()
    rerun = apply()
    assert all(r.result is True and r.changes == {} for r in rerun)
    assert writes(keystone.requests(mark)) == []
    found = _endpoints(loaders, auth, service["id"])
    assert {i: ep["url"] for i, ep in found.items()} == urls


def test_missing_region_is_created(loaders, auth, unique, service):
    region = unique("Region")
    ret = loaders.states.keystone_endpoint.present(
        name="ep",
        service=service["name"],
        interface="public",
        url=COMPUTE,
        region=region,
        auth=auth,
    )
    assert ret.result is True
    assert ret.changes["new"]["region_created"] is True
    regions = [r["id"] for r in loaders.modules.keystone_v3.region_list(auth=auth)]
    assert region in regions


def test_default_region_endpoints_carry_both_keys_and_a_rerun_changes_nothing(
    loaders, fresh_keystone
):
    server = fresh_keystone()
    auth = auth_for(server)
    ks = loaders.modules.keystone_v3
    service = ks.service_create("glance", "image", auth=auth)

    def apply():
        return [
            loaders.states.keystone_endpoint.present(
                name=f"glance-{interface}",
                service="glance",
                interface=interface,
                url="http://cn43.internal:9292",
                auth=auth,
            )
            for interface in ("public", "internal", "admin")
        ]

    first = apply()
    assert all(r.result is True for r in first), [r.comment for r in first]
    # The test Keystone's bootstrap made the runbook's region: no other one appears.
    assert [r.changes["new"].get("region_created") for r in first] == [None, None, None]
    assert {r["id"] for r in ks.region_list(auth=auth)} == {"regionOne"}
    for ep in _endpoints(loaders, auth, service["id"]).values():
        assert (ep["region"], ep["region_id"]) == ("regionOne", "regionOne")
    mark = server.mark()
    rerun = apply()
    assert all(r.result is True and r.changes == {} for r in rerun), [r.comment for r in rerun]
    assert writes(server.requests(mark)) == []


def test_endpoint_moved_to_another_region_reads_back_in_both_keys(loaders, auth, unique, service):
    ks = loaders.modules.keystone_v3
    region = unique("Region")
    ks.region_create(region, auth=auth)
    created = ks.endpoint_create(service["id"], "internal", COMPUTE, auth=auth)

    updated = ks.endpoint_update(created["id"], region=region, auth=auth)

    assert (updated["region"], updated["region_id"]) == (region, region)
    listed = _endpoints(loaders, auth, service["id"])["internal"]
    assert (listed["region"], listed["region_id"]) == (region, region)


@pytest.mark.parametrize("testmode", [True, False])
def test_endpoint_of_a_missing_service_fails_or_is_pending_in_test_mode(loaders, auth, testmode):
    ret = loaders.states.keystone_endpoint.present(
        name="ep",
        service="no-such-service",
        interface="public",
        url=COMPUTE,
        auth=auth,
        test=testmode,
    )
    assert ret.result is (None if testmode else False)
    assert "service 'no-such-service'" in ret.comment


def test_bad_interface_is_refused_before_any_request(loaders, keystone, auth, service):
    mark = keystone.mark()
    ret = loaders.states.keystone_endpoint.present(
        name="ep", service=service["name"], interface="private", url=COMPUTE, auth=auth
    )
    assert ret.result is False and "interface" in ret.comment
    assert keystone.requests(mark) == []


@pytest.mark.parametrize("testmode", [True, False])
def test_endpoint_and_service_absent(loaders, auth, service, testmode):
    ks = loaders.modules.keystone_v3
    ks.endpoint_create(service["id"], "public", COMPUTE, auth=auth)
    ret = loaders.states.keystone_endpoint.absent(
        name="ep", service=service["name"], interface="public", auth=auth, test=testmode
    )
    assert (ret.result is None) is testmode
    assert ("public" in _endpoints(loaders, auth, service["id"])) is testmode
    ret = loaders.states.keystone_service.absent(name=service["name"], auth=auth, test=testmode)
    assert (ret.result is None) is testmode
    left = [s for s in ks.service_list(auth=auth) if s["id"] == service["id"]]
    assert bool(left) is testmode
