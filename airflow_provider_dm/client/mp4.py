"""The MP4 (ISO-BMFF) box reader: walk boxes by seeking, find children, read the movie's
duration, each track's handler, codec and displayed size, and where its samples end.

Everything here seeks from box header to box header and reads the few tables it needs, so a
file of any size costs a handful of small reads and no decoding. ``read_mp4`` gives what an
upload declares (duration, size); ``inspect_mp4`` adds the tracks and refuses a truncated
file; the limits live in ``video_limits``.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import BinaryIO

from airflow_provider_dm.client.errors import InvalidInput

Span = tuple[int, int]


@dataclass(frozen=True)
class VideoInfo:
    """What the upload declares about an MP4: duration, displayed size, file size."""

    duration_ms: int
    width: int
    height: int
    bytes: int


@dataclass(frozen=True)
class Track:
    """One track: its handler (``vide``, ``soun``...), the four-character code of its first
    sample entry (``avc1``, ``hvc1``, ``mp4a``...), its displayed size and clockwise rotation
    (0 for audio), how many samples it has and the byte where its last sample ends."""

    handler: str
    codec: str
    width: int
    height: int
    rotation: int
    samples: int
    samples_end: int


@dataclass(frozen=True)
class Mp4Facts:
    """What the boxes say about an MP4: the upload's ``info`` and every track."""

    info: VideoInfo
    tracks: tuple[Track, ...]
    fragmented: bool

    def first(self, handler: str) -> Track | None:
        """The first track with this handler (``vide`` or ``soun``), or None."""
        return next((t for t in self.tracks if t.handler == handler), None)


def boxes(handle: BinaryIO, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, box end) of each box in ``[start, end)``, by seeking."""
    position = start
    while position + 8 <= end:
        kind, payload, box_end = _header(handle, position, end)
        if box_end > end:
            raise InvalidInput("path", f"MP4 box {kind!r} at byte {position} is malformed")
        yield kind, payload, box_end
        position = box_end


def child(handle: BinaryIO, start: int, end: int, kind: bytes) -> Span | None:
    """The (payload start, end) of the first ``kind`` box in ``[start, end)``, or None."""
    for found, payload, box_end in boxes(handle, start, end):
        if found == kind:
            return payload, box_end
    return None


def find(handle: BinaryIO, span: Span, *path: bytes) -> Span | None:
    """The box at ``path`` below ``span`` (e.g. ``b"mdia", b"minf", b"stbl"``), or None."""
    found: Span | None = span
    for kind in path:
        if found is None:
            return None
        found = child(handle, *found, kind)
    return found


def read_at(handle: BinaryIO, offset: int, length: int) -> bytes:
    """``length`` bytes at ``offset``; a short read means the file ends inside a box."""
    handle.seek(offset)
    data = handle.read(length)
    if len(data) < length:
        raise InvalidInput("path", "MP4 ends inside a box")
    return data


def duration_ms(handle: BinaryIO, mvhd: int) -> int:
    """The movie's duration in milliseconds from the ``mvhd`` payload at ``mvhd``."""
    version = read_at(handle, mvhd, 1)[0]
    if version == 1:
        timescale, duration = struct.unpack(">IQ", read_at(handle, mvhd + 20, 12))
    else:
        timescale, duration = struct.unpack(">II", read_at(handle, mvhd + 12, 8))
    if timescale == 0:
        raise InvalidInput("path", "MP4 movie header has a zero timescale")
    return round(duration * 1000 / timescale)


def handler(handle: BinaryIO, trak: Span) -> str:
    """The track's handler type from ``mdia/hdlr`` (``vide``, ``soun``...), or ``""``."""
    hdlr = find(handle, trak, b"mdia", b"hdlr")
    if hdlr is None:
        return ""
    return read_at(handle, hdlr[0] + 8, 4).decode("latin-1")


def shown_size(handle: BinaryIO, trak: Span) -> tuple[int, int, int]:
    """The track's displayed width and height from ``tkhd`` (a 90° rotation swaps them) and
    its clockwise rotation in degrees (0, 90, 180 or 270) from the matrix."""
    tkhd = child(handle, *trak, b"tkhd")
    if tkhd is None:
        return 0, 0, 0
    version = read_at(handle, tkhd[0], 1)[0]
    matrix_at = tkhd[0] + (52 if version == 1 else 40)
    a, b = struct.unpack(">ii", read_at(handle, matrix_at, 8))
    width, height = struct.unpack(">II", read_at(handle, matrix_at + 36, 8))
    width, height = width >> 16, height >> 16
    if a == 0 and b != 0:
        return height, width, 90 if b > 0 else 270
    return width, height, 180 if a < 0 else 0


def codec(handle: BinaryIO, stbl: Span) -> str:
    """The four-character code of the first sample entry in ``stsd`` (``avc1``, ``mp4a``...)."""
    stsd = child(handle, *stbl, b"stsd")
    if stsd is None:
        return ""
    for kind, _, _ in boxes(handle, stsd[0] + 8, stsd[1]):
        return kind.decode("latin-1")
    return ""


def _table(handle: BinaryIO, box: Span, code: str, per_entry: int = 1, skip: int = 0) -> tuple:
    """The big-endian values of a sample table box after its version, flags, ``skip`` bytes
    and entry count: ``per_entry`` values of struct ``code`` (``I`` or ``Q``) each."""
    count = struct.unpack(">I", read_at(handle, box[0] + 4 + skip, 4))[0] * per_entry
    start = box[0] + 8 + skip
    if start + count * struct.calcsize(">" + code) > box[1]:
        raise InvalidInput("path", "MP4 sample table is longer than its box")
    return struct.unpack(
        f">{count}{code}", read_at(handle, start, count * struct.calcsize(">" + code))
    )


def _sample_sizes(handle: BinaryIO, stbl: Span) -> list[int]:
    stsz = child(handle, *stbl, b"stsz")
    if stsz is None:
        return []
    uniform, count = struct.unpack(">II", read_at(handle, stsz[0] + 4, 8))
    if uniform:
        return [uniform] * count
    return list(_table(handle, stsz, "I", skip=4))


def samples_end(handle: BinaryIO, stbl: Span) -> tuple[int, int]:
    """How many samples the track has and the byte where the last one ends, from the chunk
    offsets (``stco``/``co64``), the samples per chunk (``stsc``) and the sizes (``stsz``)."""
    sizes = _sample_sizes(handle, stbl)
    if not sizes:
        return 0, 0
    stco = child(handle, *stbl, b"stco")
    co64 = child(handle, *stbl, b"co64")
    stsc = child(handle, *stbl, b"stsc")
    if (stco is None and co64 is None) or stsc is None:
        raise InvalidInput("path", "MP4 track has samples but no chunk table (stco/stsc)")
    offsets = _table(handle, stco, "I") if stco is not None else _table(handle, co64, "Q")  # type: ignore[arg-type]
    runs = _table(handle, stsc, "I", per_entry=3)
    starts = [0, *accumulate(sizes)]
    first_chunks = [*runs[0::3], len(offsets) + 1]
    sample, end = 0, 0
    for run, per_chunk in enumerate(runs[1::3]):
        for chunk in range(first_chunks[run], min(first_chunks[run + 1], len(offsets) + 1)):
            if sample >= len(sizes):
                break
            last = min(sample + per_chunk, len(sizes))
            end = max(end, offsets[chunk - 1] + starts[last] - starts[sample])
            sample = last
    if sample < len(sizes):
        raise InvalidInput(
            "path", f"MP4 chunk table places {sample} of the track's {len(sizes)} samples"
        )
    return len(sizes), end


def _track(handle: BinaryIO, trak: Span) -> Track:
    stbl = find(handle, trak, b"mdia", b"minf", b"stbl")
    kind = handler(handle, trak)
    width, height, turn = shown_size(handle, trak) if kind == "vide" else (0, 0, 0)
    if stbl is None:
        return Track(kind, "", width, height, turn, 0, 0)
    count, end = samples_end(handle, stbl)
    return Track(kind, codec(handle, stbl), width, height, turn, count, end)


def _top_level(handle: BinaryIO, size: int) -> dict[bytes, Span]:
    """The first top-level box of each type; a box that runs past the end of the file means
    the file was cut short."""
    found: dict[bytes, Span] = {}
    position = 0
    while position + 8 <= size:
        kind, payload, claimed = _header(handle, position, size)
        if claimed > size:
            raise InvalidInput(
                "path",
                f"is truncated: its {kind.decode('latin-1')} box at byte {position} runs to "
                f"byte {claimed} but the file has {size} bytes",
            )
        found.setdefault(kind, (payload, claimed))
        position = claimed
    return found


def _header(handle: BinaryIO, position: int, end: int) -> tuple[bytes, int, int]:
    """(type, payload start, box end) of the box at ``position``; its end may pass ``end``."""
    size, kind = struct.unpack(">I4s", read_at(handle, position, 8))
    payload = position + 8
    if size == 1:
        size = struct.unpack(">Q", read_at(handle, payload, 8))[0]
        payload += 8
    elif size == 0:
        size = end - position
    if size < payload - position:
        raise InvalidInput("path", f"MP4 box {kind!r} at byte {position} is malformed")
    return kind, payload, position + size


def _field(exc: InvalidInput, field: str) -> InvalidInput:
    return exc if exc.field == field else InvalidInput(field, exc.problem)


def inspect_mp4(
    path: str | os.PathLike[str], *, field: str = "path", need_video: bool = True
) -> Mp4Facts:
    """Read an MP4's boxes (no decoding): duration, tracks, codecs, sizes. A file that is not
    an MP4, is truncated (a sample lies past its end) or, with ``need_video``, has no video
    track raises ``InvalidInput`` naming ``field``; without ``need_video`` (an M4A) the
    info's width and height are 0 when there is no video."""
    file = Path(path)
    if not file.is_file():
        raise InvalidInput(field, f"no such file: {file}")
    size = file.stat().st_size
    try:
        with file.open("rb") as handle:
            head = handle.read(8)
            if len(head) < 8 or head[4:8] != b"ftyp":
                raise InvalidInput(field, "is not an MP4 file (it does not start with an ftyp box)")
            top = _top_level(handle, size)
            moov = top.get(b"moov")
            if moov is None:
                raise InvalidInput(
                    field, "is truncated or incomplete: the MP4 has no moov box (sample tables)"
                )
            mvhd = child(handle, *moov, b"mvhd")
            if mvhd is None:
                raise InvalidInput(field, "MP4 has no movie header (mvhd)")
            movie_ms = duration_ms(handle, mvhd[0])
            tracks = tuple(
                _track(handle, (payload, box_end))
                for kind, payload, box_end in boxes(handle, *moov)
                if kind == b"trak"
            )
    except InvalidInput as exc:
        raise _field(exc, field) from None
    except (OSError, struct.error) as exc:
        raise InvalidInput(field, f"is not a readable MP4: {exc}") from None
    video = next((t for t in tracks if t.handler == "vide" and t.width and t.height), None)
    if video is None and need_video:
        raise InvalidInput(field, "MP4 has no video track")
    for number, track in enumerate(tracks, 1):
        if track.samples_end > size:
            raise InvalidInput(
                field,
                f"is truncated: track {number} ({track.handler}) has samples up to byte "
                f"{track.samples_end} but the file has {size} bytes",
            )
    width, height = (video.width, video.height) if video is not None else (0, 0)
    info = VideoInfo(movie_ms, width, height, size)
    return Mp4Facts(info, tracks, fragmented=b"moof" in top)


def read_mp4(path: str | os.PathLike[str], *, field: str = "path") -> VideoInfo:
    """Duration, displayed width/height and size of an MP4, read by seeking (no decoding)."""
    return inspect_mp4(path, field=field).info
