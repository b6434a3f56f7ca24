"""Ways to reach a gateway from outside the test client: `requests` interception through
`responses`, and a real werkzeug server on 127.0.0.1."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import requests
import responses
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.test import EnvironBuilder

from .model import HTTP_METHODS
from .pipeline import RAW_HEADERS_KEY

if TYPE_CHECKING:
    from .gateway import Gateway


@contextmanager
def intercept(gateway: Gateway) -> Iterator[responses.RequestsMock]:
    """Answer `requests` calls to the gateway's host in-process.

    Every other request goes to whatever sent requests before we started: the network, or a
    `responses` mock the test already activated."""
    previous_send = requests.adapters.HTTPAdapter.send
    mock = responses.RequestsMock(
        assert_all_requests_are_fired=False, real_adapter_send=previous_send
    )
    url = re.compile(rf"https?://{re.escape(gateway.host)}(:\d+)?(/.*)?$")
    for method in HTTP_METHODS:
        mock.add_callback(method, url, callback=lambda request: _serve_prepared(gateway, request))
    mock.add_passthru(re.compile(r".*"))
    with mock:
        yield mock


def _serve_prepared(gateway: Gateway, request: requests.PreparedRequest) -> Any:
    body: Any = request.body
    if isinstance(body, str):
        body = body.encode("utf-8")
    elif body is not None and not isinstance(body, bytes) and not hasattr(body, "read"):
        # A generator body, which requests sends chunked: the gateway reads it whole.
        body = b"".join(c.encode("utf-8") if isinstance(c, str) else bytes(c) for c in body)
    url = (request.url or "/").partition("#")[0]  # a fragment never goes on the wire
    scheme, rest = url.split("://", 1)
    netloc, _, path = rest.partition("/")
    builder = EnvironBuilder(
        path="/" + path, base_url=f"{scheme}://{netloc}", method=request.method or "GET",
        headers=list(request.headers.items()), data=body or b"",
    )  # fmt: skip
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    environ["REQUEST_URI"] = environ["RAW_URI"] = "/" + path
    environ[RAW_HEADERS_KEY] = [("Host", netloc), *map(_text_header, request.headers.items())]
    status, headers, data = gateway.call(environ)
    return status, headers, data


def _text_header(item: tuple[str | bytes, str | bytes]) -> tuple[str, str]:
    """requests allows bytes header names and values; on the wire they are latin-1."""
    name, value = item
    return (
        name.decode("latin-1") if isinstance(name, bytes) else name,
        value.decode("latin-1") if isinstance(value, bytes) else value,
    )


class _RawHeadersHandler(WSGIRequestHandler):
    """Keeps the header names' case as the client sent them (WSGI environs lose it)."""

    def make_environ(self) -> Any:
        environ = super().make_environ()
        environ[RAW_HEADERS_KEY] = list(self.headers.items())
        return environ

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Quiet: the invocation records say what each request did."""


@contextmanager
def serve(gateway: Gateway, host: str, port: int) -> Iterator[str]:
    server = make_server(
        host, port, gateway.wsgi_app, threaded=True, request_handler=_RawHeadersHandler
    )
    # A short poll interval: shutdown() waits up to one interval for the loop to notice.
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="apistages-server",
        daemon=True,
    )
    thread.start()
    try:
        yield f"http://{host}:{server.port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
