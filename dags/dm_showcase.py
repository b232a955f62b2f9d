"""dm_showcase: everything the provider does, in one DAG.

fetch the inbox -> pick the threads with unseen items -> fetch those threads (mapped)
upload a photo and a video -> send a text, a link, a profile share, a media share, the photo
and the video to a new group conversation and to the picked threads. Each upload hands its
result to its send through XCom.

The ids below are the emulator's demo seed (`make demo`); point the connection
`instagram_direct_default` at the real service and change them to your own.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import chain, dag, task

from airflow_provider_dm.operators import (
    DirectFetchInboxOperator,
    DirectFetchThreadOperator,
    DirectSendLinkOperator,
    DirectSendMessageOperator,
    DirectSendPhotoOperator,
    DirectSendVideoOperator,
    DirectShareMediaOperator,
    DirectShareProfileOperator,
    DirectUploadPhotoOperator,
    DirectUploadVideoOperator,
)

MEDIA = Path(__file__).parent / "media"
# One inner list is one conversation: here a group of two people, given by username.
GROUP = [["@bob_demo", "@carol_demo"]]
PROFILE_TO_SHARE = "5110000104"  # dave_demo's user id
MEDIA_TO_SHARE = "3100000000000000100_5110000101"  # a post of alice_demo's


@dag(
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["instagram_direct", "example"],
    default_args={"retries": 2, "retry_delay": timedelta(seconds=5)},
)
def dm_showcase():
    # The first task logs in and stores the session; every later task reuses it.
    inbox = DirectFetchInboxOperator(task_id="fetch_inbox")

    @task
    def pick_unseen(threads: list[dict]) -> list[str]:
        """The threads that have something the account has not seen yet (three at most)."""
        return [t["thread_id"] for t in threads if t["unseen"]][:3]

    picked = pick_unseen(inbox.output)
    DirectFetchThreadOperator.partial(task_id="fetch_thread", max_items=100).expand(
        thread_id=picked
    )

    photo = DirectUploadPhotoOperator(task_id="upload_photo", path=str(MEDIA / "testcard.jpg"))
    video = DirectUploadVideoOperator(task_id="upload_video", path=str(MEDIA / "countdown.mp4"))
    chain(inbox, [photo, video])

    to = {"recipients": GROUP, "threads": picked}
    text = DirectSendMessageOperator(
        task_id="send_text", text="Hello from Airflow, run {{ run_id }}", **to
    )
    link = DirectSendLinkOperator(
        task_id="send_link",
        text="The schedule is at https://airflow.apache.org/docs/",
        urls=["https://airflow.apache.org/docs/"],
        **to,
    )
    profile = DirectShareProfileOperator(task_id="share_profile", user_id=PROFILE_TO_SHARE, **to)
    media = DirectShareMediaOperator(task_id="share_media", media_id=MEDIA_TO_SHARE, **to)
    # The whole upload result goes through XCom: upload_id and, for the current route, media_id.
    send_photo = DirectSendPhotoOperator(task_id="send_photo", upload=photo.output, **to)
    send_video = DirectSendVideoOperator(task_id="send_video", upload=video.output, **to)
    chain(text, link, profile, media, send_photo, send_video)


dm_showcase()
