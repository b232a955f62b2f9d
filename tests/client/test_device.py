"""The device the client presents: the connection's device, locale, time zone and country
shape the User-Agent and the locale and time zone headers (§1.3), are stored with the session,
and a restored session keeps the device (and identity) it logged in with until the next login.
Bad values are refused naming the key."""

from __future__ import annotations

import json
import logging

import pytest

from airflow_provider_dm.client import DirectClient, SessionState
from airflow_provider_dm.client.device import DEFAULT_DEVICE, Device
from airflow_provider_dm.client.errors import InvalidInput
from airflow_provider_dm.emulator.control import EmulatorControl

PASSWORD = "demo-password"
GALAXY = {
    "manufacturer": "samsung",
    "model": "SM-S918B",
    "android_version": 34,
    "android_release": "14",
    "dpi": 480,
    "resolution": "1080x2340",
    "app_version": "410.1.0.63.71",
    "version_code": "851234567",
    "device": "dm3q",
    "cpu": "qcom",
}
GALAXY_AGENT = (
    "Instagram 410.1.0.63.71 Android (34/14; 480dpi; 1080x2340; samsung; SM-S918B; dm3q; qcom; "
    "de_DE; 851234567)"
)


def _client(emulator: EmulatorControl, **kwargs) -> DirectClient:
    return DirectClient(api_url=emulator.url + "/api/v1/", upload_url=emulator.url + "/", **kwargs)


def _headers_of_last(emulator: EmulatorControl, path: str) -> dict[str, str]:
    rows = [r for r in emulator.requests() if r["path"].endswith(path)]
    return {k.lower(): v for k, v in rows[-1]["headers"].items()}


def test_settings_shape_the_user_agent_and_locale_fields() -> None:
    device = Device.from_settings(GALAXY, locale="de_DE", timezone_offset="3600", country="de")
    assert device.user_agent == GALAXY_AGENT
    assert (device.locale, device.timezone_offset, device.country) == ("de_DE", 3600, "DE")


def test_fields_left_out_keep_the_defaults() -> None:
    device = Device.from_settings('{"model": "Pixel 9"}')
    assert device.model == "Pixel 9"
    assert device.user_agent == DEFAULT_DEVICE.user_agent.replace("Pixel 8 Pro", "Pixel 9")
    assert Device.from_settings(None) == DEFAULT_DEVICE


@pytest.mark.parametrize(
    ("device", "extras", "key"),
    [
        ({"colour": "blue"}, {}, "device.colour"),
        ({"app_version": "428"}, {}, "device.app_version"),
        ({"android_release": "fourteen"}, {}, "device.android_release"),
        ({"android_version": "14.0"}, {}, "device.android_version"),
        ({"resolution": "1080*2400"}, {}, "device.resolution"),
        ({"dpi": "high"}, {}, "device.dpi"),
        ({"version_code": "12ab"}, {}, "device.version_code"),
        ({"model": "Pixel; 9"}, {}, "device.model"),
        ("{not json", {}, "device"),
        (["Pixel"], {}, "device"),
        (None, {"locale": "english"}, "locale"),
        (None, {"timezone_offset": "soon"}, "timezone_offset"),
        (None, {"timezone_offset": 86400}, "timezone_offset"),
        (None, {"country": "USA"}, "country"),
    ],
)
def test_bad_values_are_refused_naming_the_key(device, extras, key) -> None:
    with pytest.raises(InvalidInput) as caught:
        Device.from_settings(device, **extras)
    assert caught.value.field == key


def test_login_presents_the_device_and_stores_it_with_the_session(emulator) -> None:
    device = Device.from_settings(GALAXY, locale="de_DE", timezone_offset=3600, country="DE")
    client = _client(emulator, device=device)
    client.login("airflow_demo", PASSWORD)
    client.current_user()
    headers = _headers_of_last(emulator, "/accounts/current_user/")
    assert headers["user-agent"] == GALAXY_AGENT
    assert headers["x-ig-app-locale"] == headers["x-ig-device-locale"] == "de_DE"
    assert headers["accept-language"] == "de-DE"
    assert headers["x-ig-timezone-offset"] == "3600"
    restored = SessionState.from_json(client.state.to_json())
    assert restored.device_profile == device
    assert restored.user_agent == GALAXY_AGENT


def test_a_changed_device_applies_at_the_next_login_with_the_same_identity(
    emulator, caplog
) -> None:
    first = _client(emulator)
    first.login("airflow_demo", PASSWORD)
    stored = first.state.to_json()
    identity = (first.state.uuid, first.state.android_id, first.state.phone_id)

    caplog.set_level(logging.WARNING)
    device = Device.from_settings(GALAXY, locale="de_DE")
    second = _client(emulator, state=SessionState.from_json(stored), device=device)
    assert "apply at the next login" in caplog.text
    second.current_user()
    assert _headers_of_last(emulator, "/accounts/current_user/")["user-agent"] == (
        DEFAULT_DEVICE.user_agent
    )

    second.login("airflow_demo", PASSWORD)
    login = _headers_of_last(emulator, "/accounts/login/")
    assert login["user-agent"] == GALAXY_AGENT
    assert (login["x-ig-device-id"], login["x-ig-android-id"]) == identity[:2]
    assert login["x-ig-family-device-id"] == identity[2]
    assert (second.state.uuid, second.state.android_id, second.state.phone_id) == identity
    assert second.state.device_profile == device


def test_a_session_stored_before_devices_were_kept_restores_the_default() -> None:
    state = SessionState()
    device = json.dumps(state.device, separators=(",", ":"))
    text = state.to_json().replace(',"device":' + device, "")
    assert '"device"' not in text
    assert SessionState.from_json(text).device_profile == DEFAULT_DEVICE
