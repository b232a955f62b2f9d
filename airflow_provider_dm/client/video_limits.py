"""What Direct accepts as a video, checked from the MP4's boxes before any upload, and the
target a transcode aims for.

Sources (the private API publishes no limits; ❓ marks a figure not confirmed for Direct):
- Codecs: MP4 with H.264 video (``avc1``) and AAC audio (``mp4a``): dilame's comment on
  ``upload.video`` and instagrapi's ``direct_send_video`` docstring ("MUST be H.264 in an MP4
  container"); see protocol.md §7.3.
- ``MAX_DURATION_MS`` 60 s: the Direct video length the app enforces, as widely reported
  (❓ gallery uploads on current app versions may allow more).
- ``MAX_BYTES`` 4 GB: Meta's stated maximum for an Instagram video upload (❓ no figure is
  published for Direct; the official Messaging API's 25 MB, official-api.md, is for its own
  URL attachments, not this upload route).
- ``MAX_LONG_SIDE`` 1920 px: Meta's published video specs ("maximum horizontal pixels:
  1920"); ❓ for Direct, which re-encodes to 720p or less anyway.
"""

from __future__ import annotations

import os

from airflow_provider_dm.client.errors import InvalidInput
from airflow_provider_dm.client.mp4 import Mp4Facts, VideoInfo, inspect_mp4

VIDEO_CODECS = ("avc1",)
AUDIO_CODECS = ("mp4a",)
MAX_DURATION_MS = 60_000
MAX_BYTES = 4 * 1000 * 1000 * 1000
MAX_LONG_SIDE = 1920

# What a transcode writes: well inside the limits above.
TRANSCODE_LONG_SIDE = 1280
TRANSCODE_VIDEO_BITRATE = 3_500_000
TRANSCODE_MAX_FPS = 30
TRANSCODE_AUDIO_BITRATE = 128_000


def fixable_problems(facts: Mp4Facts) -> list[str]:
    """What a transcode can fix: a codec other than H.264/AAC, a frame or file too large."""
    problems = []
    video = facts.first("vide")
    if video is not None and video.codec not in VIDEO_CODECS:
        problems.append(
            f"video codec {video.codec or 'unknown'!r} is not H.264 ('avc1'), the only one "
            f"Direct accepts"
        )
    audio = facts.first("soun")
    if audio is not None and audio.codec not in AUDIO_CODECS:
        problems.append(
            f"audio codec {audio.codec or 'unknown'!r} is not AAC ('mp4a'), the only one "
            f"Direct accepts"
        )
    info = facts.info
    if max(info.width, info.height) > MAX_LONG_SIDE:
        problems.append(
            f"frame of {info.width}x{info.height} is over the {MAX_LONG_SIDE}-pixel long side"
        )
    if info.bytes > MAX_BYTES:
        problems.append(f"file of {info.bytes} bytes is over the {MAX_BYTES}-byte limit")
    return problems


def fixed_problems(facts: Mp4Facts) -> list[str]:
    """What no transcode fixes: a video longer than Direct plays."""
    if facts.info.duration_ms > MAX_DURATION_MS:
        return [
            f"video of {facts.info.duration_ms / 1000:.1f} s is over the "
            f"{MAX_DURATION_MS // 1000} s limit (trim it first)"
        ]
    return []


def check_video(path: str | os.PathLike[str], *, field: str = "path") -> VideoInfo:
    """Read the MP4's boxes and refuse, naming ``field``, a file Direct would not take (not an
    MP4, truncated, a codec other than H.264/AAC, too long, too large)."""
    facts = inspect_mp4(path, field=field)
    problems = fixed_problems(facts) + fixable_problems(facts)
    if problems:
        raise InvalidInput(field, "; ".join(problems))
    return facts.info
