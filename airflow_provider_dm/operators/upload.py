"""Upload operators: a photo or an MP4 video goes up once, and its ``Upload`` dict goes to XCom
(``upload_id``, ``kind``, ``route``, ``media_id``, sizes) for a send task to use.

Chaining: ``DirectSendPhotoOperator(upload=up.output, ...)`` works on both media routes.
``upload_id=up.output["upload_id"]`` works too: the send then takes the upload task's whole
result (the attachment route needs its ``media_id``). These operators also push each key of
the dict as its own XCom (``multiple_outputs``), so ``up.output["media_id"]`` can feed a
``media_id`` elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_provider_dm.client.checks import positive_int
from airflow_provider_dm.operators.base import DirectBaseOperator
from airflow_provider_dm.operators.rendered import check_literals, flag, rendered_values

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_dm.client import DirectClient
    from airflow_provider_dm.client.upload import Upload

KINDS = ("photo", "video")
QUALITY = 70
MAX_SIDE = 1080
PHOTO_OPTIONS = ("quality", "max_side")
# The video operators' templated option, and what its rendered value means.
VIDEO_RENDERED = {"transcode": flag}


def media_source(path: Any, kind: str) -> Any:
    """The rendered ``path`` as something the client reads: a local path, or for a photo an
    ``ObjectStoragePath`` when it is a URL. Raises ``ValueError`` naming ``path``."""
    if hasattr(path, "open") and not isinstance(path, str):
        return path
    if not isinstance(path, str) or not path.strip():
        raise ValueError(f"path: must be a non-empty file path, got {path!r}")
    text = path.strip()
    if "://" in text:
        if kind == "video":
            raise ValueError(
                f"path: a video must be a local file (it is read by seeking), got {text}"
            )
        from airflow.sdk import ObjectStoragePath

        return ObjectStoragePath(text)
    return text


@dataclass(frozen=True)
class CheckedMedia:
    """A photo or video validated before any request: its ``description`` (what would be
    uploaded) and the ``source`` to upload (for a photo the re-encoded ``PreparedPhoto``, so
    it is not encoded twice; for a video the file, or its ``temporary`` transcode)."""

    description: dict[str, Any]
    source: Any
    temporary: Path | None = None

    def discard(self) -> None:
        """Remove the temporary transcode, if there is one."""
        if self.temporary is not None:
            self.temporary.unlink(missing_ok=True)


def inspect_media(
    kind: str, source: Any, *, transcode: bool = False, **photo_options: Any
) -> CheckedMedia:
    """Validate a photo or video before any request (the photo fully decoded and re-encoded
    with ``photo_options``, the MP4 read from its boxes and, with ``transcode``, converted to
    H.264/AAC when Direct would refuse it) and describe what would be uploaded."""
    if kind == "photo":
        from airflow_provider_dm.client.media import prepare_photo

        photo = prepare_photo(source, **photo_options, field="path")
        described = {
            "kind": "photo",
            "width": photo.width,
            "height": photo.height,
            "duration_ms": None,
            "bytes": len(photo.jpeg),
        }
        return CheckedMedia(described, photo)
    from airflow_provider_dm.client.transcode import prepare_video

    video = prepare_video(source, transcode=transcode, field="path")
    info = video.info
    described = {
        "kind": "video",
        "width": info.width,
        "height": info.height,
        "duration_ms": info.duration_ms,
        "bytes": info.bytes,
    }
    return CheckedMedia(described, str(video.path), video.path if video.transcoded else None)


def upload_media(client: DirectClient, kind: str, source: Any, **photo_options: Any) -> Upload:
    """Upload a photo (a source, or the ``PreparedPhoto`` of ``inspect_media``) or a video
    with the client (on the connection's media route)."""
    if kind == "photo":
        return client.upload_photo(source, **photo_options)
    return client.upload_video(source)


def check_photo_options(quality: Any, max_side: Any) -> None:
    """``quality`` in 1..95 and a positive ``max_side``, else ``ValueError`` naming the field."""
    if isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 95:
        raise ValueError(f"quality: must be a whole number from 1 to 95, got {quality!r}")
    positive_int(max_side, "max_side")


def refuse_photo_options(operator: str, kwargs: dict[str, Any]) -> None:
    """``TypeError`` at DAG parse when a video operator is given ``quality`` or ``max_side``:
    a video is uploaded as it is, or transcoded to H.264/AAC with ``transcode=True``."""
    given = [name for name in PHOTO_OPTIONS if name in kwargs]
    if given:
        raise TypeError(
            f"{operator} takes no {' or '.join(given)}: they apply to photos only "
            f"(a video is uploaded as it is, or transcoded with transcode=True)"
        )


class _DirectUploadOperator(DirectBaseOperator):
    """Upload one media file and return its ``Upload`` dict (each key also its own XCom)."""

    kind: str
    template_fields: Sequence[str] = ("direct_conn_id", "path")
    ui_color = "#e8f5e9"

    def __init__(self, *, path: Any, **kwargs: Any) -> None:
        kwargs.setdefault("multiple_outputs", True)
        super().__init__(**kwargs)
        self.path = path

    def photo_options(self) -> dict[str, Any]:
        """How a photo is prepared (``quality``, ``max_side``); nothing for a video."""
        return {}

    def video_options(self) -> dict[str, Any]:
        """How a video is prepared (``transcode``); nothing for a photo."""
        return {}

    def run(self, context: Context) -> dict[str, Any]:
        """Validate the file, then upload it (or, in a dry run, describe it)."""
        hook = self.hook
        photo_options = self.photo_options()
        checked = inspect_media(
            self.kind,
            media_source(self.path, self.kind),
            **self.video_options(),
            **photo_options,
        )
        try:
            if hook.settings.dry_run:
                self.log.info("Dry run: would upload %s %s", self.kind, checked.description)
                return {
                    "upload_id": None,
                    "media_id": None,
                    "route": hook.settings.media_route,
                    **checked.description,
                    "dry_run": True,
                }
            upload = upload_media(hook.get_conn(), self.kind, checked.source, **photo_options)
        finally:
            checked.discard()
        self.log.info("Uploaded %s: upload_id %s", self.kind, upload.upload_id)
        return upload.to_dict()


class DirectUploadPhotoOperator(_DirectUploadOperator):
    """Upload a photo (any image Pillow reads; re-encoded as a JPEG within Direct's aspect
    ratios and ``max_side``).

    :param path: a local path or an ``ObjectStoragePath`` URL (templated).
    :param quality: JPEG quality, 1..95 (default 70).
    :param max_side: the longest side after resizing, in pixels (default 1080).
    :param dry_run: validate and describe the photo without uploading (None: the connection's
        ``dry_run`` extra decides).
    :param direct_conn_id: the ``instagram_direct`` connection (templated).
    :return: the upload, ``{upload_id, media_id, kind, route, width, height, duration_ms,
        bytes}``, each key also pushed as its own XCom (``multiple_outputs``); in a dry run
        ``upload_id`` and ``media_id`` are None and ``dry_run`` is True.
    """

    kind = "photo"

    def __init__(
        self, *, path: Any, quality: int = QUALITY, max_side: int = MAX_SIDE, **kwargs: Any
    ) -> None:
        super().__init__(path=path, **kwargs)
        check_photo_options(quality, max_side)
        self.quality = quality
        self.max_side = max_side

    def photo_options(self) -> dict[str, Any]:
        """``quality`` and ``max_side``."""
        return {"quality": self.quality, "max_side": self.max_side}


class DirectUploadVideoOperator(_DirectUploadOperator):
    """Upload an MP4 video in chunks, resuming after interruptions. It is checked first from
    its boxes (not truncated, H.264/AAC, within Direct's duration, size and frame limits). It
    takes no ``quality`` or ``max_side``: a video is uploaded as it is, or transcoded.

    :param path: a local MP4 file (templated).
    :param transcode: when the video's codec, frame or file size is outside the limits,
        convert it to H.264/AAC (at most 1280 px, capped bitrate) in a temporary file instead
        of refusing it; needs the ``airflow-provider-dm[video]`` extra (templated; default
        False).
    :param dry_run: validate and describe the video without uploading (None: the connection's
        ``dry_run`` extra decides).
    :param direct_conn_id: the ``instagram_direct`` connection (templated).
    :return: the upload, ``{upload_id, media_id, kind, route, width, height, duration_ms,
        bytes}``, each key also pushed as its own XCom (``multiple_outputs``); in a dry run
        ``upload_id`` and ``media_id`` are None and ``dry_run`` is True.
    """

    kind = "video"
    template_fields: Sequence[str] = (*_DirectUploadOperator.template_fields, "transcode")

    def __init__(self, *, path: Any, transcode: Any = False, **kwargs: Any) -> None:
        refuse_photo_options(type(self).__name__, kwargs)
        super().__init__(path=path, **kwargs)
        self.transcode = transcode
        check_literals(VIDEO_RENDERED, self)

    def video_options(self) -> dict[str, Any]:
        """``transcode``, rendered."""
        return rendered_values(VIDEO_RENDERED, self)
