"""Login against the emulator: every outcome, two-factor by TOTP and by SMS code, restoring a
saved session with no login, and exactly one re-login when the session dies."""

from __future__ import annotations

import logging

import pytest

from airflow_provider_dm.client import Credentials, DirectClient, SessionState
from airflow_provider_dm.client.errors import (
    BadPassword,
    ChallengeRequired,
    InvalidInput,
    InvalidUser,
    LoginRequired,
    TwoFactorRequired,
)
from airflow_provider_dm.emulator.control import EmulatorControl

PASSWORD = "demo-password"
TOTP_SECRET = "JBSWY3DPEHPK3PXP"


def _client(emulator: EmulatorControl, **kwargs) -> DirectClient:
    return DirectClient(
        api_url=emulator.url + "/api/v1/",
        upload_url=emulator.url + "/",
        retry_max_wait=0.01,
        **kwargs,
    )


def _logins(emulator: EmulatorControl, client: DirectClient) -> list[dict]:
    log = emulator.requests()
    return [r for r in log if r["path"].endswith("/accounts/login/")]


def _no_secret_in(text: str, state: SessionState) -> None:
    assert PASSWORD not in text
    assert TOTP_SECRET not in text
    for secret in state.secrets():
        assert secret not in text


def test_login_gives_a_session_and_calls_on_login(emulator, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    seen = []
    client = _client(emulator, on_login=seen.append)
    state = client.login("airflow_demo", PASSWORD)
    assert state is client.state and seen == [state]
    assert state.logged_in and state.username == "airflow_demo"
    assert state.user_id == emulator.seed()["viewer"]["pk"]
    assert client.current_user().username == "airflow_demo"
    assert state.secrets()
    _no_secret_in(caplog.text + repr(state) + repr(client), state)


def test_login_form_follows_the_protocol(emulator) -> None:
    client = _client(emulator)
    client.login("airflow_demo", PASSWORD)
    sync, login = emulator.requests()[:2]
    assert sync["path"] == "/api/v1/qe/sync/"
    form = login["form"]
    state = client.state
    assert form["username"] == "airflow_demo"
    assert form["guid"] == state.uuid and form["phone_id"] == state.phone_id
    assert form["device_id"] == state.android_id and form["adid"] == state.advertising_id
    assert form["jazoest"] == "2" + str(sum(map(ord, state.phone_id)))
    assert form["google_tokens"] == "[]" and form["login_attempt_count"] == "0"
    assert "password" not in form


@pytest.mark.parametrize(
    ("username", "password", "error", "words"),
    [
        ("airflow_demo", "wrong-password", BadPassword, "password of airflow_demo"),
        ("nobody_here", PASSWORD, InvalidUser, "no account is named nobody_here"),
        ("airflow_demo_challenge", PASSWORD, ChallengeRequired, "security challenge"),
        ("airflow_demo_2fa", PASSWORD, TwoFactorRequired, "TOTP secret"),
    ],
)
def test_failed_logins_raise_typed_errors(emulator, username, password, error, words) -> None:
    client = _client(emulator)
    with pytest.raises(error) as info:
        client.login(username, password)
    text = str(info.value)
    assert words in text
    assert info.value.status == 400 and info.value.endpoint == "accounts/login/"
    assert password not in text and password not in repr(info.value.payload)
    assert not client.state.logged_in
    assert len(_logins(emulator, client)) == 1


def test_challenge_error_tells_where_to_answer(emulator) -> None:
    with pytest.raises(ChallengeRequired) as info:
        _client(emulator).login("airflow_demo_challenge", PASSWORD)
    assert info.value.api_path.startswith("/challenge/")


def test_two_factor_completes_with_a_totp_secret(emulator) -> None:
    client = _client(emulator)
    state = client.login("airflow_demo_2fa", PASSWORD, totp_secret=TOTP_SECRET)
    assert state.logged_in and state.username == "airflow_demo_2fa"
    log = emulator.requests()
    (second,) = [r for r in log if r["path"].endswith("/two_factor_login/")]
    assert second["form"]["verification_method"] == "3"
    assert second["form"]["username"] == "airflow_demo_2fa"
    assert client.current_user().username == "airflow_demo_2fa"


def test_two_factor_completes_with_an_sms_code(emulator) -> None:
    client = _client(emulator)
    with pytest.raises(TwoFactorRequired) as info:
        client.login("airflow_demo_2fa", PASSWORD)
    assert info.value.identifier and info.value.totp_enabled
    state = client.two_factor_login(info.value, "123456")
    assert state.logged_in and client.current_user().username == "airflow_demo_2fa"


def test_a_wrong_totp_secret_is_refused(emulator) -> None:
    with pytest.raises(Exception) as info:
        _client(emulator).login("airflow_demo_2fa", PASSWORD, totp_secret="GEZDGNBVGY3TQOJQ")
    assert "two-factor code" in str(info.value)
    assert "GEZDGNBVGY3TQOJQ" not in str(info.value)


def test_empty_password_is_refused_before_any_request(emulator) -> None:
    with pytest.raises(InvalidInput):
        _client(emulator).login("airflow_demo", "")
    assert emulator.requests() == []


def test_restored_session_makes_no_login_request(emulator) -> None:
    first = _client(emulator)
    saved = first.login("airflow_demo", PASSWORD).to_json()
    before = len(_logins(emulator, first))
    restored = SessionState.from_json(saved)
    client = _client(emulator, state=restored, credentials=Credentials("airflow_demo", PASSWORD))
    assert client.current_user().username == "airflow_demo"
    assert list(client.iter_inbox(max_threads=2))
    assert len(_logins(emulator, client)) == before == 1
    last = emulator.requests()[-1]["headers"]
    assert last["X-IG-Device-ID"] == restored.uuid
    assert last["X-IG-Android-ID"] == restored.android_id


def test_expired_session_logs_in_exactly_once(emulator) -> None:
    saved = []
    client = _client(
        emulator, credentials=Credentials("airflow_demo", PASSWORD), on_login=saved.append
    )
    client.login("airflow_demo", PASSWORD)
    identity = (client.state.uuid, client.state.android_id, client.state.phone_id)
    old_bearer = client.state.authorization
    emulator.add_fault("GET", "/api/v1/accounts/current_user/", "login_required")
    assert client.current_user().username == "airflow_demo"
    assert len(_logins(emulator, client)) == 2
    assert len(saved) == 2 and client.state.authorization != old_bearer
    assert (client.state.uuid, client.state.android_id, client.state.phone_id) == identity


def test_logged_out_session_is_renewed_once_per_failure(emulator) -> None:
    client = _client(emulator, credentials=Credentials("airflow_demo", PASSWORD))
    client.login("airflow_demo", PASSWORD)
    stale = SessionState.from_json(client.state.to_json())
    client.logout()
    assert not client.state.logged_in
    other = _client(emulator, state=stale, credentials=Credentials("airflow_demo", PASSWORD))
    assert other.current_user().username == "airflow_demo"
    assert len(_logins(emulator, other)) == 2


def test_a_second_login_required_is_raised(emulator) -> None:
    client = _client(emulator, credentials=Credentials("airflow_demo", PASSWORD))
    client.login("airflow_demo", PASSWORD)
    emulator.add_fault("GET", "/api/v1/accounts/current_user/", "login_required", times=2)
    with pytest.raises(LoginRequired) as info:
        client.current_user()
    assert info.value.status == 403
    assert len(_logins(emulator, client)) == 2
    _no_secret_in(str(info.value) + repr(info.value.payload), client.state)


def test_without_credentials_login_required_is_raised_at_once(emulator) -> None:
    client = _client(emulator)
    client.login("airflow_demo", PASSWORD)
    emulator.add_fault("GET", "/api/v1/accounts/current_user/", "login_required")
    with pytest.raises(LoginRequired):
        client.current_user()
    assert len(_logins(emulator, client)) == 1


def test_no_session_at_all_raises_login_required(emulator) -> None:
    with pytest.raises(LoginRequired) as info:
        _client(emulator).current_user()
    assert info.value.endpoint == "accounts/current_user/"
