"""Every item kind to many threads under random faults: mapped send tasks with Airflow retries.

The run conf gives ``groups`` (lists of thread ids, one mapped task each), ``photo_groups`` and
``video_groups`` (the same for the photo and video sends, which upload ``photo`` / ``video``,
local paths, in the task), ``user_id`` (the profile to share) and ``media_id`` (the post).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_dm.operators.send import (
    DirectSendLinkOperator,
    DirectSendMessageOperator,
    DirectSendPhotoOperator,
    DirectSendVideoOperator,
    DirectShareMediaOperator,
    DirectShareProfileOperator,
)


def conf(key: str) -> str:
    """The template of one run-conf value."""
    return "{{ dag_run.conf['" + key + "'] }}"


with DAG(
    "dm_faults",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_tasks=4,
    default_args={"retries": 8, "retry_delay": timedelta(seconds=1)},
    tags=["test"],
) as dm_faults:

    @task
    def destinations(key: str, **context: Any) -> list[list[str]]:
        """One list of thread ids per mapped task, from the run conf's ``key``."""
        return context["dag_run"].conf[key]

    groups = destinations.override(task_id="groups")("groups")
    photo_groups = destinations.override(task_id="photo_groups")("photo_groups")
    video_groups = destinations.override(task_id="video_groups")("video_groups")
    DirectSendMessageOperator.partial(task_id="text", text="Hello under faults").expand(
        threads=groups
    )
    DirectSendLinkOperator.partial(task_id="link", text="Read https://example.com/faults").expand(
        threads=groups
    )
    DirectShareProfileOperator.partial(task_id="profile", user_id=conf("user_id")).expand(
        threads=groups
    )
    DirectShareMediaOperator.partial(task_id="media_share", media_id=conf("media_id")).expand(
        threads=groups
    )
    DirectSendPhotoOperator.partial(task_id="photo", path=conf("photo")).expand(
        threads=photo_groups
    )
    DirectSendVideoOperator.partial(task_id="video", path=conf("video")).expand(
        threads=video_groups
    )
