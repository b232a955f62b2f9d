"""Shared fixtures: an isolated temporary folder and AIRFLOW_HOME, and the protocol emulator
over real HTTP.

The whole run gets one temporary folder (TMPDIR for this process and every process it starts),
removed at the end, so that nothing is left behind: AIRFLOW_HOME, lock files and the accounts'
local shared state (block marks, send budgets) live in it. AIRFLOW_HOME and friends are set
here, at import time, before anything imports Airflow. A section sign in the tests (§6.1)
cites docs/protocol.md.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis_server import RedisServer

_RUN_TMP = Path(tempfile.mkdtemp(prefix="dm-tests-"))
atexit.register(shutil.rmtree, _RUN_TMP, ignore_errors=True)
os.environ["TMPDIR"] = str(_RUN_TMP)
tempfile.tempdir = str(_RUN_TMP)
_AIRFLOW_HOME = _RUN_TMP / "airflow-home"
_AIRFLOW_HOME.mkdir()
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(Path(__file__).parent / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"

from airflow_provider_dm.emulator.control import EmulatorControl  # noqa: E402
from airflow_provider_dm.emulator.server import Emulator  # noqa: E402
from airflow_provider_dm.hooks.account_store import default_state_dir  # noqa: E402

pytest_plugins = ["dag_runs"]


@pytest.fixture(scope="session")
def emulator_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """One emulator for the whole session, seeded with `demo`, on a free loopback port."""
    db = tmp_path_factory.mktemp("emulator") / "emulator.sqlite"
    with Emulator(db_path=db, seed="demo", host="127.0.0.1", port=0) as server:
        yield server


@pytest.fixture
def emulator(emulator_server: Emulator) -> EmulatorControl:
    """The session emulator, reset to a fresh `demo` seed (no faults, empty logs) for this test,
    with the accounts' local shared state (block marks, budgets) wiped too."""
    control = EmulatorControl(emulator_server.url)
    control.reset(seed="demo")
    shutil.rmtree(default_state_dir(), ignore_errors=True)
    return control


@pytest.fixture(scope="session")
def bulk_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorControl]:
    """A second emulator seeded with `bulk:1000`, for pagination tests; treat it as read-only."""
    db = tmp_path_factory.mktemp("bulk-emulator") / "emulator.sqlite"
    with Emulator(db_path=db, seed="bulk:1000", host="127.0.0.1", port=0) as server:
        yield EmulatorControl(server.url)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real `redis-server` on a free loopback port for the whole session, stopped at the end."""
    server = RedisServer(root=tmp_path_factory.mktemp("redis-server"))
    try:
        yield server.start()
    finally:
        server.stop()
