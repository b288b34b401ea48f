"""keystone_project against a real Keystone."""

import pytest

from tests.functional.keystone.conftest import auth_for, writes

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("testmode", [True, False])
def test_present_creates_the_project_in_the_default_domain(
    loaders, keystone, auth, unique, testmode
):
    name = unique("project")
    mark = keystone.mark()
    ret = loaders.states.keystone_project.present(
        name=name, description="Demo Tenant", auth=auth, test=testmode
    )
    assert (ret.result is None) is testmode
    assert ret.changes["old"] is None
    assert ret.changes["new"]["description"] == "Demo Tenant"
    project = loaders.modules.keystone_v3.project_get(name, auth=auth)
    if testmode:
        assert project is None
        assert writes(keystone.requests(mark)) == []
    else:
        assert project["domain_id"] == "default"
        assert project["description"] == "Demo Tenant"
        assert ret.changes["new"]["id"] == project["id"]


def test_rerun_makes_no_writes_and_one_request(loaders, keystone, auth, unique):
    name = unique("project")
    assert loaders.states.keystone_project.present(name=name, auth=auth).result is True
    mark = keystone.mark()
    ret = loaders.states.keystone_project.present(name=name, auth=auth)
    assert ret.result is True
    assert ret.changes == {}
    assert keystone.requests(mark) == [("GET", "/v3/projects?domain_id=default", 200)]


@pytest.mark.parametrize("testmode", [True, False])
def test_changed_description_is_updated_in_place(loaders, keystone, auth, unique, testmode):
    name = unique("project")
    before = loaders.modules.keystone_v3.project_create(name, description="old", auth=auth)
    ret = loaders.states.keystone_project.present(
        name=name, description="new", auth=auth, test=testmode
    )
    assert (ret.result is None) is testmode
    assert ret.changes == {"old": {"description": "old"}, "new": {"description": "new"}}
    after = loaders.modules.keystone_v3.project_get(name, auth=auth)
    assert after["id"] == before["id"]
    assert after["description"] == ("old" if testmode else "new")


def test_bootstrap_admin_project_is_converged_not_duplicated(loaders, fresh_keystone):
    server = fresh_keystone()
    auth = auth_for(server)
    ret = loaders.states.keystone_project.present(
        name="admin", description="Admin Tenant", auth=auth
    )
    assert ret.result is True
    assert ret.changes["new"] == {"description": "Admin Tenant"}
    admins = [
        p for p in loaders.modules.keystone_v3.project_list(auth=auth) if p["name"] == "admin"
    ]
    assert len(admins) == 1


@pytest.mark.parametrize("testmode", [True, False])
def test_absent_deletes_the_project(loaders, keystone, auth, unique, testmode):
    name = unique("project")
    loaders.modules.keystone_v3.project_create(name, auth=auth)
    ret = loaders.states.keystone_project.absent(name=name, auth=auth, test=testmode)
    assert (ret.result is None) is testmode
    assert ret.changes["old"]["name"] == name
    exists = loaders.modules.keystone_v3.project_get(name, auth=auth) is not None
    assert exists is testmode
    if not testmode:
        again = loaders.states.keystone_project.absent(name=name, auth=auth)
        assert again.result is True and again.changes == {}
