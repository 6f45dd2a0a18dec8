"""What the fake provider servers share: a real HTTP server on 127.0.0.1 (ephemeral port) in a
daemon thread, started and stopped with the fake (also as a context manager)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LocalServer:
    handler: type[BaseHTTPRequestHandler]  # finds the fake as ``self.server.fake``
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def start(self):
        if self._server is not None:
            return self
        self._before_start()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=type(self).__name__, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._before_stop()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def _before_start(self) -> None:
        pass

    def _before_stop(self) -> None:
        pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not running")
        return self._server.server_address[1]
