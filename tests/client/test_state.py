"""SessionState: JSON round trip with a stable identity, secrets kept out of reprs."""

from __future__ import annotations

import base64
import json

import pytest

from airflow_provider_dm.client import Credentials, SessionState

SESSIONID = "5110000001%3Aabcdef0123456789%3A7"
BEARER = (
    "Bearer IGT:2:"
    + base64.b64encode(
        json.dumps({"ds_user_id": "5110000001", "sessionid": SESSIONID}).encode()
    ).decode()
)


def test_identity_is_created_once_and_survives_a_round_trip() -> None:
    state = SessionState(authorization=BEARER, user_id=5110000001, username="airflow_demo")
    restored = SessionState.from_json(state.to_json())
    for name in ("uuid", "android_id", "phone_id", "advertising_id", "user_agent"):
        assert getattr(restored, name) == getattr(state, name)
    assert restored.authorization == BEARER
    assert restored.user_id == 5110000001
    assert restored.logged_in
    assert restored.android_id.startswith("android-") and len(restored.android_id) == 24
    assert SessionState().uuid != state.uuid


def test_secrets_lists_the_bearer_and_the_sessionid_and_the_repr_hides_them() -> None:
    state = SessionState(authorization=BEARER, user_id=5110000001, username="airflow_demo")
    secrets = state.secrets()
    assert BEARER in secrets
    assert SESSIONID in secrets
    assert "5110000001:abcdef0123456789:7" in secrets
    for secret in secrets:
        assert secret not in repr(state)
    assert SessionState().secrets() == []


def test_every_change_bumps_the_revision() -> None:
    state = SessionState()
    before = state.revision
    state.mid = "m"
    assert state.revision > before


@pytest.mark.parametrize(
    "text", ["", "not json", "[]", '{"format": 99}', '{"format": 1, "uuid": "x"}']
)
def test_garbage_is_refused_with_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        SessionState.from_json(text)


def test_credentials_repr_hides_password_and_totp_secret() -> None:
    text = repr(Credentials("airflow_demo", "demo-password", "JBSWY3DPEHPK3PXP"))
    assert "airflow_demo" in text
    assert "demo-password" not in text and "JBSWY3DPEHPK3PXP" not in text
