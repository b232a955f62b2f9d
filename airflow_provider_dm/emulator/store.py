"""The emulator's state in one SQLite file: schema, the shared connection and id generation.

One connection is shared by all server threads behind a lock (measured faster than one
connection per keep-alive thread for this write-heavy load); WAL with `synchronous=OFF`
so that a commit never waits for an fsync. Upload bytes live in files next to the database.
Derived values that scan many rows (the unseen count) are memoised per state of the data
(`memo`), so pages read back to back do not recompute them.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE users (
    pk INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    is_private INTEGER NOT NULL DEFAULT 0,
    password TEXT NOT NULL,
    login TEXT NOT NULL DEFAULT 'ok',          -- ok | two_factor | challenge | none
    totp_secret TEXT,
    new_threads_pending INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE follows (
    follower_pk INTEGER NOT NULL,
    followee_pk INTEGER NOT NULL,
    PRIMARY KEY (follower_pk, followee_pk)
) WITHOUT ROWID;
CREATE TABLE sessions (
    sessionid TEXT PRIMARY KEY,
    user_pk INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE pending_logins (
    token TEXT PRIMARY KEY,                     -- two_factor_identifier or challenge nonce
    kind TEXT NOT NULL,                         -- two_factor | challenge
    user_pk INTEGER NOT NULL,
    step TEXT NOT NULL DEFAULT 'start'
);
CREATE TABLE threads (
    thread_id TEXT PRIMARY KEY,
    thread_v2_id TEXT NOT NULL,
    title TEXT,
    is_group INTEGER NOT NULL,
    creator_pk INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL,
    last_sender_pk INTEGER
);
CREATE INDEX threads_by_activity ON threads (last_activity_at, thread_id);
CREATE TABLE members (
    thread_id TEXT NOT NULL,
    user_pk INTEGER NOT NULL,
    pending INTEGER NOT NULL DEFAULT 0,
    hidden INTEGER NOT NULL DEFAULT 0,
    muted INTEGER NOT NULL DEFAULT 0,
    flagged INTEGER NOT NULL DEFAULT 0,
    marked_unread INTEGER NOT NULL DEFAULT 0,
    left_thread INTEGER NOT NULL DEFAULT 0,
    last_seen_at INTEGER NOT NULL DEFAULT 0,
    last_seen_item TEXT,
    PRIMARY KEY (thread_id, user_pk)
);
CREATE INDEX members_by_user ON members (user_pk, pending, hidden);
CREATE TABLE items (
    item_id TEXT PRIMARY KEY,                   -- 35 digits, starts with the µs timestamp
    thread_id TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    item_type TEXT NOT NULL,
    client_context TEXT,
    payload TEXT NOT NULL,
    reactions TEXT
);
CREATE INDEX items_by_thread ON items (thread_id, item_id);
CREATE TABLE media (
    id TEXT PRIMARY KEY,                        -- "{pk}_{owner}"
    pk TEXT NOT NULL UNIQUE,
    owner_pk INTEGER NOT NULL,
    media_type INTEGER NOT NULL,
    code TEXT NOT NULL,
    taken_at INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    caption TEXT NOT NULL DEFAULT ''
);
CREATE INDEX media_by_owner ON media (owner_pk, taken_at);
CREATE TABLE uploads (
    name TEXT PRIMARY KEY,                      -- the path segment of the upload URL
    route TEXT NOT NULL,                        -- rupload_igphoto | rupload_igvideo | messenger_*
    kind TEXT NOT NULL,                         -- photo | video | voice
    owner_pk INTEGER NOT NULL,
    upload_id TEXT,
    media_id TEXT,
    total INTEGER,
    received INTEGER NOT NULL DEFAULT 0,
    complete INTEGER NOT NULL DEFAULT 0,
    width INTEGER,
    height INTEGER,
    duration_ms INTEGER,
    finish_calls INTEGER NOT NULL DEFAULT 0,
    transcoded INTEGER NOT NULL DEFAULT 0,
    params TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX uploads_by_upload_id ON uploads (upload_id);
CREATE INDEX uploads_by_media_id ON uploads (media_id);
CREATE TABLE sends (
    sender_pk INTEGER NOT NULL,
    thread_id TEXT NOT NULL,
    token TEXT NOT NULL,
    item_id TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    PRIMARY KEY (sender_pk, thread_id, token)
) WITHOUT ROWID;
CREATE TABLE ledger (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    item_type TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    sender_pk INTEGER NOT NULL,
    client_context TEXT,
    fields TEXT NOT NULL,
    upload TEXT,
    timestamp INTEGER NOT NULL,
    backend TEXT NOT NULL DEFAULT 'private'     -- private | graph
);
CREATE TABLE graph_tokens (
    token TEXT PRIMARY KEY,
    user_pk INTEGER NOT NULL,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE graph_attachments (
    attachment_id TEXT PRIMARY KEY,
    owner_pk INTEGER NOT NULL,
    type TEXT NOT NULL,
    url TEXT NOT NULL,                          -- the source URL, or the CDN URL of a file
    bytes INTEGER,                              -- a file upload's size; NULL for a URL
    content_type TEXT                           -- a file upload's declared type
);
CREATE TABLE actions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    action TEXT NOT NULL,                       -- seen | delete | approve | decline | hide | ...
    thread_id TEXT NOT NULL,
    user_pk INTEGER NOT NULL,
    item_id TEXT,
    detail TEXT NOT NULL DEFAULT '{}',
    timestamp INTEGER NOT NULL
);
CREATE TABLE request_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    query TEXT NOT NULL,
    headers TEXT NOT NULL,
    form TEXT NOT NULL,
    status INTEGER NOT NULL
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

TABLES = [
    "users",
    "follows",
    "sessions",
    "pending_logins",
    "threads",
    "members",
    "items",
    "media",
    "uploads",
    "sends",
    "ledger",
    "actions",
    "graph_tokens",
    "graph_attachments",
    "request_log",
    "meta",
]

THREAD_ID_PREFIX = "340282366841710300949128"  # + 15 digits = 39 digits, like real thread ids


class Store:
    """The SQLite database of one emulator plus the directory that holds upload bytes."""

    def __init__(self, db_path: str | Path) -> None:
        self.path = Path(db_path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.upload_dir = self.path.with_name(self.path.name + ".uploads")
        self.lock = threading.RLock()
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=OFF")
        self._last_us = 0
        self._pending_log: list[tuple[Any, ...]] = []
        self._log_rows = 0
        self._memo: dict[Hashable, tuple[int, Any]] = {}

    def close(self) -> None:
        """Flush the request log and close the connection."""
        with self.lock:
            self.flush_log()
            self.db.close()

    def recreate(self) -> None:
        """Drop every table and upload file and create an empty schema."""
        with self.lock:
            self._pending_log.clear()
            self._memo.clear()
            for table in TABLES:
                self.db.execute(f"DROP TABLE IF EXISTS {table}")
            self.db.executescript(SCHEMA)
            shutil.rmtree(self.upload_dir, ignore_errors=True)
            self.upload_dir.mkdir(parents=True, exist_ok=True)
            self._last_us = 0

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and run one write transaction, rolled back if the body raises."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            logged: list[tuple[Any, ...]] = []
            try:
                logged = self._write_log()
                yield self.db
            except BaseException as exc:
                # a protocol error answer may keep its writes (e.g. a pending two-factor login)
                if getattr(exc, "commit", False):
                    self.db.execute("COMMIT")
                else:
                    self.db.execute("ROLLBACK")
                    self._pending_log[:0] = logged  # the log rows go in with the next one
                raise
            self.db.execute("COMMIT")

    def memo(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """`compute()`, reused until any row other than a request-log row changes (hold the
        lock). The key of the data's state is the connection's change counter."""
        state = self.db.total_changes - self._log_rows
        cached = self._memo.get(key)
        if cached is not None and cached[0] == state:
            return cached[1]
        value = compute()
        self._memo[key] = (state, value)
        return value

    # -- ids and clocks -------------------------------------------------------------------

    def now_us(self) -> int:
        """A strictly increasing microsecond timestamp (unique per emulator)."""
        with self.lock:
            now = time.time_ns() // 1000
            self._last_us = max(now, self._last_us + 1)
            return self._last_us

    def next_counter(self, name: str, start: int) -> int:
        """The next value of a named counter kept in `meta` (call inside a transaction)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (name,)).fetchone()
        value = int(row["value"]) + 1 if row else start
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (name, value))
        return value

    def new_thread_ids(self) -> tuple[str, str]:
        """A fresh (thread_id, thread_v2_id) pair."""
        n = self.next_counter("thread_counter", 1)
        return f"{THREAD_ID_PREFIX}{n:015d}", f"178{n:014d}"

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        """A value from the `meta` table."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else default

    def set_meta(self, key: str, value: str) -> None:
        """Store a value in the `meta` table."""
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- request log (buffered, written with the next transaction) ------------------------

    def log_request(self, record: dict[str, Any]) -> None:
        """Queue one request-log row; it is written with the next transaction or read."""
        row = (
            time.time(),
            record["method"],
            record["path"],
            json.dumps(record["query"]),
            json.dumps(record["headers"]),
            json.dumps(record["form"], default=str),
            record["status"],
        )
        with self.lock:
            self._pending_log.append(row)

    def _write_log(self) -> list[tuple[Any, ...]]:
        """Insert the queued request-log rows; return them (to queue again on a rollback)."""
        rows = self._pending_log
        if rows:
            self.db.executemany(
                "INSERT INTO request_log (at, method, path, query, headers, form, status)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            self._log_rows += len(rows)
            self._pending_log = []
        return rows

    def flush_log(self) -> None:
        """Write queued request-log rows now."""
        with self.transaction():
            pass


def item_id_for(timestamp_us: int, salt: int | None = None) -> str:
    """A 35-digit item id whose order is the order of its timestamp (so it doubles as cursor)."""
    tail = (timestamp_us * 2654435761) % 10**19 if salt is None else salt
    return f"{timestamp_us:016d}{tail:019d}"
