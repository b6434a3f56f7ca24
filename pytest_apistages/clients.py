"""The ways to reach a gateway: the werkzeug test client of a stage (`gw.client`), `requests`
interception through `responses` (`gw.intercept`), and a real werkzeug server on 127.0.0.1
(`gw.serve`). Each hands the pipeline a WSGI environ with the request as the client sent it."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import requests
import responses
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.test import Client, EnvironBuilder, TestResponse
from werkzeug.wrappers import Request

from .observe.records import Invocation
from .resources import HTTP_METHODS
from .runtime.pipeline import FORCE_CANARY_KEY, handle, wire
from .runtime.request import RAW_HEADERS_KEY, environ_for
from .runtime.respond import RECORD_SINK_KEY

if TYPE_CHECKING:
    from .gateway import Gateway


class ApiResponse(TestResponse):
    """A werkzeug test response that also reads like a `requests` one: `r.json()`, `r.text`;
    `r.invocation` is the record of what served it."""

    _invocation: Invocation | None = None

    def json(self) -> Any:
        return self.get_json(force=True)

    @property
    def invocation(self) -> Invocation:
        if self._invocation is None:
            raise LookupError(
                "no invocation record: this request was built from a raw environ; "
                "use gw.invocation(request_id) with its x-amzn-RequestId"
            )
        return self._invocation


class Verbs:
    """The test client's verb helpers, typed to return our response class."""

    if TYPE_CHECKING:

        def open(self, *args: Any, **kwargs: Any) -> ApiResponse: ...

    def get(self, *args: Any, **kwargs: Any) -> ApiResponse:
        return self.open(*args, method="GET", **kwargs)

    def post(self, *args: Any, **kwargs: Any) -> ApiResponse:
        return self.open(*args, method="POST", **kwargs)

    def put(self, *args: Any, **kwargs: Any) -> ApiResponse:
        return self.open(*args, method="PUT", **kwargs)

    def patch(self, *args: Any, **kwargs: Any) -> ApiResponse:
        return self.open(*args, method="PATCH", **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> ApiResponse:
        return self.open(*args, method="DELETE", **kwargs)

    def head(self, *args: Any, **kwargs: Any) -> ApiResponse:
        return self.open(*args, method="HEAD", **kwargs)

    def options(self, *args: Any, **kwargs: Any) -> ApiResponse:
        return self.open(*args, method="OPTIONS", **kwargs)

    def _add_cookies_to_wsgi(self, environ: dict[str, Any]) -> None:
        """Send the test's own Cookie header and the jar's cookies, merged by name (the test's
        first), as a browser would: werkzeug alone replaces the test's header with the jar's,
        or drops it when the jar is empty."""
        written = environ.get("HTTP_COOKIE", "")
        super()._add_cookies_to_wsgi(environ)  # type: ignore[misc]
        merged = merge_cookies(written, environ.get("HTTP_COOKIE", ""))
        if merged:
            environ["HTTP_COOKIE"] = merged
        raw = environ.get(RAW_HEADERS_KEY)
        if raw is not None:
            raw = [(k, v) for k, v in raw if k.lower() != "cookie"]
            environ[RAW_HEADERS_KEY] = raw + ([("Cookie", merged)] if merged else [])

    def resolve_redirect(self, response: TestResponse, buffered: bool = False) -> TestResponse:
        """Following a 307/308 sends the body again: rewind what the first hop read."""
        stream = response.request.environ.get("wsgi.input")
        if stream is not None and stream.seekable():
            stream.seek(0)
        redirected: TestResponse = super().resolve_redirect(  # type: ignore[misc]
            response, buffered=buffered
        )
        return redirected


class StageClient(Verbs, Client):
    """A werkzeug test client for one stage; paths are given without the stage prefix."""

    def __init__(self, gateway: Gateway, stage: str, canary: bool | None = None) -> None:
        super().__init__(gateway.wsgi_app, response_wrapper=ApiResponse)
        self.gateway = gateway
        self.stage = stage
        self.canary = canary
        self.base_url = f"https://{gateway.host}"

    def __repr__(self) -> str:
        forced = "" if self.canary is None else f", canary={self.canary}"
        return f"<StageClient {self.stage!r} of {self.gateway!r}{forced}>"

    def _check_canary(self) -> None:
        served = self.gateway.services.served.get(self.stage)  # the snapshot: no copy
        if self.canary and served is not None and served.stage.canary is None:
            raise ValueError(
                f"gw.client({self.stage!r}, canary=True): stage has no canary to force"
            )

    def open(self, *args: Any, **kwargs: Any) -> ApiResponse:
        if not args or not isinstance(args[0], (EnvironBuilder, dict, Request)):
            options = {k: kwargs.pop(k) for k in ("buffered", "follow_redirects") if k in kwargs}
            kwargs.setdefault("base_url", self.base_url)
            path = str(args[0] if args else kwargs.pop("path", "/"))
            args = (f"/{self.stage}/{path.lstrip('/')}", *args[1:])
            builder = EnvironBuilder(*args, **kwargs)
            try:
                environ = builder.get_environ()
            finally:
                builder.close()
            environ[RAW_HEADERS_KEY] = _client_headers(builder, environ)
            environ[RECORD_SINK_KEY] = []
            if self.canary is not None:
                self._check_canary()
                environ[FORCE_CANARY_KEY] = self.canary
            response = super().open(Request(environ), **options)
        else:
            response = super().open(*args, **kwargs)
        assert isinstance(response, ApiResponse)
        sink = response.request.environ.get(RECORD_SINK_KEY)
        response._invocation = sink[-1] if sink else None
        return response


def merge_cookies(*headers: str) -> str:
    """`Cookie` header values as one, each cookie name once (the first one given wins)."""
    seen: dict[str, str] = {}
    for header in headers:
        for pair in header.split(";"):
            pair = pair.strip()
            if pair:
                seen.setdefault(pair.partition("=")[0].strip(), pair)
    return "; ".join(seen.values())


def _client_headers(builder: EnvironBuilder, environ: dict[str, Any]) -> list[tuple[str, str]]:
    """The request's headers with the case the test wrote them in, as a real client sends."""
    headers = [("Host", environ["HTTP_HOST"])]
    given = {k.lower() for k, _ in builder.headers.items()}
    if "user-agent" not in given and environ.get("HTTP_USER_AGENT"):
        headers.append(("User-Agent", environ["HTTP_USER_AGENT"]))
    headers += [(k, v) for k, v in builder.headers.items() if k.lower() != "host"]
    if builder.content_length and "content-length" not in given:
        headers.append(("Content-Length", str(builder.content_length)))
    return headers


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
    """Hand a prepared request to the pipeline as the WSGI environ a server would make of it."""
    body: Any = request.body
    if isinstance(body, str):
        body = body.encode("utf-8")
    elif hasattr(body, "read"):
        body = body.read()
    elif body is not None and not isinstance(body, bytes):
        # A generator body, which requests sends chunked: the gateway reads it whole.
        body = b"".join(c.encode("utf-8") if isinstance(c, str) else bytes(c) for c in body)
    url = (request.url or "/").partition("#")[0]  # a fragment never goes on the wire
    scheme, rest = url.split("://", 1)
    netloc, _, target = rest.partition("/")
    headers = [("Host", netloc), *map(_text_header, request.headers.items())]
    environ = environ_for(
        request.method or "GET", scheme, netloc, "/" + target, headers, body or b""
    )
    return wire(handle(gateway.services, environ))


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
