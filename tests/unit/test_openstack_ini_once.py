"""One openstack_ini apply parses and plans the file once: the state, the execution module and
the real _utils pieces wired together by hand, each _utils function wrapped in a counting spy."""

import inspect
import pathlib
import shutil
from unittest.mock import MagicMock

import pytest

from _modules import openstack_ini as mod
from _states import openstack_ini as state
from _utils import ini_document, ini_file, ini_secret
from tests.support import runbook
from tests.support.state_utils import state_return_utils

STOCK = pathlib.Path(__file__).resolve().parent.parent / "functional" / "files" / "nova.conf.stock"
SETTINGS = runbook.nova_conf("10.162.32.43", "cn43.internal", "0d2f4b6a8c", "7c9e1a3b5d")


@pytest.fixture
def utils():
    """``__utils__`` of the execution module: every public _utils ini function, spied on."""
    spies = {}
    for module in (ini_document, ini_file, ini_secret):
        for name, fun in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("_") and fun.__module__ == module.__name__:
                spies[f"{module.__name__.split('.')[-1]}.{name}"] = MagicMock(wraps=fun)
    return spies


@pytest.fixture
def opts():
    return {"test": False}


@pytest.fixture
def configure_loader_modules(utils, opts):
    salt = {
        f"openstack_ini.{name}": getattr(mod, name)
        for name in ("plan_apply", "plan_discard", "commit", "verify")
    }
    return {
        mod: {"__utils__": utils, "__salt__": salt},
        state: {"__salt__": salt, "__opts__": opts, "__utils__": state_return_utils()},
    }


@pytest.mark.parametrize("testmode", [False, True], ids=["apply", "test"])
def test_one_present_parses_and_plans_the_file_once(tmp_path, utils, opts, testmode):
    path = tmp_path / "nova.conf"
    shutil.copyfile(STOCK, path)
    opts["test"] = testmode

    ret = state.present(str(path), SETTINGS)

    assert ret["result"] is (None if testmode else True), ret["comment"]
    assert len(ret["changes"]) == 31
    # Before: the dry run, the write and the check each parsed and planned the whole file.
    assert utils["ini_document.parse"].call_count == 1
    assert utils["ini_document.plan_present"].call_count == 1
    assert utils["ini_file.load"].call_count == 1
    assert utils["ini_file.commit"].call_count == (0 if testmode else 1)
    assert utils["ini_file.verify"].call_count == (0 if testmode else 1)


def test_one_absent_parses_and_plans_the_file_once(tmp_path, utils):
    path = tmp_path / "nova.conf"
    shutil.copyfile(STOCK, path)

    ret = state.absent(str(path), {"DEFAULT": ["state_path", "rootwrap_config"]})

    assert ret["result"] is True, ret["comment"]
    assert len(ret["changes"]) == 2
    assert utils["ini_document.parse"].call_count == 1
    assert utils["ini_document.plan_absent"].call_count == 1


def test_a_check_that_finds_the_file_changed_plans_again_to_say_what_differs(tmp_path, utils):
    """The check after the write plans only when the file is not what was written."""
    path = tmp_path / "nova.conf"
    path.write_text("[DEFAULT]\ndebug = False\n")
    real_commit = ini_file.commit

    def commit_then_undone(edit):
        written = real_commit(edit)
        path.write_text("[DEFAULT]\ndebug = False\n")  # someone puts the old file back
        return written

    utils["ini_file.commit"].side_effect = commit_then_undone

    ret = state.present(str(path), {"DEFAULT": {"debug": True}})

    assert ret["result"] is False
    assert ret["comment"] == f"{path} still differs after the update: DEFAULT/debug"
    assert ret["changes"] == {"DEFAULT/debug": {"old": "False", "new": "True"}}
    assert utils["ini_document.parse"].call_count == 2
