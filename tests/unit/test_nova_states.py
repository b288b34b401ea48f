"""The create-or-fail flow the nova_* states share, and nova_server's masking helpers."""

import re

import pytest
from salt.exceptions import CommandExecutionError

from _modules import nova_compute
from _states import nova_keypair, nova_server
from _utils import state_return

LABEL = "Thing 'x'"


def never():
    raise AssertionError("must not be called")


def present(**kwargs):
    args = {
        "find": lambda: None,
        "create": lambda: ({"id": "1"}, True, f"{LABEL} created"),
        "test": False,
        "new": {"name": "x"},
    }
    args.update(kwargs)
    return state_return.present(state_return.start("x"), LABEL, **args)


def test_missing_object_is_created():
    ret = present()
    assert (ret["result"], ret["changes"], ret["comment"]) == (
        True,
        {"old": None, "new": {"id": "1"}},
        f"{LABEL} created",
    )


def test_test_mode_reports_the_new_object_without_creating_it():
    ret = present(create=never, test=True)
    assert (ret["result"], ret["changes"]) == (None, {"old": None, "new": {"name": "x"}})
    assert ret["comment"] == f"{LABEL} would be created"


def test_existing_object_without_conflict_changes_nothing():
    ret = present(find=lambda: {"id": "1"}, create=never, conflict=lambda cur: None)
    assert (ret["result"], ret["changes"]) == (True, {})
    assert ret["comment"] == f"{LABEL} is already in the desired state"


@pytest.mark.parametrize("test", [True, False])
def test_conflict_fails_in_both_modes_and_never_creates(test):
    ret = present(find=lambda: {"id": "1"}, create=never, conflict=lambda cur: "differs", test=test)
    assert (ret["result"], ret["changes"], ret["comment"]) == (False, {}, f"{LABEL}: differs")


@pytest.mark.parametrize("test", [True, False])
def test_blocked_creation_fails_with_the_reason_and_never_creates(test):
    ret = present(create=never, blocked=lambda: "needs a friend", test=test)
    if test:
        assert (ret["result"], ret["changes"]["new"]) == (None, {"name": "x"})
        assert ret["comment"] == f"{LABEL} would be created; a run now would fail: needs a friend"
    else:
        assert (ret["result"], ret["changes"], ret["comment"]) == (
            False,
            {},
            f"{LABEL}: needs a friend",
        )


def test_blocked_is_not_asked_for_an_existing_object():
    ret = present(find=lambda: {"id": "1"}, create=never, blocked=never)
    assert ret["result"] is True


def test_created_but_unusable_object_fails_with_its_changes():
    ret = present(create=lambda: ({"id": "1", "status": "ERROR"}, False, "went to ERROR"))
    assert ret["result"] is False
    assert ret["changes"]["new"]["status"] == "ERROR"


def test_api_error_becomes_a_failed_state():
    def boom():
        raise CommandExecutionError("GET /os-networks on Nova failed: HTTP 500: oops")

    ret = present(find=boom)
    assert (ret["result"], ret["changes"]) == (False, {})
    assert ret["comment"] == f"{LABEL}: GET /os-networks on Nova failed: HTTP 500: oops"


def test_absent_reports_each_deletion_problem():
    found = [{"id": "1", "name": "x"}, {"id": "2", "name": "x"}]
    ret = state_return.absent_each(
        state_return.start("x"),
        LABEL,
        lambda: found,
        lambda obj: "still there" if obj["id"] == "2" else None,
        False,
    )
    assert ret["result"] is False
    assert ret["comment"] == f"{LABEL}: still there"
    assert ret["changes"]["old"] == found


@pytest.mark.parametrize("test", [True, False])
def test_blocked_deletion_deletes_nothing_and_says_why(test):
    found = [{"id": "1", "name": "x"}]
    ret = state_return.absent_each(
        state_return.start("x"), LABEL, lambda: found, never, test, blocked=lambda: "no way"
    )
    if test:
        assert (ret["result"], ret["changes"]["old"]) == (None, {"id": "1", "name": "x"})
        assert ret["comment"] == f"{LABEL} would be deleted; a run now would fail: no way"
    else:
        assert (ret["result"], ret["changes"], ret["comment"]) == (False, {}, f"{LABEL}: no way")


def test_console_token_is_masked():
    url = "http://cn43.internal:6080/vnc_auto.html?token=0ec8dfda-6f16-4a02-ade7-0a381dd49c09"
    assert nova_server._mask_token(url) == "http://cn43.internal:6080/vnc_auto.html?token=***"


def test_fault_message_carries_its_code():
    server = {"fault": {"code": 500, "message": "No valid host was found. "}}
    assert nova_server._fault(server) == "No valid host was found. (code 500)"


def test_keypair_comment_does_not_make_another_key():
    a = "ssh-rsa AAAAB3Nza demo@cn43"
    assert nova_keypair._key_material(a) == nova_keypair._key_material("ssh-rsa AAAAB3Nza other")


@pytest.mark.parametrize("name", ["demo-inst1", "a.b(c)*", "x|y", "[vm]+?", "back\\slash"])
def test_server_name_filter_matches_exactly_that_name(name):
    pattern = "^" + nova_compute._regex_literal(name) + "$"
    assert re.search(pattern, name)
    assert not re.search(pattern, name + "x")
    assert "\\-" not in pattern  # MySQL's REGEXP gets no escapes it may not know
