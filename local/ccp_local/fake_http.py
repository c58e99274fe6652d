"""What the local stand-ins for outside services (Credly, the payment processor) share: a quiet
request handler and a threaded server on a local port, started in the background."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class QuietHandler(BaseHTTPRequestHandler):
    wbufsize = -1  # headers and body in one write (no delayed-ACK wait on keep-alive connections)

    def send_body(self, status: int, content_type: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_json(self, status: int, payload: Any) -> None:
        self.send_body(status, "application/json", json.dumps(payload).encode())

    def log_message(self, format: str, *args: Any) -> None:  # request lines stay out of the console
        pass


def serve_in_background(server: ThreadingHTTPServer) -> ThreadingHTTPServer:
    """Serve on a daemon thread. A stop waits for the serving loop's next look (every 0.5 s by default):
    the tests start and stop a stand-in, or a whole stack, for each test or module."""
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


class LocalServer:
    def __init__(self, handler: type[BaseHTTPRequestHandler], host: str, port: int):
        self._server = ThreadingHTTPServer((host, port), handler)
        self.url = f"http://{host}:{self._server.server_address[1]}"

    def start(self) -> Any:
        serve_in_background(self._server)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
