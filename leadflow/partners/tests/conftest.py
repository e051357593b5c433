"""A real HTTP server on 127.0.0.1 (a free port) that answers postbacks as scripted and records them."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client as HttpClient


@dataclass
class PostbackServer:
    host: str
    port: int
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # scripted, then 200
    paths: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"


@pytest.fixture
def postback_server(settings) -> Iterator[PostbackServer]:  # type: ignore[no-untyped-def]
    state = PostbackServer(host="127.0.0.1", port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.paths.append(self.path)
            code, headers = state.answers.pop(0) if state.answers else (200, {})
            self.send_response(code)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    # The suite's own server is on loopback: allow exactly that host, as an operator would a private partner.
    settings.LEADFLOW_POSTBACK_ALLOW_HOSTS = ["127.0.0.1"]
    settings.LEADFLOW_POSTBACK_RETRY_SECONDS = 60
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def submit(key: str, body: dict, **headers: str):  # type: ignore[no-untyped-def]
    return HttpClient().post("/api/submissions", data=json.dumps(body), content_type="application/json",
                             headers={"X-Api-Key": key, **headers})
