"""``DirectNotifier`` in real DAG runs (``dag.test()``) against the emulator: task- and
DAG-level callbacks send one message each, a callback run twice sends once, a notifier whose
service is down leaves the task's outcome alone and logs why; and the deadline-alert paths of
Airflow (its executor callback runner and its triggerer callback trigger) drive it too."""

from __future__ import annotations

import asyncio
import json
import os
import socket
from pathlib import Path
from urllib.parse import quote

import pytest
from airflow.triggers.callback import CallbackTrigger

from airflow_provider_dm.emulator.control import EmulatorControl
from airflow_provider_dm.notifications import DirectNotifier, send_direct_notification
from airflow_provider_dm.notifications.direct import callback_identity

pytestmark = pytest.mark.usefixtures("demo_connections", "fresh_sessions")
NOTIFIER = "airflow_provider_dm.notifications.direct.DirectNotifier"


@pytest.fixture
def group(emulator: EmulatorControl) -> str:
    """The demo seed's group thread."""
    return next(t["thread_id"] for t in emulator.seed()["threads"] if t["title"] == "Weekend plans")


def _texts(emulator: EmulatorControl) -> list[str]:
    return [row["fields"]["text"] for row in emulator.ledger()]


def test_a_failing_task_notifies_once_with_its_context(run_dag, emulator, group) -> None:
    outcome = run_dag("dm_notify_task_failure", {"threads": [group]})
    assert outcome.state_of("fail") == "failed"
    (row,) = emulator.ledger()
    assert row["thread_id"] == group
    text = row["fields"]["text"]
    assert text.startswith(
        f"failed: fail of dm_notify_task_failure (try 1, run {outcome.run_id}): "
    )
    assert "the report could not be built" in text
    assert text.endswith(
        "/dags/dm_notify_task_failure/runs/" + _quoted(outcome.run_id) + "/tasks/fail?try_number=1"
    )


def test_a_callback_run_twice_sends_once(run_dag, emulator, group) -> None:
    outcome = run_dag("dm_notify_twice", {"threads": [group]})
    assert outcome.state_of("fail") == "failed"
    assert len(emulator.ledger()) == 1
    broadcasts = [r for r in emulator.requests() if "/broadcast/" in r["path"]]
    assert len(broadcasts) == 1


def test_retry_and_failure_each_notify_once(run_dag, emulator, group) -> None:
    outcome = run_dag("dm_notify_retry", {"threads": [group]})
    assert outcome.state_of("fail") == "failed"
    texts = _texts(emulator)
    assert len(texts) == 2
    assert texts[0].startswith("retrying: fail of dm_notify_retry (try 1, ")
    assert texts[1].startswith("failed: fail of dm_notify_retry (try 2, ")


def test_success_callback_through_the_alias(run_dag, emulator, group) -> None:
    assert send_direct_notification is DirectNotifier
    outcome = run_dag("dm_notify_success", {"threads": [group]})
    assert outcome.state_of("succeed") == "success"
    (text,) = _texts(emulator)
    assert text.startswith("succeeded: succeed of dm_notify_success (try 1, ")


def test_dag_level_failure_callback_notifies_once(run_dag, emulator, group) -> None:
    outcome = run_dag("dm_notify_dag_level", {"threads": [group]})
    assert outcome.state == "failed"
    (text,) = _texts(emulator)
    assert text.startswith("dm_notify_dag_level failed: task_failure (run ")


def test_dag_level_success_callback_notifies_once(run_dag, emulator, group) -> None:
    outcome = run_dag("dm_notify_dag_success", {"threads": [group]})
    assert outcome.state == "success"
    assert _texts(emulator) == [f"dm_notify_dag_success succeeded: success (run {outcome.run_id})"]


def test_destinations_rendered_as_text_are_read_as_lists(run_dag, emulator, group) -> None:
    outcome = run_dag("dm_notify_text_destinations", {"threads": [group]})
    assert outcome.state_of("fail") == "failed"
    (row,) = emulator.ledger()
    assert row["thread_id"] == group


@pytest.fixture
def dead_connection(monkeypatch: pytest.MonkeyPatch) -> str:
    """A connection to a loopback port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    conn = {
        "conn_type": "instagram_direct",
        "login": "airflow_demo",
        "password": "demo-password",
        "host": f"http://127.0.0.1:{port}/api/v1/",
    }
    monkeypatch.setenv("AIRFLOW_CONN_DM_DOWN", json.dumps(conn))
    return "dm_down"


@pytest.mark.parametrize(
    ("dag_id", "task_id", "state"),
    [("dm_notify_task_failure", "fail", "failed"), ("dm_notify_success", "succeed", "success")],
)
def test_service_down_leaves_the_outcome_and_logs_the_error(
    run_dag, emulator, group, dead_connection, capsys, dag_id, task_id, state
) -> None:
    outcome = run_dag(dag_id, {"threads": [group], "conn": dead_connection})
    assert outcome.state_of(task_id) == state
    assert emulator.ledger() == []
    assert "Could not send the Direct notification: NetworkError" in capsys.readouterr().out


def _deadline_kwargs(group: str, deadline_id: str) -> dict:
    """The kwargs Airflow hands a deadline callback: ours plus its simple context."""
    return {
        "text": "{{ dag_run['dag_id'] }} missed its deadline ({{ dag_run['run_id'] }})",
        "threads": [group],
        "direct_conn_id": "dm_emulator",
        "context": {
            "dag_run": {"dag_id": "dm_nightly", "run_id": "manual__1"},
            "deadline": {"id": deadline_id, "deadline_time": "2026-01-01T00:00:00+00:00"},
        },
    }


def test_deadline_alert_through_the_executor_callback_runner(emulator, group) -> None:
    from airflow.sdk.execution_time.callback_supervisor import execute_callback

    kwargs = _deadline_kwargs(group, "7b8c")
    for _ in range(2):
        ok, error = execute_callback(NOTIFIER, json.loads(json.dumps(kwargs)), "", None, _Log())
        assert (ok, error) == (True, None)
    assert _texts(emulator) == ["dm_nightly missed its deadline (manual__1)"]


def test_deadline_alert_through_the_triggerer_callback_trigger(emulator, group) -> None:
    trigger = CallbackTrigger(NOTIFIER, _deadline_kwargs(group, "9d0e"))

    async def events() -> list:
        return [event.payload async for event in trigger.run()]

    states = [payload["state"] for payload in asyncio.run(events())]
    assert states[-1] == "success"
    assert _texts(emulator) == ["dm_nightly missed its deadline (manual__1)"]


def test_literal_bad_destinations_are_refused_at_definition() -> None:
    with pytest.raises(ValueError, match=r"threads\[0\]"):
        DirectNotifier(text="x", threads=["not-a-thread"])
    with pytest.raises(ValueError, match="recipients"):
        DirectNotifier(text="x")
    with pytest.raises(ValueError, match="text"):
        DirectNotifier(text="  ", threads=["1"])


def test_identity_tells_deadlines_dags_and_tries_apart() -> None:
    deadline = callback_identity({"deadline": {"id": "d1"}, "dag_run": {"dag_id": "a"}})
    dag_level = callback_identity({"run_id": "r", "reason": "success"})
    assert deadline[0] == "deadline" and dag_level[0] == "dag"
    assert deadline != dag_level


def _quoted(run_id: str) -> str:
    return quote(run_id, safe="")


class _Log:
    """The structlog-style logger Airflow's callback runner is given (keyword arguments)."""

    def debug(self, *args: object, **kwargs: object) -> None:
        pass

    info = debug

    def exception(self, *args: object, **kwargs: object) -> None:
        raise AssertionError(f"the callback failed: {args} {kwargs}")


EXAMPLE_DAG = Path(__file__).parents[2] / "dags" / "dm_alerts.py"


def test_the_example_dag_sends_retry_failure_and_run_messages(emulator, group) -> None:
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db
    from airflow.models.variable import Variable

    # The example lives outside the test DAG folder: register it as the DAG processor would.
    dagbag = DagBag(dag_folder=str(EXAMPLE_DAG))
    assert not dagbag.import_errors, dagbag.import_errors
    DagBundlesManager().sync_bundles_to_db()
    sync_bag_to_db(dagbag, "dags-folder", None)
    os.environ["AIRFLOW_CONN_INSTAGRAM_DIRECT_DEFAULT"] = os.environ["AIRFLOW_CONN_DM_EMULATOR"]
    Variable.delete("instagram_direct_session__instagram_direct_default")
    try:
        dag_run = dagbag.get_dag("dm_alerts").test()
    finally:
        os.environ.pop("AIRFLOW_CONN_INSTAGRAM_DIRECT_DEFAULT")
    assert str(dag_run.state) == "failed"
    texts = _texts(emulator)
    assert [row["thread_id"] for row in emulator.ledger()] == [group] * 3
    assert texts[0] == "Retrying build_report of dm_alerts (try 1): the source table is empty"
    assert texts[1].startswith("Failed: build_report of dm_alerts (try 2): the source table")
    assert texts[2] == f"Run {dag_run.run_id} of dm_alerts failed (task_failure)."
