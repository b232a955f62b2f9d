"""Typed views of users, thread items and threads (§4.2, §4.3), parsed tolerantly: an unknown
item type, a missing key or a null never raises. Ids are str, pks int, server timestamps (µs)
are kept raw and exposed as UTC ``datetime``; every model keeps the JSON it came from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import Any

PREVIEW_LENGTH = 80
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_LABELS = {
    "media_share": "[shared post]",
    "raven_media": "[disappearing media]",
    "voice_media": "[voice message]",
    "animated_media": "[GIF]",
    "story_share": "[shared story]",
    "reel_share": "[story reply]",
    "clip": "[shared reel]",
    "felix_share": "[shared video]",
    "like": "\u2764\ufe0f",
    "video_call_event": "[video call]",
    "live_viewer_invite": "[live invite]",
}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        try:
            return int(float(value))
        except (TypeError, ValueError, OverflowError):
            return None


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def from_micros(value: int | None) -> datetime | None:
    """A UTC datetime from the server's microseconds since the epoch (None stays None)."""
    if value is None:
        return None
    try:
        return EPOCH + timedelta(microseconds=value)
    except (OverflowError, ValueError):
        return None


def to_micros(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (naive ones are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (moment - EPOCH) // timedelta(microseconds=1)


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW_LENGTH else text[: PREVIEW_LENGTH - 1] + "\u2026"


@dataclass(frozen=True)
class User:
    """A participant or account: ``pk`` (int), ``username``, ``full_name``."""

    pk: int
    username: str
    full_name: str = ""
    is_private: bool = False
    profile_pic_url: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def parse(cls, data: Any) -> User:
        """A user from any user-shaped JSON (missing fields become empty)."""
        raw = _dict(data)
        pk = _int(raw.get("pk", raw.get("pk_id", raw.get("id"))))
        return cls(
            pk=pk if pk is not None else 0,
            username=_text(raw.get("username")) or "",
            full_name=_text(raw.get("full_name")) or "",
            is_private=_bool(raw.get("is_private")),
            profile_pic_url=_text(raw.get("profile_pic_url")),
            raw=raw,
        )


@dataclass(frozen=True)
class ThreadItem:
    """One thread item of any type; ``preview`` is a short text whatever the type."""

    item_id: str
    user_id: int | None
    timestamp: datetime | None
    timestamp_us: int | None
    item_type: str
    text: str | None = None
    client_context: str | None = None
    is_sent_by_viewer: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def parse(cls, data: Any) -> ThreadItem:
        """An item from its JSON; an unknown type keeps its raw payload."""
        raw = _dict(data)
        stamp = _int(raw.get("timestamp"))
        item_type = _text(raw.get("item_type")) or "unknown"
        return cls(
            item_id=_text(raw.get("item_id")) or "",
            user_id=_int(raw.get("user_id")),
            timestamp=from_micros(stamp),
            timestamp_us=stamp,
            item_type=item_type,
            text=_item_text(raw, item_type),
            client_context=_text(raw.get("client_context")),
            is_sent_by_viewer=_bool(raw.get("is_sent_by_viewer")),
            raw=raw,
        )

    @property
    def payload(self) -> Any:
        """The type's own payload (e.g. ``raw["link"]`` for a link), or None."""
        return self.raw.get(self.item_type)

    @property
    def link_url(self) -> str | None:
        """The URL of a link item."""
        context = _dict(_dict(self.raw.get("link")).get("link_context"))
        return _text(context.get("link_url"))

    @property
    def preview(self) -> str:
        """A short one-line text for any item type, e.g. for a log line or a notification."""
        return _shorten(_preview(self))


def _item_text(raw: dict[str, Any], item_type: str) -> str | None:
    if item_type == "text":
        return _text(raw.get("text"))
    if item_type == "link":
        return _text(_dict(raw.get("link")).get("text")) or _text(raw.get("text"))
    payload = _dict(raw.get(item_type))
    return _text(payload.get("text")) or _text(raw.get("text"))


def _preview(item: ThreadItem) -> str:
    raw, kind = item.raw, item.item_type
    payload = _dict(raw.get(kind))
    if kind in ("text", "link") and item.text:
        return item.text
    if kind == "link":
        return item.link_url or "[link]"
    if kind == "profile":
        name = _text(payload.get("username"))
        return f"[profile] @{name}" if name else "[profile]"
    if kind == "media":
        return "[video]" if _int(payload.get("media_type")) == 2 else "[photo]"
    if kind == "action_log":
        return _text(payload.get("description")) or "[event]"
    if kind == "placeholder":
        return _text(payload.get("message")) or _text(payload.get("title")) or "[unavailable]"
    if kind == "hashtag":
        name = _text(payload.get("name"))
        return f"#{name}" if name else "[hashtag]"
    if kind == "location":
        name = _text(payload.get("name")) or _text(_dict(payload.get("location")).get("name"))
        return f"[location] {name}" if name else "[location]"
    if kind.startswith(("xma", "generic_xma")):
        first = next((x for x in _list(raw.get(kind)) if isinstance(x, dict)), {})
        title = _text(first.get("title_text")) or _text(first.get("header_title_text"))
        return f"[shared] {title}" if title else "[shared content]"
    label = _LABELS.get(kind, f"[{kind}]")
    return f"{label} {item.text}" if item.text else label


@dataclass(frozen=True)
class Thread:
    """A conversation with its other participants and (some of) its newest items."""

    thread_id: str
    title: str
    users: tuple[User, ...]
    last_activity_at: datetime | None
    last_activity_at_us: int | None
    pending: bool = False
    muted: bool = False
    archived: bool = False
    is_group: bool = False
    thread_type: str | None = None
    viewer_id: int | None = None
    read_state: int | None = None
    last_seen_at_us: int | None = None
    has_older: bool = False
    oldest_cursor: str | None = None
    thread_v2_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def parse(cls, data: Any) -> Thread:
        """A thread from its JSON; bad items or users are kept as tolerant parses."""
        raw = _dict(data)
        stamp = _int(raw.get("last_activity_at"))
        viewer = _int(raw.get("viewer_id"))
        seen = _dict(_dict(raw.get("last_seen_at")).get(str(viewer))) if viewer else {}
        users = tuple(User.parse(u) for u in _list(raw.get("users")) if isinstance(u, dict))
        return cls(
            thread_id=_text(raw.get("thread_id")) or "",
            title=_text(raw.get("thread_title")) or ", ".join(u.username for u in users),
            users=users,
            last_activity_at=from_micros(stamp),
            last_activity_at_us=stamp,
            pending=_bool(raw.get("pending")),
            muted=_bool(raw.get("muted")),
            archived=_bool(raw.get("archived")),
            is_group=_bool(raw.get("is_group")) or len(users) > 1,
            thread_type=_text(raw.get("thread_type")),
            viewer_id=viewer,
            read_state=_int(raw.get("read_state")),
            last_seen_at_us=_int(seen.get("timestamp")),
            has_older=_bool(raw.get("has_older")),
            oldest_cursor=_text(raw.get("oldest_cursor")) or None,
            thread_v2_id=_text(raw.get("thread_v2_id")),
            raw=raw,
        )

    @cached_property
    def items(self) -> tuple[ThreadItem, ...]:
        """The thread's items in the payload, newest first (parsed on first use: an export
        that only needs the newest one does not pay for the rest)."""
        return tuple(self._parse_items())

    @property
    def newest_item(self) -> ThreadItem | None:
        """The newest item in the payload, or None."""
        return next(self._parse_items(), None)

    def _parse_items(self) -> Iterator[ThreadItem]:
        return (ThreadItem.parse(i) for i in _list(self.raw.get("items")) if isinstance(i, dict))

    @property
    def unseen(self) -> bool:
        """True when the viewer has not seen the newest item someone else sent."""
        if self.read_state is not None:
            return self.read_state != 0
        newest = next((i for i in self._parse_items() if i.user_id != self.viewer_id), None)
        if newest is None or newest.timestamp_us is None:
            return False
        return self.last_seen_at_us is None or newest.timestamp_us > self.last_seen_at_us
