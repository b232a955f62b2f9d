"""Account errors on the LocalExecutor stack: ten mapped sends with retries=3 on a connection
whose account cannot log in (a wrong password; the demo seed's challenged account). The first
login is refused and marks the account blocked in the machine's store; every task fails once,
with no retry, and the service sees at most one login. The block of `airflow_demo` is lifted
afterwards with `python -m airflow_provider_dm clear_block`, so the other tests can go on."""

from __future__ import annotations

import pytest
from account_safety import (
    FANOUT_TASKS,
    TESTED_PACKAGE,
    clear_block,
    logins,
    prove_fail_fast,
)
from airflow_services import AirflowServices

pytestmark = pytest.mark.e2e

# case: (connection id, login, password)
ACCOUNTS = {
    "wrong_password": ("dm_wrong_password", "airflow_demo", "not-the-password"),
    "challenge": ("dm_challenge", "airflow_demo_challenge", "demo-password"),
}


@pytest.mark.parametrize("case", list(ACCOUNTS))
def test_account_error_fails_every_task_at_once_with_one_login(
    airflow_services: AirflowServices, case: str
) -> None:
    conn_id, login, password = ACCOUNTS[case]
    connection = airflow_services.add_connection(conn_id, login=login, password=password)
    try:
        proof = prove_fail_fast(airflow_services, conn_id)
    finally:
        cleared = clear_block(airflow_services, conn_id, connection)
    print(f"\nlocal {case}: {proof.figures()}; {cleared}")

    assert proof.run["state"] == "failed", proof.run
    assert len(proof.mapped) == FANOUT_TASKS
    ended = [(ti["map_index"], ti["state"], ti["try_number"]) for ti in proof.mapped]
    assert all(state == "failed" and tries == 1 for _, state, tries in ended), ended
    assert not proof.items, "something was sent"
    assert set(proof.endings) <= {"blocked", "own login refused"}, proof.endings
    assert proof.packages == {TESTED_PACKAGE}, "the tasks ran another copy of the package"
    assert logins(proof.requests) <= 1, proof.requests
    assert cleared.startswith("cleared the block mark"), cleared
