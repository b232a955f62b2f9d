"""Exactly once on the official backend: a send task with retries, to one person (an IGSID)
over the ``instagram_messaging`` connection named in ``dag_run.conf['conn']``.

conf: ``conn``, ``recipient`` (an IGSID), ``text`` (``dm_graph_retry_text``), ``media_id``
(one of the account's own posts, ``dm_graph_retry_share``) or ``path`` (an MP4 uploaded and
sent in the task, ``dm_graph_retry_video``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG

from airflow_provider_dm.operators.send import (
    DirectSendMessageOperator,
    DirectSendVideoOperator,
    DirectShareMediaOperator,
)

CONN = "{{ dag_run.conf['conn'] }}"
RECIPIENTS = "{{ [[dag_run.conf['recipient']]] }}"
OPTIONS = {
    "schedule": None,
    "start_date": datetime(2026, 1, 1),
    "catchup": False,
    "tags": ["test"],
    "render_template_as_native_obj": True,
    "default_args": {"retries": 1, "retry_delay": timedelta(seconds=0)},
}

with DAG("dm_graph_retry_text", **OPTIONS) as dm_graph_retry_text:
    DirectSendMessageOperator(
        task_id="send",
        direct_conn_id=CONN,
        text="{{ dag_run.conf['text'] }}",
        recipients=RECIPIENTS,
    )

with DAG("dm_graph_retry_share", **OPTIONS) as dm_graph_retry_share:
    DirectShareMediaOperator(
        task_id="send",
        direct_conn_id=CONN,
        media_id="{{ dag_run.conf['media_id'] }}",
        recipients=RECIPIENTS,
    )

with DAG("dm_graph_retry_video", **OPTIONS) as dm_graph_retry_video:
    DirectSendVideoOperator(
        task_id="send",
        direct_conn_id=CONN,
        path="{{ dag_run.conf['path'] }}",
        recipients=RECIPIENTS,
    )
