"""
Beacon: is the flat network's gateway address on the bridge?

nova-network (FlatDHCP, multi-host) puts the flat network's gateway address,
e.g. 203.0.113.25/29, on br100 beside the node's own address; a network
restart or a DHCP renewal removes it. This beacon is level-triggered: every
interval while the address is missing it fires
``salt/beacon/<minion>/bridge_gateway/gateway_missing``; while it is there it
is silent. A missing bridge is logged once per interval, no event.

Each check is one ``ip -j addr`` call through ``selfheal.addresses``: no
netlink socket, thread or NDB instance outlives an interval (salt#70036).

Configuration (pillar/selfheal.sls sets it for the compute nodes)::

    beacons:
      bridge_gateway:
        - bridge: br100
        - network: 203.0.113.24/29
        - interval: 1
        - disable_during_state_run: true
"""

import logging

import salt.utils.beacons
from salt.exceptions import SaltException

log = logging.getLogger(__name__)

__virtualname__ = "bridge_gateway"


def __virtual__():
    return __virtualname__


def validate(config):
    """Check the beacon configuration: a bridge name and an IPv4 network with a host address."""
    if not isinstance(config, list):
        return False, "bridge_gateway: the configuration must be a list of one-key mappings"
    conf = salt.utils.beacons.list_to_dict(config)
    if not isinstance(conf.get("bridge"), str) or not conf["bridge"]:
        return False, "bridge_gateway: 'bridge' (e.g. br100) is required"
    try:
        __salt__["selfheal.gateway"](conf.get("network"))
    except SaltException as exc:
        return False, f"bridge_gateway: {exc}"
    return True, "Valid beacon configuration"


def beacon(config):
    """Return one ``gateway_missing`` event while the gateway address is not on the bridge."""
    conf = salt.utils.beacons.list_to_dict(config)
    bridge = conf["bridge"]
    try:
        address = __salt__["selfheal.gateway"](conf["network"])
        found = __salt__["selfheal.addresses"](bridge)
    except SaltException as exc:
        log.warning("bridge_gateway: %s", exc)
        return []
    if found is None:
        log.warning("bridge_gateway: bridge %s does not exist", bridge)
        return []
    if address.split("/")[0] in {a.split("/")[0] for a in found}:
        return []
    return [{"tag": "gateway_missing", "bridge": bridge, "gateway": address}]
