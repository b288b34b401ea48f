"""
A TEST DOUBLE of the Icehouse Compute API v2 (nova-api with nova-network), for the
functional tests of ``nova_compute`` and the ``nova_*`` states. It is not Nova.

Why a double: nova-network left Nova long ago (Rocky) and no Nova that still has it can be
installed on the test machine, so the calls are answered by this small HTTP server, written
from the Icehouse Compute API reference and Nova's Icehouse API samples
(``os-networks``, ``os-tenant-networks``, ``os-keypairs``, ``flavors``, ``images``,
``servers``, the ``os-getVNCConsole`` server action): the same URLs, request and answer
bodies, status codes and fault bodies (``{"badRequest": {"message": ..., "code": 400}}``).

What is real around it: it listens on the loopback (a free port) over HTTP; clients find
it through the catalog of the real test Keystone (its ``%(tenant_id)s`` URL is registered
by our own keystone states); it checks every ``X-Auth-Token`` with that Keystone (a
revoked or expired token gets HTTP 401, as keystonemiddleware answers) and serves only the
token's project in the URL; ``os-networks`` is admin-only, as Icehouse's policy.json has it.

What is simulated: nothing boots. A new server is ``BUILD`` for ``build_polls`` looks, then
``ACTIVE`` with the next free address of its network (or ``ERROR`` with a fault, for the
names in ``build_errors``); a deleted server disappears after one more look.
``inject(method, pattern, status)`` makes the next matching request fail with Nova's fault
body for that status.
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid

FAULTS = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    409: "conflictingRequest",
    500: "computeFault",
    503: "serviceUnavailable",
}
FLAVORS = [
    {"id": "1", "name": "m1.tiny", "ram": 512, "disk": 1, "vcpus": 1},
    {"id": "2", "name": "m1.small", "ram": 2048, "disk": 20, "vcpus": 1},
]


def _now():
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Fault(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class ComputeDouble:
    """The double's state and its HTTP server. ``url`` is ``http://127.0.0.1:PORT``."""

    def __init__(self, keystone_url, novnc_base="http://cn43.internal:6080/vnc_auto.html"):
        self.keystone_url = keystone_url.rstrip("/")
        self.novnc_base = novnc_base
        self.images = [{"id": str(uuid.uuid4()), "name": "CirrOS Test Image"}]
        self.flavors = [dict(f) for f in FLAVORS]
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
        self.lock = threading.Lock()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def endpoint(self):
        """The catalog URL, as the runbook registers it (``.../v2/%(tenant_id)s``)."""
        return self.url + "/v2/%(tenant_id)s"

    def start(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

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

    def _network_view(self, net):
        return dict(net)

    def _route(self, method, path, query, body, ctx):  # noqa: PLR0911
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["os-networks"]:
            if "admin" not in ctx["roles"]:
                raise Fault(403, "Policy doesn't allow compute_extension:networks to be performed.")
            if method == "GET" and len(parts) == 1:
                return 200, {"networks": [self._network_view(n) for n in self.networks.values()]}
            if method == "GET" and len(parts) == 2:
                return 200, {"network": self._network_view(self._network(parts[1]))}
            if method == "POST" and len(parts) == 1:
                return 200, {"network": self._network_view(self._create_network(body))}
            if method == "DELETE" and len(parts) == 2:
                self._delete_network(parts[1])
                return 202, None
        if parts == ["os-tenant-networks"] and method == "GET":
            return 200, {
                "networks": [
                    {"id": n["id"], "label": n["label"], "cidr": n["cidr"]}
                    for n in self.networks.values()
                ]
            }
        if parts[:1] == ["os-keypairs"]:
            return self._keypairs(method, parts, body, ctx)
        if parts == ["flavors"] and method == "GET":
            return 200, {"flavors": [self._ref("flavors", f) for f in self.flavors]}
        if parts == ["images"] and method == "GET":
            return 200, {"images": [self._ref("images", i) for i in self.images]}
        if parts[:1] == ["servers"]:
            return self._servers(method, parts, query, body, ctx)
        raise Fault(404, "The resource could not be found.")

    def _ref(self, kind, item):
        return {
            "id": item["id"],
            "name": item["name"],
            "links": [{"rel": "self", "href": f"{self.url}/v2/{kind}/{item['id']}"}],
        }

    # networks

    def _network(self, network_id):
        if network_id not in self.networks:
            raise Fault(404, f"Network {network_id} could not be found.")
        return self.networks[network_id]

    def _create_network(self, body):
        net = (body or {}).get("network")
        if not isinstance(net, dict) or not net.get("label"):
            raise Fault(400, "Network label is required")
        if not net.get("cidr"):
            raise Fault(400, "Network cidr or cidr_v6 is required")
        try:
            cidr = ipaddress.IPv4Network(net["cidr"], strict=False)
        except ValueError:
            raise Fault(400, "CIDR is malformed.") from None
        if cidr.num_addresses < 4:
            raise Fault(400, "Requested network does not contain enough (2+) usable hosts")
        for other in self.networks.values():
            if cidr.overlaps(ipaddress.IPv4Network(other["cidr"])):
                raise Fault(
                    409, f"Requested cidr ({cidr}) conflicts with existing cidr ({other['cidr']})"
                )
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
        self._network(network_id)
        for server in self.servers.values():
            if network_id in server["_networks"]:
                raise Fault(409, f"Network {network_id} is still in use.")
        del self.networks[network_id]

    # keypairs

    def _keypairs(self, method, parts, body, ctx):
        user = ctx["user_id"]
        if method == "GET" and len(parts) == 1:
            mine = [k for (u, _), k in self.keypairs.items() if u == user]
            return 200, {"keypairs": [{"keypair": dict(k)} for k in mine]}
        if method == "POST" and len(parts) == 1:
            pair = (body or {}).get("keypair") or {}
            name, public_key = pair.get("name"), pair.get("public_key")
            if not name:
                raise Fault(400, "Keypair name is required")
            if (user, name) in self.keypairs:
                raise Fault(409, f"Key pair '{name}' already exists.")
            if not public_key or not public_key.startswith(("ssh-", "ecdsa-")):
                raise Fault(400, "Keypair data is invalid: failed to generate fingerprint")
            fingerprint = ":".join(
                re.findall("..", uuid.uuid5(uuid.NAMESPACE_OID, public_key.split()[1]).hex[:32])
            )
            record = {"name": name, "public_key": public_key, "fingerprint": fingerprint}
            self.keypairs[(user, name)] = record
            return 200, {"keypair": {**record, "user_id": user}}
        if method == "DELETE" and len(parts) == 2:
            name = urllib.parse.unquote(parts[1])
            if self.keypairs.pop((user, name), None) is None:
                raise Fault(404, f"Keypair {name} not found for user {user}")
            return 202, None
        raise Fault(404, "The resource could not be found.")

    # servers

    def _server_view(self, server):
        view = {k: v for k, v in server.items() if not k.startswith("_")}
        if server["status"] != "ERROR":
            view.pop("fault", None)
        return view

    def _look(self, server_id, project):
        """One look at a server: BUILD moves on after build_polls looks; deletion completes."""
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
                return 200, {"servers": [self._ref("servers", s) for s in found]}
            return 200, {"servers": [self._server_view(s) for s in found]}
        if method == "POST" and parts == ["servers"]:
            return 202, {"server": self._create_server((body or {}).get("server"), ctx)}
        if method == "GET" and len(parts) == 2:
            return 200, {"server": self._server_view(self._look(parts[1], project))}
        if method == "DELETE" and len(parts) == 2:
            self._look(parts[1], project)["_deleting"] = True
            return 204, None
        if method == "POST" and len(parts) == 3 and parts[2] == "action":
            server = self._look(parts[1], project)
            action = (body or {}).get("os-getVNCConsole")
            if action is None:
                raise Fault(400, "The double knows only the os-getVNCConsole action")
            if action.get("type") not in ("novnc", "xvpvnc"):
                raise Fault(400, "Invalid type of console")
            if server["status"] != "ACTIVE":
                raise Fault(409, "Instance not yet ready")
            url = f"{self.novnc_base}?token={uuid.uuid4()}"
            return 200, {"console": {"type": action["type"], "url": url}}
        raise Fault(404, "The resource could not be found.")

    def _create_server(self, req, ctx):
        if not isinstance(req, dict) or not req.get("name"):
            raise Fault(400, "Server name is not defined")
        image = next((i for i in self.images if i["id"] == req.get("imageRef")), None)
        if image is None:
            raise Fault(400, "Can not find requested image")
        flavor = next((f for f in self.flavors if f["id"] == str(req.get("flavorRef"))), None)
        if flavor is None:
            raise Fault(400, "Flavor's disk is too small for requested image.")
        networks = []
        for nic in req.get("networks") or []:
            if nic.get("uuid") not in self.networks:
                raise Fault(400, f"Network {nic.get('uuid')} could not be found.")
            networks.append(nic["uuid"])
        key_name = req.get("key_name")
        if key_name and (ctx["user_id"], key_name) not in self.keypairs:
            raise Fault(400, "Invalid key_name provided.")
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
            "flavor": self._ref("flavors", flavor),
            "image": self._ref("images", image),
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
            "links": self._ref("servers", {"id": server_id, "name": req["name"]})["links"],
            "_networks": networks,
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

            def _dispatch(self, method, url, raw):  # noqa: PLR0911
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
