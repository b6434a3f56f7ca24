"""Every random choice a gateway makes, from its seed: the same seed and the same order of
requests give the same request ids, deployment ids, canary decisions and alias weights."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Container

ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_APIGW_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


class Draws:
    """Seeded streams: one for ids, one for alias weights, and one per stage for canary
    decisions, so one stage's traffic never shifts another's split."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._lock = threading.Lock()
        self._ids = random.Random(seed)
        self._alias = random.Random(f"{seed}:alias")
        self._canary: dict[str, random.Random] = {}

    def canary(self, stage: str, percent: float) -> bool:
        """Whether one request of `stage` goes to its canary (probability percent/100)."""
        with self._lock:
            stream = self._canary.get(stage)
            if stream is None:
                stream = self._canary[stage] = random.Random(f"{self.seed}:canary:{stage}")
            return stream.random() * 100 < percent

    def alias(self) -> float:
        """A uniform draw in [0, 1) for a weighted alias."""
        with self._lock:
            return self._alias.random()

    def uuid(self) -> str:
        with self._lock:
            return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def request_ids(self) -> tuple[str, str]:
        """A request id (UUID) and an extended request id (`x-amz-apigw-id`)."""
        with self._lock:
            bits = self._ids.getrandbits(128)
            extended = "".join(self._ids.choice(_APIGW_ID_ALPHABET) for _ in range(15)) + "="
        return str(uuid.UUID(int=bits, version=4)), extended

    def new_id(self, length: int, taken: Container[str]) -> str:
        """A lowercase alphanumeric id (like AWS's deployment ids) not in `taken`."""
        with self._lock:
            while True:
                candidate = "".join(self._ids.choice(ID_ALPHABET) for _ in range(length))
                if candidate not in taken:
                    return candidate
