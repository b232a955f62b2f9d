"""Inbox, pending inbox, threads and thread actions (§3 to §5, §8), and the user directory.

Everything is the logged-in viewer's view: `users` on a thread lists the OTHER participants,
per-member state (pending, hidden, muted, flagged, last seen) lives on the membership row.
Inbox cursors are opaque (urlsafe base64 of `last_activity_at:thread_id`, a keyset position);
item cursors are item ids, whose order is their time order.
"""

from __future__ import annotations

import base64
import binascii
import re
import sqlite3

from airflow_provider_dm.emulator import fields
from airflow_provider_dm.emulator.shapes import (
    compact,
    item_json,
    media_json,
    user_full,
    user_short,
)
from airflow_provider_dm.emulator.state import EmulatorState
from airflow_provider_dm.emulator.wire import (
    ApiError,
    JsonDict,
    Request,
    Response,
    bad_request,
    ok,
)

MAX_LIMIT = 100
ITEM_CURSOR = re.compile(r"^\d{35}$")
INBOX_CURSOR = re.compile(r"^(\d{1,20}):(\d{1,45})$")

MEMBER_COLUMNS = (
    "t.*, m.pending, m.hidden, m.muted, m.flagged, m.marked_unread, m.last_seen_at, m.left_thread"
)
UNREAD = (
    "(m.marked_unread = 1 OR (t.last_sender_pk IS NOT NULL AND t.last_sender_pk != m.user_pk"
    " AND t.last_activity_at > m.last_seen_at))"
)


# -- threads as the viewer sees them ----------------------------------------------------------


def member_thread(ctx: EmulatorState, thread_id: str, viewer: int) -> sqlite3.Row:
    """The thread joined with the viewer's membership, or 404 if the viewer is not in it."""
    row = ctx.store.db.execute(
        f"SELECT {MEMBER_COLUMNS} FROM threads t JOIN members m ON m.thread_id = t.thread_id"
        " WHERE t.thread_id = ? AND m.user_pk = ? AND m.left_thread = 0",
        (thread_id, viewer),
    ).fetchone()
    if row is None:
        raise ApiError(404, "Thread not found")
    return row


def thread_json(
    ctx: EmulatorState, row: sqlite3.Row, viewer: int, *, limit: int, before: str | None = None
) -> JsonDict:
    """A thread (§4.2) with at most `limit` items older than the `before` cursor."""
    db = ctx.store.db
    thread_id = row["thread_id"]
    if before:
        cursor = db.execute(
            "SELECT * FROM items WHERE thread_id = ? AND item_id < ? ORDER BY item_id DESC LIMIT ?",
            (thread_id, before, limit + 1),
        )
    else:
        cursor = db.execute(
            "SELECT * FROM items WHERE thread_id = ? ORDER BY item_id DESC LIMIT ?",
            (thread_id, limit + 1),
        )
    rows = cursor.fetchall()
    has_older = len(rows) > limit
    items = [item_json(r, viewer) for r in rows[:limit]]
    members = db.execute(
        "SELECT u.*, m.left_thread, m.last_seen_at, m.last_seen_item FROM members m"
        " JOIN users u ON u.pk = m.user_pk WHERE m.thread_id = ? ORDER BY m.rowid",
        (thread_id,),
    ).fetchall()
    followed = {
        r[0]
        for r in db.execute(
            "SELECT followee_pk FROM follows f JOIN members m ON m.user_pk = f.followee_pk"
            " WHERE f.follower_pk = ? AND m.thread_id = ?",
            (viewer, thread_id),
        )
    }
    others = [
        following(user_short(u), u["pk"] in followed)
        for u in members
        if u["pk"] != viewer and not u["left_thread"]
    ]
    left = [user_short(u) for u in members if u["left_thread"]]
    creator = next((u for u in members if u["pk"] == row["creator_pk"]), None)
    is_group = bool(row["is_group"])
    title = row["title"] or ", ".join(u["username"] for u in others) or "(nobody)"
    last_seen = {
        str(u["pk"]): {
            "timestamp": str(u["last_seen_at"]),
            "item_id": u["last_seen_item"],
            "created_at": str(u["last_seen_at"]),
            "shh_seen_state": {},
        }
        for u in members
        if u["last_seen_item"]
    }
    unread = bool(row["marked_unread"]) or (
        row["last_sender_pk"] is not None
        and row["last_sender_pk"] != viewer
        and row["last_activity_at"] > row["last_seen_at"]
    )
    oldest = items[-1]["item_id"] if items and has_older else None
    newest = items[0]["item_id"] if items else None
    newest_row = rows[0] if rows and not before else None
    return {
        "thread_id": thread_id,
        "thread_v2_id": row["thread_v2_id"],
        "users": others,
        "left_users": left,
        "admin_user_ids": [row["creator_pk"]] if is_group else [],
        "items": items,
        "last_activity_at": row["last_activity_at"],
        "muted": bool(row["muted"]),
        "is_pin": False,
        "named": bool(row["title"]),
        "canonical": not is_group,
        "pending": bool(row["pending"]),
        "archived": False,
        "valued_request": False,
        "thread_type": "group" if is_group else "private",
        "viewer_id": viewer,
        "thread_title": title,
        "folder": 0,
        "vc_muted": False,
        "is_group": is_group,
        "mentions_muted": False,
        "approval_required_for_new_members": False,
        "input_mode": 0,
        "business_thread_folder": 0,
        "read_state": int(unread),
        "marked_as_unread": bool(row["marked_unread"]),
        "is_spam": bool(row["hidden"]) and bool(row["pending"]),
        "is_close_friend_thread": False,
        "shh_mode_enabled": False,
        "pending_score": 0,
        "assigned_admin_id": 0,
        "last_non_sender_item_at": row["last_activity_at"],
        "inviter": user_short(creator) if creator is not None else None,
        "has_older": has_older,
        "has_newer": bool(before),
        "oldest_cursor": oldest,
        "newest_cursor": newest,
        "prev_cursor": newest,
        "next_cursor": oldest,
        "last_seen_at": last_seen,
        "last_permanent_item": item_json(newest_row, viewer) if newest_row is not None else None,
        "flagged": bool(row["flagged"]),
    }


def following(user: JsonDict, followed: bool) -> JsonDict:
    """`user` with `friendship_status.following` telling whether the viewer follows them."""
    user["friendship_status"]["following"] = followed
    return user


def unseen_count(ctx: EmulatorState, viewer: int) -> int:
    """How many of the viewer's inbox threads are unread; memoised until the data changes,
    since it scans every membership of the viewer."""

    def count() -> int:
        return ctx.store.db.execute(
            "SELECT count(*) FROM members m JOIN threads t ON t.thread_id = m.thread_id"
            " WHERE m.user_pk = ? AND m.left_thread = 0 AND m.hidden = 0 AND m.pending = 0"
            f" AND {UNREAD}",
            (viewer,),
        ).fetchone()[0]

    return ctx.store.memo(("unseen_count", viewer), count)


def find_thread(ctx: EmulatorState, members: set[int]) -> str | None:
    """The thread whose active members are exactly `members`, newest first, if any."""
    marks = ",".join("?" * len(members))
    row = ctx.store.db.execute(
        "SELECT m.thread_id FROM members m JOIN threads t ON t.thread_id = m.thread_id"
        " WHERE m.left_thread = 0 AND m.thread_id IN"
        " (SELECT thread_id FROM members WHERE user_pk = ? AND left_thread = 0)"
        " GROUP BY m.thread_id"
        f" HAVING count(*) = ? AND sum(m.user_pk IN ({marks})) = ?"
        " ORDER BY max(t.last_activity_at) DESC LIMIT 1",
        (next(iter(members)), len(members), *members, len(members)),
    ).fetchone()
    return row["thread_id"] if row else None


def create_thread(
    ctx: EmulatorState, creator: int, others: list[int], title: str | None = None
) -> str:
    """A new thread; recipients who only accept requests get it in their pending inbox."""
    db = ctx.store.db
    thread_id, v2 = ctx.store.new_thread_ids()
    db.execute(
        "INSERT INTO threads (thread_id, thread_v2_id, title, is_group, creator_pk,"
        " last_activity_at) VALUES (?, ?, ?, ?, ?, ?)",
        (thread_id, v2, title, int(len(others) > 1), creator, ctx.store.now_us()),
    )
    db.execute("INSERT INTO members (thread_id, user_pk) VALUES (?, ?)", (thread_id, creator))
    db.executemany(
        "INSERT INTO members (thread_id, user_pk, pending) SELECT ?, pk, new_threads_pending"
        " FROM users WHERE pk = ?",
        [(thread_id, pk) for pk in others],
    )
    return thread_id


def known_users(ctx: EmulatorState, pks: list[str], field: str) -> list[int]:
    """The given user ids as ints, each of which must exist (else 400 naming `field`)."""
    result = []
    for pk in pks:
        if ctx.store.db.execute("SELECT 1 FROM users WHERE pk = ?", (int(pk),)).fetchone() is None:
            raise bad_request(f"Invalid {field}: unknown user {pk}")
        result.append(int(pk))
    return result


# -- inbox ------------------------------------------------------------------------------------


def _decode_inbox_cursor(cursor: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ApiError(400, "Invalid cursor") from None
    match = INBOX_CURSOR.match(raw)
    if not match:
        raise ApiError(400, "Invalid cursor")
    return int(match.group(1)), match.group(2)


def _encode_inbox_cursor(row: sqlite3.Row) -> str:
    raw = f"{row['last_activity_at']}:{row['thread_id']}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _box(ctx: EmulatorState, req: Request, box: str) -> Response:
    assert req.viewer is not None
    viewer = req.viewer
    db = ctx.store.db
    limit = fields.integer(req.query, "limit", 20, low=1, high=MAX_LIMIT)
    per_thread = fields.integer(req.query, "thread_message_limit", 10, low=0, high=MAX_LIMIT)
    where = ["m.user_pk = ?", "m.left_thread = 0"]
    args: list[object] = [viewer]
    if box == "spam":
        where.append("m.hidden = 1")
    else:
        where += ["m.hidden = 0", "m.pending = ?"]
        args.append(int(box == "pending"))
    selected = req.query.get("selected_filter") or ""
    if selected == "unread":
        where.append(UNREAD)
    elif selected == "flagged":
        where.append("m.flagged = 1")
    elif selected:
        raise bad_request(f"Invalid selected_filter: {selected!r} (use unread or flagged)")
    cursor = req.query.get("cursor")
    if cursor:
        direction = req.query.get("direction", "older")
        if direction != "older":
            raise bad_request(f"Invalid direction: {direction!r} (only older is supported)")
        at, thread_id = _decode_inbox_cursor(cursor)
        where.append("(t.last_activity_at, t.thread_id) < (?, ?)")
        args += [at, thread_id]
    # CROSS JOIN keeps threads outside: they are walked newest first on threads_by_activity
    # from the cursor on, each membership found by its primary key, until the page is full
    # (members first would read every membership of the viewer and sort them, per page).
    rows = db.execute(
        f"SELECT {MEMBER_COLUMNS} FROM threads t CROSS JOIN members m"
        f" ON m.thread_id = t.thread_id WHERE {' AND '.join(where)}"
        " ORDER BY t.last_activity_at DESC, t.thread_id DESC LIMIT ?",
        (*args, limit + 1),
    ).fetchall()
    has_older = len(rows) > limit
    page = rows[:limit]
    threads = [thread_json(ctx, r, viewer, limit=per_thread) for r in page]
    unseen = unseen_count(ctx, viewer)
    pending_rows = db.execute(
        "SELECT t.creator_pk FROM members m JOIN threads t ON t.thread_id = m.thread_id"
        " WHERE m.user_pk = ? AND m.pending = 1 AND m.hidden = 0 AND m.left_thread = 0"
        " ORDER BY t.last_activity_at DESC",
        (viewer,),
    ).fetchall()
    inviter = None
    if pending_rows:
        inviter_row = db.execute(
            "SELECT * FROM users WHERE pk = ?", (pending_rows[0]["creator_pk"],)
        ).fetchone()
        inviter = user_short(inviter_row)
    viewer_row = db.execute("SELECT * FROM users WHERE pk = ?", (viewer,)).fetchone()
    now_ms = ctx.store.now_us() // 1000
    oldest = _encode_inbox_cursor(page[-1]) if has_older and page else None
    position = {"cursor_timestamp_seconds": 0, "cursor_thread_v2_id": 0}
    if page:
        position = {
            "cursor_timestamp_seconds": page[-1]["last_activity_at"] // 1_000_000,
            "cursor_thread_v2_id": int(page[-1]["thread_v2_id"]),
        }
    return ok(
        viewer=user_short(viewer_row),
        inbox={
            "threads": threads,
            "has_older": has_older,
            "unseen_count": unseen,
            "unseen_count_ts": now_ms,
            "oldest_cursor": oldest,
            "prev_cursor": position,
            "next_cursor": position,
            "blended_inbox_enabled": False,
        },
        seq_id=int(ctx.store.get_meta("thread_counter", "0") or 0),
        snapshot_at_ms=now_ms,
        pending_requests_total=len(pending_rows),
        has_pending_top_requests=bool(pending_rows),
        most_recent_inviter=inviter,
    )


def handle_inbox(ctx: EmulatorState, req: Request) -> Response:
    """`direct_v2/inbox/`: the viewer's accepted threads, newest activity first."""
    return _box(ctx, req, "inbox")


def handle_pending_inbox(ctx: EmulatorState, req: Request) -> Response:
    """`direct_v2/pending_inbox/`: message requests waiting for the viewer."""
    return _box(ctx, req, "pending")


def handle_spam_inbox(ctx: EmulatorState, req: Request) -> Response:
    """`direct_v2/spam_inbox/`: threads the viewer hid."""
    return _box(ctx, req, "spam")


def handle_pending_preview(ctx: EmulatorState, req: Request) -> Response:
    """`direct_v2/async_get_pending_requests_preview/`: the pending counter."""
    total = ctx.store.db.execute(
        "SELECT count(*) FROM members WHERE user_pk = ? AND pending = 1 AND hidden = 0"
        " AND left_thread = 0",
        (req.viewer,),
    ).fetchone()[0]
    return ok(pending_requests_total=total, unread_pending_requests=total)


# -- one thread -------------------------------------------------------------------------------


def handle_thread(ctx: EmulatorState, req: Request) -> Response:
    """`direct_v2/threads/{id}/`: items newest first, paged by `cursor` + `direction=older`."""
    assert req.viewer is not None
    row = member_thread(ctx, req.params["thread_id"], req.viewer)
    limit = fields.integer(req.query, "limit", 20, low=1, high=MAX_LIMIT)
    cursor = req.query.get("cursor") or None
    if cursor is not None:
        if not ITEM_CURSOR.match(cursor):
            raise ApiError(400, "Invalid cursor")
        direction = req.query.get("direction", "older")
        if direction != "older":
            raise bad_request(f"Invalid direction: {direction!r} (only older is supported)")
    return ok(thread=thread_json(ctx, row, req.viewer, limit=limit, before=cursor))


def handle_by_participants(ctx: EmulatorState, req: Request) -> Response:
    """`direct_v2/threads/get_by_participants/`: the thread with exactly these people, if any."""
    assert req.viewer is not None
    pks = known_users(ctx, fields.id_list(req.query, "recipient_users"), "recipient_users")
    if not pks:
        raise bad_request("Missing field: recipient_users")
    thread_id = find_thread(ctx, {req.viewer, *pks})
    if thread_id is None:
        return ok()
    thread = thread_json(ctx, member_thread(ctx, thread_id, req.viewer), req.viewer, limit=20)
    return ok(thread=thread, users=thread["users"])


def handle_create_group(ctx: EmulatorState, req: Request) -> Response:
    """`direct_v2/create_group_thread/`: a new thread (one recipient: their existing 1:1)."""
    assert req.viewer is not None
    pks = [p for p in fields.id_list(req.form, "recipient_users") if int(p) != req.viewer]
    others = known_users(ctx, pks, "recipient_users")
    if not others:
        raise bad_request("Invalid recipient_users: at least one other user is needed")
    title = fields.text(req.form, "thread_title", required=False)
    thread_id = None
    if len(others) == 1:
        thread_id = find_thread(ctx, {req.viewer, *others})
    if thread_id is None:
        thread_id = create_thread(ctx, req.viewer, others, title)
        record_action(ctx, "create_group", thread_id, req.viewer, user_ids=others, title=title)
    thread = thread_json(ctx, member_thread(ctx, thread_id, req.viewer), req.viewer, limit=20)
    return Response({**thread, "thread": thread, "status": "ok"})


# -- thread actions ---------------------------------------------------------------------------


def record_action(
    ctx: EmulatorState,
    action: str,
    thread_id: str,
    user_pk: int,
    item_id: str | None = None,
    **detail: object,
) -> None:
    """Add one thread action to the ledger's `actions` (who did what to which thread)."""
    ctx.store.db.execute(
        "INSERT INTO actions (action, thread_id, user_pk, item_id, detail, timestamp)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (action, thread_id, user_pk, item_id, compact(detail), ctx.store.now_us()),
    )


def _set_member(ctx: EmulatorState, thread_id: str, viewer: int, assignment: str) -> None:
    ctx.store.db.execute(
        f"UPDATE members SET {assignment} WHERE thread_id = ? AND user_pk = ?",
        (thread_id, viewer),
    )


def _action(name: str, assignment: str):
    def handler(ctx: EmulatorState, req: Request) -> Response:
        assert req.viewer is not None
        member_thread(ctx, req.params["thread_id"], req.viewer)
        _set_member(ctx, req.params["thread_id"], req.viewer, assignment)
        record_action(ctx, name, req.params["thread_id"], req.viewer)
        return ok()

    handler.__doc__ = f"`{name}`: sets `{assignment}` on the viewer's membership."
    return handler


APPROVE = "pending = 0, hidden = 0"
DECLINE = "hidden = 1"
handle_approve = _action("approve", APPROVE)
handle_decline = _action("decline", DECLINE)
handle_hide = _action("hide", "hidden = 1")
handle_mute = _action("mute", "muted = 1")
handle_unmute = _action("unmute", "muted = 0")
handle_mark_unread = _action("mark_unread", "marked_unread = 1")
handle_leave = _action("leave", "left_thread = 1")


def _each_thread(ctx: EmulatorState, req: Request, name: str, assignment: str) -> Response:
    assert req.viewer is not None
    ids = fields.id_list(req.form, "thread_ids")
    if not ids:
        raise bad_request("Missing field: thread_ids")
    for thread_id in ids:
        member_thread(ctx, thread_id, req.viewer)
    for thread_id in ids:
        _set_member(ctx, thread_id, req.viewer, assignment)
        record_action(ctx, name, thread_id, req.viewer)
    return ok()


def handle_approve_multiple(ctx: EmulatorState, req: Request) -> Response:
    """`direct_v2/threads/approve_multiple/`: approve each of `thread_ids`."""
    return _each_thread(ctx, req, "approve", APPROVE)


def handle_decline_multiple(ctx: EmulatorState, req: Request) -> Response:
    """`direct_v2/threads/decline_multiple/`: decline each of `thread_ids`."""
    return _each_thread(ctx, req, "decline", DECLINE)


def handle_decline_all(ctx: EmulatorState, req: Request) -> Response:
    """`direct_v2/threads/decline_all/`: decline every pending request."""
    assert req.viewer is not None
    rows = ctx.store.db.execute(
        "SELECT thread_id FROM members WHERE user_pk = ? AND pending = 1 AND hidden = 0"
        " AND left_thread = 0",
        (req.viewer,),
    ).fetchall()
    for row in rows:
        _set_member(ctx, row["thread_id"], req.viewer, DECLINE)
        record_action(ctx, "decline", row["thread_id"], req.viewer)
    return ok()


def _item(ctx: EmulatorState, thread_id: str, item_id: str) -> sqlite3.Row:
    row = ctx.store.db.execute(
        "SELECT * FROM items WHERE thread_id = ? AND item_id = ?", (thread_id, item_id)
    ).fetchone()
    if row is None:
        raise ApiError(404, "Item not found")
    return row


def handle_seen(ctx: EmulatorState, req: Request) -> Response:
    """`threads/{tid}/items/{item_id}/seen/`: move the viewer's last-seen mark to that item."""
    assert req.viewer is not None
    thread_id = req.params["thread_id"]
    member_thread(ctx, thread_id, req.viewer)
    item = _item(ctx, thread_id, req.params["item_id"])
    ctx.store.db.execute(
        "UPDATE members SET last_seen_at = max(last_seen_at, ?), marked_unread = 0,"
        " last_seen_item = CASE WHEN last_seen_at <= ? THEN ? ELSE last_seen_item END"
        " WHERE thread_id = ? AND user_pk = ?",
        (item["timestamp"], item["timestamp"], item["item_id"], thread_id, req.viewer),
    )
    record_action(ctx, "seen", thread_id, req.viewer, item["item_id"])
    unseen = unseen_count(ctx, req.viewer)
    return ok(unseen_count=unseen, unseen_count_ts=ctx.store.now_us() // 1000)


def handle_delete_item(ctx: EmulatorState, req: Request) -> Response:
    """`threads/{tid}/items/{item_id}/delete/`: unsend one of the viewer's own items."""
    assert req.viewer is not None
    thread_id = req.params["thread_id"]
    member_thread(ctx, thread_id, req.viewer)
    item = _item(ctx, thread_id, req.params["item_id"])
    if item["user_id"] != req.viewer:
        raise bad_request("Invalid item_id: only your own items can be deleted")
    ctx.store.db.execute("DELETE FROM items WHERE item_id = ?", (item["item_id"],))
    record_action(ctx, "delete", thread_id, req.viewer, item["item_id"])
    return ok()


def handle_update_title(ctx: EmulatorState, req: Request) -> Response:
    """`threads/{tid}/update_title/`: rename a group."""
    assert req.viewer is not None
    thread_id = req.params["thread_id"]
    member_thread(ctx, thread_id, req.viewer)
    title = fields.text(req.form, "title")
    ctx.store.db.execute("UPDATE threads SET title = ? WHERE thread_id = ?", (title, thread_id))
    record_action(ctx, "update_title", thread_id, req.viewer, title=title)
    row = member_thread(ctx, thread_id, req.viewer)
    return ok(thread=thread_json(ctx, row, req.viewer, limit=20))


def handle_add_user(ctx: EmulatorState, req: Request) -> Response:
    """`threads/{tid}/add_user/`: add `user_ids` to a thread (it becomes a group)."""
    assert req.viewer is not None
    thread_id = req.params["thread_id"]
    member_thread(ctx, thread_id, req.viewer)
    pks = known_users(ctx, fields.id_list(req.form, "user_ids"), "user_ids")
    if not pks:
        raise bad_request("Missing field: user_ids")
    ctx.store.db.executemany(
        "INSERT INTO members (thread_id, user_pk) VALUES (?, ?)"
        " ON CONFLICT (thread_id, user_pk) DO UPDATE SET left_thread = 0",
        [(thread_id, pk) for pk in pks],
    )
    ctx.store.db.execute("UPDATE threads SET is_group = 1 WHERE thread_id = ?", (thread_id,))
    record_action(ctx, "add_user", thread_id, req.viewer, user_ids=pks)
    row = member_thread(ctx, thread_id, req.viewer)
    return ok(thread=thread_json(ctx, row, req.viewer, limit=20))


# -- directory --------------------------------------------------------------------------------


def handle_usernameinfo(ctx: EmulatorState, req: Request) -> Response:
    """`users/{username}/usernameinfo/`: exact username → user, else 404."""
    row = ctx.store.db.execute(
        "SELECT * FROM users WHERE username = ?", (req.params["username"].lower(),)
    ).fetchone()
    if row is None:
        raise ApiError(404, "User not found")
    return ok(user=user_full(row))


def handle_user_info(ctx: EmulatorState, req: Request) -> Response:
    """`users/{pk}/info/`: pk → user, else 404."""
    row = ctx.store.db.execute(
        "SELECT * FROM users WHERE pk = ?", (int(req.params["pk"]),)
    ).fetchone()
    if row is None:
        raise ApiError(404, "User not found")
    return ok(user=user_full(row))


def handle_search(ctx: EmulatorState, req: Request) -> Response:
    """`users/search/`: `q` or `query` against usernames and full names."""
    query = (req.query.get("q") or req.query.get("query") or "").strip().lower()
    if not query:
        raise bad_request("Missing field: q")
    count = fields.integer(req.query, "count", 30, low=1, high=MAX_LIMIT)
    like = f"%{query}%"
    rows = ctx.store.db.execute(
        "SELECT * FROM users WHERE lower(username) LIKE ? OR lower(full_name) LIKE ?"
        " ORDER BY username != ?, username LIMIT ?",
        (like, like, query, count + 1),
    ).fetchall()
    users = [user_short(r) for r in rows[:count]]
    return ok(users=users, num_results=len(users), has_more=len(rows) > count)


def handle_ranked_recipients(ctx: EmulatorState, req: Request) -> Response:
    """`direct_v2/ranked_recipients/`: the viewer's recent partners matching `query`."""
    query = f"%{(req.query.get('query') or '').lower()}%"
    rows = ctx.store.db.execute(
        "SELECT DISTINCT u.* FROM members me JOIN members m ON m.thread_id = me.thread_id"
        " JOIN users u ON u.pk = m.user_pk WHERE me.user_pk = ? AND m.user_pk != ?"
        " AND lower(u.username) LIKE ? LIMIT 50",
        (req.viewer, req.viewer, query),
    ).fetchall()
    return ok(
        ranked_recipients=[{"user": user_short(r)} for r in rows],
        expires=3600,
        filtered=False,
        rank_token="0",
    )


def handle_user_feed(ctx: EmulatorState, req: Request) -> Response:
    """`feed/user/{user_id}/`: a user's posts, newest first (media ids to share)."""
    owner = ctx.store.db.execute(
        "SELECT * FROM users WHERE pk = ?", (int(req.params["user_id"]),)
    ).fetchone()
    if owner is None:
        raise ApiError(404, "User not found")
    rows = ctx.store.db.execute(
        "SELECT * FROM media WHERE owner_pk = ? ORDER BY taken_at DESC, pk DESC", (owner["pk"],)
    ).fetchall()
    items = [media_json(r, owner) for r in rows]
    return ok(items=items, num_results=len(items), more_available=False, next_max_id=None)
