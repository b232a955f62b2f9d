"""Airflow triggers for Instagram Direct: the deferred reply sensor's wait, and new messages
for event-driven DAGs (``AssetWatcher``):
``from airflow_provider_dm.triggers import DirectNewMessageTrigger, DirectReplyTrigger``."""

from __future__ import annotations

from airflow_provider_dm.triggers.new_message import DirectNewMessageTrigger
from airflow_provider_dm.triggers.reply import DirectReplyTrigger

__all__ = ["DirectNewMessageTrigger", "DirectReplyTrigger"]
