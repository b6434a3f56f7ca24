"""Invocation records: what served each request, for assertions, hooks and the summary; and
the store that keeps the latest of them, their log lines and the exact running metrics."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from .logs import LogEvent, RequestLog, emit
from .metrics import Metrics, Tally

DEFAULT_MAX_RECORDS = 10_000
MAX_RECORDS_LIMIT = 10_000_000


@dataclass(frozen=True, slots=True)
class Invocation:
    """One request as the gateway saw it. `route` is None when nothing matched."""

    request_id: str
    stage: str
    method: str
    path: str
    deployment_id: str | None
    canary: bool
    canary_percent: float | None
    route: str | None
    path_parameters: Mapping[str, str]
    stage_variables: Mapping[str, str]
    integration: str | None
    target: str | None
    version: str | None
    status: int
    latency_ms: float
    integration_latency_ms: float
    cache_hit: bool
    cache_miss: bool
    throttled: bool
    api_key_id: str | None
    error: str | None
    timestamp: float

    def describe(self) -> str:
        """One line for failure messages: what served the request."""
        served = f"route {self.route}" if self.route else "no route"
        parts = [f"{self.method} {self.path} on stage {self.stage}: {served}"]
        if self.deployment_id:
            parts.append(f"deployment {self.deployment_id}" + (" (canary)" if self.canary else ""))
        if self.target:
            parts.append(f"target {self.target}")
        if self.version:
            parts.append(f"version {self.version}")
        if self.cache_hit:
            parts.append("from the cache")
        if self.throttled:
            parts.append("throttled")
        parts.append(f"status {self.status}")
        return ", ".join(parts)


class Records:
    """The latest `max_records` invocation records and their requests' log lines, and metrics
    counted over every request, so memory stays bounded and the figures exact. Safe to use
    from the live server's threads."""

    def __init__(self, max_records: int = DEFAULT_MAX_RECORDS) -> None:
        self.max_records = max_records
        self._lock = threading.Lock()
        self._records: deque[Invocation] = deque(maxlen=max_records)
        self._logs: deque[RequestLog] = deque(maxlen=max_records)
        self._tallies: dict[tuple[str, bool, str | None], Tally] = {}
        self.total = 0

    def add(self, record: Invocation, log: RequestLog | None) -> None:
        with self._lock:
            self.total += 1
            self._records.append(record)
            if log is not None:
                self._logs.append(log)
            if record.deployment_id is not None:  # an unknown stage has no metrics
                key = (record.stage, record.canary, record.route)
                tally = self._tallies.get(key)
                if tally is None:
                    tally = self._tallies[key] = Tally()
                tally.add(
                    record.status,
                    record.latency_ms,
                    record.integration_latency_ms,
                    record.cache_hit,
                    record.cache_miss,
                )
        if log is not None:
            emit(log)

    def invocations(self, stage: str | None = None) -> list[Invocation]:
        with self._lock:
            return [r for r in self._records if stage is None or r.stage == stage]

    def find(self, request_id: str) -> Invocation | None:
        with self._lock:
            return next((r for r in reversed(self._records) if r.request_id == request_id), None)

    def metrics(self, stage: str, canary: bool, route: str | None = None) -> Metrics:
        return self.tally(stage, canary, route).metrics()

    def tally(self, stage: str, canary: bool, route: str | None = None) -> Tally:
        """One method's counts, or the stage's: the sum over its methods (and the requests
        that matched none), so a request is counted once. O(methods), not O(requests)."""
        total = Tally()
        with self._lock:
            for (tally_stage, tally_canary, tally_route), tally in self._tallies.items():
                if (tally_stage, tally_canary) == (stage, canary) and route in (None, tally_route):
                    total.merge(tally)
        return total

    def logs(self, group: str) -> list[LogEvent]:
        with self._lock:
            entries = [e for e in self._logs if e.group == group]
        return [event for entry in entries for event in entry.events()]

    def access_logs(self, group: str) -> list[LogEvent]:
        with self._lock:
            entries = [e for e in self._logs if e.access_group == group]
        return [event for entry in entries if (event := entry.access_event()) is not None]
