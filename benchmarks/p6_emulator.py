"""P6 emulator: requests/s the emulator serves on this machine's cores, for the two request
kinds that bound P2 and P3, with 1, 2 and 4 keep-alive client processes started together.

Each client walks the inbox pages in cursor order (as an export does); sends go to one thread.
"""

from __future__ import annotations

import random
import shutil
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from benchmarks.context import BenchContext
from benchmarks.emulator_process import EmulatorProcess, login_headers
from benchmarks.probe import Probe
from benchmarks.report import Row, Series
from benchmarks.side import run_side

CASE = "p6_emulator"
DURATION_S = 2.0
CLIENTS = (1, 2, 4)
KINDS = {
    "send": "POST broadcast/text",
    "inbox": "GET inbox pages in cursor order (20 threads x 10 items, 10,000 threads)",
}


def load(
    probe: Probe, *, url: str, kind: str, thread_id: str, start_at: float, duration: float
) -> None:
    """One keep-alive client: from `start_at`, send `kind` requests back to back for `duration`."""
    import requests

    session = requests.Session()
    session.headers.update(login_headers(url))
    device = str(uuid.uuid4())

    def send() -> requests.Response:
        token = str(random.randint(6800011111111111111, 6800099999999999999))
        form = {
            "action": "send_item",
            "thread_ids": f'["{thread_id}"]',
            "text": "load",
            "client_context": token,
            "mutation_token": token,
            "offline_threading_id": token,
            "_uuid": device,
            "device_id": "android-" + device.replace("-", "")[:16],
        }
        return session.post(f"{url}/api/v1/direct_v2/threads/broadcast/text/", data=form)

    cursor: list[str] = []

    def inbox() -> requests.Response:
        params = {"limit": "20", "thread_message_limit": "10"}
        if cursor:
            params.update(cursor=cursor.pop(), direction="older")
        response = session.get(f"{url}/api/v1/direct_v2/inbox/", params=params)
        page = response.json().get("inbox", {})
        if page.get("has_older") and page.get("oldest_cursor"):
            cursor.append(page["oldest_cursor"])
        return response

    call = {"send": send, "inbox": inbox}[kind]
    time.sleep(max(0.0, start_at - time.time()))
    count = 0
    with probe.measure():
        end = time.perf_counter() + duration
        while time.perf_counter() < end:
            response = call()
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code}: {response.text[:100]}")
            count += 1
    probe.extra["count"] = count
    probe.extra["per_s"] = count / probe.seconds


SIDES = {"load": load}


def run(ctx: BenchContext) -> list[Row]:
    """For each kind and client count, start the clients together and add up their rates."""
    from airflow_provider_dm.emulator.control import EmulatorControl

    work = ctx.out / "p6"
    shutil.rmtree(work, ignore_errors=True)
    rates: dict[tuple[str, int], list[float]] = {}
    with EmulatorProcess(
        work / "emulator.sqlite", "bulk:10000", python=str(ctx.ours_python)
    ) as emu:
        thread_id = str(EmulatorControl(emu.url).seed()["threads"][0]["thread_id"])
        for _ in range(ctx.times(3)):
            for kind in KINDS:
                for clients in CLIENTS:
                    rates.setdefault((kind, clients), []).append(
                        _together(ctx, emu.url, kind, thread_id, clients)
                    )
    rows = []
    for (kind, clients), values in rates.items():
        rows.append(
            Row(
                "P6 emulator",
                f"{KINDS[kind]}, {clients} client process{'es' if clients > 1 else ''}",
                Series.of(values, "req/s"),
            )
        )
    return rows


def _together(ctx: BenchContext, url: str, kind: str, thread_id: str, clients: int) -> float:
    start_at = time.time() + 2.0
    args: dict[str, Any] = {
        "url": url,
        "kind": kind,
        "thread_id": thread_id,
        "start_at": start_at,
        "duration": DURATION_S,
    }
    with ThreadPoolExecutor(clients) as pool:
        futures = [
            pool.submit(run_side, ctx.ours_python, CASE, "load", args) for _ in range(clients)
        ]
        samples = [f.result() for f in futures]
    return sum(s["count"] for s in samples) / DURATION_S
