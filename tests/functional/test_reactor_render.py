"""
reactor/bridge_gateway.sls rendered as the master renders a reaction (Salt's Jinja, the
master's opts with the inventory, ``hltcloud.node_name`` from the checkout's module), for
events an accepted minion can send: any tag, any data. Only an inventory compute node named
in the tag is healed, and only that one id, as a list; `data` decides nothing.
tests/integration/test_selfheal.py sends such forged events to a real master.
"""

import pytest
import yaml
from salt.utils.templates import render_jinja_tmpl

from tests.support.localcluster import REPO, inventory

SUFFIX = "/bridge_gateway/gateway_missing"


def reaction(loaders, minion_opts, tag, data):
    context = {
        "opts": {**minion_opts, "hltcloud_inventory": inventory()},
        "salt": {"hltcloud.node_name": loaders.modules.hltcloud.node_name},
        "tag": tag,
        "data": data,
        "saltenv": "base",
        "sls": "",
    }
    text = (REPO / "reactor" / "bridge_gateway.sls").read_text()
    return yaml.safe_load(render_jinja_tmpl(text, context)) or {}


def test_the_node_in_the_tag_is_healed_as_a_list_of_one(loaders, minion_opts):
    high = reaction(
        loaders, minion_opts, f"salt/beacon/cn45.internal{SUFFIX}", {"id": "*", "bridge": "br100"}
    )
    assert high == {
        "selfheal-bridge-gateway-cn45": {
            "local.selfheal.heal": [{"tgt": ["cn45.internal"]}, {"tgt_type": "list"}]
        }
    }


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


@pytest.mark.parametrize(
    "tag", ["salt/beacon/cn45.internal/bridge_gateway/other", "hltcloud/x" + SUFFIX, ""]
)
def test_another_tag_heals_nothing(loaders, minion_opts, tag):
    assert reaction(loaders, minion_opts, tag, {"id": "cn45.internal"}) == {}
