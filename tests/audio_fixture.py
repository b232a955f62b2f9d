"""Audio files written with PyAV for the voice tests: a 440 Hz tone, loud for the first
``loud`` seconds and silent after, in any container and codec PyAV writes (M4A/AAC, WAV,
MP3, OGG/Opus)."""

from __future__ import annotations

import array
import math
from pathlib import Path

import av

FORMATS = {
    "m4a": ("mp4", "aac", 44_100),
    "wav": ("wav", "pcm_s16le", 16_000),
    "mp3": ("mp3", "libmp3lame", 44_100),
    "ogg": ("ogg", "libopus", 48_000),
}


def write_audio(
    path: Path, *, seconds: float = 2.0, loud: float = 1.0, rate: int | None = None
) -> Path:
    """A mono tone of ``seconds``, at 60% of full scale for ``loud`` seconds, then silence;
    the container and codec follow the suffix of ``path`` (see ``FORMATS``), the sample rate
    is the format's unless ``rate`` is given."""
    container, codec, default_rate = FORMATS[path.suffix.lstrip(".")]
    rate = rate or default_rate
    total = round(seconds * rate)
    with av.open(str(path), "w", format=container) as output:
        stream = output.add_stream(codec, rate=rate, layout="mono")
        resampler = av.AudioResampler(
            format=stream.codec_context.format.name, layout="mono", rate=rate
        )
        for start in range(0, total, 1024):
            count = min(1024, total - start)
            loud_count = max(0, min(count, round(loud * rate) - start))
            samples = array.array(
                "h",
                (
                    round(0.6 * 32767 * math.sin(2 * math.pi * 440 * (start + i) / rate))
                    for i in range(loud_count)
                ),
            )
            samples.extend([0] * (count - loud_count))
            frame = av.AudioFrame(format="s16", layout="mono", samples=count)
            frame.planes[0].update(samples.tobytes())
            frame.sample_rate = rate
            frame.pts = start
            for part in resampler.resample(frame):
                output.mux(stream.encode(part))
        for part in resampler.resample(None):
            output.mux(stream.encode(part))
        output.mux(stream.encode(None))
    return path
