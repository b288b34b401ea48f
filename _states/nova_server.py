"""
Nova servers (the runbook's ``nova boot``), matched by name, and their VNC console.

.. code-block:: yaml

    smoke-first-vm-server-present:
      nova_server.present:
        - name: demo-inst1
        - flavor: m1.tiny
        - image: CirrOS Test Image
        - networks: [demo-net]
        - network_auth: {}          # look demo-net up as nova:auth's admin
        - security_groups: [default]
        - key_name: demo-key
        - timeout: 300
        - auth: {username: demo, password: ..., project_name: demo}

The flavor and image are found by name, each NIC by its network label. As the runbook
does it, the admin finds the network's id (``nova network-list``: ``os-networks``) and the
normal user boots with ``--nic net-id=<id>``: with ``network_auth`` (credentials over
``nova:auth``, ``{}`` for nova:auth itself) the label is looked up so. Without it the
server's own user looks in ``os-tenant-networks``, which in Icehouse lists only the
project's networks unless nova-api itself runs a Flat network manager: the runbook's
demo-net belongs to no project and is not there. A new server is waited for until ACTIVE within
``timeout`` seconds; one that goes to ERROR fails the state with Nova's fault message. A
server of that name booted from another flavor or image, or in ERROR, is never deleted and
re-created silently: the state fails and says what to do. Credentials: ``nova:auth``.
"""

import time

from salt.exceptions import CommandExecutionError

__virtualname__ = "nova_server"


def __virtual__():
    if "nova_compute.server_list" in __salt__:
        return __virtualname__
    return (False, "nova_server: the nova_compute execution module is not available")


def _fault(server):
    fault = (server or {}).get("fault") or {}
    message = str(fault.get("message") or "no fault message").strip()
    return f"{message} (code {fault['code']})" if fault.get("code") else message


def _addresses(server):
    found = []
    for label, addresses in sorted(((server or {}).get("addresses") or {}).items()):
        found.extend(f"{label}={a.get('addr')}" for a in addresses or [])
    return ", ".join(found) or "no address yet"


def _as_list(value):
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _validate(name, flavor, image, networks, security_groups, timeout, interval):
    problems = []
    for key, value in (("name", name), ("flavor", flavor), ("image", image)):
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{key} must be a non-empty string")
    for key, values in (("networks", networks), ("security_groups", security_groups)):
        if any(not isinstance(v, str) or not v for v in values):
            problems.append(f"{key} must be a list of names")
    for key, value in (("timeout", timeout), ("interval", interval)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            problems.append(f"{key} must be a positive number of seconds")
    return problems


def _resolve(flavor, image, networks, auth, network_auth=None):
    """Flavor, image and network ids from their names; CommandExecutionError if one is missing."""
    nova = __salt__
    if networks and network_auth is not None:
        usable = nova["nova_compute.network_list"](auth=network_auth)
        where = "in os-networks (network_auth)"
    elif networks:
        usable = nova["nova_compute.tenant_network_list"](auth=auth)
        where = (
            "usable by this project (os-tenant-networks lists only the project's networks: "
            "give network_auth to look it up as the admin)"
        )
    ids = []
    for net in networks:
        matching = [n for n in usable if n.get("label") == net]
        if len(matching) != 1:
            raise CommandExecutionError(
                f"{'no' if not matching else len(matching)} network(s) labelled '{net}' {where}"
            )
        ids.append(matching[0]["id"])
    return {
        "flavor": nova["nova_compute.flavor_find"](flavor, auth=auth),
        "image": nova["nova_compute.image_find"](image, auth=auth),
        "networks": ids,
    }


def _outcome(label, server, started, action, timeout):
    """(result, comment) of waiting for ACTIVE."""
    status = (server or {}).get("status")
    waited = time.monotonic() - started
    if server is None:
        return False, f"{label} {action}, then disappeared while waiting for ACTIVE"
    if status == "ACTIVE":
        return True, f"{label} {action}: ACTIVE in {waited:.0f}s ({_addresses(server)})"
    if status == "ERROR":
        return False, f"{label} {action}, then went to ERROR: {_fault(server)}"
    return False, (
        f"{label} {action}, but is still {status} after {timeout:g}s (timeout); "
        "look at `nova show` and the nova-compute logs"
    )


def present(
    name,
    flavor,
    image,
    networks=None,
    security_groups=None,
    key_name=None,
    timeout=300,
    interval=2,
    auth=None,
    network_auth=None,
):
    """
    Ensure the server ``name`` exists and is ACTIVE.

    name
        The server's name (unique in the project).
    flavor
        Flavor name (``m1.tiny``).
    image
        Image name (``CirrOS Test Image``).
    networks
        Network labels, one NIC each (``--nic net-id=`` of the network so labelled).
    security_groups
        Security group names (``default``).
    key_name
        Keypair name (``nova_keypair.present``).
    timeout
        Seconds to wait for ACTIVE (default 300).
    interval
        Seconds between two looks at the server (default 2).
    auth
        Credentials overriding ``nova:auth`` (the server's project and user).
    network_auth
        Credentials overriding ``nova:auth`` that look the network labels up in
        ``os-networks`` (the admin's, as the runbook's ``nova network-list``); ``{}`` is
        ``nova:auth`` itself. Not given: the server's user looks in ``os-tenant-networks``.
    """
    utils = __utils__
    ret = utils["state_return.start"](name)
    label = f"Server '{name}'"
    networks = _as_list(networks)
    security_groups = _as_list(security_groups)
    problems = _validate(name, flavor, image, networks, security_groups, timeout, interval)
    if network_auth is not None and not isinstance(network_auth, dict):
        problems.append("network_auth must be a mapping of credentials ({} for nova:auth)")
    if problems:
        return utils["state_return.invalid"](ret, label, problems)
    nova = __salt__
    resolved = {}
    found = {}

    def find():
        resolved.update(_resolve(flavor, image, networks, auth, network_auth))
        servers = nova["nova_compute.server_list"](name=name, auth=auth)
        found["all"] = servers
        return servers[0] if servers else None

    def conflict(current):
        if len(found["all"]) > 1:
            ids = ", ".join(s.get("id") for s in found["all"])
            return f"{len(found['all'])} servers carry this name ({ids}); delete the extra ones"
        if current.get("status") == "ERROR":
            return (
                f"exists (id {current.get('id')}) in ERROR: {_fault(current)}. Delete it "
                f"(`nova delete {current.get('id')}` or nova_server.absent), fix the cause "
                "and apply again"
            )
        diff = []
        for key in ("flavor", "image"):
            have = (current.get(key) or {}).get("id")
            if have is not None and str(have) != str(resolved[key]["id"]):
                diff.append(
                    f"{key} id {have}, wanted {resolved[key]['name']} ({resolved[key]['id']})"
                )
        if diff:
            return (
                f"exists (id {current.get('id')}) with {', '.join(diff)}; a server is not "
                "rebuilt by this state: delete it (nova_server.absent) and apply again"
            )
        return None

    def settle(current):
        status = current.get("status")
        if status == "ACTIVE":
            return True, f"{label} is already ACTIVE ({_addresses(current)})"
        if status == "BUILD":
            if __opts__["test"]:
                return None, f"{label} is still building: a real run would wait for ACTIVE"
            started = time.monotonic()
            server = nova["nova_compute.server_wait"](
                current["id"], timeout=timeout, interval=interval, auth=auth
            )
            return _outcome(label, server, started, "was building", timeout)
        return False, (
            f"{label} is {status}, not ACTIVE (id {current.get('id')}): start it "
            f"(`nova start {name}`) or delete it and apply again"
        )

    def create():
        started = time.monotonic()
        made = nova["nova_compute.server_create"](
            name,
            resolved["flavor"]["id"],
            resolved["image"]["id"],
            network_ids=resolved["networks"],
            security_groups=security_groups,
            key_name=key_name,
            auth=auth,
        )
        server = nova["nova_compute.server_wait"](
            made["id"], timeout=timeout, interval=interval, auth=auth
        )
        shown = {
            "id": made["id"],
            "name": name,
            "status": (server or {}).get("status"),
            "addresses": _addresses(server),
        }
        result, comment = _outcome(label, server, started, f"created (id {made['id']})", timeout)
        return shown, result, comment

    new = {
        "name": name,
        "flavor": flavor,
        "image": image,
        "networks": networks,
        "security_groups": security_groups,
        "key_name": key_name,
    }
    return utils["state_return.present"](
        ret, label, find, create, __opts__["test"], new, conflict=conflict, settle=settle
    )


def absent(name, timeout=120, interval=2, auth=None):
    """
    Ensure no server is called ``name``: delete each and wait until Nova has removed it.

    name
        The server's name.
    timeout
        Seconds to wait for each deletion (default 120).
    interval
        Seconds between two looks (default 2).
    auth
        Credentials overriding ``nova:auth``.
    """
    utils = __utils__
    ret = utils["state_return.start"](name)

    def delete(server):
        __salt__["nova_compute.server_delete"](server["id"], auth=auth)
        gone = __salt__["nova_compute.server_wait_gone"](
            server["id"], timeout=timeout, interval=interval, auth=auth
        )
        if not gone:
            return f"server {server['id']} is still there {timeout:g}s after its deletion"
        return None

    return utils["state_return.absent_each"](
        ret,
        f"Server '{name}'",
        lambda: __salt__["nova_compute.server_list"](name=name, auth=auth),
        delete,
        __opts__["test"],
        fields=("name", "id", "status"),
    )


def _mask_token(url):
    head, sep, _token = str(url).partition("token=")
    return head + sep + "***" if sep else str(url)


def vnc_console(name, console_type="novnc", url_prefix=None, auth=None):
    """
    Check that the server ``name`` has a VNC console (``nova get-vnc-console <name>
    novnc``) whose URL starts with ``url_prefix`` (the head's noVNC proxy). Changes
    nothing; the console token in the URL is masked in the comment.

    name
        The server's name.
    console_type
        ``novnc`` (default) or ``xvpvnc``.
    url_prefix
        What the URL must start with, e.g. ``http://cn43.internal:6080/vnc_auto.html?token=``.
    auth
        Credentials overriding ``nova:auth``.
    """
    ret = __utils__["state_return.start"](name)
    label = f"Server '{name}'"
    result, comment = True, None
    try:
        servers = __salt__["nova_compute.server_list"](name=name, auth=auth)
        if __opts__["test"] and len(servers) < 2:
            result = None
            comment = f"{label}: its {console_type} console would be checked"
        elif len(servers) != 1:
            result, comment = False, f"{label}: {len(servers)} servers carry this name"
        else:
            console = __salt__["nova_compute.vnc_console"](
                servers[0]["id"], console_type, auth=auth
            )
    except CommandExecutionError as exc:
        result, comment = False, f"{label}: {exc}"
    if comment is None:
        shown = _mask_token(console["url"])
        if url_prefix and not console["url"].startswith(url_prefix):
            result = False
            comment = f"{label}: the {console_type} console URL {shown} is not under {url_prefix}"
        elif "token=" not in console["url"]:
            result, comment = False, f"{label}: the console URL {shown} carries no token"
        else:
            comment = f"{label}: {console_type} console at {shown}"
    ret.update(result=result, comment=comment)
    return ret
