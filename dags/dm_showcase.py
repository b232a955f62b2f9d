"""dm_showcase: everything the provider does, in one DAG, on either backend.

fetch the inbox -> pick the threads to answer -> fetch those threads (mapped)
upload a photo, a video and a voice message -> send a text, a link, a media share, the video,
the voice message, a profile share and the photo to a new group conversation and to the picked
threads. Each upload hands its result to its send through XCom.

The connection is the DAG's ``conn`` param: ``instagram_direct_default`` (the private API, the
default) or ``instagram_messaging_default`` (the official Messaging API). On the official API
the steps it cannot serve are skipped: the group (no groups, no usernames), the profile share
and the photo from a file (it takes images by public URL only); the picked threads are the
conversations with the newest activity (the official API keeps no read state).

The ids below are the emulator's demo seed (`make demo`); point the connection at the real
service and change them to your own.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import BaseHook, Param, chain, dag, task

from airflow_provider_dm.operators import (
    DirectFetchInboxOperator,
    DirectFetchThreadOperator,
    DirectSendLinkOperator,
    DirectSendMessageOperator,
    DirectSendPhotoOperator,
    DirectSendVideoOperator,
    DirectSendVoiceOperator,
    DirectShareMediaOperator,
    DirectShareProfileOperator,
    DirectUploadPhotoOperator,
    DirectUploadVideoOperator,
    DirectUploadVoiceOperator,
)

MEDIA = Path(__file__).parent / "media"
# One inner list is one conversation: here a group of two people, given by username.
GROUP = [["@bob_demo", "@carol_demo"]]
PROFILE_TO_SHARE = "5110000104"  # dave_demo's user id
# A post of the account itself (the official API shares only the account's own posts).
MEDIA_TO_SHARE = "3100000000000000000_5110000001"
CONN = "{{ params.conn }}"
PRIVATE = "instagram_direct"


@dag(
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["instagram_direct", "example"],
    default_args={"retries": 2, "retry_delay": timedelta(seconds=5)},
    params={
        "conn": Param(
            "instagram_direct_default",
            type="string",
            description="instagram_direct_default or instagram_messaging_default",
        )
    },
)
def dm_showcase():
    # The first task logs in and stores the session; every later task reuses it.
    inbox = DirectFetchInboxOperator(task_id="fetch_inbox", direct_conn_id=CONN)

    @task
    def connection_type(conn_id: str) -> str:
        """The type of the DAG's connection: which API the sends go over."""
        return BaseHook.get_connection(conn_id).conn_type

    api = connection_type(CONN)

    @task
    def pick_threads(threads: list[dict], api: str) -> list[str]:
        """The threads that have something the account has not seen yet (three at most); on
        the official API, which keeps no read state, the three with the newest activity."""
        if api == PRIVATE:
            return [t["thread_id"] for t in threads if t["unseen"]][:3]
        return [t["thread_id"] for t in threads][:3]

    @task
    def group(api: str) -> list[list[str]]:
        """The new group conversation; none on the official API (no groups, no usernames)."""
        return GROUP if api == PRIVATE else []

    @task.short_circuit
    def private_api_only(api: str) -> bool:
        """Skip what the official API cannot serve: profile shares, photos from files."""
        return api == PRIVATE

    picked = pick_threads(inbox.output, api)
    DirectFetchThreadOperator.partial(
        task_id="fetch_thread", direct_conn_id=CONN, max_items=100
    ).expand(thread_id=picked)
    private_only = private_api_only(api)

    photo = DirectUploadPhotoOperator(
        task_id="upload_photo", direct_conn_id=CONN, path=str(MEDIA / "testcard.jpg")
    )
    video = DirectUploadVideoOperator(
        task_id="upload_video", direct_conn_id=CONN, path=str(MEDIA / "countdown.mp4")
    )
    voice = DirectUploadVoiceOperator(
        task_id="upload_voice", direct_conn_id=CONN, path=str(MEDIA / "chime.m4a")
    )
    chain(inbox, private_only, photo)
    chain(inbox, [video, voice])

    to = {"recipients": group(api), "threads": picked, "direct_conn_id": CONN}
    text = DirectSendMessageOperator(
        task_id="send_text", text="Hello from Airflow, run {{ run_id }}", **to
    )
    link = DirectSendLinkOperator(
        task_id="send_link",
        text="The schedule is at https://airflow.apache.org/docs/",
        urls=["https://airflow.apache.org/docs/"],
        **to,
    )
    media = DirectShareMediaOperator(task_id="share_media", media_id=MEDIA_TO_SHARE, **to)
    profile = DirectShareProfileOperator(task_id="share_profile", user_id=PROFILE_TO_SHARE, **to)
    # The whole upload result goes through XCom: upload_id and, for the current route, media_id.
    send_photo = DirectSendPhotoOperator(task_id="send_photo", upload=photo.output, **to)
    send_video = DirectSendVideoOperator(task_id="send_video", upload=video.output, **to)
    send_voice = DirectSendVoiceOperator(task_id="send_voice", upload=voice.output, **to)
    chain(text, link, media, send_video, send_voice, profile, send_photo)
    private_only >> profile


dm_showcase()
