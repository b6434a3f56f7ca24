"""Injectable time: real time until a test freezes or advances it."""

from __future__ import annotations

import threading
import time


class Clock:
    """`now()` follows the wall clock; `freeze()` stops it and `advance(s)` moves it on."""

    def __init__(self) -> None:
        self._frozen_at: float | None = None
        self._lock = threading.Lock()

    def now(self) -> float:
        frozen = self._frozen_at
        return time.time() if frozen is None else frozen

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def freeze(self, at: float | None = None) -> float:
        """Stop time at `at` (epoch seconds) or at the current instant; returns it."""
        with self._lock:
            self._frozen_at = self.now() if at is None else float(at)
            return self._frozen_at

    def advance(self, seconds: float) -> float:
        """Move time forward (freezing it first); returns the new instant."""
        if seconds < 0:
            raise ValueError(f"clock.advance: seconds must be >= 0, got {seconds}")
        with self._lock:
            self._frozen_at = (self.now() if self._frozen_at is None else self._frozen_at) + seconds
            return self._frozen_at

    def unfreeze(self) -> None:
        with self._lock:
            self._frozen_at = None
