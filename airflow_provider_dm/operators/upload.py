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
from typing import TYPE_CHECKING, Any

from airflow_provider_dm.client.checks import positive_int
from airflow_provider_dm.client.errors import InvalidInput
from airflow_provider_dm.client.media_kinds import CheckedMedia, media_kind
from airflow_provider_dm.operators.base import DirectBaseOperator
from airflow_provider_dm.operators.rendered import check_literals, flag, rendered_values

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_dm.client import DirectClient
    from airflow_provider_dm.client.upload import Upload

QUALITY = 70
MAX_SIDE = 1080
PHOTO_OPTIONS = media_kind("photo").options
# The upload record of a URL upload in a dry run: nothing is known of the file.
URL_UPLOAD = {
    "upload_id": None,
    "media_id": None,
    "route": "graph",
    "width": None,
    "height": None,
    "duration_ms": None,
    "bytes": None,
}
# The video operators' templated option, and what its rendered value means.
VIDEO_RENDERED = {"transcode": flag}


def media_source(path: Any, kind: str) -> Any:
    """The rendered ``path`` as something the client reads: a local path, or for a kind read
    whole (a photo) an ``ObjectStoragePath`` when it is a URL. Raises ``ValueError`` naming
    ``path``."""
    if hasattr(path, "open") and not isinstance(path, str):
        return path
    if not isinstance(path, str) or not path.strip():
        raise ValueError(f"path: must be a non-empty file path, got {path!r}")
    text = path.strip()
    if "://" in text:
        if not media_kind(kind).reads_urls:
            raise ValueError(f"path: a {kind} must be a local file, got {text}")
        from airflow.sdk import ObjectStoragePath

        return ObjectStoragePath(text)
    return text


def inspect_media(kind: str, source: Any, **options: Any) -> CheckedMedia:
    """Validate and prepare a media file of ``kind`` before any request (its check in the
    media-kind table) and describe what would be uploaded."""
    return media_kind(kind).check(source, **options)


def upload_media(client: DirectClient, kind: str, source: Any, **options: Any) -> Upload:
    """Upload a media file of ``kind`` (a source, or the prepared form from ``inspect_media``)
    with the client (on the connection's media route)."""
    return media_kind(kind).upload(client, source, **options)


def given(value: Any) -> bool:
    """Whether an optional argument holds a value once rendered (a template of a missing conf
    key renders None, or "None" without native rendering)."""
    return value not in (None, "", "None")


def one_source(path: Any, url: Any) -> str:
    """Which of ``path`` and ``url`` is given: exactly one, else ``InvalidInput`` naming it."""
    if given(path) and given(url):
        raise InvalidInput("url", "give either url or path, not both")
    if not given(path) and not given(url):
        raise InvalidInput("path", "give path (a local file) or url (a public http(s) URL)")
    return "url" if given(url) else "path"


def check_photo_options(quality: Any, max_side: Any) -> None:
    """``quality`` in 1..95 and a positive ``max_side``, else ``ValueError`` naming the field."""
    if isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 95:
        raise ValueError(f"quality: must be a whole number from 1 to 95, got {quality!r}")
    positive_int(max_side, "max_side")


def refuse_photo_options(operator: str, kind: str, kwargs: dict[str, Any]) -> None:
    """``TypeError`` at DAG parse when a video or voice operator is given ``quality`` or
    ``max_side``: only a photo is re-encoded as a JPEG and resized (a video is sent as it is
    or transcoded with ``transcode=True``)."""
    taken = media_kind(kind).options
    given = [name for name in PHOTO_OPTIONS if name in kwargs and name not in taken]
    if given:
        raise TypeError(
            f"{operator} takes no {' or '.join(given)}: they apply to photos only "
            f"(a {kind} is not re-encoded as a JPEG)"
        )


class _DirectUploadOperator(DirectBaseOperator):
    """Upload one media file and return its ``Upload`` dict (each key also its own XCom)."""

    kind: str
    template_fields: Sequence[str] = ("direct_conn_id", "path", "url")
    ui_color = "#e8f5e9"

    def __init__(self, *, path: Any = None, url: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("multiple_outputs", True)
        super().__init__(**kwargs)
        if path is None and url is None:
            raise ValueError("path: give path (a local file) or url (a public http(s) URL)")
        self.path = path
        self.url = url

    def media_options(self) -> dict[str, Any]:
        """How the file is prepared (a photo's ``quality`` and ``max_side``); none by default."""
        return {}

    def run(self, context: Context) -> dict[str, Any]:
        """Validate the file, then upload it (or, in a dry run, describe it)."""
        hook = self.hook
        if one_source(self.path, self.url) == "url":
            return self._upload_url(hook)
        hook.check_media_source(type(self).__name__, self.kind, "path")
        options = self.media_options()
        checked = inspect_media(self.kind, media_source(self.path, self.kind), **options)
        try:
            if hook.settings.dry_run:
                self.log.info("Dry run: would upload %s %s", self.kind, checked.description)
                return {
                    "upload_id": None,
                    "media_id": None,
                    "route": hook.upload_route,
                    **checked.description,
                    "dry_run": True,
                }
            upload = upload_media(hook.get_conn(), self.kind, checked.source, **options)
        finally:
            checked.discard()
        self.log.info("Uploaded %s: upload_id %s", self.kind, upload.upload_id)
        return upload.to_dict()

    def _upload_url(self, hook: Any) -> dict[str, Any]:
        """Upload the media at ``url`` once (official API only; the service fetches it)."""
        hook.check_media_source(type(self).__name__, self.kind, "url")
        item = media_kind(self.kind).item(url=self.url)
        if hook.settings.dry_run:
            self.log.info("Dry run: would upload the %s at %s", self.kind, item.url)
            return {**URL_UPLOAD, "kind": self.kind, "url": item.url, "dry_run": True}
        upload = hook.get_conn().upload_url(self.kind, item.url)
        self.log.info("Uploaded %s from its URL: attachment_id %s", self.kind, upload.media_id)
        return upload.to_dict()


class DirectUploadPhotoOperator(_DirectUploadOperator):
    """Upload a photo (any image Pillow reads; re-encoded as a JPEG within Direct's aspect
    ratios and ``max_side``).

    :param path: a local path or an ``ObjectStoragePath`` URL (templated).
    :param url: instead of ``path``, on an ``instagram_messaging`` connection only: a public
        http(s) URL the official API fetches and keeps as a reusable attachment (the photo is
        not read here; on the private API it is refused before any request) (templated).
    :param quality: JPEG quality, 1..95 (default 70).
    :param max_side: the longest side after resizing, in pixels (default 1080).
    :param dry_run: validate and describe the photo without uploading (None: the connection's
        ``dry_run`` extra decides).
    :param direct_conn_id: the ``instagram_direct`` connection, or ``instagram_messaging``
        (templated).
    :return: the upload, ``{upload_id, media_id, kind, route, width, height, duration_ms,
        bytes}``, each key also pushed as its own XCom (``multiple_outputs``); in a dry run
        ``upload_id`` and ``media_id`` are None and ``dry_run`` is True. On the official API
        ``route`` is ``graph``, ``upload_id`` and ``media_id`` are the ``attachment_id`` and
        sizes not known (an upload by URL) are None.
    """

    kind = "photo"

    def __init__(self, *, quality: int = QUALITY, max_side: int = MAX_SIDE, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        check_photo_options(quality, max_side)
        self.quality = quality
        self.max_side = max_side

    def media_options(self) -> dict[str, Any]:
        """``quality`` and ``max_side``."""
        return {"quality": self.quality, "max_side": self.max_side}


class DirectUploadVideoOperator(_DirectUploadOperator):
    """Upload an MP4 video in chunks, resuming after interruptions. It is checked first from
    its boxes (not truncated, H.264/AAC, within Direct's duration, size and frame limits). It
    takes no ``quality`` or ``max_side``: a video is uploaded as it is, or transcoded.

    :param path: a local MP4 file (templated); on an ``instagram_messaging`` connection it
        is uploaded as multipart ``filedata`` (at most 25 MB).
    :param url: instead of ``path``, on an ``instagram_messaging`` connection only: a public
        http(s) URL the official API fetches (refused on the private API) (templated).
    :param transcode: when the video's codec, frame or file size is outside the limits,
        convert it to H.264/AAC (at most 1280 px, capped bitrate) in a temporary file instead
        of refusing it; needs the ``airflow-provider-dm[video]`` extra (templated; default
        False).
    :param dry_run: validate and describe the video without uploading (None: the connection's
        ``dry_run`` extra decides).
    :param direct_conn_id: the ``instagram_direct`` connection, or ``instagram_messaging``
        (templated).
    :return: the upload, ``{upload_id, media_id, kind, route, width, height, duration_ms,
        bytes}``, each key also pushed as its own XCom (``multiple_outputs``); in a dry run
        ``upload_id`` and ``media_id`` are None and ``dry_run`` is True. On the official API
        ``route`` is ``graph``, ``upload_id`` and ``media_id`` are the ``attachment_id`` and
        sizes not known (an upload by URL) are None.
    """

    kind = "video"
    template_fields: Sequence[str] = (*_DirectUploadOperator.template_fields, "transcode")

    def __init__(self, *, transcode: Any = False, **kwargs: Any) -> None:
        refuse_photo_options(type(self).__name__, self.kind, kwargs)
        super().__init__(**kwargs)
        self.transcode = transcode
        check_literals(VIDEO_RENDERED, self)

    def media_options(self) -> dict[str, Any]:
        """``transcode``, rendered."""
        return rendered_values(VIDEO_RENDERED, self)


class DirectUploadVoiceOperator(_DirectUploadOperator):
    """Upload a voice message: AAC in an M4A as it is; with the ``[video]`` extra (PyAV) any
    audio PyAV reads (WAV, MP3, OGG, ...) converted to AAC in M4A. Duration and waveform are
    computed from the audio; at most 59 s.

    :param path: a local audio file (templated); on an ``instagram_messaging`` connection it
        is uploaded as multipart ``filedata`` (at most 25 MB), checked as on the private API.
    :param url: instead of ``path``, on an ``instagram_messaging`` connection only: a public
        http(s) URL the official API fetches (refused on the private API) (templated).
    :param dry_run: validate and describe the voice message without uploading (None: the
        connection's ``dry_run`` extra decides).
    :param direct_conn_id: the ``instagram_direct`` connection (templated).
    :return: the upload, ``{upload_id, media_id, kind, route, width, height, duration_ms,
        bytes, waveform}`` (width and height None), each key also pushed as its own XCom
        (``multiple_outputs``); in a dry run ``upload_id`` and ``media_id`` are None and
        ``dry_run`` is True.
    """

    kind = "voice"

    def __init__(self, **kwargs: Any) -> None:
        refuse_photo_options(type(self).__name__, self.kind, kwargs)
        super().__init__(**kwargs)
