"""Opening a photo file of any format a phone writes, with one pixel limit of our own.

Pillow's ``Image.open`` refuses anything over twice its ``MAX_IMAGE_PIXELS`` (179 MP) and warns
above 89 MP, before a JPEG could be decoded in draft mode at an eighth of its size; a 200 MP
phone JPEG is fine to prepare. So the file is identified through Pillow's plugin table
without that check, and ``MAX_PIXELS`` is the one limit, on the size the file claims.
HEIC/HEIF is read by ``pillow-heif``, the optional extra ``[heif]``.
"""

from __future__ import annotations

import functools
import struct
from typing import IO

from PIL import Image, ImageFile, UnidentifiedImageError

from airflow_provider_dm.client.errors import InvalidInput

MAX_PIXELS = 250_000_000
HEIF_EXTRA = "airflow-provider-dm[heif]"
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_HEIF_GENERIC = {b"mif1", b"msf1"}


def _is_heif(prefix: bytes) -> bool:
    """True when an ISO-BMFF ``ftyp`` header names a HEIF brand (not AVIF, which Pillow reads)."""
    if prefix[4:8] != b"ftyp":
        return False
    brand = prefix[8:12]
    return brand in _HEIF_BRANDS or (brand in _HEIF_GENERIC and b"avif" not in prefix)


@functools.cache
def _heif_registered() -> bool:
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    return True


def _identify(handle: IO[bytes]) -> ImageFile.ImageFile | None:
    """``Image.open`` without its pixel check: the first plugin that accepts the file."""
    handle.seek(0)
    prefix = handle.read(16)
    for loader in (Image.preinit, Image.init):
        loader()
        for name in list(Image.ID):
            factory, accept = Image.OPEN[name]
            accepted = accept(prefix) if accept is not None else True
            if not accepted or isinstance(accepted, str):
                continue
            try:
                handle.seek(0)
                return factory(handle, "")
            except (SyntaxError, IndexError, TypeError, struct.error):
                continue
    return None


def open_photo(handle: IO[bytes], field: str) -> ImageFile.ImageFile:
    """The photo in ``handle``, identified but not decoded; over ``MAX_PIXELS`` it is refused."""
    handle.seek(0)
    head = handle.read(32)
    if _is_heif(head) and not _heif_registered():
        raise InvalidInput(
            field,
            f"is a HEIC/HEIF photo; reading it needs the optional extra {HEIF_EXTRA} "
            f"(pip install '{HEIF_EXTRA}')",
        )
    image = _identify(handle)
    if image is None:
        raise UnidentifiedImageError("cannot identify image file")
    pixels = image.width * image.height
    if pixels > MAX_PIXELS:
        raise InvalidInput(
            field,
            f"image of {image.width}x{image.height} = {pixels:,} pixels is over the limit of "
            f"{MAX_PIXELS:,} pixels (a decompression bomb?)",
        )
    return image
