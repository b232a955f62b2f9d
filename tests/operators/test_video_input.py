"""Videos as people hand them, through the video operators against the emulator
(``dag.test()``): H.264/AAC goes up as it is; HEVC, VP9 and frames too large are refused, or
transcoded with ``transcode=True``; truncated, too long and not-an-MP4 files are refused
either way, before any request and without a retry. The clips are encoded by the tests with
PyAV (the ``[video]`` extra): a few seconds at a few dozen pixels."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pytest
from PIL import Image

from airflow_provider_dm.client.mp4 import inspect_mp4

pytestmark = pytest.mark.usefixtures("demo_connections", "fresh_sessions")

ROUTES = {"dm_emulator": "attachment", "dm_emulator_classic": "classic"}
UPLOAD_PATHS = ("/messenger_video/", "/rupload_igvideo/")


@pytest.fixture
def group(emulator) -> str:
    """The demo seed's group thread."""
    return next(t["thread_id"] for t in emulator.seed()["threads"] if t["title"] == "Weekend plans")


def _uploads(emulator) -> list[dict]:
    """The POSTs that carried video bytes."""
    return [
        r
        for r in emulator.requests()
        if r["method"] == "POST" and any(p in r["path"] for p in UPLOAD_PATHS)
    ]


def _entity_length(request: dict) -> int:
    headers = {k.lower(): v for k, v in request["headers"].items()}
    return int(headers["x-entity-length"])


def _transcodes() -> list[Path]:
    return sorted(Path(tempfile.gettempdir()).glob("dm-transcode-*"))


def test_h264_clip_is_uploaded_as_it_is(write_clip, run_dag, emulator, tmp_path):
    clip = write_clip(tmp_path / "ok.mp4", seconds=2, size=(96, 64))

    out = run_dag("dm_video_upload", {"path": str(clip)})

    upload = out.result("upload")
    assert (upload["width"], upload["height"], upload["duration_ms"]) == (96, 64, 2000)
    assert upload["bytes"] == clip.stat().st_size
    (request,) = _uploads(emulator)
    assert _entity_length(request) == clip.stat().st_size


@pytest.mark.parametrize(("video", "codec"), [("hevc", "hvc1"), ("vp9", "vp09")])
def test_other_codecs_are_refused_without_transcode(
    write_clip, run_dag, emulator, tmp_path, capsys, video, codec
):
    clip = write_clip(tmp_path / f"{video}.mp4", video=video)

    out = run_dag("dm_video_upload", {"path": str(clip)})

    assert out.state_of("upload") == "failed"
    assert out.tries[("upload", -1)] == 1
    logged = capsys.readouterr().out
    assert f"path: video codec '{codec}' is not H.264" in logged
    assert "transcode=True" in logged
    assert emulator.requests() == []


@pytest.mark.parametrize("conn", sorted(ROUTES))
def test_hevc_is_transcoded_and_sent(write_clip, run_dag, emulator, tmp_path, group, conn):
    clip = write_clip(tmp_path / "hevc.mp4", video="hevc", seconds=2, size=(96, 64))
    before = _transcodes()

    out = run_dag(
        "dm_video_send", {"path": str(clip), "transcode": True, "threads": [group], "conn": conn}
    )

    (record,) = out.result("send")
    assert record["status"] == "sent"
    (row,) = emulator.ledger()
    assert row["client_context"] == record["client_context"]
    (request,) = _uploads(emulator)
    assert _entity_length(request) == row["upload"]["bytes"] != clip.stat().st_size
    assert _transcodes() == before


def test_vp9_frame_too_large_is_transcoded_to_h264_within_the_limits(
    write_clip, run_dag, emulator, tmp_path
):
    clip = write_clip(tmp_path / "vp9.mp4", video="vp9", seconds=0.5, size=(2048, 1152), fps=4)

    out = run_dag("dm_video_upload", {"path": str(clip), "transcode": "True"})

    upload = out.result("upload")
    assert (upload["width"], upload["height"]) == (1280, 720)
    assert upload["bytes"] == _entity_length(_uploads(emulator)[0])


def test_rotated_phone_video_keeps_its_orientation(write_clip, run_dag, emulator, tmp_path):
    """A phone stores a portrait video as landscape frames and a 90° matrix in tkhd; the
    transcode turns the frames, so the upload is portrait with no matrix to apply."""
    clip = write_clip(tmp_path / "phone.mp4", video="hevc", size=(96, 64))
    data = bytearray(clip.read_bytes())
    tkhd = data.index(b"tkhd") + 4
    matrix = tkhd + 40
    data[matrix : matrix + 16] = bytes.fromhex(
        "00000000 00010000 00000000 ffff0000".replace(" ", "")
    )
    clip.write_bytes(bytes(data))
    assert inspect_mp4(clip).first("vide").rotation == 90

    out = run_dag("dm_video_upload", {"path": str(clip), "transcode": True})

    assert (out.result("upload")["width"], out.result("upload")["height"]) == (64, 96)


@pytest.mark.parametrize("transcode", [False, True])
def test_truncated_too_long_and_not_mp4_are_refused_either_way(
    write_clip, run_dag, emulator, tmp_path, write_mp4, capsys, transcode
):
    whole = write_clip(tmp_path / "whole.mp4").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole[: len(whole) // 2])
    long = write_mp4(tmp_path / "long.mp4", duration_ms=61_000)
    png = tmp_path / "photo.mp4"
    Image.new("RGB", (32, 32), "red").save(png, "PNG")
    cases = {cut: "path: is truncated", long: "over the 60 s limit", png: "path: is not an MP4"}

    for path, words in cases.items():
        out = run_dag("dm_video_upload", {"path": str(path), "transcode": transcode})

        assert out.state_of("upload") == "failed"
        assert out.tries[("upload", -1)] == 1
        assert words in capsys.readouterr().out
    assert emulator.requests() == []


def test_transcode_without_the_extra_names_it(
    write_clip, run_dag, emulator, tmp_path, capsys, monkeypatch
):
    """PyAV is installed here, so its absence is simulated: ``import av`` fails as it would
    without the extra (the task runs in this process)."""
    clip = write_clip(tmp_path / "hevc.mp4", video="hevc")
    monkeypatch.setitem(sys.modules, "av", None)

    out = run_dag("dm_video_upload", {"path": str(clip), "transcode": True})

    assert out.state_of("upload") == "failed"
    assert out.tries[("upload", -1)] == 1
    logged = capsys.readouterr().out
    assert "transcode: needs PyAV" in logged
    assert "pip install 'airflow-provider-dm[video]'" in logged
    assert emulator.requests() == []


def test_transcode_must_be_true_or_false():
    from airflow_provider_dm.operators import DirectSendVideoOperator, DirectUploadVideoOperator

    with pytest.raises(ValueError, match="transcode: must be True or False, got 'yes'"):
        DirectUploadVideoOperator(task_id="up", path="v.mp4", transcode="yes")
    with pytest.raises(ValueError, match="transcode: must be True or False, got 1"):
        DirectSendVideoOperator(task_id="send", path="v.mp4", threads=["1"], transcode=1)
