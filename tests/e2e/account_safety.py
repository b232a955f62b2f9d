"""The account-safety proofs shared by the LocalExecutor stack and the Celery fleet.

`prove_send_budget`: `dm_broadcast_mapped` sends one text to each of 40 destinations on a
connection with `send_rate` 5/10s while the emulator refuses (`feedback_required`) beyond 6 per
10 s; the figures come from the emulator's ledger, request log and limit counts.

`prove_fail_fast`: `account_error_fanout` (tests/e2e/fleet_dags) runs ten mapped sends with
retries on a connection whose account cannot log in; the figures say how each task ended and
what the service saw.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from airflow_services import EMULATOR_LOGIN, AirflowServices

import airflow_provider_dm
from airflow_provider_dm.emulator.control import EmulatorControl

BROADCAST = "dm_broadcast_mapped"
FANOUT = "account_error_fanout"
LOGIN_PATH = "/api/v1/accounts/login/"
SENDS = 40
BROADCAST_TEXT = "Maintenance tonight"  # the start of dm_broadcast_mapped's text
SEND_RATE = "5/10s"
BUDGET = 5
WINDOW_S = 10.0
EMULATOR_LIMIT = 6
FANOUT_TASKS = 10
# A fanout task's error when it stopped on the block mark (hooks/account_block.py), not on its
# own refused login.
BLOCKED = re.compile(r"^account \S+ is blocked since")
# The package under test (PYTHONPATH may put a worktree's first): the tasks must run it too.
TESTED_PACKAGE = str(Path(airflow_provider_dm.__file__).parent)
# A file of this package in a traceback; what it replaces leaves the package's folder.
PACKAGE = re.compile(r"(?<=/airflow_provider_dm)/.*$")


def destinations(emulator: EmulatorControl, count: int) -> list[dict[str, Any]]:
    """`count` destinations cycling through the demo seed's threads of the viewer and its
    users other than the seed's accounts (`@username` recipients)."""
    seed = emulator.seed()
    threads = [{"threads": [t["thread_id"]]} for t in seed["threads"] if not t["pending"]]
    people = [u["username"] for u in seed["users"] if u["username"] not in seed["accounts"]]
    cycle = threads + [{"recipients": [[f"@{name}"]]} for name in people]
    return [cycle[n % len(cycle)] for n in range(count)]


def peak_per_window(timestamps_us: list[int], window_s: float = WINDOW_S) -> int:
    """The most timestamps in any rolling window (t - window_s, t], the emulator's own rule."""
    stamps = sorted(timestamps_us)
    window_us = int(window_s * 1_000_000)
    peak = first = 0
    for last, stamp in enumerate(stamps):
        while stamps[first] <= stamp - window_us:
            first += 1
        peak = max(peak, last - first + 1)
    return peak


def tightest_span(timestamps_us: list[int], count: int) -> float:
    """The shortest time, in seconds, that `count` consecutive timestamps span (inf if fewer):
    at least `window_s` means no window holds `count` of them."""
    stamps = sorted(timestamps_us)
    spans = [stamps[n + count - 1] - stamps[n] for n in range(len(stamps) - count + 1)]
    return min(spans) / 1_000_000 if spans else float("inf")


def run_seconds(run: dict[str, Any]) -> float:
    """A finished run's duration from its start to its end, by Airflow's own dates."""
    start, end = (datetime.fromisoformat(run[key]) for key in ("start_date", "end_date"))
    return (end - start).total_seconds()


def logins(requests: list[dict[str, Any]]) -> int:
    """How many of `requests` are login requests."""
    return sum(1 for r in requests if r["path"] == LOGIN_PATH)


@dataclass
class BudgetProof:
    """One 40-send run under a send budget and an emulator limit, and what the emulator saw."""

    run: dict[str, Any]
    mapped: list[dict[str, Any]]
    items: list[dict[str, Any]]
    requests: list[dict[str, Any]]
    limit: dict[str, Any]
    waited_s: float

    @property
    def stamps(self) -> list[int]:
        """The new ledger items' timestamps (µs)."""
        return [int(item["timestamp"]) for item in self.items]

    def figures(self) -> str:
        """One line for the test's output."""
        stamps = self.stamps
        span = (max(stamps) - min(stamps)) / 1e6 if stamps else 0.0
        return (
            f"{len(self.items)} sends in {span:.1f} s (run {run_seconds(self.run):.1f} s, "
            f"trigger to end {self.waited_s:.1f} s); peak {peak_per_window(stamps)} per "
            f"{WINDOW_S:.0f} s window, 6 consecutive sends span >= "
            f"{tightest_span(stamps, BUDGET + 1):.2f} s; feedback_required "
            f"{self.limit.get('feedback_required')}; logins {logins(self.requests)}"
        )


def prove_send_budget(
    services: AirflowServices, conf: dict[str, Any] | None = None, sends: int = SENDS
) -> BudgetProof:
    """Run `dm_broadcast_mapped` to `sends` destinations with the emulator limiting the demo
    account to 6 item-creating requests per 10 s; the limit is removed afterwards."""
    emulator = EmulatorControl(services.emulator_url)
    requests_before = len(emulator.requests())
    ledger_before = len(emulator.ledger())
    emulator.set_limit(EMULATOR_LOGIN, EMULATOR_LIMIT, WINDOW_S)
    try:
        started = time.monotonic()
        conf = {**(conf or {}), "destinations": destinations(emulator, sends)}
        run = services.run_dag(BROADCAST, timeout=300, conf=conf)
        waited = time.monotonic() - started
        (limit,) = [lim for lim in emulator.limits() if lim["username"] == EMULATOR_LOGIN]
    finally:
        emulator.clear_limits(EMULATOR_LOGIN)
    mapped = [
        ti for ti in services.task_instances(BROADCAST, run["dag_run_id"]) if ti["map_index"] >= 0
    ]
    return BudgetProof(
        run=run,
        mapped=mapped,
        items=[item for item in emulator.ledger()[ledger_before:] if _broadcast(item)],
        requests=emulator.requests()[requests_before:],
        limit=limit,
        waited_s=waited,
    )


def _broadcast(item: dict[str, Any]) -> bool:
    """Whether a ledger item is one of `dm_broadcast_mapped`'s sends (another DAG of a shared
    stack, such as an auto-reply answering a test's message, may send meanwhile)."""
    return str((item.get("fields") or {}).get("text", "")).startswith(BROADCAST_TEXT)


def assert_paced(proof: BudgetProof) -> None:
    """The sends kept to the budget. It is taken when a task is about to send, while a stamp is
    the request's arrival: on a busy machine a task held up between the two lands among the
    next window's sends, so the service may see one more than the budget in a window (its own
    limit, which it did not refuse: feedback_required is 0), never more; and the whole run is
    spread as the budget spreads it (5 s of slack for such delays)."""
    stamps = sorted(proof.stamps)
    assert peak_per_window(stamps) <= EMULATOR_LIMIT, proof.figures()
    least_span_s = (len(stamps) // BUDGET - 1) * WINDOW_S - 5
    assert (stamps[-1] - stamps[0]) / 1e6 >= least_span_s, proof.figures()


@dataclass
class FailFastProof:
    """One run of `account_error_fanout` and what the service saw meanwhile."""

    run: dict[str, Any]
    mapped: list[dict[str, Any]]
    items: list[dict[str, Any]]
    requests: list[dict[str, Any]]
    endings: dict[str, int] = field(default_factory=dict)
    packages: set[str] = field(default_factory=set)

    def figures(self) -> str:
        """One line for the test's output."""
        paths = Counter(r["path"] for r in self.requests)
        tasks = Counter(f"{ti['state']} (try {ti['try_number']})" for ti in self.mapped)
        return (
            f"run {self.run['state']} in {run_seconds(self.run):.1f} s; tasks {dict(tasks)}; "
            f"logins {logins(self.requests)}; requests {dict(paths)}; task logs {self.endings}; "
            f"the tasks ran {sorted(self.packages)}"
        )


def prove_fail_fast(services: AirflowServices, conn_id: str) -> FailFastProof:
    """Run `account_error_fanout` on `conn_id` and read how its tasks ended from their logs."""
    emulator = EmulatorControl(services.emulator_url)
    requests_before = len(emulator.requests())
    ledger_before = len(emulator.ledger())
    run = services.run_dag(FANOUT, timeout=180, conf={"direct_conn_id": conn_id})
    mapped = [
        ti for ti in services.task_instances(FANOUT, run["dag_run_id"]) if ti["map_index"] >= 0
    ]
    proof = FailFastProof(
        run=run,
        mapped=mapped,
        items=emulator.ledger()[ledger_before:],
        requests=emulator.requests()[requests_before:],
    )
    run_logs = services.home / "logs" / f"dag_id={FANOUT}" / f"run_id={run['dag_run_id']}"
    for path in sorted(run_logs.glob("task_id=send/map_index=*/attempt=*.log")):
        error, files = task_error(path)
        ending = "blocked" if BLOCKED.match(error) else "own login refused" if error else "?"
        proof.endings[ending] = proof.endings.get(ending, 0) + 1
        proof.packages.update(PACKAGE.sub("", name) for name in files if PACKAGE.search(name))
    return proof


def task_error(log_path: Path) -> tuple[str, list[str]]:
    """The message of the exception a task failed with and the files of its traceback, from
    the task's JSON-lines log (("", []) if none)."""
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "Task failed with exception" and event.get("error_detail"):
            detail = event["error_detail"]
            files = [frame["filename"] for error in detail for frame in error.get("frames", [])]
            return str(detail[0].get("exc_value", "")), files
    return "", []


def clear_block(services: AirflowServices, conn_id: str, connection: dict[str, Any]) -> str:
    """`python -m airflow_provider_dm clear_block conn_id` in the services' environment (so in
    the same store as their tasks); returns the last line it printed (its answer; the hook
    logs to stdout too).

    The connection is passed as `AIRFLOW_CONN_*` too: outside a task the command reads
    connections from env vars and secrets backends only, not from the metadata DB."""
    env = {**services.environment(), f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(connection)}
    done = subprocess.run(
        [sys.executable, "-m", "airflow_provider_dm", "clear_block", conn_id],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"clear_block failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout.strip().splitlines()[-1]
