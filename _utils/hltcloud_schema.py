"""
The one schema of the HLT cloud's data: the inventory (``etc/salt/cluster.conf``, in the
Salt configuration as ``hltcloud_inventory``) and the pillar (networks, secrets, identity
catalog, firewall, flat network, self-heal). Each problem is one line that names the key
and says what is wrong; a secret's value is never shown.

Pure Python, no I/O: the ``hltcloud`` execution module (``_modules/hltcloud.py``) holds
the public functions and reads what the checks need (salt://parameters for the firewall's
port table). Reached as ``__utils__["hltcloud_schema.<function>"]``; the secrets' format
and the minion-id rule are their own ``_utils`` files, imported here.
"""

import ipaddress
import re

try:  # loaded by Salt's loader: the utils directory is on sys.path while this file loads
    import hltcloud_ids
    import hltcloud_secrets
except ImportError:  # imported from the checkout (tests, tools)
    from _utils import hltcloud_ids, hltcloud_secrets

ROLES = ("head", "compute")
# Linux interface names: at most 15 bytes (IFNAMSIZ - 1), no '/', ':', whitespace.
IFNAME = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")
EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
URL = re.compile(
    r"^(?P<scheme>[a-z]+)://(?P<host>[A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\])(:(?P<port>[^/]*))?(/.*)?$"
)
INTERFACES = ("public", "internal", "admin")
# pillar firewall:open:<n>:service, written as iptables --comment "...": salt/firewall/rules.jinja
# A DNS label (63) less the longest suffix cluster.jinja adds ("-mgmt").
NODE_NAME_SUFFIXES = ("-mgmt", "-ib")
NODE_NAME_MAX = 63 - max(map(len, NODE_NAME_SUFFIXES))
NODE_NAME = re.compile(rf"^[a-z0-9][a-z0-9-]{{0,{NODE_NAME_MAX - 1}}}$")
FIREWALL_COMMENT = re.compile(r"^[^\x00-\x1f\x7f\"'\\\\]{1,64}$")
# What selfheal.heal reads when pillar ``selfheal`` leaves a setting out
# (_modules/selfheal.py). The schema checks each by its default's type: a float is a
# positive number (seconds), an int a whole number of at least 1, a bool a boolean; a
# default added here is checked without another line.
SELFHEAL_DEFAULTS = {"cooldown": 30.0, "timeout": 10.0, "backoff_max": 600.0, "giveup_after": 5}


# -- small checks: each returns a problem (str) or None -------------------------------------------


def _ipv4(value):
    try:
        ipaddress.IPv4Address(str(value) if isinstance(value, str) else value)
    except ValueError:
        return f"'{value}' is not an IPv4 address"
    if not isinstance(value, str):
        return f"'{value}' is not an IPv4 address (write it as a string)"
    return None


def _cidr(value):
    if not isinstance(value, str):
        return f"'{value}' is not a CIDR such as 10.162.128.0/24"
    try:
        ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        return f"'{value}' is not a valid IPv4 CIDR ({exc})"
    return None


def _ifname(value):
    if not isinstance(value, str) or not IFNAME.match(value):
        return (
            f"'{value}' is not a Linux interface name (1 to 15 characters of letters, digits, "
            "'_', '.', '-')"
        )
    return None


def _boolean(value):
    if not isinstance(value, bool):
        return f"{value!r} is not a boolean: write true or false without quotes"
    return None


def _port(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        return f"{value!r} is not a port number (1 to 65535)"
    return None


def _url(value):
    match = URL.match(value) if isinstance(value, str) else None
    if not match or match.group("scheme") not in ("http", "https"):
        return f"'{value}' is not an http(s) URL"
    port = match.group("port")
    if port is not None:
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            return f"'{value}': port '{port}' is out of range (1 to 65535)"
    return None


def _email(value):
    if not isinstance(value, str) or not EMAIL.match(value):
        return f"'{value}' is not an email address"
    return None


def _positive(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return f"{value!r} is not a positive number"
    return None


def _whole(value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return f"{value!r} is not a whole number of at least 1"
    return None


class _Problems(list):
    """Problems as '<key>: <what is wrong>' lines."""

    def check(self, key, check, value):
        problem = check(value)
        if problem:
            self.append(f"{key}: {problem}")
        return problem is None

    def add(self, key, problem):
        self.append(f"{key}: {problem}")


def _mapping(problems, key, value, what):
    if value is None or value == "":
        problems.add(key, f"is empty: give it {what}")
        return False
    if not isinstance(value, dict):
        problems.add(key, f"must be a mapping ({what}), not {type(value).__name__}")
        return False
    return True


# -- the inventory --------------------------------------------------------------------------------


def _validate_networks(problems, where, inventory):
    """Check networks and interfaces; return the mgmt network (or None)."""
    mgmt = None
    networks = inventory.get("networks")
    if _mapping(problems, f"{where}:networks", networks, "mgmt: {cidr: ...}"):
        for name, network in sorted(networks.items()):
            key = f"{where}:networks:{name}"
            if _mapping(problems, key, network, "cidr: ...") and problems.check(
                f"{key}:cidr", _cidr, network.get("cidr")
            ):
                if name == "mgmt":
                    mgmt = ipaddress.IPv4Network(network["cidr"])
        if "mgmt" not in networks:
            problems.add(f"{where}:networks:mgmt", "is missing: the management network's cidr")
        _validate_disjoint(problems, f"{where}:networks", networks)
    interfaces = inventory.get("interfaces")
    if _mapping(problems, f"{where}:interfaces", interfaces, "physical: em1, bridge: br100"):
        valid = [
            problems.check(f"{where}:interfaces:{name}", _ifname, interfaces.get(name))
            for name in ("physical", "bridge")
        ]
        if all(valid) and interfaces["physical"] == interfaces["bridge"]:
            problems.add(
                f"{where}:interfaces:bridge",
                f"'{interfaces['bridge']}' is also the physical interface: the bridge is a "
                "new interface that the physical one is enslaved to",
            )
    return mgmt


def _validate_disjoint(problems, key, networks):
    """Two networks of the inventory that share addresses: no real fabric is both."""
    seen = {}
    for name, network in sorted(networks.items(), key=lambda item: str(item[0])):
        cidr = network.get("cidr") if isinstance(network, dict) else None
        if not isinstance(cidr, str) or _cidr(cidr):
            continue
        cidr = ipaddress.IPv4Network(cidr)
        for other, other_cidr in seen.items():
            if cidr.overlaps(other_cidr):
                problems.add(
                    f"{key}:{name}:cidr", f"{cidr} overlaps network {other} ({other_cidr})"
                )
        seen[name] = cidr


def _validate_node_entry(problems, key, node, mgmt, addresses):
    """Check one node's entry; return its role when it is a valid one."""
    unknown = set(node) - {"role", "ip"}
    if unknown:
        names = ", ".join(sorted(map(str, unknown)))
        problems.add(key, f"unknown key(s) {names} (known: role, ip)")
    role = node.get("role")
    if role not in ROLES:
        problems.add(f"{key}:role", f"{role!r} is not a role (head or compute)")
    if "ip" not in node:
        problems.add(
            f"{key}:ip",
            "is missing: the head's firewall lets the nodes reach MariaDB, Keystone admin and "
            "Qpid by these addresses",
        )
    elif problems.check(f"{key}:ip", _ipv4, node["ip"]):
        address = ipaddress.IPv4Address(node["ip"])
        if mgmt is not None and address not in mgmt:
            problems.add(f"{key}:ip", f"{address} is outside the mgmt network {mgmt}")
        elif mgmt is not None and mgmt.prefixlen < 31 and address == mgmt.network_address:
            problems.add(f"{key}:ip", f"{address} is the network address of {mgmt}, not a host's")
        elif mgmt is not None and mgmt.prefixlen < 31 and address == mgmt.broadcast_address:
            problems.add(f"{key}:ip", f"{address} is the broadcast address of {mgmt}, not a host's")
        elif address in addresses:
            problems.add(f"{key}:ip", f"{address} is listed twice: also node {addresses[address]}")
        addresses.setdefault(address, key.rsplit(":", 1)[-1])
    return role if role in ROLES else None


def validate_inventory(inventory):
    """
    Problems of the inventory (``hltcloud_inventory``): a list of one-line strings, empty
    when it is sound. A node written twice under the same name never gets here: Salt's
    YAML loader refuses the configuration file with "found conflicting ID".
    """
    problems = _Problems()
    where = "hltcloud_inventory"
    if not _mapping(problems, where, inventory, "domain, networks, interfaces, nodes"):
        return problems
    domain = inventory.get("domain")
    if not isinstance(domain, str) or not re.match(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$", domain):
        problems.add(f"{where}:domain", f"{domain!r} is not a DNS domain")
    mgmt = _validate_networks(problems, where, inventory)
    nodes = inventory.get("nodes")
    if not _mapping(problems, f"{where}:nodes", nodes, "one entry per node"):
        return problems
    heads, addresses = [], {}
    for name, node in sorted(nodes.items(), key=lambda item: str(item[0])):
        key = f"{where}:nodes:{name}"
        if not isinstance(name, str) or not NODE_NAME.match(name):
            problems.add(
                key,
                "a node name is a short lower-case host name such as cn44 (a string, at most "
                f"{NODE_NAME_MAX} letters, digits and '-')",
            )
        else:
            # cluster.jinja names each node's IPMI and InfiniBand hosts <name>-mgmt, <name>-ib.
            for suffix in NODE_NAME_SUFFIXES:
                if name.endswith(suffix) and name[: -len(suffix)] in nodes:
                    problems.add(
                        key,
                        f"is also the {suffix[1:]} host name of node {name[: -len(suffix)]}",
                    )
        if _mapping(problems, key, node, "{role: head|compute, ip: ...}"):
            if _validate_node_entry(problems, key, node, mgmt, addresses) == "head":
                heads.append(name)
    if len(heads) != 1:
        found = ", ".join(heads) if heads else "none"
        problems.add(f"{where}:nodes", f"exactly one node must have role head, found {found}")
    return problems


def validate_node(inventory, minion_id, grains):
    """
    Problems of one inventory node as its minion sees itself: when it has addresses in the
    mgmt network (grain ``ipv4``), the inventory's ``ip`` is one of them, since the head's
    firewall lets the nodes in by it.
    """
    problems = _Problems()
    name = hltcloud_ids.node_name(inventory, minion_id)
    if name is None:
        return problems
    node = inventory["nodes"][name]
    mgmt = ipaddress.IPv4Network(inventory["networks"]["mgmt"]["cidr"])
    # The node's own addresses (grain ipv4), not mgmt_ipv4: that grain falls back to this
    # very ip when no interface is in the mgmt network.
    own = []
    for address in grains.get("ipv4") or []:
        try:
            if ipaddress.IPv4Address(address) in mgmt:
                own.append(str(address))
        except ValueError:
            continue
    if own and str(node.get("ip")) not in own:
        problems.add(
            f"hltcloud_inventory:nodes:{name}:ip",
            f"is {node.get('ip')} but the node's addresses in the mgmt network are "
            f"{', '.join(own)} (grain ipv4): the head's firewall would refuse it on MariaDB, "
            "Keystone admin and Qpid; correct the inventory",
        )
    return problems


# -- the pillar -----------------------------------------------------------------------------------


def _validate_flat_range(problems, key, flat, network):
    hosts = list(network.hosts())
    if len(hosts) < 2:
        problems.add(f"{key}:cidr", f"{network} has no room for a gateway and one instance")
    if "gateway" in flat and problems.check(f"{key}:gateway", _ipv4, flat["gateway"]):
        if ipaddress.IPv4Address(flat["gateway"]) not in hosts:
            problems.add(f"{key}:gateway", f"{flat['gateway']} is not a host address of {network}")
    if "network_size" in flat:
        size = flat["network_size"]
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            problems.add(f"{key}:network_size", f"{size!r} is not a positive whole number")
        elif size > network.num_addresses:
            problems.add(
                f"{key}:network_size",
                f"{size} is larger than {network} ({network.num_addresses} addresses)",
            )


def _validate_flat_network(problems, flat):
    key = "flat_network"
    if not _mapping(problems, key, flat, "label, cidr, multi_host"):
        return
    if not isinstance(flat.get("label"), str) or not flat.get("label"):
        problems.add(f"{key}:label", "is missing: the network's name (nova network-create)")
    if problems.check(f"{key}:cidr", _cidr, flat.get("cidr")):
        _validate_flat_range(problems, key, flat, ipaddress.IPv4Network(flat["cidr"]))
    for name in ("bridge", "bridge_interface"):
        if name in flat:
            problems.add(
                f"{key}:{name}",
                "is the inventory's interfaces:"
                + ("bridge" if name == "bridge" else "physical")
                + " (etc/salt/cluster.conf), one key for nova.conf, ifcfg and the network: "
                "remove it here",
            )
    if "multi_host" in flat:
        problems.check(f"{key}:multi_host", _boolean, flat["multi_host"])
    for name in ("dns1", "dns2"):
        if flat.get(name) is not None:
            problems.check(f"{key}:{name}", _ipv4, flat[name])


def _setting_check(default):
    """The check of a self-heal setting, by the type of its default."""
    if isinstance(default, bool):
        return _boolean
    if isinstance(default, float):
        return _positive
    if isinstance(default, int):
        return _whole
    kind = type(default)
    return lambda value: None if isinstance(value, kind) else f"{value!r} is not a {kind.__name__}"


def selfheal_defaults():
    """A copy of :data:`SELFHEAL_DEFAULTS`."""
    return dict(SELFHEAL_DEFAULTS)


def _validate_selfheal(problems, selfheal):
    key = "selfheal"
    if not _mapping(problems, key, selfheal, "bridge, network, cooldown, timeout"):
        return
    if "bridge" in selfheal:
        problems.check(f"{key}:bridge", _ifname, selfheal["bridge"])
    if "network" in selfheal:
        problems.check(f"{key}:network", _cidr, selfheal["network"])
    for name, default in SELFHEAL_DEFAULTS.items():
        if name in selfheal:
            problems.check(f"{key}:{name}", _setting_check(default), selfheal[name])


def _validate_secrets(problems, secrets):
    if not isinstance(secrets, dict):
        problems.add("secrets", "must be a mapping of names to values (see `make secrets`)")
        return
    for name, value in sorted(secrets.items()):
        if value is None or value == "":
            continue  # missing: the state that needs it fails naming it (salt/nova/conf.jinja)
        if not hltcloud_secrets.is_secret(value):
            # Never the value: only what is wrong with it.
            problems.add(
                f"secrets:{name}",
                f"is not {hltcloud_secrets.WHAT} as `make secrets` makes them "
                f"(rotate it: python -m tools.make_secrets --rotate {name})",
            )


def _validate_service(problems, skey, service):
    # Type and endpoints are computed from salt/parameters (salt/keystone/catalog.jinja)
    # unless the pillar gives them; what the pillar gives must be sound.
    if "type" in service and not service["type"]:
        problems.add(f"{skey}:type", "is empty (identity, image, compute ...)")
    if "endpoints" in service:
        endpoints = service["endpoints"]
        if not endpoints:
            problems.add(
                f"{skey}:endpoints",
                "is empty: give the public, internal and admin URLs, or leave the key out "
                "to have them computed",
            )
        elif not isinstance(endpoints, dict):
            problems.add(f"{skey}:endpoints", "must map public/internal/admin to URLs")
        else:
            for interface, url in sorted(endpoints.items()):
                if interface not in INTERFACES:
                    problems.add(
                        f"{skey}:endpoints:{interface}", "is not public, internal or admin"
                    )
                else:
                    problems.check(f"{skey}:endpoints:{interface}", _url, url)
    user = service.get("user")
    if isinstance(user, dict) and user.get("email") is not None:
        problems.check(f"{skey}:user:email", _email, user["email"])


def _validate_keystone(problems, keystone):
    key = "keystone"
    if not _mapping(problems, key, keystone, "auth, roles, projects, users, services"):
        return
    auth = keystone.get("auth") or {}
    if isinstance(auth, dict) and "auth_url" in auth:
        problems.check(f"{key}:auth:auth_url", _url, auth["auth_url"])
    users = keystone.get("users") or {}
    for name, user in sorted((users if isinstance(users, dict) else {}).items()):
        if isinstance(user, dict) and user.get("email") is not None:
            problems.check(f"{key}:users:{name}:email", _email, user["email"])
    services = keystone.get("services") or {}
    if not isinstance(services, dict):
        problems.add(f"{key}:services", "must be a mapping of service names")
        return
    for name, service in sorted(services.items()):
        skey = f"{key}:services:{name}"
        if service == {}:
            continue  # all computed (salt/keystone/catalog.jinja)
        if _mapping(problems, skey, service, "user, or type and endpoints"):
            _validate_service(problems, skey, service)


def firewall_table(firewall, parameters=None):
    """
    The node's port table: the runbook's rows (``runbook_ports``), each replaced by the
    ``cloud_ports`` row with the same port, then the cloud rows. ``firewall`` is the map's
    firewall data (salt/parameters, then pillar ``hltcloud:lookup:firewall``). A cloud row
    may name its port by ``port_of: <key:path>`` of ``parameters`` (the merged
    salt/parameters) instead of giving it, so the rule follows the service's own port
    (``openstack:apis:identity:admin_port``, ``mariadb:port``); a path that names nothing
    gives port None, which the rules template and the schema refuse as not a port.
    """
    firewall = firewall if isinstance(firewall, dict) else {}
    cloud = [
        _port_resolved(row, parameters)
        for row in firewall.get("cloud_ports") or []
        if isinstance(row, dict)
    ]
    replaced = {str(row.get("port")) for row in cloud}
    return [
        row
        for row in firewall.get("runbook_ports") or []
        if isinstance(row, dict) and str(row.get("port")) not in replaced
    ] + cloud


def _port_resolved(row, parameters):
    """``row`` with ``port_of`` replaced by the port it names in ``parameters``."""
    if "port_of" not in row:
        return row
    value = parameters if isinstance(parameters, dict) else {}
    for part in str(row["port_of"]).split(":"):
        value = value.get(part) if isinstance(value, dict) else None
    resolved = {key: item for key, item in row.items() if key != "port_of"}
    resolved["port"] = None if value is None or isinstance(value, bool) else str(value)
    return resolved


def firewall_nodes_ports(firewall, parameters=None):
    """
    The ports of :func:`firewall_table` open to the inventory's nodes only (mark ``nodes``
    for some role), as strings in table order: the ports pillar ``firewall:sources`` may
    name. The one rule salt/firewall/rules.jinja and the schema follow.
    """
    firewall = firewall if isinstance(firewall, dict) else {}
    marks = firewall.get("marks") or {}
    ports = []
    for row in firewall_table(firewall, parameters):
        port = str(row.get("port"))
        if port not in ports and any(
            marks.get(str(row.get(role, ""))) == "nodes" for role in ROLES
        ):
            ports.append(port)
    return ports


def _firewall_ports(value):
    """A port, ``a,b`` or ``a-b`` as salt/firewall/rules.jinja reads it; a problem or None."""
    if isinstance(value, (bool, dict, list)) or value is None:
        return f"{value!r} is not a port or range (N or N-M, 1-65535)"
    for item in str(value).split(","):
        match = re.match(r"^([0-9]{1,5})(?:-([0-9]{1,5}))?$", item.strip())
        if not match:
            return f"{value!r} is not a port or range (N or N-M, 1-65535)"
        low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        if low < 1 or high > 65535 or low > high:
            return f"{value!r}: outside 1-65535 or not low-high"
    return None


def _firewall_comment(value):
    """A rule's comment (iptables --comment, in the rules file): a short line, no quote."""
    if not isinstance(value, str) or not FIREWALL_COMMENT.match(value):
        return f"{value!r} is not a short comment (1-64 printable characters, no quotes)"
    return None


def _firewall_sources(problems, key, value):
    if isinstance(value, (str, dict)) or not isinstance(value, list):
        problems.add(key, "must be a list of IPv4 addresses or CIDR networks")
        return
    for source in value:
        try:
            if not isinstance(source, str):
                raise ValueError(source)
            ipaddress.IPv4Network(source, strict=False)
        except ValueError:
            problems.add(key, f"{source!r} is not an IPv4 address or CIDR network")


def _validate_firewall_sources(problems, sources, nodes_ports):
    if not isinstance(sources, dict):
        problems.add("firewall:sources", "must be a mapping {port: [sources]}")
        return
    for port, value in sorted(sources.items(), key=lambda kv: str(kv[0])):
        where = f"firewall:sources:{port}"
        if nodes_ports is not None and str(port) not in nodes_ports:
            problems.add(
                where, f"{port} is not a port open to the nodes only ({', '.join(nodes_ports)})"
            )
        else:
            _firewall_sources(problems, where, value)


def _validate_firewall_open(problems, opened):
    if isinstance(opened, (str, dict)) or not isinstance(opened, list):
        problems.add("firewall:open", "must be a list of ports or {port, sources, service}")
        return
    for index, entry in enumerate(opened):
        where = f"firewall:open:{index}"
        entry = entry if isinstance(entry, dict) else {"port": entry}
        for unknown in sorted(set(entry) - {"port", "sources", "service"}, key=str):
            problems.add(f"{where}:{unknown}", "unknown key (known: port, sources, service)")
        problems.check(f"{where}:port", _firewall_ports, entry.get("port"))
        if entry.get("service") is not None:
            problems.check(f"{where}:service", _firewall_comment, entry["service"])
        if entry.get("sources") == []:
            problems.add(
                f"{where}:sources", "is empty: leave it out to open the port to every source"
            )
        elif entry.get("sources") is not None:
            _firewall_sources(problems, f"{where}:sources", entry["sources"])


def _validate_firewall(problems, firewall, nodes_ports=None):
    """
    Pillar ``firewall``, refused wherever salt/firewall/rules.jinja refuses it (a test holds
    the two together), so that the run stops before anything changes. ``nodes_ports``: what
    :func:`firewall_nodes_ports` gives for the node's data; None: not checked.
    """
    if not _mapping(problems, "firewall", firewall, "sources, open"):
        return
    for unknown in sorted(set(firewall) - {"sources", "open"}, key=str):
        problems.add(f"firewall:{unknown}", "unknown key (known: sources, open)")
    if firewall.get("sources") is not None:
        _validate_firewall_sources(problems, firewall["sources"], nodes_ports)
    if firewall.get("open") is not None:
        _validate_firewall_open(problems, firewall["open"])


def validate_pillar(pillar, firewall_nodes=None):
    """
    Problems of the HLT keys of a compiled pillar: a list of one-line strings.
    ``firewall_nodes``: the ports pillar ``firewall:sources`` may name
    (:func:`firewall_nodes_ports`); None: not checked.
    """
    problems = _Problems()
    pillar = pillar or {}
    if pillar.get("flat_network") is not None:  # absent: the states needing it say so
        _validate_flat_network(problems, pillar["flat_network"])
    if pillar.get("selfheal") is not None:
        _validate_selfheal(problems, pillar["selfheal"])
    if pillar.get("secrets") is not None:
        _validate_secrets(problems, pillar["secrets"])
    if pillar.get("keystone") is not None:
        _validate_keystone(problems, pillar["keystone"])
    if pillar.get("firewall") is not None:
        _validate_firewall(problems, pillar["firewall"], firewall_nodes)
    return problems


def check(inventory, pillar, minion_id=None, grains=None, firewall_nodes=None):
    """
    Every problem of the inventory, of ``minion_id``'s entry and of its pillar: the list
    the ext_pillar and the validate state report.
    """
    problems = list(validate_inventory(inventory))
    if not problems:
        problems += validate_node(inventory, minion_id, grains or {})
    problems += validate_pillar(pillar, firewall_nodes)
    if not problems:
        problems += _validate_flat_against_inventory(inventory, pillar)
    return problems


def _validate_flat_against_inventory(inventory, pillar):
    """
    The guests' flat network is bridged onto the physical interface, so it shares the LAN
    with the nodes: an address of both would be a guest's and a node's at once. Self-heal
    watches that very bridge and network.
    """
    problems = _Problems()
    flat = (pillar or {}).get("flat_network")
    selfheal = (pillar or {}).get("selfheal")
    if isinstance(selfheal, dict):
        bridge = inventory["interfaces"]["bridge"]
        if selfheal.get("bridge", bridge) != bridge:
            problems.add(
                "selfheal:bridge",
                f"{selfheal['bridge']!r} is not the inventory's interfaces:bridge '{bridge}': "
                "self-heal would watch a bridge nova-network does not use",
            )
        if isinstance(flat, dict) and selfheal.get("network", flat.get("cidr")) != flat.get("cidr"):
            problems.add(
                "selfheal:network",
                f"{selfheal['network']!r} is not flat_network:cidr {flat.get('cidr')!r}: "
                "self-heal would restore another gateway",
            )
    if not isinstance(flat, dict) or not isinstance(flat.get("cidr"), str):
        return problems
    cidr = ipaddress.IPv4Network(flat["cidr"])
    for name, network in sorted(inventory["networks"].items(), key=lambda item: str(item[0])):
        other = ipaddress.IPv4Network(network["cidr"])
        if cidr.overlaps(other):
            problems.add(
                "flat_network:cidr",
                f"{cidr} overlaps the inventory's network {name} ({other}): guests would get "
                "the nodes' addresses",
            )
    return problems
