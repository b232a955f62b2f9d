"""Seeds: `none` (accounts only), `demo` (a small believable inbox) and `bulk:N[:M]`.

Every seed has the three accounts of the contract; their common password is `demo-password`
(the emulator's own fake accounts, not real ones). In `demo`, `erin_demo` only accepts message
requests: a new thread that someone else starts with her lands in HER pending inbox. The
viewer follows alice, bob and carol (`friendship_status.following` on thread users).
"""

from __future__ import annotations

import base64
import hashlib
import re
import sqlite3
import time
from typing import Any

from airflow_provider_dm.emulator.graph import igsid
from airflow_provider_dm.emulator.shapes import compact, media_json
from airflow_provider_dm.emulator.store import THREAD_ID_PREFIX, Store, item_id_for
from airflow_provider_dm.emulator.wire import JsonDict

PASSWORD = "demo-password"
TOTP_SECRET = "JBSWY3DPEHPK3PXP"
SECURITY_CODE = "123456"
VIEWER_PK = 5110000001
ACCOUNTS = [
    (VIEWER_PK, "airflow_demo", "Airflow Demo", "ok", None),
    (5110000002, "airflow_demo_2fa", "Airflow Demo 2FA", "two_factor", TOTP_SECRET),
    (5110000003, "airflow_demo_challenge", "Airflow Demo Challenge", "challenge", None),
]
DEMO_USERS = [
    (5110000101, "alice_demo", "Alice Example", 0),
    (5110000102, "bob_demo", "Bob Example", 0),
    (5110000103, "carol_demo", "Carol Example", 0),
    (5110000104, "dave_demo", "Dave Example", 0),
    (5110000105, "erin_demo", "Erin Example", 1),
]
MEDIA_PK_BASE = 3100000000000000000
BULK_PK_BASE = 5200000000
BULK_ITEMS = 20
SEED_PATTERN = re.compile(r"^(none|demo|bulk:(\d+)(?::(\d+))?)$")


def check_seed(spec: str) -> str:
    """Return `spec` if it names a seed, else raise ValueError saying which are known."""
    match = SEED_PATTERN.match(spec)
    if not match or (match.group(2) is not None and int(match.group(2)) > 1_000_000):
        raise ValueError(f"unknown seed {spec!r}: use none, demo or bulk:N[:M]")
    return spec


def apply_seed(store: Store, spec: str) -> None:
    """Recreate the database and fill it with the seed `spec`."""
    match = SEED_PATTERN.match(check_seed(spec))
    assert match is not None
    store.recreate()
    base = (time.time_ns() // 1000) - 3_600_000_000
    with store.transaction() as db:
        store.set_meta("seed", spec)
        _add_accounts(db)
        if spec == "demo":
            _demo(store, db, base)
        elif spec.startswith("bulk:"):
            threads = int(match.group(2))
            items = int(match.group(3)) if match.group(3) else BULK_ITEMS
            _bulk(store, db, base, threads, items)


def describe_seed(store: Store) -> JsonDict:
    """What the seed created: users, threads (with the viewer's partners), media, accounts."""
    db = store.db
    users = [
        {"pk": int(r["pk"]), "username": r["username"], "igsid": igsid(int(r["pk"]))}
        for r in db.execute("SELECT pk, username FROM users ORDER BY pk")
    ]
    threads = []
    rows = db.execute(
        "SELECT t.thread_id, t.title, t.is_group, m.pending FROM threads t"
        " JOIN members m ON m.thread_id = t.thread_id AND m.user_pk = ?"
        " ORDER BY m.pending, t.last_activity_at DESC, t.thread_id DESC",
        (VIEWER_PK,),
    )
    for row in rows:
        partners = [
            int(r["user_pk"])
            for r in db.execute(
                "SELECT user_pk FROM members WHERE thread_id = ? AND user_pk != ?"
                " AND left_thread = 0 ORDER BY user_pk",
                (row["thread_id"], VIEWER_PK),
            )
        ]
        threads.append(
            {
                "thread_id": row["thread_id"],
                "users": partners,
                "title": row["title"],
                "is_group": bool(row["is_group"]),
                "pending": bool(row["pending"]),
            }
        )
    media = [
        {"id": r["id"], "owner_pk": int(r["owner_pk"]), "media_type": int(r["media_type"])}
        for r in db.execute("SELECT id, owner_pk, media_type FROM media ORDER BY owner_pk, pk")
    ]
    accounts = {
        username: {
            "pk": pk,
            "password": PASSWORD,
            "login": login,
            **({"totp_secret": secret, "sms_code": SECURITY_CODE} if secret else {}),
            **({"security_code": SECURITY_CODE} if login == "challenge" else {}),
        }
        for pk, username, _, login, secret in ACCOUNTS
    }
    return {
        "seed": store.get_meta("seed"),
        "users": users,
        "threads": threads,
        "media": media,
        "viewer": {"pk": VIEWER_PK, "username": "airflow_demo"},
        "accounts": accounts,
    }


def _add_accounts(db: sqlite3.Connection) -> None:
    db.executemany(
        "INSERT INTO users (pk, username, full_name, password, login, totp_secret)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(pk, name, full, PASSWORD, login, secret) for pk, name, full, login, secret in ACCOUNTS],
    )


def _media_rows(owner: int, index: int, count: int, taken_at: int) -> list[tuple[Any, ...]]:
    rows = []
    for n in range(count):
        pk = MEDIA_PK_BASE + index * 100 + n
        code = base64.urlsafe_b64encode(hashlib.sha1(str(pk).encode()).digest()[:8]).decode()
        media_type = 2 if n % 2 else 1
        caption = f"Post {n + 1} of user {owner}"
        rows.append(
            (f"{pk}_{owner}", str(pk), owner, media_type, code.rstrip("="), taken_at - n * 86400)
            + ((1080, 1350) if media_type == 1 else (720, 1280))
            + (caption,)
        )
    return rows


def _insert_media(db: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    db.executemany(
        "INSERT INTO media (id, pk, owner_pk, media_type, code, taken_at, width, height, caption)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def _thread(
    store: Store,
    db: sqlite3.Connection,
    members: list[int],
    *,
    title: str | None = None,
    pending_for: tuple[int, ...] = (),
    flagged_for: tuple[int, ...] = (),
) -> str:
    thread_id, v2 = store.new_thread_ids()
    db.execute(
        "INSERT INTO threads (thread_id, thread_v2_id, title, is_group, creator_pk,"
        " last_activity_at) VALUES (?, ?, ?, ?, ?, 0)",
        (thread_id, v2, title, int(len(members) > 2), members[0]),
    )
    db.executemany(
        "INSERT INTO members (thread_id, user_pk, pending, flagged) VALUES (?, ?, ?, ?)",
        [(thread_id, pk, int(pk in pending_for), int(pk in flagged_for)) for pk in members],
    )
    return thread_id


def _items(
    db: sqlite3.Connection,
    thread_id: str,
    start: int,
    messages: list[tuple[int, str, JsonDict]],
    *,
    seen_by: tuple[int, ...] = (),
) -> int:
    """Insert items oldest first, a minute apart; mark them seen by `seen_by`; return last ts."""
    ts = start
    rows = []
    for n, (sender, item_type, payload) in enumerate(messages):
        ts = start + n * 60_000_000
        rows.append((item_id_for(ts), thread_id, sender, ts, item_type, compact(payload)))
    db.executemany(
        "INSERT INTO items (item_id, thread_id, user_id, timestamp, item_type, payload)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    last_item, last_sender = rows[-1][0], rows[-1][2]
    db.execute(
        "UPDATE threads SET last_activity_at = ?, last_sender_pk = ? WHERE thread_id = ?",
        (ts, last_sender, thread_id),
    )
    db.executemany(
        "UPDATE members SET last_seen_at = ?, last_seen_item = ? WHERE thread_id = ?"
        " AND user_pk = ?",
        [(ts, last_item, thread_id, pk) for pk in {last_sender, *seen_by}],
    )
    return ts


def _demo(store: Store, db: sqlite3.Connection, base: int) -> None:
    db.executemany(
        "INSERT INTO users (pk, username, full_name, is_private, password, login,"
        " new_threads_pending) VALUES (?, ?, ?, ?, ?, 'ok', ?)",
        [(pk, name, full, private, PASSWORD, private) for pk, name, full, private in DEMO_USERS],
    )
    taken = base // 1_000_000
    for index, (pk, *_rest) in enumerate(DEMO_USERS):
        _insert_media(db, _media_rows(pk, index + 1, 3, taken))
    _insert_media(db, _media_rows(VIEWER_PK, 0, 2, taken))
    alice, bob, carol, dave, _erin = (u[0] for u in DEMO_USERS)
    bob_photo = f"{MEDIA_PK_BASE + 200}_{bob}"
    me = VIEWER_PK

    db.executemany(
        "INSERT INTO follows (follower_pk, followee_pk) VALUES (?, ?)",
        [(me, pk) for pk in (alice, bob, carol)],
    )
    carol_thread = _thread(store, db, [me, carol])
    _items(db, carol_thread, base, [(me, "text", {"text": "Thanks for yesterday!"})])

    group = _thread(store, db, [me, alice, bob, carol], title="Weekend plans")
    _items(
        db,
        group,
        base + 600_000_000,
        [
            (alice, "text", {"text": "Who is in for Saturday?"}),
            (bob, "text", {"text": "Me!"}),
            (me, "text", {"text": "Count me in."}),
            (carol, "like", {"like": "❤️"}),
        ],
        seen_by=(me, alice, bob),
    )

    alice_thread = _thread(store, db, [me, alice])
    link = "https://example.com/menu"
    _items(
        db,
        alice_thread,
        base + 1_200_000_000,
        [
            (alice, "text", {"text": "Hi! Are we still on for Friday?"}),
            (me, "text", {"text": "Yes, 7pm works."}),
            (alice, "link", _link_payload(f"Here is the menu: {link}", link)),
            (alice, "media_share", {"media_share": _media_payload(db, bob_photo)}),
            (me, "text", {"text": "Looks great"}),
        ],
        seen_by=(me, alice),
    )

    bob_thread = _thread(store, db, [me, bob], flagged_for=(me,))
    _items(
        db,
        bob_thread,
        base + 1_800_000_000,
        [
            (me, "text", {"text": "Did you get the photos?"}),
            (bob, "text", {"text": "Yes, thanks!"}),
            (bob, "text", {"text": "Can you send the video too?"}),
        ],
    )

    request = _thread(store, db, [dave, me], pending_for=(me,))
    _items(db, request, base + 2_400_000_000, [(dave, "text", {"text": "Hello, love your posts!"})])


def _media_payload(db: sqlite3.Connection, media_id: str) -> JsonDict:
    row = db.execute("SELECT * FROM media WHERE id = ?", (media_id,)).fetchone()
    owner = db.execute("SELECT * FROM users WHERE pk = ?", (row["owner_pk"],)).fetchone()
    return media_json(row, owner)


def _link_payload(text: str, url: str) -> JsonDict:
    return {
        "link": {
            "text": text,
            "link_context": {
                "link_url": url,
                "link_title": "",
                "link_summary": "",
                "link_image_url": "",
            },
        }
    }


def _bulk(store: Store, db: sqlite3.Connection, base: int, threads: int, per: int) -> None:
    db.executemany(
        "INSERT INTO users (pk, username, full_name, password) VALUES (?, ?, ?, ?)",
        [
            (BULK_PK_BASE + n, f"bulk_user_{n:06d}", f"Bulk User {n}", PASSWORD)
            for n in range(threads)
        ],
    )
    taken = base // 1_000_000
    for n in range(min(threads, 10)):
        _insert_media(db, _media_rows(BULK_PK_BASE + n, n + 1, 2, taken))
    thread_rows, member_rows, item_rows = [], [], []
    for n in range(threads):
        other = BULK_PK_BASE + n
        thread_id = f"{THREAD_ID_PREFIX}{n + 1:015d}"
        last = base - (n // 2) * 1_000_000  # pairs of threads share a timestamp on purpose
        thread_rows.append((thread_id, f"178{n + 1:014d}", None, 0, other, last, other))
        member_rows += [(thread_id, VIEWER_PK, 0), (thread_id, other, last)]
        for j in range(per):
            ts = last - j * 1000
            sender = other if j % 2 == 0 else VIEWER_PK
            text = compact({"text": f"message {per - j} of thread {n}"})
            item_rows.append((item_id_for(ts, n * 100_000 + j), thread_id, sender, ts, text))
    db.executemany(
        "INSERT INTO threads (thread_id, thread_v2_id, title, is_group, creator_pk,"
        " last_activity_at, last_sender_pk) VALUES (?, ?, ?, ?, ?, ?, ?)",
        thread_rows,
    )
    db.executemany(
        "INSERT INTO members (thread_id, user_pk, last_seen_at) VALUES (?, ?, ?)", member_rows
    )
    db.executemany(
        "INSERT INTO items (item_id, thread_id, user_id, timestamp, item_type, payload)"
        " VALUES (?, ?, ?, ?, 'text', ?)",
        item_rows,
    )
    store.set_meta("thread_counter", str(threads))
