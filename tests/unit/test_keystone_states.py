"""The keystone_* states' decisions, with the keystone_v3 execution module stubbed."""

import inspect
from unittest.mock import MagicMock

import pytest
from salt.exceptions import CommandExecutionError

from _states import keystone_endpoint, keystone_role_grant, keystone_service, keystone_user
from tests.support.state_utils import state_return_utils

PASSWORD = "c0ffee00c0ffee00c0ff"
SERVICE = "svc-id"


def _ep(ep_id, interface, url, region="RegionOne", service_id=SERVICE):
    return {
        "id": ep_id,
        "interface": interface,
        "url": url,
        "region_id": region,
        "service_id": service_id,
        "enabled": True,
    }


# -- endpoint selection ---------------------------------------------------------------------------


def test_pick_never_takes_another_interfaces_endpoint():
    endpoints = [_ep("a", "public", "http://x:5000"), _ep("b", "internal", "http://x:5000")]
    found, dups = keystone_endpoint._pick(endpoints, SERVICE, "admin", "RegionOne", "http://x")
    assert found is None and dups == []


def test_pick_never_takes_another_regions_or_services_endpoint():
    endpoints = [
        _ep("a", "admin", "http://x", region="RegionTwo"),
        _ep("b", "admin", "http://x", service_id="other"),
    ]
    assert keystone_endpoint._pick(endpoints, SERVICE, "admin", "RegionOne", "http://x") == (
        None,
        [],
    )


def test_pick_prefers_the_duplicate_already_at_the_url_then_the_lowest_id():
    endpoints = [
        _ep("c", "public", "http://old"),
        _ep("b", "public", "http://new"),
        _ep("a", "public", "http://old"),
    ]
    found, dups = keystone_endpoint._pick(endpoints, SERVICE, "public", "RegionOne", "http://new")
    assert found["id"] == "b"
    assert [d["id"] for d in dups] == ["a", "c"]
    found, _ = keystone_endpoint._pick(endpoints, SERVICE, "public", "RegionOne", "http://else")
    assert found["id"] == "a"


@pytest.mark.parametrize(
    ("interface", "url", "problem"),
    [("private", "http://x", "interface"), ("public", "", "url"), ("admin", 8774, "url")],
)
def test_validate_rejects_bad_interfaces_and_urls(interface, url, problem):
    assert problem in keystone_endpoint._validate(interface, url)


def test_service_matching_is_by_name_and_type():
    services = [
        {"id": "2", "name": "nova", "type": "compute"},
        {"id": "1", "name": "nova", "type": "computev3"},
        {"id": "3", "name": "glance", "type": "image"},
    ]
    assert [s["id"] for s in keystone_service._matching(services, "nova", "compute")] == ["2"]
    assert [s["id"] for s in keystone_service._matching(services, "nova", None)] == ["1", "2"]


# -- users ----------------------------------------------------------------------------------------


@pytest.fixture
def salt_funcs():
    funcs = {
        "keystone_v3.user_list": MagicMock(return_value=[]),
        "keystone_v3.user_get": MagicMock(return_value=None),
        "keystone_v3.project_list": MagicMock(return_value=[]),
        "keystone_v3.project_get": MagicMock(return_value=None),
        "keystone_v3.role_get": MagicMock(return_value=None),
        "keystone_v3.role_assignment_list": MagicMock(return_value=[]),
        "keystone_v3.user_create": MagicMock(return_value={"id": "u1"}),
        "keystone_v3.user_update": MagicMock(),
        "keystone_v3.user_set_password": MagicMock(return_value=True),
        "keystone_v3.token_check": MagicMock(return_value={"valid": True, "status": 201}),
        "keystone_v3.role_grant": MagicMock(return_value=True),
        "keystone_v3.endpoint_list": MagicMock(return_value=[]),
        "keystone_v3.service_list": MagicMock(return_value=[]),
    }
    return funcs


@pytest.fixture
def opts():
    return {"test": False}


@pytest.fixture
def utils():
    """The state modules' ``__utils__``: the real shared steps of _utils/state_return.py."""
    return state_return_utils()


@pytest.fixture
def configure_loader_modules(salt_funcs, opts, utils):
    return {
        module: {"__salt__": salt_funcs, "__opts__": opts, "__utils__": utils}
        for module in (keystone_user, keystone_role_grant, keystone_endpoint, keystone_service)
    }


def _user(enabled=True, email="dario.berzano@cern.ch"):
    return {"id": "u1", "name": "glance", "enabled": enabled, "email": email}


def _writes(salt_funcs):
    names = ("user_create", "user_update", "user_set_password", "role_grant")
    return {
        n: salt_funcs["keystone_v3." + n].call_count
        for n in names
        if salt_funcs["keystone_v3." + n].call_count
    }


def test_user_with_a_working_password_is_left_alone(salt_funcs):
    salt_funcs["keystone_v3.user_get"].return_value = _user()
    ret = keystone_user.present("glance", password=PASSWORD, email="dario.berzano@cern.ch")
    assert ret["result"] is True and ret["changes"] == {}
    assert salt_funcs["keystone_v3.token_check"].call_count == 1
    assert _writes(salt_funcs) == {}


def test_user_password_is_set_only_when_it_no_longer_yields_a_token(salt_funcs):
    salt_funcs["keystone_v3.user_get"].return_value = _user()
    salt_funcs["keystone_v3.token_check"].side_effect = [
        {"valid": False, "status": 401},
        {"valid": True, "status": 201},
    ]
    ret = keystone_user.present("glance", password=PASSWORD)
    assert ret["result"] is True
    salt_funcs["keystone_v3.user_set_password"].assert_called_once_with("u1", PASSWORD, auth=None)
    assert ret["changes"] == {"old": {"password": "***"}, "new": {"password": "*** (changed)"}}
    assert PASSWORD not in repr(ret)


def test_user_password_goes_with_other_changes_in_one_update(salt_funcs):
    salt_funcs["keystone_v3.user_get"].return_value = _user(email=None)
    salt_funcs["keystone_v3.user_update"].return_value = _user()
    salt_funcs["keystone_v3.token_check"].side_effect = [
        {"valid": False, "status": 401},
        {"valid": True, "status": 201},
    ]
    ret = keystone_user.present("glance", password=PASSWORD, email="dario.berzano@cern.ch")
    assert ret["result"] is True
    salt_funcs["keystone_v3.user_update"].assert_called_once_with(
        "u1", password=PASSWORD, auth=None, email="dario.berzano@cern.ch"
    )
    assert salt_funcs["keystone_v3.user_set_password"].call_count == 0


def test_disabled_user_password_is_not_checked(salt_funcs):
    salt_funcs["keystone_v3.user_get"].return_value = _user(enabled=False)
    ret = keystone_user.present("glance", password=PASSWORD, enabled=False)
    assert ret["result"] is True and ret["changes"] == {}
    assert "not checked" in ret["comment"]
    assert salt_funcs["keystone_v3.token_check"].call_count == 0


def test_user_test_mode_reports_the_password_change_and_writes_nothing(salt_funcs, opts):
    opts["test"] = True
    salt_funcs["keystone_v3.user_get"].return_value = _user()
    salt_funcs["keystone_v3.token_check"].return_value = {"valid": False, "status": 401}
    ret = keystone_user.present("glance", password=PASSWORD)
    assert ret["result"] is None
    assert ret["changes"]["new"] == {"password": "*** (changed)"}
    assert _writes(salt_funcs) == {}


def test_new_user_changes_hide_the_password(salt_funcs):
    ret = keystone_user.present("glance", password=PASSWORD, email="dario.berzano@cern.ch")
    assert ret["result"] is True
    assert ret["changes"]["new"]["password"] == "***"
    assert PASSWORD not in repr(ret)
    assert salt_funcs["keystone_v3.user_create"].call_args.kwargs["password"] == PASSWORD


def test_user_password_must_be_a_string(salt_funcs):
    ret = keystone_user.present("glance", password=12345)
    assert ret["result"] is False and "quote it" in ret["comment"]
    assert salt_funcs["keystone_v3.user_get"].call_count == 0


def test_keystone_errors_become_a_failed_result(salt_funcs):
    salt_funcs["keystone_v3.user_get"].side_effect = CommandExecutionError(
        "Keystone at http://cn43.internal:35357/v3 is not answering: connection refused"
    )
    ret = keystone_user.present("glance", password=PASSWORD)
    assert ret["result"] is False
    assert ret["comment"].startswith("Keystone at http://cn43.internal:35357/v3 is not answering")


def test_token_valid_test_mode_reports_a_failing_check_as_pending(salt_funcs, opts):
    salt_funcs["keystone_v3.token_check"].return_value = {"valid": False, "status": 401}
    assert keystone_user.token_valid("admin", PASSWORD)["result"] is False
    opts["test"] = True
    assert keystone_user.token_valid("admin", PASSWORD)["result"] is None


def test_token_valid_fails_when_a_wrong_password_gets_a_token(salt_funcs):
    ret = keystone_user.token_valid("admin", PASSWORD, project="admin")
    assert ret["result"] is False
    assert "wrong password" in ret["comment"]
    wrong = salt_funcs["keystone_v3.token_check"].call_args_list[1].args[1]
    assert wrong != PASSWORD


# -- grants ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("testmode", [True, False])
def test_grant_of_missing_objects_is_pending_in_test_mode_and_fails_otherwise(
    salt_funcs, opts, testmode
):
    opts["test"] = testmode
    ret = keystone_role_grant.present("admin", user="glance", project="service")
    assert (ret["result"] is None) is testmode
    assert "user 'glance'" in ret["comment"] and "project 'service'" in ret["comment"]
    assert salt_funcs["keystone_v3.role_grant"].call_count == 0


# -- regions: Icehouse (v3.2: `region`) and current Keystones (`region_id`) ----------------------


def _icehouse_ep(ep_id, url, region=None, region_id=None):
    """An endpoint as Icehouse lists it: `region` is its column, `region_id` only an extra."""
    ep = {"id": ep_id, "interface": "public", "url": url, "service_id": SERVICE, "enabled": True}
    ep["region"] = region
    if region_id is not None:
        ep["region_id"] = region_id
    return ep


def _present_public(url="http://x:9292"):
    return keystone_endpoint.present("glance-public", service="glance", url=url)


@pytest.fixture
def glance(salt_funcs):
    salt_funcs["keystone_v3.service_list"].return_value = [
        {"id": SERVICE, "name": "glance", "type": "image"}
    ]
    salt_funcs["keystone_v3.endpoint_update"] = MagicMock(
        side_effect=lambda ep_id, **fields: {"id": ep_id, **fields}
    )
    return salt_funcs


def test_default_region_is_the_runbooks_regionOne():
    assert keystone_endpoint.DEFAULT_REGION == "regionOne"
    assert inspect.signature(keystone_endpoint.present).parameters["region"].default == "regionOne"


def test_endpoint_made_by_the_runbooks_v2_cli_on_icehouse_gets_region_id_too(glance):
    glance["keystone_v3.endpoint_list"].return_value = [
        _icehouse_ep("e1", "http://x:9292", region="regionOne")
    ]

    ret = _present_public()

    assert ret["result"] is True, ret["comment"]
    glance["keystone_v3.endpoint_update"].assert_called_once_with(
        "e1", auth=None, region_id="regionOne"
    )
    assert ret["changes"] == {"old": {"region_id": None}, "new": {"region_id": "regionOne"}}


def test_icehouse_endpoint_with_region_id_only_gets_its_region_back(glance):
    # What sending region_id alone did on Icehouse: the v2.0 catalog showed no region.
    glance["keystone_v3.endpoint_list"].return_value = [
        _icehouse_ep("e1", "http://x:9292", region=None, region_id="regionOne")
    ]

    ret = _present_public()

    assert ret["result"] is True, ret["comment"]
    glance["keystone_v3.endpoint_update"].assert_called_once_with(
        "e1", auth=None, region="regionOne"
    )


def test_endpoint_with_both_region_keys_is_left_alone(glance):
    glance["keystone_v3.endpoint_list"].return_value = [
        _icehouse_ep("e1", "http://x:9292", region="regionOne", region_id="regionOne")
    ]

    ret = _present_public()

    assert ret["result"] is True and ret["changes"] == {}, ret
    glance["keystone_v3.endpoint_update"].assert_not_called()


def test_endpoint_whose_region_keys_disagree_belongs_to_no_region():
    mixed = _icehouse_ep("e1", "http://x:9292", region="RegionTwo", region_id="regionOne")
    assert keystone_endpoint._pick([mixed], SERVICE, "public", "regionOne") == (None, [])
    assert keystone_endpoint._pick([mixed], SERVICE, "public", "RegionTwo") == (None, [])
