"""A video Direct would refuse (HEVC, VP9, AV1, a frame or file too large) made into one it
takes: H.264/AAC in an MP4 with the moov first, at most ``TRANSCODE_LONG_SIDE`` pixels on the
long side, with a capped bitrate. PyAV (the ``[video]`` extra, FFmpeg inside) decodes, filters
and encodes frame by frame into a temporary file, so memory stays flat whatever the length.

Direct needs no poster image on either route (protocol.md §7.3: the upload only sends
``poster_frame_index: 0``, the server takes the first frame), so none is made here.
"""

from __future__ import annotations

import itertools
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from airflow_provider_dm.client.errors import InvalidInput
from airflow_provider_dm.client.mp4 import Mp4Facts, VideoInfo, inspect_mp4
from airflow_provider_dm.client.video_limits import (
    TRANSCODE_AUDIO_BITRATE,
    TRANSCODE_LONG_SIDE,
    TRANSCODE_VIDEO_BITRATE,
    check_video,
    fixable_problems,
    fixed_problems,
)

log = logging.getLogger(__name__)

EXTRA = "airflow-provider-dm[video]"
PROGRESS_EVERY = 5.0
_ROTATE = {90: ["transpose=clock"], 180: ["hflip", "vflip"], 270: ["transpose=cclock"]}


@dataclass(frozen=True)
class PreparedVideo:
    """A video ready for upload: the ``path`` to send, what it declares, and whether it is a
    temporary transcode that ``discard`` removes."""

    path: Path
    info: VideoInfo
    transcoded: bool

    def discard(self) -> None:
        """Remove the file if it is a temporary transcode (the source is never touched)."""
        if self.transcoded:
            self.path.unlink(missing_ok=True)


def prepare_video(
    path: str | os.PathLike[str],
    *,
    transcode: bool = False,
    field: str = "path",
    workdir: str | os.PathLike[str] | None = None,
    progress: Callable[[float, float], Any] | None = None,
) -> PreparedVideo:
    """Check the MP4 (no decoding); when its codec or size is outside the limits, transcode it
    into ``workdir`` (the temporary folder by default) if ``transcode``, else refuse it naming
    ``field``. Truncated files and videos over the duration limit are refused either way."""
    facts = inspect_mp4(path, field=field)
    problems = fixed_problems(facts)
    if problems:
        raise InvalidInput(field, "; ".join(problems))
    problems = fixable_problems(facts)
    if not problems:
        return PreparedVideo(Path(path), facts.info, transcoded=False)
    if not transcode:
        raise InvalidInput(
            field, "; ".join(problems) + " (transcode=True converts it to H.264/AAC)"
        )
    handle, name = tempfile.mkstemp(prefix="dm-transcode-", suffix=".mp4", dir=workdir)
    os.close(handle)
    target = Path(name)
    try:
        log.info("transcoding %s to H.264/AAC: %s", path, "; ".join(problems))
        transcode_mp4(path, target, facts=facts, progress=progress)
        info = check_video(target, field=field)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return PreparedVideo(target, info, transcoded=True)


def _av() -> Any:
    try:
        import av
    except ImportError:
        raise InvalidInput(
            "transcode", f"needs PyAV: install the extra, pip install '{EXTRA}'"
        ) from None
    return av


def _even(value: float) -> int:
    return max(2, int(value) // 2 * 2)


def output_size(width: int, height: int, long_side: int = TRANSCODE_LONG_SIDE) -> tuple[int, int]:
    """The frame size a transcode writes: ``width``x``height`` scaled down (never up) so the
    long side is at most ``long_side``, both sides even (H.264 4:2:0 needs it)."""
    scale = min(1.0, long_side / max(width, height))
    return _even(width * scale), _even(height * scale)


def transcode_mp4(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    facts: Mp4Facts | None = None,
    progress: Callable[[float, float], Any] | None = None,
) -> None:
    """Decode ``source`` and encode it to ``target`` as H.264 (rotation applied, scaled to the
    transcode size, bitrate capped) and AAC, frame by frame; ``progress(done_s, total_s)`` and
    the log follow along."""
    av = _av()
    facts = facts or inspect_mp4(source)
    video = facts.first("vide")
    rotation = video.rotation if video is not None else 0
    total_s = facts.info.duration_ms / 1000
    report = _Progress(str(source), total_s, progress)
    try:
        _run(av, source, target, facts, rotation, report)
    except av.error.FFmpegError as exc:
        raise InvalidInput("path", f"could not be transcoded: {exc}") from None
    report(total_s, final=True)


def _run(
    av: Any, source: Any, target: Any, facts: Mp4Facts, rotation: int, report: _Progress
) -> None:
    """Demux ``source`` packet by packet; video through the filter graph to libx264, audio
    through the resampler to AAC; the muxer interleaves and writes the moov first."""
    with av.open(str(source)) as given:
        vin = given.streams.video[0]
        vin.thread_type = "AUTO"
        ain = given.streams.audio[0] if given.streams.audio else None
        width, height = output_size(facts.info.width, facts.info.height)
        with av.open(str(target), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            rate = vin.average_rate or vin.guessed_rate or Fraction(30)
            vout = out.add_stream(
                "libx264",
                rate=rate,
                options={
                    "preset": "veryfast",
                    "crf": "23",
                    "maxrate": str(TRANSCODE_VIDEO_BITRATE),
                    "bufsize": str(2 * TRANSCODE_VIDEO_BITRATE),
                },
            )
            vout.width, vout.height, vout.pix_fmt = width, height, "yuv420p"
            vout.time_base = vin.time_base
            graph = _filters(av, vin, rotation, width, height)
            audio = _Audio(av, out, ain) if ain is not None else None
            streams = [vin] if ain is None else [vin, ain]
            for packet in given.demux(*streams):
                if packet.stream is vin:
                    for frame in packet.decode():
                        graph.push(frame)
                        _encode(out, vout, _pulled(av, graph))
                        report(float(frame.time or 0))
                elif audio is not None:
                    audio.add(packet.decode())
            graph.push(None)
            _encode(out, vout, _pulled(av, graph))
            out.mux(vout.encode(None))
            if audio is not None:
                audio.finish()


def _filters(av: Any, vin: Any, rotation: int, width: int, height: int) -> Any:
    """rotate → scale → yuv420p, as an FFmpeg filter graph."""
    graph = av.filter.Graph()
    chain = [graph.add_buffer(template=vin)]
    for spec in [*_ROTATE.get(rotation, []), f"scale={width}:{height}", "format=yuv420p"]:
        name, _, args = spec.partition("=")
        chain.append(graph.add(name, args or None))
    chain.append(graph.add("buffersink"))
    for first, second in itertools.pairwise(chain):
        first.link_to(second)
    graph.configure()
    return graph


def _pulled(av: Any, graph: Any) -> Iterator[Any]:
    while True:
        try:
            yield graph.pull()
        except (av.error.BlockingIOError, av.error.EOFError):
            return


def _encode(out: Any, stream: Any, frames: Iterator[Any]) -> None:
    """Encode and mux; each frame's type is reset so the encoder places its own keyframes (a
    decoded frame keeps its source's)."""
    for frame in frames:
        frame.pict_type = 0
        out.mux(stream.encode(frame))


class _Audio:
    """AAC at ``TRANSCODE_AUDIO_BITRATE``: decoded frames resampled to the encoder's format,
    stamped by the samples written."""

    def __init__(self, av: Any, out: Any, ain: Any) -> None:
        rate = min(ain.rate or 48000, 48000)
        layout = "mono" if ain.channels == 1 else "stereo"
        self.out = out
        self.stream = out.add_stream("aac", rate=rate)
        self.stream.layout = layout
        self.stream.bit_rate = TRANSCODE_AUDIO_BITRATE
        self.resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
        self.samples = 0

    def add(self, frames: list[Any]) -> None:
        """Resample and encode decoded audio frames."""
        for frame in frames:
            frame.pts = None
            self._encode(self.resampler.resample(frame))

    def finish(self) -> None:
        """Flush the resampler and the encoder."""
        self._encode(self.resampler.resample(None))
        self.out.mux(self.stream.encode(None))

    def _encode(self, frames: list[Any]) -> None:
        for frame in frames:
            frame.pts = self.samples
            frame.time_base = Fraction(1, frame.sample_rate)
            self.samples += frame.samples
            self.out.mux(self.stream.encode(frame))


class _Progress:
    """Calls ``progress(done_s, total_s)`` per frame and logs at most every few seconds."""

    def __init__(self, name: str, total_s: float, progress: Callable[[float, float], Any] | None):
        self.name, self.total_s, self.progress = name, total_s, progress
        self.logged_at = time.monotonic()

    def __call__(self, done_s: float, *, final: bool = False) -> None:
        done_s = min(done_s, self.total_s)
        if self.progress is not None:
            self.progress(done_s, self.total_s)
        now = time.monotonic()
        if final or now - self.logged_at >= PROGRESS_EVERY:
            self.logged_at = now
            percent = 100 * done_s / self.total_s if self.total_s else 100.0
            log.info(
                "transcode %s: %.1f of %.1f s (%.0f%%)", self.name, done_s, self.total_s, percent
            )
