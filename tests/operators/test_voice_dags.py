"""The voice operators run as DAGs (``dag.test()``) against the emulator: a voice message from
an M4A and from a WAV (converted with PyAV), uploaded and sent on both media routes and chained
through XCom, checked against the emulator's ledger; bad input fails before any request and is
not retried. The audio files are written by the tests with PyAV."""

from __future__ import annotations

from pathlib import Path

import pytest
from audio_fixture import write_audio

pytestmark = pytest.mark.usefixtures("demo_connections", "fresh_sessions")

ROUTES = {"dm_emulator": "attachment", "dm_emulator_classic": "classic"}
BROADCASTS = {"attachment": "voice_attachment", "classic": "share_voice"}


@pytest.fixture
def demo(emulator) -> dict:
    """The demo seed's group thread and Alice's pk."""
    seed = emulator.seed()
    alice = next(u["pk"] for u in seed["users"] if u["username"] == "alice_demo")
    group = next(t["thread_id"] for t in seed["threads"] if t["title"] == "Weekend plans")
    return {"group": group, "alice": alice}


def _rows(emulator, records: list[dict]) -> list[dict]:
    by_context = {row["client_context"]: row for row in emulator.ledger()}
    assert all(record["status"] == "sent" for record in records), records
    return [by_context[record["client_context"]] for record in records]


@pytest.mark.parametrize("conn", sorted(ROUTES))
def test_a_voice_message_from_an_m4a_is_uploaded_then_sent(
    run_dag, emulator, demo, tmp_path: Path, conn: str
) -> None:
    voice = write_audio(tmp_path / "note.m4a", seconds=2.0, loud=1.0)
    conf = {
        "voice": str(voice),
        "threads": [demo["group"]],
        "recipients": [[demo["alice"]]],
        "conn": conn,
    }

    out = run_dag("dm_voice_upload_then_send", conf)

    assert out.state == "success", out.states
    uploaded = out.result("upload_voice")
    assert (uploaded["kind"], uploaded["route"]) == ("voice", ROUTES[conn])
    assert uploaded["duration_ms"] == 2000 and uploaded["bytes"] == voice.stat().st_size
    assert len(uploaded["waveform"]) == 20
    records = [out.result(task)[0] for task in ("send_voice", "send_voice_by_upload_id")]
    rows = _rows(emulator, records)
    assert {row["kind"] for row in rows} == {BROADCASTS[ROUTES[conn]]}
    for row in rows:
        assert row["upload"]["kind"] == "voice"
        assert row["upload"]["duration_ms"] == 2000
        assert row["upload"]["bytes"] == uploaded["bytes"]
    key = "media_id" if ROUTES[conn] == "attachment" else "upload_id"
    assert {row["upload"][key] for row in rows} == {uploaded[key]}


def test_a_voice_message_from_a_wav_is_converted_and_sent_in_one_task(
    run_dag, emulator, demo, tmp_path: Path
) -> None:
    wav = write_audio(tmp_path / "note.wav", seconds=3.0, loud=1.5)

    out = run_dag("dm_send_voice", {"path": str(wav), "threads": [demo["group"]]})

    assert out.state == "success", out.states
    (row,) = _rows(emulator, out.result("send"))
    assert row["kind"] == "voice_attachment"
    assert row["upload"]["kind"] == "voice"
    assert 2950 <= row["upload"]["duration_ms"] <= 3050
    assert 0 < row["upload"]["bytes"] < wav.stat().st_size
    (posted,) = [r for r in emulator.requests() if "/messenger_audio/" in r["path"]]
    assert posted["headers"]["X-Entity-Type"] == "audio/mp4"


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        ({"path": "note.txt"}, "path: is not audio PyAV can read"),
        ({"upload_id": "1700000000000"}, "upload_id: a voice message is sent with its waveform"),
        ({"upload_id": "1700000000000", "media_id": "5"}, "upload_id: a voice message is sent"),
    ],
)
def test_bad_voice_input_fails_before_any_request_without_retry(
    run_dag, emulator, demo, tmp_path: Path, capsys, conf: dict, message: str
) -> None:
    if "path" in conf:
        text = tmp_path / conf["path"]
        text.write_text("not audio")
        conf = {"path": str(text)}

    out = run_dag("dm_send_voice", {**conf, "threads": [demo["group"]]})

    assert out.state_of("send") == "failed"
    assert out.tries[("send", -1)] == 1, "not retried"
    assert message in capsys.readouterr().out
    assert not any(
        "broadcast" in r["path"] or "messenger" in r["path"] for r in emulator.requests()
    )
    assert emulator.ledger() == []


def test_voice_operators_refuse_photo_options_and_other_uploads_at_parse() -> None:
    from airflow.sdk import DAG

    from airflow_provider_dm.operators import (
        DirectSendVoiceOperator,
        DirectUploadPhotoOperator,
        DirectUploadVoiceOperator,
    )

    with pytest.raises(TypeError, match="takes no quality: they apply to photos only"):
        DirectUploadVoiceOperator(task_id="up", path="note.m4a", quality=80)
    with DAG("voice_chaining_mistakes", schedule=None):
        photo = DirectUploadPhotoOperator(task_id="upload_photo", path="p.jpg")
        with pytest.raises(ValueError, match="upload: comes from upload_photo, a photo upload"):
            DirectSendVoiceOperator(task_id="send", upload=photo.output, threads=["1"])
