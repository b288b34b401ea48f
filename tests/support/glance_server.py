"""A throw-away Glance on the loopback, for the functional tests of the glance_image states.

Import it with the project's Python (only the standard library is used here) and drive it
through :class:`GlanceServer`; the Glance code itself runs in ``.local/glance-venv`` (made by
``tools/install-glance.sh``), never in this interpreter.

The same file is the server program: ``<glance-venv>/bin/python -I glance_server.py serve
--config-dir DIR --port PORT --access-log FILE`` serves ``glance.common.wsgi_app.init_app()``
(the config folder in ``OS_GLANCE_CONFIG_DIR``) with waitress (wsgiref hangs on chunked
uploads) and writes one ``METHOD PATH STATUS`` line per request to the access log.

Glance checks every token with a Keystone (``[paste_deploy] flavor = keystone``, as in the
runbook): :class:`GlanceServer` takes that Keystone's URL and the password of its ``glance``
user. Today's keystonemiddleware no longer reads the runbook's Icehouse-era
``auth_host``/``admin_user`` keys, so this Glance gets their current equivalents
(``auth_url``, ``username``, ...); the head's own glance-api.conf keeps the runbook's keys.

Layout of a server's directory::

    glance-api.conf        sqlite database, file store, keystone_authtoken
    glance-api-paste.ini   Glance's own pipeline (copied from the venv)
    glance.db              sqlite database (glance-manage db_sync)
    images/                the file store
    glance-api.log         Glance's own log
    access.log             one line per HTTP request
    server.out             the server process's stdout/stderr
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from typing import Self

try:
    from tests.support import service_process
    from tests.support.service_process import ProgramServer
except ImportError:  # the server program (`python -I <this file> serve`) runs without them
    service_process = None
    ProgramServer = object

REPO = pathlib.Path(__file__).resolve().parents[2]
GLANCE_VENV = REPO / ".local" / "glance-venv"
INSTALL_SCRIPT = REPO / "tools" / "install-glance.sh"

GLANCE_API_CONF = """\
[DEFAULT]
log_file = {directory}/glance-api.log
use_stderr = false
enabled_import_methods = []

[database]
connection = sqlite:///{directory}/glance.db

[glance_store]
stores = file
default_store = file
filesystem_store_datadir = {directory}/images

[os_glance_staging_store]
filesystem_store_datadir = {directory}/staging

[os_glance_tasks_store]
filesystem_store_datadir = {directory}/tasks

[paste_deploy]
flavor = keystone
config_file = {directory}/glance-api-paste.ini

[keystone_authtoken]
www_authenticate_uri = {keystone_url}
auth_url = {keystone_url}
auth_type = password
username = {username}
password = {password}
project_name = {project}
user_domain_id = default
project_domain_id = default

[oslo_concurrency]
lock_path = {directory}/locks
"""


class GlanceError(RuntimeError):
    """Setting up, starting or stopping the test Glance failed."""


def available(venv: pathlib.Path = GLANCE_VENV) -> bool:
    """Whether ``venv`` holds an installed Glance (``tools/install-glance.sh`` ran)."""
    return service_process.installed(venv, "glance-manage")


class GlanceServer(ProgramServer):
    """One Glance API: its directory, its sqlite database, its file store and its process.

    Usage::

        server = GlanceServer(tmp_path, keystone_url=ks.url, password=glance_pass)
        server.setup().start()
        server.url        # http://127.0.0.1:PORT (the image endpoint for the catalog)
        server.stop()
    """

    program = __file__
    error = GlanceError
    name = "Glance"

    def __init__(
        self,
        directory,
        *,
        keystone_url: str,
        password: str,
        username: str = "glance",
        project: str = "service",
        host: str = "127.0.0.1",
        port: int | None = None,
        venv: pathlib.Path = GLANCE_VENV,
        start_timeout: float = 120.0,
    ):
        super().__init__(directory, host, port, venv, start_timeout)
        self.keystone_url = keystone_url
        self.password = password
        self.username = username
        self.project = project

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def conf_file(self) -> pathlib.Path:
        return self.directory / "glance-api.conf"

    @property
    def images_dir(self) -> pathlib.Path:
        return self.directory / "images"

    def setup(self) -> Self:
        """Write the config and paste pipeline and create the database."""
        if not available(self.venv):
            raise GlanceError(f"no Glance in {self.venv}: run {INSTALL_SCRIPT.relative_to(REPO)}")
        for sub in ("images", "staging", "tasks", "locks"):
            (self.directory / sub).mkdir(parents=True, exist_ok=True)
        self.conf_file.write_text(
            GLANCE_API_CONF.format(
                directory=self.directory,
                keystone_url=self.keystone_url,
                username=self.username,
                password=self.password,
                project=self.project,
            )
        )
        self.conf_file.chmod(0o600)
        shutil.copy2(
            self.venv / "etc" / "glance" / "glance-api-paste.ini",
            self.directory / "glance-api-paste.ini",
        )
        proc = subprocess.run(
            [
                str(self.venv / "bin" / "glance-manage"),
                "--config-file",
                str(self.conf_file),
                "db_sync",
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if proc.returncode != 0:
            raise GlanceError(
                f"glance-manage db_sync failed ({proc.returncode}):\n"
                f"{proc.stdout[-2000:]}{proc.stderr[-4000:]}"
            )
        return self

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/versions", timeout=2) as resp:
                return resp.status == 200
        except urllib.error.HTTPError as exc:
            return exc.code < 500
        except (urllib.error.URLError, OSError):
            return False

    def log(self) -> str:
        """Glance's own log (glance-api.log), for checking that no secret reached it."""
        path = self.directory / "glance-api.log"
        return path.read_text(errors="replace") if path.exists() else ""


def writes(requests: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """The requests that change Glance."""
    return [r for r in requests if r[0] in ("POST", "PUT", "PATCH", "DELETE")]


# -- the server program (runs in the glance venv) -------------------------------------------------


def _serve(config_dir: str, host: str, port: int, access_log: str) -> None:
    os.environ["OS_GLANCE_CONFIG_DIR"] = config_dir
    # oslo.config must not parse our command line.
    sys.argv = sys.argv[:1]

    import waitress
    from glance.common import wsgi_app

    glance_app = wsgi_app.init_app()
    log = open(access_log, "a", buffering=1)  # open as long as the process

    def application(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]

        def logging_start_response(status, headers, exc_info=None):
            log.write(f"{environ['REQUEST_METHOD']} {path} {status.split()[0]}\n")
            return start_response(status, headers, exc_info)

        return glance_app(environ, logging_start_response)

    def _stop(signum, frame):
        os._exit(0)

    signal.signal(signal.SIGTERM, _stop)
    waitress.serve(application, host=host, port=port, threads=4, _quiet=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve Glance (run with the glance venv's python)")
    serve.add_argument("--config-dir", required=True)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, required=True)
    serve.add_argument("--access-log", required=True)
    args = parser.parse_args(argv)
    _serve(args.config_dir, args.host, args.port, args.access_log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
