"""
The firewall's data (salt/parameters firewall): the runbook's port table kept as written, what
the cloud adds to it, and the RedHat/Debian names of the rules file and boot service.
"""

import yaml

from _utils import hltcloud_schema
from tests.conftest import REPO
from tests.support import runbook
from tests.unit.test_compute_data import _load, _merged, bundle_includes

SALT = REPO / "salt"


def test_runbook_port_table_is_kept_as_written_with_its_marks():
    assert _load("defaults.yaml")["firewall"]["runbook_ports"] == runbook.firewall_table()


def test_every_mark_of_the_tables_has_a_meaning():
    firewall = _load("defaults.yaml")["firewall"]
    marks = firewall["marks"]
    assert marks == {"✔": "open", "?": "closed", "": "closed", "nodes": "nodes", "head": "head"}
    for row in firewall["runbook_ports"] + firewall["cloud_ports"]:
        assert row["head"] in marks and row["compute"] in marks, row


def cloud_rows(parameters=None):
    """The cloud rows by port, each ``port_of`` read from the parameters (defaults.yaml)."""
    parameters = parameters or _load("defaults.yaml")
    table = hltcloud_schema.firewall_table(
        {"cloud_ports": parameters["firewall"]["cloud_ports"]}, parameters
    )
    return {row["port"]: row for row in table}


def test_cloud_adds_salt_to_the_head_and_keeps_mariadb_and_keystone_admin_to_the_nodes():
    rows = cloud_rows()
    assert (rows["4505-4506"]["head"], rows["4505-4506"]["compute"]) == ("✔", "")
    for port in ("3306", "35357"):
        assert (rows[port]["head"], rows[port]["compute"]) == ("nodes", ""), port


def test_qpid_is_for_the_nodes_and_vnc_for_the_head_only():
    # both "✔" in the runbook's table, which means "needed", not "needed by everyone"
    rows = cloud_rows()
    assert (rows["5672"]["head"], rows["5672"]["compute"]) == ("nodes", "")
    assert (rows["5900-5999"]["head"], rows["5900-5999"]["compute"]) == ("", "head")


def test_ssh_is_always_open_and_forward_is_left_to_nova_network_on_compute_nodes():
    firewall = _load("defaults.yaml")["firewall"]
    assert {"port": "22", "service": "SSH"} in firewall["always_open"]
    assert firewall["forward_reject"] == {"head": True, "compute": False}


def test_redhat_rules_are_etc_sysconfig_iptables_loaded_by_the_iptables_service():
    firewall = _merged("RedHat")["firewall"]
    assert firewall["rules_file"] == "/etc/sysconfig/iptables"
    assert firewall["service"] == "iptables"
    assert firewall["pkgs"] == ["iptables-services", "ipset"]
    assert firewall["conflicting_services"] == ["firewalld"]
    assert firewall["check_cmd"] == "iptables-restore --test"
    assert firewall["load_cmd"] == "iptables-restore"
    # common enables no iptables any more: only the firewall does, with its rules.
    assert "iptables" not in _merged("RedHat")["common"]["services"]["enabled"]


def test_redhat_restores_the_nodes_ipset_before_the_iptables_service_loads_the_rules():
    # iptables.init restores the rules file only: a rule naming a missing set fails the load.
    ipset = _merged("RedHat")["firewall"]["ipset"]
    assert ipset["file"] == "/etc/sysconfig/hlt-ipset"
    assert ipset["boot_dropin"] == "/etc/systemd/system/iptables.service.d/hlt-ipset.conf"
    assert ipset["cmd"].startswith("/")  # systemd 204 wants an absolute ExecStartPre
    assert (ipset["name"], ipset["type"]) == ("hlt-nodes", "hash:ip")


def test_debian_rules_are_rules_v4_loaded_by_netfilter_persistent():
    firewall = _merged("Debian")["firewall"]
    assert firewall["rules_file"] == "/etc/iptables/rules.v4"
    assert firewall["service"] == "netfilter-persistent"
    # ipset-persistent's plugin of netfilter-persistent restores /etc/iptables/ipsets first.
    assert "ipset-persistent" in firewall["pkgs"]
    assert (firewall["ipset"]["file"], firewall["ipset"]["boot_dropin"]) == (
        "/etc/iptables/ipsets",
        None,
    )
    assert "netfilter-persistent" not in _merged("Debian")["common"]["services"]["enabled"]


def test_firewall_is_the_first_formula_of_both_roles():
    # After `validate`, the data check that changes nothing.
    for bundle in ("head.sls", "compute.sls"):
        assert bundle_includes(bundle)[:2] == [
            "validate",
            "firewall",
        ], bundle


def test_firewall_folder_has_its_install_config_service_steps_and_clean_twins():
    for step in (
        "init.sls",
        "clean.sls",
        "package/install.sls",
        "package/clean.sls",
        "config/file.sls",
        "config/clean.sls",
        "service/running.sls",
        "service/clean.sls",
        "files/rules.jinja",
        "files/ipset.jinja",
        "files/ipset-dropin.jinja",
        "rules.jinja",
    ):
        assert (SALT / "firewall" / step).is_file(), step


def test_pillar_example_documents_the_firewall_keys():
    example = yaml.safe_load((REPO / "pillar.example").read_text())
    assert set(example["firewall"]) == {"open", "sources"}
    assert example["hltcloud"]["lookup"]["firewall"]["rules_file"] == "/etc/sysconfig/iptables"


def test_the_mariadb_and_keystone_admin_rules_follow_their_services_ports():
    # One place for each port: the firewall row names the parameter (port_of), so a
    # lookup that moves Keystone's admin port or MariaDB's moves the nodes' rule too.
    parameters = _load("defaults.yaml")
    parameters["openstack"]["apis"]["identity"]["admin_port"] = 35358
    parameters["mariadb"]["port"] = 3307
    rows = cloud_rows(parameters)
    assert "35357" not in rows and "3306" not in rows
    assert rows["35358"]["service"] == "Keystone admin"
    assert rows["3307"]["service"] == "MariaDB"
    for row in parameters["firewall"]["cloud_ports"]:
        if row["service"] in ("MariaDB", "Keystone admin"):
            assert "port" not in row, row  # no second copy of the port beside port_of


def test_a_port_of_that_names_nothing_is_not_a_port():
    table = hltcloud_schema.firewall_table(
        {"cloud_ports": [{"port_of": "mariadb:nowhere", "service": "x", "head": "nodes"}]}, {}
    )
    assert table == [{"service": "x", "head": "nodes", "port": None}]
