"""The file store the /files routes proxy to, served in-process (a WSGI app)."""

import json


def app(environ, start_response):
    body = json.dumps(
        {
            "method": environ["REQUEST_METHOD"],
            "path": environ["PATH_INFO"],
            "query": environ.get("QUERY_STRING", ""),
            "host": environ.get("HTTP_HOST"),
            "stage_header": environ.get("HTTP_X_STAGE"),
        }
    ).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("X-Store", "files")])
    return [body]
