"""Nothing lost, nothing twice: a DAG sends 500 items of every kind (uploads included) to 100
threads, in mapped tasks with Airflow retries, on the real scheduler, while the emulator injects
random faults from a fixed seed and does not dedupe; its ledger then holds every item once."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from airflow_provider_dm.emulator.control import EmulatorControl
from airflow_provider_dm.emulator.faults import RANDOM_ACTIONS

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

FAULT_SEED = 13
FAULT_RATE = 0.05
THREADS = 100
GROUP = 10
ITEMS = 500
FORCED = 40
LINK_PATH = "/api/v1/direct_v2/threads/broadcast/link/"


def _finished(stack: Any, run_id: str, timeout: float) -> dict[str, Any]:
    """The run once it has finished (or as last seen after ``timeout`` s); an api-server too
    busy to answer one poll within its 30 s (2 cores, every task a process) is polled again."""
    deadline = time.monotonic() + timeout
    run: dict[str, Any] = {"state": "unknown"}
    while time.monotonic() < deadline and run["state"] not in ("success", "failed"):
        try:
            run = stack.api("GET", f"dags/dm_faults/dagRuns/{run_id}").json()
        except requests.RequestException:
            continue
        time.sleep(2)
    return run


def _photo(path: Path) -> Path:
    image = Image.new("RGB", (640, 480), (200, 30, 30))
    image.paste((30, 30, 200), (320, 0, 640, 480))
    image.save(path, "JPEG", quality=90)
    return path


def test_every_item_exactly_once_under_random_faults(fault_stack, tmp_path, write_mp4) -> None:
    control = EmulatorControl(fault_stack.emulator_url)
    control.reset(seed=f"bulk:{THREADS}:1")
    control.configure(dedupe=False)
    seed = control.seed()
    threads = [str(t["thread_id"]) for t in seed["threads"]][:THREADS]
    assert len(threads) == THREADS
    groups = [threads[i : i + GROUP] for i in range(0, THREADS, GROUP)]
    conf = {
        "groups": groups,
        "photo_groups": groups[: len(groups) // 2],
        "video_groups": groups[len(groups) // 2 :],
        "user_id": str(seed["users"][0]["pk"]),
        "media_id": next(m["id"] for m in seed["media"] if m["media_type"] == 1),
        "photo": str(_photo(tmp_path / "photo.jpg")),
        "video": str(write_mp4(tmp_path / "clip.mp4", duration_ms=3000, width=640, height=360)),
    }
    # A slow answer outlasts the client's timeout by a second.
    slow = fault_stack.connection_extra["timeout"] + 1
    # Pending transcodes can only hit the 50 video sends: weighted up so that some do.
    weights = {action: 1 for action in RANDOM_ACTIONS} | {"transcode_pending": 10}
    control.random_faults(FAULT_SEED, FAULT_RATE, actions=weights, seconds=slow, retry_after=1)
    # And the first FORCED link sends fail: while this rule lasts every attempt fails, so some
    # link task uses up the client's four attempts on a destination, fails, and Airflow
    # retries it (40 over at most 10 tasks: one of them meets at least four).
    control.add_fault("POST", LINK_PATH, "server_error", times=FORCED)

    began = time.monotonic()
    run_id = fault_stack.trigger_dag("dm_faults", conf)
    run = _finished(fault_stack, run_id, timeout=1500)
    took = time.monotonic() - began
    control.stop_random_faults()
    fired = control.fired_faults()
    tries = fault_stack.task_instances("dm_faults", run_id)
    ledger = control.ledger()

    per_destination = Counter((row["thread_id"], row["kind"]) for row in ledger)
    duplicated = sum(n - 1 for n in per_destination.values())
    photo_threads = [t for group in conf["photo_groups"] for t in group]
    video_threads = [t for group in conf["video_groups"] for t in group]
    expected = {(t, kind) for t in threads for kind in ("text", "link", "profile", "media_share")}
    expected |= {(t, "photo_attachment") for t in photo_threads}
    expected |= {(t, "raven_attachment") for t in video_threads}
    lost = len(expected - set(per_destination))
    retries = sum(max(0, ti["try_number"] - 1) for ti in tries)
    print(
        f"\nitems sent {len(ledger)} (expected {len(expected)}), lost {lost}, duplicated "
        f"{duplicated}; faults fired {sum(fired.values())} ({FORCED} of them the forced "
        f"server_error): {fired}; Airflow retries {retries} over {len(tries)} task instances; "
        f"run {run['state']} in {took:.0f} s"
    )
    assert run["state"] == "success", fault_stack.report()
    assert fired["server_error"] >= FORCED and len(fired) >= 5, fired
    assert retries >= 1
    assert (lost, duplicated) == (0, 0)
    assert set(per_destination) == expected and len(ledger) == len(expected) == ITEMS
    assert len({row["client_context"] for row in ledger}) == ITEMS
