"""Airflow operators for Instagram Direct: fetch the inbox and threads, upload media, send items,
and act on threads (mark seen, react, unsend, answer message requests, groups, user lookup).

Every operator imports from here, e.g. ``from airflow_provider_dm.operators import
DirectSendMessageOperator``. Importing this package loads no HTTP or imaging library
(requests, Pillow): they are imported when a task runs, so that DAG parsing stays fast.
"""

from __future__ import annotations

from airflow_provider_dm.operators.base import DirectBaseOperator, DirectHookMixin
from airflow_provider_dm.operators.groups import (
    DirectCreateGroupOperator,
    DirectUpdateThreadOperator,
)
from airflow_provider_dm.operators.inbox import DirectFetchInboxOperator
from airflow_provider_dm.operators.item_actions import (
    DirectItemsOperator,
    DirectMarkSeenOperator,
    DirectReactOperator,
    DirectUnsendOperator,
)
from airflow_provider_dm.operators.message_requests import (
    DirectAnswerRequestsOperator,
    DirectApproveRequestsOperator,
    DirectDeclineRequestsOperator,
)
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
from airflow_provider_dm.operators.user_lookup import DirectLookupUserOperator

__all__ = [
    "DirectAnswerRequestsOperator",
    "DirectApproveRequestsOperator",
    "DirectBaseOperator",
    "DirectCreateGroupOperator",
    "DirectDeclineRequestsOperator",
    "DirectFetchInboxOperator",
    "DirectFetchThreadOperator",
    "DirectHookMixin",
    "DirectItemsOperator",
    "DirectLookupUserOperator",
    "DirectMarkSeenOperator",
    "DirectReactOperator",
    "DirectSendBaseOperator",
    "DirectSendLinkOperator",
    "DirectSendMessageOperator",
    "DirectSendPhotoOperator",
    "DirectSendVideoOperator",
    "DirectSendVoiceOperator",
    "DirectShareMediaOperator",
    "DirectShareProfileOperator",
    "DirectUnsendOperator",
    "DirectUpdateThreadOperator",
    "DirectUploadPhotoOperator",
    "DirectUploadVideoOperator",
    "DirectUploadVoiceOperator",
]
