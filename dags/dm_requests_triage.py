"""dm_requests_triage: answer the message requests every hour.

approve_followed (requests from people the account follows) ->
decline_spam (the rest that match a spam pattern) -> list_left (what waits for a person)

Both steps are safe to repeat: a request already answered is reported ``already_done``. In the
emulator (`make demo`), make requests arrive with:

    curl -X POST http://127.0.0.1:PORT/__emulator/message_request \\
         -d '{"username": "erin_demo", "text": "Cheap followers, click here"}'
    curl -X POST http://127.0.0.1:PORT/__emulator/message_request \\
         -d '{"username": "bob_demo", "text": "Hi, it is Bob", "followed": true}'
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag

from airflow_provider_dm.operators import (
    DirectApproveRequestsOperator,
    DirectDeclineRequestsOperator,
    DirectFetchInboxOperator,
)

SPAM = r"(?i)\b(cheap|free|click here|followers|crypto|giveaway)\b"


@dag(
    schedule="@hourly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["instagram_direct", "example"],
)
def dm_requests_triage():
    approve = DirectApproveRequestsOperator(task_id="approve_followed", followed_only=True)
    decline = DirectDeclineRequestsOperator(task_id="decline_spam", text_pattern=SPAM)
    left = DirectFetchInboxOperator(task_id="list_left", pending=True)
    approve >> decline >> left


dm_requests_triage()
