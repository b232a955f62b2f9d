"""Ten tasks in parallel on one connection, under the real scheduler, and the stored session
expires while they run: exactly one new login, every task goes on with the new session, and the
session Variable holds valid JSON all along and, at the end, the newest session.

Runs on Airflow services of its own with `[core] parallelism` 10 (the shared stack runs four
tasks at a time), so that all ten tasks are running when the session expires."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from airflow_services import EMULATOR_LOGIN, EMULATOR_PASSWORD, AirflowServices

from airflow_provider_dm.client import DirectClient, SessionState
from airflow_provider_dm.emulator.control import EmulatorControl
from airflow_provider_dm.hooks.session_store import DESCRIPTION, default_session_key

# The stack of its own starts inside this test's time.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

DAG_ID = "parallel_expiry"
TASKS = 10
STOP_VARIABLE = "dm_parallel_expiry_stop"
READY_VARIABLE = "dm_parallel_expiry_ready__{}"
SESSION_VARIABLE = default_session_key("instagram_direct_default")
LOGIN_PATH = "/api/v1/accounts/login/"
INBOX_PATH = "/api/v1/direct_v2/inbox/"


@pytest.fixture(scope="module")
def wide_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowServices]:
    """The emulator and the four Airflow services, running up to ten tasks at once."""
    services = AirflowServices(
        root=tmp_path_factory.mktemp("parallel-expiry"),
        extra_env={"AIRFLOW__CORE__PARALLELISM": str(TASKS)},
    )
    try:
        services.start()
        yield services
    except Exception:
        print(services.report())
        raise
    finally:
        services.stop()


class VariableWatch(threading.Thread):
    """Reads the session Variable from the metadata DB every 0.1 s until stopped; keeps every
    distinct value seen and every one that is not a session."""

    def __init__(self, services: AirflowServices) -> None:
        super().__init__(daemon=True)
        self.services = services
        self.seen: list[str] = []
        self.corrupt: list[str] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            try:
                value = self.services.stored_variable(SESSION_VARIABLE)
            except sqlite3.OperationalError:  # the DB is busy: look again
                value = None
            if value is not None and (not self.seen or self.seen[-1] != value):
                self.seen.append(value)
                try:
                    if not SessionState.from_json(value).logged_in:
                        self.corrupt.append(value)
                except ValueError:
                    self.corrupt.append(value)
            self.halt.wait(0.1)


def _ready(services: AirflowServices, run_id: str) -> int:
    """How many tasks have made their first read with the stored session."""
    return sum(
        services.stored_variable(READY_VARIABLE.format(index)) == run_id for index in range(TASKS)
    )


def _reads_since(emulator: EmulatorControl, start: int) -> list[dict]:
    return [r for r in emulator.requests()[start:] if r["path"] == INBOX_PATH]


def test_a_session_expiring_under_ten_parallel_tasks_means_one_new_login(
    wide_services: AirflowServices, tmp_path: Path
) -> None:
    services = wide_services
    emulator = EmulatorControl(services.emulator_url)
    url = services.emulator_url
    first = DirectClient(api_url=f"{url}/api/v1/", upload_url=f"{url}/", timeout=120)
    first.login(EMULATOR_LOGIN, EMULATOR_PASSWORD)
    body = {"key": SESSION_VARIABLE, "value": first.state.to_json(), "description": DESCRIPTION}
    services.api("POST", "variables", json=body).raise_for_status()
    watch = VariableWatch(services)
    watch.start()
    try:
        start = len(emulator.requests())

        run_id = services.trigger_dag(DAG_ID)
        # Each task marks itself ready after its first read and reads on until told to stop: once
        # all ten are ready, all ten run at once.
        deadline = time.monotonic() + 180
        while _ready(services, run_id) < TASKS:
            assert time.monotonic() < deadline, f"only {_ready(services, run_id)} tasks started"
            time.sleep(0.5)

        expiry = len(emulator.requests())
        emulator.add_fault("GET", INBOX_PATH, "expire_session")
        deadline = time.monotonic() + 60
        while True:
            after = _reads_since(emulator, expiry)
            refused = [r for r in after if r["status"] == 403]
            if len(refused) >= TASKS and len(after) - len(refused) >= 2 * TASKS:
                break
            assert time.monotonic() < deadline, f"{len(refused)} refused, {len(after)} reads"
            time.sleep(0.5)
        services.api(
            "POST", "variables", json={"key": STOP_VARIABLE, "value": run_id}
        ).raise_for_status()
        run = services.wait_for_run(DAG_ID, run_id, timeout=120)
    finally:
        watch.halt.set()
        watch.join()

    assert run["state"] == "success", services.report()
    log = emulator.requests()
    logins = [r for r in log[start:] if r["path"] == LOGIN_PATH]
    refused = [r for r in log[expiry:] if r["path"] == INBOX_PATH and r["status"] == 403]
    results = [services.xcom_result(DAG_ID, run_id, "read_until_stopped", i) for i in range(TASKS)]
    print(
        f"\n{len(refused)} reads refused after the expiry, {len(logins)} login(s); "
        f"sessions used per task: {sorted(r['sessions_used'] for r in results)}; "
        f"Variable values seen: {len(watch.seen)}"
    )
    assert len(logins) == 1, f"{len(logins)} logins after the session expired"
    assert len(refused) == TASKS, "each task meets the expired session once"
    assert all(r["sessions_used"] == 2 for r in results), results
    assert watch.corrupt == []
    assert len(watch.seen) == 2, "the Variable changed more than once"
    newest = SessionState.from_json(watch.seen[-1])
    assert newest.authorization != first.state.authorization
    assert services.stored_variable(SESSION_VARIABLE) == watch.seen[-1]
    assert (
        DirectClient(api_url=f"{url}/api/v1/", upload_url=f"{url}/", state=newest)
        .current_user()
        .username
        == EMULATOR_LOGIN
    )
