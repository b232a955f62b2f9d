"""Exactly once without the server's help: a send whose first try fails after sending part,
while other participants write in the thread before the retry.

The run conf names the destinations and ``incoming``: ``{url, thread_id, user_pk, count}``; when
the first try fails, its retry callback makes that participant send ``count`` texts to the thread
through the emulator's admin API, so the retry has to look back past all of them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG

from airflow_provider_dm.emulator.control import EmulatorControl
from airflow_provider_dm.operators.send import DirectSendMessageOperator


def conf(key: str) -> str:
    """The template of one run-conf value (None when absent)."""
    return "{{ dag_run.conf.get('" + key + "') }}"


def replies_before_the_retry(context: Any) -> None:
    """The run conf's ``incoming`` participant writes ``count`` texts in the thread."""
    incoming = context["dag_run"].conf["incoming"]
    control = EmulatorControl(incoming["url"])
    try:
        for n in range(int(incoming["count"])):
            control.incoming(incoming["thread_id"], int(incoming["user_pk"]), f"reply {n}")
    finally:
        control.close()


with DAG(
    "dm_exactly_once",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    render_template_as_native_obj=True,
    tags=["test"],
) as dm_exactly_once:
    DirectSendMessageOperator(
        task_id="send",
        direct_conn_id="dm_emulator",
        text=conf("text"),
        recipients=conf("recipients"),
        threads=conf("threads"),
        retries=1,
        retry_delay=timedelta(0),
        on_retry_callback=replies_before_the_retry,
    )
