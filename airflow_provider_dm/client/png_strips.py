"""A big PNG decoded strip by strip and reduced while it is decoded, so that a 80 MP RGBA
screenshot never sits in memory at full size.

The IDAT stream is inflated here with ``zlib`` a strip of rows at a time; Pillow's own PNG row
decoder then unfilters each strip. Rows are filtered against the row above, so each strip is
handed to Pillow behind the last row of the strip before it, unfiltered (filter type 0), in a
stored (level 0) zlib stream: a copy, not a second compression.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Iterator
from typing import IO

from PIL import Image

from airflow_provider_dm.client.errors import InvalidInput

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MODES = {0: "L", 2: "RGB", 4: "LA", 6: "RGBA"}
_BYTES_PER_PIXEL = {"L": 1, "RGB": 3, "LA": 2, "RGBA": 4}
_STRIP_BYTES = 4 * 1024 * 1024
_READ_BYTES = 64 * 1024


def strip_mode(handle: IO[bytes]) -> str | None:
    """The Pillow mode of a PNG this module decodes (8-bit L, LA, RGB, RGBA, not interlaced)."""
    handle.seek(0)
    head = handle.read(33)
    if len(head) < 33 or head[:8] != _SIGNATURE or head[12:16] != b"IHDR":
        return None
    depth, colour, _, _, interlace = struct.unpack(">BBBBB", head[24:29])
    if depth != 8 or interlace != 0:
        return None
    return _MODES.get(colour)


def _idat_pieces(handle: IO[bytes]) -> tuple[int, int, list[tuple[int, int]]]:
    """Width, height and the (offset, length) of every IDAT chunk, found by seeking."""
    handle.seek(16)
    width, height = struct.unpack(">II", handle.read(8))
    pieces = []
    position = 8
    while True:
        handle.seek(position)
        header = handle.read(8)
        if len(header) < 8:
            break
        length, kind = struct.unpack(">I4s", header)
        if kind == b"IDAT":
            pieces.append((position + 8, length))
        elif kind == b"IEND":
            break
        position += 12 + length
    return width, height, pieces


def _inflated(handle: IO[bytes], pieces: list[tuple[int, int]], field: str) -> Iterator[bytes]:
    """The IDAT stream inflated, in pieces of at most ``_STRIP_BYTES`` (a bomb stays bounded)."""
    inflater = zlib.decompressobj()
    try:
        for offset, length in pieces:
            handle.seek(offset)
            left = length
            while left:
                data = handle.read(min(left, _READ_BYTES))
                if not data:
                    raise InvalidInput(field, "is a truncated PNG (an IDAT chunk is cut short)")
                left -= len(data)
                while data:
                    yield inflater.decompress(data, _STRIP_BYTES)
                    data = inflater.unconsumed_tail
    except zlib.error as exc:
        raise InvalidInput(field, f"is a corrupt PNG: {exc}") from None


def reduce_png(handle: IO[bytes], factor: int, *, field: str = "path") -> Image.Image:
    """The PNG in ``handle`` reduced ``factor`` times (``Image.reduce``), decoded by strips.

    Only for what ``strip_mode`` accepts; the result is the same image as decoding it whole
    and reducing it, at the memory of one strip.
    """
    mode = strip_mode(handle)
    if mode is None:
        raise ValueError("not an 8-bit, non-interlaced L, LA, RGB or RGBA PNG")
    width, height, pieces = _idat_pieces(handle)
    row = width * _BYTES_PER_PIXEL[mode] + 1
    rows_per_strip = factor * max(1, _STRIP_BYTES // (row * factor))
    out = Image.new(mode, (math.ceil(width / factor), math.ceil(height / factor)))
    previous = b"\0" * row
    pending = bytearray()
    done = 0
    for data in _inflated(handle, pieces, field):
        pending += data
        while done < height and (
            len(pending) >= rows_per_strip * row or len(pending) >= (height - done) * row
        ):
            count = min(rows_per_strip, height - done)
            with memoryview(pending) as view:
                strip, previous = _decode_strip(mode, width, previous, view[: count * row], count)
            del pending[: count * row]
            out.paste(strip.reduce(factor), (0, done // factor))
            done += count
    if done < height:
        raise InvalidInput(field, f"is a truncated PNG ({done} of {height} rows)")
    return out


def _stored(parts: tuple[bytes | memoryview, ...]) -> bytes:
    """A zlib stream of ``parts`` in stored (uncompressed) deflate blocks: one copy, no search."""
    out = [b"\x78\x01"]
    checksum = 1
    total = sum(len(part) for part in parts)
    done = 0
    for part in parts:
        view = memoryview(part)
        checksum = zlib.adler32(view, checksum)
        for start in range(0, len(view), 65535):
            block = view[start : start + 65535]
            done += len(block)
            out.append(struct.pack("<BHH", done == total, len(block), 0xFFFF ^ len(block)))
            out.append(block)
    out.append(struct.pack(">I", checksum))
    return b"".join(out)


def _decode_strip(
    mode: str, width: int, previous: bytes, rows: memoryview, count: int
) -> tuple[Image.Image, bytes]:
    """Unfilter ``count`` rows behind the unfiltered row above them; the strip and its last row."""
    image = Image.frombytes(mode, (width, count + 1), _stored((previous, rows)), "zip", mode)
    last = b"\0" + image.crop((0, count, width, count + 1)).tobytes()
    return image.crop((0, 1, width, count + 1)), last
