"""The account's shared state on a Redis server, for workers on several machines: the block
mark as a key (expiring with its cool-down), the login lock as a key with a lease (it expires
when its holder dies), the send budget in pyrate-limiter's Redis bucket (one atomic script)."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from airflow_provider_dm.hooks.account_block import AccountBlock
from airflow_provider_dm.hooks.account_store import StoreUnavailable, rates
from airflow_provider_dm.hooks.login_lock import POLL_SECONDS, WAIT_SECONDS

if TYPE_CHECKING:
    from pyrate_limiter import AbstractBucket

    from airflow_provider_dm.hooks.send_rate import RateLimit

log = logging.getLogger(__name__)

PREFIX = "airflow-provider-dm"
LEASE_MS = 60_000
# Delete the lock only if it still holds our token (the lease may have passed to another).
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@contextmanager
def _unavailable() -> Iterator[None]:
    """redis-py's errors as ``StoreUnavailable``."""
    from redis.exceptions import RedisError

    try:
        yield
    except RedisError as exc:
        raise StoreUnavailable(f"{type(exc).__name__}: {exc}") from exc


class RedisAccountStore:
    """The shared state of ``account`` on the Redis server behind ``redis`` (a redis-py
    client)."""

    def __init__(self, redis: Any, account: str, *, lease_ms: int = LEASE_MS) -> None:
        self.redis = redis
        self.account = account
        self.lease_ms = lease_ms
        self._key = f"{PREFIX}:{account}"

    def check(self) -> None:
        """PING the server; ``StoreUnavailable`` when it does not answer."""
        with _unavailable():
            self.redis.ping()

    def blocked(self) -> AccountBlock | None:
        """The active block mark, or None."""
        with _unavailable():
            text = self.redis.get(f"{self._key}:block")
        mark = AccountBlock.from_json(text) if text else None
        return mark if mark is not None and mark.active() else None

    def block(self, mark: AccountBlock) -> None:
        """Set the block mark; one with an ``until`` expires by itself."""
        ttl_ms = int((mark.until - time.time()) * 1000) if mark.until else None
        if ttl_ms is not None and ttl_ms <= 0:
            return
        with _unavailable():
            self.redis.set(f"{self._key}:block", mark.to_json(), px=ttl_ms)

    def clear_block(self) -> bool:
        """Remove the block mark; True when there was one."""
        with _unavailable():
            return bool(self.redis.delete(f"{self._key}:block"))

    @contextmanager
    def login_lock(self, wait: float = WAIT_SECONDS) -> Iterator[bool]:
        """The fleet-wide login lock of the account, with a lease of ``lease_ms``."""
        key, token = f"{self._key}:login", secrets.token_hex(16)
        deadline = time.monotonic() + wait
        with _unavailable():
            held = bool(self.redis.set(key, token, nx=True, px=self.lease_ms))
            while not held and time.monotonic() < deadline:
                time.sleep(POLL_SECONDS)
                held = bool(self.redis.set(key, token, nx=True, px=self.lease_ms))
        if not held:
            log.warning("waited %.0f s for another login to finish; logging in anyway", wait)
        try:
            yield held
        finally:
            if held:
                with _unavailable():
                    self.redis.eval(_RELEASE, 1, key, token)

    def bucket(self, limits: tuple[RateLimit, ...]) -> AbstractBucket:
        """The account's budget: pyrate-limiter's Redis bucket."""
        from pyrate_limiter import RedisBucket

        with _unavailable():
            return RedisBucket.init(rates(limits), self.redis, f"{self._key}:budget")
