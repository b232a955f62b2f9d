"""Finding an earlier send by its content (``client.graph_look_back``): which messages of a
conversation count as our earlier send. Pure functions over messages shaped as the
Conversations API returns them (the DAG tests in tests/operators/test_graph_retry.py run the
same search against the emulator)."""

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
SHARE = Content.of_message(
    {"attachment": {"type": "MEDIA_SHARE", "payload": {"id": "3"}}}, permalink=POST
)
IMAGE = {"data": [{"image_data": {"url": "https://cdn.example/a.jpg"}}]}


@pytest.mark.parametrize(
    ("content", "messages", "found"),
    [
        pytest.param(TEXT, [_message(message="hello")], True, id="same text, ours, after"),
        pytest.param(TEXT, [_message(message="hello!")], False, id="other text"),
        pytest.param(TEXT, [_message(sender=PERSON, message="hello")], False, id="their text"),
        pytest.param(TEXT, [_message(4, message="hello")], True, id="within the clock skew"),
        pytest.param(TEXT, [_message(6, message="hello")], False, id="before the first try"),
        pytest.param(BY_URL, [_message(attachments=IMAGE)], True, id="attachment by url"),
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
