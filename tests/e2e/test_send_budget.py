"""The send budget on the LocalExecutor stack: 40 mapped sends, four at a time in separate
processes, on a connection with `send_rate` 5/10s, while the emulator answers
`feedback_required` beyond 6 sends per 10 s. The tasks wait for the account's budget (a folder
of this machine) instead of exceeding it: no refusal, the sends spread over the run as the
budget spreads them (see `assert_paced` for what a busy machine does to the arrival times).

The session's default connection has no `send_rate` (the other tests would slow down), so
this test stores a second connection, `dm_send_budget`, and passes it in the run's conf."""

from __future__ import annotations

import pytest
from account_safety import (
    SEND_RATE,
    SENDS,
    assert_paced,
    logins,
    prove_send_budget,
)
from airflow_services import AirflowServices

pytestmark = pytest.mark.e2e

CONN_ID = "dm_send_budget"
PARALLEL = 4


def most_at_once(task_instances: list[dict]) -> int:
    """The most task instances running at the same moment, by their start and end dates."""
    events = sorted(
        [(ti["start_date"], 1) for ti in task_instances]
        + [(ti["end_date"], -1) for ti in task_instances]
    )
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    return peak


def test_send_budget_paces_parallel_tasks_of_one_account(airflow_services: AirflowServices) -> None:
    airflow_services.add_connection(CONN_ID, extra={"send_rate": SEND_RATE})
    proof = prove_send_budget(airflow_services, conf={"direct_conn_id": CONN_ID})
    print(f"\nlocal send budget: {proof.figures()}")

    assert proof.run["state"] == "success", proof.run
    assert len(proof.mapped) == SENDS
    assert most_at_once(proof.mapped) >= PARALLEL, "the mapped tasks did not run in parallel"
    assert proof.limit["feedback_required"] == 0, proof.limit
    contexts = [item["client_context"] for item in proof.items]
    assert len(contexts) == SENDS, f"{len(contexts)} items reached the ledger"
    assert len(set(contexts)) == SENDS, "a client_context was sent twice"
    assert_paced(proof)
    assert logins(proof.requests) <= 1
