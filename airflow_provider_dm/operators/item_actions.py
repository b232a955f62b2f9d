"""Operators that act on items a DAG already has: mark a thread seen, react to items, unsend
our own items. ``items=`` takes a send operator's result list, a fetch operator's item
summaries, or ``{"thread_id", "item_id"}`` dicts (one parser: ``client.item_refs``).

Each returns one record per item (per thread for mark seen): ``{thread_id, item_id, status}``,
``status`` naming what was done or ``already_done`` when a repeat found nothing to do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_provider_dm.client.checks import any_backend_id
from airflow_provider_dm.client.errors import BadRequest, InvalidInput, NotFound
from airflow_provider_dm.operators.base import DirectBaseOperator
from airflow_provider_dm.operators.rendered import flag, later

if TYPE_CHECKING:
    from collections.abc import Callable

    from airflow.sdk import Context

    from airflow_provider_dm.client.item_refs import IdCheck, ItemRef
    from airflow_provider_dm.client.thread_actions import ActionResult


def _about(ref: ItemRef, action: Callable[[], ActionResult]) -> ActionResult:
    """Run ``action``; a refusal of this one item (unknown item, bad request) names it."""
    try:
        return action()
    except (BadRequest, NotFound) as exc:
        if type(exc) not in (BadRequest, NotFound):
            raise
        raise InvalidInput(
            ref.field, f"item {ref.item_id} of thread {ref.thread_id}: {exc}"
        ) from exc


class DirectItemsOperator(DirectBaseOperator):
    """The common part of the item actions: ``items`` parsed into item references.

    :param items: a send operator's result list (``send.output``), a fetch operator's item
        summaries, or a list of ``{"thread_id", "item_id"}`` (templated).
    :param thread_id: the thread of items that do not name one (a fetch's summaries;
        templated).
    :param direct_conn_id: the ``instagram_direct`` connection (templated).
    :param dry_run: parse and check the items, then return what would be done.
    :return: one ``{thread_id, item_id, status}`` per item, in order.
    """

    template_fields: Sequence[str] = ("direct_conn_id", "items", "thread_id")
    template_fields_renderers: ClassVar[dict[str, str]] = {"items": "json"}
    ui_color = "#e8f5e9"

    def __init__(self, *, items: Any, thread_id: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.items = items
        self.thread_id = thread_id
        if not later(items) and not later(thread_id):
            self.refs(any_backend_id, any_backend_id)

    def refs(
        self, thread_check: IdCheck | None = None, item_check: IdCheck | None = None
    ) -> list[ItemRef]:
        """The rendered ``items`` as item references (bad entries refused, naming them); the
        ids are checked as the connection's API writes them unless checks are given."""
        from airflow_provider_dm.client.item_refs import parse_item_refs

        if thread_check is None or item_check is None:
            thread_check, item_check = self.hook.id_checks()
        return parse_item_refs(
            self.items,
            default_thread_id=self.thread_id,
            thread_check=thread_check,
            item_check=item_check,
        )

    def act(self, ref: ItemRef) -> ActionResult:
        """The action on one item."""
        raise NotImplementedError

    def run(self, context: Context) -> list[dict[str, Any]]:
        """Act on every item, in order; a dry run only lists them."""
        refs = self.refs()
        if self.hook.settings.dry_run:
            return [
                {"thread_id": r.thread_id, "item_id": r.item_id, "status": "dry_run"} for r in refs
            ]
        records = []
        for ref in refs:
            result = _about(ref, lambda ref=ref: self.act(ref))
            self.log.info("%s: item %s of thread %s", result.status, ref.item_id, ref.thread_id)
            records.append(result.to_dict())
        return records


class DirectReactOperator(DirectItemsOperator):
    """React to items with an emoji, or take the reaction back.

    :param items: a send operator's result list, a fetch operator's item summaries, or a list
        of ``{"thread_id", "item_id"}`` (templated).
    :param emoji: the reaction (templated), default ❤️.
    :param remove: take our reaction back instead (templated).
    :param thread_id: the thread of items that do not name one (templated).
    :param direct_conn_id: the ``instagram_direct`` connection (templated).
    :param dry_run: check the items, then return what would be done.
    :return: one ``{thread_id, item_id, status}`` per item, ``status`` ``reacted`` or
        ``unreacted`` (the service keeps one reaction per person: a repeat changes nothing).

    On an ``instagram_messaging`` connection the reaction is ❤️ (another emoji is refused
    naming ``emoji``), and a repeat that would change nothing is ``already_done``.
    """

    template_fields: Sequence[str] = (*DirectItemsOperator.template_fields, "emoji", "remove")

    def __init__(self, *, emoji: str = "❤️", remove: Any = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.emoji = emoji
        self.remove = remove
        if not later(emoji):
            from airflow_provider_dm.client.thread_actions import emoji_value

            emoji_value(emoji)
        if not later(remove):
            flag("remove", remove)

    def act(self, ref: ItemRef) -> ActionResult:
        """React to one item (or take the reaction back)."""
        remove = flag("remove", self.remove)
        return self.hook.get_conn().react(ref.thread_id, ref.item_id, self.emoji, remove=remove)


class DirectUnsendOperator(DirectItemsOperator):
    """Unsend (delete) our own items, e.g. ``DirectUnsendOperator(items=send.output)``.

    Another person's item is refused, naming it (``items[1]``): before any request when the
    item tells its sender (a fetch's summaries), else when the service refuses it.

    :param items: a send operator's result list, a fetch operator's item summaries, or a list
        of ``{"thread_id", "item_id"}`` (templated).
    :param thread_id: the thread of items that do not name one (templated).
    :param direct_conn_id: the ``instagram_direct`` connection (templated).
    :param dry_run: check the items, then return what would be done.
    :return: one ``{thread_id, item_id, status}`` per item, ``status`` ``unsent`` or
        ``already_done`` (the item was already gone).
    """

    def run(self, context: Context) -> list[dict[str, Any]]:
        """Refuse items of other people first, then unsend every item."""
        viewer = None if self.hook.settings.dry_run else self.hook.get_conn().state.user_id
        for ref in self.refs():
            if viewer is not None and ref.user_id is not None and ref.user_id != viewer:
                raise InvalidInput(
                    ref.field,
                    f"item {ref.item_id} of thread {ref.thread_id} was sent by user "
                    f"{ref.user_id}, not by this account: only our own items can be unsent",
                )
        return super().run(context)

    def act(self, ref: ItemRef) -> ActionResult:
        """Unsend one item."""
        return self.hook.get_conn().unsend(ref.thread_id, ref.item_id, field=ref.field)


class DirectMarkSeenOperator(DirectBaseOperator):
    """Mark a thread seen up to an item (default: its newest), e.g. after processing it.

    :param thread_id: the thread (templated; an ``XComArg`` works, and so does ``.expand()``).
    :param item_id: the item seen last (templated); default the thread's newest item.
    :param direct_conn_id: the ``instagram_direct`` connection (templated).
    :param dry_run: check the input, then return what would be done.
    :return: ``{thread_id, item_id, status}``, ``status`` ``seen`` or ``already_done`` (the
        thread was already seen up to that item).

    On an ``instagram_messaging`` connection only the newest message can be marked seen: an
    older ``item_id`` is refused naming it.
    """

    template_fields: Sequence[str] = ("direct_conn_id", "thread_id", "item_id")
    ui_color = "#e8f5e9"

    def __init__(self, *, thread_id: Any, item_id: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.thread_id = thread_id
        self.item_id = item_id
        if not later(thread_id):
            any_backend_id(thread_id, "thread_id")
        if not later(item_id) and item_id is not None:
            any_backend_id(item_id, "item_id")

    def run(self, context: Context) -> dict[str, Any]:
        """Mark the thread seen (one read to find the item and the current mark)."""
        thread_check, item_check = self.hook.id_checks()
        thread_id = thread_check(self.thread_id, "thread_id")
        item_id = self.item_id
        if item_id is not None and str(item_id).strip().lower() in ("", "none"):
            item_id = None
        if item_id is not None:
            item_id = item_check(item_id, "item_id")
        if self.hook.settings.dry_run:
            return {"thread_id": thread_id, "item_id": item_id, "status": "dry_run"}
        result = self.hook.get_conn().mark_seen(thread_id, item_id)
        self.log.info("Thread %s: %s up to item %s", thread_id, result.status, result.item_id)
        return result.to_dict()
