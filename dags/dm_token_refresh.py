"""Keeps the official Messaging API connection's long-lived token alive: once a week (tokens
live 60 days and may be refreshed once they are a day old) it asks for a new token and keeps
it in the masked Variable ``instagram_messaging_token__<conn_id>``, which every later task of
the connection uses instead of the token in the connection.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, task

CONN_ID = "instagram_messaging_default"

with DAG(
    "dm_token_refresh",
    schedule="@weekly",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["example", "instagram", "official"],
    doc_md=__doc__,
) as dm_token_refresh:

    @task(retries=3)
    def refresh(conn_id: str = CONN_ID) -> int:
        """Refresh the token; returns how many days the new one lives."""
        from airflow_provider_dm.hooks.messaging_api import MessagingApiHook

        return MessagingApiHook(conn_id).refresh_token() // 86400

    refresh()
