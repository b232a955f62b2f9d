"""Airflow sensors for Instagram Direct: ``from airflow_provider_dm.sensors import
DirectReplySensor``."""

from __future__ import annotations

from airflow_provider_dm.sensors.reply import DirectReplySensor

__all__ = ["DirectReplySensor"]
