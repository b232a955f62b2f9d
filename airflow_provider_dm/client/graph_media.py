"""Photos, videos and voice messages on the official Messaging API: the Send API attachment
of a media item (by public URL or by an uploaded ``attachment_id``) and the attachment upload
(``message_attachments``: any kind by URL; video and audio also from a file, as multipart
``filedata``; images by URL only). Limits are checked before any request (official-api.md
§2: image ≤ 8 MB, video and audio ≤ 25 MB)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

from airflow_provider_dm.client.errors import InvalidInput
from airflow_provider_dm.client.items import Item, Photo, Video, Voice
from airflow_provider_dm.client.media_kinds import media_kind

# Our media kinds -> the Send API's attachment types.
ATTACHMENT_TYPES = {"photo": "image", "video": "video", "voice": "audio"}
MB = 1024 * 1024
MAX_BYTES = {"image": 8 * MB, "video": 25 * MB, "audio": 25 * MB}
# What the attachment upload takes from a file, by extension: video and audio only.
FILE_TYPES = {
    "video": {
        ".mp4": "video/mp4",
        ".mov": "video/quicktime",
        ".ogg": "video/ogg",
        ".ogv": "video/ogg",
        ".avi": "video/x-msvideo",
        ".webm": "video/webm",
    },
    "audio": {
        ".m4a": "audio/mp4",
        ".mp4": "audio/mp4",
        ".aac": "audio/aac",
        ".wav": "audio/wav",
    },
}
ROUTE = "graph"


class GraphCaller(Protocol):
    """What the upload needs of ``GraphClient``: its node and its one-call ``request``."""

    node: str
    page_id: str | None

    def request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One Graph call."""
        ...


def is_media_message(message: dict[str, Any]) -> bool:
    """Whether a Send API ``message`` carries audio or video (the 10 calls/s rate)."""
    attachment = message.get("attachment")
    return isinstance(attachment, dict) and attachment.get("type") in ("video", "audio")


def media_message(item: Item) -> dict[str, Any]:
    """The Send API ``message`` of a photo, video or voice item: by its public ``url``, or by
    the ``attachment_id`` of an upload on this API (the upload's ``media_id``)."""
    if not isinstance(item, (Photo, Video, Voice)):
        raise InvalidInput("item", f"is a {item.kind} item, not a photo, video or voice")
    kind = ATTACHMENT_TYPES[item.kind]
    if item.url is not None:
        payload: dict[str, Any] = {"url": item.url}
    elif item.media_id is not None:
        payload = {"attachment_id": item.media_id}
    else:
        raise InvalidInput(
            "upload_id",
            "the official API sends an upload by its attachment_id, which a bare upload_id "
            "does not carry; chain the upload task's whole result (upload=upload_task.output) "
            "or give url",
        )
    return {"attachment": {"type": kind, "payload": payload}}


def check_size(kind: str, size: int, field: str = "path") -> None:
    """Refuse, naming ``field``, a file over the official API's limit for ``kind``."""
    limit = MAX_BYTES[ATTACHMENT_TYPES[kind]]
    if size > limit:
        raise InvalidInput(
            field,
            f"is {size} bytes; the official API takes a {kind} of at most {limit // MB} MB",
        )


def file_type(kind: str, path: str | os.PathLike[str], field: str = "path") -> str:
    """The content type of a video or audio file by its extension, else ``InvalidInput``
    naming ``field`` (images are uploaded by URL only)."""
    if kind == "photo":
        raise InvalidInput(
            field, "the official API takes photos by public URL only, not from a file: give url"
        )
    types = FILE_TYPES[ATTACHMENT_TYPES[kind]]
    suffix = Path(path).suffix.lower()
    if suffix not in types:
        raise InvalidInput(
            field, f"a {kind} for the official API must be one of {sorted(types)}, got {suffix!r}"
        )
    return types[suffix]


def _upload(
    client: GraphCaller, kind: str, attachment_id: Any, size: int | None, **facts: Any
) -> Any:
    from airflow_provider_dm.client.upload import Upload

    if not isinstance(attachment_id, (str, int)) or not str(attachment_id).strip():
        raise InvalidInput("attachment_id", "the upload answer held no attachment_id")
    text = str(attachment_id).strip()
    return Upload(
        upload_id=text,
        kind=kind,
        route=ROUTE,
        width=facts.get("width"),
        height=facts.get("height"),
        duration_ms=facts.get("duration_ms"),
        bytes=size,
        media_id=text,
        waveform=facts.get("waveform"),
    )


def _params(client: GraphCaller) -> dict[str, Any] | None:
    return {"platform": "instagram"} if client.page_id else None


def upload_url(client: GraphCaller, kind: str, url: str) -> Any:
    """Upload the media at a public ``url`` once (``is_reusable``): an ``Upload`` whose
    ``upload_id`` and ``media_id`` are the ``attachment_id`` (sizes unknown: None)."""
    item = media_item(kind, url)
    attachment = media_message(item)["attachment"]
    attachment["payload"]["is_reusable"] = True
    answer = client.request(
        "POST",
        f"{client.node}/message_attachments",
        params=_params(client),
        json={"message": {"attachment": attachment}},
    )
    return _upload(client, kind, answer.get("attachment_id"), None)


def upload_file(
    client: GraphCaller,
    kind: str,
    data: bytes,
    filename: str,
    content_type: str,
    **facts: Any,
) -> Any:
    """Upload a video or audio file's bytes once, as multipart ``filedata``: an ``Upload``
    whose ``upload_id`` and ``media_id`` are the ``attachment_id``; ``facts`` (width, height,
    duration_ms, waveform) are kept in it."""
    import json

    check_size(kind, len(data))
    message = {"attachment": {"type": ATTACHMENT_TYPES[kind], "payload": {"is_reusable": True}}}
    answer = client.request(
        "POST",
        f"{client.node}/message_attachments",
        params=_params(client),
        data={"message": json.dumps(message, separators=(",", ":"))},
        files={"filedata": (filename, data, content_type)},
    )
    return _upload(client, kind, answer.get("attachment_id"), len(data), **facts)


def media_item(kind: str, url: Any) -> Photo | Video | Voice:
    """The item of ``kind`` sent by public ``url`` (validated: an http(s) URL)."""
    return media_kind(kind).item(url=url)
