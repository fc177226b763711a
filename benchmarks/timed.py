"""A timing wrapper the sync benchmarks share: how much of a sync is spent inside the adapter."""

from __future__ import annotations

import time
from typing import Any


class TimedAdapter:
    """Wraps an adapter to add up the time spent in its calls (HTTP and mapping)."""

    def __init__(self, adapter: Any) -> None:
        self._adapter = adapter
        self.seconds = 0.0
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._adapter, name)
        if not callable(attr) or name.startswith("_") or name in ("emulator",):
            return attr

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - began
                self.calls += 1

        return timed
