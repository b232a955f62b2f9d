"""Real, tiny video files encoded by the tests with PyAV (the ``[video]`` extra): H.264, HEVC or
VP9 in MP4, with an AAC (or other) audio track, a few seconds at a few dozen pixels."""

from __future__ import annotations

import math
import struct
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image

VIDEO_CODECS = {"h264": "libx264", "hevc": "libx265", "vp9": "libvpx-vp9"}


def write_clip(
    path: Path,
    *,
    video: str = "h264",
    audio: str | None = "aac",
    seconds: float = 1.0,
    size: tuple[int, int] = (64, 48),
    fps: int = 10,
    faststart: bool = True,
) -> Path:
    """Encode ``seconds`` of moving gradient (and a tone) into an MP4 at ``path``."""
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", format="mp4", options=options) as container:
        stream = container.add_stream(VIDEO_CODECS[video], rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        if video == "hevc":
            stream.options = {"x265-params": "log-level=error"}
            stream.codec_context.codec_tag = "hvc1"
        sound = None
        if audio is not None:
            sound = container.add_stream(audio, rate=48000)
            sound.layout = "mono"
        frames = max(1, round(seconds * fps))
        for index in range(frames):
            row = bytes((x + index * 7) % 256 for x in range(size[0]))
            image = Image.frombytes("L", size, row * size[1]).convert("RGB")
            frame = av.VideoFrame.from_image(image)
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
        if sound is not None:
            _tone(container, sound, seconds)
    return path


def _tone(container: av.container.OutputContainer, sound: av.AudioStream, seconds: float) -> None:
    rate = 48000
    block = sound.codec_context.frame_size or 1024
    total = round(seconds * rate)
    for start in range(0, total, block):
        count = min(block, total - start)
        wave = [
            round(6000 * math.sin(2 * math.pi * 440 * (start + i) / rate)) for i in range(count)
        ]
        frame = av.AudioFrame(format="s16", layout="mono", samples=count)
        frame.planes[0].update(struct.pack(f"<{count}h", *wave))
        frame.sample_rate = rate
        frame.pts = start
        container.mux(sound.encode(frame))
    container.mux(sound.encode())
