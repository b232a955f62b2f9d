"""``DirectNewMessageTrigger``: starts DAG runs when new messages arrive (with an
``AssetWatcher``), polling the inbox politely.

Politeness: the interval starts at ``floor`` seconds, grows by ``growth`` after each quiet poll
up to ``ceiling``, falls back to ``floor`` when something arrived, and grows at least as much on
a 429 (waiting the server's ``Retry-After`` when it gives one). A quiet poll is one inbox read
(two with ``include_requests``). With the defaults (30 s, 300 s, 2) a quiet hour costs 15 polls
(30 + 60 + 120 + 240 s, then every 300 s); ``polls_per_quiet_hour`` computes it.

The mark (the newest item time handled) lives in an Airflow Variable, so that a restarted
triggerer goes on where it stopped: it is saved ``commit_delay`` seconds after the events are
handed to the triggerer (so a restart may repeat the last batch, never skip it). The client is
the one of the connection's hook, chosen by its type as for a task (``hook_for``): on the
private API the same stored session and send budget as every task, on an
``instagram_messaging`` connection the Conversations API, paced to its 2 reads a second
(message requests have no folder there: ``include_requests`` fails the trigger).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from airflow_provider_dm.hooks.connection_type import hook_for

if TYPE_CHECKING:
    from airflow_provider_dm.client import DirectClient

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
HOUR = 3600.0


def next_interval(
    current: float,
    *,
    found: bool,
    floor: float,
    ceiling: float,
    growth: float,
    retry_after: float | None = None,
    throttled: bool = False,
) -> float:
    """The wait before the next poll: ``floor`` after news, else ``current * growth`` capped
    at ``ceiling``; a 429 grows it too, to at least the server's ``retry_after``."""
    if throttled:
        return min(ceiling, max(current * growth, retry_after or 0.0, floor))
    if found:
        return floor
    return min(ceiling, max(floor, current * growth))


def polls_per_quiet_hour(floor: float = 30.0, ceiling: float = 300.0, growth: float = 2.0) -> int:
    """How many polls an hour with no message costs, from a start at ``floor``."""
    polls, elapsed, interval = 0, 0.0, floor
    while elapsed < HOUR:
        polls += 1
        elapsed += interval
        interval = next_interval(interval, found=False, floor=floor, ceiling=ceiling, growth=growth)
    return polls


def _moment(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


class DirectNewMessageTrigger(BaseEventTrigger):
    """Fires one event per new message in the inbox (and, with ``include_requests``, per new
    message request), oldest first: ``{thread_id, item_id, user_id, item_type, text,
    timestamp, pending}``. The account's own items never fire.

    :param direct_conn_id: the ``instagram_direct`` or ``instagram_messaging`` connection.
    :param thread_ids: only these threads (empty: all).
    :param from_users: only messages of these numeric user ids (empty: anyone).
    :param text_pattern: only messages whose text matches this regular expression.
    :param include_requests: also watch the pending inbox (message requests).
    :param floor: the shortest interval between polls, in seconds.
    :param ceiling: the longest interval, in seconds.
    :param growth: how the interval grows after each quiet poll.
    :param mark_variable: the Variable that keeps the mark (default
        ``instagram_direct_new_message_mark__<conn_id>``).
    :param commit_delay: seconds between handing events over and saving the mark.
    """

    def __init__(
        self,
        *,
        direct_conn_id: str,
        thread_ids: list[str] | None = None,
        from_users: list[int] | None = None,
        text_pattern: str | None = None,
        include_requests: bool = False,
        floor: float = 30.0,
        ceiling: float = 300.0,
        growth: float = 2.0,
        mark_variable: str | None = None,
        commit_delay: float = 2.0,
    ) -> None:
        super().__init__()
        if not 0 < floor <= ceiling or growth < 1:
            raise ValueError("floor, ceiling, growth: need 0 < floor <= ceiling and growth >= 1")
        if text_pattern:
            re.compile(text_pattern)
        self.direct_conn_id = direct_conn_id
        self.thread_ids = [str(t) for t in thread_ids or []]
        self.from_users = [int(u) for u in from_users or []]
        self.text_pattern = text_pattern or None
        self.include_requests = include_requests
        self.floor = float(floor)
        self.ceiling = float(ceiling)
        self.growth = float(growth)
        self.mark_variable = mark_variable or (
            f"instagram_direct_new_message_mark__{direct_conn_id}"
        )
        self.commit_delay = float(commit_delay)
        # Messages fired whose time the next poll reads again (coarse timestamps), by id.
        self._fired: dict[str, int] = {}

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """The classpath and the kwargs that rebuild this trigger (no secret among them)."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "direct_conn_id": self.direct_conn_id,
                "thread_ids": self.thread_ids,
                "from_users": self.from_users,
                "text_pattern": self.text_pattern,
                "include_requests": self.include_requests,
                "floor": self.floor,
                "ceiling": self.ceiling,
                "growth": self.growth,
                "mark_variable": self.mark_variable,
                "commit_delay": self.commit_delay,
            },
        )

    # -- the mark -----------------------------------------------------------------------------

    def load_mark(self) -> int | None:
        """The saved mark (µs), or None when there is none yet."""
        from airflow.sdk import Variable

        value = Variable.get(self.mark_variable, default=None)
        return int(value) if value not in (None, "") else None

    def save_mark(self, mark_us: int) -> None:
        """Save the mark (µs) where a restarted triggerer finds it."""
        from airflow.sdk import Variable

        Variable.set(
            self.mark_variable, str(mark_us), description="Instagram Direct new-message mark"
        )

    # -- one poll -----------------------------------------------------------------------------

    def newest(self, client: DirectClient) -> int:
        """The newest activity in the watched boxes (µs): the mark of a first start; where
        times are coarse, the end of its second (what is already there never fires)."""
        newest = 0
        for pending in (False, True) if self.include_requests else (False,):
            for thread in client.iter_inbox(pending=pending, max_threads=1):
                newest = max(newest, thread.last_activity_at_us or 0)
        return newest + getattr(client, "timestamp_resolution_us", 1) - 1

    def poll(self, client: DirectClient, mark_us: int) -> tuple[list[dict[str, Any]], int]:
        """The new messages after ``mark_us``, oldest first, and the new mark.

        Where the service's times are coarse (the official API's are whole seconds), the
        second of the mark is read again and what was fired in it is skipped by id, so that
        a message arriving later in that second is not lost."""
        viewer = client.state.user_id
        overlap = getattr(client, "timestamp_resolution_us", 1) - 1
        since = _moment(mark_us - overlap)
        pattern = re.compile(self.text_pattern) if self.text_pattern else None
        found: list[dict[str, Any]] = []
        newest = mark_us
        for pending in (False, True) if self.include_requests else (False,):
            for thread in client.iter_inbox(pending=pending, since=since):
                if self.thread_ids and thread.thread_id not in self.thread_ids:
                    continue
                for item in client.iter_thread_items(thread.thread_id, since=since):
                    newest = max(newest, item.timestamp_us or 0)
                    if item.item_id in self._fired:
                        continue
                    if item.user_id is None or item.user_id == viewer or item.is_sent_by_viewer:
                        continue
                    if self.from_users and item.user_id not in self.from_users:
                        continue
                    if pattern is not None and not pattern.search(item.text or ""):
                        continue
                    found.append(
                        {
                            "thread_id": thread.thread_id,
                            "item_id": item.item_id,
                            "user_id": item.user_id,
                            "item_type": item.item_type,
                            "text": item.text,
                            "timestamp": item.timestamp.isoformat() if item.timestamp else None,
                            "timestamp_us": item.timestamp_us,
                            "pending": pending,
                        }
                    )
        found.sort(key=lambda m: (m["timestamp_us"] or 0, m["item_id"]))
        if overlap:
            fired = {**self._fired, **{m["item_id"]: m["timestamp_us"] or 0 for m in found}}
            self._fired = {i: t for i, t in fired.items() if t > newest - overlap}
        return found, newest

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll forever: one event per new message, the mark saved after each batch."""
        from airflow_provider_dm.client.errors import RateLimited

        hook = await asyncio.to_thread(hook_for, self.direct_conn_id)
        client = await asyncio.to_thread(hook.get_conn)
        try:
            mark = await asyncio.to_thread(self.load_mark)
            if mark is None:
                mark = await asyncio.to_thread(self.newest, client)
                await asyncio.to_thread(self.save_mark, mark)
            interval = self.floor
            while True:
                try:
                    found, newest = await asyncio.to_thread(self.poll, client, mark)
                except RateLimited as exc:
                    interval = next_interval(
                        interval,
                        found=False,
                        floor=self.floor,
                        ceiling=self.ceiling,
                        growth=self.growth,
                        retry_after=exc.retry_after,
                        throttled=True,
                    )
                    self.log.warning("Throttled (%s); next poll in %.0f s", exc, interval)
                    await asyncio.sleep(interval)
                    continue
                for message in found:
                    yield TriggerEvent(message)
                if newest > mark:
                    if found:
                        await asyncio.sleep(self.commit_delay)
                    mark = newest
                    await asyncio.to_thread(self.save_mark, mark)
                interval = next_interval(
                    interval,
                    found=bool(found),
                    floor=self.floor,
                    ceiling=self.ceiling,
                    growth=self.growth,
                )
                self.log.info("%d new messages; next poll in %.0f s", len(found), interval)
                await asyncio.sleep(interval)
        finally:
            client.close()
