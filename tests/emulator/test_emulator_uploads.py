"""Uploads: resume offsets, wrong offsets, content checks, transcode 202s, configure_video."""

from __future__ import annotations

import json

import pytest
import requests
from emulator_api import Api, jpeg, mp4

from airflow_provider_dm.emulator.control import EmulatorControl

UPLOAD_ID = "1700000000123"
NAME = f"{UPLOAD_ID}_0_1111111111"


def video_headers(total: int, offset: int, **params: str) -> dict[str, str]:
    rupload = {
        "upload_id": UPLOAD_ID,
        "media_type": "2",
        "direct_v2": "1",
        "upload_media_duration_ms": "3000",
        "upload_media_width": "640",
        "upload_media_height": "360",
        **params,
    }
    return {
        "X-Instagram-Rupload-Params": json.dumps(rupload),
        "X-Entity-Name": NAME,
        "X-Entity-Type": "video/mp4",
        "X-Entity-Length": str(total),
        "Offset": str(offset),
        "Content-Type": "application/octet-stream",
    }


def test_video_resume_finish_and_configure(api: Api, emulator: EmulatorControl, seed: dict):
    data = mp4(10_000)
    path = f"rupload_igvideo/{NAME}"
    assert api.upload("GET", path).json() == {"offset": 0, "status": "ok"}
    part = api.upload("POST", path, data=data[:4000], headers=video_headers(len(data), 0))
    assert part.status_code == 200 and part.json()["offset"] == 4000
    assert api.upload("GET", path).json()["offset"] == 4000
    wrong = api.upload("POST", path, data=data[1000:], headers=video_headers(len(data), 1000))
    assert wrong.status_code == 400 and "Offset" in wrong.json()["message"]
    rest = api.upload("POST", path, data=data[4000:], headers=video_headers(len(data), 4000))
    assert rest.status_code == 200 and rest.json()["upload_id"] == UPLOAD_ID
    thread_id = seed["threads"][0]["thread_id"]
    early = api.send("configure_video", {"upload_id": UPLOAD_ID, "video_result": ""}, thread_id)
    assert early.status_code == 202
    assert early.json() == {"message": "Transcode not finished yet.", "status": "fail"}
    finish = {"upload_id": UPLOAD_ID, "source_type": "2", "video": {"length": 3.0}}
    first = api.signed("media/upload_finish/?video=1", finish)
    assert first.status_code == 202 and first.json()["message"] == "Transcode not finished yet."
    second = api.signed("media/upload_finish/?video=1", finish)
    assert second.status_code == 200 and second.json()["upload_id"] == UPLOAD_ID
    sent = api.send("configure_video", {"upload_id": UPLOAD_ID, "sampled": "true"}, thread_id)
    assert sent.status_code == 200
    (row,) = emulator.ledger()
    assert row["upload"] == {
        "kind": "video",
        "bytes": 10_000,
        "width": 640,
        "height": 360,
        "duration_ms": 3000,
        "route": "rupload_igvideo",
        "upload_id": UPLOAD_ID,
    }


def test_transcode_polls_are_configurable(api: Api, emulator: EmulatorControl) -> None:
    emulator.configure(transcode_polls=3)
    data = mp4(2000)
    headers = video_headers(len(data), 0)
    assert api.upload("POST", f"rupload_igvideo/{NAME}", data=data, headers=headers).ok
    codes = [
        api.signed("media/upload_finish/?video=1", {"upload_id": UPLOAD_ID}).status_code
        for _ in range(4)
    ]
    assert codes == [202, 202, 202, 200]
    emulator.configure(transcode_polls=1)


def test_video_checks(api: Api) -> None:
    path = f"rupload_igvideo/{NAME}"
    not_mp4 = b"\0" * 100
    bad = api.upload("POST", path, data=not_mp4, headers=video_headers(100, 0))
    assert bad.status_code == 400 and "MP4" in bad.json()["message"]
    assert api.upload("GET", path).json()["offset"] == 0
    headers = video_headers(100, 0)
    headers["X-Instagram-Rupload-Params"] = json.dumps({"upload_id": UPLOAD_ID, "media_type": "2"})
    missing = api.upload("POST", path, data=mp4(100), headers=headers)
    assert missing.status_code == 400 and "upload_media_duration_ms" in missing.json()["message"]
    too_long = api.upload("POST", path, data=mp4(200), headers=video_headers(100, 0))
    assert too_long.status_code == 400 and "X-Entity-Length" in too_long.json()["message"]
    renamed = {**video_headers(100, 0), "X-Entity-Name": "other"}
    assert api.upload("POST", path, data=mp4(100), headers=renamed).status_code == 400
    unknown = api.signed("media/upload_finish/?video=1", {"upload_id": "5"})
    assert unknown.status_code == 400 and "upload_id" in unknown.json()["message"]


def test_photo_must_be_jpeg(api: Api) -> None:
    name = "1700000000999_0_2222222222"
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    headers = {
        "X-Instagram-Rupload-Params": json.dumps({"upload_id": "1700000000999", "media_type": "1"}),
        "X-Entity-Name": name,
        "X-Entity-Length": str(len(png)),
        "Offset": "0",
    }
    bad = api.upload("POST", f"rupload_igphoto/{name}", data=png, headers=headers)
    assert bad.status_code == 400 and "JPEG" in bad.json()["message"]
    image = jpeg(30, 20)
    headers["X-Entity-Length"] = str(len(image))
    good = api.upload("POST", f"rupload_igphoto/{name}", data=image, headers=headers)
    assert good.json() == {"upload_id": "1700000000999", "xsharing_nonces": {}, "status": "ok"}
    finish = api.signed("media/upload_finish/", {"upload_id": "1700000000999"})
    assert finish.status_code == 200


def test_chunked_streamed_upload_and_messenger_resume(api: Api) -> None:
    data = mp4(300_000)
    name = "b" * 32 + "-0-300000-1-1"
    headers = {"X-Entity-Name": name, "X-Entity-Length": str(len(data)), "Offset": "0"}
    pieces = (data[i : i + 50_000] for i in range(0, 200_000, 50_000))
    first = api.upload("POST", f"messenger_video/{name}", data=pieces, headers=headers)
    assert first.status_code == 200 and first.json()["offset"] == 200_000
    assert api.upload("GET", f"messenger_video/{name}").json()["offset"] == 200_000
    headers["Offset"] = "200000"
    done = api.upload("POST", f"messenger_video/{name}", data=data[200_000:], headers=headers)
    assert done.status_code == 200 and isinstance(done.json()["media_id"], int)
    assert done.json()["media_id"] < 2**53 and done.json()["id"] == 0


def test_drop_mid_upload_then_resume(api: Api, emulator: EmulatorControl) -> None:
    data = mp4(50_000)
    path = f"rupload_igvideo/{NAME}"
    emulator.add_fault("POST", f"/{path}", "drop", after_bytes=20_000)
    with pytest.raises(requests.ConnectionError):
        api.upload("POST", path, data=data, headers=video_headers(len(data), 0))
    offset = api.upload("GET", path).json()["offset"]
    assert offset == 20_000
    rest = api.upload("POST", path, data=data[offset:], headers=video_headers(len(data), offset))
    assert rest.status_code == 200 and rest.json()["upload_id"] == UPLOAD_ID
