"""Sending DAGs of the operator tests. Every argument comes from ``dag_run.conf`` and is
rendered as a native object, so a test passes lists, dicts and bad input as they are.

``conn`` picks the connection (default ``dm_emulator``); the send tasks retry once, at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG, task

from airflow_provider_dm.operators.send import (
    DirectSendLinkOperator,
    DirectSendMessageOperator,
    DirectSendPhotoOperator,
    DirectSendVideoOperator,
    DirectShareMediaOperator,
    DirectShareProfileOperator,
)
from airflow_provider_dm.operators.upload import (
    DirectUploadPhotoOperator,
    DirectUploadVideoOperator,
)

START = datetime(2026, 1, 1)
RETRY = {"retries": 1, "retry_delay": timedelta(0)}


def conf(key: str) -> str:
    """The template of one run-conf value (None when absent)."""
    return "{{ dag_run.conf.get('" + key + "') }}"


def send_args() -> dict:
    """The arguments every send task takes from the run conf."""
    return {
        "direct_conn_id": "{{ dag_run.conf.get('conn', 'dm_emulator') }}",
        "recipients": conf("recipients"),
        "threads": conf("threads"),
        **RETRY,
    }


def test_dag(dag_id: str) -> DAG:
    """A manual DAG that renders templates as native objects."""
    return DAG(
        dag_id,
        schedule=None,
        start_date=START,
        catchup=False,
        render_template_as_native_obj=True,
        tags=["test"],
    )


with test_dag("dm_send_message") as dm_send_message:
    DirectSendMessageOperator(task_id="send", text=conf("text"), **send_args())

with test_dag("dm_send_message_dry") as dm_send_message_dry:
    DirectSendMessageOperator(task_id="send", text=conf("text"), dry_run=True, **send_args())

with test_dag("dm_send_link") as dm_send_link:
    DirectSendLinkOperator(task_id="send", text=conf("text"), urls=conf("urls"), **send_args())

with test_dag("dm_share_profile") as dm_share_profile:
    DirectShareProfileOperator(task_id="send", user_id=conf("user_id"), **send_args())


@task
def media_id(**context) -> str:
    """The run conf's media id as it is: native rendering would read ``123_456`` as an int."""
    return context["dag_run"].conf["media_id"]


with test_dag("dm_share_media") as dm_share_media:
    DirectShareMediaOperator(task_id="send", media_id=media_id(), **send_args())

with test_dag("dm_share_media_video") as dm_share_media_video:
    DirectShareMediaOperator(task_id="send", media_id=media_id(), media_type="video", **send_args())

with test_dag("dm_share_media_templated") as dm_share_media_templated:
    DirectShareMediaOperator(
        task_id="send", media_id=media_id(), media_type=conf("media_type"), **send_args()
    )

MEDIA_ARGS = {
    "upload": conf("upload"),
    "upload_id": conf("upload_id"),
    "media_id": conf("media_id"),
    "path": conf("path"),
}

with test_dag("dm_send_photo") as dm_send_photo:
    DirectSendPhotoOperator(task_id="send", **MEDIA_ARGS, **send_args())

with test_dag("dm_send_video") as dm_send_video:
    DirectSendVideoOperator(task_id="send", **MEDIA_ARGS, **send_args())

UPLOAD_ARGS = {"direct_conn_id": "{{ dag_run.conf.get('conn', 'dm_emulator') }}"}

with test_dag("dm_upload_photo") as dm_upload_photo:
    DirectUploadPhotoOperator(
        task_id="upload", path=conf("path"), quality=80, max_side=640, **UPLOAD_ARGS
    )

with test_dag("dm_upload_video") as dm_upload_video:
    DirectUploadVideoOperator(task_id="upload", path=conf("path"), **UPLOAD_ARGS)

with DAG(
    "dm_upload_photo_options_in_default_args",
    schedule=None,
    start_date=START,
    catchup=False,
    default_args={"quality": 80, "max_side": 320},
    render_template_as_native_obj=True,
    tags=["test"],
) as dm_upload_photo_options_in_default_args:
    # The photo options reach the photo operators only; the video operators take none.
    DirectUploadPhotoOperator(task_id="upload_photo", path=conf("photo"), **UPLOAD_ARGS)
    DirectUploadVideoOperator(task_id="upload_video", path=conf("video"), **UPLOAD_ARGS)
    DirectSendVideoOperator(
        task_id="send_video", path=conf("video"), threads=conf("threads"), **UPLOAD_ARGS
    )

with test_dag("dm_upload_then_send") as dm_upload_then_send:
    photo = DirectUploadPhotoOperator(task_id="upload_photo", path=conf("photo"), **UPLOAD_ARGS)
    video = DirectUploadVideoOperator(task_id="upload_video", path=conf("video"), **UPLOAD_ARGS)
    DirectSendPhotoOperator(task_id="send_photo", upload=photo.output, **send_args())
    DirectSendPhotoOperator(
        task_id="send_photo_by_ids",
        upload_id=photo.output["upload_id"],
        media_id=photo.output["media_id"],
        **send_args(),
    )
    DirectSendVideoOperator(task_id="send_video", upload=video.output, **send_args())

with test_dag("dm_upload_id_chain") as dm_upload_id_chain:
    # The seed's way of chaining: only the upload_id of an upload task. The send takes that
    # task's whole record, whose media_id the attachment route needs; multiple_outputs=False
    # (no key of its own for upload_id) works too.
    photo = DirectUploadPhotoOperator(task_id="upload_photo", path=conf("photo"), **UPLOAD_ARGS)
    video = DirectUploadVideoOperator(task_id="upload_video", path=conf("video"), **UPLOAD_ARGS)
    single = DirectUploadPhotoOperator(
        task_id="upload_single", path=conf("photo"), multiple_outputs=False, **UPLOAD_ARGS
    )
    DirectSendPhotoOperator(
        task_id="send_photo", upload_id=photo.output["upload_id"], **send_args()
    )
    DirectSendVideoOperator(
        task_id="send_video", upload_id=video.output["upload_id"], **send_args()
    )
    DirectSendPhotoOperator(
        task_id="send_single", upload_id=single.output["upload_id"], **send_args()
    )

with test_dag("dm_upload_id_bare") as dm_upload_id_bare:
    # A bare upload id, pulled by a template: enough on the classic route only.
    photo = DirectUploadPhotoOperator(task_id="upload_photo", path=conf("photo"), **UPLOAD_ARGS)
    photo >> DirectSendPhotoOperator(
        task_id="send",
        upload_id="{{ ti.xcom_pull(task_ids='upload_photo', key='upload_id') }}",
        **send_args(),
    )

with test_dag("dm_send_mapped") as dm_send_mapped:

    @task
    def conversations(**context) -> list:
        """One destination list per thread of the run conf."""
        return [[thread] for thread in context["dag_run"].conf["threads"]]

    @task
    def texts(**context) -> list:
        """The texts of the run conf."""
        return context["dag_run"].conf["texts"]

    DirectSendMessageOperator.partial(
        task_id="per_thread", text="Mapped over threads", direct_conn_id="dm_emulator", **RETRY
    ).expand(threads=conversations())
    DirectSendMessageOperator.partial(
        task_id="per_text", threads=conf("threads"), direct_conn_id="dm_emulator", **RETRY
    ).expand(text=texts())
