"""
Creates whose answer is lost, over real HTTP: a loopback proxy in front of a real Keystone
forwards a write, then closes the client's connection without an answer (Keystone applied
it and died), and answers nothing for a moment after (it is coming back). The write is not
sent again: the object is looked up, so a run ends with one of each, and a second run
changes nothing.
"""

import contextlib

import pytest

from tests.functional.keystone.conftest import auth_for, writes
from tests.functional.keystone.test_catalog import _apply, _pillar
from tests.support.faults import FaultProxy

pytestmark = pytest.mark.slow


@pytest.fixture
def losing_proxy():
    """
    make(server, lose, apply=True): a fault proxy in front of ``server`` that loses the
    answer of the first write of each (method, path prefix) in ``lose`` (forwarded or, with
    ``apply`` False, not), and answers nothing for a second after; yields (faults, URL).
    """
    with contextlib.ExitStack() as stack:

        def make(server, lose, apply=True):
            proxy = stack.enter_context(FaultProxy(server.base_url))
            faults = [proxy.drop_answer(m, p, apply=apply, down=1.0) for m, p in sorted(lose)]
            return faults, f"{proxy.url}/v3"

        yield make


def lost(faults):
    """The (method, path prefix) of the faults that lost an answer."""
    return sorted((f.method, f.prefix) for f in faults if f.hits)


CREATES = {
    ("POST", "/v3/projects"),
    ("POST", "/v3/users"),
    ("POST", "/v3/roles"),
    ("POST", "/v3/services"),
    ("POST", "/v3/endpoints"),
    ("PUT", "/v3/projects/"),  # a role grant
}


def test_catalog_with_lost_create_answers_ends_with_one_of_each(
    loaders, fresh_keystone, example_pillar, losing_proxy
):
    server = fresh_keystone()
    pillar = _pillar(example_pillar, server)
    faults, url = losing_proxy(server, CREATES)
    pillar["keystone"]["auth"]["auth_url"] = url

    results = _apply(loaders, pillar)
    assert [(r.id, r.comment) for r in results if r.result is not True] == []
    assert lost(faults) == sorted(CREATES)  # each kind lost one answer

    ks = loaders.modules.keystone_v3
    auth = auth_for(server)
    services = ks.service_list(auth=auth)
    assert sorted((s["name"], s["type"]) for s in services) == [
        ("glance", "image"),
        ("keystone", "identity"),
        ("nova", "compute"),
    ]
    endpoints = {(ep["service_id"], ep["interface"]) for ep in ks.endpoint_list(auth=auth)}
    assert len(endpoints) == len(ks.endpoint_list(auth=auth)) == 9
    assert sorted(u["name"] for u in ks.user_list(auth=auth)) == ["admin", "demo", "glance", "nova"]
    assert sorted(p["name"] for p in ks.project_list(auth=auth)) == ["admin", "demo", "service"]

    mark = server.mark()
    rerun = _apply(loaders, pillar)
    assert [(r.id, r.comment) for r in rerun if r.result is not True or r.changes] == []
    assert writes(server.requests(mark)) == []


def test_a_lost_create_that_was_not_applied_fails_and_the_next_run_creates(
    loaders, fresh_keystone, losing_proxy
):
    server = fresh_keystone()
    faults, url = losing_proxy(server, {("POST", "/v3/services")}, apply=False)
    auth = dict(auth_for(server), auth_url=url)

    def present():
        return loaders.states.keystone_service.present(
            name="glance", service_type="image", description="OpenStack Image Service", auth=auth
        )

    ret = present()
    assert ret.result is False
    assert "connection closed without an answer" in ret.comment
    assert "Keystone holds no service 'glance' of type 'image' now, so it was not applied" in (
        ret.comment
    )
    assert lost(faults) == [("POST", "/v3/services")]
    loaders.reset_state()  # the next run
    assert present().changes["new"]["type"] == "image"
    assert [s["type"] for s in loaders.modules.keystone_v3.service_list(auth=auth)].count(
        "image"
    ) == 1


def test_a_user_create_refused_409_returns_the_user_that_is_there(loaders, keystone, auth, unique):
    ks = loaders.modules.keystone_v3
    name, password = unique("user"), "f0f0f0f0f0f0f0f0f0f0"
    first = ks.user_create(name, password=password, email="dario.berzano@cern.ch", auth=auth)
    mark = keystone.mark()
    again = ks.user_create(name, password=password, email="dario.berzano@cern.ch", auth=auth)
    assert again["id"] == first["id"]
    requests = keystone.requests(mark)
    assert [r[:3] for r in writes(requests)] == [("POST", "/v3/users", 409)]
    assert [u["id"] for u in ks.user_list(auth=auth) if u["name"] == name] == [first["id"]]


@pytest.mark.parametrize(
    "change, differs",
    [({"password": "e0e0e0e0e0e0e0e0e0e0"}, "password"), ({"email": "x@example.org"}, "email")],
)
def test_a_user_create_refused_409_by_another_user_fails_saying_what_differs(
    loaders, auth, unique, change, differs
):
    ks = loaders.modules.keystone_v3
    name = unique("user")
    wanted = {"password": "f0f0f0f0f0f0f0f0f0f0", "email": "dario.berzano@cern.ch"}
    ks.user_create(name, auth=auth, **wanted)
    with pytest.raises(Exception, match="HTTP 409") as raised:
        ks.user_create(name, auth=auth, **dict(wanted, **change))
    assert f"its {differs}" in str(raised.value)
    assert "not taken as the one this call created" in str(raised.value)
    assert "e0e0e0e0e0e0e0e0e0e0" not in str(raised.value)


def test_duplicate_services_fail_naming_both_ids_and_the_remedy(loaders, auth, unique):
    ks = loaders.modules.keystone_v3
    name = unique("glance")
    first = ks.service_create(name, "image", auth=auth)
    second = ks.service_create(name, "image", auth=auth)
    ks.endpoint_create(first["id"], "public", "http://cn43.internal:9292", auth=auth)
    ret = loaders.states.keystone_service.present(name=name, service_type="image", auth=auth)
    assert ret.result is False and ret.changes == {}
    assert f"2 services are named '{name}' of type 'image'" in ret.comment
    assert f"{first['id']} (1 endpoint)" in ret.comment
    assert f"{second['id']} (no endpoints)" in ret.comment
    assert "keystone_v3.service_delete <id>" in ret.comment
    assert "keystone service-delete <id>" in ret.comment

    ret = loaders.states.keystone_endpoint.present(
        name="glance-public",
        service=name,
        service_type="image",
        url="http://cn43.internal:9292",
        auth=auth,
    )
    assert ret.result is False
    assert "give service_type" not in ret.comment  # it was given
    assert f"{first['id']} (1 endpoint)" in ret.comment
    assert "keystone_v3.service_delete <id>" in ret.comment
