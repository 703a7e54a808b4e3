"""Real local services for the health-check tests: HTTP servers in threads, a closed port."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def http_service(body: bytes = b'{"status": "ok"}', status: int = 200,
                 hold: threading.Event | None = None,
                 drip: float | None = None) -> Iterator[str]:
    """An HTTP server on a free port answering ``status`` with ``body``; with ``hold``
    it answers only once the event is set (a service that hangs); with ``drip`` it sends
    the body one byte every ``drip`` seconds (a slow sender)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            if hold is not None:
                hold.wait(60)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if drip is None:
                self.wfile.write(body)
                return
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(drip)

        def log_message(self, *args) -> None:  # quiet
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/health"
    finally:
        if hold is not None:
            hold.set()
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
