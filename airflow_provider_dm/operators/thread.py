"""``DirectFetchThreadOperator``: every item of one thread, as a compact XCom summary or a JSON
Lines export, with incremental fetches by time or by the last item seen."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from airflow_provider_dm.operators.base import DirectBaseOperator
from airflow_provider_dm.operators.export import collect, iso, output_path_value, parse_since
from airflow_provider_dm.operators.rendered import (
    Coerce,
    check_literals,
    rendered_values,
    whole_number,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_dm.client import ThreadItem

SUMMARY_LIMIT = 5000
# The templated counts, and what their rendered values mean.
RENDERED: dict[str, Coerce] = {
    "max_items": partial(whole_number, optional=True),
    "page_size": partial(whole_number, optional=False),
}


class DirectFetchThreadOperator(DirectBaseOperator):
    """Fetch the items of one thread, page by page, newest first.

    :param thread_id: the thread (templated; an ``XComArg`` works, and so does ``.expand()``).
    :param direct_conn_id: the ``instagram_direct`` connection (templated).
    :param max_items: stop after this many items (templated).
    :param since: only items sent after this moment (templated; datetime or ISO-8601 string).
    :param since_item_id: only items newer than this item id (templated), e.g. the
        ``newest_item_id`` of the previous run.
    :param output_path: a local path or any ``ObjectStoragePath`` URL (templated). When set,
        one JSON object per item (raw payload included) is written there atomically and the
        XCom is ``{"path", "thread_id", "count", "newest_item_id", "newest_timestamp"}``.
    :param page_size: items per page (templated).
    :param summary_limit: the most items a summary may hold.
    :param dry_run: ignored: this operator only reads.
    :return: without ``output_path``, a list with one small dict per item, newest first:
        ``{item_id, user_id, username, item_type, text, timestamp}`` (``text`` is a preview
        for non-text items); with it, ``{path, thread_id, count, newest_item_id,
        newest_timestamp, newest_cursor}``.

    ``newest_item_id`` is the newest item's id: pass it as ``since_item_id`` next time.
    ``newest_cursor`` is its former name, kept in the XCom for one more release.
    """

    template_fields: Sequence[str] = (
        "direct_conn_id",
        "thread_id",
        "since",
        "since_item_id",
        "output_path",
        *RENDERED,
    )
    ui_color = "#f3e5f5"

    def __init__(
        self,
        *,
        thread_id: Any,
        max_items: int | None = None,
        since: Any = None,
        since_item_id: Any = None,
        output_path: str | None = None,
        page_size: int = 20,
        summary_limit: int = SUMMARY_LIMIT,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        whole_number("summary_limit", summary_limit, optional=False)
        self.thread_id = thread_id
        self.max_items = max_items
        self.since = since
        self.since_item_id = since_item_id
        self.output_path = output_path
        self.page_size = page_size
        self.summary_limit = summary_limit
        check_literals(RENDERED, self)

    def run(self, context: Context) -> dict[str, Any] | list[dict[str, Any]]:
        """Page through the listing into a summary list or an export file."""
        values = rendered_values(RENDERED, self)
        thread_id = self.hook.check_thread_id(self.thread_id)
        since = parse_since(self.since)
        since_item_id = _since_item_id(self.hook, self.since_item_id)
        output_path = output_path_value(self.output_path)
        hook = self.hook
        client = hook.get_conn()
        thread = client.get_thread(thread_id, page_size=1)
        usernames = {u.pk: u.username for u in thread.users}
        if thread.viewer_id is not None:
            usernames[thread.viewer_id] = hook.settings.username
        items = client.iter_thread_items(
            thread_id, **values, since=since, since_item_id=since_item_id
        )
        self.log.info("Fetching thread %s (%s)", thread_id, thread.title)

        def summary(item: ThreadItem) -> dict[str, Any]:
            return item_summary(item, usernames)

        summaries, count = collect(
            items,
            output_path=output_path,
            summary=summary,
            limit=self.summary_limit,
            what="items",
            log=self.log,
        )
        if summaries is not None:
            return summaries
        self.log.info("Exported %d items of thread %s to %s", count, thread_id, output_path)
        # Nothing new: keep the previous marks, or the next run would fetch everything again.
        newest = items.newest
        newest_item_id = newest.item_id if newest else since_item_id
        return {
            "path": output_path,
            "thread_id": thread_id,
            "count": count,
            "newest_item_id": newest_item_id,
            "newest_timestamp": iso(newest.timestamp) if newest else iso(since),
            # Deprecated: the former name of newest_item_id; removed in the next release.
            "newest_cursor": newest_item_id,
        }


def _since_item_id(hook: Any, value: Any) -> str | None:
    """The rendered ``since_item_id``, checked as the connection's API writes item ids (digits
    on the private API, opaque message ids on the official one); None when not given."""
    if value is None or str(value).strip().lower() in ("", "none"):
        return None
    _, item_check = hook.id_checks()
    return item_check(value, "since_item_id")


def item_summary(item: ThreadItem, usernames: dict[int, str]) -> dict[str, Any]:
    """An item in a few small fields, for XCom."""
    return {
        "item_id": item.item_id,
        "user_id": item.user_id,
        "username": usernames.get(item.user_id or 0),
        "item_type": item.item_type,
        "text": item.text if item.text is not None else item.preview,
        "timestamp": iso(item.timestamp),
    }
