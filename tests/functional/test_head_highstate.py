"""
The head's compiled highstate (cn43, `salt -G role:head state.apply head`) checked against
the runbook's "Getting started", "Backing database", "OpenStack packages", "Messaging
server", "Keystone: identity server" and "Client node configuration": masterless
`salt-call --id cn43.internal state.show_highstate / show_lowstate` in a copy of the checkout
with its own secrets.

What this Debian host cannot run (RDO packages, the units, qpidd) is checked here as
compiled: cn43 runs RedHat, so static grains stand in for its own (os_family RedHat, and
10.162.128.63, its address from the inventory, among its ipv4 addresses). Nothing is applied.
MariaDB and Keystone themselves run for real in tests/functional/mariadb and
tests/functional/test_head_keystone.py.
"""

import json
import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

from tests.functional.test_compute_highstate import (  # noqa: F401 (fixtures)
    args_of,
    checkout,
    failing_comment,
    salt_call,
    secrets,
)
from tests.support.salt_python import SALT, pins, requirement_files

HEAD = "cn43.internal"
IP = "10.162.128.63"
GRAINS = {"os_family": "RedHat", "os": "Fedora", "osmajorrelease": 19, "ipv4": ["127.0.0.1", IP]}


def show(checkout, grains=GRAINS, *args, fun="state.show_highstate"):
    code, high = salt_call(checkout, HEAD, fun, *args, grains=grains)
    assert code == 0 and isinstance(high, (dict, list)), high
    return high


@pytest.fixture(scope="module")
def high(checkout):
    return show(checkout)


@pytest.fixture(scope="module")
def low(checkout):
    """The low chunks in the order the state run executes them (requisites and order)."""
    chunks = show(checkout, GRAINS, fun="state.show_lowstate")
    return {chunk["__id__"]: chunk for chunk in chunks}


def test_head_bundle_includes_the_formulas_in_the_runbooks_order(repo_root):
    import yaml

    bundle = yaml.safe_load((repo_root / "salt" / "head.sls").read_text())
    assert bundle["include"] == [
        "validate",
        "firewall",
        "common",
        "openstack.repo",
        "mariadb",
        "qpid",
        "keystone",
        "client",
        "glance",
        "nova.controller",
        "backup",
    ]


def test_head_highstate_does_not_create_the_demo_network(high):
    # Creating it needs a nova-network, which only the compute nodes run: on a new
    # cluster cn43's first highstate comes before any (orch.cloud applies it after them).
    assert not [sid for sid in high if sid.startswith("nova-flat-network")]


def test_getting_started_and_the_rdo_repository(high):
    assert "common-service-NetworkManager-dead" in high
    assert "common-service-network-running" in high
    # firewalld off and iptables on belong to the firewall formula: iptables only with its rules
    assert "firewall-conflicting-service-firewalld-dead" in high
    assert "firewall-service-running" in high
    _, repo = args_of(high, "openstack-repo-file-configured")
    assert repo["sections"]["openstack-icehouse"]["priority"] == 1


def test_mariadb_packages_settings_and_service(high):
    assert args_of(high, "mariadb-packages-installed")[1]["pkgs"] == [
        "mariadb-server",
        "MySQL-python",
    ]
    fun, conf = args_of(high, "mariadb-config-file-managed")
    assert fun == "file.managed"
    assert conf["name"] == "/etc/my.cnf.d/openstack.cnf"
    assert conf["contents"].splitlines()[1:] == [
        "[mysqld]",
        f"bind-address = {IP}",
        "default-storage-engine = innodb",
        "innodb_file_per_table",
        "collation-server = utf8_general_ci",
        "init-connect = 'SET NAMES utf8'",
        "character-set-server = utf8",
    ]
    fun, service = args_of(high, "mariadb-service-running")
    assert fun == "service.running"
    assert (service["name"], service["enable"]) == ("mariadb", True)
    assert service["watch"] == [{"id": "mariadb-config-file-managed"}]


def test_mysql_secure_installation_as_states(high, secrets):
    fun, root = args_of(high, "mariadb-root-password-set")
    assert fun == "mysql_user.present"
    assert (root["name"], root["host"]) == ("root", "localhost")
    assert root["password"] == secrets["mysql_root_password"]
    assert root["connection_unix_socket"] == "/var/lib/mysql/mysql.sock"
    fun, cnf = args_of(high, "mariadb-root-defaults-file-managed")
    assert (cnf["name"], cnf["mode"], cnf["user"]) == ("/root/.my.cnf", "0600", "root")
    assert f'password="{secrets["mysql_root_password"]}"' in cnf["contents"]
    assert cnf["show_changes"] is False
    # mysql_secure_installation's accounts: root at the local hosts only, no anonymous one,
    # whatever hosts the server holds (no fixed list of mysql_user.absent states)
    states = [args_of(high, sid) for sid in high if sid != "__extend__"]
    confined = {
        args["name"]: args["hosts"] for fun, args in states if fun == "mysql_accounts.confined"
    }
    assert confined == {"": [], "root": ["localhost", "127.0.0.1", "::1"]}
    assert not [args for fun, args in states if fun == "mysql_user.absent"]
    for host in ("127.0.0.1", "::1"):
        fun, local = args_of(high, f"mariadb-root-at-{host}-password-set")
        assert (fun, local["host"]) == ("mysql_user.present", host)
        assert local["password"] == secrets["mysql_root_password"]
    fun, test_db = args_of(high, "mariadb-test-database-absent")
    assert (fun, test_db["name"], test_db["connection_default_file"]) == (
        "mysql_database.absent",
        "test",
        "/root/.my.cnf",
    )
    _, grants = args_of(high, "mariadb-test-database-grants-absent")
    assert (
        "DELETE FROM mysql.db WHERE Db='test' OR Db='test\\\\_%'; FLUSH PRIVILEGES"
        in (grants["name"])
    )


def test_keystone_database_and_its_users(high, secrets):
    assert args_of(high, "mariadb-database-keystone-present")[1]["name"] == "keystone"
    for tag, host in (("localhost", "localhost"), ("any", "%")):
        _, user = args_of(high, f"mariadb-user-keystone-{tag}-present")
        assert (user["name"], user["host"]) == ("keystone", host)
        assert user["password"] == secrets["keystone_dbpass"]
        _, grant = args_of(high, f"mariadb-grant-keystone-{tag}-present")
        assert (grant["grant"], grant["database"], grant["user"], grant["host"]) == (
            "ALL PRIVILEGES",
            "keystone.*",
            "keystone",
            host,
        )


def test_qpid_without_authentication(high):
    assert args_of(high, "qpid-packages-installed")[1]["pkgs"] == ["qpid-cpp-server"]
    fun, conf = args_of(high, "qpid-config-file-managed")
    assert fun == "file.replace"
    assert (conf["name"], conf["repl"]) == ("/etc/qpidd.conf", "auth=no")
    assert args_of(high, "qpid-config-auth-duplicates-absent")[1]["name"] == "/etc/qpidd.conf"
    fun, service = args_of(high, "qpid-service-running")
    assert (fun, service["name"], service["enable"]) == ("service.running", "qpidd", True)


def test_keystone_conf_holds_the_two_hand_edited_lines(high, secrets):
    fun, conf = args_of(high, "keystone-config-file-managed")
    assert fun == "openstack_ini.present"
    assert (conf["name"], conf["user"], conf["group"], conf["mode"]) == (
        "/etc/keystone/keystone.conf",
        "root",
        "keystone",
        "0640",
    )
    assert conf["sections"] == {
        "DEFAULT": {"admin_token": secrets["admin_token"]},
        "database": {
            "connection": f"mysql://keystone:{secrets['keystone_dbpass']}@localhost/keystone"
        },
    }


def test_keystone_packages_keys_log_db_sync_cron_and_service(high):
    assert args_of(high, "keystone-packages-installed")[1]["pkgs"] == [
        "openstack-keystone",
        "python-keystoneclient",
    ]
    _, pki = args_of(high, "keystone-pki-setup")
    assert pki["name"] == (
        "/usr/bin/keystone-manage pki_setup --keystone-user keystone --keystone-group keystone"
    )
    assert pki["creates"] == [
        "/etc/keystone/ssl/certs/signing_cert.pem",
        "/etc/keystone/ssl/private/signing_key.pem",
    ]
    _, ssl = args_of(high, "keystone-pki-ssl-dir-owned")
    assert (ssl["name"], ssl["user"], ssl["group"]) == ("/etc/keystone/ssl", "keystone", "keystone")
    assert ssl["recurse"] == ["user", "group"]
    _, closed = args_of(high, "keystone-pki-ssl-dir-closed-to-others")
    assert closed["name"] == "chmod -R o-rwx /etc/keystone/ssl"
    _, log = args_of(high, "keystone-log-file-permissions")
    assert (log["name"], log["group"], log["mode"], log["replace"]) == (
        "/var/log/keystone/keystone.log",
        "keystone",
        "0660",
        False,
    )
    _, sync = args_of(high, "keystone-db-synced")
    assert (sync["name"], sync["runas"]) == (
        "/usr/bin/keystone-manage --config-file /etc/keystone/keystone.conf db_sync",
        "keystone",
    )
    assert sync["onchanges"] == [
        {"id": "keystone-packages-installed"},
        {"id": "mariadb-database-keystone-present"},
    ]
    fun, cron = args_of(high, "keystone-token-flush-cron-present")
    assert fun == "cron.present"
    assert (cron["user"], cron["special"], cron["identifier"]) == ("keystone", "@hourly", False)
    assert cron["name"] == (
        "/usr/bin/keystone-manage token_flush >/var/log/keystone/keystone-tokenflush.log 2>&1"
    )
    fun, service = args_of(high, "keystone-service-running")
    assert (fun, service["name"], service["enable"]) == (
        "service.running",
        "openstack-keystone",
        True,
    )
    assert service["watch"] == [{"id": "keystone-config-file-managed"}]


def test_keystoneauth1_goes_into_the_salt_python_before_the_catalog(high, low):
    fun, pip = args_of(high, "keystone-salt-python-packages-installed")
    assert fun == "salt_python.installed"
    assert pip["name"] == "salt://parameters/keystone-salt-requirements.txt"
    assert pip["bin_env"].endswith("python") or "python" in pip["bin_env"]
    assert pip["reload_modules"] is True
    ready = low["keystone-catalog-ready"]
    assert {"id": "keystone-salt-python-packages-installed"} in ready["require"]


def test_the_pip_states_and_the_3006_leg_install_the_files_of_salt_parameters(high, repo_root):
    # One source: each pip state installs salt://<its formula's salt_pip_requirements> (and
    # checks its pins, read from that file); tools/install-salt3006.sh installs the same
    # files into the 3006.8 leg.
    files = {key.split(":")[1]: path for key, path in requirement_files().items()}
    assert sorted(files) == ["keystone", "mariadb"]
    for formula, path in files.items():
        fun, pip = args_of(high, f"{formula}-salt-python-packages-installed")
        assert (fun, pip["name"]) == ("salt_python.installed", f"salt://{path}")
        assert pins(SALT / path)
    listed = subprocess.run(
        [str(repo_root / "tools" / "install-salt3006.sh"), "--list"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()
    assert listed == [f"salt/{files['mariadb']}", f"salt/{files['keystone']}"]


def test_config_then_db_sync_then_service_then_catalog(low):
    order = [
        "keystone-config-file-managed",
        "keystone-db-synced",
        "keystone-service-running",
        "keystone-catalog-ready",
        "keystone-user-admin-present",
        "keystone-token-admin-verified",
    ]
    positions = [low[sid]["order"] for sid in order]
    assert positions == sorted(positions)
    assert {"sls": "keystone.service.running"} in low["keystone-catalog-ready"]["require"]
    assert {"id": "keystone-catalog-ready"} in low["keystone-user-admin-present"]["require"]
    assert {"sls": "keystone.db"} in low["keystone-service-running"]["require"]


def test_catalog_is_built_from_parameters_and_the_head_name(high):
    _, endpoint = args_of(high, "keystone-endpoint-keystone-admin-present")
    assert endpoint["url"] == "http://cn43.internal:35357/v2.0"
    assert endpoint["auth"] == {"auth_url": "http://cn43.internal:35357/v3"}
    assert args_of(high, "keystone-endpoint-keystone-public-present")[1]["url"] == (
        "http://cn43.internal:5000/v2.0"
    )
    assert args_of(high, "keystone-endpoint-glance-internal-present")[1]["url"] == (
        "http://cn43.internal:9292"
    )
    assert args_of(high, "keystone-endpoint-nova-public-present")[1]["url"] == (
        "http://cn43.internal:8774/v2/%(tenant_id)s"
    )
    for user in ("admin", "demo", "glance", "nova"):
        assert args_of(high, f"keystone-user-{user}-present")[1]["email"] == (
            "dario.berzano@cern.ch"
        )


def test_clients_and_profiles_for_root_and_the_openstack_group(high, secrets):
    assert args_of(high, "client-packages-installed")[1]["pkgs"] == [
        "python-novaclient",
        "python-glanceclient",
        "openstack-utils",
    ]
    # the runbook's normal user runs the script: it holds no secret
    _, script = args_of(high, "client-script-managed")
    assert (script["name"], script["user"], script["mode"]) == (
        "/usr/local/bin/enter-openstack.sh",
        "root",
        "0755",
    )
    assert "export OS_AUTH_URL=http://cn43.internal:35357/v2.0\n" in script["contents"]
    assert secrets["admin_pass"] not in script["contents"]
    assert args_of(high, "client-group-present")[1]["name"] == "openstack"
    _, directory = args_of(high, "client-profiles-dir-managed")
    assert (directory["name"], directory["group"], directory["mode"]) == (
        "/etc/openstack/profiles",
        "openstack",
        "0750",
    )
    # the admin profile for root and the group openstack; the demo profile for root only
    for name, group, mode in (("admin", "openstack", "0640"), ("demo", "root", "0600")):
        _, profile = args_of(high, f"client-profile-{name}-managed")
        assert (profile["user"], profile["group"], profile["mode"], profile["show_changes"]) == (
            "root",
            group,
            mode,
            False,
        )
        assert profile["contents"].splitlines()[1:] == [
            f"export OS_USERNAME={name}",
            f"export OS_PASSWORD='{secrets[name + '_pass']}'",
            f"export OS_TENANT_NAME={name}",
        ]
    # the root-only files of earlier versions go
    assert args_of(high, "client-retired-files-absent")[1]["names"] == [
        "/root/bin/enter-openstack.sh",
        "/root/.openstack",
    ]


# -- bad input: one failing state that names the key, everything else waits on it ------------


def test_bind_address_not_on_the_node_fails_one_state(checkout):
    high = show(checkout, {"os_family": "RedHat", "ipv4": ["127.0.0.1", "192.0.2.7"]})
    comment = failing_comment(high, "mariadb-input-checked")
    assert f"bind-address {IP} (grain mgmt_ipv4) is not an address of {HEAD}" in comment
    # the drop-in and the packages wait for that check
    assert {"sls": "mariadb.package.install"} in args_of(high, "mariadb-config-file-managed")[1][
        "require"
    ]
    assert {"id": "mariadb-input-checked"} in args_of(high, "mariadb-packages-installed")[1][
        "require"
    ]


def test_unknown_os_family_fails_one_state_per_formula(checkout):
    high = show(checkout, {"os_family": "Solaris", "ipv4": ["127.0.0.1", IP]})
    assert "os_family Solaris" in failing_comment(high, "mariadb-input-checked")
    assert "salt/parameters/osfamilymap.yaml" in failing_comment(high, "keystone-input-checked")


@pytest.mark.parametrize(
    ("grains", "dump"),
    [
        (GRAINS, "mysqldump"),
        ({**GRAINS, "os": "CentOS", "osmajorrelease": 7}, "mysqldump"),
        ({"os_family": "Debian", "ipv4": ["127.0.0.1", IP]}, "mariadb-dump"),
    ],
    ids=["fedora19", "centos7", "debian"],
)
def test_backups_root_folder_nightly_job_and_dump_command(checkout, grains, dump):
    high = show(checkout, grains)
    _, folder = args_of(high, "backup-dir-managed")
    assert (folder["name"], folder["user"], folder["dir_mode"]) == (
        "/var/backups/hltcloud",
        "root",
        "0700",
    )
    _, cron = args_of(high, "backup-cron-file-managed")
    assert cron["name"] == "/etc/cron.d/hltcloud-backup"
    assert cron["contents"].splitlines()[1:] == [
        "30 2 * * * root /usr/bin/salt-call hltcloud.backup >> /var/log/hltcloud-backup.log 2>&1"
    ]
    # What hltcloud.backup reads on that node (salt://map.jinja): the dump and its data.
    code, settings = salt_call(checkout, HEAD, "hltcloud_backup.settings", grains=grains)
    assert code == 0, settings
    assert settings["backup"]["dump"]["cmd"] == dump
    assert settings["databases"] == ["keystone", "glance", "nova"]
    assert settings["defaults_file"] == "/root/.my.cnf"
    assert settings["images_dir"] == "/var/lib/glance/images"


def test_missing_database_password_fails_one_state(checkout):
    override = json.dumps({"secrets": {"keystone_dbpass": ""}})
    high = show(checkout, GRAINS, f"pillar={override}")
    assert "pillar secrets:keystone_dbpass is missing" in failing_comment(
        high, "keystone-input-checked"
    )
    failing = [
        sid for sid in high if sid != "__extend__" and args_of(high, sid)[0] == "hltcloud.failed"
    ]
    assert failing == ["keystone-input-checked"]
    assert "None" not in json.dumps(args_of(high, "keystone-config-file-managed"))


def test_missing_root_password_fails_one_state(checkout):
    override = json.dumps({"secrets": {"mysql_root_password": ""}})
    high = show(checkout, GRAINS, f"pillar={override}")
    assert "pillar secrets:mysql_root_password is missing" in failing_comment(
        high, "mariadb-input-checked"
    )


def test_no_keystone_pillar_on_the_head_fails_one_state(checkout):
    high = show(checkout, GRAINS, f"pillar={json.dumps({'keystone': None})}")
    assert "pillar keystone" in failing_comment(high, "keystone-input-checked")
    failing = [
        sid for sid in high if sid != "__extend__" and args_of(high, sid)[0] == "hltcloud.failed"
    ]
    # The catalog's own check waits for keystone-input-checked (keystone/init.sls); the
    # client profiles cannot be written without the users' passwords and say so.
    assert sorted(failing) == [
        "client-config-files-managed",
        "keystone-catalog-ready",
        "keystone-input-checked",
    ]
    assert "keystone:users:admin:password" in failing_comment(high, "client-config-files-managed")


def test_enter_openstack_sh_enters_a_profile_and_refuses_unknown_ones(checkout, tmp_path):
    # The compiled script and profiles, written to a temp dir and run for real with bash.
    lookup = {"hltcloud": {"lookup": {"client": {"profiles": {"dir": str(tmp_path)}}}}}
    high = show(checkout, GRAINS, f"pillar={json.dumps(lookup)}")
    script = tmp_path / "enter-openstack.sh"
    script.write_text(args_of(high, "client-script-managed")[1]["contents"])
    for name in ("admin", "demo"):
        _, profile = args_of(high, f"client-profile-{name}-managed")
        assert profile["name"] == str(tmp_path / name)
        (tmp_path / name).write_text(profile["contents"])
    shell = 'echo "$OS_USERNAME|$OS_TENANT_NAME|$OS_AUTH_URL|${#OS_PASSWORD}"\n'
    entered = subprocess.run(
        ["bash", str(script), "demo"], input=shell, capture_output=True, text=True, check=False
    )
    assert entered.returncode == 0, entered.stderr
    assert entered.stdout.splitlines()[-1] == "demo|demo|http://cn43.internal:35357/v2.0|20"
    for bad in ("nosuch", "../demo", ""):
        refused = subprocess.run(
            ["bash", str(script), bad], input=shell, capture_output=True, text=True, check=False
        )
        assert refused.returncode in (1, 2), bad
        assert "|" not in refused.stdout


@pytest.fixture
def unix_users():
    """A member of a test group and a user who is not one, removed afterwards (needs root)."""
    if os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("runuser"):
        pytest.skip("creates Unix users and runs as them: needs root, useradd and runuser")
    tag = f"{os.getpid() % 100000}"
    names = {"group": f"hlt-os{tag}", "member": f"hlt-m{tag}", "other": f"hlt-o{tag}"}
    for user in (names["member"], names["other"]):
        subprocess.run(["useradd", "-M", "-N", "-s", "/bin/bash", user], check=True)
    try:
        yield names
    finally:
        for user in (names["member"], names["other"]):
            subprocess.run(["userdel", user], check=False)
        subprocess.run(["groupdel", names["group"]], check=False, capture_output=True)


def test_a_member_of_the_group_enters_the_admin_profile_and_reads_no_other(checkout, unix_users):
    # Applied for real (Debian grains, no package installed) with every path in a folder
    # the test users can reach, then run as those users.
    base = pathlib.Path(tempfile.mkdtemp(prefix="hlt-client-", dir="/tmp"))
    base.chmod(0o755)
    lookup = {
        "pkgs": [],
        "script": {"path": str(base / "bin" / "enter-openstack.sh")},
        "group": {"name": unix_users["group"]},
        "profiles": {"dir": str(base / "profiles")},
        "retired": [str(base / "old-root-profiles")],
    }
    (base / "old-root-profiles").mkdir(mode=0o700)
    pillar = {
        "hltcloud": {"lookup": {"client": lookup}},
        "client": {"members": [unix_users["member"]]},
    }
    args = ("state.sls", "client.config.file", f"pillar={json.dumps(pillar)}")
    try:
        code, first = salt_call(checkout, HEAD, *args)
        assert code == 0, first
        assert all(r["result"] for r in first.values()), first
        assert not (base / "old-root-profiles").exists()

        def enter(user, profile):
            shell = 'echo "$OS_USERNAME|$OS_TENANT_NAME|${#OS_PASSWORD}"\n'
            return subprocess.run(
                ["runuser", "-u", user, "--", "bash", lookup["script"]["path"], profile],
                input=shell,
                capture_output=True,
                text=True,
                check=False,
                cwd="/",
            )

        entered = enter(unix_users["member"], "admin")
        assert entered.returncode == 0, entered.stderr
        assert entered.stdout.splitlines()[-1] == "admin|admin|20"
        refused = enter(unix_users["member"], "demo")
        assert refused.returncode == 3 and "|" not in refused.stdout
        assert "is not for you" in refused.stdout
        demo = subprocess.run(
            ["runuser", "-u", unix_users["member"], "--", "cat", str(base / "profiles" / "demo")],
            capture_output=True,
            check=False,
        )
        assert demo.returncode != 0 and not demo.stdout
        # not in the group: no profile at all
        outsider = enter(unix_users["other"], "admin")
        assert outsider.returncode in (2, 3) and "|" not in outsider.stdout
        # the second run changes nothing
        code, second = salt_call(checkout, HEAD, *args)
        assert code == 0 and [sid for sid, r in second.items() if r["changes"]] == []
    finally:
        shutil.rmtree(base, ignore_errors=True)
