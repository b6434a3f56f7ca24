"""`--apistages-base-url`: the same `api` tests, sent over HTTP to a deployed API.

The live client is a werkzeug test client over a small WSGI app that forwards each request
with `requests`, so a test calls it exactly as it calls the in-process `StageClient` (same
arguments, same response class). What only the in-process gateway knows (invocation records)
skips the test instead of failing it."""

from __future__ import annotations

import re
from http.cookiejar import DefaultCookiePolicy
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

import pytest
import requests
import urllib3
from werkzeug.test import Client, EnvironBuilder
from werkzeug.wrappers import Request

from .clients import ApiResponse, Verbs
from .gateway import Gateway
from .observe.records import Invocation
from .runtime.integrations.http import requests_headers

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

# Longer than API Gateway's own 29 s integration limit: the API answers first.
TIMEOUT_SECONDS = 35.0
STAGE_PLACEHOLDER = "{stage}"
_RAW_PATH_KEY = "apistages.raw_path"
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding"}
SKIP_REASON = (
    "needs the in-process gateway ({what}); --apistages-base-url runs against a live "
    "deployment, which has none"
)


def skip_live(what: str) -> NoReturn:
    """Skip the running test, reported at the test's own line (not at ours)."""
    raise pytest.skip.Exception(SKIP_REASON.format(what=what), _use_item_location=True)


def check_base_url(value: str) -> str:
    """The URL a stage's path goes under: `https://{api}.execute-api.{region}.amazonaws.com`
    (the stage is appended) or one with `{stage}` in it (custom domains)."""
    if not value.strip():
        raise ValueError(
            "--apistages-base-url is empty (an unset variable in CI?); give the deployed API's "
            "URL, or leave the option out to test in-process"
        )
    placeholders = set(re.findall(r"\{[^}]*\}", value)) - {STAGE_PLACEHOLDER}
    if placeholders:
        raise ValueError(
            f"--apistages-base-url {value}: unknown placeholder {sorted(placeholders)[0]}; the "
            f"only one is {STAGE_PLACEHOLDER}"
        )
    url = urlsplit(value)
    if url.username is not None or url.password is not None:
        raise ValueError(
            f"--apistages-base-url {url.scheme}://...@{url.hostname}: credentials do not go in "
            f"the URL; send them as headers from the test"
        )
    if url.scheme not in ("http", "https") or not url.hostname or url.query or url.fragment:
        raise ValueError(
            f"--apistages-base-url {value}: expected http(s)://host[:port][/path], e.g. "
            f"https://abc123.execute-api.eu-west-1.amazonaws.com (the stage is appended) or "
            f"https://api.example.com/{STAGE_PLACEHOLDER}"
        )
    return value.rstrip("/")


def stage_url(base_url: str, stage: str) -> str:
    if STAGE_PLACEHOLDER in base_url:
        return base_url.replace(STAGE_PLACEHOLDER, stage)
    return f"{base_url}/{stage}"


class LiveResponse(ApiResponse):
    """A response from the live API. It has no invocation record: reading one skips the test."""

    @property
    def invocation(self) -> Invocation:
        skip_live("the invocation record of a response")


class LiveStageClient(Verbs, Client):
    """A stage of a deployed API: `api.get("/pets")` sends GET `{base_url}/{stage}/pets`."""

    def __init__(self, base_url: str, stage: str) -> None:
        self.session = requests.Session()
        # The werkzeug client keeps the cookies (and forgets them when the test says so).
        self.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        super().__init__(self._forward, response_wrapper=LiveResponse)
        self.stage = stage
        self.url = stage_url(base_url, stage)
        self._redirecting = False

    @property
    def gateway(self) -> Gateway:
        skip_live("api.gateway")

    def __repr__(self) -> str:
        return f"<LiveStageClient {self.url}>"

    def open(self, *args: Any, **kwargs: Any) -> LiveResponse:
        prepared = bool(args) and isinstance(args[0], (EnvironBuilder, dict, Request))
        if prepared and not self._redirecting:
            raise TypeError(
                "the live client takes a path and request arguments, not a prepared request"
            )
        if not prepared:
            if "base_url" in kwargs:
                raise TypeError("the live client's base URL comes from --apistages-base-url")
            path = str(args[0] if args else kwargs.pop("path", "/"))
            parts = urlsplit(path)
            if parts.scheme or parts.netloc:
                raise TypeError(
                    f"the live client takes a path, not a URL ({path}); the host comes from "
                    f"--apistages-base-url"
                )
            raw_path = "/" + parts.path.lstrip("/")
            args = (raw_path + (f"?{parts.query}" if parts.query else ""), *args[1:])
            kwargs["base_url"] = self.url
            # WSGI's PATH_INFO has `%2F` decoded to `/`: keep the path as the test wrote it.
            overrides = dict(kwargs.pop("environ_overrides", None) or {})
            overrides[_RAW_PATH_KEY] = raw_path
            kwargs["environ_overrides"] = overrides
        response = super().open(*args, **kwargs)
        assert isinstance(response, LiveResponse)
        return response

    def resolve_redirect(self, response: Any, buffered: bool = False) -> Any:
        """werkzeug follows a redirect by opening a prepared request: the one we allow."""
        self._redirecting = True
        try:
            return super().resolve_redirect(response, buffered=buffered)
        finally:
            self._redirecting = False

    def close(self) -> None:
        self.session.close()

    def _url(self, request: Request) -> str:
        raw_path = request.environ.get(_RAW_PATH_KEY)
        if raw_path is None:  # a redirect werkzeug follows
            return request.url
        query = request.environ.get("QUERY_STRING", "")
        return f"{self.url}{raw_path}" + (f"?{query}" if query else "")

    def _forward(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        request = Request(environ)
        headers = requests_headers(
            (name, value)
            for name, value in request.headers.items()
            if name.lower() not in ("host", "content-length")
        )
        url = self._url(request)
        data = request.get_data()
        failure = None
        try:
            answer = self.session.request(
                request.method, url, headers=headers, data=data or None,
                timeout=TIMEOUT_SECONDS, allow_redirects=False, stream=True,
            )  # fmt: skip
            body = answer.raw.read(decode_content=False)
        except (requests.ConnectionError, requests.Timeout, urllib3.exceptions.HTTPError) as e:
            failure = (
                f"{request.method} {url}: no answer from the API given by --apistages-base-url "
                f"({type(e).__name__}: {_reason(e)})"
            )
        if failure is not None:  # outside the except block: one line, not a chain
            pytest.fail(failure, pytrace=False)
        answer.close()
        start_response(
            f"{answer.status_code} {answer.reason or ''}".strip(),
            [(k, v) for k, v in answer.raw.headers.items() if k.lower() not in _HOP_BY_HOP],
        )
        return [body]


def _reason(error: Exception) -> str:
    """The operating system's reason ("Connection refused"), not urllib3's retry wrapping."""
    found = re.search(r"\[Errno -?\d+\] ([^'\")]+)", str(error))
    return found.group(1) if found else str(error)
