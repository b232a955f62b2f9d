"""dm_auto_reply: answer every new message, react to it and mark the thread seen.

new message (AssetWatcher + DirectNewMessageTrigger, in the triggerer) -> message (the event's
payload) -> fetch (the thread's newest items) -> seen (the thread marked seen up to the
message) -> answer (a templated text) -> react (👍 on the message)

The thread is marked seen before the answer: sending marks it seen up to the answer anyway.
The answer and the reaction are the account's own items: they start no run of their own. A
manual run takes the messages from its conf instead:
``{"messages": [{"thread_id": "...", "item_id": "...", "text": "..."}]}``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, AssetWatcher, dag, task

from airflow_provider_dm.operators import (
    DirectFetchThreadOperator,
    DirectMarkSeenOperator,
    DirectReactOperator,
    DirectSendMessageOperator,
)
from airflow_provider_dm.triggers import DirectNewMessageTrigger

ANSWER = (
    "Thanks for your message “{{ ti.xcom_pull(task_ids='message')['text'] | truncate(80) }}”."
    " We will get back to you soon."
)
INCOMING = Asset(
    "instagram_direct_incoming",
    watchers=[
        AssetWatcher(
            name="instagram_direct_auto_reply",
            trigger=DirectNewMessageTrigger(
                direct_conn_id="instagram_direct_default",
                mark_variable="instagram_direct_auto_reply_mark",
            ),
        )
    ],
)


@dag(
    schedule=[INCOMING],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["instagram_direct", "example"],
)
def dm_auto_reply():
    @task
    def message(**context) -> dict:
        """The newest message of this run, with the refs the next tasks take."""
        events = context["triggering_asset_events"].get(INCOMING) or []
        messages = [event.extra["payload"] for event in events]
        messages = messages or context["dag_run"].conf.get("messages") or []
        if not messages:
            raise ValueError("messages: this run was started by no message")
        newest = messages[-1]
        return {
            "thread_id": newest["thread_id"],
            "item_id": newest["item_id"],
            "text": newest.get("text") or "",
            "threads": [newest["thread_id"]],
            "items": [{"thread_id": m["thread_id"], "item_id": m["item_id"]} for m in messages],
        }

    received = message()
    fetch = DirectFetchThreadOperator(task_id="fetch", thread_id=received["thread_id"], max_items=5)
    answer = DirectSendMessageOperator(
        task_id="answer",
        threads=received["threads"],
        text=ANSWER,
    )
    react = DirectReactOperator(task_id="react", items=received["items"], emoji="👍")
    seen = DirectMarkSeenOperator(
        task_id="seen", thread_id=received["thread_id"], item_id=received["item_id"]
    )
    fetch >> seen >> answer >> react


dm_auto_reply()
