"""Airflow operators for Instagram Direct: fetch the inbox and threads, upload media, send items.

Every operator imports from here, e.g. ``from airflow_provider_dm.operators import
DirectSendMessageOperator``. Importing this package loads no HTTP or imaging library
(requests, Pillow): they are imported when a task runs, so that DAG parsing stays fast.
"""

from __future__ import annotations

from airflow_provider_dm.operators.base import DirectBaseOperator, DirectHookMixin
from airflow_provider_dm.operators.inbox import DirectFetchInboxOperator
from airflow_provider_dm.operators.send import (
    DirectSendBaseOperator,
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
    DirectUploadVoiceOperator,
)

__all__ = [
    "DirectBaseOperator",
    "DirectFetchInboxOperator",
    "DirectFetchThreadOperator",
    "DirectHookMixin",
    "DirectSendBaseOperator",
    "DirectSendLinkOperator",
    "DirectSendMessageOperator",
    "DirectSendPhotoOperator",
    "DirectSendVideoOperator",
    "DirectSendVoiceOperator",
    "DirectShareMediaOperator",
    "DirectShareProfileOperator",
    "DirectUploadPhotoOperator",
    "DirectUploadVideoOperator",
    "DirectUploadVoiceOperator",
]
