"""Each fault action, the admin API's own validation, and recovery after the rule is spent."""

from __future__ import annotations

import json
import time

import pytest
import requests
from emulator_api import Api

from airflow_provider_dm.emulator.control import EmulatorControl

TEXT = "/api/v1/direct_v2/threads/broadcast/text/"


def send(api: Api, seed: dict, token: str) -> requests.Response:
    return api.send(
        "text", {"text": "hi", "client_context": token}, seed["threads"][0]["thread_id"]
    )


@pytest.mark.parametrize(
    ("action", "status", "message"),
    [
        ("rate_limit", 429, "Please wait a few minutes before you try again."),
        ("server_error", 500, "Internal server error"),
        ("unavailable", 503, "Service unavailable"),
        ("login_required", 403, "login_required"),
        ("feedback_required", 400, "feedback_required"),
        ("challenge_required", 400, "challenge_required"),
    ],
)
def test_error_faults(api: Api, emulator: EmulatorControl, seed: dict, action, status, message):
    emulator.add_fault("POST", TEXT, action, times=2, retry_after=7)
    for _ in range(2):
        response = send(api, seed, "1")
        assert response.status_code == status and response.json()["message"] == message
        assert response.json()["status"] == "fail"
    if action == "rate_limit":
        assert response.headers["Retry-After"] == "7"
    if action == "feedback_required":
        assert response.json()["spam"] is True and response.json()["feedback_url"]
    assert emulator.ledger() == []
    assert send(api, seed, "1").status_code == 200
    assert emulator.faults() == []


def test_expire_session_ends_the_session_for_every_later_request(
    api: Api, emulator: EmulatorControl, seed: dict
) -> None:
    emulator.add_fault("GET", "/api/v1/direct_v2/inbox", "expire_session")
    expired = api.get("direct_v2/inbox/")
    assert expired.status_code == 403 and expired.json()["message"] == "login_required"
    assert emulator.faults() == []
    refused = send(api, seed, "2")
    assert refused.status_code == 403 and refused.json()["message"] == "login_required"
    assert emulator.ledger() == []


def test_media_needs_reupload(api: Api, emulator: EmulatorControl) -> None:
    emulator.add_fault("POST", "/rupload_igphoto/", "media_needs_reupload")
    response = api.upload("POST", "rupload_igphoto/1_0_1", data=b"\xff\xd8")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ok"
    assert body["message"] == "media_needs_reupload" and body["error_title"]


def test_drop_before_handling(api: Api, emulator: EmulatorControl, seed: dict) -> None:
    emulator.add_fault("POST", TEXT, "drop")
    with pytest.raises(requests.ConnectionError):
        send(api, seed, "5")
    assert emulator.ledger() == []
    assert send(api, seed, "5").status_code == 200
    assert len(emulator.ledger()) == 1


def test_drop_after_handling_then_retry_is_deduped(api: Api, emulator: EmulatorControl, seed):
    emulator.add_fault("POST", TEXT, "drop_after")
    with pytest.raises(requests.ConnectionError):
        send(api, seed, "6")
    assert len(emulator.ledger()) == 1
    retry = send(api, seed, "6")
    assert retry.status_code == 200
    assert retry.json()["payload"]["item_id"] == emulator.ledger()[0]["item_id"]
    assert len(emulator.ledger()) == 1


def test_requests_refused_before_their_handler_leave_faults_alone(
    api: Api, emulator: EmulatorControl, seed: dict
) -> None:
    emulator.add_fault("POST", TEXT, "drop_after")
    emulator.add_fault("GET", "/api/v1/qe/sync/", "server_error")
    anonymous = Api(emulator.url)
    refused = send(anonymous, seed, "9")
    assert refused.status_code == 403 and refused.json()["message"] == "login_required"
    thread_id = seed["threads"][0]["thread_id"]
    bad_agent = api.send("text", {"text": "hi"}, thread_id, headers={"User-Agent": "curl"})
    assert bad_agent.status_code == 400
    assert len(emulator.faults()) == 2
    assert anonymous.get("qe/sync/").status_code == 500  # pre-login: no session needed
    with pytest.raises(requests.ConnectionError):
        send(api, seed, "9")
    assert emulator.faults() == [] and len(emulator.ledger()) == 1


def test_delay(api: Api, emulator: EmulatorControl) -> None:
    emulator.add_fault("GET", "/api/v1/direct_v2/inbox", "delay", seconds=0.3)
    started = time.monotonic()
    assert api.get("direct_v2/inbox/").status_code == 200
    assert time.monotonic() - started >= 0.3
    with pytest.raises(requests.Timeout):
        emulator.add_fault("GET", "/api/v1/direct_v2/inbox", "delay", seconds=1)
        api.session.get(f"{emulator.url}/api/v1/direct_v2/inbox/", timeout=0.2)


def test_method_filter_and_bad_rules(api: Api, emulator: EmulatorControl) -> None:
    emulator.add_fault("POST", "/api/v1/direct_v2/inbox/", "server_error")
    assert api.get("direct_v2/inbox/").status_code == 200
    assert len(emulator.faults()) == 1
    emulator.clear_faults()
    assert emulator.faults() == []
    for rule in (
        {"path": "/x", "action": "explode"},
        {"path": "x", "action": "drop"},
        {"path": "/x", "action": "drop", "times": 0},
    ):
        response = requests.post(f"{emulator.url}/__emulator/faults", json=rule, timeout=5)
        assert response.status_code == 400 and response.json()["status"] == "fail"
    bad_json = requests.post(f"{emulator.url}/__emulator/faults", data="{", timeout=5)
    assert bad_json.status_code == 400
    assert requests.get(f"{emulator.url}/__emulator/nothing", timeout=5).status_code == 404


def test_reset_wipes_sessions_and_ledger(api: Api, emulator: EmulatorControl, seed) -> None:
    send(api, seed, "8")
    emulator.add_fault("GET", "/api/v1/", "server_error")
    emulator.reset()
    assert emulator.ledger() == [] and emulator.faults() == [] and emulator.requests() == []
    assert api.get("direct_v2/inbox/").status_code == 403
    assert json.dumps(emulator.seed()["threads"]) == json.dumps(seed["threads"])


def _statuses(api: Api, seed: dict, count: int) -> list[int]:
    """The HTTP status of ``count`` sends (0: the connection was dropped)."""
    statuses = []
    for n in range(count):
        try:
            statuses.append(send(api, seed, str(9000 + n)).status_code)
        except requests.ConnectionError:
            statuses.append(0)
    return statuses


def test_random_faults_repeat_for_a_seed_and_are_counted(api: Api, emulator, seed) -> None:
    actions = ["rate_limit", "server_error", "unavailable", "drop", "drop_after", "slow_answer"]
    settings = emulator.random_faults(13, 0.5, actions=actions, seconds=0, paths=[TEXT])
    assert settings["seed"] == 13 and settings["paths"] == [TEXT]
    first = _statuses(api, seed, 40)
    fired = emulator.fired_faults()
    emulator.reset()
    api.login()
    emulator.random_faults(13, 0.5, actions=actions, seconds=0, paths=[TEXT])
    assert _statuses(api, seed, 40) == first
    assert emulator.fired_faults() == fired
    assert set(fired) <= set(actions) and 10 < sum(fired.values()) < 30
    # Every status a fault answers with is counted: 429, 500, 503, and 0 for both drops.
    errors = {429: "rate_limit", 500: "server_error", 503: "unavailable"}
    for status, action in errors.items():
        assert first.count(status) == fired.get(action, 0)
    assert first.count(0) == fired.get("drop", 0) + fired.get("drop_after", 0)
    assert api.get("direct_v2/inbox/").status_code == 200, "outside paths: no fault"
    emulator.stop_random_faults()
    assert _statuses(api, seed, 5) == [200] * 5


def test_random_transcode_pending_only_where_it_can_happen(api: Api, emulator, seed) -> None:
    emulator.random_faults(1, 1.0, actions=["transcode_pending"])
    assert send(api, seed, "77").status_code == 200
    assert emulator.fired_faults() == {}
    pending = api.post("media/upload_finish/", {"upload_id": "1"})
    assert pending.status_code == 202 and pending.json()["message"] == "Transcode not finished yet."
    assert emulator.fired_faults() == {"transcode_pending": 1}


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"rate": 0.1}, "seed"),
        ({"seed": 1, "rate": 0}, "rate"),
        ({"seed": 1, "rate": 1.5}, "rate"),
        ({"seed": 1, "rate": 0.1, "actions": ["explode"]}, "actions"),
        ({"seed": 1, "rate": 0.1, "paths": "/api/"}, "paths"),
        ({"seed": 1, "rate": 0.1, "seconds": -1}, "seconds"),
    ],
)
def test_random_faults_refuse_a_bad_setting(emulator: EmulatorControl, spec, field) -> None:
    response = requests.post(f"{emulator.url}/__emulator/faults/random", json=spec, timeout=5)
    assert response.status_code == 400 and f"Invalid {field}" in response.json()["message"]
    assert (
        requests.get(f"{emulator.url}/__emulator/faults/random", timeout=5).json()["random"] is None
    )


@pytest.mark.parametrize(
    ("action", "status", "code"),
    [("rate_limit", 400, 4), ("server_error", 500, 2), ("unavailable", 503, 2)],
)
def test_error_faults_on_graph_routes_answer_in_the_graph_shape(
    emulator: EmulatorControl, action, status, code
) -> None:
    token = emulator.graph_token()["access_token"]
    emulator.add_fault("GET", "/graph/", action)
    me = f"{emulator.url}/graph/v26.0/me"
    auth = {"Authorization": f"Bearer {token}"}

    faulty = requests.get(me, headers=auth, timeout=10)
    after = requests.get(me, headers=auth, timeout=10)

    assert faulty.status_code == status
    assert faulty.json()["error"]["code"] == code
    assert after.status_code == 200


def test_drop_after_on_a_graph_send_stores_the_message(emulator: EmulatorControl) -> None:
    token = emulator.graph_token()["access_token"]
    seed = emulator.seed()
    thread = next(t for t in seed["threads"] if not t["is_group"] and not t["pending"])
    person = next(u for u in seed["users"] if u["pk"] == thread["users"][0])
    emulator.incoming(thread["thread_id"], person["pk"], "hello business")
    emulator.add_fault("POST", "/graph/", "drop_after")

    with pytest.raises(requests.ConnectionError):
        requests.post(
            f"{emulator.url}/graph/v26.0/me/messages",
            headers={"Authorization": f"Bearer {token}"},
            json={"recipient": {"id": person["igsid"]}, "message": {"text": "stored"}},
            timeout=10,
        )

    assert [row["fields"] for row in emulator.ledger()] == [{"text": "stored"}]
