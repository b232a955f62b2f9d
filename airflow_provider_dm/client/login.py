"""Login (§2): the pre-login sync that publishes the password key, the encrypted and signed
login form, and two-factor completion by TOTP (automatic) or by a code the caller passes.
Nothing here ever prompts; every failure is a typed error with a plain message."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from airflow_provider_dm.client.errors import (
    BadPassword,
    BadRequest,
    ChallengeRequired,
    DirectError,
    InvalidInput,
    InvalidUser,
    LoginFailed,
    ResponseError,
    TwoFactorRequired,
)
from airflow_provider_dm.client.password import encrypt_password
from airflow_provider_dm.client.totp import decode_secret, totp

if TYPE_CHECKING:
    from airflow_provider_dm.client.transport import Transport

COUNTRY_CODES = '[{"country_code":"1","source":["default"]}]'
TOTP_METHOD = "3"
SMS_METHOD = "1"


def jazoest(phone_id: str) -> str:
    """``2`` followed by the sum of the character codes of ``phone_id`` (§2.1)."""
    return "2" + str(sum(ord(char) for char in phone_id))


def login(
    transport: Transport, username: str, password: str, totp_secret: str | None = None
) -> dict[str, Any]:
    """Log in and return ``logged_in_user``; the transport's state then holds the session.

    With ``totp_secret`` a two-factor request is answered with the current code.
    """
    if not username or not username.strip():
        raise InvalidInput("username", "is empty")
    if not password:
        raise InvalidInput("password", "is empty")
    if totp_secret:
        decode_secret(totp_secret)
    state = transport.state
    state.clear_session()
    transport.api("POST", "qe/sync/", form={"id": state.uuid, "server_config_retrieval": "1"})
    if state.password_key_id is None or not state.password_public_key:
        raise DirectError("the server published no password encryption key", endpoint="qe/sync/")
    form = {
        "username": username,
        "enc_password": encrypt_password(
            password, state.password_key_id, state.password_public_key
        ),
        "guid": state.uuid,
        "phone_id": state.phone_id,
        "device_id": state.android_id,
        "adid": state.advertising_id,
        "google_tokens": "[]",
        "login_attempt_count": "0",
        "country_codes": COUNTRY_CODES,
        "jazoest": jazoest(state.phone_id),
    }
    try:
        answer = transport.api("POST", "accounts/login/", form=form, signed=True)
    except TwoFactorRequired as exc:
        if not totp_secret:
            raise _retitled(
                exc, f"{username} needs a two-factor code: set a TOTP secret to log in unattended"
            ) from None
        answer = two_factor_login(transport, exc, totp(totp_secret), method=TOTP_METHOD)
    except BadPassword as exc:
        raise _retitled(exc, f"the password of {username} is incorrect") from None
    except InvalidUser as exc:
        raise _retitled(exc, f"no account is named {username}") from None
    except ChallengeRequired as exc:
        raise _retitled(
            exc, f"{username} must pass a security challenge in the app before logging in"
        ) from None
    return _logged_in(transport, answer, username)


def two_factor_login(
    transport: Transport, error: TwoFactorRequired, code: str, *, method: str = SMS_METHOD
) -> dict[str, Any]:
    """Answer ``error`` with a verification ``code`` (``method`` 3: authenticator, 1: SMS) and
    return ``logged_in_user``."""
    state = transport.state
    form = {
        "verification_code": code.replace(" ", ""),
        "two_factor_identifier": error.identifier,
        "username": error.username,
        "trust_this_device": "0",
        "guid": state.uuid,
        "device_id": state.android_id,
        "phone_id": state.phone_id,
        "verification_method": method,
        "waterfall_id": str(uuid.uuid4()),
    }
    try:
        answer = transport.api("POST", "accounts/two_factor_login/", form=form, signed=True)
    except BadRequest as exc:
        if isinstance(exc, LoginFailed):
            raise
        raise _retitled(
            exc, f"the two-factor code for {error.username} was refused: {exc.message}", LoginFailed
        ) from None
    return _logged_in(transport, answer, error.username)


def _logged_in(transport: Transport, answer: dict[str, Any], username: str) -> dict[str, Any]:
    state = transport.state
    if not state.authorization:
        raise DirectError("the login answer carried no session token", endpoint="accounts/login/")
    user = answer.get("logged_in_user")
    user = user if isinstance(user, dict) else {}
    pk = user.get("pk")
    if pk is not None and not (isinstance(pk, (int, str)) and str(pk).strip().isdecimal()):
        raise ResponseError(
            f"the login answer's user id is not a number: {str(pk)[:40]!r}",
            endpoint="accounts/login/",
        )
    name = user.get("username")
    state.username = name.strip() if isinstance(name, str) and name.strip() else username
    if pk is not None:
        state.user_id = int(str(pk).strip())
    state.logged_in_at = time.time()
    return user


def _retitled(
    error: DirectError, message: str, kind: type[DirectError] | None = None
) -> DirectError:
    """The same error (or ``kind``) with a clearer message and the server's fields kept."""
    server = f" (server: {error.message})" if error.message and error.message != message else ""
    return (kind or type(error))(
        message + server, status=error.status, endpoint=error.endpoint, payload=error.payload
    )
