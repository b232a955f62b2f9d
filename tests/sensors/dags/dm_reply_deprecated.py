"""The reply sensor with the former name of ``since`` (``after``): it still works, and parsing
this file warns about it."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag

from airflow_provider_dm.sensors.reply import DirectReplySensor

THREAD = "340282366841710300949128000000000000001"


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False)
def dm_reply_deprecated():
    DirectReplySensor(
        task_id="wait",
        thread_id=THREAD,
        after="{{ dag_run.conf.get('since', '') }}",
        direct_conn_id="dm_emulator",
        deferrable=False,
        poke_interval=0.3,
        timeout=3,
    )


dm_reply_deprecated()
