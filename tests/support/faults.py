"""
Faults on the loopback, as a tool for the functional tests: a ``FaultProxy`` listens on
127.0.0.1 in front of a service the test runs (a real Keystone or Glance, the Compute
double), forwards every request to it and answers with what it answered, until the test
arms a fault. Point the client (``auth_url``, a catalog endpoint) at ``proxy.url``.

Faults, each for the requests whose method is ``method`` (None: any) and whose path
starts with ``prefix`` (or, a compiled regular expression, matches it):

``drop_answer(method, prefix, times=1, apply=True, down=0.0)``
    The first ``times`` matching requests are forwarded (with ``apply`` False: not), then
    the client's connection is closed without an answer: the service applied the write and
    died before answering. For ``down`` seconds after, every request gets the same (it is
    coming back).
``hang(seconds, method=None, prefix="")``
    A matching request that arrives within ``seconds`` of the first one is accepted and
    never answered: the proxy holds it until that window ends, then closes it unanswered.
``fail(seconds=None, times=None, status=500, ...)``
    Answer ``status`` (an OpenStack error body) to the matching requests of the ``seconds``
    from the first one, or to the next ``times`` of them.

A window opens at the fault's first request, not when the test arms it: a state run may
take seconds of rendering before it calls the service (more on a loaded machine, where a
window counted from the arming once closed before the run's first request).
``restart(method, prefix, stop, start, down=0.0)``
    For a service the test owns: the first matching request is forwarded, then ``stop()``
    kills the service and the connection is closed unanswered; ``start()`` brings it back
    ``down`` seconds later (in a thread: ``wait_restarted()`` joins it). A request that
    finds the service gone meanwhile is closed unanswered too, as a client cannot tell.

Each returns its fault, whose ``hits`` are the ``(method, path)`` of the requests it took.
``proxy.seen`` lists ``(method, path, what)`` of every request, ``what`` being
``forwarded``, ``dropped``, ``down``, ``hung``, ``failed <status>`` or ``restarted``;
``proxy.faulted(what)`` the ``(method, path)`` of those.
"""

from __future__ import annotations

import http.client
import http.server
import json
import threading
import time
import urllib.parse

# Not sent on: they concern one connection, and the proxy makes its own.
HOP_BY_HOP = frozenset(
    ("connection", "keep-alive", "transfer-encoding", "content-length", "host", "te", "upgrade")
)
# Set by the proxy's own server when it answers.
OWN_HEADERS = frozenset(("server", "date"))


class _Fault:
    def __init__(self, kind, method, prefix, times=None, seconds=None, **extra):
        self.kind, self.method, self.prefix = kind, method, prefix
        self.times, self.seconds = times, seconds
        self.until = None  # the window's end, once its first request came (``seconds``)
        self.extra = extra
        self.hits = []  # (method, path) of the requests it took

    def matches(self, method, path, now):
        if self.method is not None and self.method != method:
            return False
        if isinstance(self.prefix, str):
            if not path.startswith(self.prefix):
                return False
        elif not self.prefix.search(path):
            return False
        if self.until is not None and now >= self.until:
            return False
        return self.times is None or self.times > 0

    def take(self, method, path):
        if self.seconds is not None and self.until is None:
            self.until = time.monotonic() + self.seconds
        self.hits.append((method, path))
        if self.times is not None:
            self.times -= 1


class FaultProxy:
    """Forwards 127.0.0.1:<port> to ``upstream`` (``http://host:port``), injecting faults."""

    def __init__(self, upstream, timeout=60.0):
        self.upstream = urllib.parse.urlsplit(upstream.rstrip("/"))
        self.timeout = timeout
        self.lock = threading.Lock()
        self.faults = []
        self.seen = []
        self.down_until = 0.0
        self.stopping = threading.Event()
        self.restarter = None
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = None

    # -- life -------------------------------------------------------------------------------------

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.wait_restarted()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- faults -----------------------------------------------------------------------------------

    def _arm(self, fault):
        with self.lock:
            self.faults.append(fault)
        return fault

    def drop_answer(self, method, prefix, times=1, apply=True, down=0.0):
        return self._arm(_Fault("drop", method, prefix, times=times, apply=apply, down=down))

    def hang(self, seconds, method=None, prefix=""):
        return self._arm(_Fault("hang", method, prefix, seconds=seconds))

    def fail(self, seconds=None, times=None, status=500, method=None, prefix=""):
        return self._arm(
            _Fault("fail", method, prefix, times=times, seconds=seconds, status=status)
        )

    def restart(self, method, prefix, stop, start, down=0.0):
        return self._arm(
            _Fault("restart", method, prefix, times=1, stop=stop, start=start, down=down)
        )

    def clear(self):
        with self.lock:
            self.faults.clear()
            self.down_until = 0.0

    def wait_restarted(self, timeout=180):
        if self.restarter is not None:
            self.restarter.join(timeout)
            self.restarter = None

    def faulted(self, what):
        return [(m, p) for m, p, w in self.seen if w == what]

    def _pick(self, method, path):
        """The fault for this request (taken), or "down", or None."""
        with self.lock:
            now = time.monotonic()
            if now < self.down_until:
                return "down"
            for fault in self.faults:
                if fault.matches(method, path, now):
                    fault.take(method, path)
                    return fault
        return None

    # -- forwarding -------------------------------------------------------------------------------

    def forward(self, method, path, headers, body):
        """Send the request on; ``(status, headers, payload)``, or None when nothing answered."""
        conn = http.client.HTTPConnection(
            self.upstream.hostname, self.upstream.port, timeout=self.timeout
        )
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
            return resp.status, resp.getheaders(), payload
        except OSError:  # refused, reset, timed out: nothing came back
            return None
        except http.client.HTTPException:
            return None
        finally:
            conn.close()

    def _handler(self):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format, *args):  # quiet
                pass

            def _body(self):
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        if not size:
                            self.rfile.readline()
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else None

            def _forward(self, body):
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                headers["Connection"] = "close"
                return proxy.forward(self.command, self.path, headers, body)

            def _unanswered(self, what):
                proxy.seen.append((self.command, self.path, what))
                self.close_connection = True

            def _answer(self, status, headers, payload, what="forwarded"):
                proxy.seen.append((self.command, self.path, what))
                self.send_response(status)
                for key, value in headers:
                    if key.lower() not in HOP_BY_HOP | OWN_HEADERS:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if payload and self.command != "HEAD":
                    self.wfile.write(payload)

            def _dispatch(self):
                body = self._body()
                fault = proxy._pick(self.command, self.path)
                if fault == "down":
                    self._unanswered("down")
                elif fault is None:
                    answer = self._forward(body)
                    if answer is None:
                        self._unanswered("down")
                    else:
                        self._answer(*answer)
                else:
                    getattr(self, "_" + fault.kind)(fault, body)

            def _hang(self, fault, body):
                proxy.stopping.wait(max(0.0, fault.until - time.monotonic()))
                self._unanswered("hung")

            def _fail(self, fault, body):
                status = fault.extra["status"]
                error = {"error": {"message": "injected by the fault proxy", "code": status}}
                payload = json.dumps(error).encode()
                self._answer(
                    status, [("Content-Type", "application/json")], payload, f"failed {status}"
                )

            def _drop(self, fault, body):
                if fault.extra["apply"]:
                    self._forward(body)
                with proxy.lock:
                    proxy.down_until = time.monotonic() + fault.extra["down"]
                self._unanswered("dropped")

            def _restart(self, fault, body):
                self._forward(body)
                fault.extra["stop"]()

                def later():
                    proxy.stopping.wait(fault.extra["down"])
                    fault.extra["start"]()

                proxy.restarter = threading.Thread(target=later, daemon=True)
                proxy.restarter.start()
                self._unanswered("restarted")

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

        return Handler
