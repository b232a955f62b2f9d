"""The account's shared state for every process of one machine: the block mark in a small
SQLite file, the login lock as a ``flock``, the send budget in pyrate-limiter's SQLite bucket
(guarded by a ``flock`` too), all in one folder (the ``state_dir`` extra)."""

from __future__ import annotations

import fcntl
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from airflow_provider_dm.hooks.account_block import AccountBlock
from airflow_provider_dm.hooks.account_store import StoreUnavailable, key_digest, rates
from airflow_provider_dm.hooks.login_lock import login_lock

if TYPE_CHECKING:
    from pyrate_limiter import AbstractBucket

    from airflow_provider_dm.hooks.send_rate import RateLimit


class FileLock:
    """A lock shared by every process and thread of the machine: a thread lock, then an
    exclusive ``flock`` on a file kept open. (The ``filelock`` package costs about 0.4 ms per
    acquire and release here, more than the budget's SQL; ``make bench`` P7.)"""

    def __init__(self, path: Path) -> None:
        self._threads = threading.Lock()
        self._handle = path.open("a+b")

    def __enter__(self) -> FileLock:
        self._threads.acquire()
        try:
            fcntl.flock(self._handle, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._threads.release()


_BLOCKS = "CREATE TABLE IF NOT EXISTS blocks (account TEXT PRIMARY KEY, mark TEXT NOT NULL)"


class LocalAccountStore:
    """The shared state of ``account`` in ``directory`` (created when missing)."""

    def __init__(self, directory: Path, account: str) -> None:
        self.directory = Path(directory)
        self.account = account
        self._digest = key_digest(account)

    def check(self) -> None:
        """Create the folder and the block table; ``StoreUnavailable`` when it cannot."""
        with self._blocks() as db:
            db.execute("SELECT 1 FROM blocks LIMIT 1").fetchall()

    def blocked(self) -> AccountBlock | None:
        """The active block mark, or None (an expired one is removed)."""
        with self._blocks() as db:
            row = db.execute(
                "SELECT mark FROM blocks WHERE account = ?", (self.account,)
            ).fetchone()
        mark = AccountBlock.from_json(row[0]) if row else None
        if mark is not None and not mark.active():
            self.clear_block()
            return None
        return mark

    def block(self, mark: AccountBlock) -> None:
        """Set the block mark."""
        with self._blocks() as db, db:
            db.execute(
                "INSERT OR REPLACE INTO blocks (account, mark) VALUES (?, ?)",
                (self.account, mark.to_json()),
            )

    def clear_block(self) -> bool:
        """Remove the block mark; True when there was one."""
        with self._blocks() as db, db:
            return db.execute("DELETE FROM blocks WHERE account = ?", (self.account,)).rowcount > 0

    @contextmanager
    def login_lock(self) -> Iterator[bool]:
        """The machine-wide login lock of the account."""
        with login_lock(self.directory / f"login-{self._digest}.lock") as held:
            yield held

    def bucket(self, limits: tuple[RateLimit, ...]) -> AbstractBucket:
        """The account's budget: pyrate-limiter's SQLite bucket, one table per account, its
        check-and-take serialized across processes by ``FileLock``."""
        from pyrate_limiter import SQLiteBucket, SQLiteQueries

        table = f"budget_{self._digest}"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(
                self.directory / "budget.sqlite",
                isolation_level="DEFERRED",
                check_same_thread=False,
                timeout=30,
            )
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(SQLiteQueries.CREATE_BUCKET_TABLE.format(table=table))
            db.execute(
                SQLiteQueries.CREATE_INDEX_ON_TIMESTAMP.format(
                    index_name=f"idx_{table}_rate_item_timestamp", table_name=table
                )
            )
            db.commit()
            lock = FileLock(self.directory / "budget.lock")
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(f"{self.directory}: {exc}") from exc
        return SQLiteBucket(rates(limits), db, table, lock=lock)

    @contextmanager
    def _blocks(self) -> Iterator[sqlite3.Connection]:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(self.directory / "blocks.sqlite", timeout=30)) as db:
                db.execute(_BLOCKS)
                yield db
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(f"{self.directory}: {exc}") from exc
