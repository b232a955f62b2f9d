"""Wait, in reschedule mode (the worker slot is freed between looks), for anyone's reply in
carol's thread after the run started; give up after 60 s."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag

from airflow_provider_dm.sensors.reply import DirectReplySensor

CAROL_THREAD = "340282366841710300949128000000000000001"


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False)
def dm_reply_reschedule():
    DirectReplySensor(
        task_id="wait",
        thread_id=CAROL_THREAD,
        since="{{ dag_run.conf.get('since', '') }}",
        direct_conn_id="dm_emulator",
        deferrable=False,
        mode="reschedule",
        poke_interval=1,
        timeout=60,
    )


dm_reply_reschedule()
