"""The hook against the real emulator: connection from a JSON env var, test_connection, reading,
and the session kept in a Variable."""

from __future__ import annotations

import json
import logging

import pytest
from direct_connection import connection_json, logins

from airflow_provider_dm.emulator.control import EmulatorControl
from airflow_provider_dm.hooks.direct import DirectHook


@pytest.fixture
def direct_conn(emulator: EmulatorControl, monkeypatch: pytest.MonkeyPatch) -> EmulatorControl:
    monkeypatch.setenv("AIRFLOW_CONN_INSTAGRAM_DIRECT_DEFAULT", connection_json(emulator.url))
    return emulator


def test_test_connection_logs_in_and_names_the_account(direct_conn: EmulatorControl) -> None:
    ok, message = DirectHook().test_connection()
    viewer = direct_conn.seed()["viewer"]
    assert ok, message
    assert message == f"Logged in as airflow_demo ({viewer['pk']})"


def test_test_connection_reports_a_bad_password_without_raising(
    emulator: EmulatorControl, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = json.loads(connection_json(emulator.url))
    conn["password"] = "wrong-password"
    monkeypatch.setenv("AIRFLOW_CONN_DM_BAD", json.dumps(conn))
    ok, message = DirectHook("dm_bad").test_connection()
    assert not ok
    assert "wrong-password" not in message
    assert "password" in message.lower()


def test_hook_iterates_the_whole_seeded_inbox(direct_conn: EmulatorControl) -> None:
    client = DirectHook().get_conn()
    threads = list(client.iter_inbox(page_size=2))
    seeded = {t["thread_id"] for t in direct_conn.seed()["threads"]}
    fetched = [t.thread_id for t in threads]
    assert len(fetched) == len(set(fetched))
    inbox_ids = {t.thread_id for t in client.iter_inbox()}
    assert set(fetched) == inbox_ids
    assert inbox_ids <= seeded
    assert logins(direct_conn) == 1


def test_hook_kwargs_override_connection_extras(direct_conn: EmulatorControl) -> None:
    hook = DirectHook(timeout=3, media_route="classic", session_variable="my_session")
    assert hook.settings.timeout == 3.0
    assert hook.settings.media_route == "classic"
    assert hook.session_store.key == "my_session"
    assert hook.settings.upload_url == f"{direct_conn.url}/"


def test_secrets_never_reach_the_logs(
    direct_conn: EmulatorControl, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    hook = DirectHook()
    client = hook.get_conn()
    list(client.iter_inbox())
    secrets = [hook.settings.password, *client.state.secrets()]
    assert len(secrets) >= 2
    for secret in secrets:
        assert secret not in caplog.text
