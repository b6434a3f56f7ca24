"""Many requests at once: through the threaded server every request gets an answer and leaves
exactly one record, and a stage moved (or a deployment deleted) mid-flight never breaks the
requests already on their way."""

from __future__ import annotations

import http.client
import json
import threading
from collections import Counter
from urllib.parse import urlsplit

from pytest_apistages import BadRequestError, Gateway

THREADS = 4
PER_THREAD = 60


def versioned_gateway() -> Gateway:
    gw = Gateway()
    for version in ("v1", "v2"):
        gw.functions.register(
            version, lambda event, context, v=version: {"body": json.dumps({"version": v})}
        )
    gw.api.put_route("GET /which", "v1")
    gw.api.put_route("GET /mock", {"type": "MOCK", "body": '{"ok": true}'})
    gw.deploy("prod")
    return gw


def test_a_threaded_soak_through_serve_answers_and_records_every_request():
    gw = versioned_gateway()
    gw.deploy_canary("prod", percent=30)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def client(base_url: str, path: str) -> None:
        parts = urlsplit(base_url)
        for _ in range(PER_THREAD):
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            conn.request("GET", path)
            answer = conn.getresponse()
            answer.read()
            conn.close()
            with lock:
                statuses[answer.status] += 1

    with gw.serve() as base_url:
        threads = [
            threading.Thread(target=client, args=(base_url, path))
            for path in ("/prod/which", "/prod/mock", "/prod/nothing", "/nostage/x")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    sent = THREADS * PER_THREAD
    assert sum(statuses.values()) == sent
    assert statuses == Counter({200: 2 * PER_THREAD, 403: 2 * PER_THREAD})
    assert gw.services.records.total == sent
    base, canary = gw.metrics("prod"), gw.metrics("prod", canary=True)
    assert base.count + canary.count == 3 * PER_THREAD  # the unknown stage has no metrics
    assert base.error_4xx + canary.error_4xx == PER_THREAD


def test_moving_stages_and_deleting_deployments_mid_flight_breaks_no_request():
    gw = versioned_gateway()
    first = gw.stage("prod").deployment_id
    gw.api.put_route("GET /which", "v2")
    second = gw.deploy(description="v2").id
    stop = threading.Event()
    failures: list[str] = []
    seen: Counter[str] = Counter()

    def hammer() -> None:
        client = gw.client("prod")
        while not stop.is_set():
            response = client.get("/which")
            if response.status_code != 200:
                failures.append(f"{response.status_code} {response.get_data()!r}")
                return
            seen[response.json()["version"]] += 1

    def operator() -> None:
        """Flip prod between the two deployments and delete and re-create the idle one."""
        idle = second
        for _ in range(150):
            current = first if idle == second else second
            gw.update_stage("prod", deployment_id=idle)
            idle = current
            try:
                gw.delete_deployment(idle)
            except BadRequestError:
                pass  # a canary or stage still uses it: AWS refuses that too
            else:
                gw.create_deployment(
                    "again", definition=gw.deployment(gw.stage("prod").deployment_id).api,
                    deployment_id=idle,
                )  # fmt: skip
        stop.set()

    workers = [threading.Thread(target=hammer) for _ in range(3)]
    for worker in workers:
        worker.start()
    operator()
    for worker in workers:
        worker.join(timeout=30)

    assert failures == []
    assert sum(seen.values()) == gw.services.records.total
    assert gw.metrics("prod").count == gw.services.records.total
