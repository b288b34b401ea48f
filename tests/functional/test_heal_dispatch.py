"""
The self-heal's master side through Salt's own reactor code, on Salt 3006.8 (the farm's
master) and 3008: salt.utils.reactor.Reactor renders reactor/bridge_gateway.sls for beacon
events (its MasterMinion loads heal_gate.enqueue and hltcloud.node_name from the checkout),
and ReactWrap runs the reaction as the reactor does, runner.heal_gate.dispatch in its worker
pool through RunnerClient with the checkout's runners and utils. Only the publish is stood
in for (salt.client.get_local_client: no master runs here); what it is asked to publish is
the check. tests/integration/test_selfheal*.py publish through a real master (3008).
"""

import os
import threading
import time

import pytest
import salt.config
import salt.utils.reactor

import salt.client
from _utils import heal_queue
from tests.support.localcluster import REPO, inventory

SUFFIX = "/bridge_gateway/gateway_missing"
REACTION = str(REPO / "reactor" / "bridge_gateway.sls")


class Publisher:
    """LocalClient's stand-in: records each cmd_async and answers a jid."""

    def __init__(self):
        self.calls = []
        self.published = threading.Event()

    def cmd_async(self, tgt, fun, **kwargs):
        self.calls.append((list(tgt), fun, kwargs))
        self.published.set()
        return "20261208020000000000"

    def destroy(self):
        pass


@pytest.fixture
def master_opts(tmp_path):
    overrides = {
        "root_dir": str(tmp_path),
        "cachedir": str(tmp_path / "cache"),
        "sock_dir": str(tmp_path / "sock"),
        "pki_dir": str(tmp_path / "pki"),
        "log_file": str(tmp_path / "master.log"),
        "file_roots": {"base": [str(REPO / "salt")]},
        "module_dirs": [str(REPO / "_modules")],
        "utils_dirs": [str(REPO / "_utils")],
        "runner_dirs": [str(REPO / "_runners")],
        "hltcloud_inventory": inventory(),
        "hltcloud_heal_hold": 15,
        "reactor_worker_threads": 2,
        "reactor_worker_hwm": 1000,
    }
    for key in ("cachedir", "sock_dir", "pki_dir"):
        os.makedirs(overrides[key], exist_ok=True)
    os.makedirs(tmp_path / "cache" / "proc")  # the runner's job file (RunnerClient.low)
    return salt.config.apply_master_config(overrides, salt.config.DEFAULT_MASTER_OPTS.copy())


@pytest.fixture
def publisher(monkeypatch):
    stand_in = Publisher()
    monkeypatch.setattr(salt.client, "get_local_client", lambda *a, **k: stand_in)
    return stand_in


@pytest.fixture
def reactor(master_opts):
    salt.utils.reactor.ReactWrap.client_cache = None  # no client of another test's opts
    react = salt.utils.reactor.Reactor(master_opts)
    react.wrap = salt.utils.reactor.ReactWrap(master_opts)  # its pool: two daemon threads
    yield react
    getattr(react.minion, "destroy", lambda: None)()  # Salt 3008's; 3006.8 has none


def _event(reactor, minion_id):
    """What the reactor does with one beacon event: render, then run the reactions."""
    chunks = reactor.reactions(f"salt/beacon/{minion_id}{SUFFIX}", {"id": "*"}, [REACTION])
    reactor.call_reactions(chunks)
    return chunks


def _dispatched(master_opts, timeout=30):
    """Wait until the dispatcher has released (the runner ran in the pool)."""
    path = os.path.join(master_opts["cachedir"], *heal_queue.DISPATCHER)
    deadline = time.monotonic() + timeout
    while os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not os.path.exists(path)


def test_a_beacon_event_publishes_one_heal_to_that_node_as_a_list(reactor, publisher, master_opts):
    chunks = _event(reactor, "cn45.internal")
    assert [(c["state"], c["fun"]) for c in chunks] == [("runner", "heal_gate.dispatch")]
    assert publisher.published.wait(30), "the dispatcher published nothing"
    assert _dispatched(master_opts)
    assert publisher.calls == [(["cn45.internal"], "selfheal.heal", {"tgt_type": "list"})]
    assert heal_queue.queued(master_opts["cachedir"]) == []


def test_events_while_a_dispatcher_runs_join_its_queue(reactor, publisher, master_opts):
    """While a dispatcher runs (its mark, taken here), events only queue and render no
    reaction; the next one to start a dispatcher publishes all four as one list job."""
    lead = os.path.join(master_opts["cachedir"], *heal_queue.DISPATCHER)
    assert heal_queue.lead(master_opts["cachedir"])  # as if the first event's had started
    for minion_id in ("cn44.internal", "cn46.internal", "cn47.internal"):
        assert _event(reactor, minion_id) == []
    os.unlink(lead)  # the first event's dispatcher, lost: the next event leads
    assert _event(reactor, "cn45.internal")
    assert publisher.published.wait(30)
    assert _dispatched(master_opts)
    ids = ["cn44.internal", "cn45.internal", "cn46.internal", "cn47.internal"]
    assert publisher.calls == [(ids, "selfheal.heal", {"tgt_type": "list"})]


def test_a_held_node_and_a_head_event_publish_nothing(reactor, publisher, master_opts):
    _event(reactor, "cn45.internal")
    assert publisher.published.wait(30) and _dispatched(master_opts)
    assert _event(reactor, "cn45.internal") == []  # held for hltcloud_heal_hold
    assert _event(reactor, "cn43.internal") == []  # the head: not a compute node
    time.sleep(0.5)
    assert len(publisher.calls) == 1
    assert heal_queue.queued(master_opts["cachedir"]) == []
