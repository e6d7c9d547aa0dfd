"""The session app served over real HTTP on loopback, in a thread (for the SDK tests)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import make_server


class Counted:
    """A WSGI app that notes each request it answers (method, path) before ``app`` does:
    what a client really sent, counted at the server."""

    def __init__(self, app) -> None:
        self.app = app
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self._lock:
            self.calls.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        return self.app(environ, start_response)


@contextmanager
def serving(app) -> Iterator[str]:
    """Yields the base URL (http://127.0.0.1:PORT) while ``app`` answers there."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="sdk-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
