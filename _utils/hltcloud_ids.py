"""
The inventory → minion id rule, in one place: node ``cnXX`` of the inventory
(``hltcloud_inventory``, etc/salt/cluster.conf) is the minion ``cnXX.<domain>``, exactly.
That is a node's one id form: ``cnXX``, ``cnXX.``, another domain, a longer name
(``cnXX.<domain>.evil``) or another case are not the node, so one accepted key per node
gets its secrets.

Readers: pillar/top.sls and pillar/lib/cluster.jinja (through ``hltcloud.node_name`` and
``hltcloud.node_id``), the hltcloud_validate ext_pillar, the grains (``_grains/hltcloud.py``),
``salt-run hlt.status`` and the tests' local cluster. Reached as
``__utils__["hltcloud_ids.<function>"]``; pure Python, also imported from the checkout.
"""


def node_id(name, domain):
    """The minion id of inventory node ``name`` in ``domain``: ``cnXX.<domain>``."""
    return f"{name}.{domain}"


def node_name(inventory, minion_id):
    """
    The inventory node whose minion ``minion_id`` is, or None: the ``name`` for which
    :func:`node_id` gives exactly ``minion_id``, and whose entry is a mapping.
    """
    if not isinstance(inventory, dict) or not isinstance(inventory.get("nodes"), dict):
        return None
    domain = inventory.get("domain")
    if not isinstance(minion_id, str) or not isinstance(domain, str) or not domain:
        return None
    name, dot, _ = minion_id.partition(".")
    if not dot or not name or node_id(name, domain) != minion_id:
        return None
    return name if isinstance(inventory["nodes"].get(name), dict) else None


def node_ids(inventory):
    """The minion ids of the inventory's nodes, sorted by node name."""
    if not isinstance(inventory, dict) or not isinstance(inventory.get("nodes"), dict):
        return []
    domain = inventory.get("domain")
    names = sorted(name for name in inventory["nodes"] if isinstance(name, str))
    return [node_id(name, domain) for name in names]
