"""Small MP4 files written box by box for tests: ftyp, mdat and a moov with mvhd and one
video and one audio trak. The mdat is filler, so a large file can be made sparse."""

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


def _trak(
    track: int, handler: bytes, duration: int, size: tuple[int, int], rotation: int, version: int
) -> bytes:
    hdlr = _full_box(b"hdlr", 0, bytes(4) + handler + bytes(12) + b"\0")
    mdia = box(b"mdia", hdlr)
    return box(b"trak", _tkhd(track, duration, *size, rotation, version) + mdia)


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
) -> Path:
    """Write an MP4 of ``mdat_bytes`` filler; ``sparse`` leaves the filler as a hole so a
    multi-GiB file costs no disk; the moov goes first or last like real encoders do."""
    duration = duration_ms * timescale // 1000
    moov = box(
        b"moov",
        _mvhd(duration, timescale, version)
        + _trak(1, b"soun", duration, (0, 0), 0, version)
        + _trak(2, b"vide", duration, (width, height), rotation, version),
    )
    ftyp = box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41")
    with path.open("wb") as handle:
        handle.write(ftyp)
        if moov_first:
            handle.write(moov)
        handle.write(struct.pack(">I4s", 8 + mdat_bytes, b"mdat"))
        if sparse:
            handle.seek(mdat_bytes, 1)
        else:
            pattern = bytes(range(256)) * 256
            left = mdat_bytes
            while left:
                piece = pattern[: min(left, len(pattern))]
                handle.write(piece)
                left -= len(piece)
        if not moov_first:
            handle.write(moov)
        else:
            handle.truncate()
    return path
