"""`dm_auto_reply` under the real scheduler and triggerer: three incoming messages start
exactly three DAG runs, each answered once, with the triggerer restarted between the second
and the third (its mark survives in a Variable: nothing repeated, nothing skipped)."""

from __future__ import annotations

import time

import pytest
from airflow_services import AirflowServices, stop_services

from airflow_provider_dm.emulator.control import EmulatorControl

pytestmark = pytest.mark.e2e

DAG_ID = "dm_auto_reply"
MARK = "instagram_direct_auto_reply_mark"
THREAD = "340282366841710300949128000000000000001"  # carol_demo's thread in the demo seed
CAROL = 5110000103
# The example polls every 30 s after news, at most every 60 s here: a run per message comes
# well within this bound.
WAIT = 240.0


def _runs(services: AirflowServices) -> list[dict]:
    body = services.api("GET", f"dags/{DAG_ID}/dagRuns", params={"limit": 100}).json()
    return body["dag_runs"]


def _wait_for(condition, what: str, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"{what} within {timeout:.0f} s")


def _successes(services: AirflowServices, count: int) -> list[dict]:
    def done() -> list[dict] | None:
        runs = _runs(services)
        finished = [r for r in runs if r["state"] in ("success", "failed")]
        return runs if len(finished) >= count else None

    runs = _wait_for(done, f"{count} finished runs of {DAG_ID}")
    assert all(r["state"] == "success" for r in runs), runs
    return runs


def test_three_messages_three_runs_across_a_triggerer_restart(
    airflow_services: AirflowServices,
) -> None:
    services = airflow_services
    emulator = EmulatorControl(services.emulator_url)
    services.wait_for_dag(DAG_ID)
    services.api("PATCH", f"dags/{DAG_ID}", json={"is_paused": False}).raise_for_status()
    try:
        _wait_for(
            lambda: services.api("GET", f"variables/{MARK}").status_code == 200,
            "the trigger's first mark",
        )
        ledger_before = len(emulator.ledger())

        first = emulator.incoming(THREAD, CAROL, "first question")
        _successes(services, 1)
        second = emulator.incoming(THREAD, CAROL, "second question")
        _successes(services, 2)

        triggerer = next(s for s in services.services if s.name == "triggerer")
        mark = services.api("GET", f"variables/{MARK}").json()["value"]
        stop_services([triggerer], 30.0)
        services.services.remove(triggerer)
        third = emulator.incoming(THREAD, CAROL, "third question, while the triggerer was down")
        services._spawn("triggerer-2", ["triggerer"])
        runs = _successes(services, 3)
        time.sleep(65)  # a poll or two more: a repeated message would start a fourth run

        assert len(_runs(services)) == 3, _runs(services)
        assert int(services.api("GET", f"variables/{MARK}").json()["value"]) > int(mark)
        answers = [e for e in emulator.ledger()[ledger_before:] if e["kind"] == "text"]
        assert len(answers) == 3
        reacted = [
            e["item_id"] for e in emulator.ledger()[ledger_before:] if e["kind"] == "reaction"
        ]
        assert reacted == [first["item_id"], second["item_id"], third["item_id"]]
        assert len(runs) == 3
    finally:
        # Later tests of the shared stack send and receive too: the auto-reply must not answer.
        services.api("PATCH", f"dags/{DAG_ID}", json={"is_paused": True})
