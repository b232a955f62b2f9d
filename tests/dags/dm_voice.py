"""Voice DAGs of the operator tests: upload then send (chained by the whole record and by
``upload_id``), upload and send in one task, and a bare upload id. Arguments come from
``dag_run.conf``; ``conn`` picks the connection (default ``dm_emulator``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG

from airflow_provider_dm.operators import DirectSendVoiceOperator, DirectUploadVoiceOperator

CONN = "{{ dag_run.conf.get('conn', 'dm_emulator') }}"
RETRY = {"retries": 1, "retry_delay": timedelta(0)}


def conf(key: str) -> str:
    """The template of one run-conf value (None when absent)."""
    return "{{ dag_run.conf.get('" + key + "') }}"


def voice_dag(dag_id: str) -> DAG:
    """A manual DAG that renders templates as native objects."""
    return DAG(
        dag_id,
        schedule=None,
        start_date=datetime(2026, 1, 1),
        catchup=False,
        render_template_as_native_obj=True,
        tags=["test"],
    )


with voice_dag("dm_voice_upload_then_send") as dm_voice_upload_then_send:
    voice = DirectUploadVoiceOperator(
        task_id="upload_voice", path=conf("voice"), direct_conn_id=CONN
    )
    DirectSendVoiceOperator(
        task_id="send_voice",
        upload=voice.output,
        threads=conf("threads"),
        direct_conn_id=CONN,
        **RETRY,
    )
    DirectSendVoiceOperator(
        task_id="send_voice_by_upload_id",
        upload_id=voice.output["upload_id"],
        recipients=conf("recipients"),
        direct_conn_id=CONN,
        **RETRY,
    )

with voice_dag("dm_send_voice") as dm_send_voice:
    DirectSendVoiceOperator(
        task_id="send",
        path=conf("path"),
        upload=conf("upload"),
        upload_id=conf("upload_id"),
        media_id=conf("media_id"),
        threads=conf("threads"),
        direct_conn_id=CONN,
        **RETRY,
    )
