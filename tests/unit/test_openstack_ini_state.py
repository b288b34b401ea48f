"""The openstack_ini state's decisions, with the execution module mocked."""

from types import SimpleNamespace
from unittest.mock import MagicMock

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from _states import openstack_ini as state
from tests.support.state_utils import state_return_utils

NAME = "/etc/glance/glance-api.conf"
SECTIONS = {"paste_deploy": {"flavor": "keystone"}}
CHANGE = {"paste_deploy/flavor": {"old": None, "new": "keystone"}}


def edit(changes, path=NAME):
    """What plan_apply / plan_discard / commit return, as far as the state reads it."""
    return SimpleNamespace(path=path, changes=changes)


@pytest.fixture
def module():
    """The execution module's functions the state calls, each a mock."""
    return SimpleNamespace(
        plan_apply=MagicMock(), plan_discard=MagicMock(), commit=MagicMock(), verify=MagicMock()
    )


@pytest.fixture
def opts():
    return {"test": False}


@pytest.fixture
def configure_loader_modules(module, opts):
    salt = {f"openstack_ini.{name}": fun for name, fun in vars(module).items()}
    return {state: {"__salt__": salt, "__opts__": opts, "__utils__": state_return_utils()}}


def test_present_is_true_without_changes_when_the_file_is_right(module):
    module.plan_apply.return_value = edit({})
    ret = state.present(NAME, SECTIONS)
    assert ret == {
        "name": NAME,
        "result": True,
        "changes": {},
        "comment": f"{NAME} is already in the desired state",
    }
    module.plan_apply.assert_called_once()
    module.commit.assert_not_called()


def test_present_in_test_mode_returns_none_with_the_changes_and_does_not_write(module, opts):
    opts["test"] = True
    module.plan_apply.return_value = edit(CHANGE)
    ret = state.present(NAME, SECTIONS)
    assert ret["result"] is None
    assert ret["changes"] == CHANGE
    assert "would change paste_deploy/flavor" in ret["comment"]
    assert module.plan_apply.call_args.kwargs["missing_ok"] is True
    module.commit.assert_not_called()


def test_present_plans_once_writes_once_then_checks_once(module):
    planned, written = edit(CHANGE), edit(CHANGE)
    module.plan_apply.return_value = planned
    module.commit.return_value = written
    module.verify.return_value = {}
    ret = state.present(NAME, SECTIONS, user="root", group="glance", mode="0640")
    assert ret["result"] is True
    assert ret["changes"] == CHANGE
    assert ret["comment"] == f"{NAME}: changed paste_deploy/flavor"
    module.plan_apply.assert_called_once_with(
        NAME,
        SECTIONS,
        user="root",
        group="glance",
        mode="0640",
        secret_keys=None,
        missing_ok=False,
        follow_symlinks=False,
    )
    module.commit.assert_called_once_with(planned)
    module.verify.assert_called_once_with(written)


def test_present_reports_what_commit_wrote_after_another_writer(module):
    """commit plans again from the other writer's text: its changes are the answer."""
    module.plan_apply.return_value = edit({**CHANGE, "DEFAULT/x": {"old": None, "new": "1"}})
    module.commit.return_value = edit(CHANGE)
    module.verify.return_value = {}
    ret = state.present(NAME, SECTIONS)
    assert (ret["result"], ret["changes"]) == (True, CHANGE)


def test_present_fails_when_the_file_still_differs_after_writing(module):
    module.plan_apply.return_value = module.commit.return_value = edit(CHANGE)
    module.verify.return_value = CHANGE
    ret = state.present(NAME, SECTIONS)
    assert ret["result"] is False
    assert ret["changes"] == CHANGE
    assert ret["comment"] == f"{NAME} still differs after the update: paste_deploy/flavor"


@pytest.mark.parametrize(
    "exc",
    [
        CommandExecutionError(f"{NAME} is a directory, not an ini file"),
        SaltInvocationError("section name 'a]' contains ']' or a newline"),
    ],
)
def test_present_turns_module_errors_into_a_failed_result(module, exc):
    module.plan_apply.side_effect = exc
    ret = state.present(NAME, SECTIONS)
    assert ret["result"] is False
    assert ret["changes"] == {}
    assert ret["comment"].startswith(NAME)
    assert str(exc) in ret["comment"]


def test_present_reports_a_failed_write(module):
    module.plan_apply.return_value = edit(CHANGE)
    module.commit.side_effect = CommandExecutionError(f"{NAME}: cannot write the file: boom")
    ret = state.present(NAME, SECTIONS)
    assert ret["result"] is False
    assert ret["changes"] == {}
    assert ret["comment"] == f"Failed to update: {NAME}: cannot write the file: boom"


def test_present_names_the_file_written_through_a_followed_link(module):
    link, real = "/etc/nova/nova.conf", "/srv/nova.conf"
    module.plan_apply.return_value = edit({}, path=real)
    ret = state.present(link, SECTIONS, follow_symlinks=True)
    assert ret["comment"] == f"{link} (the file {real}) is already in the desired state"


@pytest.mark.parametrize("sections", [None, ["paste_deploy"], "paste_deploy"])
def test_present_refuses_sections_that_are_not_a_mapping(module, sections):
    ret = state.present(NAME, sections)
    assert ret["result"] is False
    assert "mapping" in ret["comment"]
    module.plan_apply.assert_not_called()


def test_absent_removes_through_plan_discard(module):
    removed = {"DEFAULT/verbose": {"old": "True", "new": None}}
    module.plan_discard.return_value = module.commit.return_value = edit(removed)
    module.verify.return_value = {}
    ret = state.absent(NAME, {"DEFAULT": ["verbose"]})
    assert ret["result"] is True
    assert ret["changes"] == removed
    module.plan_discard.assert_called_once()
    module.commit.assert_called_once()
    module.verify.assert_called_once()


def test_absent_in_test_mode_does_not_write(module, opts):
    opts["test"] = True
    module.plan_discard.return_value = edit({"DEFAULT/verbose": {"old": "True", "new": None}})
    ret = state.absent(NAME, {"DEFAULT": ["verbose"]})
    assert ret["result"] is None
    module.commit.assert_not_called()


def test_virtual_needs_the_execution_module():
    assert state.__virtual__() == "openstack_ini"
    state.__salt__.clear()
    assert state.__virtual__()[0] is False
