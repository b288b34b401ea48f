"""
Self-healing of the compute nodes' bridge: put the flat network's gateway
address back on br100 by restarting nova-network, which re-adds it when it
starts. Replaces the runbook's dhclient exit hook (it blocked the boot).

The ``bridge_gateway`` beacon watches the address; the master's reactor
(reactor/bridge_gateway.sls) calls :func:`heal` on the node that lost it.
Settings come from the pillar/config key ``selfheal``: ``bridge``, ``network`` (the flat
network; the gateway is its first host), ``cooldown``, ``timeout``, ``backoff_max`` and
``giveup_after``, each explained in pillar/selfheal.sls; their defaults and checks are
``SELFHEAL_DEFAULTS`` in ``_utils/hltcloud_schema.py``.

The service restarted is the one the states run: ``nova.network.service`` of
the formula's map (``hltcloud.parameters``, map.jinja's data, for this node's
grains and pillar ``hltcloud:lookup``); there is no second copy of the name.

What the node shows (the bridge's addresses, the guests' tap/vnet devices and
libvirt domains, the nova-network process) is read by ``_utils/selfheal_node.py``.

CLI Example:

.. code-block:: bash

    salt 'cn4[4-7]*' selfheal.status
    salt cn44.internal selfheal.heal
"""

import logging
import time

from salt.exceptions import CommandExecutionError, SaltException, SaltInvocationError

log = logging.getLogger(__name__)

__virtualname__ = "selfheal"
GIVEUP_TAG = "hltcloud/selfheal/giveup"
# How long the beacon's last word that the address is wanted (:func:`want`) counts.
WANTED_FOR = 120


def __virtual__():
    if __utils__["selfheal_node.ip_command"]():
        return __virtualname__
    return (False, "selfheal needs iproute2's ip command")


def _node(name):
    return __utils__[f"selfheal_node.{name}"]


def gateway(network):
    """
    Return the gateway of ``network`` (``address/prefix``): its first host, on the bridge.

    CLI Example:

    .. code-block:: bash

        salt-call selfheal.gateway 203.0.113.24/29
    """
    return _node("gateway")(network)


def parse_addresses(text):
    """Return the IPv4 addresses (``address/prefix``) in the output of ``ip -o -4 addr show``.

    CLI Example:

    .. code-block:: bash

        salt-call selfheal.parse_addresses "5: br100    inet 10.0.0.1/24 scope global br100"
    """
    return _node("parse_addresses")(text)


def addresses(bridge):
    """
    Return the IPv4 addresses (``address/prefix``) on ``bridge``; None: no such bridge.

    CLI Example:

    .. code-block:: bash

        salt-call selfheal.addresses br100
    """
    return _node("addresses")(bridge)


def instances(bridge):
    """
    Return this node's tap/vnet devices: ``enslaved`` to ``bridge``, ``detached`` (no bridge).

    CLI Example:

    .. code-block:: bash

        salt-call selfheal.instances br100
    """
    return _node("instances")(bridge)


def domains():
    """Return the names of libvirt's running domains, or None without ``virsh`` or libvirt.

    CLI Example:

    .. code-block:: bash

        salt-call selfheal.domains
    """
    return _node("domains")()


def fingerprint(bridge, with_domains=True):
    """
    Return what tells that guests run here, as a sorted list (empty: no guest seen). The
    beacon and :func:`heal` compare it with the one recorded at a give-up.

    CLI Example:

    .. code-block:: bash

        salt-call selfheal.fingerprint br100
    """
    return _node("fingerprint")(bridge, with_domains)


def nova_network_process():
    """
    Return ``"<pid>:<start time>"`` of the running nova-network process, or None. It
    changes when nova-network restarts.

    CLI Example:

    .. code-block:: bash

        salt-call selfheal.nova_network_process
    """
    return _node("nova_network_process")()


def _settings(**overrides):
    conf = __utils__["hltcloud_schema.selfheal_defaults"]()  # checked by type there
    conf.update(__salt__["config.get"]("selfheal", {}) or {})
    conf.update({k: v for k, v in overrides.items() if v is not None})
    missing = [k for k in ("bridge", "network") if not conf.get(k)]
    if missing:
        raise SaltInvocationError(f"selfheal: no {', '.join(missing)} in pillar 'selfheal'")
    return conf


def service_name():
    """
    Return the nova-network service name the states use: ``nova.network.service`` of the
    formula's map (salt/map.jinja's data, ``hltcloud.parameters``) for this node's grains and
    pillar ``hltcloud:lookup``, from the parameter files the node last fetched (any state
    run, ``test=True`` included; read without asking the master: in a switch flap every node
    asks at once; fetched when the node has none or cannot read its copy).

    CLI Example:

    .. code-block:: bash

        salt cn44.internal selfheal.service_name
    """
    parameters = __salt__["hltcloud.parameters"]
    try:
        name = parameters(fetch=False)["nova"]["network"]["service"]
    except (KeyError, TypeError):
        name = None
    except Exception as exc:  # pylint: disable=broad-except
        # one line for the heal's answer, whatever the files held (it holds the lock)
        raise CommandExecutionError(
            f"cannot read nova.network.service from the map: {exc}"
        ) from None
    if not isinstance(name, str) or not name.strip():
        raise CommandExecutionError("the map gives no nova.network.service")
    return name.strip()


def _record(name):
    return __utils__[f"selfheal_record.{name}"]


def _read_state(bridge):
    return _record("read")(__opts__["cachedir"], bridge, "json")


def _write_state(bridge, state):
    _record("write")(__opts__["cachedir"], bridge, "json", state)


def _lock(bridge):
    return _record("lock")(__opts__["cachedir"], bridge)


def _unwant(bridge):
    """Drop the beacon's record (:func:`want`); True when there was one."""
    return _record("remove")(__opts__["cachedir"], bridge, "wanted")


def _wanted(bridge):
    """The beacon's record, while it is recent (see :func:`want`); else None."""
    record = _record("read")(__opts__["cachedir"], bridge, "wanted")
    try:
        age = time.time() - float(record["at"])
    except (KeyError, TypeError, ValueError):
        return None
    return record if 0 <= age <= WANTED_FOR else None


def want(bridge, reason):
    """
    Record that this node's beacon found the gateway address missing where it is wanted
    (``reason``: guests run here, or nova-network put it there): :func:`heal` acts on a node
    without guests only within ``WANTED_FOR`` seconds of such a record. The beacon calls it
    each time it fires.

    CLI Example:

    .. code-block:: bash

        salt-call selfheal.want br100 guests
    """
    _record("write")(
        __opts__["cachedir"], bridge, "wanted", {"at": time.time(), "reason": str(reason)}
    )
    return True


def forget(bridge=None):
    """
    Forget the heal history of ``bridge`` (last restart, failures, give-up, the beacon's
    :func:`want`): the next :func:`heal` may restart at once. Returns True when there was
    something to forget.

    CLI Example:

    .. code-block:: bash

        salt cn44.internal selfheal.forget
    """
    bridge = bridge or (__salt__["config.get"]("selfheal", {}) or {}).get("bridge")
    if not bridge:
        raise SaltInvocationError("selfheal.forget: no bridge given and none in pillar")
    forgot = _unwant(bridge)
    return _record("remove")(__opts__["cachedir"], bridge, "json") or forgot


def settle(bridge=None):
    """
    The address is back on ``bridge``: clear the failed-restart count, any give-up and the
    beacon's :func:`want`, keeping the time of the last restart (its cool-down still holds).
    Returns True when a failure or give-up was cleared. The beacon calls it while the
    address is there.

    CLI Example:

    .. code-block:: bash

        salt cn44.internal selfheal.settle br100
    """
    conf = __utils__["hltcloud_schema.selfheal_defaults"]()
    conf.update(__salt__["config.get"]("selfheal", {}) or {})
    bridge = bridge or conf.get("bridge")
    _unwant(bridge)  # the beacon's word held while the address was missing
    state = _read_state(bridge)
    if not state.get("failures") and not state.get("gave_up"):
        return False
    settled = {"failures": 0, "wait": float(conf["cooldown"])}
    if "last" in state:
        settled["last"] = state["last"]
    _write_state(bridge, settled)
    return True


def gave_up(bridge, guests):
    """
    Return the give-up record of ``bridge`` while it still holds: the heal gave up and the
    guests seen (``guests``, a :func:`fingerprint`) are the same as then; else None.

    CLI Example:

    .. code-block:: bash

        salt-call selfheal.gave_up br100 '[]'
    """
    record = _read_state(bridge).get("gave_up")
    if record and sorted(record.get("guests", [])) == sorted(guests):
        return record
    return None


def drain_mark():
    """
    Return the kill switch's mark on this node as it is now: ``{"grain", "value",
    "drained"}``. The value is the grains file's (``compute.killswitch`` writes it there),
    else the minion's grains; ``drained`` is Salt's ``to_bool`` of it ("false", "0", "no"
    are not drained; "true", "yes", "1", True are). The one reading of the mark: every
    state (compute/drained.jinja), :func:`heal`, :func:`status` and the beacon use it
    (``_utils/drained.py``).

    CLI Example:

    .. code-block:: bash

        salt 'cn4[4-7]*' selfheal.drain_mark
    """
    return __utils__["drained.current"](__opts__, __grains__)


def status(bridge=None, network=None):
    """
    Report whether the gateway address is on the bridge, the guests seen, and the heal's
    history (failures, next attempt, give-up).

    CLI Example:

    .. code-block:: bash

        salt 'cn4[4-7]*' selfheal.status
    """
    conf = __salt__["config.get"]("selfheal", {}) or {}
    bridge = bridge or conf.get("bridge")
    address = gateway(network or conf.get("network"))
    found = addresses(bridge)
    return {
        "bridge": bridge,
        "gateway": address,
        "bridge_exists": found is not None,
        "present": found is not None and _node("present")(bridge, address),
        "guests": fingerprint(bridge),
        "drained": drain_mark()["drained"],
        "history": _read_state(bridge),
    }


def _answer(result, action, comment, **extra):
    if result is False:
        __context__["retcode"] = 1
    return {"result": result, "action": action, "comment": comment, **extra}


def heal(bridge=None, network=None, service=None, cooldown=None, timeout=None):
    """
    Restart nova-network when the gateway address is missing from the bridge, then check it
    is back. Does nothing on a drained node (:func:`drain_mark`, set by
    ``compute.killswitch``; read again under the lock just before the restart), nor on an
    idle one: no guest runs here and the node's own beacon has not asked for the address
    in the last ``WANTED_FOR`` seconds (:func:`want`), whoever sent the event. Debounced:
    no restart while another heal runs, nor within ``cooldown`` seconds of the last
    attempt; after a failed restart the wait doubles up to ``backoff_max``; after
    ``giveup_after`` failed restarts in a row it sends one ``hltcloud/selfheal/giveup``
    event and does nothing more until the address comes back or the guests on the node
    change (or :func:`forget`). Arguments override pillar
    ``selfheal``; ``service`` defaults to the map's ``nova.network.service``.

    Returns ``{"result", "action": "none"|"restarted"|"skipped"|"gave_up", "comment", ...}``;
    a restart that fails, or after which the address is not back, has result False.

    CLI Example:

    .. code-block:: bash

        salt cn44.internal selfheal.heal
        salt cn44.internal selfheal.heal cooldown=0
    """
    if drain_mark()["drained"]:
        return _drained_answer()
    conf = _settings(bridge=bridge, network=network, cooldown=cooldown, timeout=timeout)
    bridge = conf["bridge"]
    address = gateway(conf["network"])
    if addresses(bridge) is None:
        return _answer(False, "none", f"bridge {bridge} does not exist: nothing to heal")
    if _node("present")(bridge, address):
        settle(bridge)
        return _answer(True, "none", f"{address} is on {bridge}")
    if not fingerprint(bridge) and not _wanted(bridge):
        # Whoever asked (a heal is anyone's event to send), an idle node is not broken:
        # nova-network takes the address away itself when the last guest leaves.
        return _answer(
            True,
            "none",
            f"no guest runs here and this node's beacon has not asked for {address}: "
            f"an idle node needs no gateway, nothing to heal",
        )
    lock = _lock(bridge)
    if lock is None:
        return _answer(True, "skipped", f"a heal of {bridge} is already running")
    try:
        return _restart(conf, address, service)
    finally:
        lock.close()


def _drained_answer():
    return _answer(
        True,
        "none",
        "node is drained (kill switch): no heal; state.apply compute.resume lifts it",
    )


def _next_wait(conf, failures):
    """Seconds to wait after an attempt: the cool-down, doubled per failure up to the cap."""
    base = float(conf["cooldown"])
    return min(base * 2**failures, max(base, float(conf["backoff_max"])))


def _held(conf, state, guests, address):
    """The answer while a give-up (same guests) or the restart's wait holds; else None."""
    record = state.get("gave_up")
    if record and sorted(record.get("guests", [])) == guests:
        return _answer(
            False,
            "gave_up",
            f"gave up after {record['failures']} failed restarts; waiting for {address} or the "
            f"guests on this node to change (selfheal.forget to retry now)",
            guests=guests,
        )
    if record:  # the guests changed since the give-up: no wait holds
        return None
    since = time.time() - float(state["last"]) if "last" in state else None
    wait = float(state.get("wait", conf["cooldown"]))
    if since is not None and since < wait:
        return _answer(
            True,
            "skipped",
            f"last restart {since:.1f}s ago, next one in {wait - since:.1f}s "
            f"(wait {wait:g}s after {state.get('failures', 0)} failed restarts)",
        )
    return None


def _restart(conf, address, service):
    """Restart the service unless waiting or given up; wait for ``address``. Holds the lock."""
    bridge = conf["bridge"]
    state = _read_state(bridge)
    guests = fingerprint(bridge)
    held = _held(conf, state, guests, address)
    if held:
        return held
    if state.get("gave_up"):  # the guests changed since the give-up: start afresh
        state = {}
    try:
        service = service or service_name()
    except CommandExecutionError as exc:
        return _answer(False, "none", str(exc))
    if drain_mark()["drained"]:
        # The kill switch ran since the check in heal(): it stopped nova-network, and a
        # restart now would undo it. Read again under the lock, from the grains file.
        return _drained_answer()
    started = time.monotonic()
    log.warning("selfheal: %s missing from %s, restarting %s", address, bridge, service)
    try:
        restarted = __salt__["service.restart"](service)
    except SaltException as exc:
        log.warning("selfheal: restarting %s: %s", service, exc)
        restarted = False
    back = bool(restarted) and _node("wait_present")(bridge, address, conf["timeout"])
    elapsed = round(time.monotonic() - started, 3)
    failures = 0 if back else int(state.get("failures", 0)) + 1
    state = {"last": time.time(), "failures": failures, "wait": _next_wait(conf, failures)}
    if back:
        _write_state(bridge, state)
        return _answer(
            True,
            "restarted",
            f"restarted {service}; {address} is back on {bridge}",
            elapsed=elapsed,
        )
    if not restarted:
        comment = f"restarting {service} failed"
    else:
        comment = f"restarted {service} but {address} is not back on {bridge} after " + (
            f"{float(conf['timeout']):g}s"
        )
    if failures >= int(conf["giveup_after"]):
        comment += f" (failed restarts in a row: {failures})"
        state["gave_up"] = {"at": state["last"], "failures": failures, "guests": guests}
        _write_state(bridge, state)
        sent = __salt__["event.send"](
            GIVEUP_TAG,
            {
                "bridge": bridge,
                "gateway": address,
                "service": service,
                "failures": failures,
                "guests": guests,
                "comment": comment,
            },
        )
        return _answer(
            False,
            "gave_up",
            f"{comment}; giving up until {address} or the guests change",
            elapsed=elapsed,
            event_sent=bool(sent),
        )
    comment += f" (failed restarts in a row: {failures}, next attempt in {state['wait']:g}s)"
    _write_state(bridge, state)
    return _answer(False, "restarted", comment, elapsed=elapsed)
