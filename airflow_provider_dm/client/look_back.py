"""Finding an earlier send by its ``client_context`` without trusting the server to dedupe: page
back through the thread, newest first, until the items are older than the moment the sending
began (minus a clock-skew allowance), bounded by a page limit.

However many items arrived since (replies, other senders), the search reaches back to that
moment; past ``max_pages`` it gives up, logs a warning, and the send goes out again with the same
``client_context`` (only a server that dedupes stops that repeat).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_dm.client import checks
from airflow_provider_dm.client.errors import InvalidInput
from airflow_provider_dm.client.models import ThreadItem, to_micros
from airflow_provider_dm.client.pagination import Page

if TYPE_CHECKING:
    from airflow_provider_dm.client.transport import Transport

log = logging.getLogger(__name__)

CLOCK_SKEW = timedelta(minutes=5)
MAX_PAGES = 50
PAGE_SIZE = 20


@dataclass(frozen=True)
class LookBack:
    """How far back a search goes: until items older than ``since`` (already less the clock
    skew; None: no time bound), and at most ``max_pages`` pages of ``page_size`` items."""

    since: datetime | None = None
    max_pages: int = MAX_PAGES
    page_size: int = PAGE_SIZE

    def __post_init__(self) -> None:
        if self.since is not None and not isinstance(self.since, datetime):
            raise InvalidInput("since", f"must be a datetime, got {type(self.since).__name__}")
        checks.positive_int(self.max_pages, "look_back")
        checks.positive_int(self.page_size, "page_size")

    @classmethod
    def from_start(cls, started: datetime, *, max_pages: int = MAX_PAGES) -> LookBack:
        """Back to ``started`` (when the sending began) less ``CLOCK_SKEW``."""
        return cls(since=started - CLOCK_SKEW, max_pages=max_pages)


@dataclass(frozen=True)
class Search:
    """What a search found (the item or None), how much it read, and whether it reached
    ``since`` (``complete``) or stopped at the page limit or the thread's end."""

    item: ThreadItem | None
    pages: int
    items_seen: int
    complete: bool


def thread_page(
    transport: Transport, thread_id: str, cursor: str | None = None, *, page_size: int = PAGE_SIZE
) -> Page[ThreadItem]:
    """One page of a thread's items, newest first, with the thread itself in ``raw``."""
    tid = checks.thread_id(thread_id)
    params: dict[str, Any] = {"visual_message_return_type": "unseen", "limit": page_size}
    if cursor:
        params.update(cursor=cursor, direction="older")
    answer = transport.api("GET", f"direct_v2/threads/{tid}/", params=params)
    thread = answer.get("thread") if isinstance(answer.get("thread"), dict) else {}
    listed = thread.get("items") if isinstance(thread.get("items"), list) else []
    items = tuple(ThreadItem.parse(i) for i in listed if isinstance(i, dict))
    cursor_out = thread.get("oldest_cursor")
    return Page(
        items, str(cursor_out) if cursor_out else None, bool(thread.get("has_older")), answer
    )


def find_earlier(
    transport: Transport, thread_id: str, client_context: str, look_back: LookBack
) -> Search:
    """The item of ``thread_id`` sent with ``client_context``, searched as ``look_back`` says;
    logs pages read and items seen, and warns when the page limit ended the search early."""
    since_us = to_micros(look_back.since) if look_back.since is not None else None
    cursor: str | None = None
    seen_cursors: set[str] = set()
    pages = items_seen = 0
    found: ThreadItem | None = None
    complete = False
    while pages < look_back.max_pages:
        page = thread_page(transport, thread_id, cursor, page_size=look_back.page_size)
        pages += 1
        for item in page.entries:
            stamp = item.timestamp_us
            if since_us is not None and stamp is not None and stamp < since_us:
                complete = True
                break
            items_seen += 1
            if item.client_context == client_context:
                found = item
                break
        if found is not None or complete:
            break
        if not (page.has_older and page.cursor and page.entries) or page.cursor in seen_cursors:
            complete = True
            break
        seen_cursors.add(page.cursor)
        cursor = page.cursor
    search = Search(found, pages, items_seen, complete or found is not None)
    log.info(
        "thread %s: looked back %d pages, %d items, for client_context %s: %s",
        thread_id,
        pages,
        items_seen,
        client_context,
        f"found item {found.item_id}" if found is not None else "not found",
    )
    if not search.complete:
        log.warning(
            "thread %s: stopped after %d pages (look_back) before reaching %s; an earlier send "
            "older than that is not found, and sending again relies on the server's dedupe",
            thread_id,
            pages,
            look_back.since.isoformat() if look_back.since else "the thread's start",
        )
    return search
