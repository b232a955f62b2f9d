"""The Graph error shape mapped onto the client's typed errors: what is retried, what fails
fast, and what the message tells the person (table-driven, from official-api.md §5)."""

from __future__ import annotations

import pytest

from airflow_provider_dm.client.errors import BadRequest, NotFound, RateLimited, ServerError
from airflow_provider_dm.client.graph_errors import (
    AccountRestricted,
    OutsideWindow,
    PermissionMissing,
    RecipientUnavailable,
    TokenInvalid,
    graph_error_for,
)


def _body(code: int, subcode: int | None = None, message: str = "m") -> dict:
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "A1"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


@pytest.mark.parametrize(
    ("status", "code", "subcode", "kind", "retryable", "action", "words"),
    [
        (400, 190, 463, TokenInvalid, False, True, "access token was refused"),
        (400, 190, 460, TokenInvalid, False, True, "access token was refused"),
        (400, 190, None, TokenInvalid, False, True, "access token was refused"),
        (400, 4, None, RateLimited, True, False, "rate limited"),
        (400, 17, None, RateLimited, True, False, "rate limited"),
        (400, 32, None, RateLimited, True, False, "rate limited"),
        (400, 613, 2534040, RateLimited, True, False, "rate limited"),
        (403, 10, 2534022, OutsideWindow, False, False, "24 hours"),
        (403, 10, 2018278, OutsideWindow, False, False, "messaging window"),
        (403, 10, 1893063, AccountRestricted, False, True, "may not send"),
        (400, 368, None, AccountRestricted, False, True, "may not send"),
        (400, 551, None, RecipientUnavailable, False, False, "cannot get this message"),
        (400, 100, 2534014, RecipientUnavailable, False, False, "cannot get this message"),
        (400, 200, 2534041, PermissionMissing, False, True, "permission missing"),
        (400, 100, 33, NotFound, False, False, "code 100"),
        (400, 100, 2534037, BadRequest, False, False, "subcode 2534037"),
        (500, 2, None, ServerError, True, False, "code 2"),
    ],
)
def test_each_graph_error_maps_to_its_type(
    status, code, subcode, kind, retryable, action, words
) -> None:
    error = graph_error_for(status, _body(code, subcode), "me/messages")

    assert type(error) is kind
    assert error.retryable is retryable
    assert (error.account_action is not None) is action
    assert words in str(error)
    assert error.status == status and error.endpoint == "me/messages"


def test_a_throttled_answer_says_how_long_to_wait() -> None:
    error = graph_error_for(400, _body(613), "x")
    assert isinstance(error, RateLimited) and error.retry_after and error.retry_after > 0


@pytest.mark.parametrize(("status", "kind"), [(502, ServerError), (400, BadRequest)])
def test_an_answer_without_the_graph_shape_still_gets_a_type(status, kind) -> None:
    assert type(graph_error_for(status, {"oops": 1}, "x")) is kind
    assert type(graph_error_for(status, ["not", "a", "dict"], "x")) is kind


def test_the_token_error_tells_the_person_to_renew_it() -> None:
    error = graph_error_for(400, _body(190, 463, "Session has expired"), "me")
    assert "renew the access token" in error.account_action
    assert "Session has expired" in str(error)
