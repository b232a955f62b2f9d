"""Finding the reply to a message: the oldest item of a thread that is newer than a mark, sent
by someone other than the viewer, optionally by given users and matching a pattern.

The one place for this rule, shared by the reply sensor's poke and its trigger."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_dm.client.errors import InvalidInput

if TYPE_CHECKING:
    from airflow_provider_dm.client.direct import DirectClient
    from airflow_provider_dm.client.models import ThreadItem


@dataclass(frozen=True)
class ReplyFilter:
    """Which items count as the reply: newer than ``after_item_id`` and/or ``after``, not the
    viewer's own, from one of ``from_users`` when given, matching ``text_pattern`` when given."""

    after_item_id: str | None = None
    after: datetime | None = None
    from_users: frozenset[int] = field(default_factory=frozenset)
    text_pattern: str | None = None

    def __post_init__(self) -> None:
        if self.after_item_id is None and self.after is None:
            raise InvalidInput("after_item_id", "give after_item_id or after: replies to what?")
        if self.text_pattern is not None:
            try:
                re.compile(self.text_pattern)
            except re.error as exc:
                raise InvalidInput("text_pattern", f"is not a regular expression: {exc}") from None

    def matches(self, item: ThreadItem, viewer_id: int | None) -> bool:
        """Whether ``item`` (already known to be newer than the mark) is a reply."""
        if item.user_id is None or item.user_id == viewer_id or item.is_sent_by_viewer:
            return False
        if self.from_users and item.user_id not in self.from_users:
            return False
        if self.text_pattern is None:
            return True
        return re.search(self.text_pattern, item.text or "") is not None


def find_reply(
    client: DirectClient, thread_id: str, reply_filter: ReplyFilter
) -> ThreadItem | None:
    """The first reply after the mark (the oldest matching item), or None when none came yet.

    Reads the thread newest first, page by page, and stops at the mark. Where the service's
    times are coarse (the official API's are whole seconds), the second of ``after`` is read
    too: a reply in that second is found, at the risk of taking a message of that second
    sent just before ``after`` for the reply."""
    viewer_id = client.state.user_id
    since = reply_filter.after
    if since is not None:
        coarse = getattr(client, "timestamp_resolution_us", 1) - 1
        since -= timedelta(microseconds=coarse)
    first = None
    for item in client.iter_thread_items(
        thread_id, since=since, since_item_id=reply_filter.after_item_id
    ):
        if reply_filter.matches(item, viewer_id):
            first = item
    return first


def reply_record(thread_id: str, item: ThreadItem) -> dict[str, Any]:
    """The reply as a small JSON-able dict (the sensor's XCom)."""
    return {
        "thread_id": str(thread_id),
        "item_id": item.item_id,
        "user_id": item.user_id,
        "item_type": item.item_type,
        "text": item.text,
        "timestamp": item.timestamp.isoformat() if item.timestamp else None,
    }
