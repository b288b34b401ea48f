"""
download_cache.fetch against a loopback HTTP server that misbehaves: a body bigger than the
declared size (announced, or streamed without a length), a short one, one that trickles
past the deadline, one that stalls. Each download fails with one line, quickly, and leaves
no file behind.
"""

import http.server
import os
import threading
import time

import pytest
from salt.exceptions import CommandExecutionError

SIZE = 300_000
BODY = os.urandom(SIZE)
ENDLESS = 64 << 20  # what the "endless" body would send if nobody stopped reading


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # no length: the body ends when the connection closes

    def _head(self, length=None):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def _send(self, data):
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            return False
        self.server.sent[self.path] = self.server.sent.get(self.path, 0) + len(data)
        return True

    def do_GET(self):
        if self.path == "/cirros.img":
            self._head(SIZE)
            self._send(BODY)
        elif self.path == "/announced-bigger.img":
            self._head(SIZE + 1)
            self._send(BODY + b"x")
        elif self.path == "/endless.img":
            self._head()
            block = b"\0" * (1 << 16)
            while self.server.sent.get(self.path, 0) < ENDLESS and self._send(block):
                pass
        elif self.path == "/short.img":
            self._head()
            self._send(BODY[:-1])
        elif self.path == "/trickle.img":
            self._head(SIZE)
            for index in range(SIZE):
                if self.server.stop.wait(0.05) or not self._send(BODY[index : index + 1]):
                    break
        elif self.path == "/stall.img":
            self._head(SIZE)
            self.server.stop.wait(60)
        else:
            self.send_error(404)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def web():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.sent, server.stop = {}, threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.sent
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()


def fetch(loaders, url, dest, **kwargs):
    return loaders.modules.download_cache.fetch(url, str(dest), SIZE, **kwargs)


def test_the_declared_size_is_downloaded_into_dest(loaders, web, tmp_path):
    base, _ = web
    dest = tmp_path / "cache" / "cirros.img"
    assert fetch(loaders, f"{base}/cirros.img", dest) == str(dest)
    assert dest.read_bytes() == BODY
    assert sorted(p.name for p in dest.parent.iterdir()) == ["cirros.img"]


def test_a_larger_declared_length_is_refused_before_the_body(loaders, web, tmp_path):
    base, _ = web
    url = f"{base}/announced-bigger.img"
    with pytest.raises(CommandExecutionError) as failed:
        fetch(loaders, url, tmp_path / "a.img")
    assert str(failed.value) == (
        f"cannot download {url}: it declares {SIZE + 1} bytes, not the expected {SIZE}; "
        "nothing read"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_body_bigger_than_declared_is_stopped_while_streaming(loaders, web, tmp_path):
    base, sent = web
    url = f"{base}/endless.img"
    started = time.monotonic()
    with pytest.raises(CommandExecutionError) as failed:
        fetch(loaders, url, tmp_path / "a.img")
    assert str(failed.value) == (
        f"cannot download {url}: it sends more than the expected {SIZE} bytes; stopped"
    )
    assert time.monotonic() - started < 5
    assert list(tmp_path.iterdir()) == []
    # The reader stopped: the server could not push its 64 MiB (socket buffers aside).
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and sent.get("/endless.img", 0) < SIZE:
        time.sleep(0.05)
    assert SIZE < sent["/endless.img"] < 16 << 20


def test_a_short_body_fails(loaders, web, tmp_path):
    base, _ = web
    url = f"{base}/short.img"
    with pytest.raises(CommandExecutionError) as failed:
        fetch(loaders, url, tmp_path / "a.img")
    assert str(failed.value) == f"cannot download {url}: {SIZE - 1} bytes, not the expected {SIZE}"
    assert list(tmp_path.iterdir()) == []


def failing(loaders, url, tmp_path, **kwargs):
    """``(message, seconds)`` of a download that must fail and leave no file."""
    started = time.monotonic()
    with pytest.raises(CommandExecutionError) as failed:
        fetch(loaders, url, tmp_path / "a.img", **kwargs)
    elapsed = time.monotonic() - started
    assert list(tmp_path.iterdir()) == []
    return str(failed.value), elapsed


def test_a_trickling_body_ends_at_the_deadline(loaders, web, tmp_path):
    base, _ = web
    url = f"{base}/trickle.img"
    message, elapsed = failing(loaders, url, tmp_path, timeout=2, deadline=1.5)
    # Each byte comes well within the read timeout; only the deadline stops it.
    assert message.startswith(f"cannot download {url}: not complete within the deadline")
    assert 1.5 <= elapsed < 1.5 + 2 + 1


def test_a_stalled_body_ends_at_the_read_timeout(loaders, web, tmp_path):
    base, _ = web
    url = f"{base}/stall.img"
    message, elapsed = failing(loaders, url, tmp_path, timeout=1, deadline=30)
    assert message == f"cannot download {url}: timed out"
    assert elapsed < 1 + 2
