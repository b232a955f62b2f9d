"""The login lock: a second holder waits, gives up after its wait (and still runs), and gets
the lock once the first one lets go; a killed holder releases it."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from airflow_provider_dm.hooks.login_lock import login_lock


@pytest.fixture
def key(tmp_path: Path) -> Path:
    """A lock file of this test alone, in its temporary folder."""
    return tmp_path / "login.lock"


def test_a_second_login_waits_for_the_first(key: Path) -> None:
    order: list[str] = []
    first_holds = threading.Event()

    def first() -> None:
        with login_lock(key) as held:
            assert held
            first_holds.set()
            time.sleep(0.5)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    first_holds.wait(5)
    with login_lock(key, wait=5) as held:
        order.append("second in")
    thread.join()
    assert held and order == ["first done", "second in"]


def test_a_waiter_gives_up_after_its_wait_and_runs_anyway(key: Path) -> None:
    with login_lock(key):
        started = time.monotonic()
        with login_lock(key, wait=0.3) as held:
            waited = time.monotonic() - started
    assert not held and waited >= 0.3


def test_a_killed_holder_releases_the_lock(key: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from airflow_provider_dm.hooks.login_lock import login_lock\n"
            "from pathlib import Path\n"
            f"with login_lock(Path({str(key)!r})):\n"
            "    print('held', flush=True)\n"
            "    time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with login_lock(key, wait=0.2) as held:
            assert not held
        holder.kill()
        holder.wait(10)
        with login_lock(key, wait=5) as held:
            assert held
    finally:
        holder.kill()
