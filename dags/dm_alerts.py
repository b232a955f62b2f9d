"""dm_alerts: tell a person over Direct when a task fails, retries, or the whole run ends.

build_report fails on purpose (set the run conf ``{"fail": false}`` to let it succeed):
its first failure sends a "retrying" message, the second a "failed" one with the error and a
link to the log, and the DAG-level callbacks send one message about the run. Each message is
sent once, even if Airflow runs a callback again. A deadline alert (Airflow 3.3's
``DeadlineAlert``) takes the same notifier, e.g.::

    DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=timedelta(hours=2),
        callback=AsyncCallback(DirectNotifier, kwargs={"text": "...", "threads": [THREAD]}),
    )

The thread below is the group conversation "Weekend plans" of the emulator's demo seed
(`make demo`); point the connection `instagram_direct_default` at the real service and use a
thread of your own.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

from airflow_provider_dm.notifications import DirectNotifier

THREAD = "340282366841710300949128000000000000002"  # "Weekend plans" in the demo seed
TASK = "{{ ti.task_id }} of {{ dag.dag_id }} (try {{ ti.try_number }}): {{ exception }}"


@dag(
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["instagram_direct", "example"],
    on_failure_callback=DirectNotifier(
        text="Run {{ run_id }} of {{ dag.dag_id }} failed ({{ reason }}).", threads=[THREAD]
    ),
    on_success_callback=DirectNotifier(
        text="Run {{ run_id }} of {{ dag.dag_id }} succeeded.", threads=[THREAD]
    ),
)
def dm_alerts():
    @task(
        retries=1,
        retry_delay=timedelta(0),  # at once, so that a demo run is quick
        on_retry_callback=DirectNotifier(text="Retrying " + TASK, threads=[THREAD]),
        on_failure_callback=DirectNotifier(
            text="Failed: " + TASK + " Log: {{ ti.log_url }}", threads=[THREAD]
        ),
    )
    def build_report(**context) -> str:
        if context["dag_run"].conf.get("fail", True):
            raise RuntimeError("the source table is empty")
        return "report built"

    build_report()


dm_alerts()
