"""
Who gets which pillar (pillar/top.sls and the hltcloud_validate ext_pillar), compiled by the
real salt-call in a copy of the checkout with its own secrets. The top is rendered for one
minion at a time with the id the master authenticated (``opts.id``; ``--id`` here): an id
gets an entry only when it is exactly an inventory node's, ``cnXX.<domain>`` or ``cnXX``.

A minion id that only looks like a node's (a comma list, a trailing dot, another domain, a
glob) gets nothing; secrets handed in any other way to an id outside the inventory are
dropped by the ext_pillar; and the top stays one entry however large the inventory (YAML
refuses a key over 1024 characters: a comma-joined list of ids passed it at about 49 nodes).
"""

import json

import pytest

from tests.functional.test_compute_highstate import salt_call
from tests.support.checkout import checkout_with_secrets
from tests.support.localcluster import grown_inventory, inventory_written

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    return checkout_with_secrets(tmp_path_factory.mktemp("pillar-ids") / "hlt-cloud")


def pillar_of(checkout, minion_id, *args):
    code, pillar = salt_call(checkout, minion_id, "pillar.items", *args)
    assert code == 0, pillar
    return pillar


@pytest.mark.parametrize(
    ("minion_id", "role_key"),
    [("cn43.internal", "keystone"), ("cn44.internal", "selfheal")],
)
def test_an_inventory_nodes_id_gets_its_roles_pillar(checkout, minion_id, role_key):
    pillar = pillar_of(checkout, minion_id)
    assert pillar["secrets"] and role_key in pillar, sorted(pillar)


@pytest.mark.parametrize(
    "minion_id",
    [
        "cn43,cn43.internal",  # Salt's list matcher splits a comma-joined key
        "cn43",  # a node has one id, cnXX.<domain>: a second key would get its secrets too
        "cn43.",
        "cn43.internal.evil",
        "cn43.other",
        "CN43.internal",
        "cn4*",
        "rogue.internal",
    ],
)
def test_an_id_that_only_looks_like_a_nodes_gets_no_pillar(checkout, minion_id):
    assert pillar_of(checkout, minion_id) == {}


def test_secrets_an_outsider_gets_by_a_wrong_top_are_dropped(checkout):
    # A top entry that gives the compute secrets to every id (an admin's mistake): the
    # ext_pillar still drops them for an id outside the inventory.
    top = checkout / "pillar" / "top.sls"
    original = top.read_text()
    top.write_text("base:\n  '*':\n    - secrets.head\n    - keystone\n    - nova\n")
    try:
        code, pillar = salt_call(checkout, "rogue.internal", "pillar.items", "unmask=True")
        assert code == 0, pillar
        # secrets, and the keys that carry them (keystone's token and users, nova's auth)
        assert {key: value for key, value in pillar.items() if value is not None} == {}, pillar
        head = pillar_of(checkout, "cn43.internal", "unmask=True")
        shown = json.dumps(pillar)
        for value in (*head["secrets"].values(), head["keystone"]["auth"]["token"]):
            assert value not in shown
    finally:
        top.write_text(original)


def test_the_top_is_one_entry_for_an_inventory_of_250_compute_nodes(checkout):
    small = pillar_of(checkout, "cn44.internal")
    grown = grown_inventory(251)
    assert len(grown["nodes"]) == 251  # one head, 250 compute nodes
    with inventory_written(checkout, grown):
        last = pillar_of(checkout, "cn345.internal")
        assert last["secrets"] and "selfheal" in last and "_errors" not in last, sorted(last)
        assert pillar_of(checkout, "cn44.internal")["secrets"] == small["secrets"]
