"""The session Variable's name makes Airflow mask it, and a session stored under the former
default name is moved to the new one once, by the first task, with no new login: DAG runs
through ``dag.test()`` against the real metadata DB and the real emulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from direct_connection import connection_json, logins

from airflow_provider_dm.client import DirectClient
from airflow_provider_dm.emulator.control import EmulatorControl
from airflow_provider_dm.hooks.session_store import (
    LEGACY_SESSION_VARIABLE,
    VariableSessionStore,
    default_session_key,
)

CONN_ID = "instagram_direct_default"
NEW_KEY = default_session_key(CONN_ID)
OLD_KEY = LEGACY_SESSION_VARIABLE.format(CONN_ID)


def _variable(key: str) -> str | None:
    from airflow.models.variable import Variable

    return Variable.get(key, default_var=None)


def _set_variable(key: str, value: str) -> None:
    from airflow.models.variable import Variable

    Variable.set(key, value)


def _delete_variables(*keys: str) -> None:
    from airflow.models.variable import Variable

    for key in keys:
        Variable.delete(key)


@pytest.fixture
def default_conn(emulator: EmulatorControl, monkeypatch: pytest.MonkeyPatch) -> EmulatorControl:
    monkeypatch.setenv("AIRFLOW_CONN_INSTAGRAM_DIRECT_DEFAULT", connection_json(emulator.url))
    return emulator


def test_the_default_name_is_one_airflow_masks() -> None:
    from airflow.sdk._shared.secrets_masker import should_hide_value_for_key

    assert NEW_KEY == "instagram_direct_session_secret__instagram_direct_default"
    assert should_hide_value_for_key(NEW_KEY)
    assert not should_hide_value_for_key(OLD_KEY)


def test_a_name_airflow_shows_in_clear_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    VariableSessionStore("my_session")
    assert "Airflow shows its value in clear" in caplog.text
    caplog.clear()
    VariableSessionStore("my_session_secret")
    assert caplog.text == ""


def test_a_session_under_the_former_name_is_moved_once_without_a_new_login(
    dagbag: Any, run_dag: Callable[..., Any], default_conn: EmulatorControl
) -> None:
    emulator = default_conn
    client = DirectClient(api_url=f"{emulator.url}/api/v1/", upload_url=f"{emulator.url}/")
    state = client.login("airflow_demo", "demo-password")
    _delete_variables(NEW_KEY, OLD_KEY)
    _set_variable(OLD_KEY, state.to_json())

    for run in (1, 2):
        outcome = run_dag("dm_session_reuse")
        assert outcome.state == "success", f"run {run}: {outcome.states}"
        assert logins(emulator) == 1, f"run {run} logged in again instead of reusing the session"
        assert _variable(OLD_KEY) is None
        assert _variable(NEW_KEY) == state.to_json()


def test_a_session_under_the_new_name_is_not_replaced_by_the_former_one(
    dagbag: Any, run_dag: Callable[..., Any], default_conn: EmulatorControl
) -> None:
    emulator = default_conn
    client = DirectClient(api_url=f"{emulator.url}/api/v1/", upload_url=f"{emulator.url}/")
    current = client.login("airflow_demo", "demo-password").to_json()
    _set_variable(NEW_KEY, current)
    _set_variable(OLD_KEY, "left by a worker of an earlier release")

    outcome = run_dag("dm_session_reuse")

    assert outcome.state == "success", outcome.states
    assert logins(emulator) == 1
    assert _variable(NEW_KEY) == current
    _delete_variables(OLD_KEY)
