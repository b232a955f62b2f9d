"""The Graph routes of Meta's Instagram Messaging API, under `/graph/` (which plays
`https://graph.instagram.com/`), on the same store as the private routes.

The business account is any seeded account holding a token from `POST
/__emulator/graph/token`. People are addressed by IGSID, conversations and messages by opaque
ids (base64 of the private thread and item ids). What `official-api.md` states is enforced: the
24-hour window (opened by the person's newest message; 7 days with the `HUMAN_AGENT` tag), no
conversation started by the business, one person per conversation, details for the 20 newest
messages only, 1000-byte texts, own posts only for `MEDIA_SHARE`, per-account call rates, the
attachment upload (by public URL for any type, never fetched; by multipart `filedata` for audio
and video only, within their types and 25 MB, the size kept), and the Graph error shape
`{"error": {message, type, code, error_subcode, fbtrace_id}}`. The account's own posts are IG
Media nodes (`GET /<post id>?fields=permalink`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import time
import urllib.parse
from datetime import datetime, timezone
from typing import Any

from airflow_provider_dm.emulator.graph_rates import RATES
from airflow_provider_dm.emulator.shapes import compact
from airflow_provider_dm.emulator.state import EmulatorState
from airflow_provider_dm.emulator.store import item_id_for
from airflow_provider_dm.emulator.wire import ApiError, JsonDict, Request, Response

PREFIX = "/graph/"
VERSION = re.compile(r"^v\d+\.\d+$")
IG_ID_BASE = 17841400000000000
IGSID_BASE = 7000000000000000
DETAIL_LIMIT = 20
WINDOW_US = 24 * 3600 * 10**6
HUMAN_AGENT_US = 7 * 24 * 3600 * 10**6
TOKEN_SECONDS = 60 * 24 * 3600
REFRESH_MIN_AGE = 24 * 3600
TEXT_BYTES = 1000
PAGE_SIZE = 25
POST_URL = "https://www.instagram.com/p/"
ATTACHMENT_TYPES = {"image": 1, "video": 2, "audio": 0, "file": 0}
MAX_BYTES = {"image": 8 << 20, "video": 25 << 20, "audio": 25 << 20, "file": 25 << 20}
# What `message_attachments` takes as a `filedata` file: audio and video only (images by URL).
FILE_UPLOAD_TYPES = {
    "audio": {"audio/aac", "audio/mp4", "audio/m4a", "audio/x-m4a", "audio/wav", "audio/x-wav"},
    "video": {
        "video/mp4",
        "video/ogg",
        "video/x-msvideo",
        "video/avi",
        "video/quicktime",
        "video/webm",
    },
}


def ig_id(pk: int) -> str:
    """The IG_ID of a business account (what `/me?fields=user_id` answers)."""
    return str(IG_ID_BASE + pk)


def igsid(pk: int) -> str:
    """The Instagram-scoped id of a person, as the business sees it."""
    return str(IGSID_BASE + pk)


def _pk_of_igsid(value: Any) -> int | None:
    text = str(value)
    if not text.isdigit() or int(text) <= IGSID_BASE or int(text) >= IG_ID_BASE:
        return None
    return int(text) - IGSID_BASE


def _encode(kind: str, value: str) -> str:
    return base64.urlsafe_b64encode(f"ig_{kind}:{value}".encode()).decode().rstrip("=")


def _decode(kind: str, value: str) -> str | None:
    try:
        text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    head, _, rest = text.partition(":")
    return rest if head == f"ig_{kind}" and rest.isdigit() else None


def conversation_id(thread_id: str) -> str:
    """The opaque conversation id of a private thread id."""
    return _encode("conv", thread_id)


def message_id(item_id: str) -> str:
    """The opaque message id (mid) of a private item id."""
    return _encode("msg", item_id)


def graph_error(
    status: int, code: int, message: str, *, subcode: int | None = None, kind: str = ""
) -> ApiError:
    """An error in the Graph shape."""
    body: JsonDict = {
        "message": message,
        "type": kind or ("OAuthException" if code in (190, 100, 10, 200) else "IGApiException"),
        "code": code,
        "fbtrace_id": "A" + secrets.token_hex(10),
    }
    if subcode is not None:
        body["error_subcode"] = subcode
    return ApiError.shaped(status, {"error": body})


def fault_error(action: str) -> ApiError | None:
    """The Graph-shaped answer of a fault rule's error action on a `/graph/` route (throttling
    code 4, transient code 2), or None for the actions that keep their own answer."""
    if action == "rate_limit":
        return graph_error(400, 4, "(#4) Application request limit reached")
    if action in ("server_error", "unavailable"):
        status = 500 if action == "server_error" else 503
        return graph_error(status, 2, "An unexpected error has occurred. Please retry later.")
    return None


def _iso(timestamp_us: int) -> str:
    moment = datetime.fromtimestamp(timestamp_us / 1e6, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


# -- admin: tokens ------------------------------------------------------------------------------


def handle_token(ctx: EmulatorState, req: Request) -> Response:
    """`POST /__emulator/graph/token` (JSON `{username, expires_in?, age?}`): a long-lived
    token, issued `age` seconds ago (default 0); `{revoke: token}` revokes one."""
    revoke = req.form.get("revoke")
    if isinstance(revoke, str) and revoke:
        with ctx.store.transaction() as db:
            gone = db.execute("DELETE FROM graph_tokens WHERE token = ?", (revoke,)).rowcount
        return Response({"revoked": gone, "status": "ok"})
    username = req.form.get("username")
    if not isinstance(username, str) or not username:
        raise ApiError(400, "Missing field: username")
    expires_in = req.form.get("expires_in", TOKEN_SECONDS)
    if not isinstance(expires_in, int) or isinstance(expires_in, bool):
        raise ApiError(400, "Invalid expires_in: an integer number of seconds is needed")
    age = req.form.get("age", 0)
    if not isinstance(age, int) or isinstance(age, bool) or age < 0:
        raise ApiError(400, "Invalid age: a non-negative integer number of seconds is needed")
    with ctx.store.transaction() as db:
        row = db.execute(
            "SELECT pk, username FROM users WHERE username = ?", (username.lower(),)
        ).fetchone()
        if row is None:
            raise ApiError(400, f"Invalid username: no account {username!r}")
        token = _issue(db, int(row["pk"]), expires_in, age=age)
    return Response(
        {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": expires_in,
            "ig_user_id": ig_id(int(row["pk"])),
            "username": row["username"],
            "status": "ok",
        }
    )


def handle_rates(ctx: EmulatorState, req: Request) -> Response:
    """`POST /__emulator/graph/rates` (JSON `{enabled?, send?, media?, conversations?}`)."""
    rates = ctx.graph_rates
    if "enabled" in req.form:
        rates.enabled = bool(req.form["enabled"])
    for kind in RATES:
        value = req.form.get(kind)
        if value is not None:
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ApiError(400, f"Invalid {kind}: a positive integer is needed")
            rates.rates[kind] = value
    return Response({"enabled": rates.enabled, **rates.rates, "status": "ok"})


def _issue(db: Any, user_pk: int, expires_in: int, *, age: int = 0) -> str:
    token = "IGAA" + secrets.token_urlsafe(48)
    now = int(time.time()) - age
    db.execute(
        "INSERT INTO graph_tokens (token, user_pk, issued_at, expires_at) VALUES (?, ?, ?, ?)",
        (token, user_pk, now, now + expires_in),
    )
    return token


# -- dispatch -----------------------------------------------------------------------------------


def handle(ctx: EmulatorState, req: Request) -> Response:
    """Serve one request under `/graph/`."""
    parts = [p for p in req.path[len(PREFIX) :].split("/") if p]
    if parts and VERSION.match(parts[0]):
        parts = parts[1:]
    token = _token(req)
    if parts == ["refresh_access_token"] and req.method == "GET":
        return _refresh(ctx, req, token)
    viewer = _viewer(ctx, token)
    node = parts[0] if parts else ""
    if node in ("me", ig_id(viewer)):
        if parts == [node] and req.method == "GET":
            return _me(ctx, viewer)
        if parts[1:] == ["conversations"] and req.method == "GET":
            ctx.graph_rates.admit(viewer, "conversations")
            return _conversations(ctx, req, viewer)
        if parts[1:] == ["messages"] and req.method == "POST":
            return _send(ctx, req, viewer)
        if parts[1:] == ["message_attachments"] and req.method == "POST":
            ctx.graph_rates.admit(viewer, "media")
            return _attachment_upload(ctx, req, viewer)
    thread_id = _decode("conv", node)
    if thread_id is not None and req.method == "GET" and len(parts) <= 2:
        ctx.graph_rates.admit(viewer, "conversations")
        _member(ctx, thread_id, viewer, node)
        if parts[1:] == ["messages"]:
            return Response(_messages(ctx, req, thread_id, viewer, _wanted(req, "messages")))
        return Response(_conversation(ctx, req, thread_id, viewer))
    item_id = _decode("msg", node)
    if item_id is not None and len(parts) == 1 and req.method == "GET":
        ctx.graph_rates.admit(viewer, "conversations")
        return Response(_message(ctx, req, item_id, viewer))
    media = _own_media(ctx, req, node, viewer) if len(parts) == 1 and req.method == "GET" else None
    if media is not None:
        return Response(media)
    raise graph_error(
        400,
        100,
        f"Unsupported {req.method} request. Object with ID '{node}' does not exist, cannot be"
        " loaded due to missing permissions, or does not support this operation",
        subcode=33,
    )


def _token(req: Request) -> str | None:
    header = req.header("Authorization") or ""
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return req.query.get("access_token") or None


def _viewer(ctx: EmulatorState, token: str | None) -> int:
    if not token:
        raise graph_error(400, 190, "An access token is required to request this resource.")
    with ctx.store.lock:
        row = ctx.store.db.execute(
            "SELECT user_pk, expires_at FROM graph_tokens WHERE token = ?", (token,)
        ).fetchone()
    if row is None:
        raise graph_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
    if int(row["expires_at"]) <= time.time():
        raise graph_error(
            400, 190, "Error validating access token: Session has expired.", subcode=463
        )
    return int(row["user_pk"])


def _refresh(ctx: EmulatorState, req: Request, token: str | None) -> Response:
    if req.query.get("grant_type") != "ig_refresh_token":
        raise graph_error(400, 100, "Invalid parameter: grant_type must be ig_refresh_token")
    viewer = _viewer(ctx, token)
    with ctx.store.lock:
        issued = ctx.store.db.execute(
            "SELECT issued_at FROM graph_tokens WHERE token = ?", (token,)
        ).fetchone()["issued_at"]
    if time.time() - int(issued) < REFRESH_MIN_AGE:
        raise graph_error(
            400, 100, "The access token is less than 24 hours old and cannot be refreshed yet"
        )
    with ctx.store.transaction() as db:
        new = _issue(db, viewer, TOKEN_SECONDS)
    return Response({"access_token": new, "token_type": "bearer", "expires_in": TOKEN_SECONDS})


def _me(ctx: EmulatorState, viewer: int) -> Response:
    with ctx.store.lock:
        row = ctx.store.db.execute("SELECT username FROM users WHERE pk = ?", (viewer,)).fetchone()
    return Response(
        {"user_id": ig_id(viewer), "username": row["username"], "id": str(9 * 10**15 + viewer)}
    )


def _wanted(req: Request, edge: str = "") -> set[str]:
    """The field names asked for, flattening `messages{from,message}` expansions."""
    text = req.query.get("fields", "")
    if edge:
        match = re.search(rf"{edge}(?:\.limit\(\d+\))?\{{([^}}]*)\}}", text)
        text = match.group(1) if match else text
    text = re.sub(r"\.limit\(\d+\)", "", text)
    return {f.strip() for f in re.split(r"[,{}]", text) if f.strip()}


def _limit(req: Request) -> int:
    value = req.query.get("limit", str(PAGE_SIZE))
    if not value.isdigit() or not 1 <= int(value) <= 100:
        raise graph_error(400, 100, "Invalid parameter: limit must be between 1 and 100")
    return int(value)


def _member(ctx: EmulatorState, thread_id: str, viewer: int, node: str) -> None:
    with ctx.store.lock:
        row = ctx.store.db.execute(
            "SELECT 1 FROM members m JOIN threads t ON t.thread_id = m.thread_id"
            " WHERE m.thread_id = ? AND m.user_pk = ? AND t.is_group = 0",
            (thread_id, viewer),
        ).fetchone()
    if row is None:
        raise graph_error(
            400, 100, f"Object with ID '{node}' does not exist, cannot be loaded", subcode=33
        )


def _partner(ctx: EmulatorState, thread_id: str, viewer: int) -> Any:
    return ctx.store.db.execute(
        "SELECT u.pk, u.username FROM members m JOIN users u ON u.pk = m.user_pk"
        " WHERE m.thread_id = ? AND m.user_pk != ? ORDER BY u.pk LIMIT 1",
        (thread_id, viewer),
    ).fetchone()


def _participants(ctx: EmulatorState, thread_id: str, viewer: int) -> JsonDict:
    with ctx.store.lock:
        owner = ctx.store.db.execute(
            "SELECT username FROM users WHERE pk = ?", (viewer,)
        ).fetchone()
        partner = _partner(ctx, thread_id, viewer)
    people = [{"username": owner["username"], "id": ig_id(viewer)}]
    if partner is not None:
        people.append({"username": partner["username"], "id": igsid(int(partner["pk"]))})
    return {"data": people}


def _page_link(req: Request, after: str) -> str:
    query = {**req.query, "after": after}
    query.pop("access_token", None)
    return f"http://emulator{req.path}?{urllib.parse.urlencode(query)}"


def _cursor(value: str | None) -> tuple[int, str] | None:
    if not value:
        return None
    try:
        stamp, _, key = (
            base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode().partition(":")
        )
        return int(stamp), key
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise graph_error(400, 100, "Invalid parameter: after is not a valid cursor") from None


def _make_cursor(stamp: int, key: str) -> str:
    return base64.urlsafe_b64encode(f"{stamp}:{key}".encode()).decode().rstrip("=")


def _conversations(ctx: EmulatorState, req: Request, viewer: int) -> Response:
    if req.query.get("platform", "instagram") != "instagram":
        raise graph_error(400, 100, "Invalid parameter: platform must be instagram")
    limit = _limit(req)
    wanted = _wanted(req)
    after = _cursor(req.query.get("after"))
    args: list[Any] = [viewer]
    where = ""
    if req.query.get("user_id"):
        pk = _pk_of_igsid(req.query["user_id"])
        where += (
            " AND EXISTS (SELECT 1 FROM members o WHERE o.thread_id = t.thread_id"
            " AND o.user_pk = ?)"
        )
        args.append(pk if pk is not None else -1)
    if after is not None:
        where += " AND (t.last_activity_at < ? OR (t.last_activity_at = ? AND t.thread_id < ?))"
        args += [after[0], after[0], after[1]]
    with ctx.store.lock:
        rows = ctx.store.db.execute(
            "SELECT t.thread_id, t.last_activity_at FROM threads t JOIN members m"
            " ON m.thread_id = t.thread_id AND m.user_pk = ? WHERE t.is_group = 0"
            " AND m.left_thread = 0" + where + " ORDER BY t.last_activity_at DESC,"
            " t.thread_id DESC LIMIT ?",
            (*args, limit + 1),
        ).fetchall()
    data = []
    for row in rows[:limit]:
        entry: JsonDict = {
            "id": conversation_id(row["thread_id"]),
            "updated_time": _iso(int(row["last_activity_at"])),
        }
        if "participants" in wanted:
            entry["participants"] = _participants(ctx, row["thread_id"], viewer)
        if "messages" in wanted:
            entry["messages"] = _messages(ctx, req, row["thread_id"], viewer, {"id"}, limit=1)
        data.append(entry)
    body: JsonDict = {"data": data}
    if rows[:limit]:
        last = rows[min(limit, len(rows)) - 1]
        cursor = _make_cursor(int(last["last_activity_at"]), last["thread_id"])
        body["paging"] = {"cursors": {"after": cursor}}
        if len(rows) > limit:
            body["paging"]["next"] = _page_link(req, cursor)
    return Response(body)


def _conversation(ctx: EmulatorState, req: Request, thread_id: str, viewer: int) -> JsonDict:
    wanted = _wanted(req)
    body: JsonDict = {"id": conversation_id(thread_id)}
    if "participants" in wanted:
        body["participants"] = _participants(ctx, thread_id, viewer)
    if "updated_time" in wanted:
        with ctx.store.lock:
            row = ctx.store.db.execute(
                "SELECT last_activity_at FROM threads WHERE thread_id = ?", (thread_id,)
            ).fetchone()
        body["updated_time"] = _iso(int(row["last_activity_at"]))
    if "messages" in wanted:
        body["messages"] = _messages(ctx, req, thread_id, viewer, _wanted(req, "messages"))
    return body


def _messages(
    ctx: EmulatorState,
    req: Request,
    thread_id: str,
    viewer: int,
    wanted: set[str],
    *,
    limit: int | None = None,
) -> JsonDict:
    """A page of a conversation's messages, newest first: every id, details for the 20 newest."""
    limit = limit or _limit(req)
    after = _cursor(req.query.get("after"))
    args: list[Any] = [thread_id]
    where = ""
    if after is not None:
        where = " AND item_id < ?"
        args.append(after[1])
    with ctx.store.lock:
        newest = [
            r["item_id"]
            for r in ctx.store.db.execute(
                "SELECT item_id FROM items WHERE thread_id = ? ORDER BY item_id DESC LIMIT ?",
                (thread_id, DETAIL_LIMIT),
            )
        ]
        rows = ctx.store.db.execute(
            "SELECT * FROM items WHERE thread_id = ?" + where + " ORDER BY item_id DESC LIMIT ?",
            (*args, limit + 1),
        ).fetchall()
    detailed = set(newest)
    data = [
        _message_json(ctx, row, viewer, wanted if row["item_id"] in detailed else {"id"})
        for row in rows[:limit]
    ]
    body: JsonDict = {"data": data}
    if rows[:limit]:
        last = rows[min(limit, len(rows)) - 1]
        cursor = _make_cursor(int(last["timestamp"]), last["item_id"])
        body["paging"] = {"cursors": {"after": cursor}}
        if len(rows) > limit:
            body["paging"]["next"] = _page_link(req, cursor)
    return body


def _message(ctx: EmulatorState, req: Request, item_id: str, viewer: int) -> JsonDict:
    with ctx.store.lock:
        row = ctx.store.db.execute("SELECT * FROM items WHERE item_id = ?", (item_id,)).fetchone()
        newest = (
            [
                r["item_id"]
                for r in ctx.store.db.execute(
                    "SELECT item_id FROM items WHERE thread_id = ? ORDER BY item_id DESC LIMIT ?",
                    (row["thread_id"], DETAIL_LIMIT),
                )
            ]
            if row is not None
            else []
        )
    if row is None:
        raise graph_error(400, 100, "The message has been deleted or does not exist", subcode=33)
    _member(ctx, row["thread_id"], viewer, message_id(item_id))
    if item_id not in newest:
        raise graph_error(
            400,
            100,
            "The message has been deleted: details are available for the 20 most recent"
            " messages of a conversation only",
            subcode=33,
        )
    wanted = _wanted(req) or {"id", "created_time"}
    return _message_json(ctx, row, viewer, wanted)


def _own_media(ctx: EmulatorState, req: Request, node: str, viewer: int) -> JsonDict | None:
    """An IG Media node of the account's own posts (`id`, and `permalink` when asked), or
    None: another account's post is not readable with this token."""
    if not node.isdigit():
        return None
    ctx.graph_rates.admit(viewer, "conversations")
    with ctx.store.lock:
        row = ctx.store.db.execute("SELECT * FROM media WHERE pk = ?", (node,)).fetchone()
    if row is None or int(row["owner_pk"]) != viewer:
        return None
    body: JsonDict = {"id": str(row["pk"])}
    if "permalink" in _wanted(req):
        body["permalink"] = f"{POST_URL}{row['code']}/"
    return body


def _person(ctx: EmulatorState, pk: int, viewer: int) -> JsonDict:
    with ctx.store.lock:
        row = ctx.store.db.execute("SELECT username FROM users WHERE pk = ?", (pk,)).fetchone()
    name = row["username"] if row is not None else ""
    return {"username": name, "id": ig_id(pk) if pk == viewer else igsid(pk)}


def _message_json(ctx: EmulatorState, row: Any, viewer: int, wanted: set[str]) -> JsonDict:
    body: JsonDict = {"id": message_id(row["item_id"])}
    if "created_time" in wanted or wanted == {"id"}:
        body["created_time"] = _iso(int(row["timestamp"]))
    payload = json.loads(row["payload"])
    sender = int(row["user_id"])
    if "from" in wanted:
        body["from"] = _person(ctx, sender, viewer)
    if "to" in wanted:
        with ctx.store.lock:
            others = [
                int(r["user_pk"])
                for r in ctx.store.db.execute(
                    "SELECT user_pk FROM members WHERE thread_id = ? AND user_pk != ?",
                    (row["thread_id"], sender),
                )
            ]
        body["to"] = {"data": [_person(ctx, pk, viewer) for pk in others]}
    if "message" in wanted:
        text = payload.get("text")
        if row["item_type"] == "link":
            text = (payload.get("link") or {}).get("text", text)
        body["message"] = text or ""
    if "attachments" in wanted and payload.get("graph_attachment"):
        attachment = payload["graph_attachment"]
        body["attachments"] = {"data": [_attachment_json(attachment)]}
    if "shares" in wanted and row["item_type"] == "media_share":
        media = payload.get("media_share") or {}
        body["shares"] = {"data": [{"link": f"{POST_URL}{media.get('code', '')}"}]}
    if "reactions" in wanted and row["reactions"]:
        emojis = json.loads(row["reactions"]).get("emojis", [])
        body["reactions"] = {
            "data": [
                {"reaction": "love", "users": [_person(ctx, int(e["sender_id"]), viewer)]}
                for e in emojis
            ]
        }
    if "is_unsupported" in wanted:
        body["is_unsupported"] = row["item_type"] not in ("text", "link", "media", "media_share")
    return body


def _attachment_json(attachment: JsonDict) -> JsonDict:
    kind = attachment.get("type")
    url = attachment.get("url") or ""
    if kind == "image":
        return {"image_data": {"url": url, "preview_url": url}}
    if kind == "video":
        return {"video_data": {"url": url, "preview_url": url}}
    return {"file_url": url, "mime_type": "audio/mp4" if kind == "audio" else "application/pdf"}


# -- sending ------------------------------------------------------------------------------------


def _recipient(ctx: EmulatorState, form: JsonDict) -> int:
    recipient = form.get("recipient")
    if not isinstance(recipient, dict) or "id" not in recipient:
        raise graph_error(400, 100, "(#100) The parameter recipient is required")
    pk = _pk_of_igsid(recipient["id"])
    with ctx.store.lock:
        row = (
            ctx.store.db.execute("SELECT pk FROM users WHERE pk = ?", (pk,)).fetchone()
            if pk is not None
            else None
        )
    if row is None:
        raise graph_error(400, 100, "No matching user found", subcode=2534014)
    return int(row["pk"])


def _open_thread(ctx: EmulatorState, viewer: int, person: int, tag: str | None) -> str:
    """The 1:1 conversation with `person`, checked against the messaging window."""
    db = ctx.store.db
    row = db.execute(
        "SELECT t.thread_id FROM threads t WHERE t.is_group = 0"
        " AND EXISTS (SELECT 1 FROM members a WHERE a.thread_id = t.thread_id AND a.user_pk = ?)"
        " AND EXISTS (SELECT 1 FROM members b WHERE b.thread_id = t.thread_id AND b.user_pk = ?)",
        (viewer, person),
    ).fetchone()
    last = None
    if row is not None:
        last = db.execute(
            "SELECT MAX(timestamp) AS at FROM items WHERE thread_id = ? AND user_id = ?",
            (row["thread_id"], person),
        ).fetchone()["at"]
    window = HUMAN_AGENT_US if tag == "HUMAN_AGENT" else WINDOW_US
    if last is None or ctx.store.now_us() - int(last) > window:
        raise graph_error(
            403,
            10,
            "This message is sent outside of allowed window.",
            subcode=2534022,
            kind="IGApiException",
        )
    return str(row["thread_id"])


def _send(ctx: EmulatorState, req: Request, viewer: int) -> Response:
    form = req.form
    action = form.get("sender_action")
    person = _recipient(ctx, form)
    if action is not None:
        ctx.graph_rates.admit(viewer, "send")
        return _sender_action(ctx, viewer, person, str(action), form.get("payload"))
    message = form.get("message")
    if not isinstance(message, dict):
        raise graph_error(400, 100, "(#100) The parameter message is required")
    item_type, payload, kind = _message_item(ctx, viewer, message)
    ctx.graph_rates.admit(viewer, "media" if kind in ("video", "audio") else "send")
    with ctx.store.transaction() as db:
        thread_id = _open_thread(ctx, viewer, person, form.get("tag"))
        now = ctx.store.now_us()
        item_id = item_id_for(now)
        db.execute(
            "INSERT INTO items (item_id, thread_id, user_id, timestamp, item_type, payload)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (item_id, thread_id, viewer, now, item_type, compact(payload)),
        )
        db.execute(
            "UPDATE threads SET last_activity_at = ?, last_sender_pk = ? WHERE thread_id = ?",
            (now, viewer, thread_id),
        )
        db.execute(
            "UPDATE members SET pending = 0 WHERE thread_id = ? AND user_pk = ?",
            (thread_id, viewer),
        )
        db.execute(
            "INSERT INTO ledger (item_id, kind, item_type, thread_id, sender_pk, client_context,"
            " fields, upload, timestamp, backend) VALUES (?, ?, ?, ?, ?, NULL, ?, NULL, ?,"
            " 'graph')",
            (item_id, kind, item_type, thread_id, viewer, compact(message), now),
        )
    return Response({"recipient_id": igsid(person), "message_id": message_id(item_id)})


def _message_item(ctx: EmulatorState, viewer: int, message: JsonDict) -> tuple[str, JsonDict, str]:
    """(item_type, payload, ledger kind) of a Send API message."""
    if "text" in message:
        text = message["text"]
        if not isinstance(text, str) or not text:
            raise graph_error(400, 100, "(#100) param message[text] must be a non-empty string")
        if len(text.encode()) > TEXT_BYTES:
            raise graph_error(
                400, 100, f"(#100) param message[text] must be at most {TEXT_BYTES} bytes"
            )
        return "text", {"text": text}, "text"
    attachments = message.get("attachments")
    if attachments is None and isinstance(message.get("attachment"), dict):
        attachments = [message["attachment"]]
    if not isinstance(attachments, list) or not attachments:
        raise graph_error(400, 100, "(#100) message must have text or attachment")
    if len(attachments) > 1:
        raise graph_error(400, 100, "(#100) the emulator takes one attachment per message")
    attachment = attachments[0]
    kind = str(attachment.get("type", ""))
    payload = attachment.get("payload") if isinstance(attachment.get("payload"), dict) else {}
    if kind == "like_heart":
        return "like", {"like": "\u2764\ufe0f"}, "like_heart"
    if kind == "MEDIA_SHARE":
        return _media_share(ctx, viewer, str(payload.get("id", "")))
    if kind not in ATTACHMENT_TYPES:
        raise graph_error(400, 100, f"(#100) Invalid attachment type: {kind!r}")
    resolved = _attachment_payload(ctx, viewer, kind, payload)
    item_type = (
        "media" if kind in ("image", "video") else "voice_media" if kind == "audio" else kind
    )
    body: JsonDict = {"graph_attachment": resolved}
    if kind in ("image", "video"):
        body["media"] = {"media_type": ATTACHMENT_TYPES[kind], "image_versions2": {}}
    return item_type, body, kind


def _attachment_payload(ctx: EmulatorState, viewer: int, kind: str, payload: JsonDict) -> JsonDict:
    if payload.get("attachment_id"):
        with ctx.store.lock:
            row = ctx.store.db.execute(
                "SELECT * FROM graph_attachments WHERE attachment_id = ? AND owner_pk = ?",
                (str(payload["attachment_id"]), viewer),
            ).fetchone()
        if row is None:
            raise graph_error(400, 100, "(#100) Invalid attachment_id", subcode=2018047)
        if row["type"] != kind:
            raise graph_error(
                400, 100, f"(#100) attachment {row['attachment_id']} is a {row['type']}, not {kind}"
            )
        return {"type": kind, "url": row["url"], "attachment_id": row["attachment_id"]}
    url = payload.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise graph_error(400, 100, "(#100) payload.url must be a public http(s) URL")
    return {"type": kind, "url": url}


def _media_share(ctx: EmulatorState, viewer: int, media: str) -> tuple[str, JsonDict, str]:
    with ctx.store.lock:
        row = ctx.store.db.execute(
            "SELECT * FROM media WHERE pk = ? OR id = ?", (media, media)
        ).fetchone()
    if row is None:
        raise graph_error(400, 100, f"(#100) No media with id {media!r}")
    if int(row["owner_pk"]) != viewer:
        raise graph_error(400, 100, "(#100) MEDIA_SHARE takes a post of this account only")
    share = {"id": row["id"], "code": row["code"], "media_type": int(row["media_type"])}
    return "media_share", {"media_share": share}, "media_share"


def _sender_action(
    ctx: EmulatorState, viewer: int, person: int, action: str, payload: Any
) -> Response:
    if action not in ("react", "unreact", "mark_seen", "typing_on", "typing_off"):
        raise graph_error(400, 100, f"(#100) Invalid sender_action: {action!r}")
    with ctx.store.transaction() as db:
        thread_id = _open_thread(ctx, viewer, person, None)
        if action == "mark_seen":
            newest = db.execute(
                "SELECT item_id, timestamp FROM items WHERE thread_id = ? ORDER BY item_id DESC"
                " LIMIT 1",
                (thread_id,),
            ).fetchone()
            db.execute(
                "UPDATE members SET last_seen_at = ?, last_seen_item = ?, marked_unread = 0"
                " WHERE thread_id = ? AND user_pk = ?",
                (newest["timestamp"], newest["item_id"], thread_id, viewer),
            )
        elif action in ("react", "unreact"):
            _react(ctx, viewer, thread_id, action, payload)
        if action in ("react", "unreact", "mark_seen"):
            now = ctx.store.now_us()
            db.execute(
                "INSERT INTO ledger (item_id, kind, item_type, thread_id, sender_pk,"
                " client_context, fields, upload, timestamp, backend)"
                " VALUES (?, ?, 'action', ?, ?, NULL, ?, NULL, ?, 'graph')",
                (item_id_for(now), action, thread_id, viewer, compact(payload or {}), now),
            )
    return Response({"recipient_id": igsid(person)})


def _react(ctx: EmulatorState, viewer: int, thread_id: str, action: str, payload: Any) -> None:
    payload = payload if isinstance(payload, dict) else {}
    item_id = _decode("msg", str(payload.get("message_id", "")))
    db = ctx.store.db
    row = (
        db.execute(
            "SELECT item_id, reactions FROM items WHERE item_id = ? AND thread_id = ?",
            (item_id, thread_id),
        ).fetchone()
        if item_id
        else None
    )
    if row is None:
        raise graph_error(400, 100, "(#100) payload.message_id is not a message of this thread")
    current = json.loads(row["reactions"]) if row["reactions"] else {"likes": [], "emojis": []}
    emojis = [e for e in current.get("emojis", []) if int(e["sender_id"]) != viewer]
    if action == "react":
        reaction = payload.get("reaction", "love")
        emoji = "\u2764\ufe0f" if reaction == "love" else str(reaction)
        emojis.append({"timestamp": ctx.store.now_us(), "sender_id": viewer, "emoji": emoji})
    current["emojis"] = emojis
    db.execute("UPDATE items SET reactions = ? WHERE item_id = ?", (compact(current), item_id))


def _attachment_upload(ctx: EmulatorState, req: Request, viewer: int) -> Response:
    """`message_attachments`: a reusable attachment from a public `payload.url` (any type),
    or from a multipart `filedata` file (audio and video only, within their limits)."""
    message = req.form.get("message")
    attachment = message.get("attachment") if isinstance(message, dict) else None
    if not isinstance(attachment, dict):
        raise graph_error(400, 100, "(#100) The parameter message.attachment is required")
    kind = str(attachment.get("type", ""))
    if kind not in ATTACHMENT_TYPES:
        raise graph_error(400, 100, f"(#100) Invalid attachment type: {kind!r}")
    payload = attachment.get("payload") if isinstance(attachment.get("payload"), dict) else {}
    attachment_id = str(10**15 + ctx.store.now_us() % 10**15)
    size = content_type = None
    if "filedata" in req.form:
        size, content_type = _uploaded_file(kind, req.form["filedata"], payload)
        url = f"https://lookaside.emulator.invalid/graph/attachments/{attachment_id}"
    else:
        url = _attachment_payload(ctx, viewer, kind, {"url": payload.get("url")})["url"]
    with ctx.store.transaction() as db:
        db.execute(
            "INSERT INTO graph_attachments (attachment_id, owner_pk, type, url, bytes,"
            " content_type) VALUES (?, ?, ?, ?, ?, ?)",
            (attachment_id, viewer, kind, url, size, content_type),
        )
    return Response({"attachment_id": attachment_id})


def _uploaded_file(kind: str, filedata: Any, payload: JsonDict) -> tuple[int, str]:
    """(size, content type) of a `filedata` upload, checked against official-api.md §2."""
    if not isinstance(filedata, dict):
        raise graph_error(400, 100, "(#100) filedata must be a file part")
    if payload.get("url"):
        raise graph_error(400, 100, "(#100) give either payload.url or filedata, not both")
    if kind not in FILE_UPLOAD_TYPES:
        raise graph_error(
            400, 100, f"(#100) a {kind} attachment is uploaded by payload.url only, not a file"
        )
    content_type = str(filedata.get("content_type", ""))
    if content_type not in FILE_UPLOAD_TYPES[kind]:
        raise graph_error(
            400, 100, f"(#100) {content_type!r} is not a supported {kind} type", subcode=2018047
        )
    size = int(filedata.get("size", 0))
    if size == 0:
        raise graph_error(400, 100, "(#100) filedata is empty")
    if size > MAX_BYTES[kind]:
        raise graph_error(
            400, 100, f"(#100) the {kind} is {size} bytes; at most {MAX_BYTES[kind]} are taken"
        )
    return size, content_type


def decode_body(form: JsonDict) -> JsonDict:
    """A Send API body as JSON, or as a form whose object fields are JSON strings."""
    decoded = dict(form)
    for name in ("recipient", "message", "payload"):
        value = decoded.get(name)
        if isinstance(value, str) and value.lstrip().startswith("{"):
            try:
                decoded[name] = json.loads(value)
            except ValueError:
                raise graph_error(400, 100, f"(#100) param {name} is not valid JSON") from None
    return decoded
