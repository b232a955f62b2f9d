"""The session stored by one process is reused by the next: two `airflow dags test` runs in two
processes, four hook instances, one login."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from direct_connection import connection_json, logins

from airflow_provider_dm.emulator.control import EmulatorControl

AIRFLOW = str(Path(sys.executable).parent / "airflow")


def test_second_process_reuses_the_stored_session(
    emulator: EmulatorControl, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW_CONN_INSTAGRAM_DIRECT_DEFAULT": connection_json(emulator.url),
    }
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True)
    for run in (1, 2):
        done = subprocess.run(
            [AIRFLOW, "dags", "test", "dm_session_reuse"], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, (
            f"run {run} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
        assert "demo-password" not in done.stdout + done.stderr
    assert logins(emulator) == 1
    inbox_reads = [r for r in emulator.requests() if r["path"].endswith("direct_v2/inbox/")]
    assert len(inbox_reads) >= 2
