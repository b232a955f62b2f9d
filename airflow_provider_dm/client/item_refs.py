"""The items an action applies to, from whatever a DAG has at hand: a send operator's result
list, a fetch operator's item summaries, or ``{"thread_id", "item_id"}`` dicts. One parser,
shared by every item action, that refuses bad input naming the entry (``items[2]``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_dm.client.checks import numeric_id, thread_id
from airflow_provider_dm.client.errors import InvalidInput

# Send records that name no item: nothing was sent there, so there is nothing to act on.
UNSENT = frozenset({"failed", "dry_run"})
# A check of one id: (value, field) -> the clean id, or InvalidInput naming the field.
IdCheck = Callable[[Any, str], str]


@dataclass(frozen=True)
class ItemRef:
    """One item of one thread; ``user_id`` is its sender when the source told it."""

    thread_id: str
    item_id: str
    user_id: int | None = None
    field: str = "items"


def _entries(value: Any, field: str) -> list[tuple[str, Any]]:
    if isinstance(value, Mapping):
        return [(f"{field}[0]", value)]
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidInput(field, f"must be a list of items, got {type(value).__name__}")
    entries: list[tuple[str, Any]] = []
    for n, entry in enumerate(value):
        if isinstance(entry, (list, tuple)):  # a mapped send: one result list per task
            entries += [(f"{field}[{n}][{m}]", inner) for m, inner in enumerate(entry)]
        else:
            entries.append((f"{field}[{n}]", entry))
    return entries


def parse_item_refs(
    value: Any,
    *,
    default_thread_id: Any = None,
    field: str = "items",
    thread_check: IdCheck = thread_id,
    item_check: IdCheck = numeric_id,
) -> list[ItemRef]:
    """Every item named by ``value``, in order, each once. Entries without a ``thread_id``
    (a fetch's summaries) take ``default_thread_id``; send records that sent nothing
    (``failed``, ``dry_run``) are skipped. The id checks default to the private API's
    (digits); the official API's ids are opaque."""
    default = (
        None if default_thread_id in (None, "") else thread_check(default_thread_id, "thread_id")
    )
    refs: list[ItemRef] = []
    seen: set[tuple[str, str]] = set()
    for name, entry in _entries(value, field):
        if not isinstance(entry, Mapping):
            raise InvalidInput(name, f"must be a dict with item_id, got {entry!r}")
        if entry.get("status") in UNSENT and not entry.get("item_id"):
            continue
        if entry.get("item_id") in (None, ""):
            raise InvalidInput(name, "has no item_id")
        item = item_check(entry["item_id"], f"{name}.item_id")
        raw_thread = entry.get("thread_id")
        if raw_thread in (None, ""):
            if default is None:
                raise InvalidInput(name, "has no thread_id (give the operator's thread_id)")
            tid = default
        else:
            tid = thread_check(raw_thread, f"{name}.thread_id")
        sender = entry.get("user_id")
        user = int(numeric_id(sender, f"{name}.user_id")) if sender not in (None, "") else None
        if (tid, item) not in seen:
            seen.add((tid, item))
            refs.append(ItemRef(tid, item, user, name))
    return refs
