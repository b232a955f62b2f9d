"""The Instagram Direct protocol client on ``requests``: login and session, reading the inbox and
threads, uploads and sends. It imports nothing from Airflow and can be used on its own."""

from __future__ import annotations

from airflow_provider_dm.client.direct import DirectClient
from airflow_provider_dm.client.models import Item, Thread, User
from airflow_provider_dm.client.pagination import Listing, Page
from airflow_provider_dm.client.state import Credentials, SessionState

__all__ = [
    "Credentials",
    "DirectClient",
    "Item",
    "Listing",
    "Page",
    "SessionState",
    "Thread",
    "User",
]
