"""The photo-format DAG of tests/client/test_photo_formats.py: one upload of the photo at
``dag_run.conf["path"]`` with the operator's defaults (quality 70, long side 1080), retried once
at once, so that a refused file shows it is not retried."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG

from airflow_provider_dm.operators.upload import DirectUploadPhotoOperator

with DAG(
    "dm_photo_formats",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    render_template_as_native_obj=True,
    tags=["test"],
) as dm_photo_formats:
    DirectUploadPhotoOperator(
        task_id="upload",
        direct_conn_id="dm_emulator",
        path="{{ dag_run.conf['path'] }}",
        retries=1,
        retry_delay=timedelta(0),
    )
