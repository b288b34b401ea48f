"""A small HTTP service on the loopback for tests: a quiet handler and the server running it."""

import contextlib
import http.server
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    """Logs nothing; every method goes to ``_handle``, which answers with ``reply``."""

    def _handle(self):
        raise NotImplementedError

    def _dispatch(self):
        self._handle()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    def reply(self, status, payload=b"", content_type="application/json"):
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    def log_message(self, format, *args):
        pass


@contextlib.contextmanager
def serve(handler):
    """Serve ``handler`` on 127.0.0.1; yields the port, stops and joins on exit."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
