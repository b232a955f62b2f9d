"""Ask in a thread, then wait for the reply in the triggerer (deferrable sensor chained by
``reply_to``)."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag

from airflow_provider_dm.operators.send import DirectSendMessageOperator
from airflow_provider_dm.sensors.reply import DirectReplySensor

THREAD = "340282366841710300949128000000000000001"


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False)
def dm_reply_deferred():
    ask = DirectSendMessageOperator(
        task_id="ask", text="Shall we deploy?", threads=[THREAD], direct_conn_id="dm_emulator"
    )
    DirectReplySensor(
        task_id="wait",
        reply_to=ask.output,
        direct_conn_id="dm_emulator",
        deferrable=True,
        poke_interval=0.5,
        timeout=60,
    )


dm_reply_deferred()
