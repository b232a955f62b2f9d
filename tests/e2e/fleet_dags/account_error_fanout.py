"""account_error_fanout: ten mapped sends on a connection whose account cannot log in (a wrong
password, a challenge), with retries. The first task's login fails and marks the account
blocked; every other task, and every retry, must then fail at once without asking the service.

Trigger with conf `{"direct_conn_id": "<connection>"}`; the threads are the demo seed's.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag

from airflow_provider_dm.operators.send import DirectSendMessageOperator

MAPPED_TASKS = 10
THREADS = [f"34028236684171030094912800000000000000{n}" for n in (1, 2, 3)]


@dag(
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["test"],
    default_args={"retries": 3, "retry_delay": timedelta(seconds=3)},
    params={"direct_conn_id": "dm_wrong_password"},
)
def account_error_fanout():
    DirectSendMessageOperator.partial(
        task_id="send",
        direct_conn_id="{{ params.direct_conn_id }}",
        text="This must never be sent.",
        max_active_tis_per_dag=4,
    ).expand(threads=[[THREADS[n % len(THREADS)]] for n in range(MAPPED_TASKS)])


account_error_fanout()
