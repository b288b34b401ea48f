"""
A TEST DOUBLE of the Icehouse Compute API v2 (nova-api with nova-network), for the
functional tests of ``nova_compute`` and the ``nova_*`` states. It is not Nova.

Why a double: nova-network left Nova long ago (Rocky) and no Nova that still has it can be
installed on the test machine, so the calls are answered by this small HTTP server. Each
answer follows openstack/nova at tag 2014.1.5 (Icehouse); the comments cite the file and
line (``nova/...:N``) it models: the same URLs, request and answer bodies, status codes and
fault bodies (``{"badRequest": {"message": ..., "code": 400}}``,
nova/api/openstack/wsgi.py:1187-1224).

What is real around it: it listens on the loopback (a free port) over HTTP; clients find
it through the catalog of the real test Keystone (its ``%(tenant_id)s`` URL is registered
by our own keystone states); it checks every ``X-Auth-Token`` with that Keystone (a
revoked or expired token gets HTTP 401, as keystonemiddleware answers) and serves only the
token's project in the URL. Policy is Icehouse's etc/nova/policy.json: a token with the
admin role is an admin context (policy.json:2 context_is_admin).

The cluster around nova-api, as the tests set it:

``services``
    What ``os-services`` lists (nova/api/openstack/compute/contrib/services.py:100-115).
    A new double has the head's services (cert, consoleauth, scheduler, conductor on cn43)
    and no nova-network: ``service_up("nova-network", "cn44.internal")`` starts one,
    ``service_up(..., up=False)`` makes it miss its reports.
``rpc_timeout``
    Creating or deleting a network and validating a new server's networks are RPC calls
    to the ``network`` topic (nova/network/rpcapi.py:97-101, 224-225). With no nova-network
    up nobody answers: nova-api waits ``rpc_response_timeout`` (oslo.messaging's default,
    60 s) and answers HTTP 500 (below). Tests set a short timeout.
``api_network_manager`` / ``node_network_manager``
    nova.conf's ``network_manager`` of nova-api on the head (none there: nova/service.py:105-107
    makes it VlanManager) and of nova-network on the compute nodes (FlatDHCPManager). The
    first decides which networks a non-admin sees in ``os-networks`` and
    ``os-tenant-networks`` (nova/network/api.py:141-146), the second whether a non-admin
    may boot on a network of no project (nova/network/manager.py:1343-1379, 1819-1825).

What is simulated: nothing boots. A new server is ``BUILD`` for ``build_polls`` looks, then
``ACTIVE`` with the next free address of its network (or ``ERROR`` with a fault, for the
names in ``build_errors``); a deleted server disappears after one more look.
``inject(method, pattern, status)`` makes the next matching request fail with Nova's fault
body for that status.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import http.server
import ipaddress
import json
import re
import string
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

# nova/api/openstack/wsgi.py:1187-1198; any other code is a computeFault (:1214).
FAULTS = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    409: "conflictingRequest",
    413: "overLimit",
    415: "badMediaType",
    429: "overLimit",
    501: "notImplemented",
    503: "serviceUnavailable",
}
# webob's default explanations, which nova-api's FaultWrapper answers for an exception that
# is not "safe" (nova/api/openstack/__init__.py:88-120): the message stays generic.
WEBOB_EXPLANATION = {
    404: "The resource could not be found.",
    409: "There was a conflict when trying to complete your request.",
    500: "The server has either erred or is incapable of performing the requested operation.",
}
# Icehouse's default flavors, seeded by
# nova/db/sqlalchemy/migrate_repo/versions/216_havana.py:89-95.
FLAVORS = [
    {"id": "1", "name": "m1.tiny", "ram": 512, "disk": 1, "vcpus": 1},
    {"id": "2", "name": "m1.small", "ram": 2048, "disk": 20, "vcpus": 1},
    {"id": "3", "name": "m1.medium", "ram": 4096, "disk": 40, "vcpus": 2},
    {"id": "4", "name": "m1.large", "ram": 8192, "disk": 80, "vcpus": 4},
    {"id": "5", "name": "m1.xlarge", "ram": 16384, "disk": 160, "vcpus": 8},
]
VLAN_MANAGER = "nova.network.manager.VlanManager"
FLATDHCP_MANAGER = "nova.network.manager.FlatDHCPManager"
# The services nova.controller starts on the head (salt/parameters controller:services),
# as os-services names them.
HEAD_SERVICES = ("nova-cert", "nova-consoleauth", "nova-scheduler", "nova-conductor")
# os-networks' network_dict (nova/api/openstack/compute/contrib/os_networks.py:34-52):
# everyone sees FIELDS, an admin context also ADMIN_FIELDS.
NETWORK_FIELDS = (
    "id",
    "cidr",
    "netmask",
    "gateway",
    "broadcast",
    "dns1",
    "dns2",
    "cidr_v6",
    "gateway_v6",
    "label",
    "netmask_v6",
)
NETWORK_ADMIN_FIELDS = (
    "created_at",
    "updated_at",
    "deleted_at",
    "deleted",
    "injected",
    "bridge",
    "vlan",
    "vpn_public_address",
    "vpn_public_port",
    "vpn_private_address",
    "dhcp_start",
    "project_id",
    "host",
    "bridge_interface",
    "multi_host",
    "priority",
    "rxtx_base",
)


def _now():
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_admin(ctx):
    # policy.json:2 context_is_admin is role:admin; admin_api (:25) is is_admin:True.
    return "admin" in ctx["roles"]


def _authorize(ctx, action):
    if not _is_admin(ctx):
        raise Fault(403, f"Policy doesn't allow {action} to be performed.")


def _fingerprint(public_key):
    """What nova/crypto.py:134-143 gets from ``ssh-keygen -l``: the MD5 of the key blob;
    a key it cannot read is InvalidKeypair (400)."""
    fields = str(public_key).split()
    try:
        blob = base64.b64decode(fields[1], validate=True) if len(fields) > 1 else b""
    except binascii.Error:
        blob = b""
    kind = fields[0].encode() if fields else b""
    if not blob or blob[4 : 4 + len(kind)] != kind:
        raise Fault(400, "Keypair data is invalid: failed to generate fingerprint")
    return ":".join(re.findall("..", hashlib.md5(blob).hexdigest()))


class Fault(Exception):
    def __init__(self, status, message=None):
        message = message or WEBOB_EXPLANATION.get(status, "")
        super().__init__(message)
        self.status = status
        self.message = message


class RpcTimeout(Exception):
    """An RPC call to the ``network`` topic that nobody answers (no nova-network up)."""


class ComputeDouble:
    """The double's state and its HTTP server. ``url`` is ``http://127.0.0.1:PORT``."""

    def __init__(self, keystone_url, novnc_base="http://cn43.internal:6080/vnc_auto.html"):
        self.keystone_url = keystone_url.rstrip("/")
        self.novnc_base = novnc_base
        self.images = [{"id": str(uuid.uuid4()), "name": "CirrOS Test Image"}]
        self.flavors = [dict(f) for f in FLAVORS]
        self.lock = threading.RLock()
        self.rpc_timeout = 60.0
        self.api_network_manager = VLAN_MANAGER
        self.node_network_manager = FLATDHCP_MANAGER
        self.services = []
        self._head_services()
        self.networks = {}
        self.keypairs = {}  # (user_id, name) -> keypair
        self.servers = {}
        self.build_polls = 2
        self.build_errors = {}  # server name -> fault message
        self.injected = []  # [method, regex, status, message]
        self.requests = []  # (method, path, status)
        self.tokens = []  # every token seen, in order
        self.expire_after = None  # revoke the token of the Nth request once answered
        self.before_next = []  # callables, each run once before the next request is handled
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def endpoint(self):
        """The catalog URL, as the runbook registers it (``.../v2/%(tenant_id)s``)."""
        return self.url + "/v2/%(tenant_id)s"

    def start(self):
        """Serve; after ``stop``, again on the same port (nova-api restarted: its state, the
        database's, is kept)."""
        if self.server is None:
            self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
            self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        """Stop serving: connections to its port are refused until ``start``."""
        server, self.server = self.server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            self.thread.join()

    def inject(self, method, pattern, status, message=None):
        """Fail the next ``method`` request whose path (after /v2/<tenant>) matches."""
        self.injected.append([method, re.compile(pattern), status, message])

    def reset(self):
        with self.lock:
            self.networks.clear()
            self.keypairs.clear()
            self.servers.clear()
            self.build_errors.clear()
            self.injected.clear()
            self.requests.clear()
            self.tokens.clear()
            self.build_polls = 2
            self.expire_after = None
            self.before_next.clear()
            self.rpc_timeout = 60.0
            self.api_network_manager = VLAN_MANAGER
            self.node_network_manager = FLATDHCP_MANAGER
            self.services.clear()
            self._head_services()

    # -- the cluster around nova-api -----------------------------------------------------------

    def _head_services(self):
        for binary in HEAD_SERVICES:
            self.service_up(binary, "cn43.internal")

    def service_up(self, binary, host, up=True, enabled=True):
        """Add or change a service as its own reports leave it in the database: ``up``
        means it reported within service_down_time (what servicegroup's is_up checks)."""
        with self.lock:
            found = next(
                (s for s in self.services if (s["binary"], s["host"]) == (binary, host)), None
            )
            if found is None:
                found = {"id": len(self.services) + 1, "binary": binary, "host": host}
                self.services.append(found)
            found.update(
                {
                    # nova/availability_zones.py:70: a service other than nova-compute is
                    # in internal_service_availability_zone ("internal").
                    "zone": "nova" if binary == "nova-compute" else "internal",
                    "status": "enabled" if enabled else "disabled",
                    "state": "up" if up else "down",
                    "updated_at": _now(),
                    "disabled_reason": None,
                }
            )

    def _network_rpc(self):
        """An RPC call to the ``network`` topic: answered by any nova-network that is up
        (nova/network/rpcapi.py:85-88, a topic without a server), else it times out."""
        if not any(s["binary"] == "nova-network" and s["state"] == "up" for s in self.services):
            raise RpcTimeout()

    # -- authentication ------------------------------------------------------------------------

    def expire(self, token):
        """Revoke ``token`` in Keystone (the token revokes itself): it is now expired."""
        req = urllib.request.Request(
            self.keystone_url + "/auth/tokens",
            method="DELETE",
            headers={"X-Auth-Token": token, "X-Subject-Token": token},
        )
        with urllib.request.urlopen(req, timeout=10):
            pass

    def _validate(self, token):
        """The token's {project_id, user_id, roles} from Keystone, or None when refused."""
        req = urllib.request.Request(
            self.keystone_url + "/auth/tokens",
            headers={"X-Auth-Token": token, "X-Subject-Token": token},
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                body = json.load(resp)["token"]
        except urllib.error.HTTPError:
            return None
        return {
            "project_id": (body.get("project") or {}).get("id"),
            "user_id": body["user"]["id"],
            "roles": {r["name"] for r in body.get("roles", [])},
        }

    # -- the API -------------------------------------------------------------------------------

    def _network_view(self, net, ctx):
        fields = NETWORK_FIELDS + (NETWORK_ADMIN_FIELDS if _is_admin(ctx) else ())
        return {field: net.get(field) for field in fields}

    def _visible_networks(self, ctx):
        """network_api.get_all (nova/network/api.py:131-148): a Flat* manager in nova-api's
        nova.conf shows a user networks of no project too ("allow_none"), any other only
        the project's (project_only=True); an admin context is no user context and sees
        all (nova/db/sqlalchemy/api.py:261-267, nova/context.py:181-189)."""
        if _is_admin(ctx):
            return list(self.networks.values())
        allow_none = "nova.network.manager.Flat" in self.api_network_manager
        return [
            n
            for n in self.networks.values()
            if n["project_id"] == ctx["project_id"] or (allow_none and n["project_id"] is None)
        ]

    def _route(self, method, path, query, body, ctx):  # noqa: PLR0911
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["os-networks"]:
            return self._os_networks(method, parts, body, ctx)
        if parts == ["os-tenant-networks"] and method == "GET":
            # os_tenant_networks.py:66-69, 94-101: id, cidr, label of get_all's networks.
            return 200, {
                "networks": [
                    {"id": n["id"], "cidr": n["cidr"], "label": n["label"]}
                    for n in self._visible_networks(ctx)
                ]
            }
        if parts == ["os-services"] and method == "GET":
            # services.py:150-155; policy.json:222 compute_extension:services is admin_api.
            _authorize(ctx, "compute_extension:services")
            return 200, {"services": [dict(s) for s in self.services]}
        if parts[:1] == ["os-keypairs"]:
            return self._keypairs(method, parts, body, ctx)
        if parts == ["flavors"] and method == "GET":
            # views/flavors.py:23-32: id, name, links.
            return 200, {"flavors": [self._ref("flavors", f, ctx) for f in self.flavors]}
        if parts == ["images"] and method == "GET":
            return 200, {"images": [self._ref("images", i, ctx) for i in self.images]}
        if parts[:1] == ["servers"]:
            return self._servers(method, parts, query, body, ctx)
        raise Fault(404, "The resource could not be found.")

    def _ref(self, kind, item, ctx):
        """{id, name, links}; the links as nova/api/openstack/common.py:497-534 builds them
        (self under /v2/<project>, bookmark without the version)."""
        project = ctx["project_id"]
        return {
            "id": item["id"],
            "name": item["name"],
            "links": [
                {"rel": "self", "href": f"{self.url}/v2/{project}/{kind}/{item['id']}"},
                {"rel": "bookmark", "href": f"{self.url}/{project}/{kind}/{item['id']}"},
            ],
        }

    # os-networks (nova/api/openstack/compute/contrib/os_networks.py)

    def _os_networks(self, method, parts, body, ctx):
        if method == "GET" and len(parts) == 1:
            # :62-67; policy.json:185 compute_extension:networks:view is "" (anyone).
            return 200, {
                "networks": [self._network_view(n, ctx) for n in self._visible_networks(ctx)]
            }
        if method == "GET" and len(parts) == 2:
            # :86-95; network_api.get reads with an elevated context (nova/network/api.py:150-152).
            return 200, {"network": self._network_view(self._network(parts[1]), ctx)}
        # policy.json:184 compute_extension:networks is admin_api (:72, 99, 110).
        _authorize(ctx, "compute_extension:networks")
        if method == "POST" and len(parts) == 1:
            return 200, {"network": self._network_view(self._create_network(body), ctx)}
        if method == "DELETE" and len(parts) == 2:
            self._delete_network(parts[1])
            return 202, None
        raise Fault(404)

    # networks

    def _network(self, network_id):
        if network_id not in self.networks:
            raise Fault(404, "Network not found")  # os_networks.py:92-94
        return self.networks[network_id]

    def _create_network(self, body):
        # os_networks.py:108-132: a missing body, label or cidr is HTTP 422; then
        # network_api.create is an RPC call (nova/network/api.py:154-156).
        if not (isinstance(body, dict) and body.get("network")):
            raise Fault(422, "Missing network in body")
        net = body["network"]
        if not net.get("label"):
            raise Fault(422, "Network label is required")
        if not net.get("cidr"):
            raise Fault(422, "Network cidr or cidr_v6 is required")
        try:
            cidr = ipaddress.IPv4Network(net["cidr"], strict=False)
        except ValueError:
            # netaddr.IPNetwork raises in the controller (:129), outside any handler: a 500.
            raise Fault(500) from None
        self._network_rpc()
        if cidr.num_addresses < 4:
            raise Fault(500)
        for other in self.networks.values():
            if cidr.overlaps(ipaddress.IPv4Network(other["cidr"])):
                # nova/network/manager.py:1155-1173 CidrConflict (code 409,
                # nova/exception.py:1213), not "safe": FaultWrapper answers webob's text
                # (nova/api/openstack/__init__.py:88-120).
                raise Fault(409)
        multi_host = net.get("multi_host")
        if multi_host is not None and not isinstance(multi_host, bool):
            # nova-network's strutils.bool_from_string: "T", "true", "1", ... are True.
            multi_host = str(multi_host).strip().lower() in ("t", "true", "1", "on", "y", "yes")
        hosts = list(cidr.hosts())
        gateway = net.get("gateway") or str(hosts[0])
        record = {
            "id": str(uuid.uuid4()),
            "label": net["label"],
            "cidr": str(cidr),
            "cidr_v6": None,
            "bridge": net.get("bridge"),
            "bridge_interface": net.get("bridge_interface"),
            "multi_host": bool(multi_host),
            "gateway": gateway,
            "gateway_v6": None,
            "broadcast": str(cidr.broadcast_address),
            "netmask": str(cidr.netmask),
            "netmask_v6": None,
            "dhcp_start": str(hosts[1]) if len(hosts) > 1 else None,
            "dns1": net.get("dns1"),
            "dns2": net.get("dns2"),
            "host": None,
            "injected": False,
            "priority": net.get("priority"),
            "project_id": net.get("project_id"),
            "rxtx_base": None,
            "vlan": None,
            "vpn_private_address": None,
            "vpn_public_address": None,
            "vpn_public_port": None,
            "created_at": _now(),
            "updated_at": None,
            "deleted": False,
            "deleted_at": None,
        }
        self.networks[record["id"]] = record
        return record

    def _delete_network(self, network_id):
        # os_networks.py:97-106: network_api.delete is an RPC call (nova/network/api.py:158-160).
        self._network_rpc()
        self._network(network_id)
        for server in self.servers.values():
            if network_id in server["_networks"]:
                raise Fault(409, f"Network {network_id} is still in use.")
        del self.networks[network_id]

    # keypairs

    def _keypairs(self, method, parts, body, ctx):
        """nova/api/openstack/compute/contrib/keypairs.py:65-145."""
        user = ctx["user_id"]
        if method == "GET" and len(parts) == 1:
            mine = [k for (u, _), k in self.keypairs.items() if u == user]
            return 200, {"keypairs": [{"keypair": dict(k)} for k in mine]}
        if method == "POST" and len(parts) == 1:
            return 200, {"keypair": self._import_keypair(body, user)}
        if method == "DELETE" and len(parts) == 2:
            name = urllib.parse.unquote(parts[1])
            if self.keypairs.pop((user, name), None) is None:
                raise Fault(404)  # :119-120, webob.exc.HTTPNotFound()
            return 202, None  # :121
        raise Fault(404)

    def _import_keypair(self, body, user):
        try:
            pair = body["keypair"]
            name = pair["name"]
        except (KeyError, TypeError):
            raise Fault(400, "Invalid request body") from None  # keypairs.py:82-87
        if "public_key" not in pair:
            raise Fault(400, "The double imports keys only (it generates none)")
        # nova/compute/api.py:3497-3507, InvalidKeypair -> 400 (keypairs.py:108-109).
        safe = "_- " + string.digits + string.ascii_letters
        if not isinstance(name, str) or any(c not in safe for c in name):
            raise Fault(400, "Keypair data is invalid: Keypair name contains unsafe characters")
        if not 0 < len(name) < 256:
            raise Fault(
                400,
                "Keypair data is invalid: Keypair name must be between 1 and 255 characters long",
            )
        fingerprint = _fingerprint(pair["public_key"])
        if (user, name) in self.keypairs:
            raise Fault(409, f"Key pair '{name}' already exists.")  # keypairs.py:110-111
        record = {"name": name, "public_key": pair["public_key"], "fingerprint": fingerprint}
        self.keypairs[(user, name)] = record
        return {**record, "user_id": user}  # keypairs.py:94, 101

    # servers

    def _server_view(self, server):
        view = {k: v for k, v in server.items() if not k.startswith("_")}
        if server["status"] != "ERROR":
            view.pop("fault", None)
        return view

    def _look(self, server_id, project):
        """One look at a server: BUILD moves on after build_polls looks; deletion completes."""
        # nova/api/openstack/compute/servers.py:620-627, 764-774, 1193-1200.
        server = self.servers.get(server_id)
        if server is None or server["tenant_id"] != project:
            raise Fault(404, "Instance could not be found")
        if server["_deleting"]:
            del self.servers[server_id]
            raise Fault(404, "Instance could not be found")
        if server["status"] == "BUILD":
            server["_looks"] += 1
            if server["_looks"] >= self.build_polls:
                self._finish_build(server)
        return server

    def _finish_build(self, server):
        message = self.build_errors.get(server["name"])
        server["OS-EXT-STS:task_state"] = None
        server["updated"] = _now()
        server["_host"] = "cn44.internal"
        if message:
            server.update(
                {
                    "status": "ERROR",
                    "OS-EXT-STS:vm_state": "error",
                    "fault": {"code": 500, "message": message, "created": _now()},
                }
            )
            return
        addresses = {}
        for network_id in server["_networks"]:
            net = self.networks[network_id]
            used = {
                a["addr"]
                for s in self.servers.values()
                for addrs in s["addresses"].values()
                for a in addrs
            }
            cidr = ipaddress.IPv4Network(net["cidr"])
            free = [str(h) for h in cidr.hosts() if str(h) != net["gateway"] and str(h) not in used]
            addresses[net["label"]] = [{"addr": free[0], "version": 4}]
        server.update(
            {
                "status": "ACTIVE",
                "OS-EXT-STS:vm_state": "active",
                "OS-EXT-STS:power_state": 1,
                "addresses": addresses,
                "progress": 100,
            }
        )

    def _servers(self, method, parts, query, body, ctx):
        project = ctx["project_id"]
        if method == "GET" and parts in (["servers"], ["servers", "detail"]):
            pattern = (query.get("name") or [None])[0]
            found = [
                s
                for s in list(self.servers.values())
                if s["tenant_id"] == project
                and not s["_deleting"]
                and (pattern is None or re.search(pattern, s["name"]))
            ]
            if parts == ["servers"]:
                return 200, {"servers": [self._ref("servers", s, ctx) for s in found]}
            return 200, {"servers": [self._server_view(s) for s in found]}
        if method == "POST" and parts == ["servers"]:
            # servers.py:779-1015, answered 202 with the view of views/servers.py:58-67.
            return 202, {"server": self._create_server((body or {}).get("server"), ctx)}
        if method == "GET" and len(parts) == 2:
            return 200, {"server": self._server_view(self._look(parts[1], project))}
        if method == "DELETE" and len(parts) == 2:
            self._look(parts[1], project)["_deleting"] = True
            return 204, None  # servers.py:1193 @wsgi.response(204)
        if method == "POST" and len(parts) == 3 and parts[2] == "action":
            return self._vnc_console(parts[1], body, project)
        raise Fault(404)

    def _vnc_console(self, server_id, body, project):
        """nova/api/openstack/compute/contrib/consoles.py:32-55."""
        action = (body or {}).get("os-getVNCConsole")
        if action is None:
            raise Fault(400, "The double knows only the os-getVNCConsole action")
        server = self.servers.get(server_id)
        if server is None or server["tenant_id"] != project or server["_deleting"]:
            raise Fault(404, f"Instance {server_id} could not be found.")  # :46-47
        if not server["_host"]:
            # nova/compute/api.py:178-184 check_instance_host -> InstanceNotReady (:48-50).
            raise Fault(409, "Instance not yet ready")
        console_type = action.get("type")
        if console_type not in ("novnc", "xvpvnc"):
            # The compute manager's ConsoleTypeInvalid (an Invalid, nova/exception.py:934-935),
            # made a 400 by nova/api/openstack/wsgi.py:685-688.
            raise Fault(400, f"Invalid console type {console_type}")
        url = f"{self.novnc_base}?token={uuid.uuid4()}"
        return 200, {"console": {"type": console_type, "url": url}}

    def _requested_networks(self, req):
        """servers.py:818-828, 668-700: a list of {uuid}, each uuid-like."""
        nics = req.get("networks")
        if nics is None:
            return []
        if not isinstance(nics, list):
            raise Fault(400, "Bad networks format")
        ids = []
        for nic in nics:
            try:
                uuid.UUID(str(nic["uuid"]))
            except (KeyError, TypeError, ValueError):
                raise Fault(
                    400,
                    "Bad networks format: network uuid is not in proper format "
                    f"({(nic or {}).get('uuid') if isinstance(nic, dict) else nic})",
                ) from None
            ids.append(nic["uuid"])
        return ids

    def _validate_networks(self, ids, ctx):
        """network_api.validate_networks (nova/network/api.py:443-458), an RPC call that
        nova-network answers with its own network_manager: FlatDHCP (the compute nodes')
        accepts networks of the project or of none ("allow_none",
        nova/network/manager.py:1343-1379), VlanManager only the project's (:1819-1825).
        A missing one is NetworkNotFoundForProject or NoNetworksFound (NotFound, 404,
        nova/db/sqlalchemy/api.py:2585-2606), which servers.py:957-1000 does not catch:
        FaultWrapper answers 404 with webob's text (nova/api/openstack/__init__.py:88-120)."""
        if not ids:
            return
        self._network_rpc()
        allow_none = "nova.network.manager.Flat" in self.node_network_manager
        for network_id in ids:
            net = self.networks.get(network_id)
            if _is_admin(ctx) and net is not None:
                continue  # an admin context is no user context: no project filter
            if net is None or not (
                net["project_id"] == ctx["project_id"] or (allow_none and net["project_id"] is None)
            ):
                raise Fault(404)

    def _create_server(self, req, ctx):
        if not isinstance(req, dict) or "name" not in req:
            raise Fault(400, "Server name is not defined")  # servers.py:788-790
        networks = self._requested_networks(req)
        flavor = next((f for f in self.flavors if f["id"] == str(req.get("flavorRef"))), None)
        if flavor is None:
            raise Fault(400, "Invalid flavorRef provided.")  # servers.py:968-970
        image = next((i for i in self.images if i["id"] == req.get("imageRef")), None)
        if image is None:
            raise Fault(400, "Can not find requested image")  # servers.py:965-967
        self._validate_networks(networks, ctx)
        key_name = req.get("key_name")
        if key_name and (ctx["user_id"], key_name) not in self.keypairs:
            raise Fault(400, "Invalid key_name provided.")  # servers.py:971-973
        groups = [g.get("name") for g in req.get("security_groups") or [{"name": "default"}]]
        if groups != ["default"]:
            raise Fault(
                400, f"Security group {groups[0]} not found for project {ctx['project_id']}."
            )
        server_id = str(uuid.uuid4())
        now = _now()
        self.servers[server_id] = {
            "id": server_id,
            "name": req["name"],
            "status": "BUILD",
            "tenant_id": ctx["project_id"],
            "user_id": ctx["user_id"],
            "flavor": self._ref("flavors", flavor, ctx),
            "image": self._ref("images", image, ctx),
            "key_name": key_name,
            "addresses": {},
            "security_groups": [{"name": g} for g in groups],
            "metadata": {},
            "created": now,
            "updated": now,
            "hostId": "",
            "accessIPv4": "",
            "accessIPv6": "",
            "progress": 0,
            "OS-EXT-STS:vm_state": "building",
            "OS-EXT-STS:task_state": "scheduling",
            "OS-EXT-STS:power_state": 0,
            "links": self._ref("servers", {"id": server_id, "name": req["name"]}, ctx)["links"],
            "_networks": networks,
            "_host": None,
            "_looks": 0,
            "_deleting": False,
        }
        return {
            "id": server_id,
            "adminPass": uuid.uuid4().hex[:12],
            "links": self.servers[server_id]["links"],
            "OS-DCF:diskConfig": "MANUAL",
            "security_groups": [{"name": g} for g in groups],
        }

    # -- HTTP ----------------------------------------------------------------------------------

    def _handler(self):
        double = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The answer leaves when the handler is done: after the request is in
            # double.requests (and an expire_after token is revoked), so a test that
            # reads them right after its call sees every request it made.
            wbufsize = 1 << 20

            def log_message(self, *args):  # quiet
                pass

            def _answer(self, status, body):
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                if data:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _fault(self, status, message):
                self._answer(
                    status,
                    {FAULTS.get(status, "computeFault"): {"message": message, "code": status}},
                )

            def _handle(self, method):
                url = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                while double.before_next:
                    double.before_next.pop(0)()
                status = self._dispatch(method, url, raw)
                double.requests.append((method, self.path, status))
                if double.expire_after is not None and len(double.requests) >= double.expire_after:
                    double.expire_after = None
                    double.expire(self.headers.get("X-Auth-Token"))

            def _dispatch(self, method, url, raw):
                match = re.match(r"^/v2/([^/]+)(/.*)$", url.path)
                if not match:
                    self._fault(404, "The resource could not be found.")
                    return 404
                tenant, path = match.groups()
                token = self.headers.get("X-Auth-Token")
                if token:
                    double.tokens.append(token)
                ctx = double._validate(token) if token else None
                if ctx is None:
                    self._answer(
                        401,
                        {
                            "error": {
                                "message": "The request you have made requires authentication.",
                                "code": 401,
                            }
                        },
                    )
                    return 401
                if tenant != ctx["project_id"]:
                    self._fault(
                        400,
                        "Malformed request URL: URL's project_id doesn't match "
                        "Context's project_id",
                    )
                    return 400
                try:
                    return self._locked(method, url, path, raw, ctx)
                except RpcTimeout:
                    # Nobody consumes the network topic: oslo.messaging's MessagingTimeout
                    # after rpc_response_timeout, an exception with no code that nothing
                    # catches, so FaultWrapper answers 500 (nova/api/openstack/__init__.py:88-120).
                    time.sleep(double.rpc_timeout)
                    self._fault(500, WEBOB_EXPLANATION[500])
                    return 500

            def _locked(self, method, url, path, raw, ctx):
                with double.lock:
                    for item in list(double.injected):
                        if item[0] == method and item[1].search(path):
                            double.injected.remove(item)
                            self._fault(item[2], item[3] or f"Injected HTTP {item[2]} by the test")
                            return item[2]
                    try:
                        body = json.loads(raw) if raw else None
                    except ValueError:
                        self._fault(400, "Malformed request body")
                        return 400
                    try:
                        status, answer = double._route(
                            method, path, urllib.parse.parse_qs(url.query), body, ctx
                        )
                    except Fault as fault:
                        self._fault(fault.status, fault.message)
                        return fault.status
                self._answer(status, answer)
                return status

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

            def do_DELETE(self):
                self._handle("DELETE")

        return Handler
