"""Exactly once must not rest on the server: with the emulator's dedupe off, a send task whose
first try fails after sending part, and 300 items arriving in the thread before its retry, ends
with each item in the ledger exactly once (``dag.test()``, tests/dags/dm_exactly_once.py)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("demo_connections", "fresh_sessions")

TEXT_PATH = "/api/v1/direct_v2/threads/broadcast/text/"
INCOMING = 300


def test_a_retry_finds_its_send_past_300_newer_items(run_dag, emulator, caplog) -> None:
    seed = emulator.seed()
    users = {u["username"]: u["pk"] for u in seed["users"]}
    group = next(t for t in seed["threads"] if t["title"] == "Weekend plans")
    emulator.configure(dedupe=False)
    # The first destination (Alice) fails all four attempts of the first try; the group
    # thread is sent; Carol then writes 300 texts there; the retry must not send it again.
    emulator.add_fault("POST", TEXT_PATH, "server_error", times=4)
    conf = {
        "text": "Exactly once, whatever arrived since",
        "recipients": [[users["alice_demo"]]],
        "threads": [group["thread_id"]],
        "incoming": {
            "url": emulator.url,
            "thread_id": group["thread_id"],
            "user_pk": users["carol_demo"],
            "count": INCOMING,
        },
    }

    out = run_dag("dm_exactly_once", conf)

    assert out.state_of("send") == "success"
    assert out.tries[("send", -1)] == 2
    records = out.result("send")
    assert [r["status"] for r in records] == ["sent", "already_sent"]
    ledger = emulator.ledger()
    assert sorted(row["client_context"] for row in ledger) == sorted(
        r["client_context"] for r in records
    )
    assert {(row["thread_id"], row["item_id"]) for row in ledger} == {
        (r["thread_id"], r["item_id"]) for r in records
    }
    assert f"looked back 16 pages, {INCOMING + 1} items" in caplog.text
    assert [r["status"] for r in emulator.requests() if r["path"] == TEXT_PATH] == [
        500,
        500,
        500,
        500,
        200,
        200,
    ]
