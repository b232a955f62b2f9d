"""The webhook helpers without a network: Meta's signature over the raw bytes, and the
messaging events of a payload (deduplicated by mid, oldest first, echoes marked)."""

from __future__ import annotations

import json

import pytest

from airflow_provider_dm.webhooks.payload import messaging_events
from airflow_provider_dm.webhooks.signature import SignatureMismatch, sign, verify_signature

SECRET = "app-secret-value"


def test_a_body_signed_with_the_secret_passes() -> None:
    body = json.dumps({"object": "instagram", "entry": []}, ensure_ascii=True).encode()
    verify_signature(body, sign(body, SECRET), SECRET)


@pytest.mark.parametrize(
    ("header", "words"),
    [
        (None, "missing"),
        ("sha1=abc", "missing or not of the form"),
        ("sha256=" + "0" * 64, "does not match"),
    ],
)
def test_a_bad_signature_is_refused_without_showing_the_secret(header, words) -> None:
    body = b'{"object":"instagram"}'
    with pytest.raises(SignatureMismatch) as caught:
        verify_signature(body, header, SECRET)
    assert words in str(caught.value)
    assert SECRET not in str(caught.value) and sign(body, SECRET) not in str(caught.value)


def test_a_re_serialised_body_does_not_match() -> None:
    body = b'{"text": "caf\\u00e9"}'
    reserialised = json.dumps(json.loads(body), ensure_ascii=False).encode()
    with pytest.raises(SignatureMismatch):
        verify_signature(reserialised, sign(body, SECRET), SECRET)


def test_events_are_flattened_deduplicated_and_sorted() -> None:
    def message(mid: str, at: int, **extra: object) -> dict:
        body = {"mid": mid, "text": f"t{mid}", **extra}
        return {
            "sender": {"id": "7"},
            "recipient": {"id": "1784"},
            "timestamp": at,
            "message": body,
        }

    payload = {
        "object": "instagram",
        "entry": [
            {"id": "1784", "messaging": [message("b", 20), message("a", 10)]},
            {"id": "1784", "messaging": [message("a", 10), message("c", 30, is_echo=True)]},
            {"id": "1784", "messaging": [{"read": {"mid": "a"}, "timestamp": 40}, {"x": 1}]},
        ],
    }

    events = messaging_events(payload)

    assert [(e["kind"], e["mid"]) for e in events] == [
        ("message", "a"),
        ("message", "b"),
        ("message", "c"),
        ("read", "a"),
    ]
    assert [e["is_echo"] for e in events] == [False, False, True, False]
    assert events[0]["text"] == "ta" and events[0]["account_id"] == "1784"


@pytest.mark.parametrize("payload", [None, [], {"object": "user"}, {"object": "instagram"}])
def test_other_payloads_hold_no_events(payload) -> None:
    assert messaging_events(payload) == []
