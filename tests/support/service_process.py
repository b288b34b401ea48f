"""Start, wait for and stop the throw-away servers of the tests and benches.

Keystone (tests/support/keystone_server.py), Glance (tests/support/glance_server.py) and MariaDB
(tests/support/mariadb.py) run as child processes of the project's Python, each in a
session of its own, and are stopped by their PID. Standard library only: the two servers
import this from the project's Python; their server programs, which run in the Keystone
and Glance venvs, do not need it.
"""

from __future__ import annotations

import pathlib
import signal
import socket
import subprocess
import time
from collections.abc import Callable

POLL_SECONDS = 0.2


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def serve_command(
    python: pathlib.Path,
    script: str,
    directory: pathlib.Path,
    host: str,
    port: int,
    access_log: pathlib.Path,
) -> list[str]:
    """The command line of a tool's server program: ``<venv python> -I <script> serve ...``.

    -I (isolated mode): neither tools/ nor PYTHON* variables nor the user's site-packages
    reach the venv's sys.path, so the server imports only the venv's own packages."""
    return [
        str(python),
        "-I",
        str(pathlib.Path(script).resolve()),
        "serve",
        "--config-dir",
        str(directory),
        "--host",
        host,
        "--port",
        str(port),
        "--access-log",
        str(access_log),
    ]


def start_program(server, python: pathlib.Path, script: str, error: type[Exception], what: str):
    """
    Start the server program of a tool's ``server`` and wait until it answers; return
    the process. ``server`` has ``directory``, ``host``, ``port``, ``access_log``,
    ``start_timeout``, ``answers()`` and ``output()`` (what ``server.out`` holds). When
    the server does not answer ``error`` is raised (see :func:`wait_ready`).
    """
    server.access_log.touch()
    command = serve_command(
        python, script, server.directory, server.host, server.port, server.access_log
    )
    process = spawn(command, server.directory / "server.out")
    try:
        wait_ready(process, server.answers, server.start_timeout, error, what, server.output)
    except BaseException:  # the caller has no handle on it yet: Ctrl-C must not orphan it
        stop(process)
        raise
    return process


def spawn(argv: list[str], output: pathlib.Path | None = None) -> subprocess.Popen:
    """Start ``argv`` in a new session, stdin closed; its stdout and stderr are appended
    to ``output``, or dropped without one."""
    if output is None:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    with open(output, "ab") as out:  # the child keeps its own copy
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_ready(
    process: subprocess.Popen,
    ready: Callable[[], bool],
    timeout: float,
    error: type[Exception],
    what: str,
    output: Callable[[], str] = lambda: "",
) -> None:
    """
    Call ``ready()`` every 0.2 s until it is true. Raise ``error`` when the process
    exits first (with the end of ``output()``), or when ``timeout`` seconds pass: the
    process is then stopped, so after an error no process is left running.
    """
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise error(f"{what} exited with {process.returncode}:\n{output()[-4000:]}")
        if ready():
            return
        if time.monotonic() > deadline:
            stop(process)
            raise error(f"{what} did not answer within {timeout}s")
        time.sleep(POLL_SECONDS)


def stop(process: subprocess.Popen | None, grace: float = 10) -> None:
    """SIGTERM, then SIGKILL when the process is still there after ``grace`` seconds."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def logged_requests(access_log: pathlib.Path, since: int = 0) -> list[tuple[str, str, int]]:
    """``(method, path, status)`` of each line ``METHOD PATH STATUS`` of a server program's
    access log, from line ``since`` on (pass :func:`log_length` from before)."""
    out = []
    for line in access_log.read_text().splitlines()[since:]:
        method, path, status = line.split(" ", 2)
        out.append((method, path, int(status)))
    return out


def log_length(access_log: pathlib.Path) -> int:
    """The number of lines in an access log."""
    return len(access_log.read_text().splitlines())


def venv_python(venv: pathlib.Path) -> pathlib.Path:
    return venv / "bin" / "python"


def installed(venv: pathlib.Path, command: str) -> bool:
    """Whether ``venv`` holds its Python and ``command`` (its install script ran)."""
    return (venv / "bin" / command).exists() and venv_python(venv).exists()


class ProgramServer:
    """
    What the tools' servers (Keystone, Glance) share: a directory, an address, the venv whose
    Python runs the server program, the process and its access log. A subclass sets
    ``program`` (its module's ``__file__``: the same file is the server program), ``error``
    and ``name``, and defines ``url`` and ``answers()``.
    """

    program: str
    error: type[Exception] = RuntimeError
    name = "server"

    def __init__(self, directory, host: str, port: int | None, venv, start_timeout: float):
        self.directory = pathlib.Path(directory).resolve()
        self.host = host
        self.port = port or free_port(host)
        self.venv = pathlib.Path(venv)
        self.start_timeout = start_timeout
        self.process: subprocess.Popen | None = None
        self.startup_seconds: float | None = None

    @property
    def url(self) -> str:
        raise NotImplementedError

    def answers(self) -> bool:
        raise NotImplementedError

    @property
    def access_log(self) -> pathlib.Path:
        return self.directory / "access.log"

    def start(self):
        """Start serving and wait until :meth:`answers` says so."""
        if self.process is not None:
            return self
        started = time.monotonic()
        self.process = start_program(
            self, venv_python(self.venv), self.program, self.error, f"{self.name} on {self.url}"
        )
        self.startup_seconds = time.monotonic() - started
        return self

    def stop(self) -> None:
        """Stop the server by its PID: SIGTERM, then SIGKILL after 10 s."""
        proc, self.process = self.process, None
        stop(proc)

    def output(self) -> str:
        path = self.directory / "server.out"
        return path.read_text(errors="replace") if path.exists() else ""

    def requests(self, since: int = 0) -> list[tuple[str, str, int]]:
        """``(method, path, status)`` of every request served, from line ``since`` on."""
        return logged_requests(self.access_log, since)

    def mark(self) -> int:
        """The access log's current length: pass it to :meth:`requests` as ``since``."""
        return log_length(self.access_log)
