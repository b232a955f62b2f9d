"""Every photo format a phone or an editor writes, through ``prepare_photo`` and through the
upload operator against the emulator: JPEG, PNG, WebP, AVIF, HEIC, TIFF, GIF; EXIF orientation,
ICC profiles and alpha in each; the 200 MP JPEG and the 80 MP RGBA PNG within 150 MB of peak
memory (measured in a process of their own); the gigapixel bomb refused with the one limit.

Files are written by the tests (Pillow, pillow-heif, photo_fixtures.py); the big ones once per
session, in a temporary folder."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from photo_fixtures import (
    BIG_JPEG_SIZE,
    BIG_PNG_SIZE,
    swapped_rgb_profile,
    write_png_bomb,
)
from PIL import Image

from airflow_provider_dm.client import png_strips
from airflow_provider_dm.client.errors import InvalidInput
from airflow_provider_dm.client.media import prepare_photo
from airflow_provider_dm.client.photo_open import HEIF_EXTRA, MAX_PIXELS, open_photo

pillow_heif = pytest.importorskip("pillow_heif")
pillow_heif.register_heif_opener()

FIXTURES = Path(__file__).parent / "photo_fixtures.py"
MEMORY_BOUND_MIB = 150
FORMATS = ["JPEG", "PNG", "WEBP", "AVIF", "HEIF", "TIFF"]
ALPHA_FORMATS = ["PNG", "WEBP", "AVIF", "HEIF", "TIFF"]
RED, BLUE = (220, 30, 30), (30, 30, 220)


def _two_halves(mode: str = "RGB") -> Image.Image:
    """1200x900: red left half, blue right half."""
    image = Image.new(mode, (1200, 900), RED + (255,) * (mode == "RGBA"))
    image.paste(BLUE + (255,) * (mode == "RGBA"), (600, 0, 1200, 900))
    return image


def _save(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _result(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(prepare_photo(data).jpeg))
    image.load()
    return image


def _near(pixel: tuple[int, ...], expected: tuple[int, int, int], slack: int = 40) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(pixel, expected, strict=False))


@pytest.mark.parametrize("fmt", FORMATS)
def test_exif_orientation_is_applied(fmt: str) -> None:
    # Orientation 6 shows the stored image turned a quarter clockwise: red on top, blue below.
    exif = Image.Exif()
    exif[0x0112] = 6
    image = _result(_save(_two_halves(), fmt, exif=exif.tobytes()))
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (864, 1080))
    assert _near(image.getpixel((432, 100)), RED)
    assert _near(image.getpixel((432, 980)), BLUE)


@pytest.mark.parametrize("fmt", FORMATS)
def test_icc_profile_is_converted_to_srgb(fmt: str) -> None:
    # The profile's red primary is sRGB's blue: stored red must come out blue.
    image = _result(_save(_two_halves(), fmt, icc_profile=swapped_rgb_profile()))
    left, right = image.getpixel((100, 400)), image.getpixel((1000, 400))
    assert left[2] > 150 > left[0], left
    assert right[0] > 150 > right[2], right


@pytest.mark.parametrize("fmt", ALPHA_FORMATS)
def test_alpha_is_flattened_on_white(fmt: str) -> None:
    image = _two_halves("RGBA")
    image.paste((0, 0, 0, 0), (0, 0, 1200, 450))
    result = _result(_save(image, fmt))
    assert _near(result.getpixel((300, 100)), (255, 255, 255), 10)
    assert _near(result.getpixel((300, 700)), RED)


def test_gif_transparency_is_flattened_on_white() -> None:
    image = _two_halves().convert("P")
    image.paste(image.getpixel((0, 0)), (0, 0, 600, 900))
    result = _result(_save(image, "GIF", transparency=image.getpixel((0, 0))))
    assert _near(result.getpixel((100, 400)), (255, 255, 255), 10)
    assert _near(result.getpixel((1000, 400)), BLUE)


def test_heic_without_the_extra_names_it(tmp_path: Path) -> None:
    # pillow-heif is installed here; the process below hides it, as on an install without it.
    path = tmp_path / "photo.heic"
    path.write_bytes(_save(_two_halves(), "HEIF"))
    code = (
        "import sys; sys.modules['pillow_heif'] = None\n"
        "from airflow_provider_dm.client.errors import InvalidInput\n"
        "from airflow_provider_dm.client.media import prepare_photo\n"
        "try:\n"
        f"    prepare_photo({str(path)!r})\n"
        "except InvalidInput as exc:\n"
        "    print(exc.field, exc.problem)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.startswith("path is a HEIC/HEIF photo")
    assert HEIF_EXTRA in out


@pytest.fixture(scope="session")
def big_photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The 200 MP JPEG and the 80 MP RGBA PNG, each written by a process of its own."""
    folder = tmp_path_factory.mktemp("big-photos")
    paths = {"big_jpeg": folder / "200mp.jpg", "big_png": folder / "80mp.png"}
    for kind, path in paths.items():
        subprocess.run([sys.executable, str(FIXTURES), kind, str(path)], check=True, timeout=120)
    return paths


def _prepare_in_subprocess(path: Path) -> dict:
    """``prepare_photo(path)`` in a fresh process: its output size and peak RSS growth."""
    code = (
        "import json, resource, sys\n"
        "from airflow_provider_dm.client.media import prepare_photo\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "photo = prepare_photo(sys.argv[1])\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "sys.stdout.buffer.write(photo.jpeg)\n"
        "sys.stderr.write(json.dumps({'growth_mib': (after - before) / 1024}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, check=True, timeout=120
    )
    return {"image": Image.open(io.BytesIO(done.stdout)), **json.loads(done.stderr)}


def _claimed(path: Path) -> tuple[tuple[int, int], str]:
    """Size and mode from the file's header (Pillow's own ``open`` refuses 200 MP)."""
    with path.open("rb") as handle:
        image = open_photo(handle, "path")
        return image.size, image.mode


def test_200_mp_jpeg_is_accepted_within_150_mb(big_photos: dict[str, Path]) -> None:
    assert _claimed(big_photos["big_jpeg"]) == (BIG_JPEG_SIZE, "RGB")
    out = _prepare_in_subprocess(big_photos["big_jpeg"])
    # Stored 16,320x12,240 with orientation 6: shown 12,240x16,320, taller than 4:5, cropped.
    assert out["image"].size == (864, 1080)
    assert out["growth_mib"] <= MEMORY_BOUND_MIB, out["growth_mib"]


def test_80_mp_rgba_png_is_decoded_by_strips_within_150_mb(big_photos: dict[str, Path]) -> None:
    assert _claimed(big_photos["big_png"]) == (BIG_PNG_SIZE, "RGBA")
    out = _prepare_in_subprocess(big_photos["big_png"])
    image = out["image"]
    assert image.size == (1080, 810)
    assert out["growth_mib"] <= MEMORY_BOUND_MIB, out["growth_mib"]
    # Red opaque left, blue at half alpha over white on the right, transparent band = white.
    assert _near(image.getpixel((200, 300)), RED)
    assert _near(image.getpixel((900, 300)), (142, 142, 237), 12)
    assert _near(image.getpixel((540, 800)), (255, 255, 255), 10)


def test_gigapixel_bomb_is_refused_with_the_one_limit(tmp_path: Path) -> None:
    bomb = write_png_bomb(tmp_path / "bomb.png")
    assert bomb.stat().st_size < 1000
    with pytest.raises(InvalidInput) as refused:
        prepare_photo(bomb)
    assert refused.value.field == "path"
    assert refused.value.problem == (
        f"image of 40000x25000 = 1,000,000,000 pixels is over the limit of {MAX_PIXELS:,} "
        "pixels (a decompression bomb?)"
    )


@pytest.mark.usefixtures("demo_connections", "fresh_sessions")
def test_heic_and_200_mp_jpeg_upload_through_the_operator(
    run_dag, emulator, big_photos: dict[str, Path], tmp_path: Path
) -> None:
    heic = tmp_path / "photo.heic"
    heic.write_bytes(_save(_two_halves(), "HEIF"))
    for path, size in ((heic, (1080, 810)), (big_photos["big_jpeg"], (864, 1080))):
        out = run_dag("dm_photo_formats", {"path": str(path)})
        assert out.state_of("upload") == "success", path
        result = out.result("upload")
        assert (result["kind"], result["width"], result["height"]) == ("photo", *size)


@pytest.mark.usefixtures("demo_connections", "fresh_sessions")
def test_bomb_through_the_operator_fails_without_retry_or_request(
    run_dag, emulator, tmp_path: Path
) -> None:
    bomb = write_png_bomb(tmp_path / "bomb.png")
    out = run_dag("dm_photo_formats", {"path": str(bomb)})
    assert out.state_of("upload") == "failed"
    assert out.tries[("upload", -1)] == 1, "not retried"
    assert not [r for r in emulator.requests() if "upload" in r["path"] or "image" in r["path"]]


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA"])
def test_png_strips_equal_a_whole_decode(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Strips of ~50 kB, so that rows filtered against the row above cross many strip edges.
    monkeypatch.setattr(png_strips, "_STRIP_BYTES", 50_000)
    bands = [Image.effect_noise((1003, 777), 60) for _ in mode]
    data = _save(Image.merge(mode, bands), "PNG")
    whole = Image.open(io.BytesIO(data)).reduce(3)
    assert png_strips.reduce_png(io.BytesIO(data), 3).tobytes() == whole.tobytes()


def test_truncated_big_png_is_refused_naming_path(tmp_path: Path) -> None:
    # 2,400x1,800: reduced by 2 while decoding, so it goes through the strip decoder.
    band = Image.linear_gradient("L").resize((2400, 1800))
    data = _save(Image.merge("RGBA", [band, band.rotate(90), band, band]), "PNG")
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidInput, match="truncated PNG") as refused:
        prepare_photo(path)
    assert refused.value.field == "path"
