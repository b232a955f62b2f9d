"""Finding an earlier send on the official Messaging API, whose Send API keeps no client token:
the conversation's newest messages are searched for one from our own account with the same
content, created at or after a moment less the clock skew allowed by ``client.look_back``. The
content is the text, the shared post's permalink, or, for photos, videos and voice messages,
only the kinds of the attachments: Meta shows an attachment by a CDN URL of its own, never by
the URL or ``attachment_id`` it was sent with.

The API details only the 20 newest messages of a conversation: a search that meets 20 messages
all newer than that moment stops there (``complete`` False), and the send goes out again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from airflow_provider_dm.client.look_back import CLOCK_SKEW
from airflow_provider_dm.client.models import ThreadItem, to_micros

log = logging.getLogger(__name__)

DETAILED = 20  # the newest messages of a conversation that the service gives details for


@dataclass(frozen=True)
class Content:
    """What identifies a sent message: its ``text``, the kind of each of its ``attachments``
    (``image``, ``video``, ``audio``, ``file``, sorted), or the ``share``d post's permalink."""

    text: str | None = None
    attachments: tuple[str, ...] = ()
    share: str | None = None

    @classmethod
    def of_message(cls, message: dict[str, Any], permalink: str | None = None) -> Content:
        """The content of a Send API ``message``; a ``MEDIA_SHARE`` is known by the post's
        ``permalink`` (the service shows a shared post by its link, not its id)."""
        if "text" in message:
            return cls(text=str(message["text"]))
        listed = message.get("attachments")
        attachments = listed if isinstance(listed, list) else [message.get("attachment")]
        if any(_dict(a).get("type") == "MEDIA_SHARE" for a in attachments):
            return cls(share=_bare_url(permalink or ""))
        kinds = sorted(str(_dict(a).get("type") or "") for a in attachments)
        return cls(attachments=tuple(kinds))

    def matches(self, message: dict[str, Any]) -> bool:
        """Whether a message of the Conversations API (with ``message``, ``attachments`` and
        ``shares`` fields) holds this content."""
        if self.text is not None:
            return message.get("message") == self.text
        if self.share is not None:
            links = {_bare_url(str(s.get("link") or "")) for s in _data(message.get("shares"))}
            return bool(self.share) and self.share in links
        found = sorted(_attachment_kind(a) for a in _data(message.get("attachments")))
        return bool(self.attachments) and tuple(found) == self.attachments


@dataclass(frozen=True)
class GraphSearch:
    """What a search found (the message id or None), how many messages it read, and whether
    it reached ``since`` or the conversation's start (``complete``)."""

    message_id: str | None
    seen: int
    complete: bool


def find_earlier(
    messages: Iterable[ThreadItem], own_ids: set[str], content: Content, since: datetime | None
) -> GraphSearch:
    """The newest of ``messages`` (newest first) sent from ``own_ids`` with ``content`` and
    created at or after ``since`` less ``CLOCK_SKEW``; stops at an older message or at the
    first one the service gives no details for."""
    since_us = to_micros(since - CLOCK_SKEW) if since is not None else None
    seen = 0
    for item in messages:
        message = _dict(item.raw.get("graph"))
        if "from" not in message:
            return GraphSearch(None, seen, False)
        stamp = item.timestamp_us
        if since_us is not None and stamp is not None and stamp < since_us:
            return GraphSearch(None, seen, True)
        seen += 1
        sender = str(_dict(message.get("from")).get("id") or "")
        if sender in own_ids and content.matches(message):
            return GraphSearch(str(item.item_id), seen, True)
    return GraphSearch(None, seen, seen < DETAILED)


def log_search(conversation: str, search: GraphSearch, since: datetime | None) -> None:
    """Log what a search read and found; warn when the detail limit ended it early."""
    log.info(
        "conversation %s: looked back through %d messages for the same content: %s",
        conversation,
        search.seen,
        f"found message {search.message_id}" if search.message_id else "not found",
    )
    if not search.complete:
        log.warning(
            "conversation %s: the service details only its %d newest messages, all newer than"
            " %s; an earlier send older than them is not seen, and it is sent again",
            conversation,
            DETAILED,
            since.isoformat() if since else "the first try",
        )


def _attachment_kind(attachment: dict[str, Any]) -> str:
    """The Send API type of an attachment as the Conversations API shows it."""
    if "image_data" in attachment:
        return "image"
    if "video_data" in attachment:
        return "video"
    mime = str(attachment.get("mime_type") or "")
    return "audio" if "audio_data" in attachment or mime.startswith("audio/") else "file"


def _bare_url(url: str) -> str:
    return url.split("?", 1)[0].rstrip("/")


def _data(value: Any) -> list[dict[str, Any]]:
    listed = _dict(value).get("data")
    return [v for v in listed if isinstance(v, dict)] if isinstance(listed, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
