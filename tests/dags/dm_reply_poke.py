"""Wait, in poke mode, for a "yes" from one member of a group thread; give up after 3 s."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag

from airflow_provider_dm.sensors.reply import DirectReplySensor

GROUP_THREAD = "340282366841710300949128000000000000002"


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False)
def dm_reply_poke():
    DirectReplySensor(
        task_id="wait",
        thread_id=GROUP_THREAD,
        since="{{ dag_run.conf.get('since', '') }}",
        from_users=["@alice_demo"],
        text_pattern=r"(?i)\byes\b",
        direct_conn_id="dm_emulator",
        deferrable=False,
        poke_interval=0.3,
        timeout=3,
    )


dm_reply_poke()
