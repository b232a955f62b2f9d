"""DAGs of the account-safety tests: ten mapped sends that retry three times, on a connection
named by the run conf (``conn``), so that a refused password or a challenge can be shown to
cost one login in all; and one send bounded by a short ``execution_timeout``."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG

from airflow_provider_dm.operators.send import DirectSendMessageOperator

CONN = "{{ dag_run.conf.get('conn', 'dm_emulator') }}"
DEMO_THREADS = [f"34028236684171030094912800000000000000{n}" for n in (1, 2, 3)]
TEN_DESTINATIONS = [[DEMO_THREADS[i % 3]] for i in range(10)]

with DAG(
    "dm_account_safety_mapped",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    render_template_as_native_obj=True,
    default_args={"retries": 3, "retry_delay": timedelta(0)},
    tags=["test"],
) as dm_account_safety_mapped:
    DirectSendMessageOperator.partial(
        task_id="send", direct_conn_id=CONN, text="{{ dag_run.conf.get('text', 'hello') }}"
    ).expand(threads=TEN_DESTINATIONS)

with DAG(
    "dm_account_safety_timeout",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    render_template_as_native_obj=True,
    tags=["test"],
) as dm_account_safety_timeout:
    DirectSendMessageOperator(
        task_id="send",
        direct_conn_id=CONN,
        text="{{ dag_run.conf.get('text', 'hello') }}",
        threads="{{ dag_run.conf.get('threads') }}",
        execution_timeout=timedelta(seconds=20),
    )
