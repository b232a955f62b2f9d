"""The MP4 box reader and the checks before a video upload: MP4s written box by box, and real
H.264, HEVC and VP9 clips encoded with PyAV by the tests (no binary fixtures in the repository).
"""

from __future__ import annotations

import struct
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from mp4_fixture import write_mp4
from PIL import Image

from airflow_provider_dm.client.errors import InvalidInput
from airflow_provider_dm.client.mp4 import inspect_mp4, read_mp4
from airflow_provider_dm.client.video_limits import MAX_BYTES, MAX_DURATION_MS, check_video


@pytest.fixture(scope="module")
def clip() -> Callable[..., Path]:
    """PyAV's clip writer (the ``[video]`` extra)."""
    pytest.importorskip("av")
    from av_fixture import write_clip

    return write_clip


def _refused(path: Path) -> str:
    with pytest.raises(InvalidInput) as caught:
        check_video(path)
    assert caught.value.field == "path"
    return caught.value.problem


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, (3000, 640, 360)),
        ({"moov_first": True, "duration_ms": 12345, "timescale": 90000}, (12345, 640, 360)),
        ({"version": 1, "width": 1920, "height": 1080}, (3000, 1920, 1080)),
        ({"rotation": 90, "width": 1920, "height": 1080}, (3000, 1080, 1920)),
    ],
)
def test_read_mp4(tmp_path: Path, kwargs: dict, expected: tuple[int, int, int]) -> None:
    path = write_mp4(tmp_path / "v.mp4", **kwargs)
    info = read_mp4(path)
    assert (info.duration_ms, info.width, info.height) == expected
    assert info.bytes == path.stat().st_size


def test_read_mp4_of_1gib_costs_no_memory(tmp_path: Path) -> None:
    path = write_mp4(tmp_path / "big.mp4", mdat_bytes=1 << 30, sparse=True)
    tracemalloc.start()
    info = read_mp4(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert info.bytes > 1 << 30
    assert peak < 256 * 1024


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\x00\x00\x00\x10ftypqt  \x00\x00\x02\x00", "no moov box"),
        (b"\x00\x00\x00\x18ftypqt  ", "truncated"),
        (b"GIF89a" + bytes(100), "not an MP4"),
        (b"", "not an MP4"),
    ],
)
def test_bad_videos_are_refused(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "bad.mp4"
    path.write_bytes(content)
    with pytest.raises(InvalidInput) as caught:
        read_mp4(path)
    assert caught.value.field == "path"
    assert words in str(caught.value)


def test_missing_video_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        read_mp4(tmp_path / "absent.mp4")


def test_h264_aac_clip_passes(tmp_path: Path, clip: Callable[..., Path]) -> None:
    path = clip(tmp_path / "ok.mp4", seconds=2, size=(96, 64))
    info = check_video(path)
    assert (info.duration_ms, info.width, info.height) == (2000, 96, 64)
    facts = inspect_mp4(path)
    assert [(t.handler, t.codec) for t in facts.tracks] == [("vide", "avc1"), ("soun", "mp4a")]
    assert max(t.samples_end for t in facts.tracks) <= info.bytes


@pytest.mark.parametrize(
    ("kwargs", "codec"),
    [({"video": "hevc"}, "'hvc1'"), ({"video": "vp9"}, "'vp09'"), ({"audio": "libopus"}, "'Opus'")],
)
def test_other_codecs_are_refused_by_name(
    tmp_path: Path, clip: Callable[..., Path], kwargs: dict, codec: str
) -> None:
    problem = _refused(clip(tmp_path / "v.mp4", **kwargs))
    assert f"codec {codec}" in problem


@pytest.mark.parametrize("faststart", [True, False])
def test_truncated_clip_is_refused(
    tmp_path: Path, clip: Callable[..., Path], faststart: bool
) -> None:
    whole = clip(tmp_path / "whole.mp4", faststart=faststart).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    assert "truncated" in _refused(cut)


def test_samples_past_the_end_are_refused(tmp_path: Path, clip: Callable[..., Path]) -> None:
    """A copy cut short whose mdat header was rewritten to fit: only the sample tables
    (stco + stsc + stsz) show that samples are missing."""
    data = bytearray(clip(tmp_path / "whole.mp4").read_bytes())
    mdat = data.index(b"mdat") - 4
    del data[len(data) - 500 :]
    data[mdat : mdat + 4] = struct.pack(">I", len(data) - mdat)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(bytes(data))
    problem = _refused(cut)
    assert "truncated: track" in problem
    assert f"file has {len(data)} bytes" in problem


def test_png_named_mp4_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "photo.mp4"
    Image.new("RGB", (32, 32), "red").save(path, "PNG")
    assert "is not an MP4" in _refused(path)


def test_written_tables_pass(tmp_path: Path) -> None:
    for moov_first in (True, False):
        path = write_mp4(tmp_path / "v.mp4", moov_first=moov_first, mdat_bytes=10_000)
        assert check_video(path).bytes == path.stat().st_size


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"video_codec": b"hev1"}, "video codec 'hev1' is not H.264"),
        ({"video_codec": b"av01"}, "video codec 'av01' is not H.264"),
        ({"audio_codec": b"ac-3"}, "audio codec 'ac-3' is not AAC"),
        ({"duration_ms": MAX_DURATION_MS + 1000}, f"over the {MAX_DURATION_MS // 1000} s limit"),
        ({"width": 3840, "height": 2160}, "frame of 3840x2160 is over the 1920-pixel long side"),
        ({"mdat_bytes": MAX_BYTES + 1, "sparse": True}, f"over the {MAX_BYTES}-byte limit"),
        ({"moov_first": True, "cut_bytes": 100}, "is truncated: its mdat box"),
        ({"cut_bytes": 100}, "is truncated: its mdat box at byte 32"),
    ],
)
def test_written_files_outside_the_limits_are_refused(
    tmp_path: Path, kwargs: dict, words: str
) -> None:
    assert words in _refused(write_mp4(tmp_path / "v.mp4", **kwargs))


def test_large_sample_table_file_reads_with_64_bit_offsets(tmp_path: Path) -> None:
    path = write_mp4(
        tmp_path / "big.mp4", mdat_bytes=(1 << 32) + 4096, sparse=True, moov_first=True
    )
    facts = inspect_mp4(path)
    assert max(t.samples_end for t in facts.tracks) == path.stat().st_size


def test_audio_only_mp4_reads_without_a_video_track(tmp_path: Path) -> None:
    """An M4A (voice note) has only a sound track: read when no video is needed."""
    path = write_mp4(tmp_path / "voice.m4a", width=0, height=0)
    with pytest.raises(InvalidInput, match="no video track"):
        inspect_mp4(path)
    facts = inspect_mp4(path, need_video=False)
    assert (facts.info.width, facts.info.height, facts.info.duration_ms) == (0, 0, 3000)
    assert [t.codec for t in facts.tracks] == ["mp4a", "avc1"]
