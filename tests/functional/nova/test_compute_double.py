"""
The Compute API TEST DOUBLE answers as Icehouse's nova-api (openstack/nova 2014.1.5) does:
each test names the source it checks the double against. Requests go over HTTP with
tokens of the real test Keystone, as the runbook's admin and demo users.
"""

import json
import time
import urllib.error
import urllib.request

import pytest

from tests.functional.nova.conftest import RPC_TIMEOUT
from tests.support.nova import DEMO_NET, PUBLIC_KEY, PUBLIC_KEY_FINGERPRINT

pytestmark = pytest.mark.slow

WEBOB_500 = "The server has either erred or is incapable of performing the requested operation."


class Caller:
    """One user's token and the double's URL of its project."""

    def __init__(self, keystone, double, auth):
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": auth["username"],
                            "domain": {"id": "default"},
                            "password": auth["password"],
                        }
                    },
                },
                "scope": {"project": {"name": auth["project_name"], "domain": {"id": "default"}}},
            }
        }
        req = urllib.request.Request(
            keystone.url + "/auth/tokens",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            self.token = resp.headers["X-Subject-Token"]
            token = json.load(resp)["token"]
        self.project = token["project"]["id"]
        self.user = token["user"]["id"]
        self.base = f"{double.url}/v2/{self.project}"

    def __call__(self, method, path, body=None):
        """(status, decoded body or None)."""
        req = urllib.request.Request(
            self.base + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"X-Auth-Token": self.token, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
                return resp.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as err:
            raw = err.read()
            return err.code, (json.loads(raw) if raw else None)


@pytest.fixture
def admin(nova_keystone, double, admin_auth):
    return Caller(nova_keystone, double, admin_auth)


@pytest.fixture
def demo(nova_keystone, double, demo_auth):
    return Caller(nova_keystone, double, demo_auth)


@pytest.fixture
def demo_net(admin):
    status, body = admin("POST", "/os-networks", {"network": dict(DEMO_NET)})
    assert status == 200, body
    return body["network"]


# -- networks -------------------------------------------------------------------------------------


def test_demo_user_does_not_see_a_network_of_no_project(admin, demo, demo_net):
    # nova/network/api.py:131-148: nova-api's nova.conf on the head names no network
    # manager (nova/service.py:105-107: VlanManager), so a user context lists only its
    # project's networks (project_only=True); demo-net has none. An admin sees all.
    assert demo_net["project_id"] is None
    assert demo("GET", "/os-tenant-networks") == (200, {"networks": []})
    assert demo("GET", "/os-networks") == (200, {"networks": []})
    status, body = admin("GET", "/os-tenant-networks")
    assert (status, body) == (
        200,
        {"networks": [{"id": demo_net["id"], "cidr": "203.0.113.24/29", "label": "demo-net"}]},
    )
    status, body = admin("GET", "/os-networks")
    assert [n["id"] for n in body["networks"]] == [demo_net["id"]]


def test_a_flat_manager_in_nova_api_shows_networks_of_no_project(double, demo, demo_net):
    # nova/network/api.py:141-142: "allow_none" when nova-api's network_manager is Flat*.
    double.api_network_manager = "nova.network.manager.FlatDHCPManager"
    _, body = demo("GET", "/os-tenant-networks")
    assert [n["label"] for n in body["networks"]] == ["demo-net"]


def test_os_networks_shows_the_admin_fields_to_the_admin_only(admin, demo, demo_net):
    # os_networks.py:34-52, and show reads with an elevated context (nova/network/api.py:150-152).
    _, mine = admin("GET", f"/os-networks/{demo_net['id']}")
    status, theirs = demo("GET", f"/os-networks/{demo_net['id']}")
    assert status == 200
    assert mine["network"]["bridge"] == "br100" and mine["network"]["multi_host"] is True
    assert "bridge" not in theirs["network"] and "project_id" not in theirs["network"]
    assert theirs["network"]["cidr"] == "203.0.113.24/29"


def test_creating_a_network_is_admin_only(demo):
    # policy.json:184 compute_extension:networks is admin_api.
    status, body = demo("POST", "/os-networks", {"network": dict(DEMO_NET)})
    assert status == 403
    assert body == {
        "forbidden": {
            "code": 403,
            "message": "Policy doesn't allow compute_extension:networks to be performed.",
        }
    }


def test_create_without_label_or_cidr_is_422(admin):
    # os_networks.py:112-124: HTTPUnprocessableEntity, a computeFault (wsgi.py:1214).
    status, body = admin("POST", "/os-networks", {"network": {"cidr": "198.51.100.0/29"}})
    assert (status, body) == (
        422,
        {"computeFault": {"code": 422, "message": "Network label is required"}},
    )
    status, body = admin("POST", "/os-networks", {"network": {"label": "x"}})
    assert (status, body["computeFault"]["message"]) == (
        422,
        "Network cidr or cidr_v6 is required",
    )


def test_create_with_no_nova_network_up_waits_for_the_rpc_timeout_then_500(double, admin):
    # nova/network/api.py:154-156 -> nova/network/rpcapi.py:97-98, a call on the network
    # topic: nobody consumes it, MessagingTimeout, FaultWrapper's 500 (__init__.py:88-120).
    double.service_up("nova-network", "cn44.internal", up=False)
    started = time.monotonic()
    status, body = admin("POST", "/os-networks", {"network": dict(DEMO_NET)})
    took = time.monotonic() - started
    assert (status, body) == (500, {"computeFault": {"code": 500, "message": WEBOB_500}})
    assert took >= RPC_TIMEOUT
    assert double.networks == {}


def test_a_new_double_is_a_new_cluster_with_icehouse_timeout(double):
    double.reset()
    assert double.rpc_timeout == 60
    assert not [s for s in double.services if s["binary"] == "nova-network"]


def test_os_services_lists_as_icehouse(double, admin, demo):
    # services.py:100-115 (with os-extended-services and -delete loaded, as by default);
    # policy.json:222 admin_api.
    double.service_up("nova-network", "cn45.internal", up=False)
    status, body = admin("GET", "/os-services")
    assert status == 200
    by_host = {
        (s["binary"], s["host"]): s for s in body["services"] if s["binary"] == "nova-network"
    }
    assert set(by_host) == {("nova-network", "cn44.internal"), ("nova-network", "cn45.internal")}
    cn45 = by_host["nova-network", "cn45.internal"]
    assert set(cn45) == {
        "id",
        "binary",
        "host",
        "zone",
        "status",
        "state",
        "updated_at",
        "disabled_reason",
    }
    assert (cn45["zone"], cn45["status"], cn45["state"]) == ("internal", "enabled", "down")
    assert by_host["nova-network", "cn44.internal"]["state"] == "up"
    assert demo("GET", "/os-services")[0] == 403


# -- flavors and keypairs -------------------------------------------------------------------------


def test_flavors_are_icehouses_defaults(demo):
    # nova/db/sqlalchemy/migrate_repo/versions/216_havana.py:89-95; views/flavors.py:23-32.
    status, body = demo("GET", "/flavors")
    assert status == 200
    assert [(f["id"], f["name"]) for f in body["flavors"]] == [
        ("1", "m1.tiny"),
        ("2", "m1.small"),
        ("3", "m1.medium"),
        ("4", "m1.large"),
        ("5", "m1.xlarge"),
    ]
    tiny = body["flavors"][0]
    assert [link["rel"] for link in tiny["links"]] == ["self", "bookmark"]
    assert tiny["links"][0]["href"].endswith(f"/v2/{demo.project}/flavors/1")


def test_keypair_import_and_delete_codes(demo):
    # keypairs.py:65-121 and nova/compute/api.py:3497-3533, nova/crypto.py:134-143.
    status, body = demo(
        "POST", "/os-keypairs", {"keypair": {"name": "demo-key", "public_key": PUBLIC_KEY}}
    )
    assert status == 200
    assert body == {
        "keypair": {
            "name": "demo-key",
            "public_key": PUBLIC_KEY,
            "fingerprint": PUBLIC_KEY_FINGERPRINT,
            "user_id": demo.user,
        }
    }
    again = demo(
        "POST", "/os-keypairs", {"keypair": {"name": "demo-key", "public_key": PUBLIC_KEY}}
    )
    assert again == (
        409,
        {"conflictingRequest": {"code": 409, "message": "Key pair 'demo-key' already exists."}},
    )
    bad = demo("POST", "/os-keypairs", {"keypair": {"name": "k2", "public_key": "ssh-rsa AAAA"}})
    assert bad == (
        400,
        {
            "badRequest": {
                "code": 400,
                "message": "Keypair data is invalid: failed to generate fingerprint",
            }
        },
    )
    unsafe = demo("POST", "/os-keypairs", {"keypair": {"name": "a/b", "public_key": PUBLIC_KEY}})
    assert unsafe[1]["badRequest"]["message"].endswith("Keypair name contains unsafe characters")
    assert demo("DELETE", "/os-keypairs/demo-key") == (202, None)
    assert demo("DELETE", "/os-keypairs/demo-key") == (
        404,
        {"itemNotFound": {"code": 404, "message": "The resource could not be found."}},
    )


# -- servers --------------------------------------------------------------------------------------


def boot(demo, double, network_id, **extra):
    server = {
        "name": "demo-inst1",
        "flavorRef": "1",
        "imageRef": double.images[0]["id"],
        "networks": [{"uuid": network_id}],
        **extra,
    }
    return demo("POST", "/servers", {"server": server})


def test_demo_user_boots_on_the_admins_network_of_no_project(double, demo, demo_net):
    # The runbook's `nova boot --nic net-id=<id>` as the demo user: validate_networks runs
    # in nova-network (FlatDHCPManager on the compute nodes), which accepts a network of
    # no project (nova/network/manager.py:1343-1379, "allow_none"). servers.py:779-1015
    # answers 202 with id and links (views/servers.py:58-67) and the adminPass.
    status, body = boot(demo, double, demo_net["id"])
    assert status == 202, body
    server = body["server"]
    assert {"id", "links", "adminPass"} <= set(server)
    assert server["links"][0]["href"].endswith(f"/v2/{demo.project}/servers/{server['id']}")


def test_boot_on_another_projects_network_is_404(double, admin, demo):
    # NetworkNotFoundForProject (a NotFound) that servers.py does not catch: FaultWrapper's 404.
    status, body = admin("POST", "/os-networks", {"network": {**DEMO_NET, "project_id": "other"}})
    assert status == 200, body
    status, body = boot(demo, double, body["network"]["id"])
    assert (status, body) == (
        404,
        {"itemNotFound": {"code": 404, "message": "The resource could not be found."}},
    )


def test_boot_with_no_nova_network_up_times_out_to_500(double, demo, demo_net):
    # validate_networks is an RPC call too (nova/network/api.py:443-458, rpcapi.py:224-225).
    double.service_up("nova-network", "cn44.internal", up=False)
    status, body = boot(demo, double, demo_net["id"])
    assert (status, body["computeFault"]["message"]) == (500, WEBOB_500)
    assert double.servers == {}


def test_boot_answers_for_bad_flavor_network_or_key(double, demo, demo_net):
    # servers.py:668-700, 957-1000.
    assert boot(demo, double, "demo-net")[1]["badRequest"]["message"] == (
        "Bad networks format: network uuid is not in proper format (demo-net)"
    )
    assert boot(demo, double, demo_net["id"], flavorRef="42")[1]["badRequest"]["message"] == (
        "Invalid flavorRef provided."
    )
    assert boot(demo, double, demo_net["id"], key_name="nope")[1]["badRequest"]["message"] == (
        "Invalid key_name provided."
    )


def test_server_delete_is_204_and_the_console_needs_a_host(double, demo, demo_net):
    # consoles.py:32-55 (InstanceNotReady while the instance has no host: 409;
    # ConsoleTypeInvalid: 400); servers.py:1193-1200 delete answers 204.
    server_id = boot(demo, double, demo_net["id"])[1]["server"]["id"]
    action = f"/servers/{server_id}/action"
    assert demo("POST", action, {"os-getVNCConsole": {"type": "novnc"}}) == (
        409,
        {"conflictingRequest": {"code": 409, "message": "Instance not yet ready"}},
    )
    while demo("GET", f"/servers/{server_id}")[1]["server"]["status"] == "BUILD":
        pass
    status, body = demo("POST", action, {"os-getVNCConsole": {"type": "novnc"}})
    assert status == 200 and body["console"]["type"] == "novnc"
    assert "token=" in body["console"]["url"]
    status, body = demo("POST", action, {"os-getVNCConsole": {"type": "spice"}})
    assert (status, body["badRequest"]["message"]) == (400, "Invalid console type spice")
    assert demo("DELETE", f"/servers/{server_id}") == (204, None)
    assert demo("GET", f"/servers/{server_id}") == (
        404,
        {"itemNotFound": {"code": 404, "message": "Instance could not be found"}},
    )
