"""One login at a time per account on this machine: parallel tasks (mapped tasks, a fan-out, a
re-login after the session expired) wait for the first one's login and then reuse the session
it stored, instead of each logging in. An advisory ``flock`` on a file in the state folder; the
kernel releases it when its holder exits, so a killed task never leaves it stuck. Workers on
other machines need the Redis store's lock."""

from __future__ import annotations

import fcntl
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

WAIT_SECONDS = 120.0
POLL_SECONDS = 0.2


@contextmanager
def login_lock(path: Path, wait: float = WAIT_SECONDS) -> Iterator[bool]:
    """Hold the lock file ``path`` while the block runs; yields whether it is held.

    After ``wait`` seconds, or when the lock file cannot be opened, the block runs without
    it (a second login is better than a task that never starts), and that is logged.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+b")
    except OSError as exc:
        log.warning("no login lock (%s: %s); logging in without it", path, type(exc).__name__)
        yield False
        return
    with handle:
        held = _acquire(handle, time.monotonic() + wait)
        if not held:
            log.warning("waited %.0f s for another login to finish; logging in anyway", wait)
        try:
            yield held
        finally:
            if held:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _acquire(handle: IO[bytes], deadline: float) -> bool:
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)
