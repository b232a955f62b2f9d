"""Wait, in poke mode and with retries, in a thread the service does not know: the sensor's
fail-fast translation (the same as the operators') fails the task at once, without retries."""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag

from airflow_provider_dm.sensors.reply import DirectReplySensor


@dag(
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"direct_conn_id": "dm_emulator", "retries": 2, "retry_delay": timedelta(0)},
)
def dm_reply_unknown_thread():
    DirectReplySensor(
        task_id="wait",
        thread_id="999",
        since="2026-01-01T00:00:00+00:00",
        deferrable=False,
        poke_interval=0.3,
        timeout=3,
    )


dm_reply_unknown_thread()
