"""One DAG for both backends: the connection in ``dag_run.conf['conn']`` picks the private
API (``instagram_direct``) or the official one (``instagram_messaging``); the DAG is the same.

conf: ``conn``, ``thread_id`` (a thread or conversation id), ``recipient`` (a user id or
IGSID), ``text``, ``media_id``.

``dm_backends_media`` sends photos, a video and a voice message the same way on both: a
photo from ``photo_url`` (official API: by public URL) or ``photo_path`` (private API: it
uploads files), a video and a voice message from ``video`` and ``voice`` (local files).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG, task

from airflow_provider_dm.operators.groups import (
    DirectCreateGroupOperator,
    DirectUpdateThreadOperator,
)
from airflow_provider_dm.operators.inbox import DirectFetchInboxOperator
from airflow_provider_dm.operators.item_actions import (
    DirectMarkSeenOperator,
    DirectReactOperator,
    DirectUnsendOperator,
)
from airflow_provider_dm.operators.message_requests import (
    DirectApproveRequestsOperator,
    DirectDeclineRequestsOperator,
)
from airflow_provider_dm.operators.send import (
    DirectSendLinkOperator,
    DirectSendMessageOperator,
    DirectSendPhotoOperator,
    DirectSendVideoOperator,
    DirectSendVoiceOperator,
    DirectShareMediaOperator,
    DirectShareProfileOperator,
)
from airflow_provider_dm.operators.thread import DirectFetchThreadOperator
from airflow_provider_dm.operators.upload import (
    DirectUploadPhotoOperator,
    DirectUploadVideoOperator,
)
from airflow_provider_dm.operators.user_lookup import DirectLookupUserOperator
from airflow_provider_dm.sensors.reply import DirectReplySensor

CONN = "{{ dag_run.conf['conn'] }}"
THREADS = "{{ [dag_run.conf['thread_id']] }}"
START = datetime(2026, 1, 1)
RETRIES = {"retries": 2, "retry_delay": timedelta(seconds=0)}


def backend_dag(dag_id: str) -> DAG:
    """A manually triggered test DAG whose templates render native objects (the conf's lists)
    and whose tasks retry twice at once."""
    return DAG(
        dag_id,
        schedule=None,
        start_date=START,
        catchup=False,
        tags=["test"],
        render_template_as_native_obj=True,
        default_args=RETRIES,
    )


with backend_dag("dm_backends") as dm_backends:
    inbox = DirectFetchInboxOperator(task_id="fetch_inbox", direct_conn_id=CONN)
    thread = DirectFetchThreadOperator(
        task_id="fetch_thread", direct_conn_id=CONN, thread_id="{{ dag_run.conf['thread_id'] }}"
    )
    text = DirectSendMessageOperator(
        task_id="send_text",
        direct_conn_id=CONN,
        text="{{ dag_run.conf['text'] }}",
        threads=THREADS,
        recipients="{{ [[dag_run.conf['recipient']]] }}",
    )
    link = DirectSendLinkOperator(
        task_id="send_link",
        direct_conn_id=CONN,
        text="The schedule: https://airflow.apache.org/docs/",
        urls=["https://airflow.apache.org/docs/"],
        threads=THREADS,
    )
    share = DirectShareMediaOperator(
        task_id="share_media",
        direct_conn_id=CONN,
        media_id="{{ dag_run.conf['media_id'] }}",
        threads=THREADS,
    )
    inbox >> thread >> [text, link, share]

PHOTO = {
    "path": "{{ dag_run.conf.get('photo_path') }}",
    "url": "{{ dag_run.conf.get('photo_url') }}",
}

with backend_dag("dm_backends_media") as dm_backends_media:
    upload_photo = DirectUploadPhotoOperator(task_id="upload_photo", direct_conn_id=CONN, **PHOTO)
    DirectSendPhotoOperator(
        task_id="send_photo", direct_conn_id=CONN, upload=upload_photo.output, threads=THREADS
    )
    DirectSendPhotoOperator(
        task_id="send_photo_at_once", direct_conn_id=CONN, threads=THREADS, **PHOTO
    )
    upload_video = DirectUploadVideoOperator(
        task_id="upload_video", direct_conn_id=CONN, path="{{ dag_run.conf['video'] }}"
    )
    DirectSendVideoOperator(
        task_id="send_video", direct_conn_id=CONN, upload=upload_video.output, threads=THREADS
    )
    DirectSendVoiceOperator(
        task_id="send_voice",
        direct_conn_id=CONN,
        path="{{ dag_run.conf['voice'] }}",
        recipients="{{ [[dag_run.conf['recipient']]] }}",
    )

with backend_dag("dm_backends_photo") as dm_backends_photo:
    DirectUploadPhotoOperator(task_id="upload_photo", direct_conn_id=CONN, **PHOTO)
    DirectSendPhotoOperator(task_id="send_photo", direct_conn_id=CONN, threads=THREADS, **PHOTO)

with backend_dag("dm_backends_upload") as dm_backends_upload:
    DirectSendPhotoOperator(
        task_id="send_photo",
        direct_conn_id=CONN,
        upload="{{ dag_run.conf['upload'] }}",
        threads=THREADS,
    )

with backend_dag("dm_backends_profile") as dm_backends_profile:
    DirectShareProfileOperator(
        task_id="share_profile",
        direct_conn_id=CONN,
        user_id="5110000104",
        threads=THREADS,
    )

with backend_dag("dm_backends_text") as dm_backends_text:
    DirectSendMessageOperator(
        task_id="send_text",
        direct_conn_id=CONN,
        text="{{ dag_run.conf['text'] }}",
        recipients="{{ [[dag_run.conf['recipient']]] }}",
    )

with DAG(
    "dm_backends_refresh",
    schedule=None,
    start_date=START,
    catchup=False,
    tags=["test"],
) as dm_backends_refresh:

    @task
    def refresh(conn_id: str) -> int:
        """Refresh the connection's token as dags/dm_token_refresh.py does."""
        from airflow_provider_dm.hooks.messaging_api import MessagingApiHook

        return MessagingApiHook(conn_id).refresh_token()

    refresh(conn_id="{{ dag_run.conf['conn'] }}")

THREAD = "{{ dag_run.conf['thread_id'] }}"

with backend_dag("dm_backends_actions") as dm_backends_actions:
    newest = DirectFetchThreadOperator(
        task_id="fetch_newest", direct_conn_id=CONN, thread_id=THREAD, max_items=1
    )
    react = DirectReactOperator(
        task_id="react", direct_conn_id=CONN, items=newest.output, thread_id=THREAD
    )
    react_again = DirectReactOperator(
        task_id="react_again", direct_conn_id=CONN, items=newest.output, thread_id=THREAD
    )
    seen = DirectMarkSeenOperator(task_id="mark_seen", direct_conn_id=CONN, thread_id=THREAD)
    ask = DirectSendMessageOperator(
        task_id="ask", direct_conn_id=CONN, text="{{ dag_run.conf['text'] }}", threads=THREADS
    )
    wait = DirectReplySensor(
        task_id="wait_reply",
        direct_conn_id=CONN,
        reply_to=ask.output,
        deferrable=False,
        poke_interval=0.2,
        timeout=60,
    )
    newest >> react >> react_again >> seen >> ask >> wait

with backend_dag("dm_backends_refused") as dm_backends_refused:
    DirectUnsendOperator(
        task_id="unsend",
        direct_conn_id=CONN,
        items="{{ [{'item_id': dag_run.conf['item_id']}] }}",
        thread_id=THREAD,
    )
    DirectApproveRequestsOperator(task_id="approve", direct_conn_id=CONN)
    DirectDeclineRequestsOperator(task_id="decline", direct_conn_id=CONN, text_pattern="(?i)win")
    DirectCreateGroupOperator(
        task_id="create_group",
        direct_conn_id=CONN,
        users=["7000005110000102", "7000005110000103"],
        title="planning",
    )
    DirectUpdateThreadOperator(
        task_id="update_thread", direct_conn_id=CONN, thread_id=THREAD, mute=True
    )
    DirectLookupUserOperator(task_id="lookup_user", direct_conn_id=CONN, usernames="@bob_demo")
