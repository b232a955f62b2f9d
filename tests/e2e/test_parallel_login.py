"""Parallel first tasks log in once: with no stored session, `dm_broadcast_mapped`'s mapped
tasks start together in separate worker processes; one logs in (slowly: the emulator holds its
login for a few seconds) while the others wait for it and reuse the session it stored."""

from __future__ import annotations

import pytest
from airflow_services import AirflowServices

from airflow_provider_dm.emulator.control import EmulatorControl

pytestmark = pytest.mark.e2e

DAG_ID = "dm_broadcast_mapped"
SESSION_VARIABLE = "instagram_direct_session_secret__instagram_direct_default"
LOGIN_PATH = "/api/v1/accounts/login/"


def test_parallel_first_tasks_share_one_login(airflow_services: AirflowServices) -> None:
    emulator = EmulatorControl(airflow_services.emulator_url)
    deleted = airflow_services.api("DELETE", f"variables/{SESSION_VARIABLE}")
    assert deleted.status_code in (204, 404), deleted.text
    emulator.add_fault("POST", LOGIN_PATH, "delay", times=1, seconds=4)
    requests_before = len(emulator.requests())

    run = airflow_services.run_dag(DAG_ID, timeout=120)
    assert run["state"] == "success", run

    tis = airflow_services.task_instances(DAG_ID, run["dag_run_id"])
    mapped = [ti for ti in tis if ti["map_index"] >= 0]
    assert len({ti["pid"] for ti in mapped}) >= 2, "the mapped tasks shared one process"
    starts = sorted(ti["start_date"] for ti in mapped)
    logins = [r for r in emulator.requests()[requests_before:] if r["path"] == LOGIN_PATH]
    assert len(logins) == 1, f"{len(logins)} logins; mapped tasks started at {starts}"
