"""dm_reply_watch: ask a question, wait for the answer without holding a worker, act on it.

ask (send a message) -> wait_for_answer (deferred sensor: the triggerer polls the thread)
-> choose_answer (a task that reads the reply) -> answer (send the chosen message)

The thread below is carol_demo's conversation in the emulator's demo seed (`make demo`). In
the emulator, answer as Carol while the sensor waits:

    curl -X POST http://127.0.0.1:PORT/__emulator/incoming \\
         -d '{"thread_id": "340282366841710300949128000000000000001", "user_pk": 5110000103,
              "text": "yes"}'

Point the connection `instagram_direct_default` at the real service and change the thread id
to one of your own.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

from airflow_provider_dm.operators import DirectSendMessageOperator
from airflow_provider_dm.sensors import DirectReplySensor

THREAD = "340282366841710300949128000000000000001"  # the conversation with carol_demo
YES_OR_NO = r"(?i)\b(yes|no)\b"


@dag(
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["instagram_direct", "example"],
)
def dm_reply_watch():
    ask = DirectSendMessageOperator(
        task_id="ask",
        text="Shall I publish this week's report? Please answer yes or no.",
        threads=[THREAD],
    )

    # reply_to takes the send's whole XCom: the sensor watches that thread for items newer
    # than the question. Only an answer from someone else that says yes or no counts; small
    # talk in between is ignored. deferrable=True hands the wait to the triggerer after a
    # first look, so no worker slot is held while Carol thinks.
    answer = DirectReplySensor(
        task_id="wait_for_answer",
        reply_to=ask.output,
        text_pattern=YES_OR_NO,
        deferrable=True,
        poke_interval=10,
        timeout=timedelta(hours=1),
    )

    @task
    def choose_answer(reply: dict) -> str:
        """The reply is the sensor's XCom: {thread_id, item_id, user_id, item_type, text, ...}."""
        said_yes = re.search(r"(?i)\byes\b", reply["text"] or "") is not None
        return "Thanks, publishing it now." if said_yes else "OK, I will keep it for next week."

    DirectSendMessageOperator(task_id="answer", text=choose_answer(answer.output), threads=[THREAD])


dm_reply_watch()
