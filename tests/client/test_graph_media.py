"""Media on the official Messaging API, client and emulator: the Send API attachment of a
photo, video or voice item (by URL or by ``attachment_id``), the attachment upload from a
URL and from a file (multipart ``filedata``), and the limits of official-api.md §2, checked
by the client before any request and by the emulator's ``message_attachments``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from audio_fixture import write_audio
from mp4_fixture import write_mp4

from airflow_provider_dm.client.errors import InvalidInput
from airflow_provider_dm.client.graph import GraphClient
from airflow_provider_dm.client.items import Photo, Video, Voice
from airflow_provider_dm.emulator.control import EmulatorControl

MB = 1024 * 1024


@pytest.fixture
def client(emulator: EmulatorControl) -> GraphClient:
    """A Graph client of the demo account against the emulator."""
    token = emulator.graph_token()
    return GraphClient(token["access_token"], api_url=f"{emulator.url}/graph/")


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            Photo(url="https://cdn.example.com/a.jpg"),
            {"type": "image", "payload": {"url": "https://cdn.example.com/a.jpg"}},
        ),
        (
            Video(upload_id="1000000000000042", media_id="1000000000000042", duration_ms=900),
            {"type": "video", "payload": {"attachment_id": "1000000000000042"}},
        ),
        (
            Voice(upload_id="1000000000000043", media_id="1000000000000043"),
            {"type": "audio", "payload": {"attachment_id": "1000000000000043"}},
        ),
    ],
)
def test_a_media_item_becomes_one_send_api_attachment(item: Any, message: dict) -> None:
    client = GraphClient("token", api_url="http://127.0.0.1:9/graph/", ig_user_id="1")

    assert client.message_body(item) == {"attachment": message}


@pytest.mark.parametrize(
    ("build", "field", "reason"),
    [
        (lambda: Photo(url="ftp://cdn.example.com/a.jpg"), "url", "public http(s) URL"),
        (lambda: Photo("17", url="https://cdn.example.com/a.jpg"), "url", "or upload_id"),
        (lambda: Photo(url="https://x.example/a.jpg").broadcast(), "url", "give path"),
        (lambda: Voice("17", media_id="18").broadcast(), "waveform", "is empty"),
        (
            lambda: GraphClient("t", ig_user_id="1").message_body(Photo("17")),
            "upload_id",
            "attachment_id",
        ),
    ],
)
def test_media_items_are_refused_naming_the_field(build: Any, field: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        build()
    assert caught.value.field == field
    assert reason in str(caught.value)


def test_an_upload_from_a_url_is_sent_by_its_attachment_id(
    client: GraphClient, emulator: EmulatorControl
) -> None:
    upload = client.upload_url("voice", "https://cdn.example.com/note.m4a")

    assert (upload.kind, upload.route, upload.bytes) == ("voice", "graph", None)
    assert upload.media_id == upload.upload_id
    assert Voice.from_upload(upload.to_dict()).media_id == upload.media_id
    (call,) = [r for r in emulator.requests() if r["path"].endswith("/message_attachments")]
    assert call["form"]["message"] == {
        "attachment": {
            "type": "audio",
            "payload": {"url": "https://cdn.example.com/note.m4a", "is_reusable": True},
        }
    }


def test_a_video_and_a_voice_file_are_uploaded_as_filedata(
    client: GraphClient, emulator: EmulatorControl, tmp_path: Path
) -> None:
    video = write_mp4(tmp_path / "clip.mp4", duration_ms=2500, width=480, height=270)
    voice = write_audio(tmp_path / "note.m4a", seconds=1.5)

    clip = client.upload_video(video)
    note = client.upload_voice(voice)

    assert (clip.width, clip.height, clip.duration_ms) == (480, 270, 2500)
    assert clip.bytes == video.stat().st_size
    assert (note.duration_ms, note.bytes) == (1500, voice.stat().st_size)
    assert note.waveform, "kept from the local check, as on the private API"
    files = [
        r["form"]["filedata"]
        for r in emulator.requests()
        if r["path"].endswith("/message_attachments")
    ]
    assert [(f["content_type"], f["size"]) for f in files] == [
        ("video/mp4", video.stat().st_size),
        ("audio/mp4", note.bytes),
    ]


@pytest.mark.parametrize(
    ("upload", "field", "reason"),
    [
        (lambda c, tmp: c.upload_photo(tmp / "a.jpg"), "path", "public URL only"),
        (lambda c, tmp: c.upload_video(tmp / "clip.mkv"), "path", "must be one of"),
        (lambda c, tmp: c.upload_video(tmp / "none.mp4"), "path", "no such file"),
        (
            lambda c, tmp: c.upload_video(
                write_mp4(tmp / "big.mp4", mdat_bytes=26 * MB, sparse=True)
            ),
            "path",
            "at most 25 MB",
        ),
        (lambda c, tmp: c.upload_url("photo", "file:///etc/hosts"), "url", "http(s) URL"),
    ],
)
def test_what_the_upload_cannot_take_is_refused_before_any_request(
    client: GraphClient,
    emulator: EmulatorControl,
    tmp_path: Path,
    upload: Any,
    field: str,
    reason: str,
) -> None:
    before = len(emulator.requests())

    with pytest.raises(InvalidInput) as caught:
        upload(client, tmp_path)

    assert caught.value.field == field
    assert reason in str(caught.value)
    assert len(emulator.requests()) == before


def _post_file(
    emulator: EmulatorControl, kind: str, content_type: str, size: int, **payload: Any
) -> requests.Response:
    token = emulator.graph_token()
    message = {"attachment": {"type": kind, "payload": {"is_reusable": True, **payload}}}
    return requests.post(
        f"{emulator.url}/graph/v26.0/me/message_attachments",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        data={"message": json.dumps(message)},
        files={"filedata": ("f", b"\0" * size, content_type)},
        timeout=30,
    )


@pytest.mark.parametrize(
    ("kind", "content_type", "size", "payload", "reason"),
    [
        ("image", "image/jpeg", 1000, {}, "by payload.url only"),
        ("audio", "audio/ogg", 1000, {}, "not a supported audio type"),
        ("video", "video/mp4", 25 * MB + 1, {}, "at most 26214400"),
        ("video", "video/mp4", 0, {}, "is empty"),
        ("audio", "audio/mp4", 10, {"url": "https://x.example/a.m4a"}, "not both"),
    ],
)
def test_the_emulator_takes_audio_and_video_files_within_the_limits(
    emulator: EmulatorControl, kind: str, content_type: str, size: int, payload: dict, reason: str
) -> None:
    answer = _post_file(emulator, kind, content_type, size, **payload)

    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == 100 and reason in error["message"]


def test_the_emulator_takes_an_audio_file_of_25_mb(emulator: EmulatorControl) -> None:
    answer = _post_file(emulator, "audio", "audio/mp4", 25 * MB)

    assert answer.status_code == 200
    assert answer.json()["attachment_id"].isdigit()
