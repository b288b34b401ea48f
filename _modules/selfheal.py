"""
Self-healing of the compute nodes' bridge: put the flat network's gateway
address back on br100 by restarting nova-network, which re-adds it when it
starts. Replaces the runbook's dhclient exit hook (it blocked the boot).

The ``bridge_gateway`` beacon watches the address; the master's reactor
(reactor/bridge_gateway.sls) calls :func:`heal` on the node that lost it.
Settings come from the pillar/config key ``selfheal`` (pillar/selfheal.sls)::

    selfheal:
      bridge: br100
      network: 203.0.113.24/29     # the flat network; the gateway is its first host
      service: openstack-nova-network
      cooldown: 30                 # seconds between two restarts
      timeout: 10                  # seconds to wait for the address after a restart

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

from salt.exceptions import CommandExecutionError, SaltInvocationError

log = logging.getLogger(__name__)

__virtualname__ = "selfheal"
DEFAULTS = {"cooldown": 30, "timeout": 10}


def __virtual__():
    if shutil.which("ip") or shutil.which("ip", path="/usr/sbin:/sbin"):
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


def addresses(bridge):
    """
    Return the IPv4 addresses (``address/prefix``) on ``bridge``, or None when it does not
    exist. One ``ip -j addr`` call: no socket or thread outlives it.

    CLI Example:

    .. code-block:: bash

        salt-call selfheal.addresses br100
    """
    try:
        proc = subprocess.run(
            ["ip", "-j", "-4", "addr", "show", "dev", str(bridge)],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CommandExecutionError(f"cannot list the addresses of {bridge}: {exc}") from None
    if proc.returncode != 0:
        if "does not exist" in proc.stderr:
            return None
        raise CommandExecutionError(f"ip addr show dev {bridge}: {proc.stderr.strip()}")
    found = []
    for link in json.loads(proc.stdout or "[]"):
        for info in link.get("addr_info", []):
            found.append(f"{info['local']}/{info['prefixlen']}")
    return found


def _settings(**overrides):
    conf = dict(DEFAULTS)
    conf.update(__salt__["config.get"]("selfheal", {}) or {})
    conf.update({k: v for k, v in overrides.items() if v is not None})
    missing = [k for k in ("bridge", "network", "service") if not conf.get(k)]
    if missing:
        raise SaltInvocationError(f"selfheal: no {', '.join(missing)} in pillar 'selfheal'")
    return conf


def _present(bridge, address):
    found = addresses(bridge)
    return found is not None and address.split("/")[0] in {a.split("/")[0] for a in found}


def status(bridge=None, network=None):
    """
    Report whether the gateway address is on the bridge.

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
    }


def _stamp(bridge):
    return os.path.join(__opts__["cachedir"], f"selfheal-{bridge}.last")


def _lock(bridge):
    """Return an open, exclusively locked file, or None when another heal holds the lock."""
    handle = open(os.path.join(__opts__["cachedir"], f"selfheal-{bridge}.lock"), "a")
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
    is back. Debounced: no restart while another heal runs, nor within ``cooldown`` seconds
    of the last one. Arguments override pillar ``selfheal``.

    Returns ``{"result", "action": "none"|"restarted"|"skipped", "comment", ...}``.

    CLI Example:

    .. code-block:: bash

        salt cn44.internal selfheal.heal
        salt cn44.internal selfheal.heal cooldown=0
    """
    conf = _settings(
        bridge=bridge, network=network, service=service, cooldown=cooldown, timeout=timeout
    )
    bridge, service = conf["bridge"], conf["service"]
    address = gateway(conf["network"])
    if addresses(bridge) is None:
        return _answer(False, "none", f"bridge {bridge} does not exist: nothing to heal")
    if _present(bridge, address):
        return _answer(True, "none", f"{address} is on {bridge}")
    lock = _lock(bridge)
    if lock is None:
        return _answer(True, "skipped", f"a heal of {bridge} is already running")
    try:
        return _restart(conf, address)
    finally:
        lock.close()


def _restart(conf, address):
    """Restart the service unless within the cool-down; wait for ``address``. Holds the lock."""
    bridge, service = conf["bridge"], conf["service"]
    stamp = _stamp(bridge)
    since = time.time() - os.path.getmtime(stamp) if os.path.exists(stamp) else None
    if since is not None and since < float(conf["cooldown"]):
        return _answer(
            True,
            "skipped",
            f"{service} was restarted {since:.1f}s ago (cool-down {conf['cooldown']}s)",
        )
    with open(stamp, "w", encoding="ascii") as handle:
        handle.write(f"{time.time()}\n")
    started = time.monotonic()
    log.warning("selfheal: %s missing from %s, restarting %s", address, bridge, service)
    if not __salt__["service.restart"](service):
        return _answer(False, "restarted", f"restarting {service} failed")
    back = _wait(bridge, address, conf["timeout"])
    elapsed = round(time.monotonic() - started, 3)
    if not back:
        return _answer(
            False,
            "restarted",
            f"restarted {service} but {address} is not back on {bridge} after {conf['timeout']}s",
            elapsed=elapsed,
        )
    return _answer(
        True, "restarted", f"restarted {service}; {address} is back on {bridge}", elapsed=elapsed
    )
