"""Two ways to reach the sandbox: an httpx transport in-process, and a loopback HTTP server."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from b24cfg.sandbox.portal import SandboxPortal


class SandboxTransport(httpx.BaseTransport):
    """Serve httpx requests from a ``SandboxPortal`` without a socket.

    A response the portal marks as lost (fault injection) surfaces as ``httpx.ReadTimeout``, the
    way a dropped connection looks to a real client.
    """

    def __init__(self, portal: SandboxPortal) -> None:
        self.portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        answer = self.portal.handle(request.method, str(request.url), dict(request.headers), body)
        if answer.lost:
            raise httpx.ReadTimeout("the sandbox dropped the response (fault injection)", request=request)
        return httpx.Response(answer.status, headers=answer.headers, content=answer.body, request=request)


class SandboxServer:
    """``b24cfg sandbox serve``: the portal over HTTP on 127.0.0.1 (port 0 picks a free one)."""

    def __init__(self, portal: SandboxPortal, port: int = 0, host: str = "127.0.0.1") -> None:
        self.portal = portal
        handler = _make_handler(portal)
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.host, self.port = str(self.httpd.server_address[0]), int(self.httpd.server_address[1])
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="b24cfg-sandbox", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _make_handler(portal: SandboxPortal) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "b24cfg-sandbox"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            host = self.headers.get("Host") or "127.0.0.1"
            url = f"http://{host}{self.path}"
            answer = portal.handle(self.command, url, dict(self.headers.items()), body)
            if answer.lost:
                # The write ran; the client never hears about it.
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.send_response(answer.status)
            for key, value in answer.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # request lines carry webhook codes; the sandbox logs nothing

    return Handler
