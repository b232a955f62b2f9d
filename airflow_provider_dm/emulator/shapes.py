"""The protocol's JSON shapes of users, media and items (§4.2, §4.3), built from store rows.

Big ids (item ids, thread ids, cursors, media ids) are strings; user pks are ints (§9.3).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from airflow_provider_dm.emulator.wire import JsonDict

PIC_BASE = "https://emulator.invalid"


def user_short(row: sqlite3.Row) -> JsonDict:
    """A user as it appears in thread `users`, search results and profile shares."""
    pk = int(row["pk"])
    return {
        "pk": pk,
        "pk_id": str(pk),
        "id": str(pk),
        "username": row["username"],
        "full_name": row["full_name"],
        "is_private": bool(row["is_private"]),
        "is_verified": False,
        "profile_pic_url": f"{PIC_BASE}/profile/{pk}.jpg",
        "profile_pic_id": f"{pk}_{pk}",
        "has_anonymous_profile_picture": False,
        "friendship_status": {
            "following": True,
            "followed_by": True,
            "blocking": False,
            "muting": False,
            "is_private": bool(row["is_private"]),
            "incoming_request": False,
            "outgoing_request": False,
            "is_bestie": False,
            "is_restricted": False,
        },
    }


def user_full(row: sqlite3.Row) -> JsonDict:
    """A user as `usernameinfo`, `current_user` and `logged_in_user` return it."""
    return {
        **user_short(row),
        "biography": "",
        "external_url": "",
        "media_count": 0,
        "follower_count": 0,
        "following_count": 0,
        "is_business": False,
        "account_type": 1,
        "can_send_chain": False,
        "allowed_commenter_type": "any",
    }


def media_json(row: sqlite3.Row, owner: sqlite3.Row) -> JsonDict:
    """A feed media (§4.3 `media_share`), as `feed/user/` lists it."""
    width, height = int(row["width"]), int(row["height"])
    body: JsonDict = {
        "pk": int(row["pk"]),
        "id": row["id"],
        "code": row["code"],
        "media_type": int(row["media_type"]),
        "taken_at": int(row["taken_at"]),
        "original_width": width,
        "original_height": height,
        "image_versions2": {
            "candidates": [
                {"width": width, "height": height, "url": f"{PIC_BASE}/media/{row['pk']}.jpg"}
            ]
        },
        "user": user_short(owner),
        "caption": {"text": row["caption"]} if row["caption"] else None,
        "like_count": 0,
        "comment_count": 0,
    }
    if int(row["media_type"]) == 2:
        body["video_duration"] = 12.5
        body["video_versions"] = [
            {"type": 101, "width": width, "height": height, "url": f"{PIC_BASE}/{row['pk']}.mp4"}
        ]
    return body


def upload_media(upload: Mapping[str, Any], media_type: int) -> JsonDict:
    """The `media` payload of a photo or video sent from an upload."""
    ident = upload["media_id"] or upload["upload_id"]
    width, height = upload["width"] or 0, upload["height"] or 0
    body: JsonDict = {
        "id": str(ident),
        "media_type": media_type,
        "original_width": width,
        "original_height": height,
        "image_versions2": {
            "candidates": [{"width": width, "height": height, "url": f"{PIC_BASE}/{ident}.jpg"}]
        },
    }
    if media_type == 2:
        body["video_versions"] = [
            {"type": 101, "width": width, "height": height, "url": f"{PIC_BASE}/{ident}.mp4"}
        ]
        body["video_duration"] = (upload["duration_ms"] or 0) / 1000
    return body


def item_json(row: sqlite3.Row, viewer: int | None) -> JsonDict:
    """A thread item (§4.3) as `viewer` sees it."""
    body: JsonDict = {
        "item_id": row["item_id"],
        "user_id": int(row["user_id"]),
        "timestamp": int(row["timestamp"]),
        "item_type": row["item_type"],
        "is_sent_by_viewer": viewer is not None and int(row["user_id"]) == viewer,
        "is_shh_mode": False,
        "show_forward_attribution": False,
    }
    if row["client_context"]:
        body["client_context"] = row["client_context"]
    body.update(json.loads(row["payload"]))
    if row["reactions"]:
        body["reactions"] = json.loads(row["reactions"])
    return body


def compact(value: Any) -> str:
    """Compact JSON, as stored in the payload columns."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
