"""The admin API under `/__emulator/`: ledger (items and thread actions), request log, faults
(rules, random, counts), send limits, reset, seed, incoming items and message requests.

Admin requests are neither logged nor subject to faults. A reset wipes everything, sessions
included, so a client must log in again afterwards.
"""

from __future__ import annotations

import json
import math

from airflow_provider_dm.emulator import fields
from airflow_provider_dm.emulator.inbox import create_thread, member_thread
from airflow_provider_dm.emulator.seed import apply_seed, check_seed, describe_seed
from airflow_provider_dm.emulator.shapes import compact, item_json
from airflow_provider_dm.emulator.state import EmulatorState
from airflow_provider_dm.emulator.store import item_id_for
from airflow_provider_dm.emulator.wire import Request, Response, bad_request, ok

REDACTED = "***"


def handle_ledger(ctx: EmulatorState, req: Request) -> Response:
    """`GET ledger`: every accepted item, oldest first, and every thread action (`actions`:
    seen, delete, approve, decline, hide, mute, leave, update_title, add_user, ...)."""
    with ctx.store.lock:
        rows = ctx.store.db.execute("SELECT * FROM ledger ORDER BY seq").fetchall()
        action_rows = ctx.store.db.execute("SELECT * FROM actions ORDER BY seq").fetchall()
    actions = [
        {
            "action": r["action"],
            "thread_id": r["thread_id"],
            "user_pk": r["user_pk"],
            "item_id": r["item_id"],
            "detail": json.loads(r["detail"]),
            "timestamp": r["timestamp"],
        }
        for r in action_rows
    ]
    items = [
        {
            "item_id": r["item_id"],
            "kind": r["kind"],
            "item_type": r["item_type"],
            "thread_id": r["thread_id"],
            "sender_pk": r["sender_pk"],
            "client_context": r["client_context"],
            "fields": json.loads(r["fields"]),
            "upload": json.loads(r["upload"]) if r["upload"] else None,
            "timestamp": r["timestamp"],
            "backend": r["backend"],
        }
        for r in rows
    ]
    return ok(items=items, actions=actions)


def handle_requests(ctx: EmulatorState, req: Request) -> Response:
    """`GET requests`: the request log, oldest first, secrets already redacted."""
    ctx.store.flush_log()
    with ctx.store.lock:
        rows = ctx.store.db.execute("SELECT * FROM request_log ORDER BY seq").fetchall()
    log = [
        {
            "method": r["method"],
            "path": r["path"],
            "query": json.loads(r["query"]),
            "headers": json.loads(r["headers"]),
            "form": json.loads(r["form"]),
            "status": r["status"],
            "at": r["at"],
        }
        for r in rows
    ]
    return ok(requests=log)


def handle_faults(ctx: EmulatorState, req: Request) -> Response:
    """`POST faults` adds a rule, `GET` lists them, `DELETE` clears them."""
    if req.method == "DELETE":
        ctx.faults.clear()
    elif req.method == "POST":
        ctx.faults.add(req.form)
    return ok(faults=ctx.faults.list())


def handle_random_faults(ctx: EmulatorState, req: Request) -> Response:
    """`POST faults/random` (JSON `{seed, rate, actions?, methods?, paths?, seconds?,
    retry_after?}`) turns random faults on, `DELETE` off, `GET` shows them (null when off)."""
    if req.method == "DELETE":
        ctx.faults.set_random(None)
    elif req.method == "POST":
        ctx.faults.set_random(req.form)
    current = ctx.faults.random
    return ok(random=current.to_json() if current is not None else None)


def handle_fired_faults(ctx: EmulatorState, req: Request) -> Response:
    """`GET faults/fired`: how many faults fired since the last reset, by kind (action)."""
    counts = ctx.faults.counts()
    return ok(fired=counts, total=sum(counts.values()))


def handle_limits(ctx: EmulatorState, req: Request) -> Response:
    """`POST limits` (JSON `{username, max_sends, window_s}`) sets one account's send limit,
    `GET` lists them with their counts, `DELETE` clears all or one (`username` in body or query)."""
    if req.method == "POST":
        user_pk, username = _account(ctx, req.form.get("username"))
        max_sends = req.form.get("max_sends")
        if not isinstance(max_sends, int) or isinstance(max_sends, bool) or max_sends < 1:
            raise bad_request("Invalid max_sends: a positive integer is needed")
        window_s = req.form.get("window_s")
        if (
            not isinstance(window_s, (int, float))
            or isinstance(window_s, bool)
            or not math.isfinite(window_s)
            or window_s <= 0
        ):
            raise bad_request("Invalid window_s: a positive number of seconds is needed")
        ctx.limits.set(user_pk, username, max_sends, float(window_s))
    elif req.method == "DELETE":
        if "username" in req.form or "username" in req.query:
            username = req.form.get("username", req.query.get("username"))
            ctx.limits.clear(_account(ctx, username)[0])
        else:
            ctx.limits.clear()
    return ok(limits=ctx.limits.list())


def _account(ctx: EmulatorState, username: object) -> tuple[int, str]:
    """(pk, username) of an existing account; a missing or unknown one is a 400."""
    if username is None or username == "":
        raise bad_request("Missing field: username")
    if not isinstance(username, str):
        raise bad_request("Invalid username: a string is needed")
    with ctx.store.lock:
        row = ctx.store.db.execute(
            "SELECT pk, username FROM users WHERE username = ?", (username.lower(),)
        ).fetchone()
    if row is None:
        raise bad_request(f"Invalid username: no account {username!r}")
    return int(row["pk"]), row["username"]


def handle_reset(ctx: EmulatorState, req: Request) -> Response:
    """`POST reset` (JSON `{"seed": ...}` optional): wipe everything and seed again; faults
    and limits are cleared and dedupe is on again."""
    seed = req.form.get("seed") or ctx.seed
    try:
        check_seed(str(seed))
    except ValueError as exc:
        raise bad_request(f"Invalid seed: {exc}") from None
    ctx.faults.reset()
    ctx.limits.clear()
    ctx.dedupe = True
    ctx.graph_rates.reset()
    with ctx.store.lock:
        apply_seed(ctx.store, str(seed))
        ctx.seed = str(seed)
    return ok(seed=ctx.seed)


def handle_seed(ctx: EmulatorState, req: Request) -> Response:
    """`GET seed`: what the current seed created."""
    with ctx.store.lock:
        return ok(**describe_seed(ctx.store))


def handle_config(ctx: EmulatorState, req: Request) -> Response:
    """`POST config` (JSON `{"transcode_polls": K, "dedupe": bool}`): change settings at run
    time; `GET` shows them. `dedupe: false` makes a repeated `client_context` add the item again,
    as a service that does not dedupe would (a reset turns it back on)."""
    if "transcode_polls" in req.form:
        value = req.form["transcode_polls"]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise bad_request("Invalid transcode_polls: a non-negative integer is needed")
        ctx.transcode_polls = value
    if "dedupe" in req.form:
        if not isinstance(req.form["dedupe"], bool):
            raise bad_request("Invalid dedupe: true or false is needed")
        ctx.dedupe = req.form["dedupe"]
    return ok(transcode_polls=ctx.transcode_polls, dedupe=ctx.dedupe)


def handle_incoming(ctx: EmulatorState, req: Request) -> Response:
    """`POST incoming` (JSON `{thread_id, user_pk, text}`): another participant sends a text.

    The item lands in the thread like any other (unread for the viewer) but not in the
    ledger, which records only what clients sent.
    """
    thread_id = fields.digits(req.form, "thread_id")
    user_pk = int(fields.digits(req.form, "user_pk") or 0)
    text = fields.text(req.form, "text")
    with ctx.store.transaction():
        member_thread(ctx, str(thread_id), user_pk)
        item = _incoming_text(ctx, str(thread_id), user_pk, str(text))
    return ok(item={**item, "thread_id": thread_id})


def handle_message_request(ctx: EmulatorState, req: Request) -> Response:
    """`POST message_request` (JSON `{username, text}`, optional `to`: the account, default the
    seed's viewer, and `followed`: the account follows `username`): `username` starts a new
    conversation with the account, which lands in the account's pending inbox as a request."""
    sender_pk, _ = _account(ctx, req.form.get("username"))
    viewer_pk, _ = _account(ctx, req.form.get("to") or "airflow_demo")
    if sender_pk == viewer_pk:
        raise bad_request("Invalid to: a request needs two different accounts")
    text = fields.text(req.form, "text")
    with ctx.store.transaction() as db:
        thread_id = create_thread(ctx, sender_pk, [viewer_pk])
        db.execute(
            "UPDATE members SET pending = 1 WHERE thread_id = ? AND user_pk = ?",
            (thread_id, viewer_pk),
        )
        if req.form.get("followed") is True:
            db.execute(
                "INSERT OR IGNORE INTO follows (follower_pk, followee_pk) VALUES (?, ?)",
                (viewer_pk, sender_pk),
            )
        item = _incoming_text(ctx, thread_id, sender_pk, str(text))
    return ok(thread_id=thread_id, item={**item, "thread_id": thread_id})


def _incoming_text(ctx: EmulatorState, thread_id: str, user_pk: int, text: str) -> dict:
    """Add a text from `user_pk` to the thread (inside a transaction); the new item's JSON."""
    db = ctx.store.db
    now = ctx.store.now_us()
    item_id = item_id_for(now)
    db.execute(
        "INSERT INTO items (item_id, thread_id, user_id, timestamp, item_type, payload)"
        " VALUES (?, ?, ?, ?, 'text', ?)",
        (item_id, thread_id, user_pk, now, compact({"text": text})),
    )
    db.execute(
        "UPDATE threads SET last_activity_at = ?, last_sender_pk = ? WHERE thread_id = ?",
        (now, user_pk, thread_id),
    )
    db.execute(
        "UPDATE members SET last_seen_at = ?, last_seen_item = ? WHERE thread_id = ?"
        " AND user_pk = ?",
        (now, item_id, thread_id, user_pk),
    )
    row = db.execute("SELECT * FROM items WHERE item_id = ?", (item_id,)).fetchone()
    return item_json(row, None)
