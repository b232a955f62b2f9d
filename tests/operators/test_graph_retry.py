"""Exactly once on the official backend (``dag.test()``, tests/dags/dm_graph_retry.py): the
Send API has no idempotency key, so a send whose answer was lost is found again by its content
in the conversation, within the try or on the task's retry, and is not sent twice."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_dm.emulator.control import EmulatorControl
from airflow_provider_dm.emulator.graph import conversation_id, message_id

VIEWER_PK = 5110000001


@pytest.fixture
def graph_conn(emulator: EmulatorControl, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """An ``instagram_messaging`` connection ``dm_graph`` holding a fresh token."""
    token = emulator.graph_token()
    connection = {
        "conn_type": "instagram_messaging",
        "host": f"{emulator.url}/graph/",
        "password": token["access_token"],
    }
    monkeypatch.setenv("AIRFLOW_CONN_DM_GRAPH", json.dumps(connection))
    return token


def _partner(emulator: EmulatorControl) -> tuple[dict[str, Any], str]:
    """A person in a 1:1 conversation with the account, who just wrote (the window is open),
    and that conversation's Graph id."""
    seed = emulator.seed()
    thread = next(t for t in seed["threads"] if not t["is_group"] and not t["pending"])
    person = next(u for u in seed["users"] if u["pk"] == thread["users"][0])
    emulator.incoming(thread["thread_id"], person["pk"], "hello business")
    return person, conversation_id(thread["thread_id"])


def _send_path(token: dict[str, Any]) -> str:
    """The Send API's path for the account (not its attachment uploads)."""
    return f"/graph/v26.0/{token['ig_user_id']}/messages"


def _own_post(emulator: EmulatorControl) -> str:
    media = next(m["id"] for m in emulator.seed()["media"] if m["owner_pk"] == VIEWER_PK)
    return media.split("_", 1)[0]


def _sends(emulator: EmulatorControl) -> list[int]:
    return [
        r["status"]
        for r in emulator.requests()
        if r["method"] == "POST" and r["path"].endswith("/messages")
    ]


@pytest.mark.parametrize(
    "dag_id", ["dm_graph_retry_text", "dm_graph_retry_share", "dm_graph_retry_video"]
)
def test_a_send_whose_answer_was_lost_is_not_sent_again_on_the_retry(
    run_dag, emulator, graph_conn, dag_id, tmp_path, write_mp4
) -> None:
    person, conversation = _partner(emulator)
    # The send is stored but its answer dropped; the look into the conversation within the
    # try is refused once, so the try fails rather than send blind, and Airflow retries.
    emulator.add_fault("POST", _send_path(graph_conn), "drop_after")
    emulator.add_fault("GET", f"/graph/v26.0/{conversation}", "feedback_required")
    conf = {
        "conn": "dm_graph",
        "recipient": person["igsid"],
        "text": "exactly once on the official API",
        "media_id": _own_post(emulator),
        "path": str(write_mp4(tmp_path / "clip.mp4", duration_ms=2000, width=640, height=360)),
    }

    out = run_dag(dag_id, conf)

    assert out.state == "success", out.states
    assert out.tries[("send", -1)] == 2
    (record,) = out.result("send")
    assert record["status"] == "already_sent"
    ledger = emulator.ledger()
    assert len(ledger) == 1
    assert record["thread_id"] == conversation
    assert record["item_id"] == message_id(ledger[0]["item_id"])
    assert _sends(emulator) == [0], "sent once, never again"
    uploads = [r for r in emulator.requests() if r["path"].endswith("/message_attachments")]
    assert len(uploads) == (dag_id == "dm_graph_retry_video"), "the retry uploads nothing"


def test_a_lost_answer_is_found_within_the_try(run_dag, emulator, graph_conn, caplog) -> None:
    person, _ = _partner(emulator)
    emulator.add_fault("POST", _send_path(graph_conn), "drop_after")
    conf = {"conn": "dm_graph", "recipient": person["igsid"], "text": "found, not repeated"}

    out = run_dag("dm_graph_retry_text", conf)

    assert out.state == "success", out.states
    assert out.tries[("send", -1)] == 1
    (record,) = out.result("send")
    assert record["status"] == "sent"
    (row,) = [r for r in emulator.ledger() if r["kind"] == "text"]
    assert row["fields"]["text"] == "found, not repeated"
    assert _sends(emulator) == [0]
    assert "the lost answer's message" in caplog.text


def test_a_send_lost_before_it_was_stored_is_sent_again_within_the_try(
    run_dag, emulator, graph_conn
) -> None:
    person, _ = _partner(emulator)
    emulator.add_fault("POST", _send_path(graph_conn), "drop")
    conf = {"conn": "dm_graph", "recipient": person["igsid"], "text": "looked, then sent"}

    out = run_dag("dm_graph_retry_text", conf)

    assert out.state == "success", out.states
    assert out.tries[("send", -1)] == 1
    assert [r["status"] for r in out.result("send")] == ["sent"]
    assert len([r for r in emulator.ledger() if r["kind"] == "text"]) == 1
    assert _sends(emulator) == [0, 200]
