"""A throw-away Keystone on the loopback, for the functional tests and the benchmark.

Import it with the project's Python (only the standard library is used here) and drive it
through :class:`KeystoneServer`; the Keystone code itself runs in ``.local/keystone-venv``
(made by ``tools/install-keystone.sh``), never in this interpreter.

The same file is the server program: ``<keystone-venv>/bin/python -I keystone_server.py serve
--config-dir DIR --port PORT --access-log FILE`` serves
``keystone.server.wsgi.initialize_public_application()`` with :mod:`wsgiref` and writes one
``METHOD PATH STATUS`` line per request to the access log, which is how callers count the
requests a run made. ``python -m tests.support.keystone_server run DIR`` sets one up in DIR and
serves it until interrupted.

Layout of a server's directory::

    keystone.conf       [DEFAULT] admin_token, sqlite database, fernet tokens
    keystone.db         sqlite database
    fernet-keys/        token keys (keystone-manage fernet_setup)
    credential-keys/    credential keys (keystone-manage credential_setup)
    keystone.log        Keystone's own log
    access.log          one line per HTTP request
    server.out          the server process's stdout/stderr
"""

from __future__ import annotations

import argparse
import contextlib
import grp
import os
import pathlib
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request

try:
    from tests.support import service_process
    from tests.support.service_process import ProgramServer
except ImportError:  # the server program (`python -I <this file> serve`) runs without them
    service_process = None
    ProgramServer = object

REPO = pathlib.Path(__file__).resolve().parents[2]
KEYSTONE_VENV = REPO / ".local" / "keystone-venv"
INSTALL_SCRIPT = REPO / "tools" / "install-keystone.sh"

# bcrypt's cheapest cost ([identity] password_hash_rounds): the tests hash and check many
# passwords, and this Keystone guards nothing. Keystone's default is 12: each password hash or
# check costs about 2^8 = 256 times more there, which the benchmark's figures leave out.
PASSWORD_HASH_ROUNDS = 4

KEYSTONE_CONF = """\
[DEFAULT]
admin_token = {admin_token}
log_file = {directory}/keystone.log
use_stderr = false

[database]
connection = sqlite:///{directory}/keystone.db

[token]
provider = fernet

[fernet_tokens]
key_repository = {directory}/fernet-keys

[fernet_receipts]
key_repository = {directory}/fernet-keys

[credential]
key_repository = {directory}/credential-keys

[identity]
password_hash_rounds = {password_hash_rounds}
"""


class KeystoneError(RuntimeError):
    """Setting up, starting or stopping the test Keystone failed."""


def available(venv: pathlib.Path = KEYSTONE_VENV) -> bool:
    """Whether ``venv`` holds an installed Keystone (``tools/install-keystone.sh`` ran)."""
    return service_process.installed(venv, "keystone-manage")


def closed_port(host: str = "127.0.0.1") -> int:
    """A port that refuses connections: for "Keystone is down" tests."""
    return service_process.free_port(host)


class KeystoneServer(ProgramServer):
    """One Keystone: its directory, its database and its server process.

    Usage::

        with KeystoneServer(tmp_path) as ks:
            ks.url            # http://127.0.0.1:PORT/v3
            ks.admin_token    # the [DEFAULT] admin_token
            ks.admin_password # the bootstrap admin's password
    """

    program = __file__
    error = KeystoneError
    name = "Keystone"

    def __init__(
        self,
        directory,
        *,
        admin_token: str | None = None,
        admin_password: str | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        # The runbook's region (its `keystone endpoint-create` default), so bootstrap's
        # identity endpoints stand for the ones the runbook made.
        region: str = "regionOne",
        venv: pathlib.Path = KEYSTONE_VENV,
        start_timeout: float = 120.0,
    ):
        super().__init__(directory, host, port, venv, start_timeout)
        self.admin_token = admin_token or secrets.token_hex(10)
        self.admin_password = admin_password or secrets.token_hex(10)
        self.region = region

    # -- addresses ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The Identity v3 URL: what the modules take as ``auth_url``."""
        return f"{self.base_url}/v3"

    @property
    def conf_file(self) -> pathlib.Path:
        return self.directory / "keystone.conf"

    # -- set-up ---------------------------------------------------------------------------------

    def _write_conf(self) -> None:
        """keystone.conf for this server's token and directory, readable by its owner only."""
        self.conf_file.write_text(
            KEYSTONE_CONF.format(
                admin_token=self.admin_token,
                directory=self.directory,
                password_hash_rounds=PASSWORD_HASH_ROUNDS,
            )
        )
        self.conf_file.chmod(0o600)

    def _manage(self, *args: str, env: dict | None = None) -> None:
        command = [
            str(self.venv / "bin" / "keystone-manage"),
            "--config-file",
            str(self.conf_file),
            *args,
        ]
        run_env = dict(os.environ)
        run_env.update(env or {})
        proc = subprocess.run(
            command, capture_output=True, text=True, env=run_env, check=False, timeout=600
        )
        if proc.returncode != 0:
            raise KeystoneError(
                f"keystone-manage {args[0]} failed ({proc.returncode}):\n"
                f"{proc.stdout[-2000:]}{proc.stderr[-4000:]}"
            )

    def setup(self) -> KeystoneServer:
        """Write the config, create the database and keys, and bootstrap the admin."""
        if not available(self.venv):
            raise KeystoneError(
                f"no Keystone in {self.venv}: run {INSTALL_SCRIPT.relative_to(REPO)}"
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        self._write_conf()
        user = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
        self._manage("db_sync")
        self._manage("fernet_setup", "--keystone-user", user, "--keystone-group", group)
        self._manage("credential_setup", "--keystone-user", user, "--keystone-group", group)
        # The password goes through the environment, not the command line (ps shows that).
        self._manage(
            "bootstrap",
            "--bootstrap-admin-url",
            self.url,
            "--bootstrap-internal-url",
            self.url,
            "--bootstrap-public-url",
            self.url,
            "--bootstrap-region-id",
            self.region,
            env={"OS_BOOTSTRAP_PASSWORD": self.admin_password},
        )
        return self

    def clone(self, directory, **kwargs) -> KeystoneServer:
        """A new, stopped Keystone whose database and keys start as copies of this one's.

        Much faster than :meth:`setup` (no db_sync): for tests that need a Keystone fresh
        from bootstrap. The copy keeps this one's admin token and password; the identity
        endpoints made by bootstrap keep this one's URLs.
        """
        other = type(self)(
            directory,
            admin_token=self.admin_token,
            admin_password=self.admin_password,
            host=kwargs.pop("host", self.host),
            region=self.region,
            venv=self.venv,
            **kwargs,
        )
        other.directory.mkdir(parents=True, exist_ok=True)
        for name in ("keystone.db", "fernet-keys", "credential-keys"):
            src, dst = self.directory / name, other.directory / name
            if src.is_dir():
                shutil.copytree(src, dst, dirs_exist_ok=True)
            else:
                shutil.copy2(src, dst)
        other._write_conf()  # pylint: disable=protected-access
        return other

    # -- process --------------------------------------------------------------------------------

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url, timeout=2) as resp:
                return resp.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def __enter__(self) -> KeystoneServer:
        self.setup()
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def writes(requests: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """The requests that change Keystone (a password check's ``POST /auth/tokens`` does not)."""
    return [
        r
        for r in requests
        if r[0] in ("POST", "PUT", "PATCH", "DELETE") and not r[1].startswith("/v3/auth/tokens")
    ]


# -- the server program (runs in the keystone venv) -----------------------------------------------


def _serve(config_dir: str, host: str, port: int, access_log: str) -> None:
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    os.environ["OS_KEYSTONE_CONFIG_DIR"] = config_dir
    os.environ.pop("OS_KEYSTONE_CONFIG_FILES", None)
    # oslo.config parses sys.argv when Keystone configures itself: give it nothing of ours.
    sys.argv = sys.argv[:1]

    from keystone.server import wsgi

    keystone_app = wsgi.initialize_public_application()
    log = open(access_log, "a", buffering=1)  # open as long as the process

    def application(environ, start_response):
        # Logged in start_response, before the client can see the response: a caller that
        # reads the log after its request returned always finds that request's line.
        path = environ.get("PATH_INFO", "")
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]

        def logging_start_response(status, headers, exc_info=None):
            log.write(f"{environ['REQUEST_METHOD']} {path} {status.split()[0]}\n")
            return start_response(status, headers, exc_info)

        return keystone_app(environ, logging_start_response)

    class Handler(WSGIRequestHandler):
        def log_message(self, format, *args):
            pass

    class Server(WSGIServer):
        allow_reuse_address = True

    server = make_server(host, port, application, server_class=Server, handler_class=Handler)

    def _stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve Keystone (run with the keystone venv's python)")
    serve.add_argument("--config-dir", required=True)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, required=True)
    serve.add_argument("--access-log", required=True)
    run = sub.add_parser(
        "run",
        help="set up and serve a Keystone in DIR until interrupted "
        "(from the repository: python -m tests.support.keystone_server run DIR)",
    )
    run.add_argument("directory")
    run.add_argument("--port", type=int)
    args = parser.parse_args(argv)
    if args.command == "serve":
        _serve(args.config_dir, args.host, args.port, args.access_log)
        return 0
    if service_process is None:
        parser.error(
            "run it from the repository as: python -m tests.support.keystone_server run DIR"
        )
    with KeystoneServer(args.directory, port=args.port) as ks:
        print(f"Keystone on {ks.url} (pid {ks.process.pid}); config in {ks.conf_file}")
        with contextlib.suppress(KeyboardInterrupt):
            ks.process.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
