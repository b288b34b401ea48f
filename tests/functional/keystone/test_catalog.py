"""The runbook's whole catalog through salt/keystone/catalog.sls, from a fresh bootstrap."""

import copy

import pytest
import salt.config
import salt.pillar
import yaml

from tests.conftest import REPO, require_service
from tests.functional.keystone.conftest import auth_for, writes

pytestmark = pytest.mark.slow

LIST_PATHS = {
    "/v3/roles",
    "/v3/projects?domain_id=default",
    "/v3/users?domain_id=default",
    "/v3/role_assignments",
    "/v3/services",
    "/v3/endpoints",
}


def _pillar(example_pillar, server):
    pillar = copy.deepcopy(example_pillar)
    pillar["keystone"]["auth"] = auth_for(server)
    # The endpoints' host: salt/keystone/catalog.jinja builds the URLs from it.
    pillar["cluster"] = {"head_fqdn": "cn43.internal"}
    return pillar


def _apply(loaders, pillar, test=False):
    results = list(loaders.modules.state.sls("keystone.catalog", pillar=pillar, test=test))
    assert results, "the SLS rendered no states"
    return results


def _passwords(pillar):
    kc = pillar["keystone"]
    found = {name: user["password"] for name, user in kc["users"].items()}
    for name, service in kc["services"].items():
        if service.get("user"):
            found[name] = service["user"]["password"]
    return found


def test_runbook_catalog_converges_from_bootstrap(loaders, fresh_keystone, example_pillar):
    server = fresh_keystone()
    pillar = _pillar(example_pillar, server)
    auth = pillar["keystone"]["auth"]
    ks = loaders.modules.keystone_v3
    bootstrap_endpoints = {ep["interface"]: ep["id"] for ep in ks.endpoint_list(auth=auth)}

    results = _apply(loaders, pillar)
    assert [r.id for r in results if r.result is not True] == []

    projects = {p["name"]: p for p in ks.project_list(auth=auth)}
    assert {n: p["description"] for n, p in projects.items()} == {
        "admin": "Admin Tenant",
        "demo": "Demo Tenant",
        "service": "Service Tenant",
    }
    roles = {r["name"]: r for r in ks.role_list(auth=auth)}
    assert {"admin", "_member_"} <= set(roles)
    users = {u["name"]: u for u in ks.user_list(auth=auth)}
    assert sorted(users) == ["admin", "demo", "glance", "nova"]
    assert {u["email"] for u in users.values()} == {"dario.berzano@cern.ch"}
    ids = {u["id"]: n for n, u in users.items()}
    ids.update({p["id"]: n for n, p in projects.items()})
    ids.update({r["id"]: n for n, r in roles.items()})
    grants = {
        (ids[g["user_id"]], ids[g["project_id"]], ids[g["role_id"]])
        for g in ks.role_assignment_list(auth=auth)
    }
    assert grants == {
        ("admin", "admin", "admin"),
        ("admin", "admin", "_member_"),
        ("demo", "demo", "_member_"),
        ("glance", "service", "admin"),
        ("nova", "service", "admin"),
    }
    services = {s["id"]: s for s in ks.service_list(auth=auth)}
    assert sorted((s["name"], s["type"]) for s in services.values()) == [
        ("glance", "image"),
        ("keystone", "identity"),
        ("nova", "compute"),
    ]
    endpoints = {
        (services[ep["service_id"]]["name"], ep["interface"]): ep
        for ep in ks.endpoint_list(auth=auth)
    }
    assert {k: ep["url"] for k, ep in endpoints.items()} == {
        ("keystone", "public"): "http://cn43.internal:5000/v2.0",
        ("keystone", "internal"): "http://cn43.internal:5000/v2.0",
        ("keystone", "admin"): "http://cn43.internal:35357/v2.0",
        ("glance", "public"): "http://cn43.internal:9292",
        ("glance", "internal"): "http://cn43.internal:9292",
        ("glance", "admin"): "http://cn43.internal:9292",
        ("nova", "public"): "http://cn43.internal:8774/v2/%(tenant_id)s",
        ("nova", "internal"): "http://cn43.internal:8774/v2/%(tenant_id)s",
        ("nova", "admin"): "http://cn43.internal:8774/v2/%(tenant_id)s",
    }
    # bootstrap's identity endpoints were updated in place, not replaced
    assert {i: endpoints[("keystone", i)]["id"] for i in bootstrap_endpoints} == (
        bootstrap_endpoints
    )
    for name, password in _passwords(pillar).items():
        assert ks.token_check(name, password, auth=auth)["valid"], name


def test_rerun_writes_nothing_and_lists_each_type_once(loaders, fresh_keystone, example_pillar):
    server = fresh_keystone()
    pillar = _pillar(example_pillar, server)
    _apply(loaders, pillar)
    mark = server.mark()
    results = _apply(loaders, pillar)
    requests = server.requests(mark)
    assert [r.id for r in results if r.result is not True or r.changes] == []
    assert writes(requests) == []
    gets = sorted(path for method, path, _ in requests if method == "GET")
    assert gets == sorted(LIST_PATHS)
    checks = [r for r in requests if r[:2] == ("POST", "/v3/auth/tokens")]
    # one per user with a password, and the runbook's right/wrong check of the admin
    assert len(checks) == len(_passwords(pillar)) + 2
    assert len(requests) == len(gets) + len(checks)


@pytest.mark.parametrize("testmode", [True, False])
def test_test_mode_reports_the_catalog_and_writes_nothing(
    loaders, fresh_keystone, example_pillar, testmode
):
    server = fresh_keystone()
    pillar = _pillar(example_pillar, server)
    mark = server.mark()
    results = _apply(loaders, pillar, test=testmode)
    changed = [r for r in results if r.changes]
    assert len(changed) == 24  # all but role admin, grant admin/admin/admin, the check
    assert all((r.result is None) is testmode for r in changed)
    assert not [r for r in results if r.result is False]
    assert (writes(server.requests(mark)) == []) is testmode


def test_macro_alone_gives_a_service_its_identity(loaders, fresh_keystone, example_pillar):
    """A formula (glance, nova) can converge only its own block through the macro."""
    server = fresh_keystone()
    pillar = _pillar(example_pillar, server)
    kc = pillar["keystone"]
    kc["services"] = {"glance": kc["services"]["glance"]}
    kc["users"] = {}
    kc.pop("verify")
    results = _apply(loaders, pillar)
    ids = {r.id for r in results}
    assert {
        "keystone-user-glance-present",
        "keystone-grant-glance-service-admin-present",
        "keystone-service-glance-present",
        "keystone-endpoint-glance-public-present",
        "keystone-endpoint-glance-internal-present",
        "keystone-endpoint-glance-admin-present",
    } <= ids
    assert [r.id for r in results if r.result is not True] == []


def test_pillar_sls_builds_the_runbook_catalog(tmp_path, example_pillar):
    """pillar/keystone.sls, rendered with the lead's lib/*.jinja, equals the example."""
    secrets = {
        "admin_token": "a0a0a0a0a0a0a0a0a0a0",
        "admin_pass": "12345678901234567890",  # all digits: must stay a string
        "demo_pass": "d0d0d0d0d0d0d0d0d0d0",
        "glance_pass": "b1b1b1b1b1b1b1b1b1b1",
        "nova_pass": "c2c2c2c2c2c2c2c2c2c2",
    }
    root = tmp_path / "pillar"
    root.mkdir()
    (root / "top.sls").write_text("base:\n  '*':\n    - keystone\n")
    (root / "secrets.yaml").write_text(yaml.safe_dump(secrets, default_style='"'))
    opts = salt.config.minion_config(None)
    opts.update(
        {
            "id": "cn43.internal",
            "root_dir": str(tmp_path),
            "cachedir": str(tmp_path / "cache"),
            "pki_dir": str(tmp_path / "pki"),
            "file_client": "local",
            "pillar_roots": {"base": [str(root), str(REPO / "pillar")]},
            "file_roots": {"base": [str(REPO / "salt")]},
            "module_dirs": [str(REPO / "_modules")],  # as etc/salt/master: hltcloud.*
            "utils_dirs": [str(REPO / "_utils")],
            "hltcloud_inventory": yaml.safe_load((REPO / "etc/salt/cluster.conf").read_text())[
                "hltcloud_inventory"
            ],
        }
    )
    if not (REPO / "pillar/lib/secrets.jinja").exists():
        require_service("pillar/lib/secrets.jinja is not there yet")
    pillar = salt.pillar.get_pillar(opts, {}, opts["id"], saltenv="base").compile_pillar()
    assert "_errors" not in pillar, pillar.get("_errors")
    built = pillar["keystone"]

    expected = example_pillar["keystone"]
    # auth_url is computed on the state side (salt/keystone/catalog.jinja)
    assert built["auth"] == {"token": secrets["admin_token"]}
    assert built["users"]["admin"]["password"] == secrets["admin_pass"]
    assert built["users"]["demo"]["password"] == secrets["demo_pass"]
    assert built["services"]["glance"]["user"]["password"] == secrets["glance_pass"]
    assert built["services"]["nova"]["user"]["password"] == secrets["nova_pass"]

    def without_secrets(block):
        block = copy.deepcopy(block)
        block.pop("auth")
        for user in block["users"].values():
            user.pop("password")
        for service in block["services"].values():
            if service.get("user"):
                service["user"].pop("password")
        return block

    assert without_secrets(built) == without_secrets(expected)
