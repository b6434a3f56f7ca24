"""Every random choice a gateway makes, from its seed: the same seed and the same order of
requests give the same request ids, deployment ids, canary decisions and alias weights."""

from __future__ import annotations

import base64
import random
import threading
from collections.abc import Container

ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
# A version 4 UUID: 4 in the version nibble, 10 in the variant's two bits.
_UUID_BITS = ~((0xF << 76) | (0x3 << 62)) & ((1 << 128) - 1)
_UUID_VERSION_4 = (0x4 << 76) | (0x2 << 62)


def _uuid4(bits: int) -> str:
    """The version 4 UUID of the low 128 bits, formatted as uuid.UUID would (faster)."""
    text = f"{(bits & _UUID_BITS) | _UUID_VERSION_4:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:32]}"


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
        """A version 4 UUID."""
        with self._lock:
            bits = self._ids.getrandbits(128)
        return _uuid4(bits)

    def request_ids(self) -> tuple[str, str]:
        """A request id (a version 4 UUID) and an extended request id (`x-amz-apigw-id`: 15
        characters of the URL-safe base64 alphabet and `=`), from one draw."""
        with self._lock:
            bits = self._ids.getrandbits(218)
        extended = base64.urlsafe_b64encode((bits >> 128).to_bytes(12, "big"))[1:].decode()
        return _uuid4(bits), extended + "="

    def new_id(self, length: int, taken: Container[str]) -> str:
        """A lowercase alphanumeric id (like AWS's deployment ids) not in `taken`."""
        with self._lock:
            while True:
                candidate = "".join(self._ids.choice(ID_ALPHABET) for _ in range(length))
                if candidate not in taken:
                    return candidate
