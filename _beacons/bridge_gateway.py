"""
Beacon: is the flat network's gateway address on the bridge where it should be?

nova-network (FlatDHCP, multi-host) puts the flat network's gateway address,
e.g. 203.0.113.25/29, on br100 beside the node's own address while guests on
this node need it, and removes it when none is left; a network restart or a
DHCP renewal removes it too. The address SHOULD be there when

- guests run here: tap/vnet devices on the bridge or detached from it (a
  network restart re-creates the bridge without them), or libvirt's running
  domains where ``virsh`` exists (asked at most every ``libvirt_interval`` s);
- or this beacon saw it on the bridge since nova-network (the same process)
  last started, and the guests it saw then did not all go away (nova-network
  removes the address itself after the last guest).

While it should be there and is not, it fires
``salt/beacon/<minion>/bridge_gateway/gateway_missing`` at the first look that
finds it so, then again every ``repeat`` seconds (5) while it stays so: in a
switch flap every node's event reaches the master at once, and the repeats only
matter once the master's hold on a heal (``hltcloud_heal_hold``, 15 s) is over;
events every second made the master work through 40 a second at 40 nodes and
delayed the first ones (bench/README.md, bench_scale.py). ``repeat: 0`` fires at
every look. Silent: the address is
there; no guest needs it (an idle node is healthy); the node is drained (the kill
switch's mark, ``selfheal.drain_mark``); the heal gave up and the guests have not
changed since (``selfheal.gave_up``). A missing bridge is logged once per
interval, no event. While the address is there, failed restarts and a give-up
are forgotten (``selfheal.settle``; the cool-down since the last restart holds).

Each check is one ``ip -o -4 addr`` call, a few sysfs reads and one read of the
grains file: no netlink socket, thread or NDB instance outlives an interval
(salt#70036).

Configuration (pillar/selfheal.sls sets it for the compute nodes)::

    beacons:
      bridge_gateway:
        - bridge: br100
        - network: 203.0.113.24/29
        - interval: 1
        - disable_during_state_run: true
        # - repeat: 5   (seconds between events while the address stays missing)
"""

import logging
import time

import salt.utils.beacons
from salt.exceptions import SaltException

log = logging.getLogger(__name__)

__virtualname__ = "bridge_gateway"
LIBVIRT_INTERVAL = 10
REPEAT = 5  # seconds between two events while the address stays missing
REPEAT_MAX = 300  # a longer wait would leave a lost first event unanswered for that long


def __virtual__():
    return __virtualname__


def validate(config):
    """Check the beacon configuration: a bridge name and an IPv4 network with a host address."""
    if not isinstance(config, list):
        return False, "bridge_gateway: the configuration must be a list of one-key mappings"
    conf = salt.utils.beacons.list_to_dict(config)
    if not isinstance(conf.get("bridge"), str) or not conf["bridge"]:
        return False, "bridge_gateway: 'bridge' (e.g. br100) is required"
    repeat = conf.get("repeat", REPEAT)
    if (
        isinstance(repeat, bool)
        or not isinstance(repeat, (int, float))
        or not 0 <= repeat <= REPEAT_MAX
    ):
        return False, f"bridge_gateway: 'repeat' must be 0 to {REPEAT_MAX} seconds, not {repeat!r}"
    try:
        __salt__["selfheal.gateway"](conf.get("network"))
    except SaltException as exc:
        return False, f"bridge_gateway: {exc}"
    return True, "Valid beacon configuration"


def _domains(memory, conf):
    """libvirt's running domains, asked at most every ``libvirt_interval`` seconds."""
    now = time.monotonic()
    every = float(conf.get("libvirt_interval", LIBVIRT_INTERVAL))
    if "domains_at" not in memory or now - memory["domains_at"] >= every:
        memory["domains"] = __salt__["selfheal.domains"]() or []
        memory["domains_at"] = now
    return memory["domains"]


def _guests(bridge, memory, conf):
    guests = __salt__["selfheal.fingerprint"](bridge, with_domains=False)
    if not guests:
        guests = [f"domain:{n}" for n in _domains(memory, conf)]
    return guests


def _reason(bridge, memory, conf, present):
    """Why the address should be on the bridge (None: it need not be); keep the memory."""
    guests = _guests(bridge, memory, conf)
    looked = []

    def process():
        """nova-network's process now ("none" without one): looked up once per look."""
        if not looked:
            looked.append(__salt__["selfheal.nova_network_process"]() or "none")
        return looked[0]

    if memory.get("had_guests") and not guests:
        # The last guest left: nova-network drops the address, maybe a moment later. Until
        # a guest is back or nova-network restarts, an address still there is not "seen".
        memory.pop("seen", None)
        memory["left_under"] = process()
    memory["had_guests"] = bool(guests)
    if guests:
        memory.pop("left_under", None)
    elif "left_under" in memory and process() != memory["left_under"]:
        memory.pop("left_under")  # nova-network restarted since: it decides anew
    if present:
        if "seen" not in memory and "left_under" not in memory:
            memory["seen"] = process()
        return None, guests
    if guests:
        return "guests", guests
    if "seen" not in memory:
        return None, guests  # no guest here needs it: an idle node is healthy
    if process() != memory["seen"]:
        memory.pop("seen")  # nova-network restarted since: it decides anew
        return None, guests
    return "seen since nova-network started", guests


def beacon(config):
    """Return one ``gateway_missing`` event while the gateway address should be on the
    bridge and is not."""
    conf = salt.utils.beacons.list_to_dict(config)
    bridge = conf["bridge"]
    memory = __context__.setdefault(f"bridge_gateway.{bridge}", {})
    if __salt__["selfheal.drain_mark"]()["drained"]:
        memory.pop("fired_at", None)
        return []
    try:
        address = __salt__["selfheal.gateway"](conf["network"])
        found = __salt__["selfheal.addresses"](bridge)
        if found is None:
            log.warning("bridge_gateway: bridge %s does not exist", bridge)
            memory.pop("fired_at", None)
            return []
        present = address.split("/")[0] in {a.split("/")[0] for a in found}
        reason, guests = _reason(bridge, memory, conf, present)
        if present:
            __salt__["selfheal.settle"](bridge)
        if not reason or __salt__["selfheal.gave_up"](bridge, guests):
            memory.pop("fired_at", None)
            return []
        __salt__["selfheal.want"](bridge, reason)
    except SaltException as exc:
        log.warning("bridge_gateway: %s", exc)
        return []
    now, last = time.monotonic(), memory.get("fired_at")
    if last is not None and now - last < float(conf.get("repeat", REPEAT)):
        return []  # still missing, and said so less than ``repeat`` seconds ago
    memory["fired_at"] = now
    return [
        {
            "tag": "gateway_missing",
            "bridge": bridge,
            "gateway": address,
            "reason": reason,
            "guests": guests,
        }
    ]
