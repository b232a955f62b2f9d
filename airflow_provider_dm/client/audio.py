"""Voice message preparation: AAC in M4A as Direct plays it, with the duration and the waveform
(amplitudes 0..1, ten a second) that the send carries.

An M4A holding AAC goes up as it is. With the ``[video]`` extra (PyAV, which bundles FFmpeg)
any audio PyAV reads (WAV, MP3, OGG, FLAC, ...) is converted to mono AAC in M4A, and the
waveform is the loudness (RMS) of the decoded samples. Without PyAV an M4A's duration comes
from its movie header and its waveform from the sizes of its AAC frames (a louder tenth of a
second takes more bytes), and other input is refused naming the extra.

Limits: at most ``MAX_DURATION_MS`` (59 s, what the apps record), ``MAX_INPUT_BYTES`` read,
``MAX_VOICE_BYTES`` uploaded.
"""

from __future__ import annotations

import array
import io
import math
import os
import struct
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO

from airflow_provider_dm.client import mp4
from airflow_provider_dm.client.errors import InvalidInput
from airflow_provider_dm.client.items import WAVEFORM_HZ

MAX_DURATION_MS = 59_000
MAX_INPUT_BYTES = 64 * 1024 * 1024
MAX_VOICE_BYTES = 10 * 1024 * 1024
SAMPLE_RATE = 44_100
BIT_RATE = 64_000
LEVEL_RATE = 8_000
EXTRA_HINT = "pip install 'airflow-provider-dm[video]'"


@dataclass(frozen=True)
class PreparedVoice:
    """A voice message ready for upload: M4A bytes (AAC), duration and waveform."""

    m4a: bytes
    duration_ms: int
    waveform: tuple[float, ...]
    converted: bool

    @property
    def bytes(self) -> int:
        """The size of the M4A, in bytes."""
        return len(self.m4a)


def _read(source: Any, field: str) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise InvalidInput(field, f"no such file: {path}")
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise InvalidInput(
                field, f"is {size} bytes; audio of at most {MAX_INPUT_BYTES} bytes is read"
            )
        data = path.read_bytes()
    else:
        raise InvalidInput(field, f"must be a path or bytes, got {type(source).__name__}")
    if not data:
        raise InvalidInput(field, "is empty (0 bytes)")
    if len(data) > MAX_INPUT_BYTES:
        raise InvalidInput(
            field, f"is {len(data)} bytes; audio of at most {MAX_INPUT_BYTES} bytes is read"
        )
    return data


@dataclass(frozen=True)
class _Track:
    """The audio track of an MP4: codec four-character code, and where its tables are."""

    codec: bytes
    mdhd: int
    stbl: tuple[int, int]


def _handler(handle: BinaryIO, mdia: tuple[int, int]) -> bytes:
    hdlr = mp4.child(handle, *mdia, b"hdlr")
    return mp4.read_at(handle, hdlr[0] + 8, 4) if hdlr is not None else b""


def _audio_track(handle: BinaryIO, size: int, field: str) -> tuple[_Track | None, int]:
    """The audio track of an MP4 and its movie duration; a video track is refused."""
    moov = mp4.child(handle, 0, size, b"moov")
    if moov is None:
        raise InvalidInput(field, "M4A has no moov box (an incomplete recording?)")
    mvhd = mp4.child(handle, *moov, b"mvhd")
    if mvhd is None:
        raise InvalidInput(field, "M4A has no movie header (mvhd)")
    found = None
    for kind, payload, end in mp4.boxes(handle, *moov):
        mdia = mp4.child(handle, payload, end, b"mdia") if kind == b"trak" else None
        if mdia is None:
            continue
        handler = _handler(handle, mdia)
        if handler == b"vide":
            raise InvalidInput(field, "has a video track; a voice message is audio only")
        minf = mp4.child(handle, *mdia, b"minf")
        stbl = mp4.child(handle, *minf, b"stbl") if minf is not None else None
        mdhd = mp4.child(handle, *mdia, b"mdhd")
        stsd = mp4.child(handle, *stbl, b"stsd") if stbl is not None else None
        if handler == b"soun" and found is None and mdhd and stsd:
            codec = mp4.read_at(handle, stsd[0] + 12, 4)
            found = _Track(codec, mdhd[0], stbl)  # type: ignore[arg-type]
    return found, mp4.duration_ms(handle, mvhd[0])


def _mp4_track(data: bytes, field: str) -> tuple[_Track | None, int] | None:
    """(audio track, duration) of MP4/M4A bytes, or None when ``data`` is no MP4."""
    if len(data) < 8 or data[4:8] != b"ftyp":
        return None
    try:
        return _audio_track(io.BytesIO(data), len(data), field)
    except InvalidInput as exc:
        raise InvalidInput(field, exc.problem) from None


def _scale(levels: list[float]) -> tuple[float, ...]:
    """Levels scaled so that the loudest is 1, rounded to 3 decimals."""
    top = max(levels, default=0.0)
    if top <= 0:
        return tuple(0.0 for _ in levels)
    return tuple(round(level / top, 3) for level in levels)


def _table(handle: BinaryIO, stbl: tuple[int, int], kind: bytes, field: str) -> tuple[int, int]:
    found = mp4.child(handle, *stbl, kind)
    if found is None:
        raise InvalidInput(field, f"M4A audio track has no {kind.decode()} table")
    return found


def _frame_waveform(data: bytes, track: _Track, field: str) -> tuple[float, ...]:
    """Ten levels a second from the sizes of the AAC frames (``stsz``) laid on their times
    (``stts``): without a decoder, the bytes a tenth of a second takes follow its loudness."""
    handle = io.BytesIO(data)
    version = mp4.read_at(handle, track.mdhd, 1)[0]
    timescale_at = track.mdhd + (20 if version == 1 else 12)
    timescale = struct.unpack(">I", mp4.read_at(handle, timescale_at, 4))[0] or 1
    stsz = _table(handle, track.stbl, b"stsz", field)
    fixed, count = struct.unpack(">II", mp4.read_at(handle, stsz[0] + 4, 8))
    if fixed:
        sizes = [fixed] * count
    else:
        sizes = list(struct.unpack(f">{count}I", mp4.read_at(handle, stsz[0] + 12, 4 * count)))
    stts = _table(handle, track.stbl, b"stts", field)
    runs = struct.unpack(">I", mp4.read_at(handle, stts[0] + 4, 4))[0]
    pairs = struct.unpack(f">{2 * runs}I", mp4.read_at(handle, stts[0] + 8, 8 * runs))
    buckets: list[float] = []
    at, index = 0, 0
    for run in range(runs):
        run_count, delta = pairs[2 * run], pairs[2 * run + 1]
        for _ in range(run_count):
            if index >= len(sizes):
                break
            bucket = at * WAVEFORM_HZ // timescale
            while len(buckets) <= bucket:
                buckets.append(0.0)
            buckets[bucket] += sizes[index]
            at += delta
            index += 1
    if not buckets:
        return ()
    floor = min(buckets)
    return _scale([size - floor for size in buckets])


def _pyav() -> ModuleType | None:
    try:
        import av
    except ImportError:
        return None
    return av


class _Levels:
    """RMS loudness per tenth of a second of mono 16-bit samples at ``LEVEL_RATE``."""

    def __init__(self) -> None:
        self.levels: list[float] = []
        self._squares = 0.0
        self._count = 0
        self._per_bucket = LEVEL_RATE // WAVEFORM_HZ

    def add(self, pcm: bytes) -> None:
        samples = array.array("h")
        samples.frombytes(pcm)
        if sys.byteorder == "big":
            samples.byteswap()
        for sample in samples:
            self._squares += sample * sample
            self._count += 1
            if self._count == self._per_bucket:
                self._close()

    def _close(self) -> None:
        self.levels.append(math.sqrt(self._squares / self._count))
        self._squares, self._count = 0.0, 0

    def waveform(self) -> tuple[float, ...]:
        if self._count:
            self._close()
        return _scale(self.levels)


class _Sink:
    """Where the decoded audio goes, once resampled to mono at ``SAMPLE_RATE``: the loudness
    levels, and (when converting) the AAC encoder of an M4A in memory."""

    def __init__(self, av: ModuleType, convert: bool) -> None:
        self.levels = _Levels()
        self._to_levels = av.AudioResampler(format="s16", layout="mono", rate=LEVEL_RATE)
        self.output = io.BytesIO()
        self._muxer = av.open(self.output, "w", format="mp4") if convert else None
        if self._muxer is not None:
            self._encoder = self._muxer.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
            self._encoder.bit_rate = BIT_RATE

    def add(self, frames: list[Any]) -> None:
        for frame in frames:
            self._measure(self._to_levels.resample(frame))
            if self._muxer is not None:
                frame.pts = None  # the encoder numbers its own frames
                self._muxer.mux(self._encoder.encode(frame))

    def _measure(self, frames: list[Any]) -> None:
        for pcm in frames:
            self.levels.add(bytes(pcm.planes[0])[: 2 * pcm.samples])

    def close(self) -> None:
        self._measure(self._to_levels.resample(None))
        if self._muxer is not None:
            self._muxer.mux(self._encoder.encode(None))
            self._muxer.close()


def _decode(av: ModuleType, data: bytes, field: str, *, convert: bool) -> PreparedVoice:
    """Decode the audio once: its waveform and duration, and (``convert``) mono AAC in M4A."""
    try:
        source = av.open(io.BytesIO(data), "r")
    except av.FFmpegError as exc:
        raise InvalidInput(field, f"is not audio PyAV can read: {exc}") from None
    with source:
        if not source.streams.audio:
            raise InvalidInput(field, "has no audio stream")
        sink = _Sink(av, convert)
        to_mono = av.AudioResampler(format="fltp", layout="mono", rate=SAMPLE_RATE)
        samples, rate = 0, 0
        try:
            for frame in source.decode(source.streams.audio[0]):
                rate = frame.sample_rate or rate
                samples += frame.samples
                if rate and samples * 1000 > (MAX_DURATION_MS + 1000) * rate:
                    raise InvalidInput(
                        field, f"is longer than {MAX_DURATION_MS / 1000:g} s, the voice limit"
                    )
                sink.add(to_mono.resample(frame))
            sink.add(to_mono.resample(None))
            sink.close()
        except av.FFmpegError as exc:
            raise InvalidInput(field, f"is corrupt or truncated audio: {exc}") from None
    duration_ms = round(samples * 1000 / rate) if rate else 0
    m4a = sink.output.getvalue() if convert else data
    return PreparedVoice(m4a, duration_ms, sink.levels.waveform(), convert)


def _with_duration(voice: PreparedVoice, duration_ms: int) -> PreparedVoice:
    """``voice`` with ``duration_ms`` and a waveform of as many tenths as that lasts."""
    tenths = max(1, math.ceil(duration_ms * WAVEFORM_HZ / 1000))
    return replace(voice, duration_ms=duration_ms, waveform=voice.waveform[:tenths])


def _check_limits(voice: PreparedVoice, field: str) -> PreparedVoice:
    if voice.duration_ms <= 0 or not voice.waveform:
        raise InvalidInput(field, "holds no audio (its duration is 0)")
    if voice.duration_ms > MAX_DURATION_MS:
        raise InvalidInput(
            field,
            f"is {voice.duration_ms / 1000:.1f} s long; a voice message is at most "
            f"{MAX_DURATION_MS / 1000:g} s",
        )
    if voice.bytes > MAX_VOICE_BYTES:
        raise InvalidInput(
            field, f"M4A of {voice.bytes} bytes is over the {MAX_VOICE_BYTES}-byte voice limit"
        )
    return voice


def prepare_voice(source: Any, *, field: str = "path") -> PreparedVoice:
    """An M4A/AAC voice message from ``source`` (a path or bytes), with duration and waveform.

    AAC in M4A is kept as it is; other audio is converted with PyAV (the ``[video]`` extra),
    without which it is refused. Bad input raises ``InvalidInput`` naming ``field``.
    """
    data = _read(source, field)
    found = _mp4_track(data, field)
    if found is not None and found[0] is None:
        raise InvalidInput(field, "MP4 has no audio track")
    is_aac = found is not None and found[0] is not None and found[0].codec == b"mp4a"
    av = _pyav()
    if av is not None:
        voice = _decode(av, data, field, convert=not is_aac)
        if is_aac:
            # the movie header's duration leaves out the encoder's priming samples
            voice = _with_duration(voice, found[1])  # type: ignore[index]
        return _check_limits(voice, field)
    if not is_aac:
        raise InvalidInput(
            field,
            "is not AAC audio in an M4A; converting other audio (WAV, MP3, OGG, ...) needs "
            f"the [video] extra (PyAV): {EXTRA_HINT}",
        )
    track, duration_ms = found  # type: ignore[misc]
    try:
        waveform = _frame_waveform(data, track, field)
    except InvalidInput as exc:
        raise InvalidInput(field, exc.problem) from None
    voice = PreparedVoice(data, duration_ms, waveform, False)
    return _check_limits(_with_duration(voice, duration_ms), field)
