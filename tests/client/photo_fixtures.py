"""Photo files of the format tests and of benchmark P4b, written on demand (no binary fixtures in
the repository): the 200 MP phone JPEG, the 80 MP RGBA screenshot PNG, a PNG bomb.

`python tests/client/photo_fixtures.py KIND PATH` writes one in a process of its own, so the
800 MB that Pillow needs to encode the 200 MP JPEG is given back when it ends.
"""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

BIG_JPEG_SIZE = (16_320, 12_240)
BIG_PNG_SIZE = (10_328, 7_744)


def write_big_jpeg(path: Path, size: tuple[int, int] = BIG_JPEG_SIZE) -> Path:
    """A 200 MP JPEG as a phone writes it: YCbCr, EXIF orientation 6, coloured bands."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, (200, 120, 40))
    draw = ImageDraw.Draw(image)
    for band in range(8):
        top = band * size[1] // 8
        draw.rectangle((0, top, size[0], top + size[1] // 16), fill=(30, 60 + band * 20, 200))
    exif = Image.Exif()
    exif[0x0112] = 6
    image.save(path, "JPEG", quality=85, exif=exif)
    return path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_big_png(path: Path, size: tuple[int, int] = BIG_PNG_SIZE) -> Path:
    """An 8-bit RGBA PNG written row by row (never held whole): opaque red left half, a
    half-transparent blue right half, a transparent band at the bottom."""
    width, height = size
    half = width // 2
    opaque = b"\x00" + bytes((220, 30, 30, 255)) * half + bytes((30, 30, 220, 128)) * (width - half)
    clear = b"\x00" + bytes((0, 0, 0, 0)) * width
    compressor = zlib.compressobj(1)
    with path.open("wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n")
        out.write(_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)))
        for row in range(height):
            data = compressor.compress(opaque if row < height * 7 // 8 else clear)
            if data:
                out.write(_chunk(b"IDAT", data))
        out.write(_chunk(b"IDAT", compressor.flush()))
        out.write(_chunk(b"IEND", b""))
    return path


def write_png_bomb(path: Path, size: tuple[int, int] = (40_000, 25_000)) -> Path:
    """A PNG of a few hundred bytes that claims a gigapixel (its data stops after one row)."""
    width, height = size
    row = zlib.compress(b"\x00" * (width + 1), 9)
    with path.open("wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n")
        out.write(_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)))
        out.write(_chunk(b"IDAT", row))
        out.write(_chunk(b"IEND", b""))
    return path


WRITERS = {"big_jpeg": write_big_jpeg, "big_png": write_big_png, "png_bomb": write_png_bomb}


if __name__ == "__main__":
    WRITERS[sys.argv[1]](Path(sys.argv[2]))


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def swapped_rgb_profile() -> bytes:
    """An ICC v2 RGB matrix profile whose red and blue primaries are sRGB's blue and red: a
    pixel stored as pure red is blue once converted to sRGB, which no conversion can fake."""
    xyz = {
        b"rXYZ": (0.1431, 0.0606, 0.7141),
        b"gXYZ": (0.3851, 0.7169, 0.0971),
        b"bXYZ": (0.4361, 0.2225, 0.0139),
        b"wtpt": (0.9642, 1.0, 0.8249),
    }
    tags = {sig: b"XYZ \0\0\0\0" + b"".join(_s15(v) for v in values) for sig, values in xyz.items()}
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0233) + b"\0\0"
    tags.update({b"rTRC": curve, b"gTRC": curve, b"bTRC": curve})
    text = b"swapped primaries\0"
    tags[b"desc"] = b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text + b"\0" * 79
    tags[b"cprt"] = b"text\0\0\0\0" + b"public domain\0\0\0"
    table_end = 128 + 4 + 12 * len(tags)
    offsets, body = [], b""
    for data in tags.values():
        offsets.append(table_end + len(body))
        body += data + b"\0" * (-len(data) % 4)
    table = struct.pack(">I", len(tags)) + b"".join(
        sig + struct.pack(">II", offset, len(data))
        for (sig, data), offset in zip(tags.items(), offsets, strict=True)
    )
    size = table_end + len(body)
    header = (
        struct.pack(">I", size)
        + b"\0\0\0\0"
        + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ "
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 24
        + struct.pack(">I", 0)
        + b"".join(_s15(v) for v in xyz[b"wtpt"])
        + b"\0" * 48
    )
    assert len(header) == 128
    return header + table + body
