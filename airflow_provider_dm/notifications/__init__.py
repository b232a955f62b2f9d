"""Airflow notifiers for Instagram Direct: tell a person over Direct that a DAG or task failed,
succeeded or missed its deadline."""

from __future__ import annotations

from airflow_provider_dm.notifications.direct import DirectNotifier, send_direct_notification

__all__ = ["DirectNotifier", "send_direct_notification"]
