"""Wait, in poke mode, for anyone but the account to post in a thread after a moment; give up
after 3 s."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag

from airflow_provider_dm.sensors.reply import DirectReplySensor

THREAD = "340282366841710300949128000000000000001"


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False)
def dm_reply_anyone():
    DirectReplySensor(
        task_id="wait",
        thread_id=THREAD,
        since="{{ dag_run.conf.get('since', '') }}",
        direct_conn_id="dm_emulator",
        deferrable=False,
        poke_interval=0.3,
        timeout=3,
    )


dm_reply_anyone()
