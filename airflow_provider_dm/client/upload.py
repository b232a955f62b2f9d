"""Photo, video and voice uploads on both media routes, returning an ``Upload`` to send.

Attachment route (default): ``messenger_image/``, ``messenger_video/`` and
``messenger_audio/`` with the minimal header set, answered with a ``media_id``. Classic route:
``rupload_igphoto/``, and ``rupload_igvideo/`` (a voice message with ``media_type`` 11)
followed by the signed ``media/upload_finish/?video=1``. The endpoint of each kind and route is
looked up in ``media_kinds``. Videos are streamed from disk as a sized body (sent with a
``Content-Length``, in blocks, so memory stays flat) and resumed from the offset the server
reports; photos and voice messages (at most a few MB) go up in one request.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from airflow_provider_dm.client.audio import PreparedVoice, prepare_voice
from airflow_provider_dm.client.checks import media_route
from airflow_provider_dm.client.errors import (
    DirectError,
    NetworkError,
    ServerError,
    TranscodeNotFinished,
)
from airflow_provider_dm.client.media import PreparedPhoto, prepare_photo
from airflow_provider_dm.client.media_kinds import MEDIA_KINDS
from airflow_provider_dm.client.transport import compact_json
from airflow_provider_dm.client.video_limits import check_video

log = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024
RESUME_ATTEMPTS = 5
PROGRESS_EVERY = 5.0
_RETRY_CONTEXT = '{"num_step_auto_retry":0,"num_reupload":0,"num_step_manual_retry":0}'
_last_upload_id = 0
_upload_id_lock = threading.Lock()


@dataclass(frozen=True)
class Upload:
    """A finished upload: ``upload_id`` (classic sends) and ``media_id`` (attachment sends)."""

    upload_id: str
    kind: str
    route: str
    width: int | None
    height: int | None
    duration_ms: int | None
    bytes: int | None
    media_id: str | None = None
    waveform: tuple[float, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict, e.g. for XCom; ``Photo/Video/Voice.from_upload`` accept it back.
        ``waveform`` (a voice message's) is there only when set."""
        values = asdict(self)
        if self.waveform is None:
            del values["waveform"]
        else:
            values["waveform"] = list(self.waveform)
        return values


@dataclass(frozen=True)
class TranscodeWait:
    """Bounded backoff while the server answers 202 "Transcode not finished yet."."""

    attempts: int = 12
    first_delay: float = 2.0
    factor: float = 1.5
    max_delay: float = 15.0

    def delays(self) -> Iterator[float]:
        """The pause before each retry; ``attempts`` pauses in all."""
        delay = self.first_delay
        for _ in range(self.attempts):
            yield delay
            delay = min(self.max_delay, delay * self.factor)


def until_transcoded(call: Callable[[], dict[str, Any]], wait: TranscodeWait) -> dict[str, Any]:
    """Run ``call``, repeating it after each pause of ``wait`` while it raises
    ``TranscodeNotFinished`` (HTTP 202); the last one is raised when the pauses run out."""
    for delay in wait.delays():
        try:
            return call()
        except TranscodeNotFinished:
            log.info("transcode not finished; asking again in %.1f s", delay)
            time.sleep(delay)
    return call()


def _new_upload_id() -> str:
    """Milliseconds since the epoch, strictly increasing within this process."""
    global _last_upload_id
    with _upload_id_lock:
        _last_upload_id = max(int(time.time() * 1000), _last_upload_id + 1)
        return str(_last_upload_id)


def _endpoint(kind: str, route: str, name: str) -> str:
    return f"{MEDIA_KINDS[kind].upload_routes[route]}/{name}"


def _rupload_name(upload_id: str) -> str:
    return f"{upload_id}_0_{secrets.randbelow(9 * 10**9) + 10**9}"


def upload_photo(
    transport: Any,
    source: Any,
    *,
    route: str = "attachment",
    quality: int = 70,
    max_side: int = 1080,
) -> Upload:
    """Re-encode ``source`` (path, bytes or storage path) as JPEG and upload it in one shot;
    a ``PreparedPhoto`` (already re-encoded, e.g. to validate it first) goes up as it is."""
    media_route(route, "route")
    if isinstance(source, PreparedPhoto):
        photo = source
    else:
        photo = prepare_photo(source, quality=quality, max_side=max_side)
    transport.before_create("photo upload")
    upload_id = _new_upload_id()
    length = str(len(photo.jpeg))
    media_id = None
    if route == "classic":
        name = _rupload_name(upload_id)
        rupload = {
            "retry_context": _RETRY_CONTEXT,
            "media_type": "1",
            "upload_id": upload_id,
            "xsharing_user_ids": "[]",
            "image_compression": compact_json(
                {"lib_name": "moz", "lib_version": "3.1.m", "quality": str(quality)}
            ),
        }
        headers = {
            "X-Instagram-Rupload-Params": compact_json(rupload),
            "X_FB_PHOTO_WATERFALL_ID": str(uuid.uuid4()),
            "X-Entity-Type": "image/jpeg",
            "X-Entity-Name": name,
            "X-Entity-Length": length,
            "Offset": "0",
            "Content-Type": "application/octet-stream",
        }
        answer = transport.upload(
            "POST", _endpoint("photo", route, name), headers=headers, data=photo.jpeg
        )
        upload_id = str(answer.get("upload_id") or upload_id)
    else:
        name = f"fb_uploader_{upload_id}"
        headers = {
            "image_type": "FILE_ATTACHMENT",
            "Offset": "0",
            "X-Entity-Length": length,
            "X-Entity-Name": name,
            "X-Entity-Type": "image/jpeg",
            "Content-Type": "application/octet-stream",
        }
        endpoint = _endpoint("photo", route, name)
        answer = transport.upload(
            "POST", endpoint, headers=headers, data=photo.jpeg, minimal_headers=True
        )
        media_id = _media_id(answer, endpoint)
    log.info("uploaded photo %s (%dx%d, %s bytes)", upload_id, photo.width, photo.height, length)
    return Upload(upload_id, "photo", route, photo.width, photo.height, None, int(length), media_id)


def _media_id(answer: dict[str, Any], endpoint: str) -> str:
    if answer.get("media_id") in (None, ""):
        raise DirectError("upload answered without a media_id", endpoint=endpoint, payload=answer)
    return str(answer["media_id"])


class _Progress:
    """Calls ``progress(sent, total)`` per chunk and logs at most every few seconds."""

    def __init__(self, name: str, total: int, progress: Callable[[int, int], Any] | None) -> None:
        self.name, self.total, self.progress = name, total, progress
        self.logged_at = time.monotonic()

    def __call__(self, sent: int) -> None:
        if self.progress is not None:
            self.progress(sent, self.total)
        now = time.monotonic()
        if now - self.logged_at >= PROGRESS_EVERY or sent == self.total:
            self.logged_at = now
            percent = 100 * sent / self.total if self.total else 100.0
            log.info("video %s: %d of %d bytes (%.0f%%)", self.name, sent, self.total, percent)


class _FileBody:
    """The file from ``offset`` on as a sized, iterable request body: ``requests`` sends its
    ``len()`` as the Content-Length and each ``chunk_size`` block in one ``sendall``. (A body
    with ``read()`` would be sent in 16 KiB pieces, which halves the throughput.) Progress is
    reported after each block."""

    def __init__(self, path: Path, offset: int, chunk_size: int, report: _Progress) -> None:
        self._handle = path.open("rb", buffering=0)
        self._handle.seek(offset)
        self._offset = offset
        self._step = chunk_size
        self._report = report

    def __len__(self) -> int:
        return self._report.total - self._offset

    def __iter__(self) -> Iterator[bytes]:
        sent, total = self._offset, self._report.total
        while sent < total:
            block = self._handle.read(min(self._step, total - sent))
            if not block:
                raise DirectError(f"the file ended at byte {sent} of {total}")
            yield block
            sent += len(block)
            self._report(sent)

    def close(self) -> None:
        """Close the file."""
        self._handle.close()

    def __enter__(self) -> _FileBody:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _stream(
    transport: Any,
    endpoint: str,
    path: Path,
    headers: dict[str, str],
    *,
    minimal: bool,
    chunk_size: int,
    report: _Progress,
    attempts: int,
) -> dict[str, Any]:
    """GET the received offset, POST the rest; after a dropped connection or a 5xx, ask for
    the offset again and resume from there, up to ``attempts`` times."""
    total = report.total
    for attempt in range(attempts + 1):
        probe = transport.upload("GET", endpoint, headers=headers, minimal_headers=minimal)
        offset = int(probe.get("offset") or 0)
        if not 0 <= offset <= total:
            raise DirectError(f"server reports offset {offset} of {total}", endpoint=endpoint)
        if offset:
            log.info("video %s: resuming at byte %d of %d", endpoint, offset, total)
        try:
            with _FileBody(path, offset, chunk_size, report) as body:
                return transport.upload(
                    "POST",
                    endpoint,
                    headers={
                        **headers,
                        "Offset": str(offset),
                        "Content-Type": "application/octet-stream",
                    },
                    data=body,
                    minimal_headers=minimal,
                )
        except (NetworkError, ServerError) as exc:
            if attempt == attempts:
                raise
            log.warning("video upload interrupted (%s); asking for the offset again", exc)
    raise AssertionError("unreachable")


def upload_video(
    transport: Any,
    path: str | os.PathLike[str],
    *,
    route: str = "attachment",
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[int, int], Any] | None = None,
    transcode_wait: TranscodeWait | None = None,
    resume_attempts: int = RESUME_ATTEMPTS,
) -> Upload:
    """Upload an MP4 in chunks, resuming after interruptions; on the classic route also
    finish it, waiting out "Transcode not finished yet." with bounded backoff. A file Direct
    would refuse (truncated, not H.264/AAC, over the limits) is refused before any request."""
    media_route(route, "route")
    info = check_video(path)
    file = Path(path)
    transport.before_create("video upload")
    upload_id = _new_upload_id()
    size = str(info.bytes)
    headers = {"X-Entity-Type": "video/mp4", "X-Entity-Length": size}
    media_id = None
    if route == "classic":
        name = _rupload_name(upload_id)
        endpoint, minimal = _endpoint("video", route, name), False
        rupload = {
            "retry_context": _RETRY_CONTEXT,
            "media_type": "2",
            "upload_id": upload_id,
            "xsharing_user_ids": "[]",
            "upload_media_duration_ms": str(info.duration_ms),
            "upload_media_width": str(info.width),
            "upload_media_height": str(info.height),
            "direct_v2": "1",
        }
        headers.update(
            {
                "X-Instagram-Rupload-Params": compact_json(rupload),
                "X_FB_VIDEO_WATERFALL_ID": str(uuid.uuid4()),
                "X-Entity-Name": name,
            }
        )
    else:
        name = f"{uuid.uuid4().hex}-0-{size}-{upload_id}-{upload_id}"
        endpoint, minimal = _endpoint("video", route, name), True
        headers.update(
            {
                "video_type": "FILE_ATTACHMENT",
                "segment-start-offset": "0",
                "segment-type": "3",
                "x_fb_video_waterfall_id": f"{upload_id}_{secrets.token_hex(6).upper()}_Mixed_0",
                "X-Entity-Name": name,
            }
        )
    report = _Progress(name, info.bytes, progress)
    answer = _stream(
        transport,
        endpoint,
        file,
        headers,
        minimal=minimal,
        chunk_size=chunk_size,
        report=report,
        attempts=resume_attempts,
    )
    if route == "classic":
        _finish(transport, upload_id, info.duration_ms, transcode_wait or TranscodeWait())
    else:
        media_id = _media_id(answer, endpoint)
    log.info(
        "uploaded video %s (%dx%d, %d ms, %s bytes)",
        upload_id,
        info.width,
        info.height,
        info.duration_ms,
        size,
    )
    return Upload(
        upload_id, "video", route, info.width, info.height, info.duration_ms, info.bytes, media_id
    )


def _finish(
    transport: Any, upload_id: str, duration_ms: int, wait: TranscodeWait, source_type: str = "2"
) -> None:
    """``media/upload_finish/?video=1``; ``source_type`` is 2 for a video, 4 for a voice."""
    length = round(duration_ms / 1000, 3)
    identity = transport.common_send_fields(upload_id)
    form = {
        "upload_id": upload_id,
        "source_type": source_type,
        "video": {
            "length": length,
            "clips": [{"length": length, "source_type": source_type}],
            "poster_frame_index": 0,
            "audio_muted": False,
        },
        "timezone_offset": str(transport.state.device_profile.timezone_offset),
        "_uid": str(transport.state.user_id),
        "_uuid": identity["_uuid"],
        "device_id": identity["device_id"],
    }
    until_transcoded(
        lambda: transport.api(
            "POST", "media/upload_finish/", params={"video": "1"}, form=form, signed=True
        ),
        wait,
    )


def upload_voice(
    transport: Any,
    source: Any,
    *,
    route: str = "attachment",
    transcode_wait: TranscodeWait | None = None,
) -> Upload:
    """Upload a voice message in one request: ``source`` (a path or bytes) is prepared with
    ``prepare_voice`` (M4A/AAC kept, other audio converted with PyAV), or is already a
    ``PreparedVoice``. The classic route also finishes the upload (``source_type`` 4)."""
    media_route(route, "route")
    voice = source if isinstance(source, PreparedVoice) else prepare_voice(source)
    transport.before_create("voice upload")
    upload_id = _new_upload_id()
    size = str(voice.bytes)
    media_id = None
    if route == "classic":
        name = _rupload_name(upload_id)
        rupload = {
            "retry_context": _RETRY_CONTEXT,
            "media_type": "11",
            "upload_id": upload_id,
            "xsharing_user_ids": "[]",
            "upload_media_duration_ms": str(voice.duration_ms),
            "is_direct_voice": "1",
        }
        headers = {
            "X-Instagram-Rupload-Params": compact_json(rupload),
            "X_FB_VIDEO_WATERFALL_ID": str(uuid.uuid4()),
            "X-Entity-Type": "audio/mp4",
            "X-Entity-Name": name,
            "X-Entity-Length": size,
            "Offset": "0",
            "Content-Type": "application/octet-stream",
        }
        transport.upload("POST", _endpoint("voice", route, name), headers=headers, data=voice.m4a)
        _finish(transport, upload_id, voice.duration_ms, transcode_wait or TranscodeWait(), "4")
    else:
        name = f"{upload_id}_0_{secrets.randbelow(2**31)}"
        endpoint = _endpoint("voice", route, name)
        headers = {
            "audio_type": "VOICE_MESSAGE",
            "Offset": "0",
            "X-Entity-Length": size,
            "X-Entity-Name": name,
            "X-Entity-Type": "audio/mp4",
            "Content-Type": "application/octet-stream",
        }
        answer = transport.upload(
            "POST", endpoint, headers=headers, data=voice.m4a, minimal_headers=True
        )
        media_id = _media_id(answer, endpoint)
    log.info("uploaded voice %s (%d ms, %s bytes)", upload_id, voice.duration_ms, size)
    return Upload(
        upload_id,
        "voice",
        route,
        None,
        None,
        voice.duration_ms,
        voice.bytes,
        media_id,
        voice.waveform,
    )
