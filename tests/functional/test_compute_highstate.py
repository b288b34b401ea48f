"""
Each compute node's compiled `compute` SLS, checked against the runbook's "Workers
configuration" and "Legacy networking": masterless `salt-call --id cnXX.internal
state.show_sls compute` in a copy of the checkout with its own secrets.

The compute nodes run RedHat (the runbook's names and ifcfg network scripts); this test host is
Debian. Static grains in the copy's etc/salt/grains stand in for a node's: Fedora 19 (RedHat) and
a MAC address for em1 (grain hwaddr_interfaces). Only compiling happens with those grains, no
state runs: a RedHat package module does not load on Debian.
"""

import json
import pathlib
import shutil
import subprocess

import pytest
import yaml

from tests.support import runbook
from tests.support.checkout import PINS, checkout_with_secrets
from tests.support.localcluster import inventory
from tests.support.masterless import (
    MACS,
    REDHAT,
    SALT_CALL,
    args_of,
    node_grains,
    salt_call,
)

HEAD = "cn43.internal"
COMPUTE = ["cn44.internal", "cn45.internal", "cn46.internal", "cn47.internal"]
OSLO_CONFIG_FC20 = "python-oslo-config-1.2.0-0.5.a3.fc20.noarch.rpm"


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    target = checkout_with_secrets(tmp_path_factory.mktemp("compute-checkout") / "hlt-cloud")
    return target


@pytest.fixture(scope="module")
def secrets(checkout):
    return yaml.safe_load((checkout / "pillar" / "secrets.yaml").read_text())


def show(checkout, node, grains=None, *args):
    code, high = salt_call(checkout, node, "state.show_sls", "compute", *args, grains=grains)
    assert code == 0 and isinstance(high, dict), high
    return high


def node_ip(node):
    return inventory()["nodes"][node.split(".")[0]]["ip"]


def expected_nova_conf(node, secrets):
    return runbook.nova_conf(node_ip(node), HEAD, secrets["nova_dbpass"], secrets["nova_pass"])


@pytest.fixture(scope="module")
def compiled(checkout):
    """{node: compiled compute SLS} for the four compute nodes, with RedHat grains."""
    return {node: show(checkout, node, node_grains(node)) for node in COMPUTE}


@pytest.mark.parametrize("node", COMPUTE)
def test_nova_conf_is_one_state_with_every_runbook_setting(compiled, secrets, node):
    high = compiled[node]
    ini_states = [sid for sid in high if "openstack_ini" in high[sid]]
    assert set(ini_states) == {"openstack-repo-file-configured", "nova-config-file-managed"}
    fun, args = args_of(high, "nova-config-file-managed")
    assert fun == "openstack_ini.present"
    assert (args["name"], args["user"], args["group"], args["mode"]) == (
        "/etc/nova/nova.conf",
        "root",
        "nova",
        "0640",
    )
    assert args["sections"] == expected_nova_conf(node, secrets)


@pytest.mark.parametrize("node", COMPUTE)
def test_ifcfg_files_are_the_runbooks_with_the_nodes_mac(compiled, node):
    high = compiled[node]
    fun, em1 = args_of(high, "network-bridge-physical-ifcfg-managed")
    assert fun == "file.managed"
    assert em1["name"] == "/etc/sysconfig/network-scripts/ifcfg-em1"
    assert em1["mode"] == "0644"
    assert em1["contents"] == (
        "# Managed by Salt (hlt-cloud, network.bridge): do not edit by hand.\n"
        "DEVICE=em1\n"
        f"HWADDR={MACS[node].upper()}\n"
        "ONBOOT=yes\n"
        "BOOTPROTO=none\n"
        "TYPE=Ethernet\n"
        "USERCTL=no\n"
        "PEERDNS=yes\n"
        "IPV6INIT=no\n"
        "DEFROUTE=no\n"
        "PEERROUTES=yes\n"
        "IPV4_FAILURE_FATAL=no\n"
        "BRIDGE=br100\n"
        'NAME="System em1"\n'
    )
    _, br100 = args_of(high, "network-bridge-bridge-ifcfg-managed")
    assert br100["name"] == "/etc/sysconfig/network-scripts/ifcfg-br100"
    assert br100["contents"] == (
        "# Managed by Salt (hlt-cloud, network.bridge): do not edit by hand.\n"
        "DEVICE=br100\n"
        "TYPE=Bridge\n"
        "ONBOOT=yes\n"
        "BOOTPROTO=dhcp\n"
        "PERSISTENT_DHCLIENT=1\n"
        "IPV6INIT=no\n"
    )


def test_original_ifcfg_is_backed_up_once_outside_the_network_scripts(compiled):
    high = compiled["cn44.internal"]
    fun, backup = args_of(high, "network-bridge-physical-ifcfg-backed-up")
    assert fun == "guarded.copied_once"
    assert backup["source"] == "/etc/sysconfig/network-scripts/ifcfg-em1"
    assert not backup["name"].startswith("/etc/sysconfig/network-scripts/")
    assert pathlib.PurePath(backup["name"]).name == "ifcfg-em1"
    assert backup["marker"] == "# Managed by Salt (hlt-cloud, network.bridge): do not edit by hand."
    _, em1 = args_of(high, "network-bridge-physical-ifcfg-managed")
    assert {"id": "network-bridge-physical-ifcfg-backed-up"} in em1["require"]
    # NetworkManager is off (the foundation's common.service) before the files change.
    assert {"sls": "common.service"} in em1["require"]
    assert "common-service-NetworkManager-dead" in high
    assert "common-service-network-running" in high


def test_network_restart_is_scheduled_last_and_only_on_ifcfg_changes(compiled):
    fun, restart = args_of(compiled["cn44.internal"], "network-bridge-restart-scheduled")
    assert fun == "cmd.run"
    assert restart["onchanges"] == [{"sls": "network.bridge.file"}]
    assert restart["order"] == "last"
    assert restart["bg"] is True
    assert restart["name"] == (
        "setsid sh -c 'sleep 60; service network restart' "
        ">>/var/log/hltcloud-network-restart.log 2>&1"
    )


def test_ipv6_is_disabled_through_sysctl_d(compiled):
    high = compiled["cn44.internal"]
    fun, sysctl = args_of(high, "network-ipv6-sysctl-file-managed")
    assert fun == "file.managed"
    assert sysctl["name"] == "/etc/sysctl.d/disable_ipv6.conf"
    assert sysctl["contents"] == "net.ipv6.conf.all.disable_ipv6=1\n"
    _, load = args_of(high, "network-ipv6-sysctl-file-loaded")
    assert load["name"] == "sysctl -p /etc/sysctl.d/disable_ipv6.conf"
    assert load["onchanges"] == [{"file": "network-ipv6-sysctl-file-managed"}]


def test_rdo_repo_and_the_python_oslo_config_hack(compiled):
    high = compiled["cn44.internal"]
    assert args_of(high, "openstack-repo-priorities-plugin-installed")[1]["pkgs"] == [
        "yum-plugin-priorities"
    ]
    # Fetched over http, checked against the pinned sha256, installed from that file.
    fun, fetched = args_of(high, "openstack-repo-release-rpm-downloaded")
    assert fun == "file.managed"
    assert fetched["name"] == "/var/cache/hltcloud/rpms/rdo-release-icehouse-3.noarch.rpm"
    assert fetched["source"] == (
        "http://repos.fedorapeople.org/repos/openstack/openstack-icehouse/"
        "rdo-release-icehouse-3.noarch.rpm"
    )
    assert fetched["source_hash"] == "sha256=" + PINS["release_rpm_sha256"]
    _, release = args_of(high, "openstack-repo-release-package-installed")
    assert release["sources"] == [{"rdo-release": fetched["name"]}]
    assert {"id": "openstack-repo-release-rpm-downloaded"} in release["require"]
    _, repo_file = args_of(high, "openstack-repo-file-configured")
    assert repo_file["name"] == "/etc/yum.repos.d/rdo-release.repo"
    assert repo_file["sections"] == {
        "openstack-icehouse": {
            "baseurl": "http://repos.fedorapeople.org/repos/openstack/openstack-icehouse/fedora-20/",
            "priority": 1,
        }
    }
    fun, oslo = args_of(high, "openstack-repo-rpm-python-oslo-config-downloaded")
    assert fun == "file.managed"
    assert oslo["source"].startswith("ftp://")
    assert oslo["source_hash"] == "sha256=" + PINS["python-oslo-config"]
    _, hack = args_of(high, "openstack-repo-extra-rpms-installed")
    assert hack["sources"] == [
        {"python-oslo-config": "/var/cache/hltcloud/rpms/" + OSLO_CONFIG_FC20}
    ]
    assert {"id": "openstack-repo-rpm-python-oslo-config-downloaded"} in hack["require"]
    # The role's packages (the nova ones among them) come after the repository.
    assert {"sls": "openstack.repo"} in args_of(high, "compute-packages-installed")[1]["require"]


def test_packages_and_services_are_the_runbooks(compiled):
    high = compiled["cn44.internal"]
    # One package state for the role's OpenStack packages (salt/packages.jinja).
    assert args_of(high, "compute-packages-installed")[1]["pkgs"] == [
        "openstack-nova-compute",
        "openstack-utils",
        "openstack-nova-network",
        "openstack-nova-api",
    ]
    for sid in ("nova-compute-packages-installed", "nova-network-packages-installed"):
        fun, args = args_of(high, sid)
        assert (fun, args["require"]) == (
            "test.succeed_without_changes",
            [{"id": "compute-packages-installed"}],
        )
    running = {
        args["name"]: args
        for fun, args in (args_of(high, sid) for sid in high)
        if fun == "service.running"
    }
    assert set(running) == {
        "iptables",  # the firewall's, started after its rules load
        "ip6tables",  # the firewall's IPv6 twin, likewise
        "network",  # common: `service network start` once NetworkManager is stopped
        "libvirtd",
        "dbus",
        "openstack-nova-compute",
        "openstack-nova-network",
        "openstack-nova-metadata-api",
    }
    assert all(args["enable"] is True for args in running.values())
    for name in ("openstack-nova-compute", "openstack-nova-network", "openstack-nova-metadata-api"):
        assert running[name]["watch"] == [{"id": "nova-config-file-managed"}], name


def test_no_dhclient_exit_hook_is_installed_and_a_leftover_one_goes(compiled):
    high = compiled["cn44.internal"]
    hooks = [sid for sid in high if "dhclient-exit-hooks" in json.dumps(args_of(high, sid)[1])]
    assert hooks == ["network-dhclient-runbook-hook-absent"]
    fun, hook = args_of(high, "network-dhclient-runbook-hook-absent")
    assert fun == "guarded.absent_if_matches"
    assert "openstack\\-nova\\-network" in hook["pattern"]


def test_virt_type_and_ports_come_from_pillar_when_set(checkout):
    lookup = {
        "hltcloud": {
            "lookup": {
                "nova": {
                    "compute": {"settings": {"libvirt": {"virt_type": "kvm"}}},
                    "novncproxy": {"port": 16080},
                }
            }
        }
    }
    high = show(
        checkout, "cn45.internal", node_grains("cn45.internal"), f"pillar={json.dumps(lookup)}"
    )
    sections = args_of(high, "nova-config-file-managed")[1]["sections"]
    assert sections["libvirt"]["virt_type"] == "kvm"
    assert sections["DEFAULT"]["novncproxy_base_url"] == f"http://{HEAD}:16080/vnc_auto.html"


def test_debian_test_host_gets_no_ifcfg_files_and_no_repo(checkout):
    high = show(checkout, "cn44.internal")
    assert "network-bridge-physical-ifcfg-managed" not in high
    assert "network-bridge-restart-scheduled" not in high
    assert args_of(high, "network-bridge-not-applicable")[0] == "test.succeed_without_changes"
    assert args_of(high, "openstack-repo-not-needed")[0] == "test.succeed_without_changes"
    assert "nova-config-file-managed" in high


def failing_comment(high, state_id):
    """The comment of ``state_id``, which must be one failing state (macros.jinja's failed())."""
    fun, args = args_of(high, state_id)
    assert fun == "hltcloud.failed"
    return args["comment"]


def test_missing_em1_mac_fails_clearly_and_writes_no_ifcfg_file(checkout):
    grains = {
        **REDHAT,
        "hwaddr_interfaces": {"lo": "00:00:00:00:00:00", "eth0": "52:54:00:12:34:56"},
    }
    high = show(checkout, "cn44.internal", grains)
    comment = failing_comment(high, "network-bridge-ifcfg-files-managed")
    assert "hwaddr_interfaces has no MAC address for em1 on cn44.internal" in comment
    assert not [sid for sid in high if sid.endswith("-ifcfg-managed")]
    # nova.conf does not depend on the MAC.
    assert args_of(high, "nova-config-file-managed")[0] == "openstack_ini.present"


def test_missing_em1_mac_fails_the_dry_run_with_that_message(checkout, tmp_path):
    # The Debian host with the RedHat network-scripts path pointed at a temp dir: the state
    # runs (test=True) and fails with the message, nothing else about the bridge runs.
    lookup = {"hltcloud": {"lookup": {"network": {"bridge": {"scripts_dir": str(tmp_path)}}}}}
    code, ret = salt_call(
        checkout,
        "cn44.internal",
        "state.apply",
        "network.bridge",
        "test=True",
        f"pillar={json.dumps(lookup)}",
    )
    assert code != 0
    by_id = {state["__id__"]: state for state in ret.values()}
    failed = by_id["network-bridge-ifcfg-files-managed"]
    assert failed["result"] is False
    assert "no MAC address for em1" in failed["comment"]
    assert "Traceback" not in json.dumps(ret)
    assert list(tmp_path.iterdir()) == []


def _failing_states(high):
    return sorted(sid for sid in high if args_of(high, sid)[0] == "hltcloud.failed")


def test_node_without_mgmt_ipv4_fails_one_state_and_the_rest_compiles(checkout):
    # An inventory node whose grain mgmt_ipv4 is empty (a static grain hides the
    # inventory's address): its pillar and secrets are all there.
    high = show(checkout, "cn44.internal", {**node_grains("cn44.internal"), "mgmt_ipv4": ""})
    assert _failing_states(high) == ["nova-config-file-managed"]
    comment = failing_comment(high, "nova-config-file-managed")
    assert "grain mgmt_ipv4 is missing on cn44.internal" in comment
    assert "secrets" not in comment
    assert "None" not in json.dumps(high)
    assert args_of(high, "network-bridge-physical-ifcfg-managed")[0] == "file.managed"
    assert args_of(high, "compute-packages-installed")[0] == "pkg.installed"


def test_node_without_pillar_fails_the_states_needing_it_and_the_rest_compiles(checkout, secrets):
    # The real path to a node with no secret: an id outside the inventory that
    # calls itself a compute node (static grain role). It gets the compute states
    # by its grain, but no pillar: pillar/top.sls hands pillar out by inventory id.
    # The three states that need pillar fail, each saying what it misses.
    grains = {**node_grains("cn44.internal"), "role": "compute", "mgmt_ipv4": "10.162.128.98"}
    high = show(checkout, "rogue.example.org", grains)
    assert _failing_states(high) == [
        "firewall-config-file-managed",
        "network-bridge-ifcfg-files-managed",
        "nova-config-file-managed",
    ]
    assert "cluster:nodes" in failing_comment(high, "firewall-config-file-managed")
    assert "pillar cluster:interfaces" in failing_comment(
        high, "network-bridge-ifcfg-files-managed"
    )
    comment = failing_comment(high, "nova-config-file-managed")
    assert "pillar secrets:nova_dbpass is missing on rogue.example.org" in comment
    assert "pillar secrets:nova_pass is missing on rogue.example.org" in comment
    assert "make secrets" in comment
    assert "None" not in json.dumps(args_of(high, "nova-config-file-managed"))
    shown = json.dumps(high)
    assert [name for name, value in secrets.items() if value in shown] == []
    assert args_of(high, "compute-packages-installed")[0] == "pkg.installed"
    assert args_of(high, "network-ipv6-sysctl-file-managed")[0] == "file.managed"


def test_a_dry_run_at_trace_level_prints_no_secret(checkout, secrets, tmp_path):
    """
    The full salt-call output (stdout, and every logger at trace on stderr) of a
    dry run of nova.conf, whose sections hold nova_dbpass and nova_pass. test=True:
    on this host the package states only say what they would install.
    """
    conf = tmp_path / "nova.conf"
    shutil.copy(pathlib.Path(__file__).parent / "files" / "nova.conf.stock", conf)
    lookup = {"hltcloud": {"lookup": {"nova": {"conf": {"path": str(conf), "group": "root"}}}}}
    proc = subprocess.run(
        [
            SALT_CALL,
            "--id",
            "cn44.internal",
            "--log-level=trace",
            "state.apply",
            "nova.config.file",
            "test=True",
            f"pillar={json.dumps(lookup)}",
        ],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert "ID: nova-config-file-managed" in output, output[-3000:]
    assert "database/connection" in output  # the secret settings are there, by name
    assert "[TRACE   ]" in output  # trace logging really was on
    assert [name for name, value in secrets.items() if value in output] == []
    assert (
        conf.read_text()
        == (pathlib.Path(__file__).parent / "files" / "nova.conf.stock").read_text()
    )
