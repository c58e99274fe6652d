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


class LocalServer:
    def __init__(self, handler: type[BaseHTTPRequestHandler], host: str, port: int):
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self.url = f"http://{host}:{self._server.server_address[1]}"

    def start(self) -> Any:
        # A stop waits for the serving loop's next look (0.5 s by default): the tests start and stop
        # a stand-in for each test.
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
