"""Send limits: N item-creating requests per rolling window, then 400 `feedback_required`."""

from __future__ import annotations

import json
import time

import pytest
import requests
from emulator_api import Api, jpeg, mp4

from airflow_provider_dm.emulator.control import EmulatorControl

FEEDBACK_KEYS = {
    "message",
    "spam",
    "feedback_title",
    "feedback_message",
    "feedback_url",
    "feedback_appeal_label",
    "feedback_ignore_label",
    "feedback_action",
    "status",
}


class Sender:
    """Texts to one thread, each with a fresh client_context (so none is deduplicated)."""

    def __init__(self, api: Api, thread_id: str) -> None:
        self.api = api
        self.thread_id = thread_id
        self.count = 0

    def __call__(self) -> requests.Response:
        self.count += 1
        fields = {"text": f"hello {self.count}", "client_context": f"limit-{self.count}"}
        return self.api.send("text", fields, self.thread_id)


@pytest.fixture
def send(api: Api, seed: dict) -> Sender:
    return Sender(api, seed["threads"][0]["thread_id"])


def assert_feedback_required(response: requests.Response) -> None:
    body = response.json()
    assert response.status_code == 400
    assert set(body) == FEEDBACK_KEYS
    assert body["message"] == "feedback_required" and body["status"] == "fail"
    assert body["spam"] is True and body["feedback_title"] == "Action Blocked"
    assert body["feedback_url"] == "repute/report_problem/instagram_direct_v2_thread_create/"
    assert body["feedback_action"] == "report_problem"
    for key in ("feedback_message", "feedback_appeal_label", "feedback_ignore_label"):
        assert isinstance(body[key], str) and body[key]


def limit_of(emulator: EmulatorControl, username: str = "airflow_demo") -> dict:
    (limit,) = [entry for entry in emulator.limits() if entry["username"] == username]
    return limit


def photo_upload(api: Api, name: str) -> requests.Response:
    image = jpeg()
    headers = {
        "X-Instagram-Rupload-Params": json.dumps({"upload_id": name[:13], "media_type": "1"}),
        "X-Entity-Name": name,
        "X-Entity-Length": str(len(image)),
        "Offset": "0",
    }
    return api.upload("POST", f"rupload_igphoto/{name}", data=image, headers=headers)


def test_the_send_beyond_the_limit_gets_feedback_required_and_creates_nothing(
    send: Sender, emulator: EmulatorControl
) -> None:
    emulator.set_limit("airflow_demo", 3, 60)
    assert [send().status_code for _ in range(3)] == [200, 200, 200]
    assert_feedback_required(send())
    assert_feedback_required(send())
    assert len(emulator.ledger()) == 3
    assert emulator.limits() == [
        {
            "username": "airflow_demo",
            "max_sends": 3,
            "window_s": 60.0,
            "sends_in_window": 3,
            "feedback_required": 2,
        }
    ]


def test_the_window_slides(send: Sender, emulator: EmulatorControl) -> None:
    emulator.set_limit("airflow_demo", 2, 1)
    assert send().status_code == 200
    first_done = time.monotonic()
    time.sleep(0.5)
    assert send().status_code == 200
    assert_feedback_required(send())
    time.sleep(max(0.0, first_done + 1.1 - time.monotonic()))
    # the first send has left the window, the second has not: one more passes, not two
    assert send().status_code == 200
    assert_feedback_required(send())
    time.sleep(1.1)
    assert [send().status_code for _ in range(2)] == [200, 200]
    assert limit_of(emulator)["feedback_required"] == 2
    assert len(emulator.ledger()) == 5


def test_uploads_count_once_each_and_a_refused_one_creates_nothing(
    api: Api, send: Sender, emulator: EmulatorControl
) -> None:
    emulator.set_limit("airflow_demo", 3, 60)
    assert photo_upload(api, "1700000000001_0_1").status_code == 200
    data = mp4(8000)
    name = "1700000000002_0_2"
    headers = {
        "X-Instagram-Rupload-Params": json.dumps(
            {
                "upload_id": "1700000000002",
                "media_type": "2",
                "upload_media_duration_ms": "1000",
                "upload_media_width": "64",
                "upload_media_height": "48",
            }
        ),
        "X-Entity-Name": name,
        "X-Entity-Length": str(len(data)),
        "Offset": "0",
    }
    path = f"rupload_igvideo/{name}"
    assert api.upload("GET", path).json()["offset"] == 0
    assert api.upload("POST", path, data=data[:3000], headers=headers).json()["offset"] == 3000
    assert api.upload("GET", path).json()["offset"] == 3000
    assert limit_of(emulator)["sends_in_window"] == 2
    rest = api.upload("POST", path, data=data[3000:], headers={**headers, "Offset": "3000"})
    assert rest.status_code == 200 and rest.json()["upload_id"] == "1700000000002"
    assert limit_of(emulator)["sends_in_window"] == 2  # the resumed video counted once
    assert send().status_code == 200
    assert_feedback_required(photo_upload(api, "1700000000003_0_3"))
    refused = api.upload("GET", "messenger_video/refused-video")
    assert refused.json()["offset"] == 0
    refused_video = api.upload(
        "POST",
        "messenger_video/refused-video",
        data=data,
        headers={"X-Entity-Name": "refused-video", "X-Entity-Length": str(len(data))},
    )
    assert_feedback_required(refused_video)
    assert api.upload("GET", "messenger_video/refused-video").json()["offset"] == 0
    finish = api.signed("media/upload_finish/", {"upload_id": "1700000000003"})
    assert finish.status_code == 400 and "no upload" in finish.json()["message"]
    assert limit_of(emulator) == {
        "username": "airflow_demo",
        "max_sends": 3,
        "window_s": 60.0,
        "sends_in_window": 3,
        "feedback_required": 2,
    }


def test_reads_logins_and_admin_calls_do_not_count(
    api: Api, send: Sender, emulator: EmulatorControl, seed: dict
) -> None:
    emulator.set_limit("airflow_demo", 1, 60)
    thread_id = seed["threads"][0]["thread_id"]
    for endpoint in (
        "direct_v2/inbox/",
        "direct_v2/pending_inbox/",
        f"direct_v2/threads/{thread_id}/",
        "users/search/?query=alice",
        "accounts/current_user/",
    ):
        assert api.get(endpoint).status_code == 200, endpoint
    assert api.post(f"direct_v2/threads/{thread_id}/mute/").status_code == 200
    Api(emulator.url).login()
    emulator.ledger()
    emulator.requests()
    assert limit_of(emulator)["sends_in_window"] == 0
    assert send().status_code == 200
    assert_feedback_required(send())


def test_get_reports_replace_and_delete_clear(send: Sender, emulator: EmulatorControl) -> None:
    emulator.set_limit("airflow_demo", 1, 60)
    emulator.set_limit("airflow_demo_2fa", 5, 0.5)
    assert send().status_code == 200
    assert_feedback_required(send())
    assert [
        (e["username"], e["sends_in_window"], e["feedback_required"]) for e in emulator.limits()
    ] == [
        ("airflow_demo", 1, 1),
        ("airflow_demo_2fa", 0, 0),
    ]
    emulator.set_limit("airflow_demo", 2, 60)  # replaces the limit and its counts
    assert limit_of(emulator)["max_sends"] == 2 and limit_of(emulator)["sends_in_window"] == 0
    assert [send().status_code for _ in range(3)] == [200, 200, 400]
    emulator.clear_limits("airflow_demo")
    assert [e["username"] for e in emulator.limits()] == ["airflow_demo_2fa"]
    assert send().status_code == 200
    emulator.set_limit("airflow_demo", 1, 60)
    one = requests.delete(f"{emulator.url}/__emulator/limits?username=airflow_demo_2fa", timeout=5)
    assert one.status_code == 200 and [e["username"] for e in one.json()["limits"]] == [
        "airflow_demo"
    ]
    emulator.clear_limits()
    assert emulator.limits() == []
    assert [send().status_code for _ in range(3)] == [200, 200, 200]


def test_a_reset_clears_the_limits(emulator: EmulatorControl) -> None:
    emulator.set_limit("airflow_demo", 1, 60)
    emulator.reset()
    assert emulator.limits() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"max_sends": 1, "window_s": 1}, "username"),
        ({"username": "nobody_here", "max_sends": 1, "window_s": 1}, "username"),
        ({"username": 5110000001, "max_sends": 1, "window_s": 1}, "username"),
        ({"username": "airflow_demo", "window_s": 1}, "max_sends"),
        ({"username": "airflow_demo", "max_sends": 0, "window_s": 1}, "max_sends"),
        ({"username": "airflow_demo", "max_sends": "3", "window_s": 1}, "max_sends"),
        ({"username": "airflow_demo", "max_sends": 2.5, "window_s": 1}, "max_sends"),
        ({"username": "airflow_demo", "max_sends": True, "window_s": 1}, "max_sends"),
        ({"username": "airflow_demo", "max_sends": 1}, "window_s"),
        ({"username": "airflow_demo", "max_sends": 1, "window_s": 0}, "window_s"),
        ({"username": "airflow_demo", "max_sends": 1, "window_s": -1}, "window_s"),
        ({"username": "airflow_demo", "max_sends": 1, "window_s": "1"}, "window_s"),
    ],
)
def test_bad_bodies_name_the_field(emulator: EmulatorControl, body: dict, field: str) -> None:
    response = requests.post(f"{emulator.url}/__emulator/limits", json=body, timeout=5)
    assert response.status_code == 400
    assert response.json()["status"] == "fail" and field in response.json()["message"]
    assert emulator.limits() == []


def test_bad_deletes_and_bodies(emulator: EmulatorControl) -> None:
    emulator.set_limit("airflow_demo", 1, 60)
    url = f"{emulator.url}/__emulator/limits"
    unknown = requests.delete(url, json={"username": "nobody_here"}, timeout=5)
    assert unknown.status_code == 400 and "username" in unknown.json()["message"]
    assert requests.post(url, data="{", timeout=5).status_code == 400
    assert requests.put(url, json={}, timeout=5).status_code == 405
    assert len(emulator.limits()) == 1


def test_a_limit_on_one_account_does_not_touch_another(
    send: Sender, emulator: EmulatorControl
) -> None:
    other = Api(emulator.url)
    first = other.signed(
        "accounts/login/",
        {"username": "airflow_demo_2fa", "enc_password": "#PWD_INSTAGRAM:0:1:demo-password"},
    )
    identifier = first.json()["two_factor_info"]["two_factor_identifier"]
    done = other.signed(
        "accounts/two_factor_login/",
        {"two_factor_identifier": identifier, "verification_code": "123456"},
    )
    other.session.headers["Authorization"] = done.headers["ig-set-authorization"]
    emulator.set_limit("airflow_demo", 1, 60)
    assert send().status_code == 200
    assert_feedback_required(send())
    for n in range(3):
        fields = {
            "text": f"hi {n}",
            "client_context": f"other-{n}",
            "recipient_users": "[[5110000101]]",
        }
        assert other.send("text", fields).status_code == 200
    assert photo_upload(other, "1700000000009_0_9").status_code == 200
    assert [e["username"] for e in emulator.limits()] == ["airflow_demo"]
    assert limit_of(emulator)["sends_in_window"] == 1
    assert len(emulator.ledger()) == 4
