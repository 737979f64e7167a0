"""Run-level resources some tasks need: a temporary directory, a local HTTP server.

Both are context managers the runner enters before the clock starts and leaves whatever
happens (a failed task, a crash, a cancel): the directory is deleted, the server socket closed.
The server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_MAX_BODY = 100 * 1024 * 1024


class _DataHandler(BaseHTTPRequestHandler):
    """GET /data?size=N&delay_ms=D → waits D ms, then sends N bytes."""

    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:  # noqa: N802 — http.server's naming
        query = parse_qs(urlsplit(self.path).query)
        try:
            size = min(_MAX_BODY, max(0, int(query.get("size", ["0"])[0])))
            delay = max(0.0, int(query.get("delay_ms", ["0"])[0]) / 1000)
        except ValueError:
            self.send_error(400, "size and delay_ms must be integers")
            return
        time.sleep(delay)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        chunk = b"\0" * min(size, 65536)
        left = size
        while left > 0:
            self.wfile.write(chunk[:left])
            left -= len(chunk)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # a line per request would drown the CLI's own output


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # A demo may open hundreds of connections at once; the default backlog of 5 would reset some.
    request_queue_size = 512

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that goes away mid-response (a worker killed by a crash or a cancel) is
        # expected here; socketserver would print a traceback to the app's stderr for it.
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


@contextlib.contextmanager
def http_server() -> Iterator[str]:
    """A local HTTP server for the run; yields its base URL."""
    server = _Server(("127.0.0.1", 0), _DataHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="corescope-http", daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def temp_root() -> Iterator[str]:
    """A fresh directory for the ``files`` task, removed afterwards whatever happens."""
    # The pid in the name lets a test (or a person) tell whose directory it is.
    root = tempfile.mkdtemp(prefix=f"corescope-files-{os.getpid()}-")
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def open_fixtures(stack: contextlib.ExitStack, needed: frozenset[str]) -> dict[str, str]:
    provided: dict[str, str] = {}
    if "root" in needed:
        provided["root"] = stack.enter_context(temp_root())
    if "url" in needed:
        provided["url"] = stack.enter_context(http_server())
    return provided
