"""Reading a request as API Gateway sees it: the raw path and query, header names in the
client's case, the body within the 10 MB limit, and the ids and time of the request."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, unquote, unquote_plus

from werkzeug.datastructures import EnvironHeaders
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.wsgi import get_content_length, get_input_stream

from .. import errors
from .context import GatewayFailure, RequestContext

MAX_PAYLOAD = 10 * 1024 * 1024
RAW_HEADERS_KEY = "apistages.raw_headers"  # the headers in the client's case, when known
_URI_SAFE = "/?#[]@!$&'()*+,;=:-._~%"
_NEEDS_QUOTING = re.compile(r"[^A-Za-z0-9/?#\[\]@!$&'()*+,;=:\-._~%]")
# Request headers that never reach an integration (recorded on AWS: LocalStack's
# test_apigateway_header_remapping_aws, no-param-integration).
NOT_PASSED = frozenset(
    ("connection", "content-length", "content-md5", "expect", "max-forwards",
     "proxy-authenticate", "server", "te", "trailer", "transfer-encoding", "upgrade",
     "www-authenticate")
)  # fmt: skip
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def read_request(ctx: RequestContext) -> None:
    """What arrived: the raw (not URL-decoded) path and query, the header names in the client's
    case, and the ids and time of this request.

    werkzeug's environ decodes the path and loses header case; API Gateway keeps both, so we
    read `RAW_URI`/`REQUEST_URI` and the raw headers our clients and server hand over."""
    environ = ctx.environ
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw_uri:
        if _NEEDS_QUOTING.search(raw_uri):  # WSGI carries the request line as latin-1 text
            raw_uri = quote(raw_uri.encode("latin-1", "replace"), safe=_URI_SAFE)
        raw_path, mark, query = raw_uri.partition("?")
        if not mark:
            query = environ.get("QUERY_STRING", "")
        if "://" in raw_path:  # absolute-form request target
            raw_path = "/" + raw_path.split("://", 1)[1].partition("/")[2]
        mount = environ.get("SCRIPT_NAME")
        if mount:  # the gateway is mounted under a prefix
            mount = quote(mount, safe="/")
            if raw_path.startswith(mount):
                raw_path = raw_path[len(mount) :] or "/"
    else:
        raw_path = quote(environ.get("PATH_INFO", ""), safe="/")
        query = environ.get("QUERY_STRING", "")
    services = ctx.services
    ctx.method = environ.get("REQUEST_METHOD", "GET").upper()
    ctx.raw_path = raw_path
    ctx.query_string = query
    ctx.source_ip = environ.get("REMOTE_ADDR") or "127.0.0.1"
    ctx.protocol = environ.get("SERVER_PROTOCOL") or "HTTP/1.1"
    ctx.host = str(environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "localhost")
    ctx.started = services.clock.now()
    ctx.timer = time.perf_counter()
    ctx.request_id, ctx.extended_request_id = services.draws.request_ids()
    ctx.trace_id = f"Root=1-{int(ctx.started):08x}-{ctx.request_id.replace('-', '')[:24]}"
    # An environ has lost the headers' case; our clients and server pass them on as sent.
    raw_headers = environ.get(RAW_HEADERS_KEY) or list(EnvironHeaders(environ).items())
    ctx.headers = forwarded_headers(ctx, raw_headers)
    ctx.note("Starting execution for request: {}", ctx.request_id)


def forwarded_headers(ctx: RequestContext, raw: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers as a regional endpoint passes them on: without the hop-by-hop and
    framing headers AWS drops, with the X-Forwarded-* and X-Amzn-Trace-Id headers it adds."""
    headers = []
    forwarded_for = None
    present = set()
    for name, value in raw:
        lowered = name.lower()
        if lowered in NOT_PASSED:
            continue
        if lowered == "x-forwarded-for":
            forwarded_for = value
            continue
        present.add(lowered)
        headers.append((name, value))
    headers.append(
        ("X-Forwarded-For", f"{forwarded_for}, {ctx.source_ip}" if forwarded_for else ctx.source_ip)
    )
    if "x-amzn-trace-id" not in present:
        headers.append(("X-Amzn-Trace-Id", ctx.trace_id))
    if "x-forwarded-port" not in present:
        headers.append(("X-Forwarded-Port", "443"))
    if "x-forwarded-proto" not in present:
        headers.append(("X-Forwarded-Proto", "https"))
    return headers


def environ_for(
    method: str,
    scheme: str,
    netloc: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes,
) -> dict[str, Any]:
    """The WSGI environ a server would make of a request (`target` is the raw path and query),
    with the headers as sent under RAW_HEADERS_KEY. Built here because werkzeug's
    EnvironBuilder would decode and re-encode what the client already encoded."""
    path, _, query = target.partition("?")
    host, _, port = netloc.partition(":")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method.upper(),
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(path, "latin-1"),
        "QUERY_STRING": query,
        "REQUEST_URI": target,
        "RAW_URI": target,
        "SERVER_NAME": host,
        "SERVER_PORT": port or ("443" if scheme == "https" else "80"),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)) if body else "",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": True,  # the whole body is there: a chunked one too
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        RAW_HEADERS_KEY: headers,
    }
    for name, value in headers:
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        elif key == "CONTENT_LENGTH":
            continue
        environ[key] = f"{environ[key]}, {value}" if key in environ else value
    environ.setdefault("HTTP_HOST", netloc)
    return environ


def read_body(ctx: RequestContext) -> None:
    """The request body, refused over API Gateway's 10 MB limit: a declared Content-Length
    over it at once, a chunked body (terminated by the server) once it passes it. werkzeug's
    stream stops at the declared length; a client that sends less is answered 400."""
    environ = ctx.environ
    if "wsgi.input" not in environ:
        return
    declared = get_content_length(environ)
    if declared is not None and declared > MAX_PAYLOAD:
        raise GatewayFailure(errors.PAYLOAD_TOO_LARGE)
    try:
        ctx.body = get_input_stream(environ, max_content_length=MAX_PAYLOAD + 1).read(
            MAX_PAYLOAD + 1
        )
    except RequestEntityTooLarge:
        raise GatewayFailure(errors.PAYLOAD_TOO_LARGE) from None
    except ClientDisconnected:
        ctx.body = b""
    if len(ctx.body) > MAX_PAYLOAD:
        raise GatewayFailure(errors.PAYLOAD_TOO_LARGE)
    if declared is not None and len(ctx.body) < declared:
        raise GatewayFailure(
            errors.TRUNCATED_BODY,
            f"The body ended after {len(ctx.body)} bytes, before its Content-Length ({declared})",
        )


def parse_query(query: str) -> list[tuple[str, str]]:
    """Query pairs as API Gateway reads them: `&` and `;` separate, `+` is a space."""
    pairs = []
    for part in query.replace(";", "&").split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        pairs.append((unquote_plus(key), unquote_plus(value)))
    return pairs


def query_map(query: str) -> dict[str, str]:
    """The query parameters as the execution log shows them: the last value of each."""
    return dict(parse_query(query))


def is_binary(media_type: str | None, binary_media_types: Sequence[str]) -> bool:
    """Whether a Content-Type (or the first Accept value) is one of the API's binary media
    types. Recorded on AWS (test_aws_proxy_binary_response): only the first of several Accept
    values counts; a `type/*` entry matches any subtype of its type; a wildcard in the value
    itself (`image/*`, `*/*`) matches nothing but that same entry, and a `*/x` entry nothing."""
    if not media_type or not binary_media_types:
        return False
    mime = media_type.split(",")[0].split(";")[0].strip().lower()
    major, slash, minor = mime.partition("/")
    if not slash or not major or not minor:
        return False
    for pattern in binary_media_types:
        p = pattern.strip().lower().replace("~1", "/")
        if p == "*/*" or p == f"{major}/*":
            return True
        if p == mime and not p.startswith("*/"):
            return True
    return False


def format_request_time(epoch: float) -> str:
    """`dd/MMM/yyyy:HH:mm:ss +0000` in English whatever the process locale."""
    t = time.gmtime(epoch)
    return (
        f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
    )
