"""DirectReplySensor and DirectReplyTrigger against the emulator: poke and deferred waits run
as real DAG runs through ``dag.test()`` (which runs the trigger inline); replies come from
another participant through the emulator's ``incoming`` admin call."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from airflow.exceptions import AirflowProviderDeprecationWarning

from airflow_provider_dm.client import DirectClient
from airflow_provider_dm.client.errors import InvalidInput
from airflow_provider_dm.client.items import Text
from airflow_provider_dm.emulator.control import EmulatorControl
from airflow_provider_dm.operators.base import DirectBaseOperator, DirectHookMixin
from airflow_provider_dm.sensors.reply import DirectReplySensor, sent_mark
from airflow_provider_dm.triggers.reply import DirectReplyTrigger

ALICE, BOB, CAROL = 5110000101, 5110000102, 5110000103
CAROL_THREAD = "340282366841710300949128000000000000001"
GROUP_THREAD = "340282366841710300949128000000000000002"
EXAMPLE_DAG = Path(__file__).parents[2] / "dags" / "dm_reply_watch.py"
# Outside the shared tests/dags: its deprecation warning is raised by its own test only, not
# by every test that parses the shared folder.
DEPRECATED_DAG = Path(__file__).parent / "dags" / "dm_reply_deprecated.py"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _thread_reads(control: EmulatorControl, thread_id: str) -> int:
    """How often the thread was read since the first send (the sensor's looks at it)."""
    log = control.requests()
    first_send = next((i for i, r in enumerate(log) if "broadcast" in r["path"]), len(log))
    return sum(
        1
        for r in log[first_send:]
        if r["method"] == "GET" and r["path"].endswith(f"direct_v2/threads/{thread_id}/")
    )


@pytest.fixture
def answer_while_waiting(emulator: EmulatorControl) -> Iterator[Callable[..., None]]:
    """Makes a participant answer once the thread has been read ``after_reads`` times since
    the question was sent. Two reads are the sensor's own first look and the trigger's first
    poll, so the reply arrives while the trigger waits, whatever the machine's speed."""
    done = threading.Event()
    watchers: list[threading.Thread] = []

    def start(thread_id: str, user_pk: int, text: str, after_reads: int = 2) -> None:
        def watch() -> None:
            control = EmulatorControl(emulator.url)
            while not done.wait(0.1):
                if _thread_reads(control, thread_id) >= after_reads:
                    control.incoming(thread_id, user_pk, text)
                    return

        watcher = threading.Thread(target=watch, daemon=True)
        watchers.append(watcher)
        watcher.start()

    yield start
    done.set()
    for watcher in watchers:
        watcher.join(timeout=5)


@pytest.fixture
def viewer(emulator: EmulatorControl) -> Iterator[DirectClient]:
    """The account itself, logged in directly, to post in a thread."""
    client = DirectClient(api_url=emulator.url + "/api/v1/", upload_url=emulator.url + "/")
    client.login("airflow_demo", "demo-password")
    yield client
    client.close()


def test_poke_returns_a_reply_that_arrived(run_dag, fresh_sessions, emulator) -> None:
    since = _now()
    sent = emulator.incoming(CAROL_THREAD, CAROL, "Sounds good")
    outcome = run_dag("dm_reply_anyone", conf={"since": since})
    assert outcome.state == "success", outcome.states
    reply = outcome.result("wait")
    assert reply == {
        "thread_id": CAROL_THREAD,
        "item_id": sent["item_id"],
        "user_id": CAROL,
        "item_type": "text",
        "text": "Sounds good",
        "timestamp": reply["timestamp"],
    }
    assert datetime.fromisoformat(reply["timestamp"]) > datetime.fromisoformat(since)


def test_items_older_than_the_mark_do_not_count(run_dag, fresh_sessions, emulator) -> None:
    emulator.incoming(CAROL_THREAD, CAROL, "An old answer")
    since = _now()
    emulator.incoming(CAROL_THREAD, CAROL, "A new answer")
    outcome = run_dag("dm_reply_anyone", conf={"since": since})
    assert outcome.result("wait")["text"] == "A new answer"


def test_the_accounts_own_items_never_count(
    run_dag, fresh_sessions, emulator, viewer, capfd
) -> None:
    since = _now()
    viewer.send(Text("Anyone there?"), threads=[CAROL_THREAD])
    outcome = run_dag("dm_reply_anyone", conf={"since": since})
    assert outcome.state_of("wait") == "failed"
    assert f"No reply in thread {CAROL_THREAD} within the sensor's timeout of 3 s" in (
        capfd.readouterr().out
    )


def test_the_reply_after_the_accounts_own_item_counts(
    run_dag, fresh_sessions, emulator, viewer
) -> None:
    since = _now()
    viewer.send(Text("Anyone there?"), threads=[CAROL_THREAD])
    emulator.incoming(CAROL_THREAD, CAROL, "Here!")
    outcome = run_dag("dm_reply_anyone", conf={"since": since})
    assert (outcome.result("wait")["user_id"], outcome.result("wait")["text"]) == (CAROL, "Here!")


def test_from_users_and_text_pattern_filter(run_dag, fresh_sessions, emulator) -> None:
    since = _now()
    emulator.incoming(GROUP_THREAD, BOB, "yes from the wrong person")
    emulator.incoming(GROUP_THREAD, ALICE, "not sure yet")
    expected = emulator.incoming(GROUP_THREAD, ALICE, "YES, go ahead")
    emulator.incoming(GROUP_THREAD, ALICE, "yes again, later")
    outcome = run_dag("dm_reply_poke", conf={"since": since})
    assert outcome.state == "success", outcome.states
    reply = outcome.result("wait")
    assert (reply["item_id"], reply["user_id"], reply["text"]) == (
        expected["item_id"],
        ALICE,
        "YES, go ahead",
    )


def test_the_sensor_shares_the_operators_connection_hook_and_fail_fast() -> None:
    for name in ("direct_conn_id", "hook", "failing_fast", "hook_options"):
        assert name not in vars(DirectReplySensor), f"the sensor has its own {name}"
    assert issubclass(DirectReplySensor, DirectHookMixin)
    assert issubclass(DirectBaseOperator, DirectHookMixin)
    assert DirectReplySensor.hook is DirectBaseOperator.hook


def test_unknown_thread_fails_the_sensor_without_retries(
    run_dag, fresh_sessions, emulator, capfd
) -> None:
    # direct_conn_id comes from default_args (the DAG sets no other), as for any operator.
    outcome = run_dag("dm_reply_unknown_thread")
    assert outcome.state_of("wait") == "failed"
    assert outcome.tries[("wait", -1)] == 1, "a thread the service does not know is not retried"
    assert "direct_v2/threads/999/" in capfd.readouterr().out


def _register(dag_file: Path, bundle: str = "dags-folder") -> Any:
    """Parse one DAG file outside the shared test folder and register it as the DAG processor
    would; returns its DagBag."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    dagbag = DagBag(dag_folder=str(dag_file))
    assert not dagbag.import_errors, dagbag.import_errors
    DagBundlesManager().sync_bundles_to_db()
    sync_bag_to_db(dagbag, bundle, None)
    return dagbag


def _return_value(dag_run: Any, task_id: str) -> Any:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = (
            session.query(XComModel)
            .filter_by(
                dag_id=dag_run.dag_id, run_id=dag_run.run_id, task_id=task_id, key="return_value"
            )
            .one()
        )
        return XComModel.deserialize_value(row)


def test_the_former_names_still_work_and_warn(
    airflow_db, demo_connections, fresh_sessions, emulator
) -> None:
    with pytest.warns(UserWarning, match="DirectReplySensor: after is deprecated, use since"):
        dagbag = _register(DEPRECATED_DAG)
    warned = dagbag.captured_warnings[str(DEPRECATED_DAG)]
    assert any("AirflowProviderDeprecationWarning" in w for w in warned), warned
    since = _now()
    emulator.incoming(CAROL_THREAD, CAROL, "Still here")
    dag_run = dagbag.get_dag("dm_reply_deprecated").test(run_conf={"since": since})
    assert str(dag_run.state) == "success"
    assert _return_value(dag_run, "wait")["text"] == "Still here"


def test_a_former_name_warns_at_its_caller_and_both_names_are_refused() -> None:
    with pytest.warns(AirflowProviderDeprecationWarning, match="after_item_id is deprecated") as w:
        sensor = DirectReplySensor(task_id="wait", thread_id="1", after_item_id="77")
    assert sensor.since_item_id == "77"
    assert [Path(warning.filename).name for warning in w] == [Path(__file__).name]
    with (
        pytest.warns(AirflowProviderDeprecationWarning),
        pytest.raises(ValueError, match="since: give since or its deprecated name after, not"),
    ):
        DirectReplySensor(task_id="wait", thread_id="1", since=_now(), after=_now())


def test_deferred_sensor_returns_the_reply_that_arrives_while_it_waits(
    run_dag, fresh_sessions, emulator, answer_while_waiting
) -> None:
    answer_while_waiting(CAROL_THREAD, CAROL, "Yes, after lunch")
    outcome = run_dag("dm_reply_deferred")
    assert outcome.state == "success", outcome.states
    asked = outcome.result("ask")[0]
    reply = outcome.result("wait")
    assert (reply["thread_id"], reply["user_id"], reply["text"]) == (
        CAROL_THREAD,
        CAROL,
        "Yes, after lunch",
    )
    assert int(reply["item_id"]) > int(asked["item_id"])
    assert _thread_reads(emulator, CAROL_THREAD) >= 3, "the reply was there before the wait"


def test_deferred_timeout_fails_the_task_with_a_clear_message(
    run_dag, fresh_sessions, emulator, capfd
) -> None:
    outcome = run_dag("dm_reply_timeout", conf={"since": _now()})
    assert outcome.state_of("wait") == "failed"
    assert f"No reply in thread {CAROL_THREAD} within the sensor's timeout of 2 s" in (
        capfd.readouterr().out
    )


def _trigger(**overrides: Any) -> DirectReplyTrigger:
    values: dict[str, Any] = {
        "direct_conn_id": "dm_emulator",
        "thread_id": CAROL_THREAD,
        "since_item_id": None,
        "since": _now(),
        "from_users": [CAROL],
        "text_pattern": r"(?i)yes",
        "poll_interval": 0.2,
        "deadline": None,
    }
    return DirectReplyTrigger(**{**values, **overrides})


def _first_event(trigger: DirectReplyTrigger) -> dict[str, Any]:
    async def first() -> Any:
        return await anext(trigger.run())

    return asyncio.run(first()).payload


def test_trigger_serialization_round_trips_and_holds_no_secret() -> None:
    trigger = _trigger(since_item_id="123", deadline="2026-11-27T01:00:00+00:00")
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_dm.triggers.reply.DirectReplyTrigger"
    rebuilt = DirectReplyTrigger(**json.loads(json.dumps(kwargs)))
    assert rebuilt.serialize() == (classpath, kwargs)
    text = json.dumps(kwargs).lower()
    for secret in ("demo-password", "password", "bearer", "sessionid", "authorization"):
        assert secret not in text


def test_a_trigger_serialized_with_the_former_names_still_rebuilds() -> None:
    earlier = {
        "direct_conn_id": "dm_emulator",
        "thread_id": CAROL_THREAD,
        "after_item_id": "123",
        "after": "2026-11-27T00:00:00+00:00",
        "from_users": [],
        "text_pattern": None,
        "poll_interval": 5.0,
        "deadline": None,
    }
    _, kwargs = DirectReplyTrigger(**earlier).serialize()
    assert (kwargs["since_item_id"], kwargs["since"]) == ("123", "2026-11-27T00:00:00+00:00")
    assert "after" not in kwargs and "after_item_id" not in kwargs


def test_trigger_fires_on_a_reply_that_is_there(emulator, demo_connections) -> None:
    # Outside a task, the hook cannot read or write its session Variable (it logs that and
    # logs in afresh); the trigger still reaches the emulator with the same connection.
    trigger = _trigger()
    emulator.incoming(CAROL_THREAD, CAROL, "yes")
    event = _first_event(trigger)
    assert event["status"] == "reply"
    assert (event["thread_id"], event["reply"]["text"]) == (CAROL_THREAD, "yes")


def test_trigger_fires_timeout_at_its_deadline(emulator, demo_connections) -> None:
    event = _first_event(_trigger(deadline=_now()))
    assert event == {
        "status": "timeout",
        "thread_id": CAROL_THREAD,
        "message": event["message"],
    }
    assert CAROL_THREAD in event["message"]


def test_trigger_reports_an_error_for_an_unknown_thread(emulator, demo_connections) -> None:
    event = _first_event(_trigger(thread_id="999"))
    assert event["status"] == "failed", "an unknown thread is not retried"
    assert "direct_v2/threads/999/" in event["message"] and "HTTP 404" in event["message"]
    assert "demo-password" not in event["message"]


def test_reply_to_takes_the_thread_and_item_of_a_send() -> None:
    sent = [
        {"destination": "x", "thread_id": "11", "item_id": "500", "status": "failed"},
        {"destination": "y", "thread_id": "22", "item_id": "600", "status": "already_sent"},
        {"destination": "z", "thread_id": "33", "item_id": "700", "status": "sent"},
    ]
    assert sent_mark(sent) == ("22", "600")
    assert sent_mark(sent, thread_id="33") == ("33", "700")
    assert sent_mark(sent[2]) == ("33", "700")
    assert sent_mark(sent, since_item_id="650") == ("22", "650")
    with pytest.raises(InvalidInput, match="reply_to: holds no delivered message to thread 11"):
        sent_mark(sent, thread_id="11")
    with pytest.raises(InvalidInput, match="reply_to"):
        sent_mark("not a send result")


def test_example_dag_asks_waits_and_answers(airflow_db, emulator, answer_while_waiting) -> None:
    from airflow.models.variable import Variable

    # The example lives outside the test DAG folder: register it as the DAG processor would.
    dagbag = _register(EXAMPLE_DAG)
    connection = {
        "conn_type": "instagram_direct",
        "host": f"{emulator.url}/api/v1/",
        "login": "airflow_demo",
        "password": "demo-password",
    }
    os.environ["AIRFLOW_CONN_INSTAGRAM_DIRECT_DEFAULT"] = json.dumps(connection)
    Variable.delete("instagram_direct_session_secret__instagram_direct_default")
    try:
        # After the sensor's first look: the example polls every 10 s, and this test needs
        # the run to finish, not to prove that the trigger waited (the test above does).
        answer_while_waiting(CAROL_THREAD, CAROL, "yes, go ahead", after_reads=1)
        dag_run = dagbag.get_dag("dm_reply_watch").test()
    finally:
        os.environ.pop("AIRFLOW_CONN_INSTAGRAM_DIRECT_DEFAULT")
    assert str(dag_run.state) == "success"
    texts = [i["fields"].get("text") for i in emulator.ledger() if i["thread_id"] == CAROL_THREAD]
    assert texts == [
        "Shall I publish this week's report? Please answer yes or no.",
        "Thanks, publishing it now.",
    ]


def test_reschedule_mode_finds_a_reply_that_came_after_the_first_look(
    run_dag, fresh_sessions, emulator
) -> None:
    def reads() -> int:
        path = f"direct_v2/threads/{CAROL_THREAD}/"
        return sum(1 for r in emulator.requests() if r["path"].endswith(path))

    def answer_after_first_look() -> None:
        control = EmulatorControl(emulator.url)
        while not stop.wait(0.2):
            if reads() >= 1:
                control.incoming(CAROL_THREAD, CAROL, "here I am")
                return

    stop = threading.Event()
    watcher = threading.Thread(target=answer_after_first_look, daemon=True)
    watcher.start()
    try:
        outcome = run_dag("dm_reply_reschedule", conf={"since": _now()})
    finally:
        stop.set()
        watcher.join(timeout=5)
    assert outcome.state == "success", outcome.states
    assert outcome.result("wait")["text"] == "here I am"
    assert reads() >= 2  # the first look saw nothing; a rescheduled try found the reply
