"""dm_new_message: a DAG run for every new message in the inbox, started by the triggerer.

An ``AssetWatcher`` runs ``DirectNewMessageTrigger`` in the triggerer; each new message (and
each new message request) becomes an asset event whose ``extra["payload"]`` is the message:
``{thread_id, item_id, user_id, item_type, text, timestamp, pending}``. The trigger polls every
30 s, slowing down to every 5 min while the inbox is quiet (15 polls in a quiet hour).

In the emulator (`make demo`), send a message as Carol:

    curl -X POST http://127.0.0.1:PORT/__emulator/incoming \\
         -d '{"thread_id": "340282366841710300949128000000000000001", "user_pk": 5110000103,
              "text": "hello"}'
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, AssetWatcher, dag, task

from airflow_provider_dm.triggers import DirectNewMessageTrigger

NEW_MESSAGES = Asset(
    "instagram_direct_new_messages",
    watchers=[
        AssetWatcher(
            name="instagram_direct_new_message",
            trigger=DirectNewMessageTrigger(
                direct_conn_id="instagram_direct_default", include_requests=True
            ),
        )
    ],
)


@dag(
    schedule=[NEW_MESSAGES],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["instagram_direct", "example"],
)
def dm_new_message():
    @task
    def show(**context) -> list[dict]:
        """The messages that started this run (several when they arrived together)."""
        events = context["triggering_asset_events"][NEW_MESSAGES]
        messages = [event.extra["payload"] for event in events]
        for message in messages:
            print(f"{message['user_id']} in {message['thread_id']}: {message['text']}")
        return messages

    show()


dm_new_message()
