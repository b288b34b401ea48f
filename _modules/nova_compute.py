"""
OpenStack Compute API v2 (Icehouse): nova-network networks, keypairs, flavors, images,
servers and their VNC console.

Salt 3008 ships no OpenStack modules; this one speaks the Compute API v2 of Icehouse
(``os-networks`` and ``os-tenant-networks`` of nova-network, ``os-keypairs``, ``flavors``,
``images``, ``servers``, the ``os-getVNCConsole`` action) through the shared OpenStack
client (``_utils/openstack_client.py``). It does the I/O; the ``nova_network``,
``nova_keypair`` and ``nova_server`` state modules decide what to change.

:depends: keystoneauth1

Authentication
--------------
The Compute endpoint comes from the catalog of a password-scoped token, where Keystone
fills the ``%(tenant_id)s`` of ``http://cn43.internal:8774/v2/%(tenant_id)s`` with the
token's project: the bootstrap admin token has no catalog and does not work here. Settings
come from the ``nova:auth`` block of pillar or minion config, overridden key by key by the
``auth`` argument that every function takes:

.. code-block:: yaml

    nova:
      auth:
        auth_url: http://cn43.internal:35357/v3
        username: admin            # os-networks is admin-only in Icehouse
        password: <ADMIN_PASS>
        project_name: admin
        interface: public          # which Compute endpoint of the catalog (the default)
        retry_timeout: 60          # seconds to wait for a Nova that is not up yet
        timeout: 10                # seconds for one request

Failures
--------
Every failure is a ``CommandExecutionError`` whose message says what failed and where
(Nova's own fault message included); passwords, tokens and a new server's ``adminPass``
never appear in messages, logs or return values. An expired token (HTTP 401) is renewed
once by the client; Nova down is retried for ``retry_timeout`` seconds (in a ``test=True``
run: tried once, as nothing would start it meanwhile; the states then say what would be
done once Nova is up).

Lost answers
------------
A create that Nova may have applied without its answer reaching us (no answer, a cut one,
HTTP 500/502/504: the client's ``maybe_applied``) is never sent again: the object is
looked up, with the whole ``retry_timeout`` to wait for a Nova that is coming back. A
network by its label and cidr, a keypair by its name (taken when its public key is the one
sent), a server by its name in the project: Icehouse lets server names repeat, so only one
created within the call (``created`` from when the POST left, less ``CLOCK_SLACK``
seconds, to the lookup) and with the flavor and image sent is taken; two or more fail,
naming them (a second VM is the costly duplicate). Found nowhere, the call fails saying
it was not applied, so the next run creates it.
"""

import datetime
import logging
import re
import time
import urllib.parse

from salt.exceptions import CommandExecutionError

log = logging.getLogger(__name__)

__virtualname__ = "nova_compute"

SERVICE_TYPE = "compute"
# Keys of os-networks create (Icehouse's NetworkController.create passes them to
# nova.network.api.API.create).
NETWORK_KEYS = tuple(
    "label cidr cidr_v6 bridge bridge_interface multi_host gateway gateway_v6 dns1 dns2 "
    "vlan_start vpn_start network_size num_networks fixed_cidr priority project_id".split()
)
# A new server's answer: only these keys are kept (never adminPass).
SERVER_KEYS = tuple(
    "id name status addresses flavor image key_name fault security_groups "
    "OS-EXT-STS:task_state OS-EXT-STS:vm_state".split()
)
# Seconds a server's ``created`` (Nova's clock, whole seconds) may lie before the moment
# its create was sent, or after the lookup, and still count as made by that create.
CLOCK_SLACK = 5


def __virtual__():
    # keystoneauth1 is imported by the shared client alone, which says when it is missing.
    return __utils__["openstack_client.virtual"](__virtualname__)


class NovaError(CommandExecutionError):
    """A Compute API call failed; the message is safe to show."""


# -- the shared OpenStack client (_utils/openstack_client.py) -------------------------------------


def _client(name):
    # (loaded: __virtual__ asked it)
    return __utils__["openstack_client." + name]


def _settings(auth):
    config = None
    if "config.get" in __salt__:
        config = __salt__["config.get"]("nova:auth", {}) or None
    return _client("resolve")(config, auth, where="nova:auth", dry_run=__opts__.get("test"))


def _call(auth, method, path, body=None, expect=(200, 201, 202, 204), gone=False):
    """One Compute API request: its JSON answer, None without a body (``gone``: on 404)."""
    call = {"service_type": SERVICE_TYPE, "expect": expect}
    return _client("json_answer")(__context__, _settings(auth), method, path, body, gone, **call)


def _quote(value):
    return urllib.parse.quote(str(value), safe="")


def _by_name(items, name, key="name"):
    return [item for item in items if item.get(key) == name]


def _after_lost(exc, what, listing, match, check=None, key="id"):
    """
    What a create that failed with ``exc`` made, looked up (``listing()``, filtered by
    ``match``, ``check`` saying why one is not it) when Nova may have applied it; ``exc``
    again when it cannot have been.
    """
    if not _client("maybe_applied")(exc):
        raise exc
    try:
        items = listing()
    except CommandExecutionError as failed:
        raise NovaError(f"{exc}; looking for {what} failed too: {failed}") from None
    found = [item for item in items if match(item)]
    why = check(found[0]) if check and len(found) == 1 else None
    return _client("taken_after_lost")(exc, "Nova", what, found, why, key=key)


def _one(items, kind, name, key="name"):
    found = _by_name(items, name, key)
    if not found:
        raise NovaError(f"Nova has no {kind} named '{name}'")
    if len(found) > 1:
        ids = ", ".join(str(item.get("id")) for item in found)
        raise NovaError(f"Nova has {len(found)} {kind}s named '{name}' ({ids}): use an id")
    return found[0]


# -- nova-network: os-networks (admin) and os-tenant-networks ------------------------------------


def network_list(auth=None):
    """
    The nova-network networks ``GET /os-networks`` shows: every one, with all its fields,
    to an admin; to another user only its project's (unless nova-api's own nova.conf
    names a Flat network manager), without the admin fields.

    CLI Example: ``salt cn43 nova_compute.network_list``
    """
    return (_call(auth, "GET", "/os-networks") or {}).get("networks", [])


def network_get(label, auth=None):
    """
    The networks labelled ``label`` (a list: nova-network allows several).

    CLI Example: ``salt cn43 nova_compute.network_get demo-net``
    """
    return _by_name(network_list(auth=auth), label, key="label")


def network_create(label, cidr, auth=None, **kwargs):
    """
    Create a nova-network network (``POST /os-networks``); the keys of ``kwargs`` are those
    of ``nova network-create``: bridge, bridge_interface, multi_host, gateway, dns1, dns2,
    cidr_v6, vlan_start, network_size, num_networks, fixed_cidr, priority, project_id.

    CLI Example: ``salt cn43 nova_compute.network_create demo-net 203.0.113.24/29 bridge=br100``
    """
    body = {"label": label, "cidr": cidr}
    for key, value in kwargs.items():
        if key.startswith("__"):
            continue
        if key not in NETWORK_KEYS:
            raise NovaError(f"os-networks create takes no '{key}'")
        if value is not None:
            body[key] = value
    try:
        return (_call(auth, "POST", "/os-networks", {"network": body}) or {}).get("network")
    except CommandExecutionError as exc:
        return _after_lost(
            exc,
            f"network labelled '{label}' with cidr {cidr}",
            lambda: network_list(auth=auth),
            lambda net: net.get("label") == label and net.get("cidr") == cidr,
        )


def network_delete(network_id, auth=None):
    """
    Delete the network ``network_id`` (``DELETE /os-networks/<id>``).

    CLI Example: ``salt cn43 nova_compute.network_delete 59a8f0d2-d2da-4473-a82e-3e45e47fdb9a``
    """
    _call(auth, "DELETE", f"/os-networks/{_quote(network_id)}", expect=(202, 204))
    return True


def tenant_network_list(auth=None):
    """
    The networks ``GET /os-tenant-networks`` shows the caller (id, label, cidr): the same
    choice as ``network_list``, so a project member does not see a network of no
    project such as the runbook's demo-net unless nova-api runs a Flat network manager.

    CLI Example: ``salt cn43 nova_compute.tenant_network_list``
    """
    return (_call(auth, "GET", "/os-tenant-networks") or {}).get("networks", [])


def service_list(binary=None, auth=None):
    """
    Nova's services as ``os-services`` lists them (admin only): binary, host, zone, status
    (enabled/disabled), state (up/down: whether it reported lately), updated_at; with
    ``binary``, only those of that binary.

    CLI Example: ``salt cn43 nova_compute.service_list binary=nova-network``
    """
    services = (_call(auth, "GET", "/os-services") or {}).get("services", [])
    return [s for s in services if binary is None or s.get("binary") == binary]


def network_services_up(auth=None):
    """
    The hosts whose nova-network is up (``os-services``). Creating or deleting a network
    is a call to one of them: with none up, Nova waits for its RPC timeout and fails.

    CLI Example: ``salt cn43 nova_compute.network_services_up``
    """
    return sorted(
        s.get("host") for s in service_list("nova-network", auth=auth) if s.get("state") == "up"
    )


# -- keypairs -------------------------------------------------------------------------------------


def keypair_list(auth=None):
    """
    The user's keypairs: name, public_key, fingerprint (``GET /os-keypairs``).

    CLI Example: ``salt cn43 nova_compute.keypair_list``
    """
    answer = _call(auth, "GET", "/os-keypairs") or {}
    return [item.get("keypair", item) for item in answer.get("keypairs", [])]


def keypair_get(name, auth=None):
    """
    The keypair ``name``, or None.

    CLI Example: ``salt cn43 nova_compute.keypair_get demo-key``
    """
    found = _by_name(keypair_list(auth=auth), name)
    return found[0] if found else None


def keypair_create(name, public_key, auth=None):
    """
    Import the public key ``public_key`` as keypair ``name`` (``nova keypair-add --pub-key``).

    CLI Example: ``salt cn43 nova_compute.keypair_create demo-key "ssh-rsa AAAA... demo@cn43"``
    """
    body = {"keypair": {"name": name, "public_key": public_key}}
    try:
        keypair = (_call(auth, "POST", "/os-keypairs", body) or {}).get("keypair") or {}
    except CommandExecutionError as exc:

        def check(found):
            if found.get("public_key", "").split()[:2] != public_key.split()[:2]:
                return f"public key is another (fingerprint {found.get('fingerprint')})"
            return None

        keypair = _after_lost(
            exc,
            f"keypair named '{name}'",
            lambda: keypair_list(auth=auth),
            lambda pair: pair.get("name") == name,
            check,
            key="name",
        )
    keypair.pop("private_key", None)
    return keypair


def keypair_delete(name, auth=None):
    """
    Delete the keypair ``name``.

    CLI Example: ``salt cn43 nova_compute.keypair_delete demo-key``
    """
    _call(auth, "DELETE", f"/os-keypairs/{_quote(name)}", expect=(202, 204))
    return True


# -- flavors and images ---------------------------------------------------------------------------


def flavor_find(name, auth=None):
    """
    The flavor called ``name`` (``GET /flavors``): {id, name}.

    CLI Example: ``salt cn43 nova_compute.flavor_find m1.tiny``
    """
    flavors = (_call(auth, "GET", "/flavors") or {}).get("flavors", [])
    found = _one(flavors, "flavor", name)
    return {"id": found["id"], "name": found["name"]}


def image_find(name, auth=None):
    """
    The image called ``name`` (``GET /images``, Nova's view of Glance): {id, name}.

    CLI Example: ``salt cn43 nova_compute.image_find 'CirrOS Test Image'``
    """
    images = (_call(auth, "GET", "/images") or {}).get("images", [])
    found = _one(images, "image", name)
    return {"id": found["id"], "name": found["name"]}


# -- servers --------------------------------------------------------------------------------------


def _regex_literal(text):
    """``text`` as a POSIX extended regular expression (what MySQL's REGEXP reads): only
    ERE's special characters escaped (Python's re.escape also escapes ``-``)."""
    return re.sub(r"([.\[\](){}*+?|^$\\])", r"\\\1", text)


def _server_view(server):
    return {k: server[k] for k in SERVER_KEYS if k in (server or {})}


def server_list(name=None, auth=None):
    """
    Servers of the project with their details; with ``name``, only those called exactly
    that (Nova's ``name`` filter is a regular expression: anchored and escaped here).

    CLI Example: ``salt cn43 nova_compute.server_list name=demo-inst1``
    """
    return [_server_view(s) for s in _servers(name, auth)]


def _servers(name, auth):
    """The project's servers with all the details Nova gives (``name``: that name only)."""
    path = "/servers/detail"
    if name is not None:
        path += "?name=" + _quote("^" + _regex_literal(name) + "$")
    servers = (_call(auth, "GET", path) or {}).get("servers", [])
    return servers if name is None else _by_name(servers, name)


def _created(server):
    """A server's ``created`` as seconds since the epoch, or None: Icehouse writes it with
    timeutils.isotime (nova/api/openstack/compute/views/servers.py:96), ``...T10:20:30Z``."""
    text = str(server.get("created") or "").rstrip("Z").split(".")[0]
    try:
        moment = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None
    return moment.replace(tzinfo=datetime.timezone.utc).timestamp()


def server_get(server_id, auth=None):
    """
    The server ``server_id`` with its status (and ``fault`` when in ERROR), or None.

    CLI Example: ``salt cn43 nova_compute.server_get 58df4a92-b97a-4a2a-baa9-afdf5a9d230d``
    """
    answer = _call(auth, "GET", f"/servers/{_quote(server_id)}", expect=(200,), gone=True)
    return None if answer is None else _server_view(answer.get("server"))


def server_create(
    name, flavor_id, image_id, network_ids=(), security_groups=(), key_name=None, auth=None
):
    """
    Boot a server (``nova boot``); returns {id, name, status} without the adminPass.

    CLI Example:

    .. code-block:: bash

        salt cn43 nova_compute.server_create demo-inst1 1 <image-id> \\
            network_ids='[<net-id>]' security_groups='[default]' key_name=demo-key
    """
    server = {"name": name, "flavorRef": str(flavor_id), "imageRef": str(image_id)}
    if network_ids:
        server["networks"] = [{"uuid": net} for net in network_ids]
    if security_groups:
        server["security_groups"] = [{"name": group} for group in security_groups]
    if key_name:
        server["key_name"] = key_name
    sent = time.time()
    try:
        created = (_call(auth, "POST", "/servers", {"server": server}) or {}).get("server") or {}
    except CommandExecutionError as exc:
        created = _lost_server(exc, name, flavor_id, image_id, sent, auth)
    if "id" not in created:
        raise NovaError(f"POST /servers on Nova: the answer has no server id for '{name}'")
    return {"id": created["id"], "name": name, "status": created.get("status", "BUILD")}


def _lost_server(exc, name, flavor_id, image_id, sent, auth):
    """The server a create that failed with ``exc`` made: one named ``name`` created since
    ``sent`` (Icehouse lets names repeat: older ones are not this call's)."""
    window = {}

    def listing():
        servers = _servers(name, auth)
        window["end"] = time.time() + CLOCK_SLACK
        return servers

    def made_now(found):
        created = _created(found)
        return created is not None and sent - CLOCK_SLACK <= created <= window["end"]

    def check(found):
        for key, wanted in (("flavor", flavor_id), ("image", image_id)):
            have = (found.get(key) or {}).get("id")
            if str(have) != str(wanted):
                return f"{key} is {have}, not {wanted}"
        return None

    return _after_lost(
        exc,
        f"server named '{name}' created since the call began",
        listing,
        made_now,
        check,
    )


def server_delete(server_id, auth=None):
    """
    Delete the server ``server_id`` (Nova deletes it in the background).

    CLI Example: ``salt cn43 nova_compute.server_delete 58df4a92-b97a-4a2a-baa9-afdf5a9d230d``
    """
    _call(auth, "DELETE", f"/servers/{_quote(server_id)}", expect=(202, 204, 404))
    return True


def server_wait(server_id, timeout=300, interval=2, auth=None):
    """
    Poll the server until it leaves BUILD (or is gone) or ``timeout`` seconds pass; returns
    it as last seen (None once deleted).

    CLI Example: ``salt cn43 nova_compute.server_wait 58df4a92-... timeout=120``
    """
    server, _ = _poll(server_id, timeout, interval, auth, lambda s: s.get("status") != "BUILD")
    return server


def server_wait_gone(server_id, timeout=120, interval=2, auth=None):
    """
    Poll until the server ``server_id`` no longer exists; True if it went within ``timeout``.

    CLI Example: ``salt cn43 nova_compute.server_wait_gone 58df4a92-b97a-4a2a-baa9-afdf5a9d230d``
    """
    _, gone = _poll(server_id, timeout, interval, auth, lambda s: s.get("status") == "DELETED")
    return gone


def _poll(server_id, timeout, interval, auth, done):
    """Read the server until it is gone or ``done(server)``, or ``timeout`` seconds pass:
    ``(server as last seen, whether it ended so)``."""
    deadline = time.monotonic() + float(timeout)
    while True:
        server = server_get(server_id, auth=auth)
        if server is None or done(server):
            return server, True
        if time.monotonic() + float(interval) > deadline:
            return server, False
        time.sleep(float(interval))


def vnc_console(server_id, console_type="novnc", auth=None):
    """
    The VNC console of the server (``nova get-vnc-console <server> novnc``): {type, url}.
    The URL carries a console token: show it only to whom may open the console.

    CLI Example: ``salt cn43 nova_compute.vnc_console 58df4a92-b97a-4a2a-baa9-afdf5a9d230d``
    """
    body = {"os-getVNCConsole": {"type": console_type}}
    answer = _call(auth, "POST", f"/servers/{_quote(server_id)}/action", body) or {}
    console = answer.get("console") or {}
    if not console.get("url"):
        raise NovaError(f"Nova returned no {console_type} console URL for server {server_id}")
    return {"type": console.get("type", console_type), "url": console["url"]}
