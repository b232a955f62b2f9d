"""The block mark of an account: set after an error about the account itself (a refused
password, a challenge, a spam block), so that every other task of the account fails at once
instead of asking the service again."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone


@dataclass(frozen=True)
class AccountBlock:
    """Why and since when an account is blocked; ``until`` (epoch seconds) lifts it by itself,
    None keeps it until it is cleared."""

    account: str
    error_type: str
    reason: str
    action: str
    since: float
    until: float | None = None

    def active(self, now: float | None = None) -> bool:
        """True while the mark holds."""
        return self.until is None or (time.time() if now is None else now) < self.until

    def describe(self) -> str:
        """The message a blocked task fails with: what happened, when, and what to do."""
        lifts = f"; it lifts by itself at {_moment(self.until)}" if self.until else ""
        return (
            f"account {self.account} is blocked since {_moment(self.since)} "
            f"({self.error_type}: {self.reason}){lifts}. To go on: {self.action}"
        )

    def to_json(self) -> str:
        """The mark as JSON text, for a store."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> AccountBlock | None:
        """A mark stored by ``to_json``; None for anything that is not one."""
        try:
            data = json.loads(text)
            return cls(**data)
        except (TypeError, ValueError):
            return None


def _moment(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
