"""
The self-heal's gate and dispatch queue on the master (_utils/heal_queue.py) and the runner
that publishes it (_runners/heal_gate.py): one heal queued per node per hold, one dispatcher
at a time, every id queued published exactly once, in as few jobs as the timing allows.
The publish is stood in for here (a list of the batches, or a LocalClient stand-in);
tests/integration/test_selfheal.py and test_selfheal_storm.py publish through a real master.
"""

import importlib.util
import os
import time

import pytest

from _utils import heal_queue, hltcloud_ids
from tests.support.localcluster import REPO

A, B, C = "cn44.internal", "cn45.internal", "cn46.internal"


@pytest.fixture
def cachedir(tmp_path):
    return str(tmp_path)


def _dispatcher(cachedir):
    return os.path.join(cachedir, *heal_queue.DISPATCHER)


def test_the_first_event_starts_the_dispatcher_the_next_ones_only_queue(cachedir):
    assert heal_queue.enqueue(cachedir, A) is True
    assert heal_queue.enqueue(cachedir, B) is False
    assert heal_queue.queued(cachedir) == [A, B]
    assert os.path.exists(_dispatcher(cachedir))


def test_a_held_node_queues_nothing(cachedir):
    assert heal_queue.enqueue(cachedir, A, hold=30) is True
    heal_queue.take(cachedir)
    os.unlink(_dispatcher(cachedir))
    assert heal_queue.enqueue(cachedir, A, hold=30) is False
    assert heal_queue.queued(cachedir) == []
    assert not os.path.exists(_dispatcher(cachedir))


def test_after_the_hold_a_node_queues_again(cachedir):
    now = time.time()
    assert heal_queue.enqueue(cachedir, A, hold=5, now=now - 6) is True
    assert heal_queue.take(cachedir, now=now - 6) == ([A], [])
    assert heal_queue.enqueue(cachedir, A, hold=5, now=now) is False  # a dispatcher runs
    assert heal_queue.queued(cachedir) == [A]


def test_the_dispatcher_publishes_the_queue_as_one_job_and_releases(cachedir):
    batches = []
    for minion_id in (A, B, C):
        heal_queue.enqueue(cachedir, minion_id)
    done = heal_queue.dispatch(cachedir, lambda ids: batches.append(ids) or True)
    assert batches == [[A, B, C]]
    assert done == {"published": [[A, B, C]], "failed": [], "dropped": []}
    assert heal_queue.queued(cachedir) == []
    assert not os.path.exists(_dispatcher(cachedir))
    assert heal_queue.enqueue(cachedir, "cn47.internal") is True  # the next flap leads again


def test_events_queued_during_a_publish_go_in_the_next_job(cachedir):
    batches = []

    def publish(ids):
        batches.append(ids)
        if len(batches) == 1:  # while the first publish is on its way
            assert heal_queue.enqueue(cachedir, B) is False
            assert heal_queue.enqueue(cachedir, C) is False
        return True

    heal_queue.enqueue(cachedir, A)
    heal_queue.dispatch(cachedir, publish)
    assert batches == [[A], [B, C]]
    assert not os.path.exists(_dispatcher(cachedir))


def test_an_event_queued_as_the_dispatcher_releases_is_still_published(cachedir, monkeypatch):
    """The event found the dispatcher running and did not start one; the dispatcher had
    already found the queue empty: it looks again after releasing and takes it."""
    batches = []
    real_take = heal_queue.take
    late = []

    def take(*args, **kwargs):
        found = real_take(*args, **kwargs)
        if found == ([], []) and not late:
            late.append(heal_queue.enqueue(cachedir, B))
        return found

    monkeypatch.setattr(heal_queue, "take", take)
    heal_queue.enqueue(cachedir, A)
    heal_queue.dispatch(cachedir, lambda ids: batches.append(ids) or True)
    assert late == [False]  # it saw a dispatcher running
    assert batches == [[A], [B]]
    assert heal_queue.queued(cachedir) == []
    assert not os.path.exists(_dispatcher(cachedir))


def test_a_failed_publish_ends_its_nodes_holds(cachedir):
    heal_queue.enqueue(cachedir, A, hold=30)
    heal_queue.enqueue(cachedir, B, hold=30)
    done = heal_queue.dispatch(cachedir, lambda ids: False)
    assert done == {"published": [], "failed": [A, B], "dropped": []}
    assert heal_queue.enqueue(cachedir, A, hold=30) is True  # its next event queues again


def test_entries_left_from_long_ago_and_ids_not_allowed_are_dropped(cachedir):
    """An entry older than MAX_AGE (its dispatcher was lost): the node's beacon queues it
    again if its address is still missing."""
    now = time.time()
    heal_queue.enqueue(cachedir, A, now=now - heal_queue.MAX_AGE - 1)
    heal_queue.enqueue(cachedir, B)
    heal_queue.enqueue(cachedir, C)
    batches = []
    done = heal_queue.dispatch(
        cachedir, lambda ids: batches.append(ids) or True, allowed=lambda i: i != C
    )
    assert batches == [[B]]
    assert sorted(done["dropped"]) == [A, C]


def test_with_no_hold_every_event_queues_and_is_published(cachedir):
    """hltcloud_heal_hold: 0 turns the dedupe off: still one publish per batch."""
    batches = []
    assert heal_queue.enqueue(cachedir, A, hold=0) is True
    assert heal_queue.enqueue(cachedir, A, hold=0) is False  # queued again, one entry
    heal_queue.dispatch(cachedir, lambda ids: batches.append(ids) or True)
    assert batches == [[A]]


@pytest.mark.parametrize("hold", [-1, "soon", float("nan")])
def test_a_hold_that_is_not_0_or_more_seconds_is_refused(cachedir, hold):
    with pytest.raises(ValueError):
        heal_queue.enqueue(cachedir, A, hold=hold)
    assert heal_queue.queued(cachedir) == []


def test_an_error_while_dispatching_releases_and_ends_the_holds(cachedir):
    heal_queue.enqueue(cachedir, A, hold=30)

    def publish(ids):
        raise RuntimeError("the publish broke")

    with pytest.raises(RuntimeError):
        heal_queue.dispatch(cachedir, publish)
    assert not os.path.exists(_dispatcher(cachedir))
    assert heal_queue.enqueue(cachedir, A, hold=30) is True  # not held, a new dispatcher


def test_a_dispatcher_gone_for_long_is_replaced(cachedir):
    assert heal_queue.lead(cachedir) is True
    assert heal_queue.lead(cachedir) is False
    old = time.time() - heal_queue.STALE - 1
    os.utime(_dispatcher(cachedir), (old, old))
    assert heal_queue.lead(cachedir) is True
    assert heal_queue.lead(cachedir) is False  # the new one is fresh


def test_a_dispatcher_marked_ahead_of_the_clock_is_replaced(cachedir):
    """The master's clock stepped back (NTP after boot): a mark from the future is not a
    running dispatcher for the next hour."""
    assert heal_queue.lead(cachedir) is True
    ahead = time.time() + 3600
    os.utime(_dispatcher(cachedir), (ahead, ahead))
    assert heal_queue.lead(cachedir) is True


@pytest.mark.parametrize("minion_id", ["*", "../x", "cn44.internal/x", "", ".x", None, 44])
def test_a_name_that_is_not_a_minion_id_is_refused(cachedir, minion_id):
    with pytest.raises(ValueError):
        heal_queue.enqueue(cachedir, minion_id)
    assert heal_queue.queued(cachedir) == []


class Client:
    """LocalClient's stand-in: cmd_async answers a jid, 0, or raises."""

    def __init__(self, answer="20261208011500000000"):
        self.answer = answer
        self.calls = []
        self.destroyed = False

    def cmd_async(self, tgt, fun, **kwargs):
        self.calls.append((tgt, fun, kwargs))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    def destroy(self):
        self.destroyed = True


@pytest.fixture
def runner(cachedir, monkeypatch):
    path = REPO / "_runners" / "heal_gate.py"
    spec = importlib.util.spec_from_file_location("heal_gate_runner", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    inventory = {
        "domain": "internal",
        "nodes": {
            "cn43": {"role": "head"},
            "cn44": {"role": "compute"},
            "cn45": {"role": "compute"},
        },
    }
    module.__opts__ = {"cachedir": cachedir, "hltcloud_inventory": inventory}
    module.__utils__ = {
        "hltcloud_ids.node_name": hltcloud_ids.node_name,
        "heal_queue.dispatch": heal_queue.dispatch,
        "heal_queue.lead": heal_queue.lead,
    }
    module.client = Client()
    monkeypatch.setattr(module.salt.client, "get_local_client", lambda **kwargs: module.client)
    return module


def test_the_runner_publishes_one_heal_job_to_the_list_of_compute_nodes(runner, cachedir):
    for minion_id in (A, B, "cn43.internal"):
        heal_queue.enqueue(cachedir, minion_id)
    done = runner.dispatch(led=True)
    assert runner.client.calls == [([A, B], "selfheal.heal", {"tgt_type": "list"})]
    assert done["published"] == [[A, B]] and done["dropped"] == ["cn43.internal"]
    assert runner.client.destroyed


@pytest.mark.parametrize("answer", [0, OSError("the master did not answer")])
def test_the_runner_reports_a_publish_that_failed(runner, cachedir, answer, caplog):
    runner.client.answer = answer
    heal_queue.enqueue(cachedir, A)
    done = runner.dispatch(led=True)
    assert done["failed"] == [A]
    assert f"the heal of {A} was not published" in caplog.text
    assert heal_queue.claim(cachedir, A) is True  # not held: the next event queues it


def test_the_runner_by_hand_does_nothing_while_a_dispatcher_runs(runner, cachedir):
    heal_queue.enqueue(cachedir, A)  # its event started a dispatcher
    assert "dispatcher is running" in runner.dispatch()["comment"]
    assert runner.client.calls == [] and heal_queue.queued(cachedir) == [A]


def test_the_runner_by_hand_publishes_what_is_queued(runner, cachedir):
    heal_queue.enqueue(cachedir, A)
    os.unlink(_dispatcher(cachedir))  # that dispatcher was lost
    assert runner.dispatch()["published"] == [[A]]
    assert not os.path.exists(_dispatcher(cachedir))
