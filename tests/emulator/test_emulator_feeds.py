"""The post-login feeds: the requests instagrapi makes right after `accounts/login/`."""

from __future__ import annotations

import json

import pytest
from emulator_api import Api

from airflow_provider_dm.emulator.control import EmulatorControl

REELS_TRAY = {"tray": [], "broadcasts": [], "status": "ok"}
TIMELINE = {
    "feed_items": [],
    "num_results": 0,
    "more_available": False,
    "auto_load_more_enabled": True,
    "status": "ok",
}
FORM = "application/x-www-form-urlencoded; charset=UTF-8"


def test_a_logged_in_client_gets_empty_feeds(api: Api) -> None:
    tray = api.signed(
        "feed/reels_tray/",
        {
            "supported_capabilities_new": [{"name": "SUPPORTED_SDK_VERSIONS", "value": "1"}],
            "reason": "cold_start",
            "timezone_offset": "-14400",
            "tray_session_id": "a-tray-session",
            "request_id": "a-request",
            "page_size": 50,
            "_uuid": "a-uuid",
            "reel_tray_impressions": {},
        },
    )
    assert tray.status_code == 200 and tray.json() == REELS_TRAY
    telemetry = {
        "feed_view_info": "[]",
        "reason": "cold_start_fetch",
        "is_pull_to_refresh": "0",
        "battery_level": 100,
        "session_level_signals": json.dumps({"app_entry": "normal", "video_play_count": 0}),
        "_uuid": "a-uuid",
    }
    timeline = api.post("feed/timeline/", json.dumps(telemetry), headers={"Content-Type": FORM})
    assert timeline.status_code == 200 and timeline.json() == TIMELINE
    as_json = api.post("feed/timeline/", json=telemetry)
    assert as_json.status_code == 200 and as_json.json() == TIMELINE
    assert api.get("feed/reels_tray/").json() == REELS_TRAY
    assert api.get("feed/timeline").json() == TIMELINE


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("endpoint", ["feed/reels_tray/", "feed/timeline/"])
def test_without_a_session_the_feeds_answer_login_required(
    emulator: EmulatorControl, method: str, endpoint: str
) -> None:
    anonymous = Api(emulator.url)
    response = anonymous.session.request(method, f"{emulator.url}/api/v1/{endpoint}", timeout=10)
    assert response.status_code == 403
    assert response.json() == {"message": "login_required", "logout_reason": 3, "status": "fail"}


def test_after_logout_the_feeds_answer_login_required(api: Api) -> None:
    assert api.post("accounts/logout/").status_code == 200
    assert api.post("feed/timeline/", "{}").json()["message"] == "login_required"
