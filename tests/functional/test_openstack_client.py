"""
The shared OpenStack client over real sockets on the loopback: one deadline bounds a call
(retry budget, body read included), and a service that failed in a run is not asked again.
"""

import contextlib
import json
import socket
import threading
import time

import pytest
from salt.exceptions import CommandExecutionError

from _utils import openstack_client as client
from tests.support import loopback

pytestmark = pytest.mark.slow

TOKEN = "f00dfeedf00dfeedf00d"
PASSWORD = "c0ffee00c0ffee00c0ff"


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
    # A hung Keystone: the create waits one timeout, the lookup that follows (did it land?)
    # its own budget, and the error says both.
    auth = {
        "auth_url": f"http://127.0.0.1:{silent_port}/v3",
        "token": "f00dfeedf00dfeedf00d",
        "retry_timeout": 2,
        "timeout": 1,
    }
    started = time.monotonic()
    with pytest.raises(CommandExecutionError, match="may or may not have been applied") as raised:
        loaders.modules.keystone_v3.role_create("admin", auth=auth)
    assert time.monotonic() - started < 1 + 2 + 1 + 0.5
    assert "POST" in str(raised.value)
    assert "looking for role 'admin' failed too: Keystone at" in str(raised.value)
    assert "is not answering: connection accepted, no answer within 1s" in str(raised.value)


# -- loopback services that answer badly ----------------------------------------------------------


class _Service(loopback.Handler):
    """
    A loopback service. ``mode`` "trickle": status and headers at once, then one byte of
    the body every half second (for 15 s at most, so that a client without a deadline
    ends, late). "fail": HTTP ``status`` until ``until`` (time.monotonic), then a
    Keystone project list.
    """

    protocol_version = "HTTP/1.1"
    mode, status, until = "fail", 500, float("inf")
    stop = None
    seen = None  # (method, path) of every request

    def _handle(self):
        cls = type(self)
        cls.seen.append((self.command, self.path))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if cls.mode == "trickle":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.flush()
            for _ in range(30):
                if cls.stop.wait(0.5):
                    break
                self.wfile.write(b" ")
                self.wfile.flush()
            self.close_connection = True
            return
        if time.monotonic() < cls.until:
            status, body = cls.status, {"error": {"message": "database is locked", "code": 500}}
        else:
            status, body = 200, {"projects": [{"id": "p1", "name": "admin"}], "links": {}}
        self.reply(status, json.dumps(body).encode())


@pytest.fixture
def service():
    """Start a ``_Service`` with the given class attributes; yields (handler, base URL)."""
    with contextlib.ExitStack() as stack:

        def start(**attrs):
            stop = threading.Event()
            handler = type("Service", (_Service,), dict(attrs, stop=stop, seen=[]))
            port = stack.enter_context(loopback.serve(handler))
            stack.callback(stop.set)  # (runs first: a trickle ends, then the server stops)
            return handler, f"http://127.0.0.1:{port}/v3"

        yield start


def _settings(url, **extra):
    return client.resolve(None, dict({"auth_url": url, "token": TOKEN}, **extra))


def _timed(fun, *args, **kwargs):
    started = time.monotonic()
    try:
        fun(*args, **kwargs)
    except client.OpenStackError as exc:
        return time.monotonic() - started, exc
    raise AssertionError("the call did not fail")


# -- one deadline per call ------------------------------------------------------------------------


def test_a_trickling_answer_is_cut_at_the_deadline(service):
    # requests' timeout bounds each read: one byte every 0.5 s kept a call alive for ever.
    handler, url = service(mode="trickle")
    settings = _settings(url, retry_timeout=2, timeout=1)
    elapsed, exc = _timed(client.request, {}, settings, "GET", "/projects")
    assert elapsed < 2 + 1 + 0.5  # retry_timeout plus one request's timeout
    assert isinstance(exc, client.OpenStackUnavailable)
    assert f"Keystone at {url} is not answering: its answer did not complete within 1s" in str(exc)
    assert len(handler.seen) >= 2  # a read is asked again within the budget
    assert TOKEN not in str(exc)


def test_a_trickling_answer_to_a_write_is_cut_and_not_sent_again(service):
    handler, url = service(mode="trickle")
    settings = _settings(url, retry_timeout=30, timeout=1)
    context = {}
    elapsed, exc = _timed(client.request, context, settings, "POST", "/projects", {"project": {}})
    assert elapsed < 1.5
    assert "its answer did not complete within 1s" in str(exc)
    assert "may or may not have been applied" in str(exc)
    assert client.maybe_applied(exc)
    assert handler.seen == [("POST", "/v3/projects")]
    # not marked down: the lookup that tells whether it was applied is asked
    assert not context.get(client.DOWN_KEY)


def test_the_endpoint_lookup_shares_the_deadline_and_marks_keystone_not_the_service(service):
    # The token request of password auth trickles: the lookup is cut like any request,
    # and only Keystone, which did not answer, is remembered as down.
    _handler, url = service(mode="trickle")
    settings = client.resolve(
        None,
        {
            "auth_url": url,
            "username": "glance",
            "password": PASSWORD,
            "project_name": "service",
            "retry_timeout": 1.5,
            "timeout": 1,
        },
    )
    context = {}
    elapsed, exc = _timed(client.request, context, settings, "GET", "/v2/images", None, "image")
    assert elapsed < 1.5 + 1 + 0.5
    assert f"Keystone at {url} is not answering: its answer did not complete" in str(exc)
    assert "while looking up the image endpoint" in str(exc)
    assert set(context[client.DOWN_KEY]) == {url}
    assert PASSWORD not in str(exc)
    # the next call does not ask Keystone again
    elapsed, exc = _timed(client.request, context, settings, "GET", "/v2/images", None, "image")
    assert elapsed < 0.2
    assert "it is not asked again in this run" in str(exc)


def test_a_refused_token_request_is_not_remembered_as_down(service):
    handler, url = service(status=401)
    settings = client.resolve(
        None, {"auth_url": url, "username": "glance", "password": PASSWORD, "retry_timeout": 5}
    )
    context = {}
    for _ in range(2):
        with pytest.raises(client.OpenStackAuthError, match="refused password auth"):
            client.request(context, settings, "GET", "/v2/images", service_type="image")
    assert not context.get(client.DOWN_KEY)
    assert len(handler.seen) == 2  # asked again, at once (401 is an answer)


# -- a service that did not answer is not asked again in the run ----------------------------------


def test_a_hung_service_costs_the_wait_once_per_run(silent_port):
    # Keystone stopped with SIGSTOP: the kernel accepts the connection, nothing answers.
    url = f"http://127.0.0.1:{silent_port}/v3"
    settings = _settings(url, retry_timeout=1.5, timeout=1)
    context = {}
    elapsed, first = _timed(client.request, context, settings, "GET", "/projects")
    assert elapsed < 1.5 + 1 + 0.5
    assert "connection accepted, no answer within 1s" in str(first)
    assert "ConnectTimeout" not in str(first)  # it did connect
    for method in ("GET", "POST", "DELETE"):
        elapsed, later = _timed(client.request, context, settings, method, "/projects/x")
        assert elapsed < 0.2
        assert isinstance(later, client.OpenStackUnavailable)
        assert (
            f"Keystone at {url} is not answering: earlier in this run connection accepted, "
            "no answer within 1s"
        ) in str(later)
        assert "it is not asked again in this run" in str(later)


def test_a_refused_connection_says_so_and_is_tried_once_later():
    # (a refused try costs nothing, and finds a service that came back)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    refused_url = f"http://127.0.0.1:{closed.getsockname()[1]}/v3"
    closed.close()
    # delays [0.5]: the 2nd attempt starts at 0.5 s, 0.4 s before the budget ends (room for a
    # loaded machine; at 0.6 s a late scheduler left one attempt)
    settings = _settings(refused_url, retry_timeout=0.9)
    assert client.backoff_delays(0.9) == [0.5]
    context = {}
    _elapsed, first = _timed(client.request, context, settings, "GET", "/projects")
    assert "connection refused after 2 attempt(s)" in str(first)
    elapsed, later = _timed(client.request, context, settings, "GET", "/projects")
    assert elapsed < 0.2
    assert "connection refused (tried once: it already failed to answer" in str(later)


# -- HTTP 5xx -------------------------------------------------------------------------------------


def test_a_read_answered_500_is_retried_until_the_service_recovers(service):
    # Keystone answers 500 while its database is locked, then works again.
    handler, url = service(status=500, until=time.monotonic() + 1.2)
    settings = _settings(url, retry_timeout=10, timeout=2)
    projects = client.get_all({}, settings, "/projects", "projects")
    assert [p["name"] for p in projects] == ["admin"]
    assert len(handler.seen) >= 3  # 500, 500, ..., 200


def test_a_service_answering_500_fails_within_the_budget_then_at_once(service):
    handler, url = service(status=500)
    # delays [0.5, 1.0]: the 3rd attempt starts after 1.5 s and two answers, 0.5 s before the
    # budget ends (at 1.6 s a loaded machine left two attempts)
    settings = _settings(url, retry_timeout=2.0, timeout=1)
    assert client.backoff_delays(2.0) == [0.5, 1.0]
    context = {}
    elapsed, first = _timed(client.request, context, settings, "GET", "/projects")
    assert elapsed < 2.0 + 1 + 0.5
    assert f"Keystone at {url} is not answering: HTTP 500 after 3 attempt(s)" in str(first)
    asked = len(handler.seen)
    elapsed, later = _timed(client.request, context, settings, "GET", "/roles")
    assert elapsed < 0.2
    assert "earlier in this run HTTP 500 (3 attempt(s)" in str(later)
    assert len(handler.seen) == asked  # not asked again


@pytest.mark.parametrize("status", [500, 502, 504])
def test_a_write_answered_5xx_is_not_sent_again(service, status):
    # The service may have applied it before failing (500), or behind a gateway (502/504).
    handler, url = service(status=status)
    settings = _settings(url, retry_timeout=5, timeout=1)
    elapsed, exc = _timed(client.request, {}, settings, "POST", "/projects", {"project": {}})
    assert elapsed < 0.5
    assert f"HTTP {status}" in str(exc)
    assert "may or may not have been applied" in str(exc)
    assert client.maybe_applied(exc) and client.status_of(exc) == status
    assert handler.seen == [("POST", "/v3/projects")]
