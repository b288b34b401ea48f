"""A throw-away MariaDB server for the functional tests: the real ``mariadb-server`` of
Debian (tools/apt-packages.txt), started by the test as user ``mysql`` and stopped by PID.

:meth:`MariaDBServer.install` makes a data directory in the state a fresh Fedora 19
``mariadb-server`` leaves it before ``mysql_secure_installation``: root without a password
at localhost, the host name, 127.0.0.1 and ::1, anonymous accounts at localhost and the host
name, a ``test`` database and grants to everybody on ``test`` and ``test\\_%``.

The server's directory (data, socket, pid file, error log) is a fresh 0700 directory owned
by ``mysql`` under the system temp dir, removed by :meth:`cleanup`: not under pytest's temp
dir, because pytest keeps /tmp/pytest-of-root at 0700 (and tightens it again at every
session start), so a server running as ``mysql`` could not reach anything below it. The
TCP port is a free one on 127.0.0.1, found by binding to port 0.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import pwd
import secrets
import shutil
import subprocess
import tempfile

import pytest

from tests.support import service_process

SERVER_BINARIES = ("mariadbd", "mysqld")
INSTALL_DB = ("mariadb-install-db", "mysql_install_db")
SBIN = ("/usr/sbin", "/usr/bin", "/sbin", "/bin")


def _which(names):
    path = os.pathsep.join([os.environ.get("PATH", ""), *SBIN])
    for name in names:
        found = shutil.which(name, path=path)
        if found:
            return found
    return None


def missing():
    """Why no MariaDB server can run here, or None."""
    if _which(SERVER_BINARIES) is None or _which(INSTALL_DB) is None:
        return "mariadb-server is not installed (tools/apt-packages.txt; `make test` installs it)"
    try:
        pwd.getpwnam("mysql")
    except KeyError:
        return "there is no `mysql` system user to run mariadbd as"
    if os.geteuid() != 0:
        return "starting mariadbd as user mysql needs root"
    if importlib.util.find_spec("pymysql") is None:
        # On the head, salt_python.installed puts mariadb:salt_pip_requirements
        # (salt/parameters) into Salt's own Python before any mysql_* state; a test Python
        # must have them too.
        return (
            "PyMySQL is not installed in this Python, which Salt's mysql modules and these "
            "tests need (the formula's mariadb:salt_pip_requirements)"
        )
    return None


def require_server():
    """Skip (with the reason) when no MariaDB can run; fail instead under HLT_REQUIRE_SERVICES=1."""
    reason = missing()
    if reason:
        if os.environ.get("HLT_REQUIRE_SERVICES") == "1":
            pytest.fail(f"HLT_REQUIRE_SERVICES=1 but {reason}")
        pytest.skip(reason)


class MariaDBError(RuntimeError):
    """Installing, starting or stopping the test server failed."""


class SQLError(Exception):
    """A statement or login failed: ``code`` is MariaDB's error number (1045: access denied).

    PyMySQL's own exception classes are not caught by class here: Salt's loader imports
    PyMySQL afresh for saltext-mysql, so the classes a test module imported are not the
    ones a later connection raises.
    """

    def __init__(self, code, message):
        super().__init__(code, message)
        self.code = code


class MariaDBServer:
    """One MariaDB server: its directory, its process, and SQL helpers for the tests."""

    def __init__(self, defaults_file: str | os.PathLike | None = None, start_timeout=60.0):
        self.directory = pathlib.Path(tempfile.mkdtemp(prefix="hltcloud-mariadb-"))
        mysql = pwd.getpwnam("mysql")
        os.chown(self.directory, mysql.pw_uid, mysql.pw_gid)
        self.defaults_file = defaults_file
        self.host = "127.0.0.1"
        self.port = service_process.free_port(self.host)
        self.start_timeout = start_timeout
        self.process: subprocess.Popen | None = None

    @property
    def datadir(self) -> pathlib.Path:
        return self.directory / "data"

    @property
    def socket(self) -> str:
        return str(self.directory / "mysqld.sock")

    @property
    def error_log(self) -> pathlib.Path:
        return self.directory / "error.log"

    def install(self) -> MariaDBServer:
        """A fresh data directory as a stock install leaves it (see the module's docstring)."""
        proc = subprocess.run(
            [
                _which(INSTALL_DB),
                "--no-defaults",
                "--user=mysql",
                f"--datadir={self.datadir}",
                # root without a password, as Fedora 19's mariadb-server leaves it (and the
                # extra root and anonymous accounts that come with it)
                "--auth-root-authentication-method=normal",
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if proc.returncode != 0:
            raise MariaDBError(f"mariadb-install-db failed:\n{proc.stdout[-2000:]}{proc.stderr}")
        return self

    def start(self) -> MariaDBServer:
        """Start mariadbd as user mysql and wait until it answers on the socket."""
        defaults = (
            [f"--defaults-file={self.defaults_file}"] if self.defaults_file else ["--no-defaults"]
        )
        self.process = service_process.spawn(
            [
                _which(SERVER_BINARIES),
                *defaults,
                "--user=mysql",
                f"--datadir={self.datadir}",
                f"--socket={self.socket}",
                f"--port={self.port}",
                f"--pid-file={self.directory / 'mysqld.pid'}",
                f"--log-error={self.error_log}",
                "--skip-log-bin",
            ]
        )
        service_process.wait_ready(
            self.process, self.answers, self.start_timeout, MariaDBError, "mariadbd", self.log
        )
        return self

    def answers(self) -> bool:
        try:
            self.query("SELECT 1")
        except SQLError:
            return False
        return True

    def stop(self) -> None:
        """Stop the server by its PID: SIGTERM, then SIGKILL after 30 s."""
        proc, self.process = self.process, None
        service_process.stop(proc, grace=30)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def log(self) -> str:
        try:
            return self.error_log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    # -- SQL ------------------------------------------------------------------------------------

    def connect(self, user="root", password=None, database=None, tcp=False):
        """A connection as ``user``: over the socket, or over TCP to 127.0.0.1:port."""
        import pymysql  # pylint: disable=import-outside-toplevel (missing() says when absent)

        where = {"host": self.host, "port": self.port} if tcp else {"unix_socket": self.socket}
        return _sql(
            pymysql.connect,
            user=user,
            password=password or "",
            database=database,
            connect_timeout=5,
            **where,
        )

    def query(self, sql, args=None, **connect):
        """Rows of one statement (a list of tuples); a failure is :class:`SQLError`."""
        conn = self.connect(**connect)
        try:
            return _sql(_run, conn, sql, args)
        finally:
            conn.close()


def _run(conn, sql, args):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        rows = list(cur.fetchall())
    conn.commit()
    return rows


def _sql(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except Exception as exc:
        if type(exc).__module__.startswith("pymysql") and exc.args:
            raise SQLError(exc.args[0], str(exc.args[-1])) from exc
        raise


# -- the head's MariaDB in the functional tests ---------------------------------------------------

#: The databases the keystone, glance and nova formulas make with service_database.
SERVICE_DATABASES = ("keystone", "glance", "nova")


def new_secrets():
    """Fresh values of MariaDB's root password and the three service databases' passwords."""
    names = ["mysql_root_password", *(f"{db}_dbpass" for db in SERVICE_DATABASES)]
    return {name: secrets.token_hex(10) for name in names}


def lookup(server, files):
    """
    pillar hltcloud:lookup that points the mariadb formula at ``server``: the formula's package
    and service states are switched off by data (``pkgs: []``, ``service: null``), because the
    test starts the server itself, and every path (drop-in, root's credentials file, socket) is
    under the test's directories (``files``).
    """
    return {
        "mariadb": {
            "pkgs": [],
            "service": None,
            "socket": server.socket,
            "conf": {"path": str(files / "openstack.cnf")},
            "root": {"defaults_file": str(files / "root.my.cnf")},
        }
    }


def start_stock_server():
    """A started server in the stock state, or a skip (with the reason)."""
    require_server()
    server = MariaDBServer()
    try:
        server.install().start()
    except Exception:
        server.cleanup()
        raise
    return server


@pytest.fixture(scope="module")
def mariadb_server():
    """A stock MariaDB for the test module (:func:`start_stock_server`), removed at its end."""
    server = start_stock_server()
    try:
        yield server
    finally:
        server.cleanup()
