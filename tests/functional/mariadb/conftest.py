"""The minion options of the mariadb formula's tests: the checkout's states and an SLS of the
test's own that makes the head's MariaDB and the three service databases. The server and the
pillar that points the formula at it are tests/support/mariadb.py's."""

import pytest

from tests.support.checkout import head_minion_opts, sls_root

#: The head's MariaDB and the three service databases that the keystone, glance and nova
#: formulas make with service_database.
DATABASES_SLS = """\
{%- from "mariadb/macros.jinja" import service_database with context %}
include:
  - mariadb
{{ service_database("keystone") }}
{{ service_database("glance") }}
{{ service_database("nova") }}
"""


@pytest.fixture(scope="module")
def states_root(tmp_path_factory):
    return sls_root(tmp_path_factory.mktemp("mariadb-states"), {"databases": DATABASES_SLS})


@pytest.fixture(scope="module")
def minion_opts(tmp_path_factory, states_root):
    return head_minion_opts(tmp_path_factory.mktemp("mariadb-minion"), states_root)
