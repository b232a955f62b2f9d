"""Runs when the webhook receiver (``python -m airflow_provider_dm.webhooks.receiver``) posts
an asset event: each run reads the messaging events it carries and answers every new message
through the official Messaging API connection (within the 24-hour window a message opens).

The receiver posts ``{"events": [{kind, mid, sender_id, text, ...}]}`` as the event's extra.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.sdk import DAG, Asset, task
from airflow.sdk.exceptions import AirflowSkipException

from airflow_provider_dm.operators.send import DirectSendMessageOperator

WEBHOOK = Asset(name="instagram_messaging_webhook", uri="instagram-messaging://webhook")

with DAG(
    "dm_webhook_events",
    schedule=[WEBHOOK],
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["example", "instagram", "official"],
    doc_md=__doc__,
) as dm_webhook_events:

    @task
    def new_messages(triggering_asset_events: Any = None) -> list[list[str]]:
        """The senders of the delivered messages, one conversation each, each sender once."""
        senders: list[str] = []
        for event in triggering_asset_events[WEBHOOK]:
            for record in event.extra.get("events", []):
                if record["kind"] == "message" and record["sender_id"] not in senders:
                    senders.append(record["sender_id"])
        if not senders:
            raise AirflowSkipException("this delivery holds no new message")
        return [[sender] for sender in senders]

    DirectSendMessageOperator(
        task_id="answer",
        direct_conn_id="instagram_messaging_default",
        text="Thanks for your message: we will answer within the day.",
        recipients=new_messages(),
    )
