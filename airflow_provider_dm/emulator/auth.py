"""Authentication (§2): the password key, `#PWD_INSTAGRAM` decryption, bearer tokens, login,
two-factor, the challenge flow, logout and the session check of every other endpoint."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
import struct
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from airflow_provider_dm.emulator import fields
from airflow_provider_dm.emulator.shapes import user_full
from airflow_provider_dm.emulator.state import EmulatorState
from airflow_provider_dm.emulator.wire import (
    LOGIN_REQUIRED,
    ApiError,
    Request,
    Response,
    bad_request,
    ok,
)

KEY_ID = 41
SMS_CODE = "123456"
MID = "ZW11bGF0b3ItbWlk"


@functools.lru_cache(maxsize=1)
def private_key() -> rsa.RSAPrivateKey:
    """The emulator's RSA-2048 password key: generated once per process."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.lru_cache(maxsize=1)
def public_key_header() -> str:
    """The public key as `ig-set-password-encryption-pub-key` carries it (base64 of a PEM)."""
    pem = (
        private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return base64.b64encode(pem).decode()


def key_headers() -> dict[str, str]:
    """The pre-login response headers: password key id and key, machine id, and a csrftoken
    cookie (with bearer auth it is secondary, but clients keep a cookie jar and send it back)."""
    return {
        "ig-set-password-encryption-key-id": str(KEY_ID),
        "ig-set-password-encryption-pub-key": public_key_header(),
        "ig-set-x-mid": MID,
        "Set-Cookie": f"csrftoken={secrets.token_hex(16)}; Path=/; Max-Age=31449600",
    }


def decrypt_password(enc_password: str) -> str:
    """The plain password inside `#PWD_INSTAGRAM:4:` (AES-GCM + RSA) or `:0:` (plain text)."""
    parts = enc_password.split(":", 3)
    if len(parts) != 4 or parts[0] != "#PWD_INSTAGRAM":
        raise bad_request("Invalid enc_password: expected #PWD_INSTAGRAM:<version>:<ts>:<data>")
    _, version, ts, data = parts
    if version == "0":
        return data
    if version != "4":
        raise bad_request(f"Invalid enc_password: unsupported version {version}")
    try:
        blob = base64.b64decode(data, validate=True)
        if blob[0] != 1 or blob[1] != KEY_ID:
            raise ValueError("wrong version byte or key id")
        iv = blob[2:14]
        (size,) = struct.unpack("<H", blob[14:16])
        encrypted_key = blob[16 : 16 + size]
        tag = blob[16 + size : 32 + size]
        ciphertext = blob[32 + size :]
        aes_key = private_key().decrypt(encrypted_key, padding.PKCS1v15())
        plain = AESGCM(aes_key).decrypt(iv, ciphertext + tag, ts.encode())
        return plain.decode()
    except Exception:  # any corruption: bad base64, wrong key, failed GCM tag, bad UTF-8
        raise bad_request(
            "Invalid enc_password: cannot be decrypted with the published key"
        ) from None


def totp(secret: str, step: int) -> str:
    """The RFC 6238 code (SHA1, 6 digits) of a base32 secret for one 30-second step."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def bearer_for(user_pk: int, sessionid: str) -> str:
    """The `Bearer IGT:2:` value of a session (§2.3)."""
    payload = {
        "ds_user_id": str(user_pk),
        "sessionid": sessionid,
        "should_use_header_over_cookies": True,
    }
    return "Bearer IGT:2:" + base64.b64encode(json.dumps(payload).encode()).decode()


def session_of(ctx: EmulatorState, authorization: str | None) -> tuple[int, str] | None:
    """(user pk, sessionid) of a live session named by an Authorization header, else None."""
    if not authorization or not authorization.startswith("Bearer IGT:2:"):
        return None
    try:
        data = json.loads(base64.b64decode(authorization[13:], validate=True))
        sessionid = str(data["sessionid"])
    except (ValueError, KeyError, TypeError):
        return None
    row = ctx.store.db.execute(
        "SELECT user_pk FROM sessions WHERE sessionid = ? AND revoked = 0", (sessionid,)
    ).fetchone()
    return (int(row["user_pk"]), sessionid) if row else None


def require_session(ctx: EmulatorState, req: Request) -> None:
    """Set `req.viewer` from the bearer token, or raise 403 login_required."""
    session = session_of(ctx, req.header("Authorization"))
    if session is None:
        raise ApiError.shaped(403, LOGIN_REQUIRED)
    req.viewer, req.sessionid = session


def logged_in(ctx: EmulatorState, user_pk: int) -> Response:
    """Create a session for `user_pk`: the login success body and the `ig-set-*` headers."""
    sessionid = f"{user_pk}%3A{secrets.token_hex(12)}%3A{secrets.randbelow(30)}"
    ctx.store.db.execute(
        "INSERT INTO sessions (sessionid, user_pk, created_at) VALUES (?, ?, ?)",
        (sessionid, user_pk, int(time.time())),
    )
    user = ctx.store.db.execute("SELECT * FROM users WHERE pk = ?", (user_pk,)).fetchone()
    response = ok(logged_in_user=user_full(user))
    response.headers.update(
        {
            "ig-set-authorization": bearer_for(user_pk, sessionid),
            "ig-set-ig-u-ds-user-id": str(user_pk),
            "ig-set-ig-u-rur": f"RVA,{user_pk},{int(time.time()) + 31536000}:01f7",
            "ig-set-x-mid": MID,
        }
    )
    return response


def _login_failure(message: str, error_type: str, **extra: object) -> ApiError:
    return bad_request(
        message,
        invalid_credentials=error_type in ("bad_password", "invalid_user"),
        error_title="Incorrect password" if error_type == "bad_password" else "",
        buttons=[{"title": "Try Again", "action": "dismiss"}],
        error_type=error_type,
        two_factor_required=False,
        **extra,
    )


def handle_sync(ctx: EmulatorState, req: Request) -> Response:
    """`qe/sync/`, `launcher/sync/`, `zr/token/result/`: ok plus the password key headers."""
    response = ok()
    response.headers.update(key_headers())
    return response


def handle_login(ctx: EmulatorState, req: Request) -> Response:
    """`accounts/login/`: one outcome per seeded user (§2.2)."""
    username = fields.text(req.form, "username")
    enc = fields.text(req.form, "enc_password", required=False)
    password = decrypt_password(enc) if enc else fields.text(req.form, "password")
    user = ctx.store.db.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
    if user is None:
        raise _login_failure(
            "The username you entered doesn't appear to belong to an account.", "invalid_user"
        )
    if not hmac.compare_digest(str(password).encode(), user["password"].encode()):
        raise _login_failure("The password you entered is incorrect.", "bad_password")
    pk = int(user["pk"])
    if user["login"] == "two_factor":
        identifier = secrets.token_urlsafe(24)
        ctx.store.db.execute(
            "INSERT INTO pending_logins (token, kind, user_pk) VALUES (?, 'two_factor', ?)",
            (identifier, pk),
        )
        error = bad_request(
            "Please check the code we sent you and try again.",
            two_factor_required=True,
            two_factor_info={
                "username": user["username"],
                "pk": pk,
                "sms_two_factor_on": True,
                "totp_two_factor_on": True,
                "obfuscated_phone_number": "**12",
                "two_factor_identifier": identifier,
                "show_messenger_code_option": False,
                "show_new_login_screen": True,
                "show_trusted_device_option": True,
                "phone_verification_settings": {
                    "max_sms_count": 2,
                    "resend_sms_delay_sec": 60,
                    "robocall_count_down_time_sec": 30,
                    "robocall_after_max_sms": True,
                },
            },
            error_type="two_factor_required",
        )
        error.commit = True
        raise error
    if user["login"] == "challenge":
        raise challenge_error(ctx, pk)
    return logged_in(ctx, pk)


def challenge_error(ctx: EmulatorState, user_pk: int) -> ApiError:
    """A 400 challenge_required (§2.5) with a fresh challenge path for `user_pk`."""
    nonce = secrets.token_urlsafe(9)
    ctx.store.db.execute(
        "INSERT INTO pending_logins (token, kind, user_pk) VALUES (?, 'challenge', ?)",
        (nonce, user_pk),
    )
    api_path = f"/challenge/{user_pk}/{nonce}/"
    error = bad_request(
        "challenge_required",
        challenge={
            "url": f"https://i.instagram.com{api_path}",
            "api_path": api_path,
            "hide_webview_header": True,
            "lock": True,
            "logout": False,
            "native_flow": True,
        },
        error_type="checkpoint_challenge_required",
    )
    error.commit = True
    return error


def handle_two_factor(ctx: EmulatorState, req: Request) -> Response:
    """`accounts/two_factor_login/`: a TOTP code (±1 step) or the SMS code completes the login."""
    identifier = fields.text(req.form, "two_factor_identifier")
    code = (fields.text(req.form, "verification_code") or "").replace(" ", "")
    row = ctx.store.db.execute(
        "SELECT p.user_pk, u.totp_secret FROM pending_logins p JOIN users u ON u.pk = p.user_pk"
        " WHERE p.token = ? AND p.kind = 'two_factor'",
        (identifier,),
    ).fetchone()
    if row is None:
        raise bad_request(
            "Invalid two_factor_identifier: no pending two-factor login",
            error_type="invalid_identifier",
        )
    step = int(time.time()) // 30
    valid = {SMS_CODE}
    if row["totp_secret"]:
        valid |= {totp(row["totp_secret"], step + delta) for delta in (-1, 0, 1)}
    if code not in valid:
        raise bad_request(
            "Please check the security code and try again.",
            error_type="sms_code_validation_code_invalid",
        )
    ctx.store.db.execute("DELETE FROM pending_logins WHERE token = ?", (identifier,))
    return logged_in(ctx, int(row["user_pk"]))


def handle_challenge(ctx: EmulatorState, req: Request) -> Response:
    """`challenge/{uid}/{nonce}/`: GET the state, POST a `choice`, POST the `security_code`."""
    row = ctx.store.db.execute(
        "SELECT * FROM pending_logins WHERE token = ? AND kind = 'challenge' AND user_pk = ?",
        (req.params["nonce"], req.params["uid"]),
    ).fetchone()
    if row is None:
        raise ApiError(404, "Challenge not found")
    user_pk = int(row["user_pk"])
    state = {"user_id": user_pk, "nonce_code": req.params["nonce"], "challenge_context": "{}"}
    if req.method == "GET":
        return ok(
            step_name="select_verify_method",
            step_data={"choice": "1", "email": "a***o@example.com", "phone_number": "+1 ***-**12"},
            **state,
        )
    if "security_code" in req.form:
        if fields.text(req.form, "security_code") != SMS_CODE:
            raise bad_request(
                "Please check the code we sent you and try again.",
                error_type="invalid_security_code",
            )
        ctx.store.db.execute("DELETE FROM pending_logins WHERE token = ?", (row["token"],))
        return logged_in(ctx, user_pk)
    choice = fields.text(req.form, "choice")
    if choice not in ("0", "1"):
        raise bad_request("Invalid choice: use 0 (phone) or 1 (email)")
    ctx.store.db.execute(
        "UPDATE pending_logins SET step = 'code_sent' WHERE token = ?", (row["token"],)
    )
    contact = "+1 ***-**12" if choice == "0" else "a***o@example.com"
    return ok(
        step_name="verify_phone" if choice == "0" else "verify_email",
        step_data={"security_code": "None", "contact_point": contact, "form_type": choice},
        **state,
    )


def handle_current_user(ctx: EmulatorState, req: Request) -> Response:
    """`accounts/current_user/`: the viewer's profile (session validation on resume)."""
    user = ctx.store.db.execute("SELECT * FROM users WHERE pk = ?", (req.viewer,)).fetchone()
    return ok(user=user_full(user))


def expire_session(ctx: EmulatorState, sessionid: str) -> None:
    """End a session as the service does when it expires: every later request with its bearer
    gets 403 `login_required` (the `expire_session` fault)."""
    with ctx.store.lock:
        ctx.store.db.execute("UPDATE sessions SET revoked = 1 WHERE sessionid = ?", (sessionid,))


def handle_logout(ctx: EmulatorState, req: Request) -> Response:
    """`accounts/logout/`: revoke the session; the bearer header comes back empty."""
    ctx.store.db.execute("UPDATE sessions SET revoked = 1 WHERE sessionid = ?", (req.sessionid,))
    response = ok()
    response.headers["ig-set-authorization"] = "Bearer IGT:2:"
    return response
