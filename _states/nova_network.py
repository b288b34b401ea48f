"""
nova-network networks (the runbook's ``nova network-create``), matched by label.

.. code-block:: yaml

    nova-flat-network-demo-net-present:
      nova_network.present:
        - name: demo-net
        - cidr: 203.0.113.24/29
        - bridge: br100
        - bridge_interface: em1
        - multi_host: true

nova-network cannot change a network's cidr, bridge, interface, multi_host, gateway or DNS
servers in place: when an existing network differs the state fails and says what to do,
it never deletes and re-creates a network (its fixed IPs and instances go with it).
Credentials: ``nova:auth`` (see ``nova_compute``); os-networks is admin-only.

Creating a network is a call to a nova-network (one runs on every compute node): with
none up, nova-api waits for its RPC timeout (60 s) and answers HTTP 500. So a network
that must be created is created only once Nova's ``os-services`` shows a nova-network
up; before that the state fails with one line saying so (apply the compute nodes first).
"""

import ipaddress
import re

__virtualname__ = "nova_network"

NO_NETWORK_SERVICE = "no nova-network service is up yet: apply the compute nodes first"
# Deleting goes through a nova-network too.
NO_NETWORK_SERVICE_TO_DELETE = (
    "no nova-network service is up: a network is deleted through one (start nova-network "
    "on a compute node first)"
)
# What nova-network stores per network and cannot change afterwards; compared when given.
FIXED = ("cidr", "bridge", "bridge_interface", "multi_host", "gateway", "dns1", "dns2")
# A Linux interface name: 1-15 bytes (IFNAMSIZ 16 with the NUL), no '/', ':' or white
# space, not '.' or '..' (the kernel's dev_valid_name, plus ':' which ip(8) refuses).
_IFNAME = re.compile(r"^[^/:\s]{1,15}$")


def __virtual__():
    if "nova_compute.network_list" in __salt__:
        return __virtualname__
    return (False, "nova_network: the nova_compute execution module is not available")


def _valid_ifname(name):
    return isinstance(name, str) and bool(_IFNAME.match(name)) and name not in (".", "..")


def _cidr_problems(cidr, gateway):
    try:
        network = ipaddress.IPv4Network(str(cidr), strict=True)
    except (ValueError, TypeError) as exc:
        return [f"cidr '{cidr}' is not an IPv4 network ({exc})"]
    hosts = list(network.hosts()) if network.prefixlen <= 30 else []
    gw = hosts[0] if hosts else None
    if gateway is not None:
        try:
            gw = ipaddress.IPv4Address(str(gateway))
        except ValueError:
            return [f"gateway '{gateway}' is not an IPv4 address"]
        if gw not in hosts:
            return [f"gateway {gw} is not a host address of {network}"]
    if not [h for h in hosts if h != gw]:
        return [f"cidr {network} holds no host address besides the gateway: use a /29 or larger"]
    return []


def _no_network_service(auth, reason):
    """``reason`` when os-services shows no nova-network up, else None."""
    return None if __salt__["nova_compute.network_services_up"](auth=auth) else reason


def validate(name, cidr, bridge, bridge_interface, multi_host, gateway, dns1, dns2):
    """Every problem of the arguments (a list, empty when all is well); no call is made."""
    problems = []
    if not isinstance(name, str) or not name.strip():
        problems.append("the label (name) must be a non-empty string")
    problems.extend(_cidr_problems(cidr, gateway))
    for key, value in (("bridge", bridge), ("bridge_interface", bridge_interface)):
        if value is not None and not _valid_ifname(value):
            problems.append(
                f"{key} '{value}' is not a valid Linux interface name "
                "(1-15 characters, no '/', ':' or spaces)"
            )
    if multi_host is not None and not isinstance(multi_host, bool):
        problems.append(
            f"multi_host must be true or false, not {multi_host!r} ({type(multi_host).__name__})"
        )
    for key, value in (("dns1", dns1), ("dns2", dns2)):
        if value is not None:
            try:
                ipaddress.ip_address(str(value))
            except ValueError:
                problems.append(f"{key} '{value}' is not an IP address")
    return problems


def _normal(key, value):
    """A field as compared: networks and addresses by value, the rest as given."""
    if value is None:
        return None
    if key == "cidr":
        return str(ipaddress.ip_network(str(value), strict=False))
    if key in ("gateway", "dns1", "dns2"):
        return str(ipaddress.ip_address(str(value)))
    return value


def differences(current, wanted):
    """{field: (current, wanted)} for the fixed fields given in ``wanted`` that differ."""
    diff = {}
    for key in FIXED:
        want = wanted.get(key)
        if want is None:
            continue
        have = current.get(key)
        try:
            same = _normal(key, have) == _normal(key, want)
        except ValueError:
            same = False
        if not same:
            diff[key] = (have, want)
    return diff


def present(
    name,
    cidr,
    bridge=None,
    bridge_interface=None,
    multi_host=None,
    gateway=None,
    dns1=None,
    dns2=None,
    auth=None,
    **kwargs,
):
    """
    Ensure the nova-network network labelled ``name`` exists with these settings.

    name
        The label (``nova network-create <label>``).
    cidr
        The IPv4 fixed range (``--fixed-range-v4``); it must hold the gateway and at
        least one more host.
    bridge
        The bridge on the hypervisors (``--bridge``), a Linux name of at most 15 characters.
    bridge_interface
        The physical interface in that bridge (``--bridge-interface``).
    multi_host
        True or False (``--multi-host T``): a real boolean, not a string.
    gateway, dns1, dns2
        Optional; nova-network's defaults (the first host; none) when not given.
    auth
        Credentials overriding ``nova:auth``.
    kwargs
        Further keys of os-networks create (vlan_start, network_size, priority, ...),
        sent on creation only.
    """
    utils = __utils__
    ret = utils["state_return.start"](name)
    label = f"Network '{name}'"
    problems = validate(name, cidr, bridge, bridge_interface, multi_host, gateway, dns1, dns2)
    if problems:
        return utils["state_return.invalid"](ret, label, problems)
    wanted = {
        "label": name,
        "cidr": str(cidr),
        "bridge": bridge,
        "bridge_interface": bridge_interface,
        "multi_host": multi_host,
        "gateway": gateway,
        "dns1": dns1,
        "dns2": dns2,
    }
    extra = {k: v for k, v in kwargs.items() if not k.startswith("__") and v is not None}
    found = {}

    def find():
        networks = __salt__["nova_compute.network_get"](name, auth=auth)
        found["all"] = networks
        return networks[0] if networks else None

    def conflict(current):
        if len(found["all"]) > 1:
            ids = ", ".join(str(n.get("id")) for n in found["all"])
            return (
                f"{len(found['all'])} networks carry this label ({ids}); delete the extra "
                "ones (`nova network-delete <id>`) so the label names one network"
            )
        diff = differences(current, wanted)
        if not diff:
            return None
        what = ", ".join(f"{k} is {have!r}, wanted {want!r}" for k, (have, want) in diff.items())
        return (
            f"exists (id {current.get('id')}) but {what}; nova-network cannot change "
            f"{', '.join(diff)} of an existing network in place. Either set the state to the "
            "existing values, or take the network down on purpose: delete its instances, "
            f"then `nova network-delete {current.get('id')}` (or nova_network.absent), "
            "then apply this state again"
        )

    def create():
        params = {k: v for k, v in wanted.items() if k not in ("label", "cidr") and v is not None}
        params.update(extra)
        network = __salt__["nova_compute.network_create"](name, str(cidr), auth=auth, **params)
        shown = {k: (network or {}).get(k) for k in ("id", *FIXED)}
        shown["label"] = name
        problems = differences(network or {}, wanted)
        if problems:
            return (
                shown,
                False,
                f"{label} created, but Nova reports {', '.join(problems)} differently",
            )
        return shown, True, f"{label} created (id {shown['id']})"

    def blocked():
        return _no_network_service(auth, NO_NETWORK_SERVICE)

    new = {k: v for k, v in wanted.items() if v is not None}
    return utils["state_return.present"](
        ret, label, find, create, __opts__["test"], new, conflict=conflict, blocked=blocked
    )


def absent(name, auth=None):
    """
    Ensure no nova-network network is labelled ``name``. Nova refuses to delete a network
    whose addresses are in use (HTTP 409): delete its instances first. Deleting goes
    through a nova-network: with none up (os-services) the state fails saying so.

    name
        The label.
    auth
        Credentials overriding ``nova:auth``.
    """
    utils = __utils__
    ret = utils["state_return.start"](name)

    def delete(network):
        __salt__["nova_compute.network_delete"](network["id"], auth=auth)

    return utils["state_return.absent_each"](
        ret,
        f"Network '{name}'",
        lambda: __salt__["nova_compute.network_get"](name, auth=auth),
        delete,
        __opts__["test"],
        fields=("label", "id", "cidr"),
        blocked=lambda: _no_network_service(auth, NO_NETWORK_SERVICE_TO_DELETE),
    )
