"""Sending (§6, §7.4): one handler per broadcast kind, validation, dedupe and the ledger.

Each kind validates its own fields and turns them into an item (`item_type` + payload). Then
the destinations are resolved (exactly one of `thread_ids` / `recipient_users`), and for each
thread the item is added unless the sender's `client_context` (else `mutation_token`, else
`offline_threading_id`) was already accepted there, in which case the original payload comes
back and nothing is added (unless dedupe is switched off by `config`, to test clients that
must not rely on it). Video sent by `raven_attachment` with `view_mode=permanent` (the
default) and by `configure_video` is a `media` item with `media_type` 2; `view_mode` `once` or
`replayable` makes a disappearing `raven_media` item.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_dm.emulator import fields
from airflow_provider_dm.emulator.inbox import create_thread, find_thread, known_users
from airflow_provider_dm.emulator.shapes import compact, media_json, upload_media, user_short
from airflow_provider_dm.emulator.state import EmulatorState
from airflow_provider_dm.emulator.store import item_id_for
from airflow_provider_dm.emulator.wire import (
    TRANSCODE_PENDING,
    ApiError,
    JsonDict,
    Request,
    Response,
    bad_request,
)

MAX_TEXT = 1000
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
IDENTITY_FIELDS = frozenset(
    {"_uuid", "_uid", "uuid", "device_id", "_csrftoken", "guid", "phone_id", "adid", "jazoest"}
)


@dataclass
class Prepared:
    """A validated item, ready to be added to any thread."""

    item_type: str
    payload: JsonDict
    upload: JsonDict | None = None
    reaction: JsonDict | None = None


# -- validation helpers -----------------------------------------------------------------------


def _limited_text(form: JsonDict, name: str, *, required: bool = True) -> str | None:
    value = fields.text(form, name, required=required)
    if value is not None and len(value) > MAX_TEXT:
        raise bad_request(f"Invalid {name}: {len(value)} characters, the limit is {MAX_TEXT}")
    return value


def _media(ctx: EmulatorState, form: JsonDict, name: str) -> JsonDict:
    value = fields.text(form, name)
    assert value is not None
    pk = value.split("_", 1)[0]
    if not pk.isdigit() or not re.match(r"^\d+(_\d+)?$", value):
        raise bad_request(f"Invalid media_id: {value!r} is not a media id")
    row = ctx.store.db.execute("SELECT * FROM media WHERE id = ? OR pk = ?", (value, pk)).fetchone()
    if row is None or ("_" in value and row["id"] != value):
        raise bad_request("Invalid media_id", error_type="invalid_media_id", field=name)
    owner = ctx.store.db.execute("SELECT * FROM users WHERE pk = ?", (row["owner_pk"],)).fetchone()
    return media_json(row, owner)


def _upload(ctx: EmulatorState, req: Request, name: str, routes: tuple[str, ...], what: str):
    """The completed upload named by form field `name` on one of `routes` (owned by the sender)."""
    value = fields.digits(req.form, name)
    column = "upload_id" if name == "upload_id" else "media_id"
    marks = ",".join("?" * len(routes))
    row = ctx.store.db.execute(
        f"SELECT * FROM uploads WHERE {column} = ? AND owner_pk = ? AND route IN ({marks})"
        " ORDER BY complete DESC LIMIT 1",
        (value, req.viewer, *routes),
    ).fetchone()
    if row is None:
        raise bad_request(f"Invalid {name}: {value} is not a {what} upload of yours")
    if not row["complete"]:
        raise bad_request(
            f"Invalid {name}: upload {value} is incomplete ({row['received']} of"
            f" {row['total']} bytes received)"
        )
    return row


def _upload_info(row: Mapping[str, Any]) -> JsonDict:
    info: JsonDict = {
        "kind": row["kind"],
        "bytes": row["received"],
        "width": row["width"],
        "height": row["height"],
        "duration_ms": row["duration_ms"],
        "route": row["route"],
    }
    if row["upload_id"]:
        info["upload_id"] = row["upload_id"]
    if row["media_id"]:
        info["media_id"] = row["media_id"]
    return info


def _waveform(form: JsonDict) -> list[float]:
    values = fields.json_list(form, "waveform")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise bad_request("Invalid waveform: expected a JSON list of numbers")
    return [float(v) for v in values]


def _voice(row: sqlite3.Row, form: JsonDict) -> Prepared:
    ident = str(row["media_id"] or row["upload_id"])
    frequency = fields.text(form, "waveform_sampling_frequency_hz", required=False) or "10"
    audio = {
        "audio_src": f"https://emulator.invalid/{ident}.m4a",
        "duration": row["duration_ms"] or 0,
        "waveform_data": _waveform(form),
        "waveform_sampling_frequency_hz": int(frequency) if frequency.isdigit() else 10,
    }
    return Prepared(
        "voice_media",
        {"voice_media": {"media": {"id": ident, "media_type": 11, "audio": audio}}},
        _upload_info(row),
    )


# -- one function per kind --------------------------------------------------------------------


def kind_text(ctx: EmulatorState, req: Request) -> Prepared:
    """`text`: non-empty, at most 1000 characters."""
    return Prepared("text", {"text": _limited_text(req.form, "text")})


def kind_link(ctx: EmulatorState, req: Request) -> Prepared:
    """`link`: `link_text` plus `link_urls`, a JSON list of URLs each present in the text."""
    text = _limited_text(req.form, "link_text")
    assert text is not None
    urls = fields.json_list(req.form, "link_urls")
    if not urls:
        raise bad_request("Missing field: link_urls")
    for url in urls:
        if not isinstance(url, str) or not URL.match(url):
            raise bad_request(f"Invalid link_urls: {url!r} is not a URL")
        if url not in text:
            raise bad_request(f"Invalid link_urls: {url!r} does not appear in link_text")
    context = {"link_url": urls[0], "link_title": "", "link_summary": "", "link_image_url": ""}
    token = req.form.get("client_context")
    return Prepared(
        "link",
        {
            "link": {
                "text": text,
                "link_context": context,
                "client_context": token,
                "mutation_token": req.form.get("mutation_token", token),
            }
        },
    )


def kind_profile(ctx: EmulatorState, req: Request) -> Prepared:
    """`profile`: `profile_user_id` of a known user."""
    pk = fields.digits(req.form, "profile_user_id")
    row = ctx.store.db.execute("SELECT * FROM users WHERE pk = ?", (int(pk or 0),)).fetchone()
    if row is None:
        raise bad_request(f"Invalid profile_user_id: unknown user {pk}")
    return Prepared("profile", {"profile": user_short(row), "preview_medias": []})


def kind_media_share(ctx: EmulatorState, req: Request) -> Prepared:
    """`media_share`: a known `media_id` (`{pk}_{owner}` or bare pk); `?media_type=` optional."""
    media_type = req.query.get("media_type")
    if media_type not in (None, "", "photo", "video", "carousel"):
        raise bad_request(f"Invalid media_type: {media_type!r} (use photo or video)")
    return Prepared("media_share", {"media_share": _media(ctx, req.form, "media_id")})


def kind_reel_share(ctx: EmulatorState, req: Request) -> Prepared:
    """`reel_share`: a reply to a story (`media_id`, optional `text`, `reel_id`)."""
    media = _media(ctx, req.form, "media_id")
    text = _limited_text(req.form, "text", required=False) or ""
    share = {
        "text": text,
        "type": "reply",
        "reel_owner_id": media["user"]["pk"],
        "is_reel_persisted": False,
        "reel_type": "user_reel",
        "media": media,
    }
    return Prepared("reel_share", {"reel_share": share})


def kind_story_share(ctx: EmulatorState, req: Request) -> Prepared:
    """`story_share`: forward a story (`story_media_id`, or `media_id`)."""
    name = "story_media_id" if req.form.get("story_media_id") else "media_id"
    media = _media(ctx, req.form, name)
    share = {
        "media": media,
        "reel_id": str(req.form.get("reel_id") or media["user"]["pk"]),
        "reel_type": "user_reel",
        "is_reel_persisted": False,
        "story_share_type": "default",
        "text": _limited_text(req.form, "text", required=False) or "",
    }
    return Prepared("story_share", {"story_share": share})


def kind_configure_photo(ctx: EmulatorState, req: Request) -> Prepared:
    """`configure_photo`: `upload_id` of a completed `rupload_igphoto` upload."""
    row = _upload(ctx, req, "upload_id", ("rupload_igphoto",), "photo")
    return Prepared("media", {"media": upload_media(row, 1)}, _upload_info(row))


def kind_configure_video(ctx: EmulatorState, req: Request) -> Prepared:
    """`configure_video`: `upload_id` of a video whose transcode finished (else 202)."""
    row = _upload(ctx, req, "upload_id", ("rupload_igvideo",), "video")
    if row["kind"] != "video":
        raise bad_request(f"Invalid upload_id: {row['upload_id']} is not a video upload")
    if not row["transcoded"]:
        raise ApiError.shaped(202, TRANSCODE_PENDING)
    return Prepared("media", {"media": upload_media(row, 2)}, _upload_info(row))


def kind_photo_attachment(ctx: EmulatorState, req: Request) -> Prepared:
    """`photo_attachment`: `attachment_fbid` of a completed `messenger_image` upload."""
    row = _upload(ctx, req, "attachment_fbid", ("messenger_image",), "messenger_image")
    return Prepared("media", {"media": upload_media(row, 1)}, _upload_info(row))


def kind_raven_attachment(ctx: EmulatorState, req: Request) -> Prepared:
    """`raven_attachment` (signed, `?video=1`): `attachment_fbid` of a `messenger_video` upload."""
    name = "attachment_fbid" if req.form.get("attachment_fbid") else "video_result"
    row = _with_duration(_upload(ctx, req, name, ("messenger_video",), "messenger_video"), req)
    media = upload_media(row, 2)
    view_mode = fields.text(req.form, "view_mode", required=False) or "permanent"
    if view_mode == "permanent":
        return Prepared("media", {"media": media}, _upload_info(row))
    if view_mode not in ("once", "replayable"):
        raise bad_request(f"Invalid view_mode: {view_mode!r}")
    visual = {
        "media": media,
        "seen_user_ids": [],
        "view_mode": view_mode,
        "seen_count": 0,
        "replay_expiring_at_us": None,
        "playback_duration_secs": (row["duration_ms"] or 0) // 1000,
        "expiring_media_action_summary": None,
    }
    return Prepared("raven_media", {"visual_media": visual}, _upload_info(row))


def _with_duration(row: sqlite3.Row, req: Request) -> Mapping[str, Any]:
    """The upload, its `duration_ms` taken from the send's `length` (seconds) when the upload
    itself carried none (a `messenger_video` upload has no rupload params)."""
    if row["duration_ms"] is not None:
        return row
    length = req.form.get("length")
    if isinstance(length, bool) or not isinstance(length, (int, float, str)):
        return row
    try:
        seconds = float(length)
    except ValueError:
        return row
    if not math.isfinite(seconds) or seconds < 0:
        return row
    return {**dict(row), "duration_ms": round(seconds * 1000)}


def kind_share_voice(ctx: EmulatorState, req: Request) -> Prepared:
    """`share_voice`: `upload_id` of a completed `rupload_igvideo` voice upload (`media_type`
    11) + waveform."""
    row = _upload(ctx, req, "upload_id", ("rupload_igvideo",), "voice")
    if row["kind"] != "voice":
        raise bad_request(f"Invalid upload_id: {row['upload_id']} is not a voice upload")
    return _voice(row, req.form)


def kind_voice_attachment(ctx: EmulatorState, req: Request) -> Prepared:
    """`voice_attachment`: `attachment_fbid` of a completed `messenger_audio` upload."""
    row = _upload(ctx, req, "attachment_fbid", ("messenger_audio",), "messenger_audio")
    return _voice(row, req.form)


def kind_reaction(ctx: EmulatorState, req: Request) -> Prepared:
    """`reaction`: an emoji on `item_id` (created or deleted); adds no item of its own."""
    item_id = fields.digits(req.form, "item_id")
    status = fields.text(req.form, "reaction_status", required=False) or "created"
    if status not in ("created", "deleted"):
        raise bad_request(f"Invalid reaction_status: {status!r} (use created or deleted)")
    emoji = fields.text(req.form, "emoji", required=False) or "❤️"
    return Prepared("reaction", {}, reaction={"item_id": item_id, "status": status, "emoji": emoji})


def kind_like(ctx: EmulatorState, req: Request) -> Prepared:
    """`like`: the heart item."""
    return Prepared("like", {"like": "❤️"})


def kind_hashtag(ctx: EmulatorState, req: Request) -> Prepared:
    """`hashtag`: a hashtag share with optional text."""
    name = (fields.text(req.form, "hashtag") or "").lstrip("#")
    text = _limited_text(req.form, "text", required=False) or ""
    return Prepared("hashtag", {"hashtag": {"name": name, "media_count": 0}, "text": text})


def kind_location(ctx: EmulatorState, req: Request) -> Prepared:
    """`location`: a venue share with optional text."""
    venue = fields.digits(req.form, "venue_id")
    text = _limited_text(req.form, "text", required=False) or ""
    return Prepared("location", {"location": {"pk": int(venue or 0), "name": ""}, "text": text})


KINDS: dict[str, Callable[[EmulatorState, Request], Prepared]] = {
    "text": kind_text,
    "link": kind_link,
    "profile": kind_profile,
    "media_share": kind_media_share,
    "reel_share": kind_reel_share,
    "story_share": kind_story_share,
    "configure_photo": kind_configure_photo,
    "configure_video": kind_configure_video,
    "photo_attachment": kind_photo_attachment,
    "raven_attachment": kind_raven_attachment,
    "share_voice": kind_share_voice,
    "voice_attachment": kind_voice_attachment,
    "reaction": kind_reaction,
    "like": kind_like,
    "hashtag": kind_hashtag,
    "location": kind_location,
}


# -- destinations, dedupe, items, ledger ------------------------------------------------------


def _active_members(ctx: EmulatorState, thread_id: str) -> list[int]:
    return [
        r[0]
        for r in ctx.store.db.execute(
            "SELECT user_pk FROM members WHERE thread_id = ? AND left_thread = 0", (thread_id,)
        )
    ]


def _destinations(ctx: EmulatorState, req: Request) -> dict[str, list[str]]:
    """Each destination thread with its other active participants (one read per thread)."""
    assert req.viewer is not None
    thread_ids = fields.id_list(req.form, "thread_ids")
    groups = fields.id_groups(req.form, "recipient_users")
    if bool(thread_ids) == bool(groups):
        raise bad_request(
            "Invalid destination: exactly one of thread_ids and recipient_users must be non-empty"
        )
    threads: dict[str, list[str]] = {}
    for thread_id in thread_ids:
        members = _active_members(ctx, thread_id)
        if req.viewer not in members:
            raise bad_request(f"Invalid thread_ids: unknown thread {thread_id}")
        threads[thread_id] = [str(pk) for pk in members if pk != req.viewer]
    for group in groups:
        others = [pk for pk in known_users(ctx, group, "recipient_users") if pk != req.viewer]
        if not others:
            raise bad_request("Invalid recipient_users: a conversation needs another user")
        thread_id = find_thread(ctx, {req.viewer, *others}) or create_thread(
            ctx, req.viewer, others
        )
        members = _active_members(ctx, thread_id)
        threads[thread_id] = [str(pk) for pk in members if pk != req.viewer]
    return threads


def _react(
    ctx: EmulatorState, thread_id: str, sender: int, token: str | None, reaction: JsonDict, now: int
) -> None:
    db = ctx.store.db
    row = db.execute(
        "SELECT item_id, reactions FROM items WHERE thread_id = ? AND item_id = ?",
        (thread_id, reaction["item_id"]),
    ).fetchone()
    if row is None:
        raise bad_request(f"Invalid item_id: no item {reaction['item_id']} in thread {thread_id}")
    current = json.loads(row["reactions"]) if row["reactions"] else {"likes": [], "emojis": []}
    emojis = [e for e in current.get("emojis", []) if e["sender_id"] != sender]
    if reaction["status"] == "created":
        emojis.append(
            {
                "timestamp": now,
                "client_context": token,
                "sender_id": sender,
                "emoji": reaction["emoji"],
                "super_react_type": "none",
            }
        )
    current["emojis"] = emojis
    current["likes_count"] = len(current.get("likes", []))
    db.execute(
        "UPDATE items SET reactions = ? WHERE item_id = ?", (compact(current), row["item_id"])
    )


def _add(
    ctx: EmulatorState,
    thread_id: str,
    sender: int,
    token: str | None,
    prepared: Prepared,
    item_id: str,
    now: int,
) -> None:
    if prepared.reaction is not None:
        _react(ctx, thread_id, sender, token, prepared.reaction, now)
        return
    db = ctx.store.db
    db.execute(
        "INSERT INTO items (item_id, thread_id, user_id, timestamp, item_type, client_context,"
        " payload) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (item_id, thread_id, sender, now, prepared.item_type, token, compact(prepared.payload)),
    )
    db.execute(
        "UPDATE threads SET last_activity_at = ?, last_sender_pk = ? WHERE thread_id = ?",
        (now, sender, thread_id),
    )
    db.execute(
        "UPDATE members SET last_seen_at = ?, last_seen_item = ?, pending = 0, hidden = 0"
        " WHERE thread_id = ? AND user_pk = ?",
        (now, item_id, thread_id, sender),
    )


def handle_broadcast(ctx: EmulatorState, req: Request) -> Response:
    """`direct_v2/threads/broadcast/{kind}/`: validate, resolve destinations, dedupe, add."""
    assert req.viewer is not None
    kind = req.params["kind"]
    if kind not in KINDS:
        raise ApiError(404, f"Unknown broadcast kind: {kind}")
    prepared = KINDS[kind](ctx, req)
    threads = _destinations(ctx, req)
    sender = req.viewer
    token = next(
        (
            str(req.form[name])
            for name in ("client_context", "mutation_token", "offline_threading_id")
            if req.form.get(name)
        ),
        None,
    )
    ledger_fields = {k: v for k, v in req.form.items() if k not in IDENTITY_FIELDS}
    db = ctx.store.db
    metadata = []
    for thread_id, participants in threads.items():
        timestamp = ctx.store.now_us()
        item_id = (
            item_id_for(timestamp) if prepared.reaction is None else prepared.reaction["item_id"]
        )
        fresh = True
        if token is not None and ctx.dedupe:  # claim the token; a read only for a repeat
            claim = db.execute(
                "INSERT INTO sends (sender_pk, thread_id, token, item_id, timestamp)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (sender, thread_id, token, item_id, timestamp),
            )
            fresh = claim.rowcount == 1
        if not fresh:
            sent = db.execute(
                "SELECT item_id, timestamp FROM sends WHERE sender_pk = ? AND thread_id = ?"
                " AND token = ?",
                (sender, thread_id, token),
            ).fetchone()
            item_id, timestamp = sent["item_id"], sent["timestamp"]
        else:
            _add(ctx, thread_id, sender, token, prepared, item_id, timestamp)
            db.execute(
                "INSERT INTO ledger (item_id, kind, item_type, thread_id, sender_pk,"
                " client_context, fields, upload, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    item_id,
                    kind,
                    prepared.item_type,
                    thread_id,
                    sender,
                    token,
                    compact(ledger_fields),
                    compact(prepared.upload) if prepared.upload else None,
                    timestamp,
                ),
            )
        metadata.append(
            {
                "client_context": token,
                "item_id": item_id,
                "timestamp": str(timestamp),
                "thread_id": thread_id,
                "participant_ids": participants,
            }
        )
    first = metadata[0]
    payload = {k: first[k] for k in ("client_context", "item_id", "thread_id", "timestamp")}
    return Response(
        {
            "action": "item_ack",
            "status_code": "200",
            "payload": payload,
            "message_metadata": metadata,
            "status": "ok",
        }
    )
