"""Account safety on the Celery fleet, where the account's state lives on Redis (`dm_redis`):
the send budget paces 40 mapped sends spread over both workers, and an account error (a wrong
password, a challenge) fails every task of a fanout with retries at once, after at most one
login, on whichever worker it runs."""

from __future__ import annotations

import pytest
from account_safety import (
    FANOUT_TASKS,
    SEND_RATE,
    SENDS,
    TESTED_PACKAGE,
    assert_paced,
    clear_block,
    logins,
    prove_fail_fast,
    prove_send_budget,
)
from airflow_services import WORKER_NAMES, CeleryFleet, fleet_options

pytestmark = [pytest.mark.e2e, pytest.mark.celery]

STORE = {"redis_conn_id": "dm_redis"}
# The same options as test_celery_fleet.py's: tests asking for equal options share one fleet,
# which saves starting and stopping another (about 40 s). Only the connection extras matter here.
FLEET = fleet_options(
    connection_extra={**STORE, "send_rate": SEND_RATE}, extra_env={"DM_FLEET_PROBE": "fleet-probe"}
)
# case: (connection id, login, password)
ACCOUNTS = {
    "wrong_password": ("dm_wrong_password", "airflow_demo", "not-the-password"),
    "challenge": ("dm_challenge", "airflow_demo_challenge", "demo-password"),
}


@FLEET
def test_send_budget_paces_both_workers_together(celery_fleet: CeleryFleet) -> None:
    proof = prove_send_budget(celery_fleet)
    ran = celery_fleet.task_workers(proof.run["dag_id"], proof.run["dag_run_id"])
    workers = sorted(w for key, names in ran.items() if key[1] >= 0 for w in names)
    print(
        f"\nfleet send budget: {proof.figures()}; tasks per worker "
        f"{ {name: workers.count(name) for name in WORKER_NAMES} }"
    )

    assert proof.run["state"] == "success", proof.run
    assert len(proof.mapped) == SENDS
    assert set(workers) == set(WORKER_NAMES), ran
    assert proof.limit["feedback_required"] == 0, proof.limit
    contexts = [item["client_context"] for item in proof.items]
    assert len(contexts) == SENDS, f"{len(contexts)} items reached the ledger"
    assert len(set(contexts)) == SENDS, "a client_context was sent twice"
    assert_paced(proof)
    assert logins(proof.requests) <= 1


@FLEET
@pytest.mark.parametrize("case", list(ACCOUNTS))
def test_account_error_fails_every_task_at_once_on_the_fleet(
    celery_fleet: CeleryFleet, case: str
) -> None:
    conn_id, login, password = ACCOUNTS[case]
    connection = celery_fleet.add_connection(conn_id, login=login, password=password, extra=STORE)
    try:
        proof = prove_fail_fast(celery_fleet, conn_id)
    finally:
        cleared = clear_block(celery_fleet, conn_id, connection)
    ran = celery_fleet.task_workers(proof.run["dag_id"], proof.run["dag_run_id"])
    print(f"\nfleet {case}: {proof.figures()}; workers {sorted(ran.items())}; {cleared}")

    assert proof.run["state"] == "failed", proof.run
    assert len(proof.mapped) == FANOUT_TASKS
    ended = [(ti["map_index"], ti["state"], ti["try_number"]) for ti in proof.mapped]
    assert all(state == "failed" and tries == 1 for _, state, tries in ended), ended
    assert not proof.items, "something was sent"
    assert set(proof.endings) <= {"blocked", "own login refused"}, proof.endings
    assert proof.packages == {TESTED_PACKAGE}, "the tasks ran another copy of the package"
    assert logins(proof.requests) <= 1, proof.requests
    assert cleared.startswith("cleared the block mark"), cleared
