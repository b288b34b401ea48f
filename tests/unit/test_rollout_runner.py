"""
The rollout runner's plan and scheduling (_runners/rollout.py): batches by count or share,
batches in flight, the stop after K failed nodes, and the times kept for the next dry run.
The batches' highstate jobs are stood in for here (each batch "runs" for a set time with
set outcomes); tests/integration/test_orchestrate.py runs the real ones on real minions.
"""

import importlib.util
import threading
import time

import pytest

from tests.support.localcluster import REPO

IDS = [f"cn{n}.internal" for n in range(44, 54)]  # ten nodes


@pytest.fixture
def rollout(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("rollout_runner", REPO / "_runners/rollout.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.__opts__ = {"cachedir": str(tmp_path), "conf_file": str(tmp_path / "master")}
    module.__context__ = {}
    return module


class Stand:
    """_run_batch's stand-in: records start/end of every batch and answers per node."""

    def __init__(self, failing=(), seconds=0.05, report=None):
        self.failing = set(failing)
        self.seconds = seconds
        self.report = seconds if report is None else report
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.started = []

    def __call__(self, members, pillar, test, timeout):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.started.append(list(members))
        time.sleep(self.seconds)
        with self.lock:
            self.running -= 1
        return {
            m: ("failed", "did not answer") if m in self.failing else ("changed", "3 state(s)")
            for m in members
        }, self.report


@pytest.mark.parametrize(
    ("count", "batch", "size"),
    [(10, 2, 2), (10, "3", 3), (10, "10%", 1), (10, "25%", 3), (250, "10%", 25), (3, "100%", 3)],
)
def test_a_batch_is_a_count_or_a_share_rounded_up(rollout, count, batch, size):
    assert rollout.batch_size(count, batch) == size


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"batch": 0}, "batch (a number of nodes or a share such as '10%') must be a whole"),
        ({"batch": "0%"}, "a share of the nodes is 1% to 100%"),
        ({"batch": "ten"}, "must be a whole number"),
        ({"in_flight": 0}, "in_flight must be a whole number of at least 1"),
        ({"stop_after": True}, "stop_after must be a whole number"),
        ({"targets": []}, "targets must be a non-empty list"),
        ({"targets": ["cn44.internal", "cn44.internal"]}, "lists a minion id twice"),
    ],
)
def test_unusable_settings_are_one_line_and_a_failed_job(rollout, settings, words):
    answer = rollout.plan(**{"targets": IDS, **settings})
    assert answer["result"] is False and words in answer["comment"]
    assert "\n" not in answer["comment"]
    assert rollout.__context__["retcode"] == 1


def test_the_plan_says_the_batches_and_that_no_run_is_recorded_yet(rollout):
    plan = rollout.plan(IDS, batch=4, in_flight=2, stop_after=3)
    assert plan["batches"] == [IDS[0:4], IDS[4:8], IDS[8:10]]
    assert plan["comment"] == (
        "10 node(s) in 3 batch(es) of 4 (the last of 2), 2 at a time, no new batch once 3 "
        "node(s) failed; no real run recorded yet"
    )


def test_batches_in_flight_never_exceed_the_setting_and_all_run(rollout, monkeypatch):
    stand = Stand(seconds=0.1)
    monkeypatch.setattr(rollout, "_run_batch", stand)
    answer = rollout.highstate(IDS, batch=1, in_flight=3)
    assert answer["result"] is True
    assert stand.most == 3
    assert [m for batch in stand.started for m in batch] == IDS
    assert {n["state"] for n in answer["nodes"].values()} == {"changed"}
    assert "retcode" not in rollout.__context__


def test_one_batch_at_a_time_by_default(rollout, monkeypatch):
    stand = Stand()
    monkeypatch.setattr(rollout, "_run_batch", stand)
    rollout.highstate(IDS)
    assert stand.most == 1 and stand.started == [IDS[i : i + 2] for i in range(0, 10, 2)]


def test_failed_nodes_are_named_and_the_other_batches_still_run(rollout, monkeypatch):
    monkeypatch.setattr(rollout, "_run_batch", Stand(failing={IDS[1]}))
    answer = rollout.highstate(IDS, batch=2)
    assert answer["result"] is False and rollout.__context__["retcode"] == 1
    assert answer["nodes"][IDS[1]] == {"state": "failed", "detail": "did not answer"}
    assert answer["not_started"] == []
    assert answer["comment"] == ("9 changed, 1 failed. Failed: cn45.internal (did not answer)")


def test_no_new_batch_starts_once_stop_after_nodes_failed(rollout, monkeypatch):
    stand = Stand(failing={IDS[1], IDS[2]})
    monkeypatch.setattr(rollout, "_run_batch", stand)
    answer = rollout.highstate(IDS, batch=1, stop_after=2)
    assert stand.started == [[IDS[0]], [IDS[1]], [IDS[2]]]
    assert answer["not_started"] == IDS[3:]
    assert answer["result"] is False
    assert answer["comment"].endswith("Not started (stop_after reached): " + ", ".join(IDS[3:]))


def test_a_real_run_keeps_each_batchs_time_for_the_next_dry_run(rollout, monkeypatch):
    monkeypatch.setattr(rollout, "_run_batch", Stand(seconds=0.01, report=312.44))
    rollout.highstate(IDS, batch=5, test=True)
    assert "no real run recorded yet" in rollout.plan(IDS, batch=5)["comment"]  # dry: not kept
    rollout.highstate(IDS, batch=5)
    plan = rollout.plan(IDS, batch=5)
    assert plan["last_run"]["seconds"] == [312.4, 312.4]
    assert plan["comment"].endswith("the last real run (batches of 5) took 1: 312 s, 2: 312 s")


@pytest.mark.parametrize(
    ("answer", "test", "outcome"),
    [
        (None, False, ("failed", "did not answer")),
        (False, False, ("failed", "did not answer")),  # LocalClient.cmd on 3006.8
        (
            {
                "ret": ["Pillar failed to render with the following messages:", "x: bad"],
                "retcode": 5,
            },
            False,
            ("failed", "refused: Pillar failed to render with the following messages: x: bad"),
        ),
        (
            {"ret": {"a": {"__id__": "a", "result": False, "changes": {}}}},
            False,
            ("failed", "failed states: a"),
        ),
        (
            {"ret": {"a": {"__id__": "a", "result": None, "changes": {}}}},
            True,
            ("would change", "1 state(s)"),
        ),
        (
            {"ret": {"a": {"__id__": "a", "result": True, "changes": {"x": 1}}}},
            False,
            ("changed", "1 state(s)"),
        ),
        ({"ret": {"a": {"__id__": "a", "result": True, "changes": {}}}}, False, ("in sync", "")),
        (
            {"ret": "Minion did not return. [No response]"},
            False,
            ("failed", "did not answer"),
        ),
    ],
    ids=[
        "silent",
        "silent-3006",
        "refused",
        "failed-state",
        "would-change",
        "changed",
        "in-sync",
        "no-response",
    ],
)
def test_each_nodes_answer_is_one_outcome(rollout, answer, test, outcome):
    assert rollout._outcome(answer, test) == outcome  # pylint: disable=protected-access


def test_a_batch_the_master_cannot_take_fails_its_nodes_and_the_others_go_on(rollout, monkeypatch):
    class Client:
        def __init__(self, members_failing):
            self.failing = members_failing

        def cmd(self, members, *args, **kwargs):
            if members == self.failing:
                raise rollout.salt.client.SaltClientError("Salt request timed out.\nThe master")
            return {
                m: {"ret": {"a": {"__id__": "a", "result": True, "changes": {}}}} for m in members
            }

        def destroy(self):
            pass

    client = Client(IDS[2:4])
    monkeypatch.setattr(rollout.salt.client, "get_local_client", lambda conf: client)
    answer = rollout.highstate(IDS, batch=2)
    assert answer["nodes"][IDS[2]] == {
        "state": "failed",
        "detail": "not run: Salt request timed out. The master",
    }
    assert answer["nodes"][IDS[4]]["state"] == "in sync"
    assert answer["result"] is False and answer["not_started"] == []
