"""A real HTTP endpoint on 127.0.0.1 for the delivery tests: it answers each request as a script
says (a status, or a callback) and keeps what it acknowledged with 2xx."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    """One request as the endpoint saw it."""

    headers: dict[str, str]
    body: bytes
    status: int | None

    @property
    def event_id(self) -> str:
        return json.loads(self.body)["event_id"]


@dataclass
class Endpoint:
    """The server's script and log: `answer(n, request)` gives the status of the n-th request (from
    1), or None to answer nothing and drop the connection."""

    answer: Callable[[int, Received], int | None] = lambda n, request: 200
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def acknowledged(self) -> list[str]:
        """Event ids answered 2xx, in the order they arrived."""
        return [r.event_id for r in self.received if r.status is not None and r.status < 300]


def start(endpoint: Endpoint) -> tuple[ThreadingHTTPServer, str]:
    """Serve `endpoint` on a free port in a daemon thread; returns the server and its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            request = Received(dict(self.headers.items()), body, None)
            with endpoint.lock:
                endpoint.received.append(request)
                number = len(endpoint.received)
            status = endpoint.answer(number, request)
            if status is None:
                self.close_connection = True
                return
            request.status = status
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/hook/secret-path"
