"""The connection's device extras in real task runs (``dag.test()``): a run over a connection
whose device differs from the one its stored session logged in with keeps the stored device and
identity and warns in the task log; the new device is used at the next login."""

from __future__ import annotations

import json

import pytest

from airflow_provider_dm.client.device import DEFAULT_DEVICE

pytestmark = pytest.mark.usefixtures("demo_connections")
GALAXY = {"manufacturer": "samsung", "model": "SM-S918B", "resolution": "1080x2340"}


@pytest.fixture
def device_connections(emulator, monkeypatch):
    """Two connections to the demo emulator sharing one session Variable: ``dm_phone_a`` with
    the default device, ``dm_phone_b`` with a Galaxy in Berlin."""
    from airflow.models.variable import Variable

    base = {
        "conn_type": "instagram_direct",
        "host": f"{emulator.url}/api/v1/",
        "login": "airflow_demo",
        "password": "demo-password",
    }
    shared = {"session_variable": "dm_phone_session"}
    phone_b = {**shared, "device": json.dumps(GALAXY), "locale": "de_DE", "timezone_offset": 3600}
    monkeypatch.setenv("AIRFLOW_CONN_DM_PHONE_A", json.dumps({**base, "extra": shared}))
    monkeypatch.setenv("AIRFLOW_CONN_DM_PHONE_B", json.dumps({**base, "extra": phone_b}))
    Variable.delete("dm_phone_session")
    yield
    Variable.delete("dm_phone_session")


def _api_requests(emulator) -> list[dict]:
    return [r for r in emulator.requests() if "/api/v1/" in r["path"]]


def test_a_changed_device_keeps_the_stored_session_and_warns(
    run_dag, emulator, device_connections, caplog
) -> None:
    assert run_dag("dm_device", {"conn": "dm_phone_a"}).state == "success"
    first = _api_requests(emulator)
    identity = {first[-1]["headers"]["X-IG-Device-ID"], first[-1]["headers"]["X-IG-Android-ID"]}
    caplog.clear()

    assert run_dag("dm_device", {"conn": "dm_phone_b"}).state == "success"
    second = _api_requests(emulator)[len(first) :]
    assert "the new settings apply at the next login" in caplog.text
    assert not [r for r in second if r["path"].endswith("/accounts/login/")]
    assert {r["headers"]["User-Agent"] for r in second} == {DEFAULT_DEVICE.user_agent}
    after = {second[-1]["headers"]["X-IG-Device-ID"], second[-1]["headers"]["X-IG-Android-ID"]}
    assert after == identity
