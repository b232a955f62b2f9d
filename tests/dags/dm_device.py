"""DAG of the device tests: one inbox read over the connection the run conf names (``conn``),
so that two runs can share one stored session through two connections that differ only in
their device."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_dm.operators import DirectFetchInboxOperator

with DAG("dm_device", schedule=None, start_date=datetime(2026, 1, 1), tags=["test"]):
    DirectFetchInboxOperator(
        task_id="read", direct_conn_id="{{ dag_run.conf['conn'] }}", max_threads=1
    )
