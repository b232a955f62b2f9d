"""Broadcasts against the emulator: every item type on both routes lands in the ledger with
exactly its fields; destinations, dedupe by client_context, partial failure, refusals."""

from __future__ import annotations

import io
import json

import pytest
from mp4_fixture import write_mp4
from PIL import Image

from airflow_provider_dm.client import DirectClient
from airflow_provider_dm.client.broadcast import send
from airflow_provider_dm.client.client_context import derive_client_context
from airflow_provider_dm.client.destinations import Destination
from airflow_provider_dm.client.errors import InvalidInput
from airflow_provider_dm.client.items import Link, MediaShare, Photo, ProfileShare, Text, Video
from airflow_provider_dm.client.upload import TranscodeWait, upload_photo, upload_video
from airflow_provider_dm.emulator.control import EmulatorControl

FAST = TranscodeWait(attempts=10, first_delay=0.01, max_delay=0.05)
ROUTES = ("attachment", "classic")


@pytest.fixture
def client(emulator: EmulatorControl) -> DirectClient:
    client = DirectClient(api_url=emulator.url + "/api/v1/", upload_url=emulator.url + "/")
    client.login("airflow_demo", "demo-password")
    return client


@pytest.fixture
def seed(emulator: EmulatorControl) -> dict:
    return emulator.seed()


def _user(seed: dict, username: str) -> str:
    return str(next(u["pk"] for u in seed["users"] if u["username"] == username))


def _one_to_one(seed: dict) -> tuple[str, str]:
    """(thread_id, user pk) of a seeded 1:1 thread."""
    thread = next(t for t in seed["threads"] if len(t["users"]) == 1)
    return str(thread["thread_id"]), str(thread["users"][0])


COMMON = ("action", "client_context", "mutation_token", "offline_threading_id", "is_shh_mode")


def _kind_fields(row: dict) -> dict:
    """The ledger row's fields minus the common send fields and the address."""
    skip = {*COMMON, "thread_ids", "recipient_users"}
    return {k: v for k, v in row["fields"].items() if k not in skip}


def _sends(emulator: EmulatorControl) -> list[dict]:
    return [r for r in emulator.requests() if "/broadcast/" in r["path"]]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("build", "kind", "fields"),
    [
        (lambda s: Text("hello there"), "text", lambda s: {"text": "hello there"}),
        (
            lambda s: Link("read https://example.com/a now"),
            "link",
            lambda s: {
                "link_text": "read https://example.com/a now",
                "link_urls": '["https://example.com/a"]',
            },
        ),
        (
            lambda s: ProfileShare(_user(s, "bob_demo")),
            "profile",
            lambda s: {"profile_user_id": _user(s, "bob_demo")},
        ),
        (
            lambda s: MediaShare(s["media"][0]["id"]),
            "media_share",
            lambda s: {"media_id": s["media"][0]["id"]},
        ),
    ],
)
def test_each_share_lands_in_the_ledger(client, emulator, seed, route, build, kind, fields) -> None:
    thread_id, _ = _one_to_one(seed)
    token = derive_client_context("test", kind, route)
    (result,) = send(
        client.transport, build(seed), threads=[thread_id], client_context=token, route=route
    )
    assert (result.status, result.thread_id, result.client_context) == ("sent", thread_id, token)
    (row,) = emulator.ledger()
    assert (row["kind"], row["thread_id"], row["client_context"]) == (kind, thread_id, token)
    assert row["item_id"] == result.item_id
    assert {k: row["fields"][k] for k in COMMON} == {
        "action": "send_item",
        "client_context": token,
        "mutation_token": token,
        "offline_threading_id": token,
        "is_shh_mode": "0",
    }
    assert json.loads(row["fields"]["thread_ids"]) == [thread_id]
    assert _kind_fields(row) == fields(seed)


def test_recipients_open_or_reuse_conversations(client, emulator, seed) -> None:
    thread_id, user = _one_to_one(seed)
    carol, dave = _user(seed, "carol_demo"), _user(seed, "dave_demo")
    results = send(client.transport, Text("hi all"), recipients=[[user], [carol, dave]])
    assert [r.status for r in results] == ["sent", "sent"]
    assert results[0].thread_id == thread_id
    assert results[0].destination == f"users:{user}"
    assert results[1].destination == f"users:{carol},{dave}"
    assert {row["thread_id"] for row in emulator.ledger()} == {thread_id, results[1].thread_id}


def test_usernames_are_resolved_once(client, emulator, seed) -> None:
    results = send(
        client.transport, Text("hey"), recipients=[["@carol_demo"], ["@carol_demo", "@dave_demo"]]
    )
    assert [r.destination for r in results] == [
        f"users:{_user(seed, 'carol_demo')}",
        f"users:{_user(seed, 'carol_demo')},{_user(seed, 'dave_demo')}",
    ]
    lookups = [r["path"] for r in emulator.requests() if "usernameinfo" in r["path"]]
    assert sorted(lookups) == [
        "/api/v1/users/carol_demo/usernameinfo/",
        "/api/v1/users/dave_demo/usernameinfo/",
    ]


def test_repeated_send_with_the_same_client_context_is_deduped(client, emulator, seed) -> None:
    thread_id, _ = _one_to_one(seed)
    first = send(
        client.transport, Text("once"), threads=[thread_id], client_context="6800012345678901234"
    )
    again = send(
        client.transport, Text("once"), threads=[thread_id], client_context="6800012345678901234"
    )
    assert first[0].item_id == again[0].item_id
    assert len(emulator.ledger()) == 1
    assert len(_sends(emulator)) == 2


def test_dropped_answer_is_retried_without_a_duplicate(client, emulator, seed) -> None:
    thread_id, _ = _one_to_one(seed)
    emulator.add_fault("POST", "/api/v1/direct_v2/threads/broadcast/text/", "drop_after")
    (result,) = send(client.transport, Text("exactly once"), threads=[thread_id])
    assert result.status == "sent", result.error
    assert len(emulator.ledger()) == 1
    assert result.item_id == emulator.ledger()[0]["item_id"]


def test_find_sent_sees_an_earlier_send(client, emulator, seed) -> None:
    thread_id, user = _one_to_one(seed)
    token = derive_client_context("dag", "task", "run-1")
    (sent,) = send(client.transport, Text("recorded"), recipients=[[user]], client_context=token)
    found = client.find_sent(Destination(user_ids=(user,)), token)
    assert found is not None
    assert (found.status, found.item_id, found.thread_id) == (
        "already_sent",
        sent.item_id,
        thread_id,
    )
    assert client.find_sent(f"thread:{thread_id}", "6800011111111111112") is None


def test_one_failing_destination_does_not_stop_the_others(client, emulator, seed) -> None:
    thread_id, _ = _one_to_one(seed)
    results = send(client.transport, Text("partial"), threads=["999999999999", thread_id])
    assert [r.status for r in results] == ["failed", "sent"]
    assert results[0].error
    assert len(emulator.ledger()) == 1


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), (0, 200, 0)).save(buffer, "PNG")
    return buffer.getvalue()


def test_attachment_to_a_new_group_creates_the_thread(client, emulator, seed) -> None:
    carol, dave = _user(seed, "carol_demo"), _user(seed, "dave_demo")
    upload = upload_photo(client.transport, _png())
    (result,) = send(client.transport, Photo.from_upload(upload), recipients=[[carol, dave]])
    assert result.status == "sent", result.error
    paths = [r["path"] for r in emulator.requests()]
    assert any("get_by_participants" in p for p in paths)
    assert any("create_group_thread" in p for p in paths)
    (row,) = emulator.ledger()
    assert row["thread_id"] == result.thread_id
    assert _kind_fields(row) == {
        "attachment_fbid": upload.media_id,
        "allow_full_aspect_ratio": "true",
        "send_attribution": "inbox",
    }


def test_attachment_to_a_known_one_to_one_reuses_its_thread(client, emulator, seed) -> None:
    thread_id, user = _one_to_one(seed)
    upload = upload_photo(client.transport, _png())
    (result,) = send(client.transport, Photo.from_upload(upload), recipients=[[user]])
    assert (result.status, result.thread_id) == ("sent", thread_id)


def test_attachment_to_a_user_without_a_thread_fails_cleanly(client, emulator, seed) -> None:
    alone = {str(t["users"][0]) for t in seed["threads"] if len(t["users"]) == 1}
    stranger = next(
        str(u["pk"])
        for u in seed["users"]
        if str(u["pk"]) not in alone and u["username"] != seed["viewer"]["username"]
    )
    upload = upload_photo(client.transport, _png())
    (result,) = send(client.transport, Photo.from_upload(upload), recipients=[[stranger]])
    assert result.status == "failed"
    assert "no thread with user" in (result.error or "")
    assert emulator.ledger() == []


@pytest.mark.parametrize(
    ("item", "kwargs", "field"),
    [
        (Text("x"), {"recipients": ["5110000101"]}, "recipients"),
        (Text("x"), {}, "recipients"),
        (Text("x"), {"threads": ["12ab"]}, "threads[0]"),
        (Text("x"), {"threads": ["1"], "client_context": ""}, "client_context"),
        (Text("x"), {"threads": ["1"], "route": "pigeon"}, "route"),
        (Photo("1700000000000"), {"threads": ["1"]}, "upload_id"),
        ("hello", {"threads": ["1"]}, "item"),
    ],
)
def test_bad_input_is_refused_before_any_request(client, emulator, item, kwargs, field) -> None:
    before = len(emulator.requests())
    with pytest.raises(InvalidInput) as caught:
        send(client.transport, item, **kwargs)
    assert caught.value.field == field
    assert len(emulator.requests()) == before


def test_video_send_on_both_routes_waits_for_transcode(client, emulator, seed, tmp_path) -> None:
    thread_id, _ = _one_to_one(seed)
    video = write_mp4(tmp_path / "v.mp4", duration_ms=2500)
    for route in ROUTES:
        upload = upload_video(client.transport, video, route=route, transcode_wait=FAST)
        (result,) = send(
            client.transport,
            Video.from_upload(upload),
            threads=[thread_id],
            route=route,
            transcode_wait=FAST,
        )
        assert result.status == "sent", result.error
    kinds = [row["kind"] for row in emulator.ledger()]
    assert kinds == ["raven_attachment", "configure_video"]


def test_the_signed_video_send_carries_destinations_as_json_list_strings(
    client, emulator, seed, tmp_path
) -> None:
    thread_id, _ = _one_to_one(seed)
    upload = upload_video(client.transport, write_mp4(tmp_path / "v.mp4"), transcode_wait=FAST)
    (result,) = send(
        client.transport, Video.from_upload(upload), threads=[thread_id], transcode_wait=FAST
    )
    assert result.status == "sent", result.error
    (raven,) = [r for r in emulator.requests() if "raven_attachment" in r["path"]]
    assert raven["form"]["thread_ids"] == f'["{thread_id}"]'
    assert raven["form"]["recipient_users"] == "[]"
