"""`dm_reply_watch` under the real scheduler and triggerer: the sensor defers, the triggerer
polls the thread, small talk is ignored, and the answer to the question drives the next send."""

from __future__ import annotations

import pytest
from airflow_services import AirflowServices

from airflow_provider_dm.emulator.control import EmulatorControl

pytestmark = pytest.mark.e2e

DAG_ID = "dm_reply_watch"
THREAD = "340282366841710300949128000000000000001"  # carol_demo's thread in the demo seed
CAROL = 5110000103


def test_reply_watch_waits_in_the_triggerer_and_acts_on_the_answer(
    airflow_services: AirflowServices,
) -> None:
    emulator = EmulatorControl(airflow_services.emulator_url)
    requests_before = len(emulator.requests())
    ledger_before = len(emulator.ledger())
    run_id = airflow_services.trigger_dag(DAG_ID)

    state = airflow_services.wait_for_task_state(
        DAG_ID, run_id, "wait_for_answer", {"deferred", "failed", "upstream_failed"}
    )
    assert state == "deferred", f"the sensor did not defer (state {state})"
    emulator.incoming(THREAD, CAROL, "Let me think about it over lunch.")
    reply = emulator.incoming(THREAD, CAROL, "Yes, go ahead.")

    run = airflow_services.wait_for_run(DAG_ID, run_id, timeout=120)
    assert run["state"] == "success", run
    found = airflow_services.xcom_result(DAG_ID, run_id, "wait_for_answer")
    assert (found["item_id"], found["text"]) == (reply["item_id"], "Yes, go ahead.")

    sent = [row["fields"]["text"] for row in emulator.ledger()[ledger_before:]]
    assert sent == [
        "Shall I publish this week's report? Please answer yes or no.",
        "Thanks, publishing it now.",
    ]
    during = emulator.requests()[requests_before:]
    polls = [r for r in during if r["path"] == f"/api/v1/direct_v2/threads/{THREAD}/"]
    assert polls, "nobody read the thread"
    logins = [r for r in during if r["path"].rstrip("/").endswith("accounts/login")]
    assert len(logins) <= 1, "the sensor and the triggerer did not reuse the stored session"
