"""
The head's compiled highstate for the Nova controller (runbook, "Compute: Nova management"
and the controller part of "Legacy networking"), and the compute nodes' compiled highstate
unchanged by the per-role nova.conf fragments: masterless `salt-call --id cnXX.internal
state.show_highstate` in a copy of the checkout, with RedHat grains (compiling only).
"""

import json
import pathlib

import pytest

from tests.functional.test_compute_highstate import (
    COMPUTE,
    HEAD,
    REDHAT,
    args_of,
    checkout,  # noqa: F401 (a fixture)
    node_grains,
    node_ip,
    salt_call,
    secrets,  # noqa: F401 (a fixture)
)
from tests.support import runbook

FILES = pathlib.Path(__file__).parent / "files"
# cn44's compiled highstate before nova.conf was split into role fragments (secrets as
# <secrets:NAME> placeholders): the refactor must leave it exactly as it was.
CN44_BEFORE = FILES / "cn44_highstate.json"
SERVICES = ("api", "cert", "consoleauth", "scheduler", "conductor", "novncproxy")
WATCHING = {"api", "scheduler", "conductor"}


def highstate(checkout, node, grains):
    code, high = salt_call(checkout, node, "state.show_highstate", grains=grains)
    assert code == 0 and isinstance(high, dict), high
    return high


def with_placeholders(value, secrets):
    if isinstance(value, dict):
        return {k: with_placeholders(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [with_placeholders(v, secrets) for v in value]
    if isinstance(value, str):
        for name, secret in sorted(secrets.items()):
            value = value.replace(str(secret), f"<secrets:{name}>")
    return value


@pytest.fixture(scope="module")
def head_high(checkout):
    return highstate(checkout, HEAD, REDHAT)


def test_compute_nova_conf_is_unchanged_by_the_fragments(checkout, secrets):
    # The refactor's subject: cn44's nova.conf state, settings and their order, exactly as
    # before nova.conf was split into role fragments. Its compiled `order` (the state's
    # position in the highstate) moves as other formulas join the role: left out.
    def without_position(state):
        return {
            fun: [arg for arg in args if not (isinstance(arg, dict) and "order" in arg)]
            for fun, args in state.items()
            if not fun.startswith("__")
        }

    high = with_placeholders(
        highstate(checkout, "cn44.internal", node_grains("cn44.internal")), secrets
    )
    got = without_position(high["nova-config-file-managed"])
    expected = without_position(json.loads(CN44_BEFORE.read_text())["nova-config-file-managed"])
    assert got == expected
    # Same order too: openstack_ini adds new keys in this order.
    assert json.dumps(got) == json.dumps(expected)


@pytest.mark.parametrize("node", COMPUTE)
def test_compute_nova_conf_requires_only_compute_and_network_packages(checkout, node):
    high = highstate(checkout, node, node_grains(node))
    _, args = args_of(high, "nova-config-file-managed")
    assert args["require"] == [
        {"sls": "nova.compute.package.install"},
        {"sls": "nova.network.package.install"},
    ]
    assert not [sid for sid in high if sid.startswith("nova-controller-")]


def test_head_nova_conf_has_every_runbook_setting(head_high, secrets):
    fun, args = args_of(head_high, "nova-config-file-managed")
    assert fun == "openstack_ini.present"
    assert (args["name"], args["user"], args["group"], args["mode"]) == (
        "/etc/nova/nova.conf",
        "root",
        "nova",
        "0640",
    )
    assert args["sections"] == runbook.controller_nova_conf(
        node_ip(HEAD), HEAD, secrets["nova_dbpass"], secrets["nova_pass"]
    )


def test_head_nova_conf_requires_only_the_controller_packages(head_high):
    _, args = args_of(head_high, "nova-config-file-managed")
    assert args["require"] == [{"sls": "nova.controller.package.install"}]
    assert not [sid for sid in head_high if sid.startswith(("nova-compute-", "nova-network-"))]


def test_head_installs_the_runbooks_controller_packages(head_high):
    fun, args = args_of(head_high, "nova-controller-packages-installed")
    assert fun == "pkg.installed"
    assert args["pkgs"] == [
        "openstack-nova-api",
        "openstack-nova-cert",
        "openstack-nova-conductor",
        "openstack-nova-console",
        "openstack-nova-novncproxy",
        "openstack-nova-scheduler",
        "python-novaclient",
    ]
    assert {"sls": "openstack.repo"} in args["require"]


def test_head_has_the_nova_database_and_both_grants(head_high, secrets):
    states = {
        sid: args_of(head_high, sid)
        for sid in head_high
        if not sid.startswith("__") and head_high[sid]["__sls__"] == "nova.controller.db.database"
    }
    assert any(
        fun == "mysql_database.present" and a["name"] == "nova" for fun, a in states.values()
    )
    grants = sorted(
        (a["user"], a["host"], a["database"])
        for fun, a in states.values()
        if fun == "mysql_grants.present"
    )
    assert grants == [("nova", "%", "nova.*"), ("nova", "localhost", "nova.*")]
    users = {a["host"]: a["password"] for fun, a in states.values() if fun == "mysql_user.present"}
    assert users == {"localhost": secrets["nova_dbpass"], "%": secrets["nova_dbpass"]}


@pytest.mark.parametrize("node", [HEAD, COMPUTE[0]])
def test_a_lookup_override_of_the_nova_database_moves_nova_conf_and_the_grants_together(
    checkout, secrets, node
):
    # parameters nova:db is the one place of the database's user and name: nova.conf's
    # [database] connection (every role) and the head's database, users and grants follow
    # an override together (they were a literal "nova" in database.sls, which kept the
    # grants on user nova while nova.conf logged in as the override).
    override = {"hltcloud": {"lookup": {"nova": {"db": {"user": "nova_ops", "name": "nova_db"}}}}}
    grains = REDHAT if node == HEAD else node_grains(node)
    code, high = salt_call(
        checkout, node, "state.show_highstate", f"pillar={json.dumps(override)}", grains=grains
    )
    assert code == 0 and isinstance(high, dict), high
    _, conf = args_of(high, "nova-config-file-managed")
    host = "localhost" if node == HEAD else HEAD
    assert conf["sections"]["database"]["connection"] == (
        f"mysql://nova_ops:{secrets['nova_dbpass']}@{host}/nova_db"
    )
    states = [
        args_of(high, sid)
        for sid in high
        if not sid.startswith("__") and high[sid]["__sls__"] == "nova.controller.db.database"
    ]
    if node != HEAD:
        assert states == []
        return
    databases = [a["name"] for fun, a in states if fun == "mysql_database.present"]
    users = sorted((a["name"], a["host"]) for fun, a in states if fun == "mysql_user.present")
    grants = sorted(
        (a["user"], a["host"], a["database"]) for fun, a in states if fun == "mysql_grants.present"
    )
    assert databases == ["nova_db"]
    assert users == [("nova_ops", "%"), ("nova_ops", "localhost")]
    assert grants == [("nova_ops", "%", "nova_db.*"), ("nova_ops", "localhost", "nova_db.*")]


def test_db_sync_runs_as_nova_only_on_change_after_config_and_database(head_high):
    fun, args = args_of(head_high, "nova-controller-db-synced")
    assert fun == "cmd.run"
    assert (args["name"], args["runas"], args["shell"]) == (
        "nova-manage db sync",
        "nova",
        "/bin/sh",
    )
    assert args["onchanges"] == [
        {"sls": "nova.controller.package.install"},
        {"id": "nova-config-file-managed"},
        {"sls": "nova.controller.db.database"},
    ]
    assert {"sls": "nova.config.file"} in args["require"]
    assert {"sls": "nova.controller.db.database"} in args["require"]


def test_order_is_packages_config_db_sync_services(head_high):
    def order(sid):
        return next(
            item["order"]
            for item in head_high[sid][next(k for k in head_high[sid] if not k.startswith("__"))]
            if isinstance(item, dict) and "order" in item
        )

    services = [f"nova-controller-service-{key}-running" for key in SERVICES]
    assert (
        order("nova-controller-packages-installed")
        < order("nova-config-file-managed")
        < order("nova-controller-db-synced")
        < min(order(sid) for sid in services)
    )


@pytest.mark.parametrize("key", SERVICES)
def test_controller_service_runs_enabled_after_db_sync(head_high, key):
    fun, args = args_of(head_high, f"nova-controller-service-{key}-running")
    assert fun == "service.running"
    assert args["name"] == f"openstack-nova-{key}"
    assert args["enable"] is True
    assert {"sls": "nova.controller.db.sync"} in args["require"]
    assert {"sls": "nova.config.file"} in args["require"]
    if key in WATCHING:
        assert args["watch"] == [{"id": "nova-config-file-managed"}]
    else:
        assert "watch" not in args


def test_controller_clean_stops_services_then_removes_settings_then_packages(checkout):
    code, high = salt_call(checkout, HEAD, "state.show_sls", "nova.controller.clean", grains=REDHAT)
    assert code == 0 and isinstance(high, dict), high
    dead = {f"nova-controller-service-{key}-dead" for key in SERVICES}
    assert dead <= set(high)
    _, settings = args_of(high, "nova-config-file-settings-absent")
    assert settings["require"] == [{"sls": "nova.controller.service.clean"}]
    assert settings["sections"]["DEFAULT"] == sorted(
        runbook.controller_nova_conf("x", "x", "x", "x")["DEFAULT"]
    )
    _, packages = args_of(high, "nova-controller-packages-removed")
    assert packages["require"] == [{"sls": "nova.config.clean"}]
