"""Video DAGs of the video-input tests: an upload and a send of the file at ``path``, with
``transcode`` from the run conf (rendered as native objects). Tasks retry once, at once, so a
test can see that bad input is not retried."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG

from airflow_provider_dm.operators.send import DirectSendVideoOperator
from airflow_provider_dm.operators.upload import DirectUploadVideoOperator

START = datetime(2026, 1, 1)
RETRY = {"retries": 1, "retry_delay": timedelta(0)}
CONN = "{{ dag_run.conf.get('conn', 'dm_emulator') }}"
PATH = "{{ dag_run.conf.get('path') }}"
TRANSCODE = "{{ dag_run.conf.get('transcode', False) }}"


def video_dag(dag_id: str) -> DAG:
    """A manual DAG that renders templates as native objects."""
    return DAG(
        dag_id,
        schedule=None,
        start_date=START,
        catchup=False,
        render_template_as_native_obj=True,
        tags=["test"],
    )


with video_dag("dm_video_upload") as dm_video_upload:
    DirectUploadVideoOperator(
        task_id="upload", path=PATH, transcode=TRANSCODE, direct_conn_id=CONN, **RETRY
    )

with video_dag("dm_video_send") as dm_video_send:
    DirectSendVideoOperator(
        task_id="send",
        path=PATH,
        transcode=TRANSCODE,
        threads="{{ dag_run.conf.get('threads') }}",
        direct_conn_id=CONN,
        **RETRY,
    )
