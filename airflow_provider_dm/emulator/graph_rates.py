"""The Graph API's per-account call rates (official-api.md §5), as the emulator enforces them."""

from __future__ import annotations

import threading
import time
from collections import deque

from airflow_provider_dm.emulator.wire import ApiError

# Calls per second and account: sends of text-like items, sends and uploads of media, reads.
RATES = {"send": 100, "media": 10, "conversations": 2}


class GraphRates:
    """Per-account call counters over a sliding second (`RATES`), switchable off."""

    def __init__(self) -> None:
        self.enabled = True
        self.rates = dict(RATES)
        self._calls: dict[tuple[int, str], deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, user_pk: int, kind: str) -> None:
        """Count one call, or raise the Graph throttling error (code 613)."""
        if not self.enabled:
            return
        now = time.monotonic()
        with self._lock:
            calls = self._calls.setdefault((user_pk, kind), deque())
            while calls and now - calls[0] >= 1.0:
                calls.popleft()
            if len(calls) >= self.rates[kind]:
                raise throttled(
                    400,
                    613,
                    f"Calls to this api have exceeded the rate limit ({kind}:"
                    f" {self.rates[kind]} per second per account).",
                    kind="OAuthException",
                )
            calls.append(now)

    def reset(self) -> None:
        """Back to the service's rates, switched on, with no calls counted."""
        with self._lock:
            self.enabled = True
            self.rates = dict(RATES)
            self._calls.clear()


def throttled(status: int, code: int, message: str, *, kind: str) -> ApiError:
    """The Graph throttling error (its shape as ``graph.graph_error`` makes it)."""
    return ApiError.shaped(status, {"error": {"message": message, "type": kind, "code": code}})
