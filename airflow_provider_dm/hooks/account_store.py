"""Where the state shared by every task of one account lives (its block mark, its login lock,
its send budget): ``LocalAccountStore`` for the processes of one machine, ``RedisAccountStore``
for a fleet. Both offer the same methods; the hook picks one from the connection."""

from __future__ import annotations

import hashlib
import tempfile
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from pyrate_limiter import AbstractBucket

    from airflow_provider_dm.hooks.account_block import AccountBlock
    from airflow_provider_dm.hooks.send_rate import RateLimit

# Each period is enforced this much longer than written: the time between taking a token and
# the service receiving the request varies by a few milliseconds from one send to the next.
GUARD_MS = 500


class StoreUnavailable(Exception):
    """The store could not be read or written (a Redis server gone, a folder not writable)."""


class AccountStore(Protocol):
    """The shared state of one account."""

    account: str

    def check(self) -> None:
        """Raise when the store cannot be reached (before any request to the service)."""

    def blocked(self) -> AccountBlock | None:
        """The active block mark, or None."""

    def block(self, mark: AccountBlock) -> None:
        """Set the block mark (it replaces an earlier one)."""

    def clear_block(self) -> bool:
        """Remove the block mark; True when there was one."""

    def login_lock(self) -> AbstractContextManager[bool]:
        """Held while one task logs in; yields whether it is held."""

    def bucket(self, limits: tuple[RateLimit, ...]) -> AbstractBucket:
        """The account's send budget as a rate-limiter bucket over ``limits``."""


def account_key(username: str, api_url: str) -> str:
    """The account's name in the stores: its username at the API host."""
    return f"{username.strip().lower()}@{urlsplit(api_url).netloc.lower()}"


def default_state_dir() -> Path:
    """The machine-wide folder of the local store: in the temporary directory."""
    return Path(tempfile.gettempdir()) / "airflow-provider-dm"


def key_digest(account: str) -> str:
    """A short name for ``account`` that is safe in file and table names."""
    return hashlib.sha256(account.encode()).hexdigest()[:16]


def rates(limits: tuple[RateLimit, ...]) -> list:
    """``limits`` as pyrate-limiter rates, each period lengthened by ``GUARD_MS``."""
    from pyrate_limiter import Rate

    return [Rate(limit.count, int(limit.seconds * 1000) + GUARD_MS) for limit in limits]
