"""``DirectFetchInboxOperator``: every thread of the inbox (or the pending inbox), as a compact
XCom summary or, for large inboxes, a JSON Lines export on shared storage."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from airflow_provider_dm.client.checks import SELECTED_FILTERS
from airflow_provider_dm.operators.base import DirectBaseOperator
from airflow_provider_dm.operators.export import collect, iso, output_path_value, parse_since
from airflow_provider_dm.operators.rendered import (
    Coerce,
    check_literals,
    choice,
    flag,
    rendered_values,
    whole_number,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_dm.client import Thread

SUMMARY_LIMIT = 1000
# The templated arguments besides since and output_path, and what their rendered values mean.
RENDERED: dict[str, Coerce] = {
    "pending": flag,
    "selected_filter": partial(choice, choices=SELECTED_FILTERS, optional=True),
    "max_threads": partial(whole_number, optional=True),
    "page_size": partial(whole_number, optional=False),
}


class DirectFetchInboxOperator(DirectBaseOperator):
    """Fetch every inbox thread, page by page, newest activity first.

    :param direct_conn_id: the ``instagram_direct`` connection (templated).
    :param pending: read the pending inbox (message requests) instead (templated).
    :param selected_filter: ``"unread"`` or ``"flagged"``, or None for all threads (templated).
    :param max_threads: stop after this many threads (templated).
    :param since: only threads with activity after this moment (templated; a datetime or an
        ISO-8601 string, e.g. ``"{{ prev_data_interval_end_success }}"`` for daily
        incremental fetches; empty or ``"None"`` means everything).
    :param output_path: a local path or any ``ObjectStoragePath`` URL (templated). When set,
        one JSON object per thread (raw payload included) is written there atomically and the
        XCom is ``{"path", "count", "newest_timestamp"}``. Without it the XCom is a compact
        summary, refused past ``summary_limit`` threads.
    :param page_size: threads per inbox page (templated).
    :param summary_limit: the most threads a summary may hold.
    :param dry_run: ignored: this operator only reads.
    :return: without ``output_path``, a list with one small dict per thread, newest activity
        first: ``{thread_id, title, users: [{pk, username}], last_activity_at, unseen,
        pending, last_item}``, so ``inbox.output.map(lambda t: t["thread_id"])`` can feed
        ``.expand()``; with it, ``{path, count, newest_timestamp}``.

    Templated values are read as Jinja renders them: ``"50"`` and ``50``, ``"True"`` and
    ``True``, ``"None"`` and ``None`` mean the same.
    """

    template_fields: Sequence[str] = ("direct_conn_id", "since", "output_path", *RENDERED)
    ui_color = "#f3e5f5"

    def __init__(
        self,
        *,
        pending: bool = False,
        selected_filter: str | None = None,
        max_threads: int | None = None,
        since: Any = None,
        output_path: str | None = None,
        page_size: int = 20,
        summary_limit: int = SUMMARY_LIMIT,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        whole_number("summary_limit", summary_limit, optional=False)
        self.pending = pending
        self.selected_filter = selected_filter
        self.max_threads = max_threads
        self.since = since
        self.output_path = output_path
        self.page_size = page_size
        self.summary_limit = summary_limit
        check_literals(RENDERED, self)

    def run(self, context: Context) -> dict[str, Any] | list[dict[str, Any]]:
        """Page through the listing into a summary list or an export file."""
        values = rendered_values(RENDERED, self)
        since = parse_since(self.since)
        output_path = output_path_value(self.output_path)
        client = self.hook.get_conn()
        threads = client.iter_inbox(**values, since=since)
        self.log.info(
            "Fetching the %s inbox%s%s",
            "pending" if values["pending"] else "main",
            f" (filter {values['selected_filter']})" if values["selected_filter"] else "",
            f" since {iso(since)}" if since else "",
        )
        summaries, count = collect(
            threads,
            output_path=output_path,
            summary=thread_summary,
            limit=self.summary_limit,
            what="threads",
            log=self.log,
        )
        if summaries is not None:
            return summaries
        self.log.info("Exported %d threads to %s", count, output_path)
        # Nothing new: keep the previous mark, or the next run would fetch everything again.
        newest = iso(threads.newest.last_activity_at) if threads.newest else iso(since)
        return {"path": output_path, "count": count, "newest_timestamp": newest}


def thread_summary(thread: Thread) -> dict[str, Any]:
    """A thread in a few small fields, for XCom."""
    last = thread.newest_item
    return {
        "thread_id": thread.thread_id,
        "title": thread.title,
        "users": [{"pk": u.pk, "username": u.username} for u in thread.users],
        "last_activity_at": iso(thread.last_activity_at),
        "unseen": thread.unseen,
        "pending": thread.pending,
        "last_item": last.preview if last is not None else None,
    }
