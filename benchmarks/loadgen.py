"""HTTP load from another process, for the throughput rows.

The client threads live in a child process so that their own Python work does not take the
GIL from the server under test: on 2 cores the server gets one, the clients the other. Each
thread uses one `http.client` connection, the cheapest Python client, so the server, not the
client, is the bottleneck. (Measured while choosing: 4 `requests.Session` threads in the
server's own process drove the bare werkzeug server at about half the rate of these 4
`http.client` threads in a child process.) Both sides of a row use this same client.

The clients would keep their connections alive, but werkzeug's development server answers
every request with `Connection: close` (on purpose, since werkzeug 2.1), so each request opens
a new TCP connection and the threaded server starts a new thread for it, on both sides alike."""

from __future__ import annotations

import http.client
import multiprocessing
import threading
import time
from multiprocessing.connection import Connection
from typing import Any


def _hammer(host: str, port: int, path: str, deadline: float, counts: list[int], i: int) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=10)
    done = 0
    try:
        while time.perf_counter() < deadline:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"GET {path} answered {response.status}")
            done += 1
    finally:
        conn.close()
        counts[i] = done


def _window(host: str, port: int, path: str, threads: int, seconds: float) -> float:
    """Requests per second that `threads` client threads complete in `seconds`."""
    counts = [0] * threads
    start = time.perf_counter()
    deadline = start + seconds
    workers = [
        threading.Thread(target=_hammer, args=(host, port, path, deadline, counts, i))
        for i in range(threads)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(counts) / (time.perf_counter() - start)


def _serve_commands(conn: Connection) -> None:
    while True:
        command = conn.recv()
        if command is None:
            return
        try:
            conn.send(_window(*command))
        except Exception as e:  # reported to the parent, which raises it
            conn.send(e)


class LoadClient:
    """A child process that runs one measurement window per `throughput()` call."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve_commands, args=(child,), daemon=True)
        self._process.start()

    def throughput(self, base_url: str, path: str, threads: int, seconds: float) -> float:
        host, _, port = base_url.removeprefix("http://").partition(":")
        self._conn.send((host, int(port), path, threads, seconds))
        result: Any = self._conn.recv()
        if isinstance(result, Exception):
            raise result
        return float(result)

    def close(self) -> None:
        self._conn.send(None)
        self._process.join(timeout=10)

    def __enter__(self) -> LoadClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
