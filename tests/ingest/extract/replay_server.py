"""A local HTTP server on 127.0.0.1 that replays recorded API pages, with scripted failures.

`routes` answers a request (method, path, query) with (status, headers, body); `failures` makes the
n-th request whose path starts with a prefix answer with a given status instead (429, 500) or stall
past the client's timeout, which is how a rate limit or a server error mid-way is staged.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Answer = tuple[int, dict[str, str], Any]
Route = Callable[[str, dict[str, list[str]], dict[str, str]], Answer]


@dataclass
class Failure:
    path_prefix: str
    nth: int  # 1-based count of requests to that prefix
    status: int  # 0: stall for `stall_seconds` instead of answering quickly
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    stall_seconds: float = 0.0


@dataclass
class Logged:
    path: str
    query: dict[str, list[str]]
    status: int


class ReplayServer:
    def __init__(self, route: Route, failures: list[Failure] | None = None) -> None:
        self.route = route
        self.failures = failures or []
        self.log: list[Logged] = []
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                status, headers, body = server._answer(parts.path, query, dict(self.headers))
                payload = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    for name, value in {"Content-Type": "application/json", **headers}.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *_args: Any) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _answer(self, path: str, query: dict[str, list[str]], headers: dict[str, str]) -> Answer:
        with self._lock:
            failure = None
            for candidate in self.failures:
                if path.startswith(candidate.path_prefix):
                    count = self._counts.get(candidate.path_prefix, 0) + 1
                    if count == candidate.nth:
                        failure = candidate
            for prefix in {f.path_prefix for f in self.failures}:
                if path.startswith(prefix):
                    self._counts[prefix] = self._counts.get(prefix, 0) + 1
        if failure is not None and failure.status == 0:
            time.sleep(failure.stall_seconds)
        if failure is not None and failure.status:
            answer: Answer = (failure.status, failure.headers, failure.body or {})
        else:
            answer = self.route(path, query, headers)
        with self._lock:
            self.log.append(Logged(path, query, answer[0]))
        return answer

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
