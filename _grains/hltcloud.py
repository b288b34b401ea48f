"""
Grains for the HLT cloud: the node's role and its management IPv4 address.

Both come from the cluster inventory (``hltcloud_inventory`` in the Salt
configuration, see ``etc/salt/cluster.conf``); nothing about the cluster is
written in this file.

- ``role``: ``head`` or ``compute`` for a node listed in the inventory, matched
  by minion id (``cn44.internal``, the one id form of a node: ``_utils/hltcloud_ids.py``).
  An unknown host gets no role, never a guessed one. A static grain ``role`` (minion
  config ``grains:`` or ``/etc/salt/grains``) overrides this one, as Salt ranks static
  grains above custom grain modules.
- ``hlt_node``: the node's short name in the inventory.
- ``mgmt_ipv4``: the node's address in the management network, taken from the
  bridge, then the physical interface, then any interface; when none carries
  one (the bridge not up yet, a test host), the inventory's ``ip`` for the node.

CLI Example:

.. code-block:: bash

    salt-call grains.item role hlt_node mgmt_ipv4
"""

import ipaddress
import logging

import salt.utils.network

log = logging.getLogger(__name__)


def _inventory():
    inventory = __opts__.get("hltcloud_inventory")
    return inventory if isinstance(inventory, dict) else {}


def _mapping(value):
    return value if isinstance(value, dict) else {}


def _addresses(interfaces, order):
    """Yield (interface, IPv4Address) for the interfaces in ``order`` first, then the rest."""
    names = [n for n in order if n in interfaces]
    names += sorted(n for n in interfaces if n not in names)
    for name in names:
        for inet in interfaces[name].get("inet") or []:
            try:
                yield name, ipaddress.IPv4Address(inet.get("address"))
            except ValueError:
                continue


def _mgmt_address(interfaces, inventory, node):
    """
    Return the management IPv4 for ``node`` as a string, or None. An inventory entry that
    is not sound (the master's hltcloud_validate names it in one line) counts as absent:
    grains never raise on it.
    """
    cidr = _mapping(_mapping(inventory.get("networks")).get("mgmt")).get("cidr")
    try:
        network = ipaddress.IPv4Network(cidr) if isinstance(cidr, str) else None
    except ValueError:
        network = None
    if network is not None:
        ifaces = _mapping(inventory.get("interfaces"))
        order = [ifaces.get("bridge"), ifaces.get("physical")]
        for _, address in _addresses(interfaces, order):
            if address in network:
                return str(address)
    if node:
        address = inventory["nodes"][node].get("ip")
        return address if isinstance(address, str) else None
    return None


def hltcloud():
    """Return the ``role``, ``hlt_node`` and ``mgmt_ipv4`` grains."""
    inventory = _inventory()
    if not inventory:
        log.debug("hltcloud grains: no hltcloud_inventory in the configuration")
        return {}
    node = __utils__["hltcloud_ids.node_name"](inventory, __opts__.get("id"))
    grains = {}
    if node:
        grains["hlt_node"] = node
        role = inventory["nodes"][node].get("role")
        if isinstance(role, str) and role:
            grains["role"] = role
    address = _mgmt_address(salt.utils.network.interfaces(), inventory, node)
    if address:
        grains["mgmt_ipv4"] = address
    return grains
