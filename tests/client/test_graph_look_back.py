"""Finding an earlier send by its content (``client.graph_look_back``): which messages of a
conversation count as our earlier send (pure functions over messages shaped as the
Conversations API returns them), and ``GraphClient.find_sent`` against the emulator's `/graph/`
routes (the DAG tests are tests/operators/test_graph_retry.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_dm.client.graph_look_back import Content, find_earlier
from airflow_provider_dm.client.models import ThreadItem, to_micros

OWN = "17841405110000001"
PERSON = "7000005110000102"
BEGAN = datetime(2026, 12, 3, 7, 0, tzinfo=timezone.utc)
POST = "https://www.instagram.com/p/CdEmO1/"


def _message(age_minutes: float = -1, sender: str = OWN, **fields: Any) -> ThreadItem:
    """A detailed message created ``age_minutes`` before the first try began (negative: after)."""
    moment = BEGAN - timedelta(minutes=age_minutes)
    graph = {"id": f"mid.{age_minutes}.{sender}", "from": {"id": sender}, **fields}
    raw = {"item_id": graph["id"], "timestamp": to_micros(moment), "item_type": "text"}
    return ThreadItem.parse({**raw, "graph": graph})


TEXT = Content.of_message({"text": "hello"})
BY_URL = Content.of_message(
    {"attachment": {"type": "image", "payload": {"url": "https://cdn.example/a.jpg"}}}
)
BY_ID = Content.of_message({"attachment": {"type": "audio", "payload": {"attachment_id": "17"}}})
SHARE = Content.of_message(
    {"attachment": {"type": "MEDIA_SHARE", "payload": {"id": "3"}}}, permalink=POST
)
IMAGE = {"data": [{"image_data": {"url": "https://lookaside.example/cdn/1.jpg"}}]}
VIDEO = {"data": [{"video_data": {"url": "https://lookaside.example/cdn/2.mp4"}}]}
AUDIO = {"data": [{"file_url": "https://lookaside.example/cdn/3", "mime_type": "audio/mp4"}]}


@pytest.mark.parametrize(
    ("content", "messages", "found"),
    [
        pytest.param(TEXT, [_message(message="hello")], True, id="same text, ours, after"),
        pytest.param(TEXT, [_message(message="hello!")], False, id="other text"),
        pytest.param(TEXT, [_message(sender=PERSON, message="hello")], False, id="their text"),
        pytest.param(TEXT, [_message(4, message="hello")], True, id="within the clock skew"),
        pytest.param(TEXT, [_message(6, message="hello")], False, id="before the first try"),
        pytest.param(BY_URL, [_message(attachments=IMAGE)], True, id="image by its kind"),
        pytest.param(BY_URL, [_message(attachments=VIDEO)], False, id="a video is no image"),
        pytest.param(BY_ID, [_message(attachments=AUDIO)], True, id="audio by its kind"),
        pytest.param(BY_ID, [_message(attachments=IMAGE)], False, id="an image is no audio"),
        pytest.param(TEXT, [_message(attachments=IMAGE)], False, id="text vs attachment"),
        pytest.param(
            SHARE,
            [_message(shares={"data": [{"link": POST.rstrip("/")}]})],
            True,
            id="share by permalink",
        ),
        pytest.param(
            SHARE,
            [_message(shares={"data": [{"link": "https://www.instagram.com/p/Other"}]})],
            False,
            id="another post",
        ),
    ],
)
def test_which_message_is_the_earlier_send(
    content: Content, messages: list[ThreadItem], found: bool
) -> None:
    search = find_earlier(messages, {OWN}, content, BEGAN)
    assert (search.message_id is not None) is found
    assert search.complete


def test_the_search_stops_at_the_first_message_without_details() -> None:
    undetailed = ThreadItem.parse({"item_id": "old", "item_type": "placeholder", "graph": {}})
    later = _message(message="hello")

    search = find_earlier([undetailed, later], {OWN}, TEXT, BEGAN)

    assert search.message_id is None
    assert not search.complete


def test_twenty_newer_messages_leave_the_search_incomplete() -> None:
    newer = [_message(-n, sender=PERSON, message=f"reply {n}") for n in range(1, 21)]

    search = find_earlier(newer, {OWN}, TEXT, BEGAN)

    assert (search.message_id, search.seen, search.complete) == (None, 20, False)


# -- GraphClient.find_sent against the emulator's /graph/ routes --------------------------------


@pytest.fixture
def graph(emulator) -> Any:
    """A Graph client of ``airflow_demo``, a person who just wrote to it, and that
    conversation: ``(client, destination, conversation)``."""
    from airflow_provider_dm.client.destinations import Destination
    from airflow_provider_dm.client.graph import GraphClient
    from airflow_provider_dm.emulator.graph import conversation_id

    token = emulator.graph_token()["access_token"]
    client = GraphClient(token, api_url=f"{emulator.url}/graph/")
    seed = emulator.seed()
    thread = next(t for t in seed["threads"] if not t["is_group"] and not t["pending"])
    person = next(u for u in seed["users"] if u["pk"] == thread["users"][0])
    emulator.incoming(thread["thread_id"], person["pk"], "hello business")
    return client, Destination(user_ids=(person["igsid"],)), conversation_id(thread["thread_id"])


def test_find_sent_finds_a_text_sent_since_the_first_try(graph) -> None:
    from airflow_provider_dm.client.items import Text

    client, destination, conversation = graph
    began = datetime.now(timezone.utc)
    (sent,) = client.send(Text("once"), recipients=[list(destination.user_ids)])

    found = client.find_sent(destination, "token", since=began, item=Text("once"))
    other = client.find_sent(destination, "token", since=began, item=Text("twice"))

    assert found is not None and found.status == "already_sent"
    assert (found.thread_id, found.item_id) == (conversation, sent.item_id)
    assert other is None


def test_find_sent_without_a_first_try_moment_finds_nothing(graph) -> None:
    from airflow_provider_dm.client.items import Text

    client, destination, _ = graph
    client.send(Text("an old greeting"), recipients=[list(destination.user_ids)])

    assert client.find_sent(destination, "token", since=None, item=Text("an old greeting")) is None


def test_find_sent_that_cannot_read_the_conversation_fails_the_destination(graph, emulator) -> None:
    from airflow_provider_dm.client.items import Text

    client, destination, conversation = graph
    emulator.add_fault("GET", f"/graph/v26.0/{conversation}", "feedback_required")

    result = client.find_sent(
        destination, "token", since=datetime.now(timezone.utc), item=Text("x")
    )

    assert result is not None
    assert (result.status, result.retryable) == ("failed", True)
    assert "not sent again blind" in str(result.error)
    assert emulator.ledger() == []


def test_an_earlier_send_behind_twenty_newer_messages_is_not_seen(graph, emulator, caplog) -> None:
    """The documented limit: the service details only the 20 newest messages."""
    from airflow_provider_dm.client.items import Text

    client, destination, _ = graph
    began = datetime.now(timezone.utc)
    client.send(Text("hidden"), recipients=[list(destination.user_ids)])
    thread = next(t for t in emulator.seed()["threads"] if not t["is_group"] and not t["pending"])
    for n in range(20):
        emulator.incoming(thread["thread_id"], thread["users"][0], f"reply {n}")

    assert client.find_sent(destination, "token", since=began, item=Text("hidden")) is None
    assert "details only its 20 newest messages" in caplog.text
