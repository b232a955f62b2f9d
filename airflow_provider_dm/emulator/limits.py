"""Send limits: Instagram's anti-spam played per account, N item-creating requests per rolling
window of S seconds.

The window slides: a request is refused when the account already has N counted requests in the
last S seconds, whenever they came (no fixed buckets). A request counts when the limit lets it
through, whatever its handler then answers; a refused one (400 `feedback_required`, §9.1)
counts as a refusal only. Which requests create items is the routing table's business; this
module only keeps the windows. Limits live in memory (a reset clears them).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter

from airflow_provider_dm.emulator.wire import FEEDBACK_REQUIRED, ApiError, JsonDict


@dataclass
class Limit:
    """One account's limit, the times of its counted requests and how many it refused."""

    username: str
    max_sends: int
    window_s: float
    sent: deque[float] = field(default_factory=deque)
    refused: int = 0

    def forget(self, now: float) -> None:
        """Drop the counted requests that have left the window."""
        while self.sent and self.sent[0] <= now - self.window_s:
            self.sent.popleft()

    def to_json(self) -> JsonDict:
        """The limit and its counts as the admin API shows them (call `forget` first)."""
        return {
            "username": self.username,
            "max_sends": self.max_sends,
            "window_s": self.window_s,
            "sends_in_window": len(self.sent),
            "feedback_required": self.refused,
        }


class Limits:
    """The limits by user pk, safe to use from every server thread."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._by_pk: dict[int, Limit] = {}

    def set(self, user_pk: int, username: str, max_sends: int, window_s: float) -> None:
        """Limit an account, replacing its previous limit and counts."""
        with self._lock:
            self._by_pk[user_pk] = Limit(username, max_sends, window_s)

    def covers(self, user_pk: int | None) -> bool:
        """Whether the account has a limit (a cheap test before classifying a request)."""
        return user_pk in self._by_pk

    def admit(self, user_pk: int | None) -> None:
        """Count one item-creating request, or raise 400 `feedback_required` if over the limit."""
        with self._lock:
            limit = self._by_pk.get(user_pk)
            if limit is None:
                return
            now = self._clock()
            limit.forget(now)
            if len(limit.sent) >= limit.max_sends:
                limit.refused += 1
                raise ApiError.shaped(400, FEEDBACK_REQUIRED)
            limit.sent.append(now)

    def clear(self, user_pk: int | None = None) -> None:
        """Remove one account's limit, or every limit."""
        with self._lock:
            if user_pk is None:
                self._by_pk.clear()
            else:
                self._by_pk.pop(user_pk, None)

    def list(self) -> list[JsonDict]:
        """Every limit with its counts, by username."""
        with self._lock:
            now = self._clock()
            for limit in self._by_pk.values():
                limit.forget(now)
            return sorted(
                (limit.to_json() for limit in self._by_pk.values()), key=itemgetter("username")
            )
