"""A real MariaDB (tests/support/mariadb.py) and the minion options that point the mariadb
formula at it: the formula's package and service states are switched off by data
(``mariadb:pkgs: []``, ``mariadb:service: null``), because the test starts the server itself,
and every path (drop-in, root's credentials file, socket) is under the test's directories."""

import secrets

import pytest
import yaml

from tests.support import mariadb
from tests.support.checkout import repo_minion_opts

SERVICE_DATABASES = ("keystone", "glance", "nova")

#: An SLS of the test's own file root: the head's MariaDB and the three service databases
#: that the keystone, glance and nova formulas make with service_database.
DATABASES_SLS = """\
{%- from "mariadb/macros.jinja" import service_database with context %}
include:
  - mariadb
{{ service_database("keystone") }}
{{ service_database("glance") }}
{{ service_database("nova") }}
"""


def new_secrets():
    names = ["mysql_root_password", *(f"{db}_dbpass" for db in SERVICE_DATABASES)]
    return {name: secrets.token_hex(10) for name in names}


def lookup(server, files):
    """pillar hltcloud:lookup that points the mariadb formula at ``server``."""
    return {
        "mariadb": {
            "pkgs": [],
            "service": None,
            "socket": server.socket,
            "conf": {"path": str(files / "openstack.cnf")},
            "root": {"defaults_file": str(files / "root.my.cnf")},
        }
    }


@pytest.fixture(scope="module")
def states_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("mariadb-states")
    (root / "hltcloud_test").mkdir()
    (root / "hltcloud_test" / "databases.sls").write_text(DATABASES_SLS)
    return root


@pytest.fixture(scope="module")
def minion_opts(tmp_path_factory, states_root):
    root = tmp_path_factory.mktemp("mariadb-minion")
    opts = repo_minion_opts(root)
    opts["file_roots"] = {"base": [*opts["file_roots"]["base"], str(states_root)]}
    # The bind-address: this host's loopback stands for cn43's mgmt address.
    opts["conf_file"] = static_grains(root, {"mgmt_ipv4": "127.0.0.1"})
    return opts


def static_grains(root, grains):
    """A minion config file with static ``grains`` (Salt's loader reads them from there)."""
    conf = root / "minion-grains.conf"
    conf.write_text(yaml.safe_dump({"grains": grains}))
    return str(conf)


def start_stock_server():
    """A started server in the stock state, or a skip (with the reason)."""
    mariadb.require_server()
    server = mariadb.MariaDBServer()
    try:
        server.install().start()
    except Exception:
        server.cleanup()
        raise
    return server
