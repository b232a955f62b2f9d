"""Photos, videos and voice messages through the same operators on both backends
(``dm_backends_media`` of tests/dags/dm_backends.py): on the official API a photo by public
URL or uploaded from its URL and sent by ``attachment_id``, a video and a voice message
uploaded from their files (multipart ``filedata``); on the private API the same DAG with a
photo file. A URL on the private API and a photo file on the official one are refused before
any request. The emulator never fetches URLs: it checks they are http(s)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from audio_fixture import write_audio
from PIL import Image

from airflow_provider_dm.client.graph import GraphClient
from airflow_provider_dm.emulator.control import EmulatorControl
from airflow_provider_dm.emulator.graph import message_id

PHOTO_URL = "https://cdn.example.com/menu.jpg"


@pytest.fixture
def graph_conn(emulator: EmulatorControl, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """An ``instagram_messaging`` connection ``dm_graph`` holding a fresh token."""
    token = emulator.graph_token()
    monkeypatch.setenv(
        "AIRFLOW_CONN_DM_GRAPH",
        json.dumps(
            {
                "conn_type": "instagram_messaging",
                "host": f"{emulator.url}/graph/",
                "password": token["access_token"],
            }
        ),
    )
    return token


def _partner(emulator: EmulatorControl) -> tuple[dict[str, Any], dict[str, Any]]:
    """A 1:1 thread of the demo account and the person in it."""
    seed = emulator.seed()
    thread = next(t for t in seed["threads"] if not t["is_group"] and not t["pending"])
    person = next(u for u in seed["users"] if u["pk"] == thread["users"][0])
    return thread, person


def _conversation(emulator: EmulatorControl, token: dict[str, Any], username: str) -> str:
    """The conversation id with ``username``, read from the Conversations API."""
    client = GraphClient(token["access_token"], api_url=f"{emulator.url}/graph/")
    return next(t.thread_id for t in client.iter_inbox() if t.users[0].username == username)


def _files(tmp_path: Path, write_mp4: Any) -> dict[str, str]:
    photo = tmp_path / "menu.jpg"
    Image.new("RGB", (900, 700), (200, 30, 30)).save(photo, "JPEG")
    video = write_mp4(tmp_path / "clip.mp4", duration_ms=4200, width=640, height=360)
    voice = write_audio(tmp_path / "note.m4a", seconds=2.0)
    return {"photo_path": str(photo), "video": str(video), "voice": str(voice)}


def test_photos_a_video_and_a_voice_message_on_the_official_backend(
    run_dag, emulator, graph_conn, tmp_path, write_mp4
) -> None:
    thread, person = _partner(emulator)
    emulator.incoming(thread["thread_id"], person["pk"], "send me the menu")  # opens the window
    conversation = _conversation(emulator, graph_conn, person["username"])
    files = _files(tmp_path, write_mp4)
    conf = {
        "conn": "dm_graph",
        "thread_id": conversation,
        "recipient": person["igsid"],
        "photo_url": PHOTO_URL,
        "video": files["video"],
        "voice": files["voice"],
    }

    out = run_dag("dm_backends_media", conf)

    assert out.state == "success", out.states
    photo = out.result("upload_photo")
    assert photo["kind"] == "photo" and photo["route"] == "graph"
    assert photo["media_id"] == photo["upload_id"] and photo["bytes"] is None
    video = out.result("upload_video")
    assert (video["route"], video["duration_ms"], video["width"]) == ("graph", 4200, 640)
    assert video["bytes"] == Path(files["video"]).stat().st_size
    sent = {
        task: out.result(task)[0]
        for task in ("send_photo", "send_photo_at_once", "send_video", "send_voice")
    }
    assert {r["status"] for r in sent.values()} == {"sent"}
    assert {r["thread_id"] for r in sent.values()} == {conversation}
    ledger = emulator.ledger()
    assert {row["backend"] for row in ledger} == {"graph"}
    by_message = {message_id(row["item_id"]): row for row in ledger}
    messages = {task: by_message[r["item_id"]]["fields"] for task, r in sent.items()}
    assert messages["send_photo"] == {
        "attachment": {"type": "image", "payload": {"attachment_id": photo["media_id"]}}
    }
    assert messages["send_photo_at_once"] == {
        "attachment": {"type": "image", "payload": {"url": PHOTO_URL}}
    }
    assert messages["send_video"]["attachment"]["type"] == "video"
    assert messages["send_video"]["attachment"]["payload"] == {"attachment_id": video["media_id"]}
    assert messages["send_voice"]["attachment"]["type"] == "audio"
    uploads = [r for r in emulator.requests() if r["path"].endswith("/message_attachments")]
    files_sent = [r["form"]["filedata"] for r in uploads if "filedata" in r["form"]]
    assert sorted((f["content_type"], f["size"]) for f in files_sent) == [
        ("audio/mp4", Path(files["voice"]).stat().st_size),
        ("video/mp4", Path(files["video"]).stat().st_size),
    ]


def test_the_same_media_dag_runs_on_the_private_backend_with_a_photo_file(
    run_dag, fresh_sessions, emulator, tmp_path, write_mp4
) -> None:
    thread, person = _partner(emulator)
    conf = {
        "conn": "dm_emulator",
        "thread_id": thread["thread_id"],
        "recipient": str(person["pk"]),
        **_files(tmp_path, write_mp4),
    }

    out = run_dag("dm_backends_media", conf)

    assert out.state == "success", out.states
    ledger = emulator.ledger()
    assert {row["backend"] for row in ledger} == {"private"}
    assert sorted(row["kind"] for row in ledger) == [
        "photo_attachment",
        "photo_attachment",
        "raven_attachment",
        "voice_attachment",
    ]


@pytest.mark.parametrize(
    ("conn", "source", "field", "reason"),
    [
        ("dm_emulator", {"photo_url": PHOTO_URL}, "url", "the private API uploads files"),
        ("dm_graph", {"photo_path": "menu.jpg"}, "path", "takes images by public URL only"),
    ],
)
def test_a_photo_source_the_backend_cannot_take_is_refused_before_any_request(
    run_dag, fresh_sessions, emulator, graph_conn, tmp_path, capsys, conn, source, field, reason
) -> None:
    if "photo_path" in source:
        Image.new("RGB", (900, 700)).save(tmp_path / "menu.jpg", "JPEG")
        source = {"photo_path": str(tmp_path / "menu.jpg")}
    before = len(emulator.requests())

    out = run_dag("dm_backends_photo", {"conn": conn, "thread_id": "340282366841710300", **source})

    assert out.state == "failed"
    for task in ("upload_photo", "send_photo"):
        assert out.state_of(task) == "failed"
        assert out.tries[(task, -1)] == 1, "bad input is not retried"
    assert len(emulator.requests()) == before
    assert emulator.ledger() == []
    logs = capsys.readouterr().out
    assert f"{field}: DirectUploadPhotoOperator cannot" in logs
    assert f"{field}: DirectSendPhotoOperator cannot" in logs
    assert reason in logs


@pytest.mark.parametrize(
    ("conn", "route", "made_on"),
    [("dm_emulator", "graph", "the official API"), ("dm_graph", "attachment", "the private API")],
)
def test_an_upload_from_the_other_backend_is_refused_before_any_request(
    run_dag, fresh_sessions, emulator, graph_conn, capsys, conn, route, made_on
) -> None:
    upload = {"upload_id": "1000000000000042", "media_id": "1000000000000042"}
    conf = {
        "conn": conn,
        "thread_id": "340282366841710300",
        "upload": {**upload, "kind": "photo", "route": route},
    }
    before = len(emulator.requests())

    out = run_dag("dm_backends_upload", conf)

    assert out.state == "failed"
    assert out.tries[("send_photo", -1)] == 1, "bad input is not retried"
    assert len(emulator.requests()) == before
    assert f"upload: is an upload on {made_on}" in capsys.readouterr().out
