"""Operators that answer message requests: approve or decline the pending inbox's threads,
all of them or those that match filters (``from_users``, ``text_pattern``,
``followed_only``), at most ``max_threads``, singly or through the bulk routes.

The XCom is ``{"thread_ids", "done", "already_done"}``: every thread handled, those changed
now, and those a repeat found already answered (a re-run changes nothing).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from airflow_provider_dm.client.errors import InvalidInput
from airflow_provider_dm.operators.base import DirectBaseOperator
from airflow_provider_dm.operators.rendered import (
    Coerce,
    check_literals,
    flag,
    later,
    rendered_values,
    whole_number,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_dm.client import DirectClient, Thread

RENDERED: dict[str, Coerce] = {
    "max_threads": partial(whole_number, optional=True),
    "followed_only": flag,
    "bulk": flag,
}
MESSAGES_READ = 20


def _pattern(value: Any) -> re.Pattern[str] | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput("text_pattern", f"must be a regular expression, got {value!r}")
    try:
        return re.compile(value)
    except re.error as exc:
        raise InvalidInput("text_pattern", f"is not a regular expression: {exc}") from None


def _thread_texts(thread: Thread) -> list[str]:
    texts = []
    for item in thread.raw.get("items") or []:
        text = item.get("text")
        if not isinstance(text, str):
            link = item.get("link")
            text = link.get("text") if isinstance(link, dict) else None
        if isinstance(text, str):
            texts.append(text)
    return texts


def _followed(thread: Thread) -> bool:
    return any(
        (u.raw.get("friendship_status") or {}).get("following") is True for u in thread.users
    )


class DirectAnswerRequestsOperator(DirectBaseOperator):
    """The common part of approving and declining; subclasses set ``verb``.

    :param thread_ids: these threads instead of the pending inbox's (templated).
    :param from_users: only requests from these users: ids or ``"@username"`` (templated).
    :param text_pattern: only requests with a message matching this regular expression
        (``re.search``; templated).
    :param followed_only: only requests from people the account follows (templated).
    :param max_threads: at most this many threads (templated).
    :param bulk: answer in one ``*_multiple`` request instead of one per thread (templated).
    :param direct_conn_id: the ``instagram_direct`` connection (templated).
    :param dry_run: list the threads that would be answered, change nothing.
    :return: ``{thread_ids, done, already_done}``.
    """

    verb = ""
    template_fields: Sequence[str] = (
        "direct_conn_id",
        "thread_ids",
        "from_users",
        "text_pattern",
        *RENDERED,
    )
    ui_color = "#fffde7"

    def __init__(
        self,
        *,
        thread_ids: Any = None,
        from_users: Any = None,
        text_pattern: str | None = None,
        followed_only: Any = False,
        max_threads: Any = None,
        bulk: Any = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.thread_ids = thread_ids
        self.from_users = from_users
        self.text_pattern = text_pattern
        self.followed_only = followed_only
        self.max_threads = max_threads
        self.bulk = bulk
        check_literals(RENDERED, self)
        if not later(text_pattern):
            _pattern(text_pattern)

    def run(self, context: Context) -> dict[str, Any]:
        """Pick the threads, then answer them (nothing in a dry run)."""
        from airflow_provider_dm.client.checks import thread_id
        from airflow_provider_dm.client.lookups import user_ids

        values = rendered_values(RENDERED, self)
        pattern = _pattern(self.text_pattern)
        client = self.hook.get_conn()
        senders = set(user_ids(self.from_users, "from_users", client.user_id_for, optional=True))
        if self.thread_ids not in (None, "", []):
            ids = (
                self.thread_ids if isinstance(self.thread_ids, (list, tuple)) else [self.thread_ids]
            )
            picked = [thread_id(t, f"thread_ids[{n}]") for n, t in enumerate(ids)]
            picked = picked[: values["max_threads"]] if values["max_threads"] else picked
        else:
            picked = self._pick(client, senders, pattern, values)
        if self.hook.settings.dry_run:
            self.log.info("Dry run: would %s %s", self.verb, picked)
            return {"thread_ids": picked, "done": [], "already_done": []}
        answer = client.approve if self.verb == "approve" else client.decline
        results = answer(picked, bulk=values["bulk"]) if picked else []
        done = [r.thread_id for r in results if r.status != "already_done"]
        already = [r.thread_id for r in results if r.status == "already_done"]
        self.log.info(
            "%sd %d threads (%d already)", self.verb.capitalize(), len(done), len(already)
        )
        return {"thread_ids": picked, "done": done, "already_done": already}

    def _pick(
        self,
        client: DirectClient,
        senders: set[int],
        pattern: re.Pattern[str] | None,
        values: dict[str, Any],
    ) -> list[str]:
        picked: list[str] = []
        for thread in client.iter_inbox(pending=True, thread_message_limit=MESSAGES_READ):
            if senders and not senders & {u.pk for u in thread.users}:
                continue
            if pattern is not None and not any(pattern.search(t) for t in _thread_texts(thread)):
                continue
            if values["followed_only"] and not _followed(thread):
                continue
            picked.append(thread.thread_id)
            if values["max_threads"] and len(picked) >= values["max_threads"]:
                break
        return picked


class DirectApproveRequestsOperator(DirectAnswerRequestsOperator):
    """Approve message requests: the threads move to the main inbox.

    :param thread_ids: these threads instead of the pending inbox's (templated).
    :param from_users: only requests from these users: ids or ``"@username"`` (templated).
    :param text_pattern: only requests with a message matching this regular expression
        (``re.search``; templated).
    :param followed_only: only requests from people the account follows (templated).
    :param max_threads: at most this many threads (templated).
    :param bulk: one ``approve_multiple`` request instead of one per thread (templated).
    :param direct_conn_id: the ``instagram_direct`` connection (templated).
    :param dry_run: list the threads that would be approved, change nothing.
    :return: ``{thread_ids, done, already_done}``: every thread handled, those approved now,
        those that were no longer pending.
    """

    verb = "approve"


class DirectDeclineRequestsOperator(DirectAnswerRequestsOperator):
    """Decline message requests: the threads leave the pending inbox.

    :param thread_ids: these threads instead of the pending inbox's (templated).
    :param from_users: only requests from these users: ids or ``"@username"`` (templated).
    :param text_pattern: only requests with a message matching this regular expression
        (``re.search``; templated), e.g. a spam pattern.
    :param followed_only: only requests from people the account follows (templated).
    :param max_threads: at most this many threads (templated).
    :param bulk: one ``decline_multiple`` request instead of one per thread (templated).
    :param direct_conn_id: the ``instagram_direct`` connection (templated).
    :param dry_run: list the threads that would be declined, change nothing.
    :return: ``{thread_ids, done, already_done}``: every thread handled, those declined now,
        those already declined or approved.
    """

    verb = "decline"
