"""Reading the inbox and threads page by page against the emulator: every thread and item
exactly once, in order, with filters, the pending inbox and incremental stops."""

from __future__ import annotations

from datetime import timedelta

import pytest

from airflow_provider_dm.client import DirectClient, Thread
from airflow_provider_dm.client.errors import InvalidInput
from airflow_provider_dm.emulator.control import EmulatorControl

PASSWORD = "demo-password"


def _client(emulator: EmulatorControl) -> DirectClient:
    client = DirectClient(api_url=emulator.url + "/api/v1/", upload_url=emulator.url + "/")
    client.login("airflow_demo", PASSWORD)
    return client


@pytest.fixture(scope="module")
def bulk(bulk_emulator: EmulatorControl) -> DirectClient:
    return _client(bulk_emulator)


def _inbox_requests(emulator: EmulatorControl, client: DirectClient) -> list[dict]:
    return [r for r in emulator.requests() if r["path"] == "/api/v1/direct_v2/inbox/"]


def test_every_thread_of_a_big_inbox_once_newest_first(bulk, bulk_emulator) -> None:
    expected = {str(t["thread_id"]) for t in bulk_emulator.seed()["threads"]}
    listing = bulk.iter_inbox(page_size=50, thread_message_limit=1)
    threads = list(listing)
    ids = [t.thread_id for t in threads]
    assert len(ids) == len(set(ids)) == len(expected) == 1000
    assert set(ids) == expected
    stamps = [t.last_activity_at_us for t in threads]
    assert stamps == sorted(stamps, reverse=True)
    assert listing.pages == 20 and listing.cursor is None and not listing.stopped_early
    assert listing.newest is threads[0]
    assert all(len(t.items) <= 1 for t in threads)


def test_pages_send_cursor_and_direction(bulk, bulk_emulator) -> None:
    before = len(_inbox_requests(bulk_emulator, bulk))
    listing = bulk.iter_inbox(page_size=10, max_threads=25)
    assert len(list(listing)) == 25
    assert listing.pages == 3 and listing.stopped_early and listing.cursor
    first, second, third = _inbox_requests(bulk_emulator, bulk)[before:]
    assert "cursor" not in first["query"] and first["query"]["limit"] == "10"
    assert second["query"]["direction"] == "older" and second["query"]["cursor"]
    assert third["query"]["cursor"] != second["query"]["cursor"]


def test_since_stops_at_the_first_older_thread(bulk) -> None:
    threads = list(bulk.iter_inbox(page_size=30, max_threads=75))
    mark = threads[59].last_activity_at
    newer = list(bulk.iter_inbox(page_size=30, since=mark))
    expected = [t.thread_id for t in threads if t.last_activity_at > mark]
    assert 30 < len(expected) < 60
    assert [t.thread_id for t in newer] == expected
    nothing = bulk.iter_inbox(since=threads[0].last_activity_at)
    assert list(nothing) == [] and nothing.pages == 1 and nothing.newest is None


def test_every_item_of_a_thread_once_newest_first(bulk) -> None:
    thread = next(iter(bulk.iter_inbox(max_threads=1)))
    listing = bulk.iter_thread_items(thread.thread_id, page_size=6)
    items = list(listing)
    assert len(items) == 20 and len({i.item_id for i in items}) == 20
    assert [i.timestamp_us for i in items] == sorted((i.timestamp_us for i in items), reverse=True)
    assert listing.pages == 4
    assert all(isinstance(i.item_id, str) and i.item_id.isdigit() for i in items)


def test_items_since_an_id_or_a_time(bulk) -> None:
    thread = next(iter(bulk.iter_inbox(max_threads=1)))
    items = list(bulk.iter_thread_items(thread.thread_id, page_size=7))
    by_id = list(
        bulk.iter_thread_items(thread.thread_id, page_size=7, since_item_id=items[9].item_id)
    )
    assert [i.item_id for i in by_id] == [i.item_id for i in items[:9]]
    by_time = list(
        bulk.iter_thread_items(
            thread.thread_id, since=items[4].timestamp + timedelta(microseconds=0)
        )
    )
    assert [i.item_id for i in by_time] == [i.item_id for i in items[:4]]
    capped = bulk.iter_thread_items(thread.thread_id, page_size=5, max_items=5)
    assert len(list(capped)) == 5 and capped.pages == 1


def test_demo_inbox_pending_and_filters(emulator) -> None:
    client = _client(emulator)
    seed = emulator.seed()
    inbox = list(client.iter_inbox())
    pending = list(client.iter_inbox(pending=True))
    expected_pending = {str(t["thread_id"]) for t in seed["threads"] if t["pending"]}
    assert {t.thread_id for t in pending} == expected_pending and all(t.pending for t in pending)
    assert not {t.thread_id for t in inbox} & expected_pending
    unread = list(client.iter_inbox(selected_filter="unread"))
    assert unread and all(t.unseen for t in unread)
    assert {t.thread_id for t in unread} == {t.thread_id for t in inbox if t.unseen}
    log = emulator.requests()
    query = next(r for r in log if r["query"].get("selected_filter"))["query"]
    assert query["selected_filter"] == "unread"
    group = next(t for t in inbox if t.is_group)
    assert group.title == "Weekend plans" and len(group.users) == 3
    assert all(isinstance(u.pk, int) and u.username for u in group.users)


def test_an_incoming_message_makes_a_thread_unseen(emulator) -> None:
    client = _client(emulator)
    read = next(t for t in client.iter_inbox() if not t.unseen and not t.is_group)
    emulator.incoming(read.thread_id, read.users[0].pk, "are you there?")
    thread: Thread = client.get_thread(read.thread_id)
    assert thread.unseen
    assert thread.items[0].text == "are you there?" and not thread.items[0].is_sent_by_viewer
    first = next(iter(client.iter_inbox()))
    assert first.thread_id == read.thread_id


def test_thread_by_participants(emulator) -> None:
    client = _client(emulator)
    seed = emulator.seed()
    one = next(t for t in seed["threads"] if len(t["users"]) == 1 and not t["pending"])
    found = client.thread_by_participants(one["users"])
    assert found is not None and found.thread_id == str(one["thread_id"])
    erin = next(u["pk"] for u in seed["users"] if u["username"] == "erin_demo")
    assert client.thread_by_participants([erin]) is None
    assert client.user_id_for("erin_demo") == erin


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"selected_filter": "starred"}, "selected_filter"),
        ({"folder": "spam"}, "folder"),
        ({"page_size": 0}, "page_size"),
        ({"max_threads": -1}, "max_threads"),
        ({"since": "yesterday"}, "since"),
    ],
)
def test_bad_reading_options_are_refused_before_any_request(emulator, kwargs, field) -> None:
    client = DirectClient(api_url=emulator.url + "/api/v1/")
    with pytest.raises(InvalidInput) as info:
        client.iter_inbox(**kwargs)
    assert info.value.field == field
    with pytest.raises(InvalidInput):
        client.iter_thread_items("not-a-thread")
    assert emulator.requests() == []
