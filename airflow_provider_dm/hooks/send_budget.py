"""The account's send budget, taken before every request that creates something: when the
budget is spent the task waits (saying how long and why), unless the wait would outlast the
task's ``execution_timeout``; then it fails at once, with nothing sent."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from airflow_provider_dm.hooks.account_store import StoreUnavailable
from airflow_provider_dm.hooks.send_rate import RateLimit, format_send_rate

if TYPE_CHECKING:
    from pyrate_limiter import AbstractBucket

log = logging.getLogger(__name__)

LEAK_EVERY = 50
BLOCK_CHECK_SECONDS = 1.0


class BudgetWaitTooLong(Exception):
    """The budget would make the task wait past its ``execution_timeout``."""


class SendBudget:
    """Takes one token from ``bucket`` per call, waiting while the limits allow none.

    ``deadline`` (a ``time.monotonic()`` value, or None) bounds the waits; ``check_block``
    runs before a token is taken, so a task stops as soon as another task of the account
    marked it blocked (the hook's check looks the mark up at most once a second).
    """

    def __init__(
        self,
        bucket: AbstractBucket,
        limits: tuple[RateLimit, ...],
        account: str,
        *,
        deadline: float | None = None,
        check_block: Callable[[], None] | None = None,
    ) -> None:
        self.bucket = bucket
        self.limits = limits
        self.account = account
        self.deadline = deadline
        self.check_block = check_block
        self.waited = 0.0
        self._taken = 0

    def __call__(self, what: str) -> None:
        """Take a token for ``what`` (e.g. "text to thread 123"), waiting if need be."""
        from pyrate_limiter import RateItem

        while True:
            if self.check_block is not None:
                self.check_block()
            now_ms = time.time_ns() // 1_000_000
            item = RateItem("send", now_ms)
            try:
                if self.bucket.put(item):
                    self._taken += 1
                    if self._taken % LEAK_EVERY == 0:
                        self.bucket.leak(now_ms)
                    return
                wait = max(self.bucket.waiting(item), 1) / 1000
            except Exception as exc:
                raise StoreUnavailable(f"the send budget failed: {type(exc).__name__}") from exc
            self._wait(wait, what)

    def _wait(self, seconds: float, what: str) -> None:
        rule = format_send_rate(self.limits)
        if self.deadline is not None and time.monotonic() + seconds > self.deadline:
            left = max(0.0, self.deadline - time.monotonic())
            raise BudgetWaitTooLong(
                f"the send budget of {self.account} ({rule}) allows the next {what} in "
                f"{seconds:.1f} s, but the task's execution_timeout ends in {left:.1f} s; "
                "nothing more was sent. Lower the number of sends per task, raise "
                "execution_timeout, or loosen the connection's send_rate"
            )
        log.info(
            "Waiting %.1f s before the %s: the send budget of %s (%s) is spent for now",
            seconds,
            what,
            self.account,
            rule,
        )
        time.sleep(seconds)
        self.waited += seconds
