"""Which hook serves a connection: chosen by the connection's type, so that one operator runs
over the private API or the official Messaging API with no change to the DAG."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseHook

from airflow_provider_dm.hooks.direct import DirectHook
from airflow_provider_dm.provider_info import MESSAGING_CONN_TYPE


def hook_for(conn_id: str, **options: Any) -> DirectHook:
    """``MessagingApiHook`` for an ``instagram_messaging`` connection, else ``DirectHook``
    (as ``BaseHook.get_hook`` chooses by type)."""
    if BaseHook.get_connection(conn_id).conn_type == MESSAGING_CONN_TYPE:
        from airflow_provider_dm.hooks.messaging_api import MessagingApiHook

        return MessagingApiHook(conn_id, **options)
    return DirectHook(conn_id, **options)
