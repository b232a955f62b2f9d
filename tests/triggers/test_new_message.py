"""DirectNewMessageTrigger against the emulator: one event per new message, oldest first, the
account's own items never; the mark survives a restart (nothing repeated, nothing skipped,
not even what arrived while no trigger ran); the polling interval and its quiet-hour cost."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import pytest

from airflow_provider_dm.client import DirectClient
from airflow_provider_dm.client.items import Text
from airflow_provider_dm.triggers.new_message import (
    DirectNewMessageTrigger,
    next_interval,
    polls_per_quiet_hour,
)

pytestmark = pytest.mark.usefixtures("demo_connections", "airflow_db")

CAROL, DAVE = 5110000103, 5110000104
PREFIX = "340282366841710300949128"
CAROL_THREAD, BOB_THREAD, DAVE_REQUEST = (f"{PREFIX}{n:015d}" for n in (1, 4, 5))
# Generous bound on waiting for an event; the polls themselves are 50 ms apart.
EVENT_WAIT = 60.0


class DbMarkTrigger(DirectNewMessageTrigger):
    """The trigger with its mark in the same Airflow Variable, read and written through the
    metadata DB: the SDK's ``Variable`` needs the supervisor channel of a task or triggerer
    process, which this test process is not (the e2e test runs the real triggerer)."""

    def load_mark(self) -> int | None:
        from airflow.models.variable import Variable

        value = Variable.get(self.mark_variable, default_var=None)
        return int(value) if value else None

    def save_mark(self, mark_us: int) -> None:
        from airflow.models.variable import Variable

        Variable.set(self.mark_variable, str(mark_us))


def _trigger(direct_conn_id: str = "dm_emulator", **kwargs) -> DirectNewMessageTrigger:
    return DbMarkTrigger(
        direct_conn_id=direct_conn_id,
        floor=0.05,
        ceiling=0.2,
        commit_delay=0,
        mark_variable="test_new_message_mark",
        **kwargs,
    )


@pytest.fixture
def no_mark(emulator) -> None:
    from airflow.models.variable import Variable

    Variable.delete("test_new_message_mark")
    Variable.delete("instagram_direct_session__dm_emulator")


async def _next(events: AsyncIterator, count: int) -> list[dict]:
    return [(await asyncio.wait_for(anext(events), EVENT_WAIT)).payload for _ in range(count)]


async def _started(trigger: DirectNewMessageTrigger) -> AsyncIterator:
    """The trigger's event stream, once its mark is saved (it fires only what comes after)."""
    events = trigger.run()
    first = asyncio.ensure_future(anext(events))
    while await asyncio.to_thread(trigger.load_mark) is None:
        await asyncio.sleep(0.05)
    return events, first


async def _stop_after_commit(trigger, events: AsyncIterator, handled: list[dict]) -> None:
    """Go on iterating, as the triggerer does, until the mark covers ``handled``; then stop
    (a restart before that commit may repeat the batch, by design)."""
    waiting = asyncio.ensure_future(anext(events))
    newest = max(e["timestamp_us"] for e in handled)
    while (await asyncio.to_thread(trigger.load_mark) or 0) < newest:
        await asyncio.sleep(0.05)
    waiting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waiting
    await events.aclose()


def test_each_new_message_fires_once_across_a_restart(no_mark, emulator):
    viewer = DirectClient(api_url=emulator.url + "/api/v1/", upload_url=emulator.url + "/")
    viewer.login("airflow_demo", "demo-password")

    async def scenario() -> tuple[list[dict], list[dict]]:
        trigger = _trigger()
        events, first = await _started(trigger)
        emulator.incoming(CAROL_THREAD, CAROL, "one")
        viewer.send(Text("our own answer"), threads=[CAROL_THREAD])
        emulator.incoming(CAROL_THREAD, CAROL, "two")
        before = [(await asyncio.wait_for(first, EVENT_WAIT)).payload, *await _next(events, 1)]
        await _stop_after_commit(trigger, events, before)  # the triggerer stops
        emulator.incoming(CAROL_THREAD, CAROL, "three, while no trigger ran")
        restarted = _trigger()
        events = restarted.run()
        after = await _next(events, 1)
        emulator.incoming(CAROL_THREAD, CAROL, "four")
        after += await _next(events, 1)
        await _stop_after_commit(restarted, events, after)
        return before, after

    before, after = asyncio.run(scenario())
    viewer.close()
    assert [e["text"] for e in before] == ["one", "two"]
    assert [e["text"] for e in after] == ["three, while no trigger ran", "four"]
    assert all(e["thread_id"] == CAROL_THREAD and e["user_id"] == CAROL for e in before + after)
    assert len({e["item_id"] for e in before + after}) == 4


def test_filters_and_message_requests(no_mark, emulator):
    async def scenario() -> list[dict]:
        trigger = _trigger(include_requests=True, text_pattern="(?i)help")
        events, first = await _started(trigger)
        emulator.incoming(CAROL_THREAD, CAROL, "no match here")
        emulator.message_request("erin_demo", "Help me please")
        found = [(await asyncio.wait_for(first, EVENT_WAIT)).payload]
        await events.aclose()
        return found

    (event,) = asyncio.run(scenario())
    assert (event["text"], event["pending"]) == ("Help me please", True)


def test_the_interval_grows_while_quiet_and_backs_off_on_429():
    interval, seen = 30.0, []
    for _ in range(6):
        seen.append(interval)
        interval = next_interval(interval, found=False, floor=30, ceiling=300, growth=2)
    assert seen == [30, 60, 120, 240, 300, 300]
    assert next_interval(300, found=True, floor=30, ceiling=300, growth=2) == 30
    throttled = next_interval(30, found=False, floor=30, ceiling=300, growth=2, throttled=True)
    assert throttled == 60
    told = dict(found=False, floor=30, ceiling=300, growth=2, throttled=True, retry_after=200)
    assert next_interval(30, **told) == 200
    assert polls_per_quiet_hour() == 15  # 30 + 60 + 120 + 240 s, then 11 polls 300 s apart


def test_serialize_round_trips():
    trigger = _trigger(thread_ids=[BOB_THREAD], from_users=[DAVE])
    classpath, kwargs = trigger.serialize()
    assert classpath.endswith(".DbMarkTrigger")
    assert DbMarkTrigger(**kwargs).serialize() == (classpath, kwargs)


@pytest.fixture
def graph_connection(emulator, monkeypatch) -> str:
    """An ``instagram_messaging`` connection ``dm_graph`` to the emulator's Graph routes."""
    token = emulator.graph_token()
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
    return "dm_graph"


def test_new_messages_fire_on_the_official_backend(no_mark, emulator, graph_connection):
    carol = next(u for u in emulator.seed()["users"] if u["pk"] == CAROL)

    async def scenario() -> list[dict]:
        trigger = _trigger(direct_conn_id=graph_connection)
        events, first = await _started(trigger)
        emulator.incoming(CAROL_THREAD, CAROL, "one")
        emulator.incoming(CAROL_THREAD, CAROL, "two")  # often in the same second as "one"
        found = [(await asyncio.wait_for(first, EVENT_WAIT)).payload, *await _next(events, 1)]
        emulator.incoming(CAROL_THREAD, CAROL, "three")
        found += await _next(events, 1)
        await events.aclose()
        return found

    found = asyncio.run(scenario())
    assert [e["text"] for e in found] == ["one", "two", "three"]
    assert all(e["user_id"] == int(carol["igsid"]) for e in found)
    assert len({e["thread_id"] for e in found}) == 1
    assert not found[0]["thread_id"].isdigit(), "a conversation id of the official API"
    assert len({e["item_id"] for e in found}) == 3
    graph_reads = [r for r in emulator.requests() if r["path"].startswith("/graph/")]
    assert graph_reads and not [r for r in emulator.requests() if "/api/v1/" in r["path"]]
