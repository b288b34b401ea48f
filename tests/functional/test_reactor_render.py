"""
reactor/bridge_gateway.sls rendered as the master renders a reaction (Salt's Jinja, the
master's opts with the inventory, ``hltcloud.node_name`` from the checkout's module), for
events an accepted minion can send: any tag, any data. Only an inventory compute node named
in the tag is queued for a heal, and only that one id; `data` decides nothing. While a heal
of a node is held (``heal_gate.enqueue``, the storm dedupe), its next events queue nothing;
only an event that finds no dispatcher running starts one (``runner.heal_gate.dispatch``,
which publishes the queue as lists of ids: tests/unit/test_heal_queue.py).
tests/integration/test_selfheal.py sends such forged events to a real master;
tests/integration/test_selfheal_storm.py takes the gateway from three nodes at once.
"""

import pathlib
import shutil
import time

import pytest
import yaml
from salt.utils.templates import render_jinja_tmpl

from _utils import heal_queue
from tests.support.localcluster import REPO, inventory

SUFFIX = "/bridge_gateway/gateway_missing"


def reaction(loaders, minion_opts, tag, data, hold=None, fresh=True):
    """The rendered reaction; ``fresh``: no heal held from an earlier render."""
    if fresh:
        shutil.rmtree(pathlib.Path(minion_opts["cachedir"]) / "hltcloud", ignore_errors=True)
    context = {
        "opts": {**minion_opts, "hltcloud_inventory": inventory(), "hltcloud_heal_hold": hold},
        "salt": {
            "hltcloud.node_name": loaders.modules.hltcloud.node_name,
            "heal_gate.enqueue": loaders.modules.heal_gate.enqueue,
        },
        "tag": tag,
        "data": data,
        "saltenv": "base",
        "sls": "",
    }
    text = (REPO / "reactor" / "bridge_gateway.sls").read_text()
    return yaml.safe_load(render_jinja_tmpl(text, context)) or {}


DISPATCH = {"selfheal-bridge-gateway-dispatch": {"runner.heal_gate.dispatch": [{"led": True}]}}


def queued(minion_opts):
    return heal_queue.queued(minion_opts["cachedir"])


def dispatched(minion_opts):
    """What the dispatcher does with the queue, less the publish: take it and end."""
    heal_queue.take(minion_opts["cachedir"])
    (pathlib.Path(minion_opts["cachedir"]).joinpath(*heal_queue.DISPATCHER)).unlink()


def test_the_node_in_the_tag_is_queued_and_a_dispatcher_started(loaders, minion_opts):
    high = reaction(
        loaders, minion_opts, f"salt/beacon/cn45.internal{SUFFIX}", {"id": "*", "bridge": "br100"}
    )
    assert high == DISPATCH
    assert queued(minion_opts) == ["cn45.internal"]


@pytest.mark.parametrize(
    "minion",
    [
        "*",  # every minion
        "cn4*",
        "cn44.internal,cn45.internal",
        "cn43.internal",  # the head: not a compute node
        "rogue.internal",  # not in the inventory
        "cn45.",
        "cn45",  # the short name: not a node's id
        "cn45.internal/x",
    ],
)
def test_a_tag_naming_no_single_inventory_compute_node_heals_nothing(loaders, minion_opts, minion):
    assert reaction(loaders, minion_opts, f"salt/beacon/{minion}{SUFFIX}", {"id": "*"}) == {}
    assert queued(minion_opts) == []


@pytest.mark.parametrize(
    "tag", ["salt/beacon/cn45.internal/bridge_gateway/other", "hltcloud/x" + SUFFIX, ""]
)
def test_another_tag_heals_nothing(loaders, minion_opts, tag):
    assert reaction(loaders, minion_opts, tag, {"id": "cn45.internal"}) == {}
    assert queued(minion_opts) == []


def test_a_node_held_is_queued_once_others_join_the_running_dispatcher(loaders, minion_opts):
    """A switch flap: every node's beacon fires. The first event of each node queues its
    heal, the next ones of that node queue nothing while held; only the first event of all
    starts a dispatcher, the others' nodes wait in its queue."""
    tag = f"salt/beacon/cn45.internal{SUFFIX}"
    assert reaction(loaders, minion_opts, tag, {}, hold=30) == DISPATCH
    for _ in range(3):
        assert reaction(loaders, minion_opts, tag, {}, hold=30, fresh=False) == {}
    other = f"salt/beacon/cn46.internal{SUFFIX}"
    assert reaction(loaders, minion_opts, other, {}, hold=30, fresh=False) == {}
    assert queued(minion_opts) == ["cn45.internal", "cn46.internal"]
    dispatched(minion_opts)
    assert reaction(loaders, minion_opts, other, {}, hold=30, fresh=False) == {}  # held
    assert queued(minion_opts) == []


def test_after_the_hold_the_next_event_heals_again(loaders, minion_opts):
    tag = f"salt/beacon/cn45.internal{SUFFIX}"
    assert reaction(loaders, minion_opts, tag, {}, hold=0.5) == DISPATCH
    dispatched(minion_opts)
    assert reaction(loaders, minion_opts, tag, {}, hold=0.5, fresh=False) == {}
    time.sleep(0.6)
    assert reaction(loaders, minion_opts, tag, {}, hold=0.5, fresh=False) == DISPATCH
    assert queued(minion_opts) == ["cn45.internal"]


def test_a_forged_tag_claims_no_hold(loaders, minion_opts):
    """A tag naming no inventory compute node does not reach the gate: nothing is written."""
    reaction(loaders, minion_opts, f"salt/beacon/rogue.internal{SUFFIX}", {})
    assert not (pathlib.Path(minion_opts["cachedir"]) / "hltcloud").exists()
