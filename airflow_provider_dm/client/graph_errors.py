"""Typed errors of Meta's Graph API (the official Messaging API), mapped from its error shape
``{"error": {message, type, code, error_subcode, fbtrace_id}}`` onto the client's error
types, so that the hook's fail-fast rules apply to both backends alike."""

from __future__ import annotations

from typing import Any

from airflow_provider_dm.client.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    RateLimited,
    ResponseError,
    ServerError,
)

THROTTLING = frozenset({4, 17, 32, 613})
WINDOW_SUBCODES = frozenset({2534022, 2018278})
UNKNOWN_RECIPIENT_SUBCODES = frozenset({2534014})
# How long to wait before another call after a throttling answer (Graph sends no Retry-After).
THROTTLE_WAIT = 5.0


class TokenInvalid(ResponseError):
    """Code 190: the access token expired, was revoked or is not a token. Retrying cannot
    help: the token in the connection must be renewed."""

    account_action = (
        "renew the access token and store it in the connection (the dm_token_refresh example"
        " DAG refreshes a long-lived token before it expires)"
    )


class OutsideWindow(BadRequest):
    """Code 10 / 2534022: the person's last message is older than the messaging window (24 h;
    7 days with the HUMAN_AGENT tag), or the person never wrote to the account."""


class RecipientUnavailable(BadRequest):
    """Code 551, or 100 with a recipient subcode: the person cannot receive this message."""


class AccountRestricted(Forbidden):
    """Codes 368 and 10 / 1893063: the account is blocked from sending for now."""

    account_action = "wait until Instagram lifts the restriction, and check the account's inbox"


class PermissionMissing(Forbidden):
    """Codes 200-299: the token lacks a permission or the account turned API access off."""

    account_action = (
        "grant the app the instagram_business_manage_messages permission and turn on"
        " 'Allow access to messages' in the Instagram app"
    )


def graph_error_for(status: int, body: Any, endpoint: str, headers: Any = None) -> ResponseError:
    """The typed error for a Graph answer with HTTP ``status`` and JSON ``body``."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        kind = ServerError if status >= 500 else BadRequest
        return kind(f"HTTP {status} without a Graph error body", status=status, endpoint=endpoint)
    code = _int(error.get("code"))
    subcode = _int(error.get("error_subcode"))
    message = str(error.get("message") or "unknown error")
    label = f"{message} (code {code}" + (f", subcode {subcode})" if subcode else ")")
    details = {"code": code, "error_subcode": subcode, "type": error.get("type")}
    options: dict[str, Any] = {"status": status, "endpoint": endpoint, "payload": details}
    if code == 190:
        return TokenInvalid(f"the access token was refused: {label}", **options)
    if code in THROTTLING:
        return RateLimited(f"rate limited: {label}", retry_after=THROTTLE_WAIT, **options)
    if code == 10 and subcode in WINDOW_SUBCODES:
        return OutsideWindow(
            "outside the messaging window: the person's last message is more than 24 hours"
            f" old (7 days with the HUMAN_AGENT tag), or they never wrote: {label}",
            **options,
        )
    if code == 368 or (code == 10 and subcode == 1893063):
        return AccountRestricted(f"the account may not send for now: {label}", **options)
    if code == 551 or (code == 100 and subcode in UNKNOWN_RECIPIENT_SUBCODES):
        return RecipientUnavailable(f"the recipient cannot get this message: {label}", **options)
    if code is not None and 200 <= code <= 299:
        return PermissionMissing(f"permission missing: {label}", **options)
    if code == 100 and subcode == 33:
        return NotFound(label, **options)
    if code == 2 or status >= 500:
        return ServerError(label, **options)
    return BadRequest(label, **options)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
