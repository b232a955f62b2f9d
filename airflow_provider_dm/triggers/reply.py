"""``DirectReplyTrigger``: polls a thread in the triggerer until a reply arrives.

How it gets an authenticated client: the same hook as any task, chosen by the connection's
type (``hook_for``; the official API's hook on an ``instagram_messaging`` connection), so the
session comes from the hook's Variable (no second login) and expired sessions are renewed the
same way. The
ordinary synchronous client runs in a worker thread (``asyncio.to_thread``), so the event loop
never blocks, and the protocol's headers, retries and the reply rule (``client.replies``) exist
once instead of twice in a sync and an async client. The triggerer bridges the hook's
connection and Variable reads from that thread to its supervisor. The serialized kwargs hold
ids, filters and a deadline only, never a secret.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException
from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_dm.client.replies import ReplyFilter, find_reply, reply_record
from airflow_provider_dm.hooks.connection_type import hook_for

if TYPE_CHECKING:
    from airflow_provider_dm.client import DirectClient
    from airflow_provider_dm.hooks.direct import DirectHook


class DirectReplyTrigger(BaseTrigger):
    """Polls ``thread_id`` every ``poll_interval`` seconds for the reply after the mark.

    Fires once, with ``status`` and ``thread_id``: ``"reply"`` with ``reply`` (the sensor's
    XCom), ``"timeout"`` with ``message`` when ``deadline`` (ISO-8601) passes first,
    ``"failed"`` with ``message`` when polling meets what a retry cannot fix, or ``"error"``
    with ``message`` when polling fails for good otherwise (the client has already retried
    transient failures).

    :param direct_conn_id: the ``instagram_direct`` or ``instagram_messaging`` connection.
    :param thread_id: the thread (or conversation) to watch.
    :param since_item_id: only items newer than this item id count.
    :param since: only items sent after this ISO-8601 moment count.
    :param from_users: only items of these numeric user ids count (empty: anyone but the
        account itself).
    :param text_pattern: only items whose text matches this regular expression count.
    :param poll_interval: seconds between two looks at the thread.
    :param deadline: an ISO-8601 moment after which the trigger fires ``"timeout"``.
    :param after_item_id: the former name of ``since_item_id``, accepted so that a trigger
        serialized by an earlier version still runs.
    :param after: the former name of ``since``, likewise.
    """

    def __init__(
        self,
        *,
        direct_conn_id: str,
        thread_id: str,
        since_item_id: str | None = None,
        since: str | None = None,
        from_users: list[int] | None = None,
        text_pattern: str | None = None,
        poll_interval: float = 30.0,
        deadline: str | None = None,
        after_item_id: str | None = None,
        after: str | None = None,
    ) -> None:
        super().__init__()
        self.direct_conn_id = direct_conn_id
        self.thread_id = thread_id
        self.since_item_id = since_item_id if since_item_id is not None else after_item_id
        self.since = since if since is not None else after
        self.from_users = list(from_users or [])
        self.text_pattern = text_pattern
        self.poll_interval = poll_interval
        self.deadline = deadline

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """The classpath and the kwargs that rebuild this trigger (no secret among them)."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "direct_conn_id": self.direct_conn_id,
                "thread_id": self.thread_id,
                "since_item_id": self.since_item_id,
                "since": self.since,
                "from_users": self.from_users,
                "text_pattern": self.text_pattern,
                "poll_interval": self.poll_interval,
                "deadline": self.deadline,
            },
        )

    def reply_filter(self) -> ReplyFilter:
        """The reply rule these kwargs describe."""

        return ReplyFilter(
            after_item_id=self.since_item_id,
            after=datetime.fromisoformat(self.since) if self.since else None,
            from_users=frozenset(self.from_users),
            text_pattern=self.text_pattern,
        )

    def _event(self, status: str, **payload: Any) -> TriggerEvent:
        return TriggerEvent({"status": status, "thread_id": self.thread_id, **payload})

    def _seconds_left(self) -> float | None:
        if not self.deadline:
            return None
        deadline = datetime.fromisoformat(self.deadline)
        return (deadline - datetime.now(timezone.utc)).total_seconds()

    @staticmethod
    def _connect(hook: DirectHook) -> DirectClient:
        with hook.failing_fast():
            return hook.get_conn()

    def _poll(
        self, hook: DirectHook, client: DirectClient, reply_filter: ReplyFilter
    ) -> dict[str, Any] | None:
        with hook.failing_fast():
            item = find_reply(client, self.thread_id, reply_filter)
        return reply_record(self.thread_id, item) if item is not None else None

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until the reply, the deadline or a lasting failure; one event in each case.
        A failure a retry cannot fix (a blocked account, a refused password) is ``failed``."""
        client: DirectClient | None = None
        try:
            reply_filter = self.reply_filter()
            hook = await asyncio.to_thread(hook_for, self.direct_conn_id)
            client = await asyncio.to_thread(self._connect, hook)
            while True:
                reply = await asyncio.to_thread(self._poll, hook, client, reply_filter)
                if reply is not None:
                    yield self._event("reply", reply=reply)
                    return
                left = self._seconds_left()
                if left is not None and left <= 0:
                    message = f"no reply in thread {self.thread_id} before {self.deadline}"
                    yield self._event("timeout", message=message)
                    return
                self.log.info("No reply in thread %s yet", self.thread_id)
                wait = self.poll_interval if left is None else min(self.poll_interval, left)
                await asyncio.sleep(wait)
        except AirflowFailException as exc:
            yield self._event("failed", message=str(exc))
        except Exception as exc:
            yield self._event("error", message=f"{type(exc).__name__}: {exc}")
        finally:
            if client is not None:
                client.close()
