"""The openstack_ini state's decisions, with the execution module mocked."""

from unittest.mock import MagicMock, call

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from _states import openstack_ini as state

NAME = "/etc/glance/glance-api.conf"
SECTIONS = {"paste_deploy": {"flavor": "keystone"}}
CHANGE = {"paste_deploy/flavor": {"old": None, "new": "keystone"}}


@pytest.fixture
def apply():
    return MagicMock()


@pytest.fixture
def discard():
    return MagicMock()


@pytest.fixture
def opts():
    return {"test": False}


@pytest.fixture
def configure_loader_modules(apply, discard, opts):
    return {
        state: {
            "__salt__": {"openstack_ini.apply": apply, "openstack_ini.discard": discard},
            "__opts__": opts,
        }
    }


def test_present_is_true_without_changes_when_the_file_is_right(apply):
    apply.return_value = {}
    ret = state.present(NAME, SECTIONS)
    assert ret == {
        "name": NAME,
        "result": True,
        "changes": {},
        "comment": f"{NAME} is already in the desired state",
    }
    apply.assert_called_once()
    assert apply.call_args.kwargs["test"] is True


def test_present_in_test_mode_returns_none_with_the_changes_and_does_not_write(apply, opts):
    opts["test"] = True
    apply.return_value = CHANGE
    ret = state.present(NAME, SECTIONS)
    assert ret["result"] is None
    assert ret["changes"] == CHANGE
    assert "would change paste_deploy/flavor" in ret["comment"]
    assert [c.kwargs["test"] for c in apply.call_args_list] == [True]


def test_present_writes_then_checks_again(apply):
    apply.side_effect = [CHANGE, CHANGE, {}]
    ret = state.present(NAME, SECTIONS, user="root", group="glance", mode="0640")
    assert ret["result"] is True
    assert ret["changes"] == CHANGE
    kwargs = {
        "user": "root",
        "group": "glance",
        "mode": "0640",
        "secret_keys": None,
        "missing_ok": False,
        "follow_symlinks": False,
    }
    assert apply.call_args_list == [
        call(NAME, SECTIONS, **kwargs, test=True),
        call(NAME, SECTIONS, **kwargs, test=False),
        call(NAME, SECTIONS, **kwargs, test=True),
    ]


def test_present_fails_when_the_file_still_differs_after_writing(apply):
    apply.side_effect = [CHANGE, CHANGE, CHANGE]
    ret = state.present(NAME, SECTIONS)
    assert ret["result"] is False
    assert "still differs" in ret["comment"]


@pytest.mark.parametrize(
    "exc",
    [
        CommandExecutionError(f"{NAME} is a directory, not an ini file"),
        SaltInvocationError("section name 'a]' contains ']' or a newline"),
    ],
)
def test_present_turns_module_errors_into_a_failed_result(apply, exc):
    apply.side_effect = exc
    ret = state.present(NAME, SECTIONS)
    assert ret["result"] is False
    assert ret["changes"] == {}
    assert ret["comment"].startswith(NAME)
    assert str(exc) in ret["comment"]


def test_present_reports_a_failed_write(apply):
    apply.side_effect = [CHANGE, CommandExecutionError(f"{NAME}: cannot write the file: boom")]
    ret = state.present(NAME, SECTIONS)
    assert ret["result"] is False
    assert ret["comment"] == f"Failed to update: {NAME}: cannot write the file: boom"


@pytest.mark.parametrize("sections", [None, ["paste_deploy"], "paste_deploy"])
def test_present_refuses_sections_that_are_not_a_mapping(apply, sections):
    ret = state.present(NAME, sections)
    assert ret["result"] is False
    assert "mapping" in ret["comment"]
    apply.assert_not_called()


def test_absent_removes_through_discard(discard):
    removed = {"DEFAULT/verbose": {"old": "True", "new": None}}
    discard.side_effect = [removed, removed, {}]
    ret = state.absent(NAME, {"DEFAULT": ["verbose"]})
    assert ret["result"] is True
    assert ret["changes"] == removed
    assert [c.kwargs["test"] for c in discard.call_args_list] == [True, False, True]


def test_absent_in_test_mode_does_not_write(discard, opts):
    opts["test"] = True
    discard.return_value = {"DEFAULT/verbose": {"old": "True", "new": None}}
    ret = state.absent(NAME, {"DEFAULT": ["verbose"]})
    assert ret["result"] is None
    assert [c.kwargs["test"] for c in discard.call_args_list] == [True]


def test_virtual_needs_the_execution_module():
    assert state.__virtual__() == "openstack_ini"
    state.__salt__.clear()
    assert state.__virtual__()[0] is False
