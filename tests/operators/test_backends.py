"""The same DAG file on both backends (``dm_backends``): the connection's type picks the
private API or the official Messaging API, against the one emulator (its `/graph/` routes
play graph.instagram.com). What the official API cannot do is refused before any request."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_dm.client.errors import InvalidInput
from airflow_provider_dm.client.graph import GraphClient, graph_destinations
from airflow_provider_dm.emulator.control import EmulatorControl
from airflow_provider_dm.triggers.reply import DirectReplyTrigger

VIEWER_PK = 5110000001


def _graph_connection(
    emulator: EmulatorControl, monkeypatch: pytest.MonkeyPatch, **token_options: Any
) -> dict[str, Any]:
    token = emulator.graph_token(**token_options)
    monkeypatch.setenv(
        "AIRFLOW_CONN_DM_GRAPH",
        json.dumps(
            {
                "conn_type": "instagram_messaging",
                "host": f"{emulator.url}/graph/",
                "password": token["access_token"],
            }
        ),
    )
    return token


@pytest.fixture
def graph_conn(emulator: EmulatorControl, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """An ``instagram_messaging`` connection ``dm_graph`` holding a fresh token."""
    return _graph_connection(emulator, monkeypatch)


def _partner_thread(emulator: EmulatorControl) -> dict[str, Any]:
    seed = emulator.seed()
    return next(t for t in seed["threads"] if not t["is_group"] and not t["pending"])


def _own_media(emulator: EmulatorControl) -> str:
    """A post of the account (its bare pk: the DAG renders conf as native objects)."""
    media = next(m["id"] for m in emulator.seed()["media"] if m["owner_pk"] == VIEWER_PK)
    return media.split("_", 1)[0]


def test_the_dag_runs_on_the_private_backend(run_dag, fresh_sessions, emulator) -> None:
    thread = _partner_thread(emulator)
    conf = {
        "conn": "dm_emulator",
        "thread_id": thread["thread_id"],
        "recipient": str(thread["users"][0]),
        "text": "same DAG, private API",
        "media_id": _own_media(emulator),
    }

    out = run_dag("dm_backends", conf)

    assert out.state == "success", out.states
    ledger = emulator.ledger()
    assert {row["backend"] for row in ledger} == {"private"}
    assert sorted(row["kind"] for row in ledger) == ["link", "media_share", "text", "text"]


def test_the_same_dag_runs_on_the_official_backend(run_dag, emulator, graph_conn) -> None:
    thread = _partner_thread(emulator)
    partner = next(u for u in emulator.seed()["users"] if u["pk"] == thread["users"][0])
    emulator.incoming(thread["thread_id"], partner["pk"], "hello business")  # opens the window
    conversation = _conversation_with(emulator, graph_conn, partner["username"])
    conf = {
        "conn": "dm_graph",
        "thread_id": conversation,
        "recipient": partner["igsid"],
        "text": "same DAG, official API",
        "media_id": _own_media(emulator),
    }

    out = run_dag("dm_backends", conf)

    assert out.state == "success", out.states
    listed = {t["thread_id"]: t for t in out.result("fetch_inbox")}
    assert listed[conversation]["users"] == [
        {"pk": int(partner["igsid"]), "username": partner["username"]}
    ]
    summaries = out.result("fetch_thread")
    assert summaries[0]["text"] == "hello business"
    sent = out.result("send_text")
    assert [r["status"] for r in sent] == ["sent", "sent"]
    assert {r["thread_id"] for r in sent} == {conversation}
    ledger = emulator.ledger()
    assert {row["backend"] for row in ledger} == {"graph"}
    assert sorted(row["kind"] for row in ledger) == ["media_share", "text", "text", "text"]
    link = next(r for r in ledger if "airflow.apache.org" in r["fields"].get("text", ""))
    assert link["thread_id"] == thread["thread_id"]


def _conversation_with(emulator: EmulatorControl, token: dict[str, Any], username: str) -> str:
    """The conversation id, read the way a user finds it: from the Conversations API."""
    client = GraphClient(token["access_token"], api_url=f"{emulator.url}/graph/")
    return next(t.thread_id for t in client.iter_inbox() if t.users[0].username == username)


def test_what_the_official_api_cannot_do_is_refused_before_any_request(
    run_dag, emulator, graph_conn, capsys
) -> None:
    thread = _partner_thread(emulator)
    partner = next(u for u in emulator.seed()["users"] if u["pk"] == thread["users"][0])
    conversation = _conversation_with(emulator, graph_conn, partner["username"])
    before = len(emulator.requests())

    out = run_dag("dm_backends_profile", {"conn": "dm_graph", "thread_id": conversation})

    assert out.state == "failed"
    assert out.tries[("share_profile", -1)] == 1, "not retried"
    assert len(emulator.requests()) == before
    logs = capsys.readouterr().out
    assert "DirectShareProfileOperator cannot run on an instagram_messaging connection" in logs
    assert "cannot share a profile" in logs


@pytest.mark.parametrize(
    ("recipients", "field", "reason"),
    [
        ([["7000005110000102", "7000005110000103"]], "recipients[0]", "one person per"),
        ([["@bob_demo"]], "recipients[0]", "cannot look up @bob_demo"),
        ([["7000005110000102"], "x"], "recipients", "list of lists"),
    ],
)
def test_official_destinations_are_refused_naming_the_field(recipients, field, reason) -> None:
    with pytest.raises(InvalidInput) as caught:
        graph_destinations(recipients, None)
    assert caught.value.field == field
    assert reason in str(caught.value)


def test_an_expired_token_fails_at_once_saying_to_renew_it(
    run_dag, emulator, monkeypatch, capsys
) -> None:
    _graph_connection(emulator, monkeypatch, expires_in=0)

    out = run_dag(
        "dm_backends_text", {"conn": "dm_graph", "recipient": "7000005110000102", "text": "x"}
    )

    assert out.state == "failed"
    assert out.tries[("send_text", -1)] == 1, "a refused token is not retried"
    logs = capsys.readouterr().out
    assert "renew the access token" in logs and "Session has expired" in logs
    assert emulator.ledger() == []


def test_a_closed_messaging_window_fails_at_once_naming_it(
    run_dag, emulator, graph_conn, capsys
) -> None:
    stranger = next(u for u in emulator.seed()["users"] if u["username"] == "airflow_demo_2fa")

    out = run_dag(
        "dm_backends_text", {"conn": "dm_graph", "recipient": stranger["igsid"], "text": "x"}
    )

    assert out.state == "failed"
    assert out.tries[("send_text", -1)] == 1, "a closed window is not retried"
    logs = capsys.readouterr().out
    assert "outside the messaging window" in logs and "24 hours" in logs
    assert emulator.ledger() == []


def test_a_refreshed_token_is_kept_and_used_by_later_tasks(run_dag, emulator, monkeypatch) -> None:
    old = _graph_connection(emulator, monkeypatch, age=25 * 3600)
    thread = _partner_thread(emulator)
    partner = next(u for u in emulator.seed()["users"] if u["pk"] == thread["users"][0])
    emulator.incoming(thread["thread_id"], partner["pk"], "still there?")

    refreshed = run_dag("dm_backends_refresh", {"conn": "dm_graph"})
    emulator.revoke_graph_token(old["access_token"])
    sent = run_dag(
        "dm_backends_text", {"conn": "dm_graph", "recipient": partner["igsid"], "text": "yes"}
    )

    assert refreshed.state == "success"
    assert refreshed.result("refresh") == 60 * 24 * 3600
    assert sent.state == "success", "the later task used the refreshed token"
    assert [r["fields"]["text"] for r in emulator.ledger()] == ["yes"]


def test_a_token_younger_than_a_day_is_not_refreshed(
    run_dag, emulator, monkeypatch, capsys
) -> None:
    _graph_connection(emulator, monkeypatch)

    out = run_dag("dm_backends_refresh", {"conn": "dm_graph"})

    assert out.state == "failed"
    assert "less than 24 hours old" in capsys.readouterr().out


# -- thread actions and the reply sensor on both backends ---------------------------------------


@pytest.fixture
def answer_when_asked(emulator: EmulatorControl) -> Iterator[Callable[[str, int, str], None]]:
    """Makes the partner answer once the account's question is in the ledger, so that the
    reply arrives after the send, while the sensor waits, whatever the machine's speed."""
    done = threading.Event()
    watchers: list[threading.Thread] = []

    def start(thread_id: str, user_pk: int, text: str) -> None:
        def watch() -> None:
            control = EmulatorControl(emulator.url)
            while not done.wait(0.1):
                if any(r["kind"] == "text" for r in control.ledger()):
                    control.incoming(thread_id, user_pk, text)
                    return

        watcher = threading.Thread(target=watch, daemon=True)
        watchers.append(watcher)
        watcher.start()

    yield start
    done.set()
    for watcher in watchers:
        watcher.join(timeout=5)


def test_react_seen_and_reply_sensor_on_the_private_backend(
    run_dag, fresh_sessions, emulator, answer_when_asked
) -> None:
    thread = _partner_thread(emulator)
    partner = thread["users"][0]
    answer_when_asked(thread["thread_id"], partner, "private answer")

    out = run_dag(
        "dm_backends_actions",
        {"conn": "dm_emulator", "thread_id": thread["thread_id"], "text": "question?"},
    )

    assert out.state == "success", out.states
    (newest,) = out.result("fetch_newest")
    assert [r["status"] for r in out.result("react")] == ["reacted"]
    assert out.result("react")[0]["item_id"] == newest["item_id"]
    assert out.result("mark_seen")["status"] in ("seen", "already_done")
    reply = out.result("wait_reply")
    assert (reply["user_id"], reply["text"]) == (partner, "private answer")
    assert {row["backend"] for row in emulator.ledger()} == {"private"}


def test_react_seen_and_reply_sensor_on_the_official_backend(
    run_dag, emulator, graph_conn, answer_when_asked
) -> None:
    thread = _partner_thread(emulator)
    partner = next(u for u in emulator.seed()["users"] if u["pk"] == thread["users"][0])
    emulator.incoming(thread["thread_id"], partner["pk"], "hello business")  # opens the window
    conversation = _conversation_with(emulator, graph_conn, partner["username"])
    answer_when_asked(thread["thread_id"], partner["pk"], "official answer")

    out = run_dag(
        "dm_backends_actions", {"conn": "dm_graph", "thread_id": conversation, "text": "question?"}
    )

    assert out.state == "success", out.states
    (newest,) = out.result("fetch_newest")
    assert newest["text"] == "hello business"
    mid = newest["item_id"]
    assert out.result("react") == [{"thread_id": conversation, "item_id": mid, "status": "reacted"}]
    assert out.result("react_again")[0]["status"] == "already_done", "the reaction was read first"
    assert out.result("mark_seen") == {"thread_id": conversation, "item_id": mid, "status": "seen"}
    reply = out.result("wait_reply")
    assert reply["thread_id"] == conversation
    assert (reply["user_id"], reply["text"]) == (int(partner["igsid"]), "official answer")
    ledger = emulator.ledger()
    assert {row["backend"] for row in ledger} == {"graph"}
    assert [row["kind"] for row in ledger] == ["react", "mark_seen", "text"]
    assert ledger[0]["fields"] == {"message_id": mid, "reaction": "love"}
    client = GraphClient(graph_conn["access_token"], api_url=f"{emulator.url}/graph/")
    message = client.request("GET", mid, params={"fields": "reactions"})
    assert message["reactions"]["data"][0]["reaction"] == "love"


def _graph_client(emulator: EmulatorControl, token: dict[str, Any]) -> GraphClient:
    return GraphClient(token["access_token"], api_url=f"{emulator.url}/graph/")


def _posts(emulator: EmulatorControl) -> list[dict]:
    return [r for r in emulator.requests() if r["method"] == "POST" and "/graph/" in r["path"]]


def test_official_react_and_seen_refuse_what_the_api_cannot_do(emulator, graph_conn) -> None:
    thread = _partner_thread(emulator)
    partner = next(u for u in emulator.seed()["users"] if u["pk"] == thread["users"][0])
    emulator.incoming(thread["thread_id"], partner["pk"], "first")
    emulator.incoming(thread["thread_id"], partner["pk"], "second")
    client = _graph_client(emulator, graph_conn)
    conversation = _conversation_with(emulator, graph_conn, partner["username"])
    newer, older = list(client.iter_thread_items(conversation))[:2]  # newest first
    assert (newer.text, older.text) == ("second", "first")
    before = len(emulator.requests())

    with pytest.raises(InvalidInput) as fire:
        client.react(conversation, newer.item_id, "🔥")
    assert fire.value.field == "emoji" and "love" in str(fire.value)
    assert len(emulator.requests()) == before, "refused before any request"

    with pytest.raises(InvalidInput) as old:
        client.mark_seen(conversation, older.item_id)
    assert old.value.field == "item_id" and "newest message" in str(old.value)
    assert _posts(emulator) == [], "no sender action was sent"

    unreacted = client.react(conversation, newer.item_id, remove=True)
    assert unreacted.status == "already_done", "nothing to take back"
    assert client.mark_seen(conversation, newer.item_id).status == "seen"
    assert client.state.user_id == int(graph_conn["ig_user_id"])


def test_operators_the_official_api_cannot_serve_are_refused_before_any_request(
    run_dag, emulator, graph_conn, capsys
) -> None:
    thread = _partner_thread(emulator)
    partner = next(u for u in emulator.seed()["users"] if u["pk"] == thread["users"][0])
    conversation = _conversation_with(emulator, graph_conn, partner["username"])
    before = len(emulator.requests())

    out = run_dag(
        "dm_backends_refused",
        {"conn": "dm_graph", "thread_id": conversation, "item_id": "aWdfbXNnOjE"},
    )

    assert out.state == "failed"
    assert len(emulator.requests()) == before, "no request reached the service"
    logs = capsys.readouterr().out
    for task_id, operator, reason in [
        ("unsend", "DirectUnsendOperator", "unsend"),
        ("approve", "DirectApproveRequestsOperator", "approve message requests"),
        ("decline", "DirectDeclineRequestsOperator", "decline message requests"),
        ("create_group", "DirectCreateGroupOperator", "no group conversations"),
        ("update_thread", "DirectUpdateThreadOperator", "rename"),
        ("lookup_user", "DirectLookupUserOperator", "cannot look up usernames"),
    ]:
        assert out.state_of(task_id) == "failed"
        assert out.tries[(task_id, -1)] == 1, f"{task_id} was retried"
        assert f"{operator} cannot run on an instagram_messaging connection" in logs
        assert reason in logs


def _reads(emulator: EmulatorControl, conversation: str) -> int:
    return sum(1 for r in emulator.requests() if r["path"].endswith(f"/{conversation}"))


def test_the_reply_trigger_waits_on_the_official_backend(airflow_db, emulator, graph_conn) -> None:
    thread = _partner_thread(emulator)
    partner = next(u for u in emulator.seed()["users"] if u["pk"] == thread["users"][0])
    emulator.incoming(thread["thread_id"], partner["pk"], "are you there?")
    conversation = _conversation_with(emulator, graph_conn, partner["username"])
    mark = next(iter(_graph_client(emulator, graph_conn).iter_thread_items(conversation)))
    deadline = datetime.now(timezone.utc) + timedelta(seconds=60)
    before = _reads(emulator, conversation)
    trigger = DirectReplyTrigger(
        direct_conn_id="dm_graph",
        thread_id=conversation,
        since_item_id=mark.item_id,
        poll_interval=0.1,
        deadline=deadline.isoformat(),
    )

    async def scenario() -> dict[str, Any]:
        events = trigger.run()
        waiting = asyncio.ensure_future(anext(events))
        while _reads(emulator, conversation) <= before and not waiting.done():
            await asyncio.sleep(0.05)  # until the trigger has looked once and found nothing
        await asyncio.to_thread(emulator.incoming, thread["thread_id"], partner["pk"], "yes")
        event = await asyncio.wait_for(waiting, 60)
        await events.aclose()
        return event.payload

    event = asyncio.run(scenario())

    assert event["status"] == "reply", event
    reply = event["reply"]
    assert (reply["thread_id"], reply["text"]) == (conversation, "yes")
    assert reply["user_id"] == int(partner["igsid"])


def test_a_reply_in_the_same_second_as_the_mark_is_found_on_the_official_backend(
    emulator, graph_conn
) -> None:
    """The official API's times are whole seconds: a reply stamped a microsecond after the
    mark reads as the mark's own second, and must not be taken for older than the mark."""
    from airflow_provider_dm.client.replies import ReplyFilter, find_reply

    thread = _partner_thread(emulator)
    partner = thread["users"][0]
    item = emulator.incoming(thread["thread_id"], partner, "yes, same second")
    stamp_us = int(item["timestamp"])
    if stamp_us % 1_000_000 == 0:
        stamp_us = int(emulator.incoming(thread["thread_id"], partner, "again")["timestamp"])
    mark = datetime.fromtimestamp((stamp_us - 1) / 1e6, tz=timezone.utc)
    igsid = next(u["igsid"] for u in emulator.seed()["users"] if u["pk"] == partner)
    client = _graph_client(emulator, graph_conn)
    conversation = client.conversation_with(str(igsid))

    reply = find_reply(client, conversation, ReplyFilter(after=mark))

    assert reply is not None and reply.user_id == int(igsid)
