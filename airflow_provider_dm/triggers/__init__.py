"""Airflow triggers for Instagram Direct (the deferred reply sensor's wait):
``from airflow_provider_dm.triggers import DirectReplyTrigger``."""

from __future__ import annotations

from airflow_provider_dm.triggers.reply import DirectReplyTrigger

__all__ = ["DirectReplyTrigger"]
