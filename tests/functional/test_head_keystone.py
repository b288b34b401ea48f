"""
The head's Keystone end to end on this machine: the keystone formula's config and db states
write keystone.conf (admin token, ``connection = mysql+pymysql://keystone:...@127.0.0.1:<port>
/keystone``) and make the keystone database on a real MariaDB that the mariadb states
secured, run ``keystone-manage db_sync`` on it; the test serves Keystone from that
keystone.conf; ``keystone.catalog`` converges the runbook's catalog on it; a second apply of
all of it changes nothing.

Only the RDO package and the ``openstack-keystone`` unit are replaced: Keystone comes from the
test venv (``.local/keystone-venv``, tools/install-keystone.sh; ``keystone:pkgs: []``,
``keystone:manage`` its keystone-manage) and is served by the test
(tests/support/keystone_server.py; ``keystone:service: null``), as root
(``keystone:user``/``group``, the package's account), with
the Keystone 30 settings Icehouse did not need (fernet keys, log file) added through
``keystone:conf:settings``; before serving, the test makes Keystone 30's keys and runs its
``bootstrap`` for the default domain (which Icehouse's db_sync made). MariaDB is
tests/support/mariadb.py's server (``mariadb:pkgs: []``, ``mariadb:service: null``).
Debian's paths from salt/parameters, files under temp dirs.
"""

import configparser
import copy
import os
import stat
import subprocess

import pytest
import yaml

from tests.conftest import REPO
from tests.support import keystone_server, service_process
from tests.support.checkout import head_minion_opts, sls_root
from tests.support.mariadb import lookup as mariadb_lookup
from tests.support.mariadb import mariadb_server, new_secrets  # noqa: F401  (a fixture)

pytestmark = pytest.mark.slow

HEAD_SLS = """\
include:
  - keystone.config.file
  - keystone.db
"""
CATALOG_SLS = """\
include:
  - keystone.config.file
  - keystone.db
  - keystone.catalog
"""


@pytest.fixture(scope="module")
def states_root(tmp_path_factory):
    return sls_root(
        tmp_path_factory.mktemp("head-states"),
        {"keystone_head": HEAD_SLS, "keystone_all": CATALOG_SLS},
    )


@pytest.fixture(scope="module")
def minion_opts(tmp_path_factory, states_root):
    return head_minion_opts(tmp_path_factory.mktemp("head-minion"), states_root)


@pytest.fixture(scope="module")
def keystone_dir(tmp_path_factory):
    if not keystone_server.available():
        pytest.skip(
            f"no Keystone in {keystone_server.KEYSTONE_VENV}: run tools/install-keystone.sh "
            "(`make test` does)"
        )
    return tmp_path_factory.mktemp("keystone-etc")


@pytest.fixture(scope="module")
def pillar(mariadb_server, keystone_dir, tmp_path_factory):
    files = tmp_path_factory.mktemp("head-files")
    secrets = new_secrets()
    secrets.update(
        {name: os.urandom(10).hex() for name in ("admin_token", "admin_pass", "demo_pass")}
    )
    secrets.update({name: os.urandom(10).hex() for name in ("glance_pass", "nova_pass")})
    example = yaml.safe_load((REPO / "pillar" / "keystone.example.yaml").read_text())
    catalog = copy.deepcopy(example["keystone"])
    catalog["users"]["admin"]["password"] = secrets["admin_pass"]
    catalog["users"]["demo"]["password"] = secrets["demo_pass"]
    catalog["services"]["glance"]["user"]["password"] = secrets["glance_pass"]
    catalog["services"]["nova"]["user"]["password"] = secrets["nova_pass"]
    port = service_process.free_port()
    catalog["auth"] = {
        "auth_url": f"http://127.0.0.1:{port}/v3",
        "token": secrets["admin_token"],
        "retry_timeout": 30,
    }
    venv = keystone_server.KEYSTONE_VENV
    keystone = {
        "pkgs": [],
        "service": None,
        "user": "root",
        "group": "root",
        "manage": str(venv / "bin" / "keystone-manage"),
        "conf": {
            "path": str(keystone_dir / "keystone.conf"),
            "group": "root",
            "settings": {
                "DEFAULT": {"log_file": str(keystone_dir / "keystone.log"), "use_stderr": False},
                "token": {"provider": "fernet"},
                "fernet_tokens": {"key_repository": str(keystone_dir / "fernet-keys")},
                "fernet_receipts": {"key_repository": str(keystone_dir / "fernet-keys")},
                "credential": {"key_repository": str(keystone_dir / "credential-keys")},
                "identity": {"password_hash_rounds": 4},
            },
        },
        "db": {"scheme": "mysql+pymysql", "host": "127.0.0.1", "port": mariadb_server.port},
    }
    return {
        "secrets": secrets,
        "cluster": {"head_fqdn": "cn43.internal"},
        "keystone": catalog,
        "hltcloud": {"lookup": {**mariadb_lookup(mariadb_server, files), "keystone": keystone}},
        "_port": port,
    }


def apply(loaders, pillar, sls, test=False):
    lookup = pillar["hltcloud"]["lookup"]
    # Never install or start anything on this shared host: no package, no unit.
    assert lookup["mariadb"]["pkgs"] == [] and lookup["mariadb"]["service"] is None
    assert lookup["keystone"]["pkgs"] == [] and lookup["keystone"]["service"] is None
    pillar = {k: v for k, v in pillar.items() if not k.startswith("_")}
    results = list(loaders.modules.state.sls(sls, pillar=pillar, test=test))
    assert results, "the SLS rendered no states"
    return results


@pytest.fixture(scope="module")
def head_run(loaders, pillar):
    return apply(loaders, pillar, "hltcloud_test.keystone_head")


@pytest.fixture(scope="module")
def served(head_run, pillar, keystone_dir):
    """Keystone served from the formula's keystone.conf (what openstack-keystone would do)."""
    manage = pillar["hltcloud"]["lookup"]["keystone"]["manage"]
    conf = pillar["hltcloud"]["lookup"]["keystone"]["conf"]["path"]
    server = keystone_server.KeystoneServer(
        keystone_dir, admin_token=pillar["secrets"]["admin_token"], port=pillar["_port"]
    )
    # What Keystone 30 needs and Icehouse did not: token and credential keys, and the
    # default domain, which Icehouse's db_sync made and today's bootstrap makes (with the
    # admin user, whose password is the pillar's, so the catalog finds it as it wants it).
    steps = [
        ["fernet_setup", "--keystone-user", "root", "--keystone-group", "root"],
        ["credential_setup", "--keystone-user", "root", "--keystone-group", "root"],
        ["bootstrap", "--bootstrap-region-id", "RegionOne"],
    ]
    env = {**os.environ, "OS_BOOTSTRAP_PASSWORD": pillar["secrets"]["admin_pass"]}
    for step in steps:
        proc = subprocess.run(
            [manage, "--config-file", conf, *step],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
            env=env,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_config_and_db_states_converge(head_run):
    assert [(r.id, r.comment) for r in head_run if r.result is not True] == []
    changed = {r.id for r in head_run if r.changes}
    assert {
        "keystone-config-file-managed",
        "mariadb-database-keystone-present",
        "mariadb-user-keystone-localhost-present",
        "mariadb-user-keystone-any-present",
        "keystone-db-synced",
    } <= changed


def test_keystone_conf_has_the_runbooks_two_settings(head_run, pillar, mariadb_server):
    path = pillar["hltcloud"]["lookup"]["keystone"]["conf"]["path"]
    ini = configparser.RawConfigParser()
    ini.read(path)
    secrets = pillar["secrets"]
    assert ini.get("DEFAULT", "admin_token") == secrets["admin_token"]
    assert ini.get("database", "connection") == (
        f"mysql+pymysql://keystone:{secrets['keystone_dbpass']}@127.0.0.1:"
        f"{mariadb_server.port}/keystone"
    )
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_db_sync_made_keystones_tables_in_mariadb(head_run, mariadb_server, pillar):
    tables = {
        row[0]
        for row in mariadb_server.query(
            "SHOW TABLES",
            user="keystone",
            password=pillar["secrets"]["keystone_dbpass"],
            database="keystone",
            tcp=True,
        )
    }
    assert {"project", "user", "role", "service", "endpoint"} <= tables


def test_catalog_converges_on_the_served_keystone(served, loaders, pillar):
    results = apply(loaders, pillar, "hltcloud_test.keystone_all")
    assert [(r.id, r.comment) for r in results if r.result is not True] == []
    ks = loaders.modules.keystone_v3
    auth = pillar["keystone"]["auth"]
    services = {s["id"]: s["name"] for s in ks.service_list(auth=auth)}
    urls = {
        (services[ep["service_id"]], ep["interface"]): ep["url"]
        for ep in ks.endpoint_list(auth=auth)
    }
    assert urls[("keystone", "admin")] == "http://cn43.internal:35357/v2.0"
    assert urls[("nova", "public")] == "http://cn43.internal:8774/v2/%(tenant_id)s"
    assert ks.token_check("admin", pillar["secrets"]["admin_pass"], auth=auth)["valid"]


def test_second_apply_of_everything_changes_nothing(served, loaders, pillar):
    apply(loaders, pillar, "hltcloud_test.keystone_all")
    again = apply(loaders, pillar, "hltcloud_test.keystone_all")
    assert [(r.id, r.changes) for r in again if r.changes] == []
    assert [r.id for r in again if r.result is not True] == []


def test_dry_run_before_keystone_runs_reports_the_catalog_as_one_state(loaders, pillar):
    # The head's own Keystone (no auth_url in pillar: the computed one) whose service is
    # not running: a dry run cannot look, and says what it would do instead of failing.
    before = copy.deepcopy(pillar)
    # None, not left out: a pillar override is merged into the pillar of earlier runs
    before["keystone"]["auth"]["auth_url"] = None
    before["hltcloud"]["lookup"]["keystone"]["service"] = "hltcloud-no-such-service"
    before = {k: v for k, v in before.items() if not k.startswith("_")}
    results = list(loaders.modules.state.sls("keystone.catalog", pillar=before, test=True))
    assert [(r.id, r.result) for r in results] == [("keystone-catalog-ready", None)]
    assert "would be converged on http://cn43.internal:35357/v3" in results[0].comment
