"""
The mariadb formula on a real MariaDB: mysql_secure_installation's answers as states and
the service databases of keystone, glance and nova (service_database), applied to a server
fresh from a stock install (tests/support/mariadb.py).
"""

import copy
import stat

import pytest

from tests.support.mariadb import (  # noqa: F401  (the server fixture)
    SERVICE_DATABASES,
    SQLError,
    lookup,
    mariadb_server,
    new_secrets,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return tmp_path_factory.mktemp("mariadb-files")


@pytest.fixture(scope="module")
def pillar(mariadb_server, files):
    return {"secrets": new_secrets(), "hltcloud": {"lookup": lookup(mariadb_server, files)}}


def apply(loaders, pillar, sls="hltcloud_test.databases", test=False):
    # Never install or start anything on this shared host: no package, no unit.
    mariadb = pillar["hltcloud"]["lookup"]["mariadb"]
    assert mariadb["pkgs"] == [] and mariadb["service"] is None
    results = list(loaders.modules.state.sls(sls, pillar=pillar, test=test))
    assert results, "the SLS rendered no states"
    return results


#: Accounts besides the stock install's own (root and anonymous at localhost, 127.0.0.1, ::1
#: and this machine's host name): root and anonymous under the host name the node had when
#: the server was installed, which no grain names any more, and root at any host.
STRAY_ACCOUNTS = (("root", "cn43-install.example"), ("", "cn43-install.example"), ("root", "%"))
#: mysql_secure_installation keeps root there, and drops every other root and anonymous account.
LOCAL_ROOT_HOSTS = {"localhost", "127.0.0.1", "::1"}


def _accounts(mariadb_server, **login):
    return set(mariadb_server.query("SELECT User, Host FROM mysql.user", **login))


@pytest.fixture(scope="module")
def stock_accounts(mariadb_server):
    for user, host in (*STRAY_ACCOUNTS, ("", "localhost")):
        mariadb_server.query("CREATE USER IF NOT EXISTS %s@%s", (user, host))
    return _accounts(mariadb_server)


@pytest.fixture(scope="module")
def dry_run_of_the_stock_server(loaders, pillar, mariadb_server, stock_accounts):
    """The dry run before the first run, and the accounts right after it."""
    return apply(loaders, pillar, test=True), _accounts(mariadb_server)


@pytest.fixture(scope="module")
def first_run(loaders, pillar, dry_run_of_the_stock_server):
    return apply(loaders, pillar)


def _root(mariadb_server, pillar):
    return {"user": "root", "password": pillar["secrets"]["mysql_root_password"]}


def test_first_run_secures_the_server_and_makes_the_databases(first_run, mariadb_server, pillar):
    assert [(r.id, r.comment) for r in first_run if r.result is not True] == []
    root = _root(mariadb_server, pillar)
    rows = mariadb_server.query("SELECT User, Host FROM mysql.user WHERE User = ''", **root)
    assert rows == [], "anonymous accounts left"
    rows = mariadb_server.query("SELECT Host FROM mysql.user WHERE User = 'root'", **root)
    assert {host for (host,) in rows} == LOCAL_ROOT_HOSTS, "root at other hosts than local ones"
    databases = {row[0] for row in mariadb_server.query("SHOW DATABASES", **root)}
    assert "test" not in databases
    assert set(SERVICE_DATABASES) <= databases
    grants = mariadb_server.query(
        "SELECT Db, User FROM mysql.db WHERE Db = 'test' OR Db = 'test\\\\_%%'", **root
    )
    assert grants == []
    users = set(mariadb_server.query("SELECT User, Host FROM mysql.user", **root))
    for name in SERVICE_DATABASES:
        assert {(name, "localhost"), (name, "%")} <= users


def test_dry_run_of_the_stock_server_names_the_accounts_it_would_drop(
    dry_run_of_the_stock_server, stock_accounts
):
    results, accounts_after = dry_run_of_the_stock_server
    assert accounts_after == stock_accounts, "the dry run changed accounts"
    assert set(STRAY_ACCOUNTS) | {("", "localhost")} <= stock_accounts
    by_id = {r.id: r for r in results}
    anonymous = by_id["mariadb-anonymous-accounts-absent"]
    remote_root = by_id["mariadb-root-remote-accounts-absent"]
    for user, host in stock_accounts:
        if user == "" or (user == "root" and host not in LOCAL_ROOT_HOSTS):
            state = anonymous if user == "" else remote_root
            assert state.result is None
            assert f"'{user}'@'{host}'" in state.comment, (user, host, state.comment)
    assert anonymous.changes["new"] == []
    assert set(remote_root.changes["new"]) == LOCAL_ROOT_HOSTS
    for host in LOCAL_ROOT_HOSTS - {"localhost"}:
        assert f"'root'@'{host}'" not in remote_root.comment
        assert by_id[f"mariadb-root-at-{host}-password-set"].result is None


def test_every_remote_root_and_anonymous_account_is_dropped(first_run, mariadb_server, pillar):
    accounts = _accounts(mariadb_server, **_root(mariadb_server, pillar))
    assert {a for a in accounts if a[0] in ("", "root")} == {
        ("root", host) for host in LOCAL_ROOT_HOSTS
    }
    assert not set(STRAY_ACCOUNTS) & accounts
    password = pillar["secrets"]["mysql_root_password"]
    assert password not in str([(r.changes, r.comment) for r in first_run])


def test_root_has_its_password_at_every_local_host(first_run, mariadb_server, pillar):
    password = pillar["secrets"]["mysql_root_password"]
    rows = mariadb_server.query(
        "SELECT Host FROM mysql.user WHERE User = 'root' AND authentication_string = PASSWORD(%s)",
        (password,),
        **_root(mariadb_server, pillar),
    )
    assert {host for (host,) in rows} == LOCAL_ROOT_HOSTS


def test_root_needs_its_password_now(first_run, mariadb_server, pillar):
    with pytest.raises(SQLError) as denied:
        mariadb_server.query("SELECT 1", user="root")
    assert denied.value.code == 1045
    assert mariadb_server.query("SELECT CURRENT_USER()", **_root(mariadb_server, pillar)) == [
        ("root@localhost",)
    ]


def test_root_credentials_file_is_root_only_and_works(first_run, mariadb_server, pillar, files):
    path = files / "root.my.cnf"
    info = path.stat()
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert info.st_uid == 0
    import pymysql  # pylint: disable=import-outside-toplevel (see tests/support/mariadb.py)

    conn = pymysql.connect(read_default_file=str(path))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT CURRENT_USER()")
            assert cur.fetchall() == (("root@localhost",),)
    finally:
        conn.close()


@pytest.mark.parametrize("name", SERVICE_DATABASES)
def test_service_user_logs_in_over_tcp_with_its_pillar_password_only(
    first_run, mariadb_server, pillar, name
):
    password = pillar["secrets"][f"{name}_dbpass"]
    rows = mariadb_server.query(
        "SHOW GRANTS", user=name, password=password, database=name, tcp=True
    )
    assert any(f"ON `{name}`.*" in row[0] and "ALL PRIVILEGES" in row[0] for row in rows), rows
    with pytest.raises(SQLError) as denied:
        mariadb_server.query("SELECT 1", user=name, password="wrong-" + password, tcp=True)
    assert denied.value.code == 1045
    # its own database only
    with pytest.raises(SQLError):
        other = next(db for db in SERVICE_DATABASES if db != name)
        mariadb_server.query("SELECT 1", user=name, password=password, database=other, tcp=True)


def test_drop_in_holds_the_runbooks_settings(first_run, files):
    assert (files / "openstack.cnf").read_text() == (
        "# Managed by Salt (hlt-cloud, mariadb.config): the runbook's settings for OpenStack.\n"
        "[mysqld]\n"
        "bind-address = 127.0.0.1\n"
        "default-storage-engine = innodb\n"
        "innodb_file_per_table\n"
        "collation-server = utf8_general_ci\n"
        "init-connect = 'SET NAMES utf8'\n"
        "character-set-server = utf8\n"
    )


def test_second_run_changes_nothing(first_run, loaders, pillar):
    again = apply(loaders, pillar)
    assert [(r.id, r.changes) for r in again if r.changes] == []
    assert [r.id for r in again if r.result is not True] == []


def test_dry_run_of_a_converged_server_reports_nothing(first_run, loaders, pillar):
    dry = apply(loaders, pillar, test=True)
    assert [(r.id, r.comment) for r in dry if r.result is not True or r.changes] == []


def test_dry_run_before_the_server_answers_reports_one_state_per_group(
    first_run, loaders, pillar, files
):
    down = copy.deepcopy(pillar)
    down["hltcloud"]["lookup"]["mariadb"]["socket"] = str(files / "no-server.sock")
    results = {r.id: r for r in apply(loaders, down, test=True)}
    assert [sid for sid, r in results.items() if r.result is False] == []
    for sid in (
        "mariadb-root-password-set",
        "mariadb-database-keystone-present",
        "mariadb-database-nova-present",
    ):
        assert results[sid].result is None, sid
        assert "does not answer on" in results[sid].comment
    assert not [sid for sid in results if sid.startswith("mariadb-user-")]


def test_missing_database_password_fails_one_state_and_creates_nothing(
    first_run, loaders, pillar, mariadb_server
):
    broken = {**pillar, "secrets": {**pillar["secrets"], "nova_dbpass": ""}}
    mariadb_server.query("DROP DATABASE nova", **_root(mariadb_server, pillar))
    try:
        results = apply(loaders, broken)
        failed = [r for r in results if r.result is False]
        assert [r.id for r in failed] == ["mariadb-database-nova-present"]
        assert "pillar secrets:nova_dbpass is missing" in failed[0].comment
        assert [r.id for r in results if r.changes] == []
        databases = {
            row[0]
            for row in mariadb_server.query("SHOW DATABASES", **_root(mariadb_server, pillar))
        }
        assert "nova" not in databases
    finally:
        apply(loaders, pillar)


def test_changed_password_in_pillar_is_applied_on_the_next_run(
    first_run, loaders, pillar, mariadb_server
):
    old = pillar["secrets"]["glance_dbpass"]
    changed = {**pillar, "secrets": {**pillar["secrets"], "glance_dbpass": "n3w" + old[3:]}}
    results = apply(loaders, changed)
    assert [r.id for r in results if r.result is not True] == []
    assert sorted(r.id for r in results if r.changes) == [
        "mariadb-user-glance-any-present",
        "mariadb-user-glance-localhost-present",
    ]
    assert "n3w" not in str([r.changes for r in results])
    new = changed["secrets"]["glance_dbpass"]
    assert mariadb_server.query("SELECT 1", user="glance", password=new, tcp=True) == [(1,)]
    with pytest.raises(SQLError):
        mariadb_server.query("SELECT 1", user="glance", password=old, tcp=True)
    pillar["secrets"]["glance_dbpass"] = new


def test_accounts_state_fails_in_one_line_when_the_server_cannot_be_read(loaders, files):
    ret = loaders.states.mysql_accounts.confined(
        name="root",
        hosts=["localhost"],
        connection_user="root",
        connection_unix_socket=str(files / "no-server.sock"),
    )
    assert ret.result is False
    assert ret.changes == {}
    assert ret.comment.startswith("the accounts of root could not be read: MySQL Error 2003")
    assert "\n" not in ret.comment


def test_accounts_state_refuses_hosts_that_are_not_a_list(loaders, mariadb_server):
    ret = loaders.states.mysql_accounts.confined(
        name="root", hosts="localhost", connection_unix_socket=mariadb_server.socket
    )
    assert ret.result is False
    assert ret.comment == "hosts of root must be a list of host names, not 'localhost'"
