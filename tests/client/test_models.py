"""Tolerant parsing of threads, items and users, and the cursor walk's stop rules (a fake
fetch stands in for a server that repeats its cursor, which the emulator never does)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from airflow_provider_dm.client import Listing, Page, Thread, ThreadItem, User

STAMP = 1_700_000_000_123_456


@pytest.mark.parametrize(
    ("raw", "preview"),
    [
        ({"item_type": "text", "text": "hi  there\nyou"}, "hi there you"),
        (
            {"item_type": "link", "link": {"text": "see https://x.y", "link_context": {}}},
            "see https://x.y",
        ),
        (
            {"item_type": "link", "link": {"link_context": {"link_url": "https://x.y"}}},
            "https://x.y",
        ),
        ({"item_type": "profile", "profile": {"username": "bob"}}, "[profile] @bob"),
        ({"item_type": "media", "media": {"media_type": 2}}, "[video]"),
        ({"item_type": "media", "media": None}, "[photo]"),
        ({"item_type": "media_share", "media_share": {}}, "[shared post]"),
        ({"item_type": "reel_share", "reel_share": {"text": "lol"}}, "[story reply] lol"),
        ({"item_type": "like", "like": "\u2764\ufe0f"}, "\u2764\ufe0f"),
        ({"item_type": "action_log", "action_log": {"description": "A left"}}, "A left"),
        ({"item_type": "xma_clip", "xma_clip": [{"title_text": "a reel"}]}, "[shared] a reel"),
        ({"item_type": "brand_new_kind", "brand_new_kind": {"x": 1}}, "[brand_new_kind]"),
        ({}, "[unknown]"),
        ({"item_type": None, "text": None, "timestamp": None, "user_id": None}, "[unknown]"),
    ],
)
def test_any_item_parses_and_previews(raw, preview) -> None:
    item = ThreadItem.parse(raw)
    assert item.preview == preview
    assert item.raw is raw


def test_item_fields_are_typed() -> None:
    item = ThreadItem.parse(
        {
            "item_id": 29639428557528997473611914959388672,
            "user_id": "42",
            "timestamp": str(STAMP),
            "item_type": "text",
            "text": "x" * 200,
            "client_context": 6800011111111111111,
        }
    )
    assert item.item_id == "29639428557528997473611914959388672"
    assert item.user_id == 42 and item.client_context == "6800011111111111111"
    assert item.timestamp == datetime(2023, 11, 14, 22, 13, 20, 123456, tzinfo=timezone.utc)
    assert item.timestamp_us == STAMP
    assert len(item.preview) == 80 and item.preview.endswith("\u2026")


@pytest.mark.parametrize(
    "raw",
    [
        None,
        [],
        "x",
        {},
        {"users": None, "items": None, "last_seen_at": None},
        {"users": [None, 3, {"pk": None}], "items": [None, {"item_type": 5}]},
    ],
)
def test_any_thread_parses(raw) -> None:
    thread = Thread.parse(raw)
    assert isinstance(thread.thread_id, str)
    assert all(isinstance(u.pk, int) for u in thread.users)
    assert all(isinstance(i.preview, str) for i in thread.items)
    assert thread.unseen in (True, False)


def test_thread_fields_and_unseen_state() -> None:
    raw = {
        "thread_id": 340282366841710300949128000000000000004,
        "thread_title": "bob",
        "users": [{"pk": "5110000102", "username": "bob"}],
        "items": [{"item_id": "2", "user_id": 5110000102, "timestamp": STAMP, "item_type": "text"}],
        "last_activity_at": STAMP,
        "viewer_id": 5110000001,
        "last_seen_at": {"5110000001": {"timestamp": str(STAMP - 1)}},
        "pending": "true",
        "is_group": False,
    }
    thread = Thread.parse(raw)
    assert thread.thread_id == "340282366841710300949128000000000000004"
    assert thread.users == (User(5110000102, "bob"),)
    assert thread.pending and not thread.is_group and thread.unseen
    raw["last_seen_at"]["5110000001"]["timestamp"] = STAMP
    assert not Thread.parse(raw).unseen
    assert Thread.parse({**raw, "read_state": 1}).unseen


def _pages(*pages: Page[int]):
    calls: list[str | None] = []

    def fetch(cursor: str | None) -> Page[int]:
        calls.append(cursor)
        return pages[len(calls) - 1]

    return fetch, calls


def test_a_repeated_cursor_ends_the_walk() -> None:
    fetch, calls = _pages(Page((3, 2), "c1", True), Page((1,), "c1", True), Page((0,), "c2", True))
    listing = Listing(fetch)
    assert list(listing) == [3, 2, 1]
    assert calls == [None, "c1"] and listing.cursor is None


@pytest.mark.parametrize(
    "last", [Page((1,), None, True), Page((1,), "", True), Page((1,), "c9", False)]
)
def test_an_empty_cursor_or_has_older_false_ends_the_walk(last) -> None:
    fetch, calls = _pages(Page((2,), "c1", True), last)
    assert list(Listing(fetch)) == [2, 1]
    assert len(calls) == 2


def test_an_empty_page_ends_the_walk() -> None:
    fetch, calls = _pages(Page((), "c1", True))
    assert list(Listing(fetch)) == [] and calls == [None]
