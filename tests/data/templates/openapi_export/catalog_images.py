"""The image store behind GET /images/{name}, served in-process (a WSGI app)."""

IMAGES = {"/store/logo.jpg": b"\xff\xd8\xff\xe0 logo"}


def app(environ, start_response):
    picture = IMAGES.get(environ["PATH_INFO"])
    if picture is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"missing"]
    start_response("200 OK", [("Content-Type", "image/jpeg")])
    return [picture]
