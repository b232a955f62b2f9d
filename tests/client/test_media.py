"""Photo preparation, on images made with Pillow (no binary fixtures in the repository)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from photo_fixtures import write_png_bomb
from PIL import Image

from airflow_provider_dm.client.errors import InvalidInput
from airflow_provider_dm.client.media import MAX_PIXELS, _draft, prepare_photo


def _image_bytes(size: tuple[int, int], fmt: str = "JPEG", mode: str = "RGB", **save) -> bytes:
    color = (200, 30, 30, 128) if mode == "RGBA" else (200, 30, 30)
    buffer = io.BytesIO()
    Image.new(mode, size, color[: len(mode)]).save(buffer, fmt, **save)
    return buffer.getvalue()


def _open(jpeg: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(jpeg))
    image.load()
    return image


def _quantization_of(quality: int) -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16)).save(buffer, "JPEG", quality=quality)
    return _open(buffer.getvalue()).quantization


def test_large_jpeg_is_scaled_to_1080_at_quality_70() -> None:
    photo = prepare_photo(_image_bytes((4000, 3000)))
    image = _open(photo.jpeg)
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (1080, 810))
    assert (photo.width, photo.height) == image.size
    assert image.quantization == _quantization_of(70)
    assert _open(prepare_photo(_image_bytes((50, 50)), quality=90).jpeg).quantization == (
        _quantization_of(90)
    )


def test_aspect_ratio_is_clamped_by_centre_crop() -> None:
    wide = _open(prepare_photo(_image_bytes((3000, 1000), "PNG")).jpeg)
    assert wide.size == (1080, 565)
    tall = _open(prepare_photo(_image_bytes((1000, 3000), "PNG")).jpeg)
    assert tall.size == (864, 1080)
    small = _open(prepare_photo(_image_bytes((400, 300), "WEBP"), max_side=1080).jpeg)
    assert small.size == (400, 300)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    image = Image.new("RGB", (1600, 1200), (255, 255, 255))
    image.paste((0, 0, 0), (0, 0, 800, 1200))
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "rotated.jpg"
    image.save(path, "JPEG", exif=exif.tobytes())
    result = _open(prepare_photo(path).jpeg)
    assert result.size == (864, 1080)
    assert result.getexif().get(0x0112) is None
    top, bottom = result.getpixel((432, 100)), result.getpixel((432, 980))
    assert sum(top) < 100 and sum(bottom) > 600


def test_alpha_is_flattened_on_white() -> None:
    buffer = io.BytesIO()
    Image.new("RGBA", (100, 100), (0, 0, 0, 0)).save(buffer, "PNG")
    result = _open(prepare_photo(buffer.getvalue()).jpeg)
    assert result.mode == "RGB"
    assert all(channel > 245 for channel in result.getpixel((50, 50)))


def test_draft_mode_decodes_a_24mp_jpeg_at_reduced_scale(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    Image.new("RGB", (6000, 4000), (10, 120, 200)).save(path, "JPEG", quality=85)
    photo = prepare_photo(path)
    assert (photo.width, photo.height) == (1080, 720)
    # Pillow's pixel buffers are outside tracemalloc's view, so look at the decode itself:
    # the 1/4 DCT scale (1500x1000, 4.5 MB) instead of the full 72 MB.
    with Image.open(path) as image:
        _draft(image, 1080)
        image.load()
        assert image.size == (1500, 1000)


def test_storage_path_like_sources_are_read(tmp_path: Path) -> None:
    class StoragePath:
        """Stands in for an Airflow ObjectStoragePath: only .open("rb") is used."""

        def __init__(self, path: Path) -> None:
            self.path = path

        def open(self, mode: str):
            return self.path.open(mode)

    path = tmp_path / "p.png"
    path.write_bytes(_image_bytes((300, 300), "PNG"))
    assert prepare_photo(StoragePath(path)).width == 300


@pytest.mark.parametrize(
    ("source", "words"),
    [
        (b"this is text, not an image", "not an image"),
        (b"", "empty"),
        ("/no/such/photo.jpg", "no such file"),
        (_image_bytes((500, 500))[:400], "corrupt or truncated"),
        (12, "must be a path"),
    ],
)
def test_bad_photo_sources_are_refused(source, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        prepare_photo(source)
    assert caught.value.field == "path"
    assert words in str(caught.value)


def test_decompression_bomb_is_refused(tmp_path: Path) -> None:
    side = int(MAX_PIXELS**0.5) + 100
    bomb = write_png_bomb(tmp_path / "bomb.png", (side, side))
    with pytest.raises(InvalidInput, match="decompression bomb"):
        prepare_photo(bomb)


def test_bad_quality_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        prepare_photo(_image_bytes((10, 10)), quality=0)
    assert caught.value.field == "quality"
