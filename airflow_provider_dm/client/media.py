"""Photo preparation before upload: any still image re-encoded to the JPEG Direct accepts.
Videos are read from their boxes in ``mp4`` and checked in ``video_limits``."""

from __future__ import annotations

import functools
import io
import math
import os
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from airflow_provider_dm.client.checks import positive_int
from airflow_provider_dm.client.errors import InvalidInput
from airflow_provider_dm.client.photo_open import MAX_PIXELS as MAX_PIXELS
from airflow_provider_dm.client.photo_open import open_photo
from airflow_provider_dm.client.png_strips import reduce_png, strip_mode

MIN_ASPECT = 4 / 5
MAX_ASPECT = 1.91
_ORIENTATION_TAG = 0x0112
_SWAPPING_ORIENTATIONS = (5, 6, 7, 8)


@dataclass(frozen=True)
class PreparedPhoto:
    """A photo ready for upload: baseline JPEG bytes and their pixel size."""

    jpeg: bytes
    width: int
    height: int


def _open_source(source: Any, field: str) -> IO[bytes]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        if not source:
            raise InvalidInput(field, "is empty (0 bytes)")
        return io.BytesIO(bytes(source))
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise InvalidInput(field, f"no such file: {path}")
        return path.open("rb")
    if hasattr(source, "open"):
        try:
            with source.open("rb") as handle:
                return io.BytesIO(handle.read())
        except FileNotFoundError:
            raise InvalidInput(field, f"no such file: {source}") from None
    raise InvalidInput(
        field, f"must be a path, bytes or a storage path, got {type(source).__name__}"
    )


def _fit(width: int, height: int, max_side: int) -> tuple[tuple[int, int, int, int], int, int]:
    """The centred crop box that brings the aspect ratio into range, and the final size."""
    box = (0, 0, width, height)
    if width / height > MAX_ASPECT:
        kept = max(1, round(height * MAX_ASPECT))
        left = (width - kept) // 2
        box = (left, 0, left + kept, height)
    elif width / height < MIN_ASPECT:
        kept = max(1, round(width / MIN_ASPECT))
        top = (height - kept) // 2
        box = (0, top, width, top + kept)
    crop_w, crop_h = box[2] - box[0], box[3] - box[1]
    scale = min(1.0, max_side / max(crop_w, crop_h))
    return box, max(1, round(crop_w * scale)), max(1, round(crop_h * scale))


def _orientation(image: Image.Image) -> int | None:
    """The EXIF orientation, read without decoding: for a PNG, Pillow's ``getexif`` decodes
    the whole image to look for an eXIf chunk after the pixels."""
    if image.format != "PNG":
        return image.getexif().get(_ORIENTATION_TAG)
    exif = Image.Exif()
    if "exif" in image.info:
        exif.load(image.info["exif"])
    return exif.get(_ORIENTATION_TAG)


def _needed(image: Image.Image, max_side: int) -> tuple[int, int]:
    """The smallest stored (unrotated) size that still covers the final photo."""
    width, height = image.size
    swapped = _orientation(image) in _SWAPPING_ORIENTATIONS
    shown_w, shown_h = (height, width) if swapped else (width, height)
    box, out_w, _ = _fit(shown_w, shown_h, max_side)
    scale = out_w / (box[2] - box[0])
    need_w, need_h = math.ceil(shown_w * scale), math.ceil(shown_h * scale)
    return (need_h, need_w) if swapped else (need_w, need_h)


def _draft(image: Image.Image, max_side: int) -> None:
    """Ask the JPEG decoder for the smallest DCT scale that still covers the final size."""
    image.draft("RGB", _needed(image, max_side))


def _decode(handle: IO[bytes], max_side: int, field: str) -> Image.Image:
    """The photo decoded at the smallest size that covers the final one: JPEG in draft mode,
    big 8-bit PNGs by strips, anything else whole; then ``Image.reduce`` by a whole factor."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        image = open_photo(handle, field)
        if image.format == "JPEG":
            _draft(image, max_side)
        need_w, need_h = _needed(image, max_side)
        factor = max(1, min(image.width // need_w, image.height // need_h))
        if factor > 1 and image.format == "PNG" and strip_mode(handle):
            reduced = reduce_png(handle, factor, field=field)
            reduced.info = dict(image.info)
            return reduced
        image.load()
        return _reducible(image).reduce(factor) if factor > 1 else image


def _reducible(image: Image.Image) -> Image.Image:
    """The image in a mode whose pixels ``Image.reduce`` may average (not palette indices)."""
    if image.mode in ("P", "PA"):
        return image.convert("RGBA")
    if image.mode == "1":
        return image.convert("L")
    if image.mode.startswith("I;16"):
        return image.convert("I")
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Pixels converted from an embedded ICC profile to sRGB, the space a JPEG without one is
    shown in; an unreadable or mismatched profile leaves the pixels as they are."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return (
            ImageCms.profileToProfile(
                image, source, _srgb(), outputMode="RGB" if image.mode == "CMYK" else image.mode
            )
            or image
        )
    except (OSError, ImageCms.PyCMSError):
        return image


@functools.cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _flatten(image: Image.Image) -> Image.Image:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda v: v / 256).convert("L")
    return image.convert("RGB")


def prepare_photo(
    source: Any, *, quality: int = 70, max_side: int = 1080, field: str = "path"
) -> PreparedPhoto:
    """Re-encode any still image Pillow (or pillow-heif) opens as a JPEG within 4:5…1.91:1 and
    ``max_side``.

    ``source`` is a path, bytes, or an object with ``.open("rb")`` (an ObjectStoragePath).
    EXIF orientation is applied, an ICC profile converted to sRGB, alpha flattened onto white,
    the aspect ratio clamped by a centred crop. Over ``MAX_PIXELS`` (the size the file claims)
    it is refused. Bad input raises ``InvalidInput`` naming ``field``.
    """
    if not 1 <= quality <= 95:
        raise InvalidInput("quality", f"must be between 1 and 95, got {quality}")
    positive_int(max_side, "max_side")
    handle = _open_source(source, field)
    try:
        image = _decode(handle, max_side, field)
    except InvalidInput:
        raise
    except UnidentifiedImageError:
        raise InvalidInput(field, "is not an image Pillow can read") from None
    except (OSError, SyntaxError, ValueError, struct.error) as exc:
        raise InvalidInput(field, f"is a corrupt or truncated image: {exc}") from None
    finally:
        handle.close()
    image = _flatten(_to_srgb(ImageOps.exif_transpose(image)))
    box, out_w, out_h = _fit(image.width, image.height, max_side)
    image = image.crop(box)
    if image.size != (out_w, out_h):
        image = image.resize((out_w, out_h), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return PreparedPhoto(jpeg=buffer.getvalue(), width=out_w, height=out_h)
