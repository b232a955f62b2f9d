"""The example DAGs under the real scheduler: triggered over the REST API v2, run by the
LocalExecutor in separate worker processes, checked against the emulator's ledger."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from airflow_services import AirflowServices

from airflow_provider_dm.emulator.control import EmulatorControl

pytestmark = pytest.mark.e2e

SHOWCASE = "dm_showcase"
BROADCAST = "dm_broadcast_mapped"
DAG_IDS = (SHOWCASE, BROADCAST)
SHOWCASE_KINDS = {
    "text": {"text"},
    "link": {"link"},
    "profile share": {"profile"},
    "media share": {"media_share"},
    "photo": {"photo_attachment", "configure_photo"},
    "video": {"raven_attachment", "configure_video"},
    "voice": {"voice_attachment", "share_voice"},
}
SEND_STATUSES = {"sent", "already_sent", "failed"}


@dataclass
class DagOutcome:
    """One triggered run: its final state, task instances, XCom results and new ledger rows."""

    dag_id: str
    error: str = ""
    run: dict[str, Any] = field(default_factory=dict)
    task_instances: list[dict[str, Any]] = field(default_factory=list)
    results: dict[tuple[str, int], Any] = field(default_factory=dict)
    ledger: list[dict[str, Any]] = field(default_factory=list)

    def send_records(self) -> list[dict[str, Any]]:
        """Every per-destination send record found in the run's XCom results."""
        return [
            record
            for value in self.results.values()
            if isinstance(value, list)
            for record in value
            if isinstance(record, dict) and record.get("status") in SEND_STATUSES
        ]

    def uploads(self) -> list[dict[str, Any]]:
        """Every upload result (`{"upload_id", "kind", ...}`) found in the run's XCom results."""
        return [
            value
            for value in self.results.values()
            if isinstance(value, dict) and "upload_id" in value and "kind" in value
        ]

    def describe(self) -> str:
        """The run's state and each task instance's state, for assertion messages."""
        states = [f"{ti['task_id']}[{ti['map_index']}]={ti['state']}" for ti in self.task_instances]
        return f"{self.dag_id}: {self.error or self.run.get('state')} ({', '.join(states)})"


@dataclass
class RunLog:
    """Both example DAGs, run one after the other, and the emulator requests made meanwhile."""

    outcomes: dict[str, DagOutcome]
    requests: list[dict[str, Any]]


def _run(services: AirflowServices, emulator: EmulatorControl, dag_id: str) -> DagOutcome:
    outcome = DagOutcome(dag_id)
    ledger_before = len(emulator.ledger())
    try:
        outcome.run = services.run_dag(dag_id)
    except LookupError as exc:
        outcome.error = str(exc)
        return outcome
    run_id = outcome.run["dag_run_id"]
    outcome.task_instances = services.task_instances(dag_id, run_id)
    for ti in outcome.task_instances:
        key = (ti["task_id"], ti["map_index"])
        outcome.results[key] = services.xcom_result(dag_id, run_id, *key)
    outcome.ledger = emulator.ledger()[ledger_before:]
    return outcome


@pytest.fixture(scope="module")
def run_log(airflow_services: AirflowServices) -> Iterator[RunLog]:
    """Trigger `dm_showcase`, then `dm_broadcast_mapped`, each waited for to the end."""
    emulator = EmulatorControl(airflow_services.emulator_url)
    requests_before = len(emulator.requests())
    outcomes = {
        dag_id: _run(airflow_services, emulator, dag_id) for dag_id in (SHOWCASE, BROADCAST)
    }
    yield RunLog(outcomes, emulator.requests()[requests_before:])


def _assert_succeeded(outcome: DagOutcome) -> None:
    assert not outcome.error, outcome.error
    assert outcome.run["state"] == "success", outcome.describe()
    assert all(ti["state"] in ("success", "skipped") for ti in outcome.task_instances), (
        outcome.describe()
    )


def _assert_ledger_matches_results(outcome: DagOutcome) -> None:
    """Every accepted item is accounted for by exactly one `sent` record, and vice versa."""
    records = outcome.send_records()
    assert records, f"no send results in the XComs of {outcome.dag_id}"
    assert {r["status"] for r in records} <= {"sent"}, records
    sent_ids = [r["item_id"] for r in records]
    ledger_ids = [row["item_id"] for row in outcome.ledger]
    assert len(set(sent_ids)) == len(sent_ids), "an item reported twice"
    assert sorted(sent_ids) == sorted(ledger_ids)
    by_item = {row["item_id"]: row for row in outcome.ledger}
    for record in records:
        row = by_item[record["item_id"]]
        assert row["client_context"] == record["client_context"]
        assert str(row["thread_id"]) == str(record["thread_id"])
    contexts = [row["client_context"] for row in outcome.ledger]
    assert len(set(contexts)) == len(contexts), "an item was accepted twice"


def test_showcase_sends_every_item_type_with_uploads_chained(run_log: RunLog) -> None:
    """`dm_showcase` succeeds; the ledger holds each item type, every upload reached a send."""
    outcome = run_log.outcomes[SHOWCASE]
    _assert_succeeded(outcome)
    _assert_ledger_matches_results(outcome)
    kinds = {row["kind"] for row in outcome.ledger}
    missing = [name for name, accepted in SHOWCASE_KINDS.items() if not kinds & accepted]
    assert not missing, f"nothing of {missing} in the ledger (kinds: {sorted(kinds)})"
    threads = {str(row["thread_id"]) for row in outcome.ledger}
    assert len(threads) >= 2, "sent to a recipient group and to the picked threads"

    uploads = outcome.uploads()
    assert {u["kind"] for u in uploads} == {"photo", "video", "voice"}, uploads
    ledger_uploads = [row["upload"] for row in outcome.ledger if row["upload"]]
    for upload in uploads:
        ids = {upload["upload_id"], upload.get("media_id")} - {None}
        matching = [u for u in ledger_uploads if ids & {u.get("upload_id"), u.get("media_id")}]
        assert matching, f"upload {upload} never reached a send"
        assert all(u["bytes"] > 0 for u in matching)


def test_broadcast_mapped_sends_once_per_destination(run_log: RunLog) -> None:
    """`dm_broadcast_mapped` fans one message out over mapped task instances, each destination
    receiving it exactly once."""
    outcome = run_log.outcomes[BROADCAST]
    _assert_succeeded(outcome)
    mapped = [ti for ti in outcome.task_instances if ti["map_index"] >= 0]
    assert len(mapped) >= 2, f"no dynamic task mapping: {outcome.describe()}"
    assert all(isinstance(outcome.results[(ti["task_id"], ti["map_index"])], list) for ti in mapped)
    _assert_ledger_matches_results(outcome)
    threads = [str(row["thread_id"]) for row in outcome.ledger]
    assert len(set(threads)) == len(threads), "a destination received the message twice"
    assert len({row["kind"] for row in outcome.ledger}) == 1
    texts = {(row["fields"] or {}).get("text") for row in outcome.ledger}
    assert len(texts) == 1, texts


def test_whole_run_logs_in_once(run_log: RunLog) -> None:
    """Tasks run in separate worker processes, yet they share one stored session."""
    pids = {
        ti["pid"]
        for outcome in run_log.outcomes.values()
        for ti in outcome.task_instances
        if ti["pid"]
    }
    assert len(pids) >= 2, "the tasks did not run in separate processes"
    logins = [r for r in run_log.requests if r["path"].rstrip("/").endswith("accounts/login")]
    assert len(logins) == 1, [(r["method"], r["path"], r["status"]) for r in logins]
