"""The blocking pool the plugin's links share carries no cookie from one principal's answer to the next request."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from azure.core.pipeline.transport import HttpRequest

from partner_attribution.pal.shared_transport import shared_transport


class _SetsACookie(BaseHTTPRequestHandler):
    cookies_seen: ClassVar[list[str | None]] = []

    def do_GET(self) -> None:
        type(self).cookies_seen.append(self.headers.get("Cookie"))
        self.send_response(200)
        self.send_header("Set-Cookie", "fpc=principal-one-session; Path=/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _SetsACookie)
    _SetsACookie.cookies_seen = []
    # polling for shutdown every 20 ms, not socketserver's 500: the teardown does not wait half a second
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()


def test_a_cookie_one_answer_sets_is_not_sent_with_the_next_request(server: str) -> None:
    transport = shared_transport(4)
    with transport:
        for _ in range(2):
            assert transport.send(HttpRequest("GET", server)).status_code == 200
    assert _SetsACookie.cookies_seen == [None, None]
