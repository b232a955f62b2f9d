"""Small MP4 files written box by box for tests: ftyp, mdat and a moov with mvhd and one
video and one audio trak, each with a sample table (stsd, stsz, stsc, stco) whose samples
fill the mdat. The mdat is filler, so a large file can be made sparse."""

from __future__ import annotations

import struct
from pathlib import Path


def box(kind: bytes, payload: bytes) -> bytes:
    """One ISO-BMFF box: 32-bit size, four-character type, payload."""
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _full_box(kind: bytes, version: int, payload: bytes) -> bytes:
    return box(kind, bytes([version, 0, 0, 0]) + payload)


def _matrix(rotation: int) -> bytes:
    one, zero = 0x00010000, 0
    a, b, c, d = {
        0: (one, zero, zero, one),
        90: (zero, one, -one, zero),
        180: (-one, zero, zero, -one),
        270: (zero, -one, one, zero),
    }[rotation]
    return struct.pack(">9i", a, b, 0, c, d, 0, 0, 0, 0x40000000)


def _mvhd(duration: int, timescale: int, version: int) -> bytes:
    if version == 1:
        times = struct.pack(">QQIQ", 0, 0, timescale, duration)
    else:
        times = struct.pack(">IIII", 0, 0, timescale, duration)
    rest = struct.pack(">IH10x", 0x00010000, 0x0100) + _matrix(0) + bytes(24) + struct.pack(">I", 3)
    return _full_box(b"mvhd", version, times + rest)


def _tkhd(track: int, duration: int, width: int, height: int, rotation: int, version: int) -> bytes:
    if version == 1:
        times = struct.pack(">QQIIQ", 0, 0, track, 0, duration)
    else:
        times = struct.pack(">IIIII", 0, 0, track, 0, duration)
    middle = bytes(8) + struct.pack(">hhhH", 0, 0, 0 if width else 0x0100, 0) + _matrix(rotation)
    return _full_box(
        b"tkhd", version, times + middle + struct.pack(">II", width << 16, height << 16)
    )


def _stbl(codec: bytes, offset: int, sizes: list[int]) -> bytes:
    """One chunk at ``offset`` holding samples of ``sizes``; 64-bit offsets past 4 GiB."""
    stsd = _full_box(b"stsd", 0, struct.pack(">I", 1) + box(codec, bytes(8)))
    stsz = _full_box(b"stsz", 0, struct.pack(f">II{len(sizes)}I", 0, len(sizes), *sizes))
    stsc = _full_box(b"stsc", 0, struct.pack(">IIII", 1, 1, len(sizes), 1))
    if offset < 1 << 32:
        chunks = _full_box(b"stco", 0, struct.pack(">II", 1, offset))
    else:
        chunks = _full_box(b"co64", 0, struct.pack(">IQ", 1, offset))
    return box(b"stbl", stsd + stsz + stsc + chunks)


def _trak(
    track: int,
    handler: bytes,
    duration: int,
    size: tuple[int, int],
    rotation: int,
    version: int,
    stbl: bytes,
) -> bytes:
    hdlr = _full_box(b"hdlr", 0, bytes(4) + handler + bytes(12) + b"\0")
    mdia = box(b"mdia", hdlr + box(b"minf", stbl))
    return box(b"trak", _tkhd(track, duration, *size, rotation, version) + mdia)


def _samples(total: int, count: int) -> list[int]:
    """``count`` sample sizes adding up to ``total``."""
    count = max(1, min(count, total))
    return [total // count + (1 if i < total % count else 0) for i in range(count)]


def write_mp4(
    path: Path,
    *,
    duration_ms: int = 3000,
    width: int = 640,
    height: int = 360,
    rotation: int = 0,
    mdat_bytes: int = 4096,
    moov_first: bool = False,
    version: int = 0,
    timescale: int = 600,
    sparse: bool = False,
    video_codec: bytes = b"avc1",
    audio_codec: bytes = b"mp4a",
    cut_bytes: int = 0,
) -> Path:
    """Write an MP4 of ``mdat_bytes`` filler (a quarter audio samples, the rest video);
    ``sparse`` leaves the filler as a hole so a multi-GiB file costs no disk; the moov goes
    first or last like real encoders do; ``cut_bytes`` leaves that many bytes of the mdat
    unwritten, and the moov after it, as in a copy cut short (the mdat header and a moov
    written first still count those bytes)."""
    duration = duration_ms * timescale // 1000
    ftyp = box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41")

    def moov_at(mdat_payload: int) -> bytes:
        audio = mdat_bytes // 4
        return box(
            b"moov",
            _mvhd(duration, timescale, version)
            + _trak(
                1,
                b"soun",
                duration,
                (0, 0),
                0,
                version,
                _stbl(audio_codec, mdat_payload, _samples(audio, 8)),
            )
            + _trak(
                2,
                b"vide",
                duration,
                (width, height),
                rotation,
                version,
                _stbl(video_codec, mdat_payload + audio, _samples(mdat_bytes - audio, 30)),
            ),
        )

    if mdat_bytes + 8 < 1 << 32:
        mdat_header = struct.pack(">I4s", 8 + mdat_bytes, b"mdat")
    else:
        mdat_header = struct.pack(">I4sQ", 1, b"mdat", 16 + mdat_bytes)
    mdat_payload = len(ftyp) + len(mdat_header)
    moov = moov_at(mdat_payload)
    while moov_first and len(moov_at(mdat_payload + len(moov))) != len(moov):
        moov = moov_at(mdat_payload + len(moov))
    if moov_first:
        moov = moov_at(mdat_payload + len(moov))
    with path.open("wb") as handle:
        handle.write(ftyp)
        if moov_first:
            handle.write(moov)
        handle.write(mdat_header)
        mdat_bytes -= cut_bytes
        if sparse:
            handle.seek(mdat_bytes, 1)
        else:
            pattern = bytes(range(256)) * 256
            left = mdat_bytes
            while left:
                piece = pattern[: min(left, len(pattern))]
                handle.write(piece)
                left -= len(piece)
        if moov_first or cut_bytes:
            handle.truncate()
        else:
            handle.write(moov)
    return path
