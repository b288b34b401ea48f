"""
Self-healing of the compute nodes' bridge: put the flat network's gateway
address back on br100 by restarting nova-network, which re-adds it when it
starts. Replaces the runbook's dhclient exit hook (it blocked the boot).

The ``bridge_gateway`` beacon watches the address; the master's reactor
(reactor/bridge_gateway.sls) calls :func:`heal` on the node that lost it.
Settings come from the pillar/config key ``selfheal`` (pillar/selfheal.sls; the defaults
and their checks: ``SELFHEAL_DEFAULTS`` in ``_utils/hltcloud_schema.py``)::

    selfheal:
      bridge: br100
      network: 203.0.113.24/29     # the flat network; the gateway is its first host
      cooldown: 30                 # seconds between two restarts
      timeout: 10                  # seconds to wait for the address after a restart
      backoff_max: 600             # after failed restarts the wait doubles, up to this
      giveup_after: 5              # failed restarts in a row, then one giveup event

The service restarted is the one the states run: ``nova.network.service`` of
the formula's map (salt://map.jinja, rendered with this node's grains and
pillar ``hltcloud:lookup``); there is no second copy of the name.

Addresses are read with ``ip -o -4 addr show dev <bridge>`` (iproute 3.x and
4.x have no ``-j``). Instances on the node are seen as their tap/vnet devices
(on the bridge, or detached from it by a network restart) and, where
``virsh`` exists, as libvirt's running domains.

CLI Example:

.. code-block:: bash

    salt 'cn4[4-7]*' selfheal.status
    salt cn44.internal selfheal.heal
"""

import fcntl
import ipaddress
import json
import logging
import os
import shutil
import subprocess
import time

from salt.exceptions import CommandExecutionError, SaltException, SaltInvocationError

log = logging.getLogger(__name__)

__virtualname__ = "selfheal"
INSTANCE_PREFIXES = ("tap", "vnet")
GIVEUP_TAG = "hltcloud/selfheal/giveup"
# How long the beacon's last word that the address is wanted (:func:`want`) counts.
WANTED_FOR = 120
SERVICE_TEMPLATE = (
    '{%- from "map.jinja" import hltcloud with context %}{{ hltcloud.nova.network.service }}'
)
SYSFS_NET = "/sys/class/net"
PATH = "/usr/sbin:/sbin:/usr/bin:/bin"


def __virtual__():
    if shutil.which("ip") or shutil.which("ip", path=PATH):
        return __virtualname__
    return (False, "selfheal needs iproute2's ip command")


def gateway(network):
    """
    Return the gateway address of ``network`` as ``address/prefix``: its first host, where
    nova-network puts it on the bridge.

    CLI Example:

    .. code-block:: bash

        salt-call selfheal.gateway 203.0.113.24/29
    """
    try:
        net = ipaddress.IPv4Network(str(network), strict=True)
    except ValueError as exc:
        raise SaltInvocationError(f"network {network!r} is not an IPv4 network: {exc}") from None
    if net.prefixlen > 30:
        raise SaltInvocationError(f"network {network} is too small for a gateway and guests")
    return f"{net.network_address + 1}/{net.prefixlen}"


def parse_addresses(text):
    """
    Return the IPv4 addresses (``address/prefix``) in the output of ``ip -o -4 addr show``,
    as every iproute prints it (3.9 to 6.x): one line per address, ``inet`` followed by
    the local address, a ``peer`` address carrying the prefix on point-to-point links;
    ``brd``, ``scope``, flags, labels and the ``\\ valid_lft`` tail are ignored.

    CLI Example:

    .. code-block:: bash

        salt-call selfheal.parse_addresses "5: br100    inet 10.0.0.1/24 scope global br100"
    """
    found = []
    for line in str(text).splitlines():
        words = line.split()
        if "inet" not in words:
            continue
        at = words.index("inet")
        if at + 1 >= len(words):
            continue
        local = words[at + 1]
        if "/" not in local:
            prefix = "32"
            after = words[at + 2 : at + 4]
            if len(after) == 2 and after[0] == "peer" and "/" in after[1]:
                prefix = after[1].split("/", 1)[1]
            local = f"{local}/{prefix}"
        try:
            iface = ipaddress.IPv4Interface(local)
        except ValueError:
            continue
        found.append(f"{iface.ip}/{iface.network.prefixlen}")
    return found


def addresses(bridge):
    """
    Return the IPv4 addresses (``address/prefix``) on ``bridge``, or None when it does not
    exist. One ``ip -o -4 addr show dev`` call: no socket or thread outlives it.

    CLI Example:

    .. code-block:: bash

        salt-call selfheal.addresses br100
    """
    command = shutil.which("ip") or shutil.which("ip", path=PATH) or "ip"
    try:
        proc = subprocess.run(
            [command, "-o", "-4", "addr", "show", "dev", str(bridge)],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CommandExecutionError(f"cannot list the addresses of {bridge}: {exc}") from None
    if proc.returncode != 0:
        if "does not exist" in proc.stderr or "Cannot find device" in proc.stderr:
            return None
        raise CommandExecutionError(f"ip addr show dev {bridge}: {proc.stderr.strip()}")
    return parse_addresses(proc.stdout)


def instances(bridge, prefixes=INSTANCE_PREFIXES, sysfs=SYSFS_NET):
    """
    Return the instance devices (tap/vnet) of this node: ``enslaved`` to ``bridge``, and
    ``detached`` (no bridge at all: a network restart that re-creates the bridge leaves the
    running guests' taps outside it). Read from sysfs, no command run.

    CLI Example:

    .. code-block:: bash

        salt-call selfheal.instances br100
    """
    prefixes = tuple(prefixes)
    brif = os.path.join(sysfs, str(bridge), "brif")
    try:
        enslaved = sorted(n for n in os.listdir(brif) if n.startswith(prefixes))
    except OSError:
        enslaved = []
    try:
        names = os.listdir(sysfs)
    except OSError:
        names = []
    detached = sorted(
        n
        for n in names
        if n.startswith(prefixes) and not os.path.lexists(os.path.join(sysfs, n, "master"))
    )
    return {"enslaved": enslaved, "detached": detached}


def domains():
    """
    Return the names of libvirt's running domains, or None when ``virsh`` is not installed
    or libvirt does not answer.

    CLI Example:

    .. code-block:: bash

        salt-call selfheal.domains
    """
    virsh = shutil.which("virsh") or shutil.which("virsh", path=PATH)
    if not virsh:
        return None
    try:
        proc = subprocess.run(
            [virsh, "-c", "qemu:///system", "list", "--name"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return sorted(line.strip() for line in proc.stdout.splitlines() if line.strip())


def fingerprint(bridge, with_domains=True):
    """
    Return what tells that guests run here, as a sorted list: the instance devices
    (:func:`instances`) or, when there is none and ``with_domains``, libvirt's running
    domains. Empty: no guest seen. The beacon and :func:`heal` compare it with the one
    recorded at a give-up.

    CLI Example:

    .. code-block:: bash

        salt-call selfheal.fingerprint br100
    """
    devices = instances(bridge)
    found = [f"dev:{n}" for n in devices["enslaved"] + devices["detached"]]
    if not found and with_domains:
        found = [f"domain:{n}" for n in domains() or []]
    return sorted(set(found))


def nova_network_process(name="nova-network", proc="/proc"):
    """
    Return ``"<pid>:<start time>"`` of the running nova-network process (its command, or
    the script its python runs, is named ``name``), or None when none runs. It changes
    when nova-network restarts.

    CLI Example:

    .. code-block:: bash

        salt-call selfheal.nova_network_process
    """
    found = []
    for pid in os.listdir(proc):
        if not pid.isdigit():
            continue
        try:
            with open(os.path.join(proc, pid, "cmdline"), "rb") as handle:
                argv = handle.read().split(b"\0")[:2]
            names = [os.path.basename(a.decode(errors="replace")) for a in argv]
            runs = names[0] == name or (names[0].startswith("python") and names[1:2] == [name])
            if not runs:
                continue
            with open(os.path.join(proc, pid, "stat"), encoding="ascii", errors="replace") as h:
                start = h.read().rsplit(")", 1)[1].split()[19]
        except (OSError, IndexError):
            continue
        found.append((int(start), int(pid)))
    if not found:
        return None
    start, pid = min(found)  # the parent: started first
    return f"{pid}:{start}"


def _defaults():
    """The settings' defaults: SELFHEAL_DEFAULTS of the schema, which checks them by type."""
    return __utils__["hltcloud_schema.selfheal_defaults"]()


def _settings(**overrides):
    conf = _defaults()
    conf.update(__salt__["config.get"]("selfheal", {}) or {})
    conf.update({k: v for k, v in overrides.items() if v is not None})
    missing = [k for k in ("bridge", "network") if not conf.get(k)]
    if missing:
        raise SaltInvocationError(f"selfheal: no {', '.join(missing)} in pillar 'selfheal'")
    return conf


def service_name():
    """
    Return the nova-network service name the states use: ``nova.network.service`` of
    salt://map.jinja rendered for this node (its grains, pillar ``hltcloud:lookup``).

    CLI Example:

    .. code-block:: bash

        salt cn44.internal selfheal.service_name
    """
    try:
        name = __salt__["slsutil.renderer"](string=SERVICE_TEMPLATE, default_renderer="jinja")
    except SaltException as exc:
        raise CommandExecutionError(
            f"cannot read nova.network.service from map.jinja: {exc}"
        ) from None
    name = (name or "").strip()
    if not name:
        raise CommandExecutionError("map.jinja gives no nova.network.service")
    return name


def _present(bridge, address):
    found = addresses(bridge)
    return found is not None and address.split("/")[0] in {a.split("/")[0] for a in found}


def _state_file(bridge):
    return os.path.join(__opts__["cachedir"], f"selfheal-{bridge}.json")


def _read_state(bridge):
    try:
        with open(_state_file(bridge), encoding="utf-8") as handle:
            state = json.load(handle)
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _write_state(bridge, state):
    path = _state_file(bridge)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(state, handle)
    os.replace(tmp, path)


def _wanted_file(bridge):
    return os.path.join(__opts__["cachedir"], f"selfheal-{bridge}.wanted")


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
    path = _wanted_file(bridge)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump({"at": time.time(), "reason": str(reason)}, handle)
    os.replace(tmp, path)
    return True


def _unwant(bridge):
    """Drop the beacon's record; True when there was one."""
    try:
        os.unlink(_wanted_file(bridge))
    except FileNotFoundError:
        return False
    return True


def _wanted(bridge):
    """The beacon's record, while it is recent (see :func:`want`); else None."""
    try:
        with open(_wanted_file(bridge), encoding="utf-8") as handle:
            record = json.load(handle)
        age = time.time() - float(record["at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return record if 0 <= age <= WANTED_FOR else None


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
    try:
        os.unlink(_state_file(bridge))
    except FileNotFoundError:
        return forgot
    return True


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
    conf = __salt__["config.get"]("selfheal", {}) or {}
    bridge = bridge or conf.get("bridge")
    _unwant(bridge)  # the beacon's word held while the address was missing
    state = _read_state(bridge)
    if not state.get("failures") and not state.get("gave_up"):
        return False
    settled = {"failures": 0, "wait": float(conf.get("cooldown", _defaults()["cooldown"]))}
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
        "present": found is not None and _present(bridge, address),
        "guests": fingerprint(bridge),
        "drained": drain_mark()["drained"],
        "history": _read_state(bridge),
    }


def _lock(bridge):
    """Return an open, exclusively locked file, or None when another heal holds the lock."""
    handle = open(  # pylint: disable=consider-using-with
        os.path.join(__opts__["cachedir"], f"selfheal-{bridge}.lock"), "a", encoding="ascii"
    )
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def _wait(bridge, address, timeout):
    deadline = time.monotonic() + float(timeout)
    while time.monotonic() < deadline:
        if _present(bridge, address):
            return True
        time.sleep(0.05)
    return _present(bridge, address)


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
    if _present(bridge, address):
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
    """The answer while a give-up (same guests) or the wait after the last restart holds;
    None when a restart may go."""
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
    back = bool(restarted) and _wait(bridge, address, conf["timeout"])
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
