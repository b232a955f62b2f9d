"""The media kinds in one table: for each kind, where it is uploaded and sent on each route,
how a file is checked and prepared, which client method uploads it and which item sends it.
A new kind is one entry here (plus its item class and its client upload method).

Importing this module loads no imaging or HTTP library: the check steps import them when they
run, so operators can look kinds up while a DAG is parsed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_provider_dm.client.errors import InvalidInput
from airflow_provider_dm.client.items import Photo, Video, Voice

MediaItem = Photo | Video | Voice


@dataclass(frozen=True)
class CheckedMedia:
    """A media file validated before any request: its ``description`` (what would be uploaded:
    kind, width, height, duration_ms, bytes) and the ``source`` to upload (the prepared form,
    so that it is not prepared twice), with the ``temporary`` file it may live in (a video's
    transcode), removed by ``discard`` once the upload is done."""

    description: dict[str, Any]
    source: Any
    temporary: Path | None = None

    def discard(self) -> None:
        """Remove the temporary file, if there is one."""
        if self.temporary is not None:
            self.temporary.unlink(missing_ok=True)


def _described(kind: str, width: Any, height: Any, duration_ms: Any, size: int) -> dict[str, Any]:
    return {
        "kind": kind,
        "width": width,
        "height": height,
        "duration_ms": duration_ms,
        "bytes": size,
    }


def _check_photo(source: Any, **options: Any) -> CheckedMedia:
    from airflow_provider_dm.client.media import prepare_photo

    photo = prepare_photo(source, **options, field="path")
    return CheckedMedia(
        _described("photo", photo.width, photo.height, None, len(photo.jpeg)), photo
    )


def _check_video(source: Any, *, transcode: bool = False) -> CheckedMedia:
    from airflow_provider_dm.client.transcode import prepare_video

    video = prepare_video(source, transcode=transcode, field="path")
    info = video.info
    description = _described("video", info.width, info.height, info.duration_ms, info.bytes)
    temporary = video.path if video.transcoded else None
    return CheckedMedia(description, str(video.path), temporary)


def _check_voice(source: Any, **options: Any) -> CheckedMedia:
    from airflow_provider_dm.client.audio import prepare_voice

    voice = prepare_voice(source, field="path")
    return CheckedMedia(_described("voice", None, None, voice.duration_ms, voice.bytes), voice)


@dataclass(frozen=True)
class MediaKind:
    """One media kind: its upload endpoints and broadcast kinds per route, the preparation
    options its check takes (and which of them its client upload takes too), whether it may
    be read from a storage URL, its check (validation and preparation, no request), the
    ``DirectClient`` method that uploads it, and its item."""

    name: str
    item: type[MediaItem]
    upload_routes: Mapping[str, str]
    options: tuple[str, ...]
    upload_options: tuple[str, ...]
    reads_urls: bool
    check: Callable[..., CheckedMedia]
    client_upload: str

    @property
    def send_routes(self) -> Mapping[str, str]:
        """Route -> broadcast kind (``direct_v2/threads/broadcast/{kind}/``), from the item."""
        return self.item.BROADCASTS

    def upload(self, client: Any, source: Any, **options: Any) -> Any:
        """Upload ``source`` (a path, or the prepared form from ``check``) with ``client``; of
        ``options``, those the upload takes are passed on."""
        taken = {name: value for name, value in options.items() if name in self.upload_options}
        return getattr(client, self.client_upload)(source, **taken)

    def item_from_upload(self, upload: Any) -> MediaItem:
        """The item that sends an ``Upload`` of this kind (or its ``to_dict()``)."""
        return self.item.from_upload(upload)


MEDIA_KINDS: dict[str, MediaKind] = {
    kind.name: kind
    for kind in (
        MediaKind(
            name="photo",
            item=Photo,
            upload_routes={"attachment": "messenger_image", "classic": "rupload_igphoto"},
            options=("quality", "max_side"),
            upload_options=("quality", "max_side"),
            reads_urls=True,
            check=_check_photo,
            client_upload="upload_photo",
        ),
        MediaKind(
            name="video",
            item=Video,
            upload_routes={"attachment": "messenger_video", "classic": "rupload_igvideo"},
            options=("transcode",),
            upload_options=(),
            reads_urls=False,
            check=_check_video,
            client_upload="upload_video",
        ),
        MediaKind(
            name="voice",
            item=Voice,
            upload_routes={"attachment": "messenger_audio", "classic": "rupload_igvideo"},
            options=(),
            upload_options=(),
            reads_urls=False,
            check=_check_voice,
            client_upload="upload_voice",
        ),
    )
}


def media_kind(name: Any, field: str = "kind") -> MediaKind:
    """The entry of ``name`` (``photo``, ``video``, ``voice``), else ``InvalidInput``."""
    if name not in MEDIA_KINDS:
        raise InvalidInput(field, f"must be one of {sorted(MEDIA_KINDS)}, got {name!r}")
    return MEDIA_KINDS[name]
