"""Finding an earlier send by time, not by count (``client.look_back``), against the emulator with
its own dedupe switched off: past many newer items, bounded by the page limit, and inside one
send whose answer was lost (dropped after accepting, slower than the client timeout)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest

from airflow_provider_dm.client import DirectClient
from airflow_provider_dm.client.broadcast import send
from airflow_provider_dm.client.items import Text
from airflow_provider_dm.client.look_back import LookBack, find_earlier
from airflow_provider_dm.client.state import Credentials
from airflow_provider_dm.emulator.control import EmulatorControl

TEXT_PATH = "/api/v1/direct_v2/threads/broadcast/text/"


@pytest.fixture
def client(emulator: EmulatorControl) -> DirectClient:
    client = DirectClient(
        api_url=emulator.url + "/api/v1/", upload_url=emulator.url + "/", timeout=1.0
    )
    client.login("airflow_demo", "demo-password")
    emulator.configure(dedupe=False)
    return client


@pytest.fixture
def thread(emulator: EmulatorControl) -> tuple[str, int]:
    """(thread_id, the other user's pk) of a seeded 1:1 thread."""
    seed = emulator.seed()
    found = next(t for t in seed["threads"] if len(t["users"]) == 1 and not t["pending"])
    return str(found["thread_id"]), int(found["users"][0])


def test_an_earlier_send_is_found_past_300_newer_items(client, emulator, thread, caplog):
    thread_id, other = thread
    began = datetime.now(timezone.utc)
    (sent,) = send(client.transport, Text("before"), threads=[thread_id], client_context="6801")
    for n in range(300):
        emulator.incoming(thread_id, other, f"reply {n}")

    with caplog.at_level(logging.INFO, logger="airflow_provider_dm.client.look_back"):
        found = client.find_sent(f"thread:{thread_id}", "6801", since=began)

    assert found is not None and (found.item_id, found.status) == (sent.item_id, "already_sent")
    assert "looked back 16 pages, 301 items" in caplog.text


def test_the_page_limit_bounds_the_search_and_says_so(client, emulator, thread, caplog):
    thread_id, other = thread
    began = datetime.now(timezone.utc)
    send(client.transport, Text("before"), threads=[thread_id], client_context="6802")
    for n in range(60):
        emulator.incoming(thread_id, other, f"reply {n}")

    with caplog.at_level(logging.INFO, logger="airflow_provider_dm.client.look_back"):
        found = client.find_sent(f"thread:{thread_id}", "6802", since=began, look_back=3)

    assert found is None
    assert "stopped after 3 pages (look_back)" in caplog.text


def test_the_search_stops_at_items_older_than_its_start(client, thread) -> None:
    thread_id, _ = thread
    # The seeded items are older than now less the clock-skew allowance: one page settles it.
    bound = LookBack.from_start(datetime.now(timezone.utc) + timedelta(minutes=10))
    search = find_earlier(client.transport, thread_id, "6803", bound)
    assert (search.item, search.pages, search.items_seen, search.complete) == (None, 1, 0, True)


@pytest.mark.parametrize(
    ("action", "params"),
    [("drop_after", {}), ("slow_answer", {"seconds": 1.5})],
    ids=["dropped_after_accepting", "slower_than_the_timeout"],
)
def test_a_send_whose_answer_was_lost_is_not_repeated(client, emulator, thread, action, params):
    thread_id, _ = thread
    emulator.add_fault("POST", TEXT_PATH, action, **params)

    (result,) = send(client.transport, Text("once"), threads=[thread_id], client_context="6804")

    ledger = emulator.ledger()
    assert [row["client_context"] for row in ledger] == ["6804"]
    assert (result.status, result.item_id) == ("sent", ledger[0]["item_id"])
    assert [r["status"] for r in emulator.requests() if r["path"] == TEXT_PATH] == [
        0 if action == "drop_after" else 200
    ]


def test_a_send_dropped_before_accepting_is_sent_again(client, emulator, thread) -> None:
    thread_id, _ = thread
    emulator.add_fault("POST", TEXT_PATH, "drop")

    (result,) = send(client.transport, Text("once"), threads=[thread_id], client_context="6805")

    assert [row["client_context"] for row in emulator.ledger()] == ["6805"]
    assert result.status == "sent"
    assert [r["status"] for r in emulator.requests() if r["path"] == TEXT_PATH] == [0, 200]


def test_a_session_refused_again_after_a_new_login_may_be_tried_later(emulator, thread) -> None:
    thread_id, _ = thread
    client = DirectClient(
        api_url=emulator.url + "/api/v1/",
        credentials=Credentials("airflow_demo", "demo-password"),
    )
    client.login("airflow_demo", "demo-password")
    emulator.add_fault("POST", TEXT_PATH, "login_required", times=2)

    (result,) = send(client.transport, Text("later"), threads=[thread_id], client_context="6806")

    assert (result.status, result.error_type, result.retryable) == ("failed", "LoginRequired", True)
    assert emulator.ledger() == []
