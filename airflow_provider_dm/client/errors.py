"""Typed errors of the Direct client: each carries the HTTP status, the server's message and
the endpoint, and never a secret."""

from __future__ import annotations

import email.utils
import time
from typing import Any

_SECRET_KEYS = ("password", "sessionid", "authorization", "secret", "token", "bearer", "cookie")
_REDACTED = "***"


class DirectError(Exception):
    """Base of every error the client raises.

    ``account_action`` is set on errors about the account itself (a refused password, a
    challenge, a spam block): retrying cannot help, so the text says what the person must do.
    ``blocks_account`` marks those after which every other task of the account must stop too.
    """

    retryable = False
    account_action: str | None = None
    blocks_account = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        endpoint: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.endpoint = endpoint
        self.payload = payload or {}
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f" ({self.endpoint}, HTTP {self.status})" if self.endpoint else ""
        return f"{self.message}{where}"


TEST_AND_CLEAR = (
    "then press Test in the connection form (or run "
    "`python -m airflow_provider_dm clear_block <conn_id>`) and clear this task"
)


class InvalidInput(DirectError, ValueError):
    """Bad input, refused before any request leaves the machine; names the field."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class ResponseError(DirectError):
    """A failure the server answered with, not covered by a more precise type."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        endpoint: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, status=status, endpoint=endpoint, payload=redact(payload or {}))


class NetworkError(ResponseError):
    """No usable answer: the connection failed or was dropped mid-response (status None)."""

    retryable = True


class RequestTimeout(NetworkError):
    """The server did not answer within the client's timeout."""


class ServerError(ResponseError):
    """HTTP 5xx: the service failed; retried."""

    retryable = True


class RateLimited(ResponseError):
    """HTTP 429 or "Please wait a few minutes before you try again."; retried after
    ``retry_after`` seconds when the server said how long."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class TranscodeNotFinished(ResponseError):
    """HTTP 202 "Transcode not finished yet.": the video is still being processed; ask again."""


class MediaNeedsReupload(ResponseError):
    """A 200 answer with ``error_title`` (e.g. "bad image input"): the upload was refused."""


class BadRequest(ResponseError):
    """HTTP 400 (or a ``status: fail`` body) for input the server refused."""


class NotFound(ResponseError):
    """HTTP 404: unknown endpoint, user, thread or item."""


class Forbidden(ResponseError):
    """HTTP 401/403 other than login_required."""


class LoginRequired(ResponseError):
    """The session is missing, expired or logged out (``login_required``)."""


class FeedbackRequired(BadRequest):
    """The service blocked the action as spam (``feedback_required``); never retried."""

    account_action = (
        "Instagram blocked this account's sends as spam; wait for the cool-down, lower the "
        "connection's send_rate, " + TEST_AND_CLEAR
    )
    blocks_account = True

    @property
    def feedback_title(self) -> str:
        """The server's short title, e.g. "Action Blocked"."""
        return str(self.payload.get("feedback_title") or "")


class SentryBlock(BadRequest):
    """The account or device is blocked (``sentry_block``)."""

    account_action = (
        "Instagram blocked this account or device; open the Instagram app on the account's "
        "usual phone and follow what it asks, " + TEST_AND_CLEAR
    )
    blocks_account = True


class InactiveUser(BadRequest):
    """The account is inactive."""

    account_action = (
        "the account is disabled or inactive; reactivate it in the Instagram app, " + TEST_AND_CLEAR
    )
    blocks_account = True


class PrivateAccount(BadRequest):
    """ "Not authorized to view user": the user is private."""


class MessageRequestsDisabled(BadRequest):
    """The recipient does not accept messages from this account."""


class MediaUnavailable(BadRequest):
    """An invalid, unavailable or deleted media id."""


class LoginFailed(BadRequest):
    """Login did not give a session."""


class BadPassword(LoginFailed):
    """The password is wrong."""

    account_action = (
        "Instagram refused the password; correct it in the connection, " + TEST_AND_CLEAR
    )
    blocks_account = True


class InvalidUser(LoginFailed):
    """No account has that username."""

    account_action = (
        "Instagram knows no account with this username; correct the connection's Username, "
        + TEST_AND_CLEAR
    )
    blocks_account = True


class TwoFactorRequired(LoginFailed):
    """Login needs a second factor; ``identifier`` completes it with a code."""

    account_action = (
        "the account asks for a second factor; put the authenticator's TOTP secret in the "
        "connection's TOTP secret field, " + TEST_AND_CLEAR
    )
    blocks_account = True

    def __init__(self, message: str, **kwargs: Any) -> None:
        info = (kwargs.get("payload") or {}).get("two_factor_info")
        info = info if isinstance(info, dict) else {}
        self.identifier = str(info.get("two_factor_identifier") or "")
        self.username = str(info.get("username") or "")
        self.totp_enabled = bool(info.get("totp_two_factor_on"))
        self.sms_enabled = bool(info.get("sms_two_factor_on"))
        super().__init__(message, **kwargs)


class ChallengeRequired(LoginFailed):
    """The service wants a security check (``challenge_required``); ``api_path`` resolves it."""

    account_action = (
        "Instagram wants a security check; approve the login in the Instagram app on the "
        'account\'s usual phone ("This was me"), ' + TEST_AND_CLEAR
    )
    blocks_account = True

    @property
    def api_path(self) -> str:
        """Where the challenge is answered, e.g. ``/challenge/123/abc/``."""
        challenge = self.payload.get("challenge")
        return str(challenge.get("api_path") or "") if isinstance(challenge, dict) else ""


class CheckpointRequired(ChallengeRequired):
    """``checkpoint_required``: a checkpoint to pass in the app."""

    account_action = (
        "Instagram put the account behind a checkpoint; open the Instagram app or "
        "instagram.com and pass it, " + TEST_AND_CLEAR
    )


_MESSAGE_REQUEST_MARKERS = (
    "can't message this account",
    "unless they follow you",
    "doesn't allow new message requests",
    "not accepting message requests",
)
_MEDIA_MARKERS = ("invalid media_id", "media is unavailable", "has been deleted")


def error_for(
    status: int, body: dict[str, Any], endpoint: str, headers: Any = None
) -> ResponseError | None:
    """The typed error an answer means (§9.1), or None when it is a success.

    A ``status: fail`` body is an error whatever the HTTP status.
    """
    message = str(body.get("message") or "")
    failed = body.get("status") != "ok" or status >= 300
    if not failed:
        if body.get("error_title") or message == "media_needs_reupload":
            title = body.get("error_title") or message
            return MediaNeedsReupload(
                f"upload refused: {title}", status=status, endpoint=endpoint, payload=body
            )
        return None
    kind = _kind(status, body, message.lower(), str(body.get("error_type") or "").lower())
    text = message or body.get("error_title") or f"HTTP {status}"
    if kind is RateLimited:
        return RateLimited(
            text,
            retry_after=retry_after(headers),
            status=status,
            endpoint=endpoint,
            payload=body,
        )
    return kind(str(text), status=status, endpoint=endpoint, payload=body)


def _kind(status: int, body: dict[str, Any], message: str, error_type: str) -> type[ResponseError]:
    if status == 202 and "transcode not finished" in message:
        return TranscodeNotFinished
    if status == 429 or "please wait a few minutes" in message or error_type == "rate_limit_error":
        return RateLimited
    if message in ("login_required", "user_has_logged_out"):
        return LoginRequired
    if body.get("two_factor_required") or body.get("two_factor_info"):
        return TwoFactorRequired
    if message == "checkpoint_required":
        return CheckpointRequired
    if message == "challenge_required" or isinstance(body.get("challenge"), dict):
        return ChallengeRequired
    if message == "feedback_required" or body.get("spam"):
        return FeedbackRequired
    by_type = {
        "bad_password": BadPassword,
        "invalid_user": InvalidUser,
        "sentry_block": SentryBlock,
        "inactive user": InactiveUser,
    }
    if error_type in by_type:
        return by_type[error_type]
    if "not authorized to view user" in message:
        return PrivateAccount
    if any(marker in message for marker in _MESSAGE_REQUEST_MARKERS):
        return MessageRequestsDisabled
    if any(marker in message for marker in _MEDIA_MARKERS):
        return MediaUnavailable
    if status >= 500:
        return ServerError
    if status == 404:
        return NotFound
    if status in (401, 403):
        return Forbidden
    if status == 400 or status < 300:
        return BadRequest
    return ResponseError


def retry_after(headers: Any) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), else None."""
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def redact(value: Any) -> Any:
    """A copy of a JSON value with every secret-looking key's value replaced by ``***``."""
    if isinstance(value, dict):
        return {
            key: _REDACTED
            if any(word in str(key).lower() for word in _SECRET_KEYS)
            else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value
