"""The shared OpenStack client over real sockets on the loopback: the retry budget bounds a call."""

import socket
import threading
import time

import pytest
from salt.exceptions import CommandExecutionError

pytestmark = pytest.mark.slow


@pytest.fixture
def silent_port():
    """A loopback port that accepts connections and never answers (a hung service)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held, stop = [], threading.Event()

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


def test_retry_timeout_bounds_the_whole_call_attempts_included(loaders, silent_port):
    auth = {
        "auth_url": f"http://127.0.0.1:{silent_port}/v3",
        "token": "f00dfeedf00dfeedf00d",
        "retry_timeout": 2,
        "timeout": 1.5,
    }
    started = time.monotonic()
    with pytest.raises(CommandExecutionError, match="is not answering") as raised:
        loaders.modules.keystone_v3.project_list(auth=auth)
    elapsed = time.monotonic() - started
    # Budget plus one request's timeout at most (before: 3 attempts x 1.5 s + 1.5 s of sleeps).
    assert elapsed < 2 + 1.5 + 0.5
    assert "f00dfeedf00dfeedf00d" not in str(raised.value)


def test_a_write_that_got_no_answer_is_not_sent_again(loaders, silent_port):
    auth = {
        "auth_url": f"http://127.0.0.1:{silent_port}/v3",
        "token": "f00dfeedf00dfeedf00d",
        "retry_timeout": 30,
        "timeout": 1,
    }
    started = time.monotonic()
    with pytest.raises(CommandExecutionError, match="may or may not have been applied"):
        loaders.modules.keystone_v3.role_create("admin", auth=auth)
    assert time.monotonic() - started < 3
