"""Uploads of photos and videos on both media routes, against the emulator over HTTP:
resume after a dropped connection, transcode waits, progress, refusals before any request."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import pytest
from mp4_fixture import write_mp4
from PIL import Image

from airflow_provider_dm.client import DirectClient
from airflow_provider_dm.client.broadcast import send
from airflow_provider_dm.client.errors import DirectError, InvalidInput
from airflow_provider_dm.client.items import Photo, Video
from airflow_provider_dm.client.media import prepare_photo
from airflow_provider_dm.client.upload import TranscodeWait, upload_photo, upload_video
from airflow_provider_dm.emulator.control import EmulatorControl

FAST = TranscodeWait(attempts=10, first_delay=0.01, max_delay=0.05)


@pytest.fixture
def client(emulator: EmulatorControl) -> DirectClient:
    client = DirectClient(api_url=emulator.url + "/api/v1/", upload_url=emulator.url + "/")
    client.login("airflow_demo", "demo-password")
    return client


def _requests(emulator: EmulatorControl, fragment: str) -> list[dict]:
    return [r for r in emulator.requests() if fragment in r["path"]]


def _header(record: dict, name: str) -> str | None:
    found = {k.lower(): v for k, v in record["headers"].items()}
    return found.get(name.lower())


def _png(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 255, 255)).save(buffer, "PNG")
    return buffer.getvalue()


def _first_thread(emulator: EmulatorControl) -> str:
    return str(emulator.seed()["threads"][0]["thread_id"])


@pytest.mark.parametrize(
    ("route", "path"), [("attachment", "/messenger_image/"), ("classic", "/rupload_igphoto/")]
)
def test_photo_upload_and_send(client, emulator, route: str, path: str) -> None:
    upload = upload_photo(client.transport, _png((2000, 1000)), route=route)
    assert (upload.kind, upload.route, upload.width, upload.height) == ("photo", route, 1080, 565)
    assert (upload.media_id is not None) == (route == "attachment")
    (posted,) = _requests(emulator, path)
    assert posted["method"] == "POST" and posted["status"] == 200
    assert _header(posted, "X-Entity-Length") == str(upload.bytes)
    assert _header(posted, "X-Entity-Type") == "image/jpeg"
    if route == "attachment":
        assert _header(posted, "X-IG-App-ID") is None

    (result,) = send(
        client.transport, Photo.from_upload(upload), threads=[_first_thread(emulator)], route=route
    )
    assert result.status == "sent", result.error
    (row,) = emulator.ledger()
    assert row["kind"] == ("photo_attachment" if route == "attachment" else "configure_photo")
    assert (row["upload"]["width"], row["upload"]["height"]) == (1080, 565)
    assert row["upload"]["bytes"] == upload.bytes


def test_prepared_photo_is_uploaded_as_it_is(client, emulator) -> None:
    photo = prepare_photo(_png((300, 200)), quality=40)
    upload = upload_photo(client.transport, photo, quality=40)
    assert (upload.width, upload.height, upload.bytes) == (
        photo.width,
        photo.height,
        len(photo.jpeg),
    )
    (posted,) = _requests(emulator, "/messenger_image/")
    assert _header(posted, "Content-Length") == str(len(photo.jpeg))


@pytest.mark.parametrize(
    ("route", "path"), [("attachment", "/messenger_video/"), ("classic", "/rupload_igvideo/")]
)
def test_video_upload_streams_in_chunks_and_sends(
    client, emulator, tmp_path: Path, route: str, path: str
) -> None:
    video = write_mp4(
        tmp_path / "clip.mp4", duration_ms=4200, width=720, height=1280, mdat_bytes=300_000
    )
    seen: list[tuple[int, int]] = []
    upload = upload_video(
        client.transport,
        video,
        route=route,
        chunk_size=64 * 1024,
        progress=lambda sent, total: seen.append((sent, total)),
        transcode_wait=FAST,
    )
    size = video.stat().st_size
    assert (upload.kind, upload.duration_ms, upload.width, upload.height, upload.bytes) == (
        "video",
        4200,
        720,
        1280,
        size,
    )
    assert len(seen) == -(-size // (64 * 1024))
    assert seen[-1] == (size, size)
    probe, posted = _requests(emulator, path)
    assert (probe["method"], posted["method"]) == ("GET", "POST")
    # a sized body: one Content-Length, no chunked transfer encoding
    assert _header(posted, "Content-Length") == str(size)
    assert _header(posted, "Transfer-Encoding") is None

    (result,) = send(
        client.transport,
        Video.from_upload(upload),
        threads=[_first_thread(emulator)],
        route=route,
        transcode_wait=FAST,
    )
    assert result.status == "sent", result.error
    (row,) = emulator.ledger()
    assert row["kind"] == ("raven_attachment" if route == "attachment" else "configure_video")
    assert row["upload"]["duration_ms"] == 4200
    if route == "attachment":
        assert row["fields"]["length"] == 4.2


def test_classic_video_waits_out_transcode(client, emulator, tmp_path: Path) -> None:
    video = write_mp4(tmp_path / "clip.mp4")
    upload_video(client.transport, video, route="classic", transcode_wait=FAST)
    statuses = [r["status"] for r in _requests(emulator, "media/upload_finish")]
    assert statuses[-1] == 200
    assert 202 in statuses


def test_transcode_wait_is_bounded(client, emulator, tmp_path: Path) -> None:
    video = write_mp4(tmp_path / "clip.mp4")
    with pytest.raises(Exception, match="Transcode not finished"):
        upload_video(
            client.transport,
            video,
            route="classic",
            transcode_wait=TranscodeWait(attempts=0, first_delay=0.01),
        )


@pytest.mark.parametrize(
    ("route", "path"), [("attachment", "/messenger_video/"), ("classic", "/rupload_igvideo/")]
)
def test_video_upload_resumes_after_a_dropped_connection(
    client, emulator, tmp_path: Path, route: str, path: str
) -> None:
    video = write_mp4(tmp_path / "clip.mp4", mdat_bytes=200_000)
    emulator.add_fault("POST", path, "drop", times=2, after_bytes=70_000)
    upload = upload_video(
        client.transport, video, route=route, chunk_size=32 * 1024, transcode_wait=FAST
    )
    logged = _requests(emulator, path)
    assert [r["method"] for r in logged] == ["GET", "POST"] * 3
    posts = [r for r in logged if r["method"] == "POST"]
    assert [int(_header(r, "Offset") or -1) for r in posts] == [0, 70_000, 140_000]
    size = video.stat().st_size
    assert [int(_header(r, "Content-Length") or -1) for r in posts] == [
        size,
        size - 70_000,
        size - 140_000,
    ]
    assert upload.bytes == video.stat().st_size
    (result,) = send(
        client.transport,
        Video.from_upload(upload),
        threads=[_first_thread(emulator)],
        route=route,
        transcode_wait=FAST,
    )
    assert result.status == "sent", result.error
    assert emulator.ledger()[0]["upload"]["bytes"] == upload.bytes


def test_video_upload_gives_up_after_bounded_attempts(client, emulator, tmp_path: Path) -> None:
    video = write_mp4(tmp_path / "clip.mp4")
    emulator.add_fault("POST", "/messenger_video/", "drop", times=10)
    with pytest.raises(Exception):  # noqa: B017 - whichever transport error a drop maps to
        upload_video(client.transport, video, resume_attempts=2)
    gets = [r for r in _requests(emulator, "/messenger_video/") if r["method"] == "GET"]
    assert len(gets) == 3


def test_a_video_that_shrinks_during_the_upload_fails_clearly(
    client, emulator, tmp_path: Path
) -> None:
    video = write_mp4(tmp_path / "clip.mp4", mdat_bytes=1024 * 1024)

    def truncate(sent: int, total: int) -> None:
        with open(video, "r+b") as handle:
            handle.truncate(sent)

    with pytest.raises(DirectError, match=r"the file ended at byte \d+ of \d+"):
        upload_video(client.transport, video, chunk_size=64 * 1024, progress=truncate)
    assert emulator.ledger() == []


def test_video_upload_memory_stays_flat(client, emulator, tmp_path: Path) -> None:
    video = write_mp4(tmp_path / "big.mp4", mdat_bytes=48 * 1024 * 1024)
    tracemalloc.start()
    upload_video(client.transport, video, chunk_size=1024 * 1024)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # The emulator runs in this process too, so its buffers count here; the file is 48 MiB.
    assert peak < 24 * 1024 * 1024


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda t, p: upload_photo(t, b"not an image"), "path"),
        (lambda t, p: upload_photo(t, p / "missing.jpg"), "path"),
        (lambda t, p: upload_photo(t, _png((10, 10)), route="fax"), "route"),
        (lambda t, p: upload_video(t, p / "missing.mp4"), "path"),
        (lambda t, p: upload_video(t, _write(p / "x.mp4", b"RIFF....AVI LIST")), "path"),
        (lambda t, p: upload_video(t, _write(p / "x.mov", b"\x00\x00\x00\x08free")), "path"),
    ],
)
def test_bad_uploads_are_refused_before_any_request(
    client, emulator, tmp_path: Path, call, field: str
) -> None:
    before = len(emulator.requests())
    with pytest.raises(InvalidInput) as caught:
        call(client.transport, tmp_path)
    assert caught.value.field == field
    assert len(emulator.requests()) == before


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path
