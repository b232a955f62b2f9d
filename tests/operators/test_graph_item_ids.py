"""``since_item_id`` is checked as the connection's API writes item ids, through the hook,
before any request: opaque message ids on the official backend, digits on the private one
(``dag.test()``, the ``dm_thread`` DAG of tests/dags/dm_read.py on either connection)."""

from __future__ import annotations

import json

import pytest

from airflow_provider_dm.client.graph import GraphClient
from airflow_provider_dm.emulator.control import EmulatorControl
from airflow_provider_dm.emulator.graph import conversation_id


@pytest.fixture
def graph_conn(emulator: EmulatorControl, monkeypatch: pytest.MonkeyPatch) -> GraphClient:
    """An ``instagram_messaging`` connection ``dm_graph`` and a client with its token."""
    token = emulator.graph_token()["access_token"]
    connection = {
        "conn_type": "instagram_messaging",
        "host": f"{emulator.url}/graph/",
        "password": token,
    }
    monkeypatch.setenv("AIRFLOW_CONN_DM_GRAPH", json.dumps(connection))
    return GraphClient(token, api_url=f"{emulator.url}/graph/")


def _thread(emulator: EmulatorControl) -> dict:
    seed = emulator.seed()
    return next(t for t in seed["threads"] if not t["is_group"] and not t["pending"])


def test_a_graph_message_id_is_taken_on_the_official_backend(run_dag, emulator, graph_conn) -> None:
    thread = _thread(emulator)
    for text in ("first", "second", "third"):
        emulator.incoming(thread["thread_id"], thread["users"][0], text)
    conversation = conversation_id(thread["thread_id"])
    newest = list(graph_conn.iter_thread_items(conversation, max_items=3))
    second = newest[1].item_id
    assert not second.isdigit()

    out = run_dag(
        "dm_thread", {"conn": "dm_graph", "thread_id": conversation, "since_item_id": second}
    )

    assert out.state == "success", out.states
    assert [i["text"] for i in out.result("thread")] == ["third"]


@pytest.mark.parametrize(
    ("conn", "since_item_id", "problem"),
    [
        ("dm_graph", "aWdfbXNn../x?y=1", "must be a message id"),
        ("dm_emulator", "aWdfbXNnOjI4MDAwMDAwMDAwMDAwMDA", "must be a numeric id"),
    ],
)
def test_an_item_id_of_the_wrong_shape_is_refused_before_any_request(
    run_dag, emulator, graph_conn, fresh_sessions, capsys, conn, since_item_id, problem
) -> None:
    thread = _thread(emulator)
    thread_id = conversation_id(thread["thread_id"]) if conn == "dm_graph" else thread["thread_id"]
    before = len(emulator.requests())

    out = run_dag(
        "dm_thread", {"conn": conn, "thread_id": thread_id, "since_item_id": since_item_id}
    )

    assert out.state == "failed"
    assert len(emulator.requests()) == before
    logs = capsys.readouterr().out
    assert f"since_item_id: {problem}" in logs
