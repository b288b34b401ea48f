"""
The guarded states (_states/guarded.py) on real files in a temp dir, and on a service double
that runs or not: what each does, when, its test=True answer, and a second run that changes
nothing.
"""

import os

import pytest

from _modules import hltcloud_files
from _states import guarded
from tests.support.state_utils import state_return_utils

MARKER = "# Managed by Salt (hlt-cloud, network.bridge): do not edit by hand."
HOOK = r"(#![^\n]*\n)?\s*systemctl\s+restart\s+openstack-nova-network(\.service)?\s*"


class Service:
    """A service that runs or not; ``restart`` starts it unless it is broken."""

    def __init__(self, running, broken=False):
        self.running, self.broken, self.restarts = running, broken, 0

    def status(self, name):
        return self.running

    def restart(self, name):
        self.restarts += 1
        self.running = not self.broken
        return True


@pytest.fixture
def opts():
    return {"test": False}


@pytest.fixture
def service():
    return Service(running=True)


@pytest.fixture
def configure_loader_modules(opts, service):
    salt = {"service.status": service.status, "service.restart": service.restart}
    for fun in ("exists", "read", "remove", "copy", "replace"):  # the real file functions
        salt[f"hltcloud_files.{fun}"] = getattr(hltcloud_files, fun)
    return {guarded: {"__opts__": opts, "__salt__": salt, "__utils__": state_return_utils()}}


def test_a_running_service_is_restarted_once_per_call(service, opts):
    opts["test"] = True
    ret = guarded.restarted_if_running("openstack-nova-network")
    assert (ret["result"], ret["changes"]) == (None, {"restarted": "openstack-nova-network"})
    assert ret["comment"] == "openstack-nova-network would be restarted"
    assert service.restarts == 0
    opts["test"] = False
    ret = guarded.restarted_if_running("openstack-nova-network")
    assert (ret["result"], ret["changes"]) == (True, {"restarted": "openstack-nova-network"})
    assert service.restarts == 1


def test_a_stopped_service_stays_stopped(service, opts):
    service.running = False
    for test in (True, False):
        opts["test"] = test
        ret = guarded.restarted_if_running("openstack-nova-network")
        assert (ret["result"], ret["changes"]) == (True, {})
        assert "is not running" in ret["comment"]
    assert (service.restarts, service.running) == (0, False)


def test_a_service_that_does_not_come_back_fails(service):
    service.broken = True
    ret = guarded.restarted_if_running("openstack-nova-network")
    assert ret["result"] is False
    assert ret["comment"] == "openstack-nova-network was restarted but is not running"


@pytest.mark.parametrize(
    "content",
    [
        "systemctl restart openstack-nova-network.service\n",
        "#!/bin/sh\n\nsystemctl restart openstack-nova-network\n\n",
    ],
)
def test_a_file_that_is_only_the_pattern_goes(tmp_path, opts, content):
    hook = tmp_path / "dhclient-exit-hooks"
    hook.write_text(content)
    opts["test"] = True
    ret = guarded.absent_if_matches(str(hook), HOOK)
    assert (ret["result"], ret["changes"]) == (None, {"removed": str(hook)})
    assert hook.exists()
    opts["test"] = False
    ret = guarded.absent_if_matches(str(hook), HOOK)
    assert (ret["result"], ret["changes"]) == (True, {"removed": str(hook)})
    assert not hook.exists()
    again = guarded.absent_if_matches(str(hook), HOOK)
    assert (again["result"], again["changes"]) == (True, {})
    assert again["comment"] == f"{hook} is already absent"


def test_a_file_with_more_than_the_pattern_stays(tmp_path, opts):
    hook = tmp_path / "dhclient-exit-hooks"
    content = "#!/bin/sh\nlogger renewed\nsystemctl restart openstack-nova-network\n"
    hook.write_text(content)
    for test in (True, False):
        opts["test"] = test
        ret = guarded.absent_if_matches(str(hook), HOOK)
        assert (ret["result"], ret["changes"]) == (True, {})
    assert hook.read_text() == content


def test_a_bad_pattern_fails_and_removes_nothing(tmp_path):
    hook = tmp_path / "hook"
    hook.write_text("x")
    ret = guarded.absent_if_matches(str(hook), "(")
    assert ret["result"] is False and ret["comment"].startswith("bad pattern '(': ")
    assert hook.exists()


def test_the_original_is_copied_once_with_its_mode(tmp_path, opts):
    source, backup = tmp_path / "ifcfg-em1", tmp_path / "orig" / "ifcfg-em1"
    source.write_text("DEVICE=em1\n")
    source.chmod(0o600)
    opts["test"] = True
    ret = guarded.copied_once(str(backup), str(source), MARKER)
    assert (ret["result"], ret["changes"]) == (None, {str(backup): str(source)})
    assert not backup.parent.exists()
    opts["test"] = False
    ret = guarded.copied_once(str(backup), str(source), MARKER)
    assert (ret["result"], ret["changes"]) == (True, {str(backup): str(source)})
    assert backup.read_text() == "DEVICE=em1\n"
    assert os.stat(backup).st_mode & 0o777 == 0o600
    # the source changes (the formula writes it): the backup stays the first copy
    source.write_text(MARKER + "\nDEVICE=em1\nBRIDGE=br100\n")
    for test in (True, False):
        opts["test"] = test
        again = guarded.copied_once(str(backup), str(source), MARKER)
        assert (again["result"], again["changes"]) == (True, {})
    assert backup.read_text() == "DEVICE=em1\n"


def test_no_copy_of_a_missing_source_or_of_our_own_file(tmp_path):
    source, backup = tmp_path / "ifcfg-em1", tmp_path / "orig" / "ifcfg-em1"
    ret = guarded.copied_once(str(backup), str(source), MARKER)
    assert (ret["result"], ret["changes"]) == (True, {})
    assert ret["comment"] == f"there is no {source}: nothing to copy"
    source.write_text(MARKER + "\nDEVICE=em1\n")
    ret = guarded.copied_once(str(backup), str(source), MARKER)
    assert (ret["result"], ret["changes"]) == (True, {})
    assert ret["comment"] == f"{source} is this formula's own file: not copied"
    assert not backup.parent.exists()


def test_a_relative_path_fails(tmp_path):
    ret = guarded.copied_once("orig/ifcfg-em1", str(tmp_path / "ifcfg-em1"), MARKER)
    assert ret["result"] is False
    assert ret["comment"] == "orig/ifcfg-em1: not an absolute path: 'orig/ifcfg-em1'"


def test_the_backup_is_restored_then_nothing(tmp_path, opts):
    target, backup = tmp_path / "ifcfg-em1", tmp_path / "ifcfg-em1.orig"
    backup.write_text("DEVICE=em1\n")
    target.write_text(MARKER + "\nDEVICE=em1\nBRIDGE=br100\n")
    target.chmod(0o640)
    opts["test"] = True
    ret = guarded.restored(str(target), str(backup))
    assert ret["result"] is None
    assert "-BRIDGE=br100\n" in ret["changes"]["diff"]
    assert "BRIDGE" in target.read_text()
    opts["test"] = False
    ret = guarded.restored(str(target), str(backup))
    assert ret["result"] is True and ret["changes"]["diff"]
    assert target.read_text() == "DEVICE=em1\n"
    assert os.stat(target).st_mode & 0o777 == 0o640
    for test in (True, False):
        opts["test"] = test
        again = guarded.restored(str(target), str(backup))
        assert (again["result"], again["changes"]) == (True, {})


def test_no_backup_nothing_to_restore(tmp_path):
    target = tmp_path / "ifcfg-em1"
    target.write_text("DEVICE=em1\nBRIDGE=br100\n")
    ret = guarded.restored(str(target), str(tmp_path / "none"))
    assert (ret["result"], ret["changes"]) == (True, {})
    assert target.read_text() == "DEVICE=em1\nBRIDGE=br100\n"


def test_a_restore_that_fails_midway_leaves_the_file_whole(tmp_path, monkeypatch):
    target, backup = tmp_path / "ifcfg-em1", tmp_path / "ifcfg-em1.orig"
    backup.write_text("DEVICE=em1\n")
    target.write_text("DEVICE=em1\nBRIDGE=br100\n")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(hltcloud_files.os, "fsync", disk_full)
    ret = guarded.restored(str(target), str(backup))
    assert ret["result"] is False and "No space left on device" in ret["comment"]
    assert target.read_text() == "DEVICE=em1\nBRIDGE=br100\n"  # the old file, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ifcfg-em1", "ifcfg-em1.orig"]
