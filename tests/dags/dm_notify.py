"""DAGs of the notifier tests: tasks that fail, retry or succeed with a ``DirectNotifier`` on
their callbacks, at task and DAG level. The destination and the connection come from
``dag_run.conf`` (``threads``, ``conn``, default ``dm_emulator``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG, task

from airflow_provider_dm.notifications.direct import DirectNotifier, send_direct_notification

START = datetime(2026, 1, 1)
CONN = "{{ dag_run.conf.get('conn', 'dm_emulator') }}"
THREADS = "{{ dag_run.conf['threads'] }}"
TASK_TEXT = (
    "{{ ti.task_id }} of {{ dag.dag_id }} (try {{ ti.try_number }}, run {{ run_id }}): "
    "{{ exception }} {{ ti.log_url }}"
)


def notifier(text: str = "failed: " + TASK_TEXT) -> DirectNotifier:
    """A notifier to the conf's threads over the conf's connection."""
    return DirectNotifier(text=text, threads=THREADS, direct_conn_id=CONN)


def notify_dag(dag_id: str, *, native: bool = True, **callbacks: object) -> DAG:
    """A manual DAG that renders templates as native objects (unless not ``native``), with
    DAG-level callbacks."""
    return DAG(
        dag_id,
        schedule=None,
        start_date=START,
        catchup=False,
        render_template_as_native_obj=native,
        tags=["test"],
        **callbacks,
    )


@task
def fail() -> None:
    """Fail on purpose."""
    raise RuntimeError("the report could not be built")


@task
def succeed() -> str:
    """Succeed."""
    return "done"


with notify_dag("dm_notify_task_failure"):
    fail.override(on_failure_callback=notifier())()

with notify_dag("dm_notify_twice"):
    # The same callback twice, as when a callback is run again: one message.
    fail.override(on_failure_callback=[notifier(), notifier()])()

with notify_dag("dm_notify_retry"):
    fail.override(
        retries=1,
        retry_delay=timedelta(0),
        on_retry_callback=notifier("retrying: " + TASK_TEXT),
        on_failure_callback=notifier(),
    )()

with notify_dag("dm_notify_success"):
    succeed.override(
        on_success_callback=send_direct_notification(
            text="succeeded: " + TASK_TEXT, threads=THREADS, direct_conn_id=CONN
        )
    )()

with notify_dag(
    "dm_notify_dag_level",
    on_failure_callback=notifier("{{ dag.dag_id }} failed: {{ reason }} (run {{ run_id }})"),
    on_success_callback=notifier("{{ dag.dag_id }} succeeded (run {{ run_id }})"),
):
    fail()

with notify_dag(
    "dm_notify_dag_success",
    on_success_callback=notifier("{{ dag.dag_id }} succeeded: {{ reason }} (run {{ run_id }})"),
):
    succeed()

with notify_dag("dm_notify_text_destinations", native=False):
    # Without native rendering the threads template renders to the text of a list.
    fail.override(on_failure_callback=notifier())()
