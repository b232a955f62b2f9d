"""Voice messages: preparation (M4A kept, other audio converted with PyAV, duration and
waveform from the audio, limits), the ``Voice`` item on both routes, and upload plus send
against the emulator over HTTP. The audio files are written by the tests with PyAV."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import av
import pytest
from audio_fixture import write_audio
from mp4_fixture import write_mp4

from airflow_provider_dm.client import DirectClient
from airflow_provider_dm.client.audio import MAX_DURATION_MS, prepare_voice
from airflow_provider_dm.client.broadcast import send
from airflow_provider_dm.client.errors import InvalidInput
from airflow_provider_dm.client.items import Voice
from airflow_provider_dm.client.media_kinds import MEDIA_KINDS, media_kind
from airflow_provider_dm.client.upload import TranscodeWait, Upload, upload_voice
from airflow_provider_dm.emulator.control import EmulatorControl

FAST = TranscodeWait(attempts=10, first_delay=0.01, max_delay=0.05)


@pytest.fixture
def client(emulator: EmulatorControl) -> DirectClient:
    client = DirectClient(api_url=emulator.url + "/api/v1/", upload_url=emulator.url + "/")
    client.login("airflow_demo", "demo-password")
    return client


@pytest.fixture
def without_pyav(monkeypatch: pytest.MonkeyPatch) -> None:
    """PyAV is installed here, so its absence is simulated: ``import av`` then fails the way
    it does on a machine without the ``[video]`` extra."""
    monkeypatch.setitem(sys.modules, "av", None)


def _loud_then_silent(waveform: tuple[float, ...]) -> None:
    assert len(waveform) == 20
    assert min(waveform[1:9]) > 0.5
    assert max(waveform[12:]) < 0.1


def test_an_m4a_is_kept_as_it_is_with_duration_and_waveform(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "note.m4a", seconds=2.0, loud=1.0)
    voice = prepare_voice(path)
    assert voice.m4a == path.read_bytes() and not voice.converted
    assert voice.duration_ms == 2000 and voice.bytes == path.stat().st_size
    _loud_then_silent(voice.waveform)


@pytest.mark.parametrize("suffix", ["wav", "mp3", "ogg"])
def test_other_audio_is_converted_to_aac_in_m4a(tmp_path: Path, suffix: str) -> None:
    voice = prepare_voice(write_audio(tmp_path / f"note.{suffix}", seconds=2.0, loud=1.0))
    assert voice.converted and voice.m4a[4:8] == b"ftyp"
    converted = tmp_path / "converted.m4a"
    converted.write_bytes(voice.m4a)
    with av.open(str(converted)) as container:
        (stream,) = container.streams
        assert stream.type == "audio" and stream.codec_context.name == "aac"
    assert 1950 <= voice.duration_ms <= 2050
    _loud_then_silent(voice.waveform)


@pytest.mark.usefixtures("without_pyav")
def test_without_pyav_an_m4a_is_measured_from_its_boxes(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "note.m4a", seconds=2.0, loud=1.0)
    voice = prepare_voice(path)
    assert voice.m4a == path.read_bytes() and voice.duration_ms == 2000
    # the waveform follows the AAC frame sizes: the silent second takes far fewer bytes
    assert len(voice.waveform) == 20
    assert sum(voice.waveform[2:9]) > 3 * sum(voice.waveform[12:19])


@pytest.mark.usefixtures("without_pyav")
def test_without_pyav_other_audio_is_refused_naming_the_extra(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        prepare_voice(write_audio(tmp_path / "note.wav"))
    assert caught.value.field == "path"
    assert "[video] extra" in str(caught.value) and "pip install" in str(caught.value)


def test_bad_voice_input_is_refused_naming_the_field(tmp_path: Path) -> None:
    long = write_audio(
        tmp_path / "long.wav", seconds=MAX_DURATION_MS / 1000 + 2, loud=0.5, rate=8000
    )
    text = tmp_path / "note.txt"
    text.write_text("not audio")
    empty = tmp_path / "empty.m4a"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.m4a"
    truncated.write_bytes(write_audio(tmp_path / "whole.m4a").read_bytes()[:-500])
    cases = {
        long: "voice limit",
        text: "is not audio PyAV can read",
        empty: "is empty",
        tmp_path / "missing.m4a": "no such file",
        write_mp4(tmp_path / "clip.mp4"): "has a video track",
        truncated: "malformed",
    }
    for path, problem in cases.items():
        with pytest.raises(InvalidInput) as caught:
            prepare_voice(path, field="voice_path")
        assert caught.value.field == "voice_path", path
        assert problem in str(caught.value), (path, str(caught.value))


def test_the_voice_item_on_both_routes() -> None:
    voice = Voice("1700000000000", waveform=[0, 0.5, 1], media_id="42", duration_ms=300)
    attachment = voice.broadcast("attachment")
    assert attachment.endpoint == "direct_v2/threads/broadcast/voice_attachment/"
    assert attachment.fields == {
        "attachment_fbid": "42",
        "waveform": [0.0, 0.5, 1.0],
        "waveform_sampling_frequency_hz": "10",
        "upload_id": "1700000000000",
    }
    classic = voice.broadcast("classic")
    assert classic.endpoint == "direct_v2/threads/broadcast/share_voice/"
    assert classic.fields == {
        "waveform": [0.0, 0.5, 1.0],
        "waveform_sampling_frequency_hz": "10",
        "upload_id": "1700000000000",
    }
    with pytest.raises(InvalidInput) as caught:
        Voice("1", waveform=[0.2, 1.5])
    assert caught.value.field == "waveform[1]"
    with pytest.raises(InvalidInput, match="upload_id: the attachment route sends the media_id"):
        Voice("1", waveform=[0.2]).broadcast("attachment")
    photo = Upload("1", "photo", "attachment", 10, 10, None, 5, "2")
    with pytest.raises(InvalidInput, match="is a photo upload; a voice upload is needed"):
        Voice.from_upload(photo)


def test_the_media_kind_table_agrees_with_the_items() -> None:
    assert sorted(MEDIA_KINDS) == ["photo", "video", "voice"]
    for kind in MEDIA_KINDS.values():
        assert kind.item.kind == kind.name
        assert set(kind.upload_routes) == set(kind.send_routes) == {"attachment", "classic"}
    assert media_kind("voice").send_routes == {
        "attachment": "voice_attachment",
        "classic": "share_voice",
    }
    with pytest.raises(InvalidInput, match="kind: must be one of"):
        media_kind("sticker")


@pytest.mark.parametrize(
    ("route", "upload_path", "broadcast"),
    [
        ("attachment", "/messenger_audio/", "voice_attachment"),
        ("classic", "/rupload_igvideo/", "share_voice"),
    ],
)
def test_voice_upload_and_send(
    client, emulator, tmp_path: Path, route: str, upload_path: str, broadcast: str
) -> None:
    path = write_audio(tmp_path / "note.wav", seconds=2.0, loud=1.0)
    kwargs = {"transcode_wait": FAST} if route == "classic" else {}
    upload = upload_voice(client.transport, path, route=route, **kwargs)
    assert (upload.kind, upload.route, upload.width, upload.height) == ("voice", route, None, None)
    assert (upload.media_id is not None) == (route == "attachment")
    assert upload.to_dict()["waveform"] == list(upload.waveform or ())
    (posted,) = [r for r in emulator.requests() if upload_path in r["path"]]
    assert posted["method"] == "POST" and posted["status"] == 200
    if route == "classic":
        params = json.loads(posted["headers"]["X-Instagram-Rupload-Params"])
        assert (params["media_type"], params["is_direct_voice"]) == ("11", "1")
        finishes = [r for r in emulator.requests() if "upload_finish" in r["path"]]
        assert [r["status"] for r in finishes][-1] == 200
        assert {r["form"]["source_type"] for r in finishes} == {"4"}
    thread_id = str(emulator.seed()["threads"][0]["thread_id"])
    (result,) = send(client.transport, Voice.from_upload(upload), threads=[thread_id], route=route)
    assert result.status == "sent"
    (row,) = emulator.ledger()
    assert row["kind"] == broadcast
    assert row["upload"]["kind"] == "voice"
    assert row["upload"]["bytes"] == upload.bytes
    assert abs(row["upload"]["duration_ms"] - upload.duration_ms) <= 50
    item = client.get_thread(thread_id).items[0]
    audio = item.raw["voice_media"]["media"]["audio"]
    assert audio["waveform_data"] == list(upload.waveform or ())
    assert audio["waveform_sampling_frequency_hz"] == 10


def test_the_official_backend_checks_a_voice_file_as_the_private_one_does(
    emulator, tmp_path: Path
) -> None:
    from airflow_provider_dm.client.graph import GraphClient

    client = GraphClient("token", api_url=f"{emulator.url}/graph/", ig_user_id="1")
    broken = tmp_path / "note.m4a"
    broken.write_bytes(b"not audio at all")
    with pytest.raises(InvalidInput) as caught:
        media_kind("voice").upload(client, broken)
    assert caught.value.field == "path"
    assert emulator.requests() == []
