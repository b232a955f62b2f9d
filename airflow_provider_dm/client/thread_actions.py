"""What a pipeline does to a thread after reading it (§3.3, §5, §8): mark it seen, react to
or unsend items, approve or decline message requests, create and update groups.

Each action is idempotent and says so: a repeat that changes nothing (approving a thread that
is no longer pending, unsending an item already gone, marking seen what was seen) answers
``already_done`` instead of failing. Input is checked before any request.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_dm.client import checks
from airflow_provider_dm.client.client_context import new_client_context
from airflow_provider_dm.client.errors import BadRequest, InvalidInput, NotFound
from airflow_provider_dm.client.models import Thread

if TYPE_CHECKING:
    from airflow_provider_dm.client.transport import Transport

ALREADY_DONE = "already_done"
MAX_EMOJI = 16
MAX_TITLE = 100
THREADS = "direct_v2/threads"


@dataclass(frozen=True)
class ActionResult:
    """What one action did to one thread (and item): ``status`` names it, e.g. ``seen``,
    ``reacted``, ``unsent``, ``approved``, or ``already_done`` when nothing was left to do."""

    thread_id: str
    status: str
    item_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict, e.g. for XCom."""
        return asdict(self)


def _thread(transport: Transport, thread_id: str) -> Thread:
    answer = transport.api("GET", f"{THREADS}/{thread_id}/", params={"limit": 1})
    return Thread.parse(answer.get("thread"))


def _base_form(transport: Transport) -> dict[str, Any]:
    return {"_uuid": transport.state.uuid}


def emoji_value(value: Any, field: str = "emoji") -> str:
    """A reaction emoji: a short non-empty string."""
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_EMOJI:
        raise InvalidInput(field, f"must be one emoji (a short non-empty string), got {value!r}")
    return value.strip()


def mark_seen(transport: Transport, thread_id: Any, item_id: Any = None) -> ActionResult:
    """Mark ``thread_id`` seen up to ``item_id`` (default: its newest item)."""
    tid = checks.thread_id(thread_id)
    target = None if item_id is None else checks.numeric_id(item_id, "item_id")
    thread = _thread(transport, tid)
    items = thread.raw.get("items") or []
    if target is None:
        if not items:
            return ActionResult(tid, ALREADY_DONE)
        target = str(items[0]["item_id"])
    viewer = thread.viewer_id if thread.viewer_id is not None else transport.state.user_id
    mark = (thread.raw.get("last_seen_at") or {}).get(str(viewer)) or {}
    seen = str(mark.get("item_id") or "")
    if seen.isdigit() and int(seen) >= int(target) and not thread.raw.get("marked_as_unread"):
        return ActionResult(tid, ALREADY_DONE, target)
    form = {
        **_base_form(transport),
        "action": "mark_seen",
        "thread_id": tid,
        "item_id": target,
        "use_unified_inbox": "true",
        "client_context": new_client_context(),
    }
    transport.api("POST", f"{THREADS}/{tid}/items/{target}/seen/", form=form)
    return ActionResult(tid, "seen", target)


def react(
    transport: Transport, thread_id: Any, item_id: Any, emoji: Any = "❤️", *, remove: bool = False
) -> ActionResult:
    """React to an item with ``emoji`` (or, with ``remove``, take the reaction back); the
    service keeps one reaction per person, so a repeat changes nothing."""
    tid = checks.thread_id(thread_id)
    iid = checks.numeric_id(item_id, "item_id")
    face = emoji_value(emoji)
    token = new_client_context()
    transport.before_create("reaction")
    form = {
        **transport.common_send_fields(token),
        "thread_ids": json.dumps([tid]),
        "item_type": "reaction",
        "item_id": iid,
        "reaction_type": "like",
        "reaction_status": "deleted" if remove else "created",
        "node_type": "item",
        "emoji": face,
        "reaction_action_source": "double_tap",
        "send_attribution": "direct_thread",
    }
    transport.api("POST", f"{THREADS}/broadcast/reaction/", form=form)
    return ActionResult(tid, "unreacted" if remove else "reacted", iid)


def unsend(
    transport: Transport, thread_id: Any, item_id: Any, *, field: str = "item_id"
) -> ActionResult:
    """Unsend (delete) one of our own items; an item already gone is ``already_done``. The
    service refuses another person's item: ``InvalidInput`` naming ``field``."""
    tid = checks.thread_id(thread_id)
    iid = checks.numeric_id(item_id, field)
    try:
        transport.api("POST", f"{THREADS}/{tid}/items/{iid}/delete/", form=_base_form(transport))
    except NotFound:
        _thread(transport, tid)  # an unknown thread stays an error: NotFound
        return ActionResult(tid, ALREADY_DONE, iid)
    except BadRequest as exc:
        if type(exc) is not BadRequest:  # a spam block or the like is not about the item
            raise
        raise InvalidInput(
            field, f"item {iid} of thread {tid} cannot be unsent: {exc.message}"
        ) from exc
    return ActionResult(tid, "unsent", iid)


def _waiting(transport: Transport, thread_id: str, verb: str) -> bool:
    """Whether the request still waits for ``verb``: a declined request stays pending but
    is hidden (``is_spam``), which approving may still undo."""
    thread = _thread(transport, thread_id)
    return thread.pending and (verb == "approve" or not thread.raw.get("is_spam"))


def approve(
    transport: Transport, thread_ids: Sequence[Any], *, bulk: bool = True
) -> list[ActionResult]:
    """Approve message requests; threads no longer pending are ``already_done``. With ``bulk``
    the pending ones go in one ``approve_multiple`` call."""
    return _answer_requests(transport, thread_ids, "approve", bulk=bulk)


def decline(
    transport: Transport, thread_ids: Sequence[Any], *, bulk: bool = True
) -> list[ActionResult]:
    """Decline message requests; threads no longer pending are ``already_done``. With ``bulk``
    the pending ones go in one ``decline_multiple`` call."""
    return _answer_requests(transport, thread_ids, "decline", bulk=bulk)


def _answer_requests(
    transport: Transport, thread_ids: Sequence[Any], verb: str, *, bulk: bool
) -> list[ActionResult]:
    if isinstance(thread_ids, (str, int)):
        thread_ids = [thread_ids]
    ids = [checks.thread_id(t, f"thread_ids[{n}]") for n, t in enumerate(thread_ids)]
    done = f"{verb}d"
    pending = [t for t in ids if _waiting(transport, t, verb)]
    if bulk and len(pending) > 1:
        form = {**_base_form(transport), "thread_ids": json.dumps(pending)}
        transport.api("POST", f"{THREADS}/{verb}_multiple/", form=form)
    else:
        for tid in pending:
            form = {**_base_form(transport), "filter": "DEFAULT"}
            transport.api("POST", f"{THREADS}/{tid}/{verb}/", form=form)
    return [ActionResult(t, done if t in pending else ALREADY_DONE) for t in ids]


def create_group(
    transport: Transport, user_ids: Sequence[Any], title: Any = None, *, reuse: bool = True
) -> ActionResult:
    """Create a group with ``user_ids`` (two or more other people). With ``reuse``, a thread
    that already has exactly these members is returned as ``already_done``."""
    from airflow_provider_dm.client.lookups import thread_with

    if isinstance(user_ids, (str, int)) or not isinstance(user_ids, Sequence):
        raise InvalidInput("users", f"must be a list of user ids, got {user_ids!r}")
    ids = [int(checks.numeric_id(u, f"users[{n}]")) for n, u in enumerate(user_ids)]
    if len(set(ids)) < 2:
        raise InvalidInput("users", f"a group needs at least 2 other people, got {len(set(ids))}")
    name = _title(title, optional=True)
    if reuse:
        existing = thread_with(transport, ids)
        if existing is not None:
            return ActionResult(str(existing["thread_id"]), ALREADY_DONE)
    transport.before_create("group")
    form = {
        **_base_form(transport),
        "_uid": str(transport.state.user_id or ""),
        "recipient_users": json.dumps(ids, separators=(",", ":")),
        "client_context": new_client_context(),
        "is_partnership_folder": "false",
    }
    if name:
        form["thread_title"] = name
    answer = transport.api("POST", "direct_v2/create_group_thread/", form=form, signed=True)
    thread = answer.get("thread") if isinstance(answer.get("thread"), dict) else answer
    return ActionResult(checks.thread_id(thread.get("thread_id")), "created")


def _title(value: Any, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_TITLE:
        raise InvalidInput("title", f"must be 1 to {MAX_TITLE} characters, got {value!r}")
    return value.strip()


def update_thread(
    transport: Transport,
    thread_id: Any,
    *,
    title: Any = None,
    add_users: Sequence[Any] | None = None,
    mute: bool | None = None,
    hide: bool = False,
    leave: bool = False,
) -> dict[str, str]:
    """Rename a thread, add people, mute or unmute, hide or leave it (in that order). Returns
    each action asked for with its status (``already_done`` when the thread was that way)."""
    tid = checks.thread_id(thread_id)
    name = _title(title, optional=True)
    if add_users is not None and (isinstance(add_users, (str, int)) or not add_users):
        raise InvalidInput("add_users", f"must be a non-empty list of user ids, got {add_users!r}")
    added = [int(checks.numeric_id(u, f"add_users[{n}]")) for n, u in enumerate(add_users or [])]
    for flag, value in (("hide", hide), ("leave", leave)):
        if not isinstance(value, bool):
            raise InvalidInput(flag, f"must be True or False, got {value!r}")
    if mute is not None and not isinstance(mute, bool):
        raise InvalidInput("mute", f"must be True, False or None, got {mute!r}")
    if name is None and not added and mute is None and not hide and not leave:
        raise InvalidInput("thread_id", "nothing to do: give title, add_users, mute, hide or leave")
    try:
        thread = _thread(transport, tid)
    except NotFound:
        if leave and name is None and not added and mute is None and not hide:
            return {"leave": ALREADY_DONE}
        raise
    done: dict[str, str] = {}
    base = _base_form(transport)
    if name is not None:
        if thread.raw.get("named") and thread.title == name:
            done["title"] = ALREADY_DONE
        else:
            transport.api("POST", f"{THREADS}/{tid}/update_title/", form={**base, "title": name})
            done["title"] = "renamed"
    if added:
        members = {u.pk for u in thread.users}
        missing = [u for u in added if u not in members]
        if missing:
            form = {**base, "user_ids": json.dumps([str(u) for u in missing])}
            transport.api("POST", f"{THREADS}/{tid}/add_user/", form=form)
        done["add_users"] = "added" if missing else ALREADY_DONE
    if mute is not None:
        verb = "mute" if mute else "unmute"
        if thread.muted == mute:
            done[verb] = ALREADY_DONE
        else:
            transport.api("POST", f"{THREADS}/{tid}/{verb}/", form=base)
            done[verb] = f"{verb}d"
    if hide:
        transport.api("POST", f"{THREADS}/{tid}/hide/", form={**base, "use_unified_inbox": "true"})
        done["hide"] = "hidden"
    if leave:
        transport.api("POST", f"{THREADS}/{tid}/leave/", form=base)
        done["leave"] = "left"
    return done
