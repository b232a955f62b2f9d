"""Login outcomes, two-factor, challenge, sessions and the header checks, over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import struct
import time

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from emulator_api import Api

from airflow_provider_dm.emulator.control import EmulatorControl


def encrypt(password: str, key_id: int, pub_key_b64: str) -> str:
    """`#PWD_INSTAGRAM:4:` exactly as a client builds it (§2.2)."""
    public = serialization.load_pem_public_key(base64.b64decode(pub_key_b64))
    key, iv, ts = os.urandom(32), os.urandom(12), str(int(time.time()))
    rsa_part = public.encrypt(key, padding.PKCS1v15())
    sealed = AESGCM(key).encrypt(iv, password.encode(), ts.encode())
    ciphertext, tag = sealed[:-16], sealed[-16:]
    blob = bytes([1, key_id]) + iv + struct.pack("<H", len(rsa_part)) + rsa_part + tag + ciphertext
    return f"#PWD_INSTAGRAM:4:{ts}:{base64.b64encode(blob).decode()}"


def totp(secret: str, at: float) -> str:
    """RFC 6238, written independently of the emulator's implementation."""
    key = base64.b32decode(secret)
    digest = hmac.new(key, struct.pack(">Q", int(at // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 15
    return str((int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF) % 10**6).zfill(6)


def login(api: Api, username: str, password: str = "demo-password"):
    return api.signed(
        "accounts/login/",
        {"username": username, "enc_password": f"#PWD_INSTAGRAM:0:1:{password}"},
    )


def test_qe_sync_publishes_key_and_encrypted_login_succeeds(emulator: EmulatorControl) -> None:
    api = Api(emulator.url)
    sync = api.get("qe/sync/")
    assert sync.status_code == 200 and sync.json()["status"] == "ok"
    key_id = int(sync.headers["ig-set-password-encryption-key-id"])
    enc = encrypt("demo-password", key_id, sync.headers["ig-set-password-encryption-pub-key"])
    response = api.signed("accounts/login/", {"username": "airflow_demo", "enc_password": enc})
    assert response.status_code == 200
    assert response.json()["logged_in_user"]["username"] == "airflow_demo"
    bearer = response.headers["ig-set-authorization"]
    assert bearer.startswith("Bearer IGT:2:")
    token = json.loads(base64.b64decode(bearer[len("Bearer IGT:2:") :]))
    assert token["ds_user_id"] == response.headers["ig-set-ig-u-ds-user-id"]
    assert token["sessionid"].startswith(token["ds_user_id"])
    assert response.headers["ig-set-x-mid"]


def test_encrypted_wrong_password_is_bad_password(emulator: EmulatorControl) -> None:
    api = Api(emulator.url)
    sync = api.post("launcher/sync/")
    enc = encrypt("nope", 41, sync.headers["ig-set-password-encryption-pub-key"])
    response = api.signed("accounts/login/", {"username": "airflow_demo", "enc_password": enc})
    assert response.status_code == 400
    assert response.json()["error_type"] == "bad_password"


def test_login_outcomes(emulator: EmulatorControl) -> None:
    api = Api(emulator.url)
    unknown = login(api, "nobody_here")
    assert unknown.status_code == 400 and unknown.json()["error_type"] == "invalid_user"
    wrong = login(api, "airflow_demo", "wrong")
    assert wrong.json()["error_type"] == "bad_password" and wrong.json()["status"] == "fail"
    garbled = api.signed("accounts/login/", {"username": "airflow_demo", "enc_password": "x"})
    assert garbled.status_code == 400 and "enc_password" in garbled.json()["message"]
    missing = api.signed("accounts/login/", {"enc_password": "#PWD_INSTAGRAM:0:1:x"})
    assert missing.status_code == 400 and "username" in missing.json()["message"]


def test_two_factor_by_totp_and_by_sms(emulator: EmulatorControl) -> None:
    api = Api(emulator.url)
    for code in (totp("JBSWY3DPEHPK3PXP", time.time()), "123456"):
        first = login(api, "airflow_demo_2fa")
        body = first.json()
        assert first.status_code == 400 and body["two_factor_required"] is True
        info = body["two_factor_info"]
        assert info["totp_two_factor_on"] and info["two_factor_identifier"]
        done = api.signed(
            "accounts/two_factor_login/",
            {
                "username": "airflow_demo_2fa",
                "two_factor_identifier": info["two_factor_identifier"],
                "verification_code": code,
                "verification_method": "3",
            },
        )
        assert done.status_code == 200, done.text
        assert done.json()["logged_in_user"]["username"] == "airflow_demo_2fa"
        assert done.headers["ig-set-authorization"].startswith("Bearer IGT:2:")


def test_two_factor_wrong_code_and_unknown_identifier(emulator: EmulatorControl) -> None:
    api = Api(emulator.url)
    info = login(api, "airflow_demo_2fa").json()["two_factor_info"]
    fields = {"two_factor_identifier": info["two_factor_identifier"], "verification_code": "000"}
    wrong = api.signed("accounts/two_factor_login/", fields)
    assert wrong.status_code == 400 and "security code" in wrong.json()["message"]
    fields["two_factor_identifier"] = "unknown"
    assert api.signed("accounts/two_factor_login/", fields).status_code == 400


def test_challenge_flow(emulator: EmulatorControl) -> None:
    api = Api(emulator.url)
    first = login(api, "airflow_demo_challenge")
    assert first.status_code == 400 and first.json()["message"] == "challenge_required"
    path = first.json()["challenge"]["api_path"].lstrip("/")
    state = api.get(path)
    assert state.json()["step_name"] == "select_verify_method"
    chosen = api.post(path, {"choice": "1"})
    assert chosen.json()["step_name"] == "verify_email"
    wrong = api.post(path, {"security_code": "999999"})
    assert wrong.status_code == 400
    done = api.post(path, {"security_code": "123456"})
    assert done.status_code == 200 and done.json()["logged_in_user"]["pk"]
    assert done.headers["ig-set-authorization"].startswith("Bearer IGT:2:")


def test_login_required_without_token_and_after_logout(emulator: EmulatorControl) -> None:
    api = Api(emulator.url)
    anonymous = api.get("direct_v2/inbox/")
    assert anonymous.status_code == 403
    assert anonymous.json() == {"message": "login_required", "logout_reason": 3, "status": "fail"}
    api.session.headers["Authorization"] = "Bearer IGT:2:bm90LWpzb24="
    assert api.get("direct_v2/inbox/").status_code == 403
    api.login()
    me = api.get("accounts/current_user/")
    assert me.status_code == 200 and me.json()["user"]["username"] == "airflow_demo"
    out = api.post("accounts/logout/", {"one_tap_app_login": "true"})
    assert out.status_code == 200 and out.headers["ig-set-authorization"] == "Bearer IGT:2:"
    revoked = api.get("accounts/current_user/")
    assert revoked.status_code == 403 and revoked.json()["message"] == "login_required"
    upload = api.upload("GET", "rupload_igvideo/123_0_456")
    assert upload.status_code == 403


def test_api_headers_are_required(emulator: EmulatorControl) -> None:
    api = Api(emulator.url).login()
    no_agent = api.get("direct_v2/inbox/", headers={"User-Agent": "python-requests"})
    assert no_agent.status_code == 400 and "User-Agent" in no_agent.json()["message"]
    del api.session.headers["X-IG-App-ID"]
    no_app = api.get("direct_v2/inbox/")
    assert no_app.status_code == 400 and "X-IG-App-ID" in no_app.json()["message"]


WEB_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"


@pytest.mark.parametrize(
    "endpoint",
    ["qe/sync/", "launcher/sync/", "zr/token/result/", "accounts/contact_point_prefill/"],
)
def test_pre_login_endpoints_answer_any_user_agent(emulator: EmulatorControl, endpoint) -> None:
    web = requests.Session()
    web.headers["User-Agent"] = WEB_AGENT
    response = web.get(f"{emulator.url}/api/v1/{endpoint}", timeout=10)
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert int(response.headers["ig-set-password-encryption-key-id"]) >= 0
    assert response.headers["ig-set-password-encryption-pub-key"]
    login = web.post(f"{emulator.url}/api/v1/accounts/login/", data={}, timeout=10)
    assert login.status_code == 400 and "User-Agent" in login.json()["message"]


def test_unknown_path_and_method(emulator: EmulatorControl) -> None:
    api = Api(emulator.url).login()
    missing = api.get("no/such/endpoint/")
    assert missing.status_code == 404
    assert missing.json() == {"message": "Not Found", "status": "fail"}
    assert api.post("direct_v2/inbox/").status_code == 405


def test_request_log_redacts_secrets(emulator: EmulatorControl) -> None:
    Api(emulator.url).login().get("direct_v2/inbox/")
    log = emulator.requests()
    assert [r["path"] for r in log] == ["/api/v1/accounts/login/", "/api/v1/direct_v2/inbox/"]
    assert log[0]["form"]["enc_password"] == "***"
    assert log[0]["form"]["username"] == "airflow_demo"
    assert log[1]["headers"]["Authorization"] == "Bearer IGT:2:***"
    assert "demo-password" not in json.dumps(log)
