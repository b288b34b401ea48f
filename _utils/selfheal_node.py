"""
What a compute node shows self-heal (``_modules/selfheal.py``): the flat network's gateway
address, the addresses on the bridge (``ip -o -4 addr show dev``; iproute 3.x and 4.x have
no ``-j``), the guests (tap/vnet devices in sysfs, libvirt's running domains) and the
running nova-network process (``/proc``). Reads only; reached as
``__utils__["selfheal_node.<function>"]``.
"""

import ipaddress
import os
import shutil
import subprocess
import time

from salt.exceptions import CommandExecutionError, SaltInvocationError

INSTANCE_PREFIXES = ("tap", "vnet")
SYSFS_NET = "/sys/class/net"
PATH = "/usr/sbin:/sbin:/usr/bin:/bin"


def ip_command():
    """The path of iproute2's ``ip`` (also where a minion's PATH lacks /sbin), or None."""
    return shutil.which("ip") or shutil.which("ip", path=PATH)


def gateway(network):
    """
    Return the gateway address of ``network`` as ``address/prefix``: its first host, where
    nova-network puts it on the bridge.
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
    """
    command = ip_command() or "ip"
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


def present(bridge, address):
    """True when ``address`` (``address/prefix``) is on ``bridge``, whatever its prefix."""
    found = addresses(bridge)
    return found is not None and address.split("/")[0] in {a.split("/")[0] for a in found}


def wait_present(bridge, address, timeout):
    """Wait up to ``timeout`` seconds for :func:`present`; return it."""
    deadline = time.monotonic() + float(timeout)
    while time.monotonic() < deadline:
        if present(bridge, address):
            return True
        time.sleep(0.05)
    return present(bridge, address)
