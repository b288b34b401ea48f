"""
A node keeps its own last highstate: the ``hltcloud_highstate`` returner (the minion's
``return``, etc/salt/minion) called as the minion calls it after a job, with the return of a
real state run, and ``hltcloud.report`` handing the record over (what ``salt-run hlt.status``
shows). The master's memo of the nodes' answers (``highstate_record.remember``).
"""

import contextlib
import json
import os

import pytest
import salt.loader
import salt.utils.jid

SLS = """
probe-passes:
  test.succeed_without_changes: []
probe-{what}:
  test.{what}_without_changes: []
"""


@pytest.fixture
def node(loaders):
    returners = salt.loader.returners(loaders.opts, loaders.modules)

    def run(fun="state.apply", fun_args=(), what="succeed", ret=None, jid=None):
        if ret is None:
            # the raw state results a minion returns (saltfactories wraps them)
            ret = loaders.modules.state.template_str(SLS.format(what=what)).raw
        jid = jid or salt.utils.jid.gen_jid(loaders.opts)
        job = {"fun": fun, "fun_args": list(fun_args), "jid": jid, "return": ret, "id": "x"}
        returners["hltcloud_highstate.returner"](job)
        return jid

    yield run
    with contextlib.suppress(FileNotFoundError):
        os.unlink(loaders.utils["highstate_record.path"](loaders.opts))


def test_no_highstate_yet_reports_none(loaders, node):
    assert loaders.modules.hltcloud.report()["highstate"] is None


@pytest.mark.parametrize(
    ("fun", "fun_args"),
    [
        ("state.apply", []),
        ("state.highstate", []),
        ("state.apply", ["compute"]),
        ("state.apply", ["head", {"test": False, "__kwarg__": True}]),
    ],
)
def test_a_highstate_that_passed_is_configured_when_it_started(loaders, node, fun, fun_args):
    jid = node(fun=fun, fun_args=fun_args)
    assert loaders.modules.hltcloud.report()["highstate"] == {
        "state": "configured",
        "failed": [],
        "applied": salt.utils.jid.jid_to_time(jid),
    }


def test_a_failing_state_makes_it_failed_with_that_id(loaders, node):
    node(what="fail")
    record = loaders.modules.hltcloud.report()["highstate"]
    assert (record["state"], record["failed"]) == ("failed", ["probe-fail"])


def test_a_refused_run_is_failed_with_the_reason(loaders, node):
    node(ret=["Pillar failed to render with the following messages:", "run make secrets"])
    record = loaders.modules.hltcloud.report()["highstate"]
    assert record["state"] == "failed"
    assert record["failed"] == [
        "refused: Pillar failed to render with the following messages: run make secrets"
    ]


def test_a_run_without_a_master_jid_is_timed_now(loaders, node):
    before = salt.utils.jid.jid_to_time(salt.utils.jid.gen_jid({}))
    node(jid="req")
    applied = loaders.modules.hltcloud.report()["highstate"]["applied"]
    assert before <= applied <= salt.utils.jid.jid_to_time(salt.utils.jid.gen_jid({}))


@pytest.mark.parametrize(
    ("fun", "fun_args", "ret"),
    [
        ("state.apply", [{"test": True, "__kwarg__": True}], None),
        ("state.highstate", ["test=True"], None),
        ("state.apply", ["compute.killswitch"], None),
        ("state.sls", ["compute"], None),
        ("test.ping", [], True),
        ("state.apply", [], ["The function state.apply is running as PID 4242 and was started"]),
    ],
    ids=["test-mode", "test-mode-salt-call", "other-sls", "state.sls", "not-state", "busy"],
)
def test_other_jobs_leave_the_record_alone(loaders, node, fun, fun_args, ret):
    jid = node()
    node(fun=fun, fun_args=fun_args, what="fail", ret=ret)
    assert loaders.modules.hltcloud.report()["highstate"] == {
        "state": "configured",
        "failed": [],
        "applied": salt.utils.jid.jid_to_time(jid),
    }


def test_the_master_keeps_each_nodes_own_answer_under_its_id(loaders, tmp_path):
    remember = loaders.utils["highstate_record.remember"]
    memo = tmp_path / "status.json"
    ids = ["cn43.internal", "cn44.internal", "cn45.internal"]
    ok = {"state": "configured", "failed": [], "applied": "2026, Nov 26 09:04:16.904436"}
    bad = {"state": "failed", "failed": ["x"], "applied": "2026, Nov 27 09:04:16.904436"}
    assert remember(str(memo), ids, {"cn43.internal": {"highstate": ok}}) == {
        "cn43.internal": ok,
        "cn44.internal": None,
        "cn45.internal": None,
    }
    # cn43 is down now; cn44's answer holds a record for cn43 and one of an odd shape, an
    # id outside the inventory answers, cn45's record is not a record.
    kept = remember(
        str(memo),
        ids,
        {
            "cn44.internal": {"highstate": bad, "cn43.internal": {"highstate": bad}},
            "cn45.internal": {"highstate": {"state": "configured", "failed": "x"}},
            "cn99.internal": {"highstate": bad},
            "cn43.internal": "Minion did not return. [No response]",
        },
    )
    assert kept == {"cn43.internal": ok, "cn44.internal": bad, "cn45.internal": None}
    assert json.loads(memo.read_text()) == kept
