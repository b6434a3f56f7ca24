"""The inventory service, a plain WSGI app the API reaches through HTTP_PROXY.

Two instances stand for the production and staging services; a stage variable picks one."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from werkzeug.wrappers import Request, Response


def make_app(environment: str, stock: dict[str, int]) -> Any:
    @Request.application  # type: ignore[arg-type]
    def app(request: Request) -> Response:
        parts = [p for p in request.path.split("/") if p]
        if parts[:2] != ["v1", "stock"]:
            return Response(json.dumps({"error": "not found"}), 404, mimetype="application/json")
        items: Iterable[str] = parts[2:] or stock.keys()
        body = {
            "environment": environment,
            "stock": {item: stock.get(item, 0) for item in items},
            "caller": request.headers.get("X-Caller", "unknown"),
        }
        return Response(json.dumps(body), mimetype="application/json")

    return app


production = make_app("production", {"dog-food": 120, "cat-food": 80})
staging = make_app("staging", {"dog-food": 3, "cat-food": 0})
